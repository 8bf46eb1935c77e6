// The part tree of a stored message (RFC 2045, RFC 2046); see mime.h for
// the rules applied to broken input and the limits.
#include "mime/internal.h"

namespace parley::mime {
namespace {

using namespace detail;

bool is_token_char(char c) {
  const auto b = static_cast<unsigned char>(c);
  if (b <= 32 || b >= 127) return false;
  return std::string_view("()<>@,;:\\\"/[]?=").find(c) == std::string_view::npos;
}

std::string_view token(std::string_view s, std::size_t& i) {
  while (i < s.size() && is_wsp(s[i])) ++i;
  const std::size_t begin = i;
  while (i < s.size() && is_token_char(s[i])) ++i;
  const std::string_view t = s.substr(begin, i - begin);
  while (i < s.size() && is_wsp(s[i])) ++i;
  return t;
}

// "type/subtype; params" (RFC 2045 5.1); false when malformed.
bool parse_content_type(std::string_view raw, Part& part) {
  const std::string s = strip_comments(unfold(raw));
  std::size_t i = 0;
  const std::string_view type = token(s, i);
  if (type.empty() || i >= s.size() || s[i] != '/') return false;
  ++i;
  const std::string_view subtype = token(s, i);
  if (subtype.empty() || (i < s.size() && s[i] != ';')) return false;
  part.type = lower(type);
  part.subtype = lower(subtype);
  part.params = parse_params(std::string_view(s).substr(i));
  return true;
}

void parse_disposition(std::string_view raw, Part& part) {
  const std::string s = strip_comments(unfold(raw));
  std::size_t i = 0;
  const std::string_view type = token(s, i);
  if (type.empty()) return;
  part.disposition = lower(type);
  part.disposition_params = parse_params(std::string_view(s).substr(i));
}

void parse_language(std::string_view raw, Part& part) {
  const std::string s = strip_comments(unfold(raw));
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ',' || is_wsp(s[i]))) ++i;
    const std::size_t begin = i;
    while (i < s.size() && s[i] != ',' && !is_wsp(s[i])) ++i;
    if (i > begin) part.language.emplace_back(s.substr(begin, i - begin));
  }
}

std::size_t count_lines(std::string_view body) {
  std::size_t n = 0;
  for (char c : body) n += c == '\n';
  if (!body.empty() && body.back() != '\n') ++n;
  return n;
}

void make_plain(Part& part) {
  part.type = "text";
  part.subtype = "plain";
  part.params = {Param{"charset", "us-ascii"}};
}

class Parser {
 public:
  Parser(std::string_view message, const Limits& limits) : msg_(message), limits_(limits) {}

  // One entity in msg_[begin, end). `base` is the section prefix a message
  // node derives its number from; a body part gets its number in `section`.
  void entity(Part& part, std::size_t begin, std::size_t end, std::size_t depth, bool message_node,
              const std::string& base, bool digest_child) {
    const std::string_view text = msg_.substr(begin, end - begin);
    const std::size_t hlen = header_length(text);
    part.header = {begin, hlen};
    part.body = {begin + hlen, text.size() - hlen};
    const std::string_view header = text.substr(0, hlen);

    bool typed = false;  // the first Content-Type decides, even a broken one
    bool valid_type = false;
    FieldReader reader(header, limits_.max_header_bytes);
    Field f;
    bool seen_cte = false, seen_disp = false, seen_lang = false;
    while (reader.next(f)) {
      if (f.name.size() < 8 || !iequals(f.name.substr(0, 8), "content-")) continue;
      const std::string_view name = f.name.substr(8);
      if (iequals(name, "type")) {
        if (!typed) valid_type = parse_content_type(f.value, part);
        typed = true;
      } else if (iequals(name, "transfer-encoding")) {
        if (!seen_cte) {
          seen_cte = true;
          const std::string v = strip_comments(unfold(f.value));
          if (!trim(v).empty()) part.encoding = lower(trim(v));
        }
      } else if (iequals(name, "id")) {
        if (!part.id) part.id = unfold(f.value);
      } else if (iequals(name, "description")) {
        if (!part.description) part.description = unfold(f.value);
      } else if (iequals(name, "md5")) {
        if (!part.md5) part.md5 = unfold(f.value);
      } else if (iequals(name, "disposition")) {
        if (!seen_disp) parse_disposition(f.value, part);
        seen_disp = true;
      } else if (iequals(name, "language")) {
        if (!seen_lang) parse_language(f.value, part);
        seen_lang = true;
      } else if (iequals(name, "location")) {
        if (!part.location) part.location = unfold(f.value);
      }
    }
    if (!valid_type) {
      if (digest_child && !typed) {
        part.type = "message";
        part.subtype = "rfc822";
      } else {
        make_plain(part);
      }
    }
    if (message_node) part.envelope = parse_envelope(header, limits_.max_header_bytes);

    const bool can_descend = depth + 1 <= limits_.max_depth && parts_ < limits_.max_parts;
    if (part.type == "multipart") {
      const Param* boundary = part.param("boundary");
      if (!boundary || boundary->value.empty() || !can_descend) make_plain(part);
    } else if (part.type == "message" && (part.subtype == "rfc822" || part.subtype == "global")) {
      if (!can_descend) make_plain(part);
    }
    if (message_node) part.section = part.type == "multipart" ? base : (base.empty() ? "1" : base + ".1");
    part.lines = count_lines(msg_.substr(part.body.offset, part.body.length));

    if (part.type == "multipart") {
      split(part, depth);
    } else if (part.type == "message" && (part.subtype == "rfc822" || part.subtype == "global")) {
      ++parts_;
      part.children.emplace_back();
      entity(part.children.back(), part.body.offset, part.body.end(), depth + 1, true, part.section, false);
    }
  }

