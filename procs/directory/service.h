// The directory process's running state: its store, the authenticator, and
// the two ipc services: "directory" (resolve, auth, digest; mode 0660, for
// the processes that use the directory) and "admin" (administration; mode
// 0600, for parleyd alone).
#pragma once

#include <memory>

#include "daemon/daemon.h"

namespace parley::directory {

Result<std::unique_ptr<daemon::Service>> start(daemon::Context& ctx);

}  // namespace parley::directory
