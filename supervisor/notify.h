// sd_notify, never blocking: parleyd's event loop must not stall on a
// notification socket whose reader is slow (libsystemd's sd_notify sends
// with a blocking sendmsg). A message that would block is dropped: systemd
// reads its socket promptly, and STATUS lines are superseded anyway.
// Without NOTIFY_SOCKET (not started by systemd) this does nothing.
#pragma once

#include <string_view>

namespace parley::supervisor {

void notify(std::string_view message);

}  // namespace parley::supervisor
