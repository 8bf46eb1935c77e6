// dequeuer: owns the queue's delivery state. Schedules each queued message,
// hands local recipients to local-delivery and sends remote ones by SMTP
// (MX lookup, opportunistic STARTTLS, per-domain concurrency), retries
// temporary failures on a schedule, bounces permanent ones and expired ones
// with RFC 3464 reports (and sends delay and success reports when asked),
// and answers `parleyctl queue` through parleyd.
// Untrusted input: remote SMTP servers' replies and DNS answers; queue
// entries written by the router (checked as read).
// Privileges: user parley-dequeuer, group parley-queue: reads and writes
// DATA_DIR/queue (shared with the router) and nothing else; connects out
// to port 25 (or configured routes); calls local-delivery (deliveries) and
// router (new reports go through routing like any message); administration
// only from parleyd (ipc "admin", mode 0600).
#include "daemon/daemon.h"
#include "dequeuer.h"
#include "settings.h"

int main(int argc, char** argv) {
  return parley::daemon::run(argc, argv, {
      .name = "dequeuer",
      .serves = {"dequeuer", "admin"},
      .uses = {"local-delivery", "router"},
      .shares = {"queue"},
      .settings = {parley::dequeuer::settings_section()},
      .start = &parley::dequeuer::start,
  });
}
