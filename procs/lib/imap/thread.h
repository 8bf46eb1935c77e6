// SORT and THREAD (RFC 5256) and the DISPLAYFROM / DISPLAYTO sort keys
// (RFC 5957). Pure: no I/O. The imapd session extracts the per-message
// values (decoded subjects, first addresses, dates, Message-IDs) and calls
// these; they order and group, nothing else.
//
// Strings are compared in a "comparable form": ASCII letters folded to
// upper case (what i;unicode-casemap's titlecase mapping gives for ASCII),
// every other byte compared as is. Full Unicode case folding and NFKD are
// not done: non-ASCII subjects that differ only in case sort apart.
//
// Limits: time O(n log n) in the number of messages (times the length of
// the strings compared and the number of references); no recursion, so a
// reference chain of any depth is safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "imap/types.h"

namespace parley::imap {

// The RFC 5256 2.1 base subject of `subject_utf8`, a subject already
// decoded to UTF-8 (RFC 2047 encoded-words decoded by the caller), in
// comparable form: tabs, CR and LF become spaces and runs of spaces one
// space; then, repeatedly, trailing "(fwd)" and spaces, leading "Re:",
// "Fw:", "Fwd:" (each with optional "[blob]"s before the colon and before
// the word), leading "[blob]"s (unless nothing would remain) and a
// "[Fwd: ...]" wrapper are removed.
std::string base_subject(std::string_view subject_utf8);

// The msg-ids in a Message-ID, References or In-Reply-To value
// ("<a@b> (comment) <c@d>"), in order, without angle brackets, normalized so
// that quoting does not matter (RFC 5256 2.2): quoted strings are unquoted,
// whitespace and comments inside the brackets dropped. An id needs a
// non-empty part before and after its last "@"; anything else between or
// inside brackets (comments, phrases, quoted strings, stray text) is skipped.
// Case is kept: Message-ID comparisons are case-sensitive.
std::vector<std::string> parse_msg_ids(std::string_view value);

// ---- SORT (RFC 5256 3, RFC 5957) ----

struct SortMessage {
  std::uint32_t id = 0;         // what the response lists: sequence number or UID
  std::uint32_t uid = 0;        // final tie-break (UID order is sequence order)
  std::int64_t arrival_ms = 0;  // INTERNALDATE (ARRIVAL)
  std::int64_t sent = 0;        // Date: in UTC seconds; the caller substitutes the
                                // INTERNALDATE when it is missing or unparsable (DATE)
  std::uint64_t size = 0;       // RFC822.SIZE (SIZE)
  std::string subject;          // decoded UTF-8, before base_subject (SUBJECT)
  std::string from, to, cc;     // addr-mailbox (local part) of the first address,
                                // "" when there is none (FROM, TO, CC)
  std::string display_from;     // RFC 5957: display name of the first From address
  std::string display_to;       // (decoded), else its addr-spec, else ""
};

// The ids of `messages` in the order `criteria` gives, each key reversed
// when asked; messages equal under every key keep UID order (never
// reversed). Empty `criteria` gives UID order. Strings compare in comparable
// form; SUBJECT compares base subjects.
std::vector<std::uint32_t> sort_messages(std::vector<SortMessage> messages,
                                         const std::vector<SortCriterion>& criteria);

// ---- THREAD (RFC 5256 2.2, 4) ----

struct ThreadMessage {
  std::uint32_t id = 0;   // what the response lists: sequence number or UID
  std::uint32_t uid = 0;  // mailbox order: the tie-break, and which of two
                          // messages with one Message-ID keeps it
  std::int64_t sent = 0;  // as SortMessage::sent
  std::string subject;    // decoded UTF-8, before base_subject
  std::string message_id; // the first of parse_msg_ids(Message-ID), "" if none
  // parse_msg_ids(References); when that is empty, the first of
  // parse_msg_ids(In-Reply-To) alone; else empty. Header order.
  std::vector<std::string> references;
};

// One node of a thread forest. A forest is a vector of these in pre-order:
// each thread's first node has depth 0 and a node's children follow it
// directly at depth + 1, in thread order. Flat so that no walk, copy or
// destruction recurses, whatever the depth.
struct ThreadNode {
  std::uint32_t id = 0;     // 0: a dummy, the missing parent of its children
  std::uint32_t depth = 0;
  bool operator==(const ThreadNode&) const = default;
};
using ThreadForest = std::vector<ThreadNode>;

// ORDEREDSUBJECT: messages grouped by base subject; in each group the first
// by (sent, uid) is the thread's root and the others, in (sent, uid) order,
// its children; threads ordered by their root's (sent, uid). No dummies.
ThreadForest thread_orderedsubject(std::vector<ThreadMessage> messages);

// REFERENCES, RFC 5256 2.2 steps 1-6: parent/child links from references
// (missing ones become dummies; links that would make a loop are not made;
// a Message-ID seen again in a later message (by uid) counts as absent
// there), dummies pruned (only a top-level dummy with two or more children
// survives), threads with one base subject merged, siblings ordered by
// (sent, uid), a dummy by its first child.
ThreadForest thread_references(std::vector<ThreadMessage> messages);

// The THREAD response data after "* THREAD " (RFC 5256 4), e.g.
// "(1 2)(3 (4)(5))": "" for an empty forest. A dummy writes no number, so a
// top-level dummy with children 1 and 2 is "((1)(2))". `forest` should be
// well formed: depth 0 first, each depth at most one more than the one
// before (larger steps are taken as one), every dummy with a child.
std::string format_threads(const ThreadForest& forest);

}  // namespace parley::imap
