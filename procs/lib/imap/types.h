// IMAP value types shared by the command parser and the response encoders
// (RFC 9051, RFC 3501): sequence sets, dates, search keys, fetch items.
// Pure: no I/O.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace parley::imap {

// A sequence set: message sequence numbers or UIDs (RFC 9051 9 sequence-set),
// or "$" (RFC 5182, the result saved by SEARCH RETURN (SAVE)).
// `*` is stored as kStar and resolved against the largest number in use.
struct SequenceSet {
  static constexpr std::uint32_t kStar = 0;  // "*" (0 is never a valid number)

  struct Range {
    std::uint32_t first = 1;  // as written: "5:3" keeps first=5, last=3
    std::uint32_t last = 1;
    bool operator==(const Range&) const = default;
  };

  bool saved = false;         // "$": ranges is empty
  std::vector<Range> ranges;  // at least one unless saved

  // Whether n is in the set when the largest number in use is `max`
  // ("*" = max; with max == 0, "*" matches nothing). `saved` sets contain
  // nothing here: the session substitutes the saved result.
  bool contains(std::uint32_t n, std::uint32_t max) const;

  // The set resolved against `max` as sorted, disjoint, non-adjacent
  // inclusive intervals. Its size is bounded by ranges.size(), whatever the
  // numbers: iterate these, never 1..4294967295.
  std::vector<std::pair<std::uint32_t, std::uint32_t>> intervals(std::uint32_t max) const;

  bool operator==(const SequenceSet&) const = default;
};

// "1:3,7,9:10": sorts and deduplicates `numbers` (zeros are dropped), then
// joins runs. Empty input gives "".
std::string format_sequence_set(std::vector<std::uint32_t> numbers);

// "*" for kStar, the decimal number otherwise.
std::string format_sequence_set(const SequenceSet& set);

struct Date {  // RFC 9051 date: "1-Feb-1994"
  int year = 0;
  int month = 0;  // 1..12
  int day = 0;    // 1..31 (checked against the month)
  bool operator==(const Date&) const = default;
};

struct DateTime {                // RFC 9051 date-time: "17-Jul-1996 02:44:25 -0700"
  std::int64_t unix_time = 0;    // the instant, seconds since 1970 UTC
  int zone_minutes = 0;          // -0700 -> -420
  bool operator==(const DateTime&) const = default;
};

// Date-time as IMAP writes it, with its double quotes:
// "\"17-Jul-1996 02:44:25 -0700\"". `zone_minutes` in [-1439, 1439].
std::string format_date_time(std::int64_t unix_time, int zone_minutes = 0);

// ---- SEARCH (RFC 9051 6.4.4, RFC 7162 3.1.5 MODSEQ, RFC 5032 WITHIN) ----

struct SearchKey {
  enum class Kind {
    all, answered, bcc, before, body, cc, deleted, draft, flagged, from, header,
    keyword, larger, new_, not_, old, on, or_, recent, seen, sentbefore, senton,
    sentsince, since, smaller, subject, text, to, uid, unanswered, undeleted,
    undraft, unflagged, unkeyword, unseen, sequence,  // a bare sequence set
    and_,                                             // "(" keys ")" and the top level
    modseq, older, younger,
  };
  Kind kind = Kind::all;
  std::string field;            // HEADER field name; MODSEQ entry name (as given)
  std::string value;            // strings, keyword; MODSEQ entry type ("priv", "shared", "all")
  std::uint64_t number = 0;     // LARGER, SMALLER, MODSEQ, OLDER, YOUNGER
  Date date;                    // BEFORE, ON, SINCE, SENT*
  SequenceSet set;              // UID, sequence
  std::vector<SearchKey> children;  // NOT: 1, OR: 2, and_: 1 or more
};

struct SearchReturn {  // RFC 4731 / RFC 9051 search-return-opt, RFC 5182 SAVE
  bool requested = false;  // a RETURN (...) was given (ESEARCH answer)
  bool min = false, max = false, all = false, count = false, save = false;
};

enum class SortKey { arrival, cc, date, from, size, subject, to, display_from, display_to };
struct SortCriterion {
  bool reverse = false;
  SortKey key = SortKey::arrival;
};

// ---- FETCH (RFC 9051 6.4.5, RFC 3516 BINARY, RFC 7162 MODSEQ) ----

struct Section {                 // "[1.2.HEADER.FIELDS (From To)]"
  std::vector<std::uint32_t> part;  // 1.2 -> {1, 2}; empty for the whole message
  enum class Text { none, header, header_fields, header_fields_not, text, mime };
  Text text = Text::none;
  std::vector<std::string> fields;  // HEADER.FIELDS(.NOT), as given
};

struct Partial {  // "<offset.length>"
  std::uint64_t offset = 0;
  std::uint64_t length = 0;  // >= 1
};

struct FetchAtt {
  enum class Item {
    envelope, flags, internaldate, rfc822, rfc822_header, rfc822_size, rfc822_text,
    body,           // BODY without a section: the non-extensible structure
    bodystructure, uid, modseq,
    body_section,   // BODY[...] / BODY.PEEK[...]
    binary,         // BINARY[...] / BINARY.PEEK[...]
    binary_size,    // BINARY.SIZE[...]
  };
  Item item = Item::flags;
  bool peek = false;
  Section section;                 // body_section, binary, binary_size (binary: part only)
  std::optional<Partial> partial;  // body_section, binary
};

struct FetchModifiers {  // RFC 7162
  std::optional<std::uint64_t> changedsince;
  bool vanished = false;  // UID FETCH only, with CHANGEDSINCE
};

// ---- STORE ----
struct StoreAction {
  enum class Op { replace, add, remove };  // FLAGS, +FLAGS, -FLAGS
  Op op = Op::replace;
  bool silent = false;
  std::vector<std::string> flags;                // as written ("\\Seen", "$Junk")
  std::optional<std::uint64_t> unchangedsince;   // RFC 7162
};

// ---- LIST (RFC 9051 6.3.9, RFC 5258, RFC 6154, RFC 5819) ----
enum class StatusItem { messages, uidnext, uidvalidity, unseen, deleted, size, recent, highestmodseq, appendlimit };

struct ListOptions {
  bool extended = false;  // selection or return options were given (LIST-EXTENDED reply)
  bool select_subscribed = false, select_remote = false, select_recursivematch = false,
       select_special_use = false;
  bool return_subscribed = false, return_children = false, return_special_use = false;
  std::optional<std::vector<StatusItem>> return_status;  // RETURN (STATUS (...))
};

// ---- SELECT / EXAMINE (RFC 7162) ----
struct QresyncParams {
  std::uint32_t uidvalidity = 0;
  std::uint64_t modseq = 0;
  std::optional<SequenceSet> known_uids;
  std::optional<std::pair<SequenceSet, SequenceSet>> seq_match;  // (known sequence set, known uid set)
};

struct SelectParams {
  bool condstore = false;
  std::optional<QresyncParams> qresync;
};

}  // namespace parley::imap
