// directory: domains, accounts, aliases, forwarders, groups, settings and
// credentials; answers address resolution and authentication for every
// other process, and administration for parleyd.
// Untrusted input: requests from the processes that use it (ipc
// "directory": resolve, SASL steps, digest responses) — parsed and bounded
// as if the sender were compromised. Administration comes only from
// parleyd (ipc "admin", mode 0600).
// Privileges: user parley-directory; reads and writes only its own data
// directory (DATA_DIR/directory, LMDB); password hashes never leave it.
#include "daemon/daemon.h"
#include "process_settings.h"
#include "service.h"

int main(int argc, char** argv) {
  return parley::daemon::run(argc, argv, {
      .name = "directory",
      .serves = {"directory", "admin"},
      .settings = {parley::directory::settings_section()},
      // argon2 runs on a thread pool: thread creation happens at start-up.
      .start = &parley::directory::start,
  });
}
