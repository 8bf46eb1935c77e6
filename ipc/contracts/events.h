// Pub/sub topics. Published on local-delivery's endpoint "events"; imapd
// subscribes. Events are hints: a subscriber that missed one re-reads.
#pragma once

#include "ipc/contract.h"
#include "schema/store.pb.h"

namespace parley::contracts {

// "mailbox." + account: a change committed in one of the account's
// mailboxes (a delivery). The event's account equals the key.
inline constexpr ipc::Topic<schema::MailboxEvent> kMailboxChanged{"mailbox."};

}  // namespace parley::contracts
