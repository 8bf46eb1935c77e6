// The media process's service: the relay's ipc endpoints ("relay" for
// sipd, "admin" for parleyd), its "events" publisher and the sweep that
// ends calls without media.
#pragma once

#include <memory>

#include "daemon/daemon.h"

namespace parley::media {

Result<std::unique_ptr<daemon::Service>> start(daemon::Context& ctx);

}  // namespace parley::media
