// local-delivery's service (procs/local-delivery). Records:
// schema/envelope.proto. Its events are in events.h.
#pragma once

#include "ipc/contract.h"
#include "schema/envelope.pb.h"
#include "schema/store.pb.h"

namespace parley::contracts {

// Endpoint "local": the dequeuer. One message for one or more accounts,
// answered per recipient; idempotent per (queue id, account).
inline constexpr ipc::Method<schema::LocalDeliverRequest, schema::LocalDeliverReply> kLocalDeliver{
    "local.deliver"};

// Endpoint "status": sipd. A mailbox's message and unseen counts
// (message-summary); read-only.
inline constexpr ipc::Method<schema::MailboxStatusRequest, schema::MailboxStatusReply> kMailboxStatus{
    "local.mailbox_status"};

}  // namespace parley::contracts
