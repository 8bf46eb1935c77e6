// MIME structure of a stored message for IMAP FETCH (RFC 9051 / RFC 3501):
// ENVELOPE, BODY, BODYSTRUCTURE, BODY[section] and BINARY[section]
// (RFC 3516). Pure: depends on core only, reads only the bytes it is given.
//
// Contract
// - parse(message, limits) reads a whole stored message (CRLF or bare LF
//   line ends, 8-bit bytes anywhere) and returns a tree of Parts. Every
//   Range is an offset/length into `message`, so imapd serves
//   BODY[section]<partial> straight from the stored bytes; the tree owns
//   copies of the decoded values, never pointers into `message`.
// - It fails only with Errc::limit when the message exceeds
//   limits.max_message_bytes. Anything else, however broken, gives a tree:
//     * header: lines up to the first empty line (included in the header
//       range). A first line that is not a field ("name:") means no header.
//       Lines inside a header that are neither fields nor continuations are
//       skipped. Fields past max_header_bytes of a header are not read
//       (the range still runs to the empty line). First occurrence wins.
//     * Content-Type missing or malformed: text/plain; charset=us-ascii
//       (RFC 2045 5.2), message/rfc822 inside multipart/digest (RFC 2046
//       5.1.5). Content-Transfer-Encoding missing: 7bit.
//     * multipart: a delimiter is "--" boundary at a line start, then
//       optional "--" (close), then only SP/HTAB/CR before the line end.
//       The line break before a delimiter belongs to it (RFC 2046 5.1.1).
//       Text before the first delimiter is preamble, after the close
//       delimiter epilogue (delimiters there are ignored). A missing close
//       delimiter ends the last part at the end of the enclosing body (an
//       outer boundary ends inner parts since each part is parsed within
//       its own range). No delimiter at all: one empty text/plain child.
//     * multipart without a boundary parameter: treated as text/plain;
//       charset=us-ascii (RFC 2045 5.2: an unusable Content-Type).
//     * limits: a multipart or message/rfc822|global part that would go
//       deeper than max_depth, or appear once max_parts parts exist, is
//       flattened to text/plain; charset=us-ascii (its raw bytes become the
//       text). A multipart stops taking children at max_parts. Work is
//       O(size x max_depth) (each level scans its own body: ~1 s for 5 MB
//       nested 64 deep at -O2), memory O(size); recursion depth max_depth.
//   message/rfc822 and message/global are parsed as messages whatever
//   their Content-Transfer-Encoding.
// - Text values: lines (text/*, message/*) are counted as line feeds plus
//   one for a last line without one; size is the body range's length.
//   Parameter values have RFC 2231 continuations joined and charsets
//   (us-ascii, utf-8, iso-8859-1, windows-1252) decoded into UTF-8; an
//   unknown charset leaves the bytes as UTF-8 with invalid bytes replaced
//   by U+FFFD. Other values keep the header's bytes, unfolded and trimmed.
// - Envelope: the raw forms (unfolded, encoded words kept) are what IMAP
//   ENVELOPE sends; *_utf8 forms have RFC 2047 encoded words decoded
//   (B and Q, encoded text without '?' or whitespace; the four charsets
//   above; unknown charsets and malformed words left as they are; invalid UTF-8 outside words becomes U+FFFD).
// - Serialization (bodystructure, envelope) builds IMAP text: NIL, quoted
//   strings with \ and " escaped, and literals {n}CRLF for strings with CR,
//   LF, or 8-bit bytes (8-bit is quoted only when utf8_accepted and the
//   string is valid UTF-8). NUL bytes are dropped. Keywords are upper case
//   ("TEXT" "PLAIN" ("CHARSET" "us-ascii") ... "7BIT"). A parameter value
//   with 8-bit bytes when !utf8_accepted is sent RFC 2231-encoded as
//   name*="utf-8''%XX...". Results depend only on the Part, so imapd may
//   cache them.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace parley::mime {

struct Limits {
  std::size_t max_depth = 64;          // nesting of multipart and message parts
  std::size_t max_parts = 5000;        // parts in the whole tree, root included
  std::size_t max_header_bytes = 256 * 1024;  // read of each header block
  std::size_t max_message_bytes = std::size_t{1} << 31;
};

struct Range {
  std::size_t offset = 0;
  std::size_t length = 0;
  std::size_t end() const { return offset + length; }
  bool operator==(const Range&) const = default;
};

struct Param {
  std::string name;   // lower case
  std::string value;  // decoded (see above)
  bool operator==(const Param&) const = default;
};

