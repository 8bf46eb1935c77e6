// Mailbox names and access rights as a reader of the store sees them: one
// place that says which mailbox a client's name means for a logged-in
// account and what that account may do there, so that every reader (imapd
// now, httpd later) enforces the same thing (docs/store.md#names-and-rights).
// Protocol-neutral: the caller words the outcomes for its clients.
//
// Names. A client names mailboxes in three namespaces (RFC 2342), with "/"
// as the hierarchy delimiter:
//   NAME                 the viewer's own mailbox NAME
//   ~OWNER/NAME          OWNER's mailbox NAME (other users); OWNER is
//                        matched case-insensitively, "~me/NAME" is "NAME"
//   #public/NAME         the public mailbox NAME (owner kPublicAccount)
// In the last two, a first level spelled "inbox" in any case is "INBOX",
// as it is in one's own names (the store's rule). Names are keys, never
// paths: "~alice/../bob/INBOX" is alice's mailbox "../bob/INBOX".
//
// Rights are RFC 4314's letters (kAllRights, `right::`). A viewer holds
// every right on its own mailboxes, and so does a public administrator on
// the public ones; anyone else has what the mailbox's ACL gives it
// (effective_rights). A mailbox on which the viewer lacks "l" does not
// exist for it (RFC 4314 6): open() says Errc::not_found, as for a mailbox
// that is not there. Rights that cannot be read count as none (fail closed).
//
// Errors (typed; the protocol words them):
//   Errc::syntax     the name does not parse: "~" without an owner or a
//                    mailbox ("~", "~/x", "~bob", "~bob/")
//   Errc::invalid    the store refuses the name: an empty level ("a//b",
//                    "#public/"), a wildcard, a bad owner ("~#team/x"), ...
//   Errc::not_found  no such mailbox (an unknown owner's too), or one the
//                    viewer may not see
//   Errc::denied     the viewer may see it but lacks the right asked for
//   other codes      the store failed (Errc::io, Errc::internal)
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "store/store.h"

namespace parley::store {

constexpr char kDelimiter = '/';
constexpr std::string_view kOtherUsersPrefix = "~";     // ~OWNER/NAME
constexpr std::string_view kPublicPrefix = "#public/";  // #public/NAME

// The RFC 4314 rights (2.1), by what they let a viewer do.
namespace right {
constexpr char lookup = 'l';          // see the mailbox (in lists, and that it exists at all)
constexpr char read = 'r';            // open it and read its messages
constexpr char seen = 's';            // keep \Seen
constexpr char write = 'w';           // keep other flags and keywords
constexpr char insert = 'i';          // add messages (append, copy into)
constexpr char post = 'p';            // send mail to its submission address (not used yet)
constexpr char create = 'k';          // create mailboxes below it
constexpr char delete_mailbox = 'x';  // delete or rename it
constexpr char delete_message = 't';  // set or clear \Deleted
constexpr char expunge = 'e';         // expunge deleted messages
constexpr char administer = 'a';      // read and change its ACL
}  // namespace right

// Who asks: a logged-in account, and whether it administers the public
// namespace.
struct Viewer {
  std::string account;
  bool public_admin = false;
};
// `account`, a public administrator when `public_admins` lists it.
Viewer viewer_of(std::string account, const std::vector<std::string>& public_admins);

// A mailbox as a client names it, resolved for a viewer.
struct MailboxRef {
  std::string owner;   // the store account ("alice@example.test", "#public")
  std::string name;    // the name in the owner's store ("INBOX", "Lists/dev")
  std::string client;  // the client's name ("~alice@example.test/Lists/dev"; "Lists/dev" for one's own)
  // The viewer's own mailbox: only then is the client's name the store's.
  bool personal() const { return client == name; }
};

// The mailbox `client_name` names for `viewer`. Only the namespace is
// parsed here (Errc::syntax); whether the store takes the name is the
// store's to say when it is used (Errc::invalid). A name in one's own
// namespace is passed on as the client wrote it; `client` is that name too,
// except that "~me/x" becomes "x".
Result<MailboxRef> resolve(const Viewer& viewer, std::string_view client_name);
// `owner`'s mailbox `name` by the name `viewer` knows it by ("NAME",
// "~OWNER/NAME", "#public/NAME"): what a listing shows; resolve() takes
// that name back to the same owner and name.
MailboxRef ref_for(const Viewer& viewer, std::string owner, std::string name);

// The viewer's effective rights on `owner`'s mailbox `mailbox_id`, in
// kAllRights order: all of them on its own and, for a public administrator,
// on kPublicAccount's; else the ACL's (effective_rights); "" when they
// cannot be read.
std::string rights(const Snapshot& snap, const Viewer& viewer, std::string_view owner, std::uint64_t mailbox_id);

// The checks, on rights as rights() gives them.
inline bool has_right(std::string_view rights, char letter) { return rights.find(letter) != std::string_view::npos; }
// Any change to the messages at all: flags, new messages, expunges ("s",
// "w", "i", "t" or "e"). A viewer without one only reads.
bool may_modify(std::string_view rights);
// Setting or clearing `flags` on messages (RFC 4314 4): \Seen needs "s",
// \Deleted "t", any other flag or keyword "w". Replacing a message's flags
// (`replace`) needs any one of the three.
bool may_change_flags(std::string_view rights, const Flags& flags, bool replace);
// Moving messages out: expunging them ("e") after marking them ("t").
bool may_move_out(std::string_view rights);

// A mailbox found for a viewer, with the viewer's rights on it.
struct Found {
  MailboxRef ref;
  Mailbox box;
  std::string rights;
};
// The mailbox `ref` names, whatever the viewer's rights (the caller checks
// them): Errc::invalid, Errc::not_found or a store failure from the lookup.
Result<Found> find(const Snapshot& snap, const Viewer& viewer, MailboxRef ref);
Result<Found> find(const Store& store, const Viewer& viewer, MailboxRef ref);
// resolve(), then find() for a viewer that may see the mailbox (else
// Errc::not_found) and holds `right` on it (else Errc::denied): reading it
// is open(..., right::read).
Result<Found> open(const Snapshot& snap, const Viewer& viewer, std::string_view client_name, char right);

// Whether `viewer` may create `ref`: always in its own namespace, always
// in the public one for a public administrator, else with "k" on the
// parent mailbox (which must exist: a top-level name in another's
// namespace is never the viewer's to create).
bool may_create(const Store& store, const Viewer& viewer, const MailboxRef& ref);

}  // namespace parley::store
