// The seccomp allow-list every process installs after its start-up: what an
// event loop with sockets, timers, files, ZeroMQ's threads, LMDB and the
// logger needs, plus the process's own extras. Anything else (execve,
// ptrace, mount, setuid, module loading, ...) ends the process with SIGSYS
// under "enforce", or is logged by the kernel under "log".
#pragma once

#include <string_view>
#include <vector>

#include "core/result.h"

namespace parley::daemon {

enum class SeccompMode { enforce, log, off };

Result<SeccompMode> parse_seccomp_mode(std::string_view name);
Status install_seccomp(SeccompMode mode, const std::vector<std::string_view>& extra_syscalls);

}  // namespace parley::daemon