  std::size_t parts_ = 1;

 private:
  void split(Part& part, std::size_t depth) {
    const std::string delimiter = "--" + part.param("boundary")->value;
    const bool digest = part.subtype == "digest";
    const std::string prefix = part.section.empty() ? std::string() : part.section + ".";
    const std::size_t end = part.body.end();
    std::size_t pos = part.body.offset;
    bool open = false;
    std::size_t part_begin = 0;
    const auto add = [&](std::size_t b, std::size_t e) {
      if (parts_ >= limits_.max_parts) return false;
      ++parts_;
      Part child;
      child.section = prefix + std::to_string(part.children.size() + 1);
      part.children.push_back(std::move(child));
      entity(part.children.back(), b, e, depth + 1, false, {}, digest);
      return true;
    };
    while (pos < end) {
      const std::size_t lf = msg_.substr(0, end).find('\n', pos);
      const std::size_t line_end = lf == std::string_view::npos ? end : lf;
      const std::size_t next = lf == std::string_view::npos ? end : lf + 1;
      const std::string_view line = msg_.substr(pos, line_end - pos);
      if (line.size() >= delimiter.size() && line.substr(0, delimiter.size()) == delimiter) {
        std::string_view rest = line.substr(delimiter.size());
        const bool close = rest.substr(0, 2) == "--";
        if (close) rest.remove_prefix(2);
        if (rest.find_first_not_of(" \t\r") == std::string_view::npos) {
          if (open) {
            // The line break before a delimiter belongs to it.
            std::size_t part_end = pos;
            if (part_end >= part_begin + 2 && msg_.substr(part_end - 2, 2) == "\r\n") {
              part_end -= 2;
            } else if (part_end >= part_begin + 1 && msg_[part_end - 1] == '\n') {
              part_end -= 1;
            }
            if (!add(part_begin, part_end)) return finish(part);
          }
          if (close) {
            open = false;
            break;
          }
          open = true;
          part_begin = next;
        }
      }
      pos = next;
    }
    if (open) (void)add(part_begin, end);
    finish(part);
  }

  // A multipart needs at least one part (RFC 9051 body-type-mpart).
  void finish(Part& part) {
    if (!part.children.empty()) return;
    Part empty;
    make_plain(empty);
    empty.section = (part.section.empty() ? std::string() : part.section + ".") + "1";
    empty.header = {part.body.end(), 0};
    empty.body = {part.body.end(), 0};
    part.children.push_back(std::move(empty));
  }

  std::string_view msg_;
  const Limits& limits_;
};

}  // namespace

const Param* Part::param(std::string_view name) const {
  for (const Param& p : params) {
    if (detail::iequals(p.name, name)) return &p;
  }
  return nullptr;
}

Result<Part> parse(std::string_view message, const Limits& limits) {
  if (message.size() > limits.max_message_bytes) return fail(Errc::limit, "message too large");
  Part root;
  Parser parser(message, limits);
  parser.entity(root, 0, message.size(), 0, true, {}, false);
  return root;
}

}  // namespace parley::mime
