// The router process's service: router.enqueue.
#pragma once

#include <memory>

#include "daemon/daemon.h"

namespace parley::router {

Result<std::unique_ptr<daemon::Service>> start(daemon::Context& ctx);

}  // namespace parley::router
