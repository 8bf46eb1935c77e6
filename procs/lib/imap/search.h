// SEARCH keys (RFC 9051 6.4.4, RFC 3501 6.4.4, RFC 7162 3.1.5 MODSEQ,
// RFC 5032 OLDER/YOUNGER, RFC 5182 "$") evaluated against one message.
// Pure: reads what SearchMessage gives it, no I/O of its own.
//
// Semantics
// - Flags: ANSWERED, DELETED, DRAFT, FLAGGED, SEEN and their UN- forms test
//   system_flags(); KEYWORD/UNKEYWORD compare keywords() ASCII
//   case-insensitively. RECENT is recent(), NEW recent() and not \Seen, OLD
//   not recent().
// - Numbers: LARGER n is size() > n, SMALLER n is size() < n; MODSEQ n is
//   modseq() >= n (the entry name and type are ignored: there is one
//   mod-sequence per message). A bare sequence set tests seq() against
//   ctx.max_seq, UID tests uid() against ctx.max_uid ("*" is that maximum;
//   with a maximum of 0 "*" matches nothing). "$" (set.saved), bare or
//   after UID, tests uid() against ctx.saved; none or empty matches
//   nothing.
// - Dates compare calendar days, the time of day ignored:
//   BEFORE/ON/SINCE take the day of internal_date_ms() in ctx.zone_minutes;
//   SENTBEFORE/SENTON/SENTSINCE the day of the Date: field as written, in
//   its own zone (mail::parse_rfc5322_date). A message without a Date:
//   field that parses (or whose raw() is nullptr) uses its internal date
//   as for BEFORE/ON/SINCE. BEFORE is <, ON ==, SINCE >= that day.
// - OLDER n: the internal date is more than n seconds before ctx.now;
//   YOUNGER n: at most n seconds before it (or after it), so NOT OLDER n is
//   YOUNGER n.
// - Strings are substrings, compared after case folding both sides: ASCII
//   letters, plus the simple lowercase mappings of Latin-1 Supplement,
//   Latin Extended-A, Greek (final sigma as sigma) and Cyrillic capitals
//   (U+00C0-U+00DE, U+0100-U+017F, U+0386-U+03AB, U+0400-U+042F; also
//   U+00B5 and U+017F as their case folds). Other code points and bytes
//   that are not UTF-8 compare as they are. The empty string matches
//   every message having the field (header keys) or that can be read
//   (BODY, TEXT).
//   * FROM, TO, CC, BCC, SUBJECT, HEADER name: each field of that name in
//     the message's header (not those of its parts), unfolded, RFC 2047
//     words decoded (mime::decode_words). HEADER name "" thus matches
//     every message having the field.
//   * BODY: the text of the body: every text/* part, and the top-level
//     body when the message is not multipart, descending into multiparts
//     and into message/rfc822|global parts (their bodies; not their
//     headers). Each with its Content-Transfer-Encoding removed (an
//     unknown one: the bytes as they are) and its charset converted to
//     UTF-8 (us-ascii, a missing charset and unknown ones are read as
//     UTF-8, invalid bytes U+FFFD). Parts are searched separately: a
//     string never matches across two.
//   * TEXT: BODY, or the header of the message or of any part (MIME
//     header fields, the headers of attached messages), each field
//     unfolded with RFC 2047 words decoded.
//   A message whose raw() (or part(), for BODY and TEXT) is nullptr
//   matches no string key.
// - NOT, OR, and_ ("(...)" and the top level) as their names say; the
//   parser bounds the depth (imap::kMaxDepth), evaluation recurses.
//
// Cost: flags, numbers and dates are O(1). A string key is linear in the
// header or decoded body; within one matches() call the folded body and
// header texts are built at most once, whatever the number of keys.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "imap/types.h"
#include "mime/mime.h"

namespace parley::imap {

// What SEARCH knows of one message. The session implements it; raw() and
// part() may load lazily: only string and SENT* keys call them (see
// needs_body).
class SearchMessage {
 public:
  // system_flags() bits, the same values as store.h kSeen ... kDraft.
  static constexpr std::uint32_t kSeen = 1u << 0;
  static constexpr std::uint32_t kAnswered = 1u << 1;
  static constexpr std::uint32_t kFlagged = 1u << 2;
  static constexpr std::uint32_t kDeleted = 1u << 3;
  static constexpr std::uint32_t kDraft = 1u << 4;

  virtual ~SearchMessage() = default;
  virtual std::uint32_t seq() const = 0;
  virtual std::uint32_t uid() const = 0;
  virtual std::uint32_t system_flags() const = 0;
  virtual const std::vector<std::string>& keywords() const = 0;  // as stored; compared ASCII case-insensitively
  virtual std::uint64_t size() const = 0;                        // RFC822.SIZE
  virtual std::int64_t internal_date_ms() const = 0;             // ms since 1970 UTC
  virtual std::uint64_t modseq() const = 0;
  // IMAP4rev1 \Recent for this session (RECENT, NEW, OLD); false by default.
  virtual bool recent() const { return false; }
  // The whole message; nullptr when it cannot be read. The pointee must
  // stay valid until matches() returns.
  virtual const std::string* raw() = 0;
  // The MIME tree of raw() (mime::parse); nullptr likewise.
  virtual const mime::Part* part() = 0;
};

struct SearchContext {
  std::uint32_t max_seq = 0;  // "*" in a bare sequence set: the number of messages
  std::uint32_t max_uid = 0;  // "*" after UID: the largest UID in the mailbox
  const std::vector<std::uint32_t>* saved = nullptr;  // "$": the saved result, sorted UIDs; nullptr or empty: nothing
  std::int64_t now = 0;       // seconds since 1970 UTC, for OLDER/YOUNGER
  int zone_minutes = 0;       // the server's zone for BEFORE/ON/SINCE (0: UTC)
};

// Whether `message` satisfies `key` (see above).
bool matches(const SearchKey& key, SearchMessage& message, const SearchContext& ctx);

// Whether evaluating `key` may call raw() or part(): it holds a string key
// or a SENT* key somewhere (under NOT too). When false the session need
// not load the message.
bool needs_body(const SearchKey& key);

}  // namespace parley::imap
