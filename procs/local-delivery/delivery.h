// The local-delivery process's service: contracts::kLocalDeliver, and the
// "events" publisher (contracts::kMailboxChanged). See ipc/contracts/.
#pragma once

#include <memory>

#include "daemon/daemon.h"

namespace parley::local {

Result<std::unique_ptr<daemon::Service>> start(daemon::Context& ctx);

}  // namespace parley::local
