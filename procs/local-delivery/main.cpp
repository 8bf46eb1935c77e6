// local-delivery: writes messages into local accounts' mailboxes. Takes
// local.deliver requests from the dequeuer, adds Return-Path and
// Delivered-To, stores each copy in the account's INBOX (creating the
// account's default mailboxes on first delivery), enforces the quota the
// directory gave, and answers per recipient only after the store has the
// message on disk (fsync). Delivery is idempotent per (queue id, account),
// so the dequeuer's retry after a crash never stores twice. Publishes a
// "mailbox changed" event with the mailbox's counts (IMAP IDLE, SIP
// message-summary), and answers sipd's local.mailbox_status (a mailbox's
// message and unseen counts; read-only) on the endpoint "status".
// Untrusted input: LocalDeliverRequest records from the dequeuer (checked:
// sizes, counts, account names); MailboxStatusRequest records from sipd
// (checked: account and mailbox names).
// Privileges: user parley-local-delivery, group parley-store: reads and
// writes the mail store (DATA_DIR/store, shared with imapd) and nothing
// else; calls the directory (accounts and their quotas, at delivery time).
#include "daemon/daemon.h"
#include "delivery.h"
#include "settings.h"

int main(int argc, char** argv) {
  return parley::daemon::run(argc, argv, {
      .name = "local-delivery",
      .serves = {"local", "events", "status"},
      .uses = {"directory"},
      .shares = {"store"},
      // The store sets its shared files' group permissions (the umask drops them).
      .syscalls = {"chmod", "fchmodat"},
      .settings = {parley::local::settings_section()},
      .start = &parley::local::start,
  });
}