// One entry of an IMAP address list. A group is a start entry (mailbox =
// group name, host absent) then its members then an end entry (everything
// absent), as IMAP sends them (RFC 9051 7.5.2).
struct Address {
  std::optional<std::string> name;       // display name as in the header (words joined by one space)
  std::optional<std::string> name_utf8;  // the same with RFC 2047 words decoded
  std::optional<std::string> adl;        // obsolete source route "@a,@b"
  std::optional<std::string> mailbox;    // local part; group name for a group start
  std::optional<std::string> host;       // domain; ".MISSING-HOST-NAME." when the address had none
  bool group_start() const { return !host && mailbox; }
  bool group_end() const { return !host && !mailbox; }
};

struct Envelope {
  std::optional<std::string> date;
  std::optional<std::string> subject;       // unfolded, encoded words kept
  std::optional<std::string> subject_utf8;  // decoded
  std::vector<Address> from, sender, reply_to, to, cc, bcc;  // sender, reply_to default to from
  std::optional<std::string> in_reply_to;
  std::optional<std::string> message_id;
};

struct Part {
  // The IMAP part number of this entity: "1", "2.1", ...; "" for a
  // multipart top-level message. A message node (the root, or the child of
  // a message/rfc822 part numbered N) carries N if multipart (its parts
  // are N.1, N.2, ...) and N.1 otherwise (the root: "" or "1").
  std::string section;
  Range header;  // header fields and the empty line after them
  Range body;
  std::string type = "text";
  std::string subtype = "plain";
  std::vector<Param> params;
  std::optional<std::string> id, description, md5, location;
  std::string encoding = "7bit";  // lower case
  std::optional<std::string> disposition;  // lower case
  std::vector<Param> disposition_params;
  std::vector<std::string> language;
  std::size_t lines = 0;  // of the body
  // multipart: its body parts. message/rfc822|global: exactly one, the
  // encapsulated message node.
  std::vector<Part> children;
  // Set on message nodes (the root, and the child of a message part).
  std::optional<Envelope> envelope;

  bool multipart() const { return type == "multipart" && !children.empty(); }
  bool message() const { return type == "message" && children.size() == 1; }
  const Param* param(std::string_view name) const;
};

[[nodiscard]] Result<Part> parse(std::string_view message, const Limits& limits = {});

// The envelope of a header block alone (as parse() fills it on message nodes).
Envelope parse_envelope(std::string_view header, std::size_t max_header_bytes = Limits{}.max_header_bytes);

// An address list field's value (unfolded or not).
std::vector<Address> parse_addresses(std::string_view value);

// RFC 2047 encoded words in `text` decoded into UTF-8 (see above).
std::string decode_words(std::string_view text);

// `bytes` in `charset` (the four above) as UTF-8, invalid bytes U+FFFD; nullopt for other charsets.
namespace detail {
std::optional<std::string> to_utf8(std::string_view bytes, std::string_view charset);
}  // namespace detail

// IMAP BODY (extensible = false) or BODYSTRUCTURE (true) of a part tree.
std::string bodystructure(const Part& part, bool extensible, bool utf8_accepted = false);

// IMAP ENVELOPE.
std::string envelope(const Envelope& env, bool utf8_accepted = false);

// IMAP string: quoted or literal (see above).
void append_string(std::string& out, std::string_view s, bool utf8_accepted);

// A BODY[...] section spec resolved against a parsed message: the bytes to
// serve are message.substr(range), filtered by header_fields(..., fields,
// fields_not) when header_fields is set.
struct Section {
  Range range;
  bool header_fields = false;
  bool fields_not = false;
  std::vector<std::string> fields;  // as given (compared case-insensitively)
};

// spec: what is between the brackets, without <partial>: "", "1", "1.2",
// "2.HEADER", "2.TEXT", "1.MIME", "HEADER.FIELDS (From To)",
// "1.HEADER.FIELDS.NOT (X-A \"X-B\")", "TEXT" (case-insensitive).
// Errors: Errc::syntax for a malformed spec; Errc::not_found for a part
// number that does not exist, or HEADER/TEXT/HEADER.FIELDS on a part that
// is not message/rfc822|global.
[[nodiscard]] Result<Section> find_section(const Part& root, std::string_view spec);

// The header fields of `header` (a header block as stored) whose names are
// in `names` (or not, when `exclude`), each with its folded lines as stored,
// then the empty line CRLF (RFC 9051 6.4.5 HEADER.FIELDS).
std::string header_fields(std::string_view header, const std::vector<std::string>& names, bool exclude);

// BINARY[section] content: the part's body with its Content-Transfer-Encoding
// removed (7bit, 8bit, binary as they are; base64 and quoted-printable
// decoded leniently: base64 ignores non-alphabet bytes, malformed QP "="
// sequences stay as they are). Errc::invalid for any other encoding (IMAP
// [UNKNOWN-CTE]); Errc::internal when the part's range is not within
// `message`.
[[nodiscard]] Result<std::string> decode_body(const Part& part, std::string_view message);

}  // namespace parley::mime
