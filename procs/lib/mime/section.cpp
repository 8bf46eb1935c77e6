// BODY[section] resolution (RFC 9051 6.4.5), HEADER.FIELDS filtering and
// BINARY content (RFC 3516).
#include "mime/internal.h"

namespace parley::mime {
namespace {

using namespace detail;

constexpr std::size_t kMaxPartNumber = 1000000;

bool starts_with_i(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

// "(" astring *(SP astring) ")" of HEADER.FIELDS; false when malformed.
bool parse_field_list(std::string_view s, std::vector<std::string>& out) {
  s = trim(s);
  if (s.size() < 2 || s.front() != '(' || s.back() != ')') return false;
  s = s.substr(1, s.size() - 2);
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && s[i] == ' ') ++i;
    if (i >= s.size()) break;
    std::string name;
    if (s[i] == '"') {
      ++i;
      while (i < s.size() && s[i] != '"') {
        if (s[i] == '\\' && i + 1 < s.size()) ++i;
        name += s[i++];
      }
      if (i >= s.size()) return false;
      ++i;
    } else {
      while (i < s.size() && s[i] != ' ') {
        const char c = s[i++];
        if (c == '(' || c == ')' || c == '"' || static_cast<unsigned char>(c) < 0x21) return false;
        name += c;
      }
    }
    if (name.empty()) return false;
    out.push_back(std::move(name));
  }
  return !out.empty();
}

}  // namespace

Result<Section> find_section(const Part& root, std::string_view spec) {
  // Part numbers first.
  std::vector<std::size_t> numbers;
  std::size_t i = 0;
  while (i < spec.size() && spec[i] >= '0' && spec[i] <= '9') {
    if (spec[i] == '0') return fail(Errc::syntax, "part number 0");
    std::size_t n = 0;
    while (i < spec.size() && spec[i] >= '0' && spec[i] <= '9') {
      n = n * 10 + static_cast<std::size_t>(spec[i] - '0');
      if (n > kMaxPartNumber) return fail(Errc::not_found, "part number too large");
      ++i;
    }
    numbers.push_back(n);
    if (i == spec.size()) break;
    if (spec[i] != '.') return fail(Errc::syntax, "bad part number");
    ++i;
    if (i == spec.size()) return fail(Errc::syntax, "trailing dot");
  }
  const std::string_view text = spec.substr(i);

  // Walk: a message node's part 1 is itself when not multipart; a
  // message/rfc822 part's numbers continue in its encapsulated message.
  const Part* cur = &root;
  bool at_message = true;
  for (std::size_t n : numbers) {
    const Part* node = cur;
    if (!at_message) {
      if (cur->multipart()) {
        if (n > cur->children.size()) return fail(Errc::not_found, "no such part");
        cur = &cur->children[n - 1];
        continue;
      }
      if (!cur->message()) return fail(Errc::not_found, "no such part");
      node = &cur->children.front();
    }
    at_message = false;
    if (node->multipart()) {
      if (n > node->children.size()) return fail(Errc::not_found, "no such part");
      cur = &node->children[n - 1];
    } else {
      if (n != 1) return fail(Errc::not_found, "no such part");
      cur = node;
    }
  }

  Section section;
  if (text.empty()) {
    section.range = numbers.empty() ? Range{root.header.offset, root.body.end() - root.header.offset} : cur->body;
    return section;
  }
  if (iequals(text, "MIME")) {
    if (numbers.empty()) return fail(Errc::syntax, "MIME needs a part number");
    section.range = cur->header;
    return section;
  }
  // HEADER, TEXT and HEADER.FIELDS apply to a message: the root, or the
  // message encapsulated in a message/rfc822 part.
  const Part* msg = &root;
  if (!numbers.empty()) {
    if (!cur->message()) return fail(Errc::not_found, "not a message part");
    msg = &cur->children.front();
  }
  if (iequals(text, "HEADER")) {
    section.range = msg->header;
  } else if (iequals(text, "TEXT")) {
    section.range = msg->body;
  } else if (starts_with_i(text, "HEADER.FIELDS.NOT ") || starts_with_i(text, "HEADER.FIELDS ")) {
    section.fields_not = starts_with_i(text, "HEADER.FIELDS.NOT ");
    const std::string_view list = text.substr(section.fields_not ? 18 : 14);
    if (!parse_field_list(list, section.fields)) return fail(Errc::syntax, "bad header field list");
    section.header_fields = true;
    section.range = msg->header;
  } else {
    return fail(Errc::syntax, "unknown section text");
  }
  return section;
}

std::string header_fields(std::string_view header, const std::vector<std::string>& names, bool exclude) {
  std::string out;
  FieldReader reader(header);
  Field f;
  while (reader.next(f)) {
    bool listed = false;
    for (const std::string& n : names) {
      if (iequals(f.name, n)) {
        listed = true;
        break;
      }
    }
    if (listed == exclude) continue;
    std::string_view lines = header.substr(f.begin, f.end - f.begin);
    out.append(lines);
    if (lines.empty() || lines.back() != '\n') out += "\r\n";
  }
  out += "\r\n";
  return out;
}

Result<std::string> decode_body(const Part& part, std::string_view message) {
  if (part.body.offset > message.size() || part.body.length > message.size() - part.body.offset) {
    return fail(Errc::internal, "part range outside the message");
  }
  const std::string_view body = message.substr(part.body.offset, part.body.length);
  const std::string& enc = part.encoding;
  if (enc == "7bit" || enc == "8bit" || enc == "binary") return std::string(body);
  if (enc == "base64") return base64_decode(body);
  if (enc == "quoted-printable") return qp_decode(body, false);
  return fail(Errc::invalid, "unknown content-transfer-encoding");
}

}  // namespace parley::mime
