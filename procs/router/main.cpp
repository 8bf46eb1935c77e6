// router: takes each new message from smtpd (and sendmail, through smtpd),
// resolves every recipient through the directory (aliases, forwarders,
// groups, sub-addresses) and the router table, refuses routing loops,
// writes the message once into the queue's spool and commits its queue
// entry durably (many messages per commit under load), then acknowledges:
// smtpd answers 250 only after that.
// Untrusted input: EnqueueRequest records from smtpd (checked as if smtpd
// were compromised: ids, sizes, recipient counts).
// Privileges: user parley-router, group parley-queue: writes DATA_DIR/queue
// (shared with the dequeuer) and nothing else; calls directory (resolve)
// and dequeuer (a hint that new mail is queued).
#include "daemon/daemon.h"
#include "router.h"
#include "settings.h"

int main(int argc, char** argv) {
  return parley::daemon::run(argc, argv, {
      .name = "router",
      .serves = {"router"},
      .uses = {"directory", "dequeuer"},
      .shares = {"queue"},
      .settings = {parley::router::settings_section()},
      // The queue committer is a thread started at start-up.
      .start = &parley::router::start,
  });
}
