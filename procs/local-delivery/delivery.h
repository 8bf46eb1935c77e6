// The local-delivery process's services: contracts::kLocalDeliver ("local"),
// contracts::kMailboxStatus ("status", status.h), and the
// "events" publisher (contracts::kMailboxChanged). See ipc/contracts/.
#pragma once

#include <memory>

#include "daemon/daemon.h"

namespace parley::local {

Result<std::unique_ptr<daemon::Service>> start(daemon::Context& ctx);

}  // namespace parley::local
