// Reads: the Snapshot class and the lookups the write paths share.
#include "store/internal.h"

namespace parley::store {

Result<schema::StoreMailbox> load_mailbox(const Shared& db, const lmdb::Txn& txn, std::string_view account,
                                          std::uint64_t id) {
  auto v = txn.get(db.mailboxes, mailbox_key(id));
  if (!v) return v.error();
  auto r = parse_mailbox(*v, id);
  if (!r) return r;
  // Another account's mailbox id is as good as a missing one.
  if (r->account() != account) return fail(Errc::not_found, "mailbox");
  return r;
}

Result<std::uint64_t> lookup_name(const Shared& db, const lmdb::Txn& txn, std::string_view account,
                                  std::string_view name) {
  auto v = txn.get(db.names, name_key(account, name));
  if (!v) return v.error();
  if (v->size() != 8) return fail(Errc::internal, "corrupt name record");
  return read_be64(*v);
}

Result<schema::StoreAccount> load_account(const Shared& db, const lmdb::Txn& txn, std::string_view account) {
  auto v = txn.get(db.accounts, account);
  if (!v) return v.error();
  return parse_account(*v);
}

Result<std::vector<schema::StoreMessage>> collect_messages(const Shared& db, const lmdb::Txn& txn,
                                                           std::uint64_t id, const UidSet& uids) {
  std::vector<schema::StoreMessage> out;
  const std::string prefix = mailbox_key(id);
  Status bad;
  for (const auto& range : uids) {
    auto s = txn.scan(
        db.messages, prefix,
        [&](std::string_view key, std::string_view value) {
          if (key.size() != 12) {
            bad = fail(Errc::internal, "corrupt message key");
            return false;
          }
          const std::uint32_t uid = read_be32(key.substr(8));
          if (uid > range.last) return false;
          auto m = parse_message(value, uid);
          if (!m) {
            bad = m.error();
            return false;
          }
          out.push_back(std::move(m.value()));
          return uid != range.last;
        },
        message_key(id, range.first));
    if (!s) return s.error();
    if (!bad) return bad.error();
  }
  return out;
}

Snapshot::Snapshot(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Snapshot::Snapshot(Snapshot&&) noexcept = default;
Snapshot& Snapshot::operator=(Snapshot&&) noexcept = default;
Snapshot::~Snapshot() = default;

Result<std::vector<Mailbox>> Snapshot::mailboxes(std::string_view account) const {
  if (auto s = check_account(account); !s) return s.error();
  const Shared& db = *impl_->db;
  std::vector<std::uint64_t> ids;
  Status bad;
  auto s = impl_->txn.scan(db.names, name_prefix(account), [&](std::string_view, std::string_view value) {
    if (value.size() != 8) {
      bad = fail(Errc::internal, "corrupt name record");
      return false;
    }
    ids.push_back(read_be64(value));
    return true;
  });
  if (!s) return s.error();
  if (!bad) return bad.error();
  std::vector<Mailbox> out;
  out.reserve(ids.size());
  for (auto id : ids) {
    auto m = load_mailbox(db, impl_->txn, account, id);
    if (!m) return m.code() == Errc::not_found ? fail(Errc::internal, "name without mailbox") : m.error();
    out.push_back(to_mailbox(*m));
  }
  return out;
}

Result<Mailbox> Snapshot::mailbox(std::string_view account, std::string_view name) const {
  if (auto s = check_account(account); !s) return s.error();
  auto normalized = normalize_mailbox(name);
  if (!normalized) return normalized.error();
  auto id = lookup_name(*impl_->db, impl_->txn, account, *normalized);
  if (!id) return id.error();
  auto m = load_mailbox(*impl_->db, impl_->txn, account, *id);
  if (!m) return m.error();
  return to_mailbox(*m);
}

Result<std::vector<std::string>> Snapshot::orphan_subscriptions(std::string_view account) const {
  std::vector<std::string> out;
  const std::string prefix = name_prefix(account);
  auto s = impl_->txn.scan(impl_->db->orphan_subscriptions, prefix, [&](std::string_view key, std::string_view) {
    out.emplace_back(key.substr(prefix.size()));
    return true;
  });
  if (!s) return s.error();
  return out;
}

Result<Mailbox> Snapshot::mailbox_by_id(std::string_view account, std::uint64_t id) const {
  auto m = load_mailbox(*impl_->db, impl_->txn, account, id);
  if (!m) return m.error();
  return to_mailbox(*m);
}

Result<std::vector<Message>> Snapshot::messages(std::string_view account, std::uint64_t mailbox_id,
                                                std::uint32_t from_uid, std::size_t limit) const {
  auto m = load_mailbox(*impl_->db, impl_->txn, account, mailbox_id);
  if (!m) return m.error();
  std::vector<Message> out;
  const std::string prefix = mailbox_key(mailbox_id);
  Status bad;
  auto s = impl_->txn.scan(
      impl_->db->messages, prefix,
      [&](std::string_view key, std::string_view value) {
        if (key.size() != 12) {
          bad = fail(Errc::internal, "corrupt message key");
          return false;
        }
        auto r = parse_message(value, read_be32(key.substr(8)));
        if (!r) {
          bad = r.error();
          return false;
        }
        out.push_back(to_message(*r));
        return limit == 0 || out.size() < limit;
      },
      message_key(mailbox_id, std::max<std::uint32_t>(from_uid, 1)));
  if (!s) return s.error();
  if (!bad) return bad.error();
  return out;
}

Result<Message> Snapshot::message(std::string_view account, std::uint64_t mailbox_id, std::uint32_t uid) const {
  auto m = load_mailbox(*impl_->db, impl_->txn, account, mailbox_id);
  if (!m) return m.error();
  auto v = impl_->txn.get(impl_->db->messages, message_key(mailbox_id, uid));
  if (!v) return v.error();
  auto r = parse_message(*v, uid);
  if (!r) return r.error();
  return to_message(*r);
}

Result<std::vector<std::uint32_t>> Snapshot::vanished(std::string_view account, std::uint64_t mailbox_id,
                                                      std::uint64_t since_modseq) const {
  auto m = load_mailbox(*impl_->db, impl_->txn, account, mailbox_id);
  if (!m) return m.error();
  std::vector<std::uint32_t> out;
  Status bad;
  auto s = impl_->txn.scan(impl_->db->expunged, mailbox_key(mailbox_id),
                           [&](std::string_view key, std::string_view value) {
                             auto r = parse_expunged(value);
                             if (!r || key.size() != 12) {
                               bad = fail(Errc::internal, "corrupt expunged record");
                               return false;
                             }
                             if (r->modseq() > since_modseq) out.push_back(read_be32(key.substr(8)));
                             return true;
                           });
  if (!s) return s.error();
  if (!bad) return bad.error();
  return out;
}

Result<Quota> Snapshot::quota(std::string_view account) const {
  if (auto s = check_account(account); !s) return s.error();
  auto a = load_account(*impl_->db, impl_->txn, account);
  if (!a) return a.code() == Errc::not_found ? Result<Quota>(Quota{}) : Result<Quota>(a.error());
  return Quota{a->bytes(), a->messages()};
}

}  // namespace parley::store
