// QUOTA (RFC 9208): GETQUOTAROOT and GETQUOTA report the account's usage
// against the quota the directory sets; SETQUOTA is refused (quotas are
// set in the directory, by an administrator). One quota root per account:
// "" for one's own, "~OWNER" for another's.
#include "imap/encoding.h"
#include "imap_session.h"

namespace parley::imapd {

Reply ImapSession::cmd_quota(const imap::Command& cmd) {
  if (cmd.verb == imap::Verb::setquota) return Reply::no("[NOPERM] Quotas are set by the administrator");
  std::string owner;
  std::string root;
  if (cmd.verb == imap::Verb::getquotaroot) {
    auto ref = resolve(cmd.mailbox);
    if (!ref) return Reply::no("[NONEXISTENT] " + ref.error().detail);
    auto box = server_.store().mailbox(ref->owner, ref->name);
    if (!box) return Reply::no("[NONEXISTENT] No such mailbox");
    owner = ref->owner;
    root = owner == account_ ? "" : std::string(store::kOtherUsersPrefix) + owner;
    untagged("QUOTAROOT " + imap::format_mailbox(ref->client, utf8()) + " " + imap::encode_astring(root));
  } else {
    root = cmd.quota_root;
    if (root.empty()) owner = account_;
    else return Reply::no("[NONEXISTENT] No such quota root");
  }
  if (owner != account_) return Reply::ok();  // another's usage is theirs to see
  auto used = server_.store().quota(owner);
  if (!used) return Reply::no("[UNAVAILABLE] Mail store unavailable");
  // STORAGE is in units of 1024 octets (RFC 9208 5.1).
  std::string resources;
  if (quota_bytes_ > 0) {
    resources = "STORAGE " + std::to_string((used->bytes + 1023) / 1024) + " " + std::to_string(quota_bytes_ / 1024);
  }
  untagged("QUOTA " + imap::encode_string(root) + " (" + resources + ")");
  return Reply::ok();
}

}  // namespace parley::imapd
