#include "status.h"

namespace parley::local {

namespace {

schema::MailboxStatusReply counts_of(const store::Mailbox& mailbox) {
  schema::MailboxStatusReply reply;
  reply.set_messages(mailbox.messages);
  reply.set_unseen(mailbox.unseen);
  return reply;
}

// An account the directory resolved is an address: something on both sides
// of an "@". This keeps the store's own accounts ("#public") and the ACL's
// identifiers out; the store checks length and characters itself.
bool looks_like_account(std::string_view account) {
  const auto at = account.rfind('@');
  return at != std::string_view::npos && at > 0 && at + 1 < account.size();
}

}  // namespace

Result<schema::MailboxStatusReply> mailbox_status(const store::Store& store, const schema::MailboxStatusRequest& request) {
  const std::string& account = request.account();
  if (account.size() > store::kMaxAccount || !looks_like_account(account)) {
    return fail(Errc::invalid, "account is not an address");
  }
  const std::string_view name = request.mailbox().empty() ? std::string_view("INBOX") : std::string_view(request.mailbox());
  if (name.size() > store::kMaxMailboxName) return fail(Errc::invalid, "mailbox name too long");
  auto mailbox = store.mailbox(account, name);
  if (mailbox) return counts_of(mailbox.value());
  // No delivery yet creates no mailbox: nothing waiting.
  if (mailbox.code() == Errc::not_found) return schema::MailboxStatusReply{};
  return mailbox.error();
}

Result<schema::MailboxStatusReply> mailbox_counts(const store::Store& store, std::string_view account,
                                                  std::uint64_t mailbox_id) {
  auto snapshot = store.snapshot();
  if (!snapshot) return snapshot.error();
  auto mailbox = snapshot->mailbox_by_id(account, mailbox_id);
  if (mailbox) return counts_of(mailbox.value());
  if (mailbox.code() == Errc::not_found) return schema::MailboxStatusReply{};
  return mailbox.error();
}

}  // namespace parley::local
