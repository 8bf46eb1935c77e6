// The documents of SIP presence and its sister event packages, pure (no
// I/O, no clock):
//   - PIDF (RFC 3863): parsed from a PUBLISH body (each tuple's id, basic
//     status, contact and notes; the presence element's notes), built for
//     NOTIFY, and several devices' documents aggregated into one;
//   - dialog-info (RFC 4235): built, full state;
//   - message-summary (RFC 3842): built.
//
// Untrusted input: the PIDF text (a PUBLISH body). It is parsed with expat,
// whole, under the limits below; a document type declaration is refused
// (no entity expansion), and so is anything that is not a well-formed PIDF
// presence element. Errors: Errc::limit for a document over the limits,
// Errc::syntax for malformed XML or a document that is not PIDF.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace parley::sip {

inline constexpr std::size_t kMaxPidfBytes = 64 * 1024;  // a device's presence, a few hundred bytes in practice
inline constexpr std::size_t kMaxPidfTuples = 32;
inline constexpr std::size_t kMaxPidfNotes = 16;
inline constexpr std::size_t kMaxPidfDepth = 32;    // extensions nest; nothing sane nests deeper
inline constexpr std::size_t kMaxPidfText = 1024;   // a note, a contact, an id

inline constexpr std::string_view kPidfType = "application/pidf+xml";
inline constexpr std::string_view kDialogInfoType = "application/dialog-info+xml";
inline constexpr std::string_view kMessageSummaryType = "application/simple-message-summary";

struct PresenceTuple {
  std::string id;
  bool open = false;  // basic status "open"; "closed" otherwise
  std::string contact;
  std::vector<std::string> notes;
};

struct Presence {
  std::string entity;  // "pres:user@domain" or "sip:user@domain"
  std::vector<PresenceTuple> tuples;
  std::vector<std::string> notes;  // the presence element's own
};

// A PUBLISH body: a <presence> of the PIDF namespace with at least one
// tuple, each with a status whose basic is "open" or "closed".
Result<Presence> parse_pidf(std::string_view xml);

// The PIDF text of `presence` (text escaped; ids made XML-safe).
std::string build_pidf(const Presence& presence);

// One document for `entity` out of several devices' documents: every
// tuple, open ones first (watchers that read one tuple read the first),
// ids made unique; notes of the presence elements kept once each.
Presence aggregate(std::string entity, const std::vector<Presence>& documents);

// One dialog of dialog-info (RFC 4235 4.1).
struct DialogState {
  std::string id;  // unique within the document
  std::string call_id;
  std::string local_tag, remote_tag;  // may be empty while trying
  bool initiator = false;             // the watched account called
  std::string state;                  // trying, proceeding, early, confirmed, terminated
  std::string remote;                 // the other party's URI
};

// A full-state dialog-info document for `entity` at `version`.
std::string build_dialog_info(const std::string& entity, std::uint32_t version, const std::vector<DialogState>& dialogs);

// A message-summary body (RFC 3842 5.2): Messages-Waiting, Message-Account,
// and a Text-Message line (RFC 3458's class for e-mail) with new and old
// counts: new = unseen, old = messages - unseen.
std::string build_message_summary(const std::string& account_uri, std::uint32_t messages, std::uint32_t unseen);

// XML character data and attribute text, escaped.
std::string xml_escape(std::string_view text);

}  // namespace parley::sip
