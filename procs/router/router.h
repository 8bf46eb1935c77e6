// The router process's service: router.enqueue, router.verify (smtpd) and
// router.route_signal (sipd; signal.h).
#pragma once

#include <memory>

#include "daemon/daemon.h"

namespace parley::router {

Result<std::unique_ptr<daemon::Service>> start(daemon::Context& ctx);

}  // namespace parley::router
