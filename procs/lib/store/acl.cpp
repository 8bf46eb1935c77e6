// Access control lists (RFC 4314): the entries, their index by identifier,
// effective rights and the grants another account's user sees.
#include <algorithm>
#include <set>
#include <tuple>

#include "store/internal.h"

namespace parley::store {
namespace {

// The letters of kAllRights for which `keep` holds, in canonical order.
template <class Pred>
std::string rights_where(Pred keep) {
  std::string out;
  for (char c : kAllRights) {
    if (keep(c)) out.push_back(c);
  }
  return out;
}

bool has(std::string_view rights, char c) { return rights.find(c) != std::string_view::npos; }

}  // namespace

std::string effective_rights(const std::vector<AclEntry>& acl, std::string_view user, std::string_view owner) {
  if (user == owner) return std::string(kAllRights);
  std::string granted;
  std::string denied;
  for (const auto& e : acl) {
    std::string_view id = e.identifier;
    const bool negative = id.starts_with('-');
    if (negative) id.remove_prefix(1);
    if (id != user && id != kAnyone && id != kAuthenticated) continue;
    (negative ? denied : granted).append(e.rights);
  }
  return rights_where([&](char c) { return has(granted, c) && !has(denied, c); });
}

Result<std::vector<AclEntry>> load_acl(const Shared& db, const lmdb::Txn& txn, std::uint64_t id) {
  std::vector<AclEntry> out;
  const std::string prefix = acl_prefix(id);
  Status bad;
  auto s = txn.scan(db.acl, prefix, [&](std::string_view key, std::string_view value) {
    const std::string_view identifier = key.substr(prefix.size());
    auto normalized = normalize_identifier(identifier);
    if (!normalized || *normalized != identifier) {
      bad = fail(Errc::internal, "corrupt ACL key");
      return false;
    }
    auto r = parse_acl(value);
    if (!r) {
      bad = r.error();
      return false;
    }
    out.push_back(AclEntry{std::string(identifier), r->rights()});
    return true;
  });
  if (!s) return s.error();
  if (!bad) return bad.error();
  return out;  // key order: by identifier, bytewise
}

Status drop_acl(const Shared& db, lmdb::Txn& txn, std::uint64_t id) {
  const std::string prefix = acl_prefix(id);
  std::vector<std::string> identifiers;
  auto s = txn.scan(db.acl, prefix, [&](std::string_view key, std::string_view) {
    identifiers.emplace_back(key.substr(prefix.size()));
    return true;
  });
  if (!s) return s;
  for (const auto& identifier : identifiers) {
    if (auto d = txn.del(db.acl, acl_key(id, identifier)); !d) return d;
    // An index entry already missing is what the drop wants anyway.
    if (auto d = txn.del(db.acl_grantees, grantee_key(identifier, id)); !d && d.code() != Errc::not_found) return d;
  }
  return {};
}

// --- Snapshot ---

Result<std::vector<AclEntry>> Snapshot::acl(std::string_view owner, std::uint64_t mailbox_id) const {
  if (auto s = check_account(owner); !s) return s.error();
  const Shared& db = *impl_->db;
  if (auto m = load_mailbox(db, impl_->txn, owner, mailbox_id); !m) return m.error();
  return load_acl(db, impl_->txn, mailbox_id);
}

Result<std::string> Snapshot::rights(std::string_view user, std::string_view owner, std::uint64_t mailbox_id) const {
  auto entries = acl(owner, mailbox_id);
  if (!entries) return entries.error();
  return effective_rights(*entries, user, owner);
}

Result<std::vector<Grant>> Snapshot::granted(std::string_view user) const {
  if (auto s = check_user(user); !s) return s.error();
  const Shared& db = *impl_->db;
  const lmdb::Txn& txn = impl_->txn;

  // Candidates: mailboxes with an entry that can give `user` rights.
  // Negative entries only take rights away, so they name no candidate.
  std::set<std::uint64_t> ids;
  Status bad;
  for (std::string_view identifier : {user, kAnyone, kAuthenticated}) {
    const std::string prefix = grantee_prefix(identifier);
    auto s = txn.scan(db.acl_grantees, prefix, [&](std::string_view key, std::string_view) {
      if (key.size() != prefix.size() + 8) {
        bad = fail(Errc::internal, "corrupt ACL index key");
        return false;
      }
      ids.insert(read_be64(key.substr(prefix.size())));
      return true;
    });
    if (!s) return s.error();
    if (!bad) return bad.error();
  }

  std::vector<Grant> out;
  for (std::uint64_t id : ids) {
    // An index entry may outlive its mailbox if a writer that predates
    // ACLs deleted it (ids are never reused, so it can mislead no one).
    auto v = txn.get(db.mailboxes, mailbox_key(id));
    if (!v && v.code() == Errc::not_found) continue;
    if (!v) return v.error();
    auto mb = parse_mailbox(*v, id);
    if (!mb) return mb.error();
    if (mb->account() == user) continue;  // the user's own: not a grant
    auto entries = load_acl(db, txn, id);
    if (!entries) return entries.error();
    std::string rights = effective_rights(*entries, user, mb->account());
    if (!has(rights, 'l')) continue;
    out.push_back(Grant{mb->account(), to_mailbox(*mb), std::move(rights)});
  }
  std::sort(out.begin(), out.end(), [](const Grant& a, const Grant& b) {
    return std::tie(a.owner, a.mailbox.name) < std::tie(b.owner, b.mailbox.name);
  });
  return out;
}

// --- Store ---

Result<std::vector<AclEntry>> Store::acl(std::string_view owner, std::uint64_t mailbox_id) const {
  auto s = snapshot();
  if (!s) return s.error();
  return s->acl(owner, mailbox_id);
}

Result<std::string> Store::rights(std::string_view user, std::string_view owner, std::uint64_t mailbox_id) const {
  auto s = snapshot();
  if (!s) return s.error();
  return s->rights(user, owner, mailbox_id);
}

Result<std::vector<Grant>> Store::granted(std::string_view user) const {
  auto s = snapshot();
  if (!s) return s.error();
  return s->granted(user);
}

Status Store::set_acl(std::string_view owner, std::string_view mailbox, std::string_view identifier,
                      std::string_view rights) {
  if (auto s = check_account(owner); !s) return s;
  auto name = normalize_mailbox(mailbox);
  if (!name) return name.error();
  auto id_name = normalize_identifier(identifier);
  if (!id_name) return id_name.error();
  // RFC 4314 3.1: "+" adds to the entry, "-" takes from it, else replace.
  enum class Op { replace, add, remove } op = Op::replace;
  if (rights.starts_with('+') || rights.starts_with('-')) {
    op = rights.front() == '+' ? Op::add : Op::remove;
    rights.remove_prefix(1);
  }
  auto change = normalize_rights(rights);
  if (!change) return change.error();

  const Shared& db = *shared_;
  auto txn = shared_->env.write();
  if (!txn) return txn.error();
  auto mailbox_id = lookup_name(db, *txn, owner, *name);
  if (!mailbox_id) return mailbox_id.error();
  if (auto mb = load_mailbox(db, *txn, owner, *mailbox_id); !mb) return mb.error();
  const std::string key = acl_key(*mailbox_id, *id_name);
  std::string current;
  if (auto v = txn->get(db.acl, key); v) {
    auto r = parse_acl(*v);
    if (!r) return r.error();
    current = r->rights();
  } else if (v.code() != Errc::not_found) {
    return v.error();
  }
  std::string next;
  switch (op) {
    case Op::replace: next = *change; break;
    case Op::add: next = rights_where([&](char c) { return has(current, c) || has(*change, c); }); break;
    case Op::remove: next = rights_where([&](char c) { return has(current, c) && !has(*change, c); }); break;
  }
  if (next == current) return {};
  const std::string index_key = grantee_key(*id_name, *mailbox_id);
  if (next.empty()) {
    if (auto s = txn->del(db.acl, key); !s) return s;
    if (auto s = txn->del(db.acl_grantees, index_key); !s && s.code() != Errc::not_found) return s;
  } else {
    schema::StoreAcl r;
    r.set_rights(next);
    r.set_changed_ms(now());
    if (auto s = txn->put(db.acl, key, serialize(r)); !s) return s;
    if (auto s = txn->put(db.acl_grantees, index_key, {}); !s) return s;
  }
  return txn->commit();
}

}  // namespace parley::store
