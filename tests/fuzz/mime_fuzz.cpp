// parley_mime on arbitrary messages: parse (with small limits too), BODY and
// BODYSTRUCTURE in both UTF-8 modes, ENVELOPE, every part's section specs,
// HEADER.FIELDS and BINARY. Invariants (abort() when broken): every range
// lies within the message and a part's ranges within its parent's body;
// sections resolve to ranges within the message; serialized text has
// balanced parentheses outside strings and literals.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "mime/mime.h"

namespace {

using parley::mime::Part;

void check_range(const parley::mime::Range& r, std::size_t size) {
  if (r.offset > size || r.length > size - r.offset) std::abort();
}

// Parentheses balance outside quoted strings and literals.
void check_balanced(const std::string& s) {
  long depth = 0;
  std::size_t i = 0;
  while (i < s.size()) {
    const char c = s[i];
    if (c == '"') {
      ++i;
      while (i < s.size() && s[i] != '"') {
        if (s[i] == '\\') ++i;
        ++i;
      }
      if (i >= s.size()) std::abort();
      ++i;
    } else if (c == '{') {
      const std::size_t close = s.find("}\r\n", i);
      if (close == std::string::npos) std::abort();
      const std::size_t n = std::stoul(s.substr(i + 1, close - i - 1));
      i = close + 3 + n;
      if (i > s.size()) std::abort();
    } else {
      if (c == '(') ++depth;
      if (c == ')' && --depth < 0) std::abort();
      ++i;
    }
  }
  if (depth != 0) std::abort();
}

void walk(const Part& part, std::string_view message, const Part& root) {
  check_range(part.header, message.size());
  check_range(part.body, message.size());
  if (part.header.end() != part.body.offset) std::abort();
  for (const Part& child : part.children) {
    if (child.header.offset < part.body.offset || child.body.end() > part.body.end()) std::abort();
    walk(child, message, root);
  }
  if (!part.section.empty()) {
    for (const char* suffix : {"", ".MIME", ".HEADER", ".TEXT", ".HEADER.FIELDS (Subject)"}) {
      auto s = parley::mime::find_section(root, part.section + suffix);
      if (s) check_range(s->range, message.size());
    }
  }
  (void)parley::mime::decode_body(part, message);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view message(reinterpret_cast<const char*>(data), size);
  for (const parley::mime::Limits& limits : {parley::mime::Limits{}, parley::mime::Limits{.max_depth = 2, .max_parts = 4, .max_header_bytes = 64}}) {
    auto root = parley::mime::parse(message, limits);
    if (!root) std::abort();
    walk(*root, message, *root);
    for (bool ext : {false, true}) {
      for (bool utf8 : {false, true}) check_balanced(parley::mime::bodystructure(*root, ext, utf8));
    }
    if (!root->envelope) std::abort();
    check_balanced(parley::mime::envelope(*root->envelope, false));
    check_balanced(parley::mime::envelope(*root->envelope, true));
    for (const char* spec : {"", "HEADER", "TEXT", "1", "1.1", "2.1.3", "HEADER.FIELDS.NOT (From \"To\")"}) {
      auto s = parley::mime::find_section(*root, spec);
      if (!s) continue;
      check_range(s->range, message.size());
      if (s->header_fields) {
        (void)parley::mime::header_fields(message.substr(s->range.offset, s->range.length), s->fields, s->fields_not);
      }
    }
  }
  (void)parley::mime::decode_words(message);
  return 0;
}
