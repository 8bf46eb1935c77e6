// local.mailbox_status (ipc/contracts/local_delivery.h): a mailbox's
// message and unseen counts, for sipd's message-summary subscriptions
// (RFC 3842). Served on local-delivery's endpoint "status".
#pragma once

#include <string_view>

#include "core/result.h"
#include "schema/store.pb.h"
#include "store/store.h"

namespace parley::local {

// The counts of `request.mailbox()` ("" means INBOX) of `request.account()`,
// read from the store's mailbox record (the store keeps both counters in the
// same transaction as every append, flag change and expunge, so this is one
// LMDB read, whatever the mailbox holds).
//   value: the counts; zero of each for an account or mailbox that does not
//          exist (no delivery yet: the phone's lamp is simply off);
//   error(Errc::invalid): the request is not acceptable (account not an
//          address, names too long or with control characters, a reserved
//          account such as the public namespace); error(Errc::io or
//          Errc::internal): the store failed.
// The request comes from another process: checked as if hostile.
Result<schema::MailboxStatusReply> mailbox_status(const store::Store& store, const schema::MailboxStatusRequest& request);

// The counts of mailbox `mailbox_id` of `account` as they are now, for the
// "mailbox changed" events; zeros when the mailbox is gone.
Result<schema::MailboxStatusReply> mailbox_counts(const store::Store& store, std::string_view account,
                                                  std::uint64_t mailbox_id);

}  // namespace parley::local
