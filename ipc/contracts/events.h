// Pub/sub topics. Events are hints: a subscriber that missed one re-reads.
//
// kMailboxChanged is published on two endpoints "events":
//   local-delivery's: a delivery (uid: the new message);
//   imapd's: what its IMAP and POP3 sessions changed (flags such as \Seen,
//     expunges, appends, copies and moves; uid 0).
// imapd hears local-delivery's (IDLE; its own sessions it wakes itself);
// sipd hears both (message-summary, RFC 3842: the lamp goes on with a
// delivery and off when the mail is read or removed).
#pragma once

#include "ipc/contract.h"
#include "schema/store.pb.h"

namespace parley::contracts {

// "mailbox." + account: a change committed in one of the account's
// mailboxes. The event's account equals the key; messages and unseen are
// the mailbox's counts after the change (read after the commit, so they
// may already include a later one).
inline constexpr ipc::Topic<schema::MailboxEvent> kMailboxChanged{"mailbox."};

}  // namespace parley::contracts
