// The local-delivery process's service: local.deliver, and the "events"
// publisher (topic "mailbox.ACCOUNT": schema::MailboxEvent).
#pragma once

#include <memory>

#include "daemon/daemon.h"

namespace parley::local {

Result<std::unique_ptr<daemon::Service>> start(daemon::Context& ctx);

}  // namespace parley::local
