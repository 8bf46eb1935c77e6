// Shared by the mime library's files; not part of its contract.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mime/mime.h"

namespace parley::mime::detail {

inline bool is_wsp(char c) { return c == ' ' || c == '\t'; }
inline char lower_char(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }
inline char upper_char(char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c; }
std::string lower(std::string_view s);
std::string upper(std::string_view s);
bool iequals(std::string_view a, std::string_view b);
std::string_view trim(std::string_view s);

// One header field: `name` as written (trimmed), `value` the raw bytes after
// the colon up to the end of its last continuation line (line break
// excluded); [begin, end) covers its lines with their line breaks.
struct Field {
  std::string_view name;
  std::string_view value;
  std::size_t begin = 0;
  std::size_t end = 0;
};

// Walks the fields of a header block; stops at the empty line, the end of
// `header`, or `max_bytes`.
class FieldReader {
 public:
  explicit FieldReader(std::string_view header, std::size_t max_bytes = std::string_view::npos)
      : h_(header), max_(max_bytes) {}
  bool next(Field& field);

 private:
  std::string_view h_;
  std::size_t max_;
  std::size_t pos_ = 0;
};

// "name:" with a name of visible non-colon bytes (8-bit allowed), optional
// WSP before the colon (obsolete syntax). Returns the colon's index.
std::optional<std::size_t> field_colon(std::string_view line);

// Length of the header block at the start of `entity` (see mime.h).
std::size_t header_length(std::string_view entity);

// Line breaks removed (RFC 5322 2.2.3), then trimmed.
std::string unfold(std::string_view raw);

// Comments (nested, outside quoted strings) replaced by one space.
std::string strip_comments(std::string_view s);

// Parameters after a Content-Type / Content-Disposition value (RFC 2045,
// RFC 2231); `s` starts at or before the first ';'.
std::vector<Param> parse_params(std::string_view s);

// Bytes in `charset` as UTF-8; nullopt when the charset is not known.
std::optional<std::string> to_utf8(std::string_view bytes, std::string_view charset);
// Invalid UTF-8 bytes replaced by U+FFFD.
std::string sanitize_utf8(std::string_view bytes);

std::string base64_decode(std::string_view in);
// RFC 2045 6.7 (q = false) or RFC 2047 4.2 "Q" (q = true).
std::string qp_decode(std::string_view in, bool q);

int hex_value(char c);

}  // namespace parley::mime::detail
