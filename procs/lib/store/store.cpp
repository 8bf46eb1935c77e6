// The mail store's opening and write paths. Each public write is one LMDB
// write transaction; bodies are written before it and unlinked after it.
#include "store/store.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>

#include "store/internal.h"

namespace parley::store {
namespace {

// The mailboxes every account starts with (RFC 6154 names as most clients
// expect them), all subscribed.
struct DefaultMailbox {
  std::string_view name;
  SpecialUse use;
};
constexpr std::array<DefaultMailbox, 6> kDefaultMailboxes{{
    {"INBOX", SpecialUse::none},
    {"Drafts", SpecialUse::drafts},
    {"Sent", SpecialUse::sent},
    {"Trash", SpecialUse::trash},
    {"Junk", SpecialUse::junk},
    {"Archive", SpecialUse::archive},
}};

// Process-wide: one environment per index directory (LMDB must not be
// opened twice in one process: closing either drops the other's locks).
// Entries remember their opener's pid so that a forked child opens its own.
struct RegistryEntry {
  pid_t pid = 0;
  std::weak_ptr<Shared> shared;
};
std::recursive_mutex& registry_mutex() {
  static std::recursive_mutex m;
  return m;
}
std::map<std::pair<dev_t, ino_t>, RegistryEntry>& registry() {
  static std::map<std::pair<dev_t, ino_t>, RegistryEntry> r;
  return r;
}

std::int64_t system_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::uint64_t sub_floor(std::uint64_t a, std::uint64_t b) { return a > b ? a - b : 0; }

bool exceeds(const schema::StoreAccount& a, const QuotaLimits& limits, std::uint64_t bytes, std::uint64_t messages) {
  return (limits.bytes != 0 && a.bytes() + bytes > limits.bytes) ||
         (limits.messages != 0 && a.messages() + messages > limits.messages);
}

Error quota_error(const schema::StoreAccount& a, const QuotaLimits& limits) {
  return fail(Errc::limit, "quota: " + std::to_string(a.bytes()) + "/" + std::to_string(limits.bytes) + " bytes, " +
                               std::to_string(a.messages()) + "/" + std::to_string(limits.messages) + " messages");
}

Status put(lmdb::Txn& txn, MDB_dbi dbi, std::string_view key, const google::protobuf::MessageLite& record) {
  return txn.put(dbi, key, serialize(record));
}

// A fresh mailbox: id and UIDVALIDITY from the store-wide counters.
// UIDVALIDITY follows the clock (seconds) but always grows, so a name
// deleted and created again, or a store rebuilt, never repeats one.
Result<schema::StoreMailbox> new_mailbox(const Shared& db, lmdb::Txn& txn, std::string_view account,
                                         std::string_view name, SpecialUse use, bool subscribed, std::int64_t now) {
  schema::StoreMeta meta;
  if (auto v = txn.get(db.meta, kMetaKey); v) {
    auto parsed = parse_meta(*v);
    if (!parsed) return parsed.error();
    meta = std::move(parsed.value());
  } else if (v.code() == Errc::not_found) {
    meta.set_version(kLayoutVersion);
    meta.set_next_mailbox_id(1);
  } else {
    return v.error();
  }
  if (meta.last_uidvalidity() == UINT32_MAX) return fail(Errc::limit, "UIDVALIDITY space exhausted");
  const auto seconds = static_cast<std::uint32_t>(std::clamp<std::int64_t>(now / 1000, 1, UINT32_MAX));
  const std::uint32_t uidvalidity = std::max(seconds, meta.last_uidvalidity() + 1);
  const std::uint64_t id = meta.next_mailbox_id();
  meta.set_next_mailbox_id(id + 1);
  meta.set_last_uidvalidity(uidvalidity);
  if (auto s = put(txn, db.meta, kMetaKey, meta); !s) return s.error();
  if (auto s = txn.insert(db.names, name_key(account, name), mailbox_key(id)); !s) {
    return s.code() == Errc::exists ? fail(Errc::exists, "mailbox exists") : s.error();
  }
  // A subscription the name kept from before becomes the mailbox's.
  if (auto was = txn.get(db.orphan_subscriptions, name_key(account, name)); was) {
    subscribed = true;
    if (auto s = txn.del(db.orphan_subscriptions, name_key(account, name)); !s) return s.error();
  } else if (was.code() != Errc::not_found) {
    return was.error();
  }
  schema::StoreMailbox mb;
  mb.set_id(id);
  mb.set_account(std::string(account));
  mb.set_name(std::string(name));
  mb.set_uidvalidity(uidvalidity);
  mb.set_uidnext(1);
  mb.set_highestmodseq(1);
  mb.set_special_use(static_cast<schema::SpecialUse>(use));
  mb.set_subscribed(subscribed);
  mb.set_created_ms(now);
  if (auto s = put(txn, db.mailboxes, mailbox_key(id), mb); !s) return s.error();
  return mb;
}

// The account's record and default mailboxes, the first time; true if new.
Result<bool> ensure_in(const Shared& db, lmdb::Txn& txn, std::string_view account, std::int64_t now) {
  if (txn.contains(db.accounts, account)) return false;
  schema::StoreAccount a;
  a.set_created_ms(now);
  if (auto s = put(txn, db.accounts, account, a); !s) return s.error();
  // The public namespace is built by hand: no INBOX, no special-use.
  if (account == kPublicAccount) return true;
  for (const auto& d : kDefaultMailboxes) {
    auto mb = new_mailbox(db, txn, account, d.name, d.use, true, now);
    if (!mb) return mb.error();
  }
  return true;
}

// "#public" has no INBOX (one could never be deleted there).
Status check_public_name(std::string_view account, std::string_view name) {
  if (account == kPublicAccount && name == "INBOX") return fail(Errc::invalid, "INBOX in the public namespace");
  return {};
}

// The account's record inside a write; zero usage if it has none yet.
Result<schema::StoreAccount> account_for_update(const Shared& db, const lmdb::Txn& txn, std::string_view account) {
  auto a = load_account(db, txn, account);
  if (!a && a.code() == Errc::not_found) return schema::StoreAccount{};
  return a;
}

// One reference fewer on a body; its id when that was the last, to unlink
// after the commit.
Status unref_body(const Shared& db, lmdb::Txn& txn, const std::string& body_id, std::vector<std::string>& unlink) {
  auto v = txn.get(db.bodies, body_id);
  if (!v) return v.code() == Errc::not_found ? Status{} : Status{v.error()};
  auto body = parse_body(*v);
  if (!body) return body.error();
  if (body->refs() <= 1) {
    if (auto s = txn.del(db.bodies, body_id); !s) return s;
    unlink.push_back(body_id);
    return {};
  }
  body->set_refs(body->refs() - 1);
  return put(txn, db.bodies, body_id, *body);
}

Status ref_body(const Shared& db, lmdb::Txn& txn, const std::string& body_id) {
  auto v = txn.get(db.bodies, body_id);
  if (!v) return v.code() == Errc::not_found ? fail(Errc::internal, "message without body record") : v.error();
  auto body = parse_body(*v);
  if (!body) return body.error();
  if (body->refs() == UINT32_MAX) return fail(Errc::limit, "body reference count");
  body->set_refs(body->refs() + 1);
  return put(txn, db.bodies, body_id, *body);
}

// A message leaves a mailbox: counters, the expunged record for QRESYNC.
Status remove_message(const Shared& db, lmdb::Txn& txn, schema::StoreMailbox& mb, const schema::StoreMessage& m,
                      std::uint64_t modseq, std::int64_t now) {
  if (auto s = txn.del(db.messages, message_key(mb.id(), m.uid())); !s) return s;
  schema::StoreExpunged e;
  e.set_modseq(modseq);
  e.set_at_ms(now);
  if (auto s = put(txn, db.expunged, message_key(mb.id(), m.uid()), e); !s) return s;
  mb.set_messages(mb.messages() - std::min<std::uint32_t>(mb.messages(), 1));
  if ((m.flags() & kSeen) == 0) mb.set_unseen(mb.unseen() - std::min<std::uint32_t>(mb.unseen(), 1));
  mb.set_size(sub_floor(mb.size(), m.size()));
  return {};
}

// A message enters a mailbox under its next UID; the record's uid and
// modseq are set here.
Status add_message(const Shared& db, lmdb::Txn& txn, schema::StoreMailbox& mb, schema::StoreMessage& m,
                   std::uint64_t modseq) {
  // UIDs are 32-bit and UIDNEXT must stay representable.
  if (mb.uidnext() == UINT32_MAX) return fail(Errc::limit, "UID space of the mailbox exhausted");
  if (mb.messages() == UINT32_MAX) return fail(Errc::limit, "messages in the mailbox");
  m.set_uid(mb.uidnext());
  m.set_modseq(modseq);
  mb.set_uidnext(mb.uidnext() + 1);
  mb.set_messages(mb.messages() + 1);
  if ((m.flags() & kSeen) == 0) mb.set_unseen(mb.unseen() + 1);
  mb.set_size(mb.size() + m.size());
  return put(txn, db.messages, message_key(mb.id(), m.uid()), m);
}

Placed placed_from(const schema::StoreDedup& d) {
  Placed p;
  p.mailbox_id = d.mailbox_id();
  p.mailbox = d.mailbox();
  p.uidvalidity = d.uidvalidity();
  p.uid = d.uid();
  p.body_id = d.body_id();
  p.size = d.size();
  p.modseq = d.modseq();
  p.duplicate = true;
  return p;
}

Result<std::optional<Placed>> find_duplicate(const Shared& db, const lmdb::Txn& txn, std::string_view key) {
  auto v = txn.get(db.dedup, key);
  if (!v) return v.code() == Errc::not_found ? Result<std::optional<Placed>>(std::nullopt) : v.error();
  auto d = parse_dedup(*v);
  if (!d) return d.error();
  return std::optional<Placed>(placed_from(*d));
}

void unlink_all(const BodyFiles& files, const std::vector<std::string>& ids) {
  for (const auto& id : ids) files.remove(id);
}

// Removes a freshly written body unless the transaction using it committed.
class BodyGuard {
 public:
  BodyGuard(const BodyFiles& files, std::string id) : files_(files), id_(std::move(id)) {}
  BodyGuard(const BodyGuard&) = delete;
  ~BodyGuard() {
    if (!id_.empty()) files_.remove(id_);
  }
  void release() { id_.clear(); }

 private:
  const BodyFiles& files_;
  std::string id_;
};

std::string default_bodies_dir(const std::string& dir) {
  std::filesystem::path p = std::filesystem::path(dir).lexically_normal();
  if (!p.has_filename()) p = p.parent_path();
  std::filesystem::path parent = p.parent_path();
  if (parent.empty()) parent = ".";
  return (parent / "bodies").string();
}

}  // namespace

// --- opening ---

Store::Store(std::shared_ptr<Shared> shared, Options options, std::string bodies_dir)
    : shared_(std::move(shared)), options_(std::move(options)), bodies_dir_(std::move(bodies_dir)) {}
Store::Store(Store&&) noexcept = default;
Store& Store::operator=(Store&&) noexcept = default;
Store::~Store() = default;

Result<Store> Store::open(const std::string& dir, Options options) {
  if (dir.empty()) return fail(Errc::invalid, "store directory");
  std::string bodies = options.bodies_dir.empty() ? default_bodies_dir(dir) : options.bodies_dir;
  if (auto s = make_dirs(dir, options.dir_mode); !s) return s.error();
  if (auto s = make_dirs(bodies, options.dir_mode); !s) return s.error();
  struct stat st{};
  if (::stat(dir.c_str(), &st) != 0) return fail(Errc::io, "stat " + dir + ": " + std::strerror(errno));
  const auto key = std::make_pair(st.st_dev, st.st_ino);
  const pid_t pid = ::getpid();

  std::lock_guard lock(registry_mutex());
  std::erase_if(registry(), [](const auto& e) { return e.second.shared.expired(); });
  auto& entry = registry()[key];
  if (entry.pid == pid) {
    if (auto shared = entry.shared.lock()) return Store(std::move(shared), std::move(options), std::move(bodies));
  }

  lmdb::EnvOptions env_options;
  env_options.map_size = options.map_size;
  env_options.max_dbs = 16;
  auto env = lmdb::Env::open(dir, env_options);
  if (!env) return env.error();
  // LMDB creates its files 0600; both writers' group needs them. Only the
  // owner may chmod; another opener finds them as the owner left them.
  for (const char* file : {"/data.mdb", "/lock.mdb"}) {
    const std::string path = dir + file;
    struct stat fst{};
    if (::stat(path.c_str(), &fst) == 0 && fst.st_uid == ::geteuid()) {
      ::chmod(path.c_str(), static_cast<mode_t>(options.index_mode & 0777));
    }
  }
  if (!options.durable) {
    if (int rc = mdb_env_set_flags(env->raw(), MDB_NOSYNC, 1); rc != 0) {
      return fail(Errc::io, std::string("mdb_env_set_flags: ") + mdb_strerror(rc));
    }
  }
  // Reader slots left by a crashed process would pin old pages forever.
  int dead = 0;
  mdb_reader_check(env->raw(), &dead);

  auto shared = std::make_unique<Shared>(Shared{std::move(env.value())});
  shared->pid = pid;
  const std::pair<MDB_dbi*, std::string_view> dbis[] = {
      {&shared->meta, "meta"},         {&shared->accounts, "accounts"}, {&shared->mailboxes, "mailboxes"},
      {&shared->names, "names"},       {&shared->messages, "messages"}, {&shared->expunged, "expunged"},
      {&shared->bodies, "bodies"},     {&shared->dedup, "dedup"},       {&shared->dedup_time, "dedup_time"},
      // Added after layout 1 was first written: created here when an older
      // store lacks them (both start empty, which is what they mean there).
      {&shared->acl, "acl"},           {&shared->acl_grantees, "acl_grantees"},
      {&shared->orphan_subscriptions, "orphan_subscriptions"},
  };
  for (const auto& [slot, name] : dbis) {
    auto dbi = shared->env.dbi(name);
    if (!dbi) return dbi.error();
    *slot = *dbi;
  }
  // The last reference closes the environment under the registry lock, so
  // no open() can start a second one on the same files meanwhile.
  std::shared_ptr<Shared> owned(shared.release(), [](Shared* s) {
    std::lock_guard inner(registry_mutex());
    delete s;
  });
  entry.pid = pid;
  entry.shared = owned;
  return Store(std::move(owned), std::move(options), std::move(bodies));
}

std::int64_t Store::now() const { return options_.clock ? options_.clock() : system_now_ms(); }

BodyFiles Store::files() const {
  BodyFiles f;
  f.dir = bodies_dir_;
  f.dir_mode = options_.dir_mode;
  f.file_mode = options_.file_mode;
  f.durable = options_.durable;
  return f;
}

// --- reading ---

Result<Snapshot> Store::snapshot() const {
  auto txn = shared_->env.read();
  if (!txn) return txn.error();
  return Snapshot(std::make_unique<Snapshot::Impl>(Snapshot::Impl{shared_, std::move(txn.value())}));
}

Result<std::vector<Mailbox>> Store::mailboxes(std::string_view account) const {
  auto s = snapshot();
  if (!s) return s.error();
  return s->mailboxes(account);
}

Result<Mailbox> Store::mailbox(std::string_view account, std::string_view name) const {
  auto s = snapshot();
  if (!s) return s.error();
  return s->mailbox(account, name);
}

Result<std::vector<Message>> Store::messages(std::string_view account, std::uint64_t mailbox_id,
                                             std::uint32_t from_uid, std::size_t limit) const {
  auto s = snapshot();
  if (!s) return s.error();
  return s->messages(account, mailbox_id, from_uid, limit);
}

Result<Quota> Store::quota(std::string_view account) const {
  auto s = snapshot();
  if (!s) return s.error();
  return s->quota(account);
}

std::string Store::body_path(std::string_view body_id) const {
  return valid_body_id(body_id) ? files().path(body_id) : std::string();
}

Result<std::string> Store::read_body(std::string_view body_id) const { return files().read(body_id); }

// --- accounts and mailboxes ---

Result<bool> Store::ensure_account(std::string_view account) {
  if (auto s = check_account(account); !s) return s.error();
  const Shared& db = *shared_;
  auto txn = shared_->env.write();
  if (!txn) return txn.error();
  auto created = ensure_in(db, *txn, account, now());
  if (!created) return created;
  if (!*created) return false;
  if (auto s = txn->commit(); !s) return s.error();
  return true;
}

Result<Mailbox> Store::create_mailbox(std::string_view account, std::string_view name, SpecialUse use) {
  if (auto s = check_account(account); !s) return s.error();
  auto normalized = normalize_mailbox(name);
  if (!normalized) return normalized.error();
  if (auto s = check_public_name(account, *normalized); !s) return s.error();
  const Shared& db = *shared_;
  auto txn = shared_->env.write();
  if (!txn) return txn.error();
  const std::int64_t t = now();
  if (auto e = ensure_in(db, *txn, account, t); !e) return e.error();
  auto mb = new_mailbox(db, *txn, account, *normalized, use, false, t);
  if (!mb) return mb.error();
  if (auto s = txn->commit(); !s) return s.error();
  return to_mailbox(*mb);
}

Status Store::delete_mailbox(std::string_view account, std::string_view name) {
  if (auto s = check_account(account); !s) return s;
  auto normalized = normalize_mailbox(name);
  if (!normalized) return normalized.error();
  if (*normalized == "INBOX") return fail(Errc::invalid, "INBOX cannot be deleted");
  const Shared& db = *shared_;
  auto txn = shared_->env.write();
  if (!txn) return txn.error();
  auto id = lookup_name(db, *txn, account, *normalized);
  if (!id) return id.error();
  auto mb = load_mailbox(db, *txn, account, *id);
  if (!mb) return mb.error();
  auto msgs = collect_messages(db, *txn, *id, UidSet{{1, UINT32_MAX}});
  if (!msgs) return msgs.error();
  auto acct = account_for_update(db, *txn, account);
  if (!acct) return acct.error();
  std::vector<std::string> unlink;
  for (const auto& m : *msgs) {
    if (auto s = txn->del(db.messages, message_key(*id, m.uid())); !s) return s;
    if (auto s = unref_body(db, *txn, m.body_id(), unlink); !s) return s;
    acct->set_bytes(sub_floor(acct->bytes(), m.size()));
    acct->set_messages(sub_floor(acct->messages(), 1));
  }
  std::vector<std::string> vanished;
  auto scanned = txn->scan(db.expunged, mailbox_key(*id), [&](std::string_view key, std::string_view) {
    vanished.emplace_back(key);
    return true;
  });
  if (!scanned) return scanned;
  for (const auto& k : vanished) {
    if (auto s = txn->del(db.expunged, k); !s) return s;
  }
  if (auto s = drop_acl(db, *txn, *id); !s) return s;
  // A subscription outlives its mailbox (RFC 3501 6.3.6: the server MUST
  // NOT unilaterally remove it).
  if (mb->subscribed()) {
    if (auto s = txn->put(db.orphan_subscriptions, name_key(account, *normalized), {}); !s) return s;
  }
  if (auto s = txn->del(db.names, name_key(account, *normalized)); !s) return s;
  if (auto s = txn->del(db.mailboxes, mailbox_key(*id)); !s) return s;
  if (auto s = put(*txn, db.accounts, account, *acct); !s) return s;
  if (auto s = txn->commit(); !s) return s;
  unlink_all(files(), unlink);
  return {};
}

Status Store::rename_mailbox(std::string_view account, std::string_view from, std::string_view to) {
  if (auto s = check_account(account); !s) return s;
  auto old_name = normalize_mailbox(from);
  if (!old_name) return old_name.error();
  auto new_name = normalize_mailbox(to);
  if (!new_name) return new_name.error();
  if (auto s = check_public_name(account, *new_name); !s) return s;
  const Shared& db = *shared_;
  auto txn = shared_->env.write();
  if (!txn) return txn.error();
  const std::int64_t t = now();
  if (auto e = ensure_in(db, *txn, account, t); !e) return e.error();
  if (txn->contains(db.names, name_key(account, *new_name))) return fail(Errc::exists, "target mailbox exists");
  auto id = lookup_name(db, *txn, account, *old_name);
  if (!id) return id.error();

  // The mailboxes to move, old name -> id: the named one and, except for
  // INBOX, its children.
  std::vector<std::pair<std::string, std::uint64_t>> moving{{*old_name, *id}};
  if (*old_name != "INBOX") {
    if (new_name->starts_with(*old_name + "/")) return fail(Errc::invalid, "mailbox renamed into itself");
    const std::string prefix = name_key(account, *old_name + "/");
    Status bad;
    auto s = txn->scan(db.names, prefix, [&](std::string_view key, std::string_view value) {
      if (value.size() != 8) {
        bad = fail(Errc::internal, "corrupt name record");
        return false;
      }
      moving.emplace_back(std::string(key.substr(account.size() + 1)), read_be64(value));
      return true;
    });
    if (!s) return s;
    if (!bad) return bad;
  }
  std::vector<std::string> targets;
  for (const auto& [name, child_id] : moving) {
    auto target = normalize_mailbox(*new_name + name.substr(old_name->size()));
    if (!target) return target.error();
    if (txn->contains(db.names, name_key(account, *target))) return fail(Errc::exists, "target mailbox exists");
    targets.push_back(std::move(target.value()));
  }
  for (std::size_t i = 0; i < moving.size(); ++i) {
    auto mb = load_mailbox(db, *txn, account, moving[i].second);
    if (!mb) return mb.error();
    mb->set_name(targets[i]);
    if (auto s = txn->del(db.names, name_key(account, moving[i].first)); !s) return s;
    if (auto s = txn->insert(db.names, name_key(account, targets[i]), mailbox_key(moving[i].second)); !s) return s;
    if (auto s = put(*txn, db.mailboxes, mailbox_key(moving[i].second), *mb); !s) return s;
  }
  // RFC 9051 6.3.6: INBOX's messages went; an empty INBOX stays.
  if (*old_name == "INBOX") {
    auto inbox = new_mailbox(db, *txn, account, "INBOX", SpecialUse::none, true, t);
    if (!inbox) return inbox.error();
  }
  return txn->commit();
}

Status Store::subscribe(std::string_view account, std::string_view name, bool subscribed) {
  if (auto s = check_account(account); !s) return s;
  auto normalized = normalize_mailbox(name);
  if (!normalized) return normalized.error();
  const Shared& db = *shared_;
  auto txn = shared_->env.write();
  if (!txn) return txn.error();
  auto id = lookup_name(db, *txn, account, *normalized);
  if (!id && id.code() == Errc::not_found) {
    // A name with no mailbox (yet, or any more) may be subscribed too.
    const std::string key = name_key(account, *normalized);
    auto s = subscribed ? txn->put(db.orphan_subscriptions, key, {}) : txn->del(db.orphan_subscriptions, key);
    if (!s && s.code() != Errc::not_found) return s;
    return txn->commit();
  }
  if (!id) return id.error();
  auto mb = load_mailbox(db, *txn, account, *id);
  if (!mb) return mb.error();
  if (mb->subscribed() == subscribed) return {};
  mb->set_subscribed(subscribed);
  if (auto s = put(*txn, db.mailboxes, mailbox_key(*id), *mb); !s) return s;
  return txn->commit();
}

Result<Store::RecentClaim> Store::claim_recent(std::string_view account, std::uint64_t mailbox_id) {
  if (auto s = check_account(account); !s) return s.error();
  const Shared& db = *shared_;
  {
    // Most calls change nothing: look before taking the write lock.
    auto read = shared_->env.read();
    if (!read) return read.error();
    auto mb = load_mailbox(db, *read, account, mailbox_id);
    if (!mb) return mb.error();
    if (mb->recent_uid() + 1 >= mb->uidnext()) return RecentClaim{mb->recent_uid(), mb->recent_uid()};
  }
  auto txn = shared_->env.write();
  if (!txn) return txn.error();
  auto mb = load_mailbox(db, *txn, account, mailbox_id);
  if (!mb) return mb.error();
  const std::uint32_t before = mb->recent_uid();
  if (before + 1 >= mb->uidnext()) return RecentClaim{before, before};
  mb->set_recent_uid(mb->uidnext() - 1);
  if (auto s = put(*txn, db.mailboxes, mailbox_key(mailbox_id), *mb); !s) return s.error();
  if (auto s = txn->commit(); !s) return s.error();
  return RecentClaim{before, mb->uidnext() - 1};
}

// --- messages ---

Result<Placed> Store::deliver(const NewMessage& message, std::string_view dedup_key) {
  if (auto s = check_dedup_key(dedup_key); !s) return s.error();
  return place(message, dedup_key);
}

Result<Placed> Store::append(const NewMessage& message) { return place(message, {}); }

Result<Placed> Store::place(const NewMessage& message, std::string_view dedup_key) {
  const std::string& account = message.account;
  if (auto s = check_account(account); !s) return s.error();
  auto name = normalize_mailbox(message.mailbox);
  if (!name) return name.error();
  if (auto s = check_public_name(account, *name); !s) return s.error();
  auto flags = normalize_flags(message.flags);
  if (!flags) return flags.error();
  const Shared& db = *shared_;
  const std::int64_t t = now();
  const std::uint64_t size = message.body.size();

  // Refusals that need no body file: a known key, a full account, a
  // missing mailbox. The write transaction checks again.
  {
    auto snap = shared_->env.read();
    if (!snap) return snap.error();
    if (!dedup_key.empty()) {
      auto dup = find_duplicate(db, *snap, dedup_key);
      if (!dup) return dup.error();
      if (*dup) return std::move(**dup);
    }
    if (auto a = load_account(db, *snap, account); a) {
      if (exceeds(*a, message.limits, size, 1)) return quota_error(*a, message.limits);
      if (!message.create_mailbox) {
        if (auto id = lookup_name(db, *snap, account, *name); !id) return id.error();
      }
    } else if (a.code() != Errc::not_found) {
      return a.error();
    }
  }

  const BodyFiles body_files = files();
  auto body_id = body_files.write(message.body);
  if (!body_id) return body_id.error();
  BodyGuard guard(body_files, *body_id);

  auto txn = shared_->env.write();
  if (!txn) return txn.error();
  if (auto e = ensure_in(db, *txn, account, t); !e) return e.error();
  if (!dedup_key.empty()) {
    // Another delivery of the same key may have committed meanwhile.
    auto dup = find_duplicate(db, *txn, dedup_key);
    if (!dup) return dup.error();
    if (*dup) return std::move(**dup);
  }
  std::uint64_t mailbox_id = 0;
  schema::StoreMailbox mb;
  if (auto id = lookup_name(db, *txn, account, *name); id) {
    auto loaded = load_mailbox(db, *txn, account, *id);
    if (!loaded) return loaded.error();
    mailbox_id = *id;
    mb = std::move(loaded.value());
  } else if (id.code() == Errc::not_found && message.create_mailbox) {
    auto created = new_mailbox(db, *txn, account, *name, SpecialUse::none, false, t);
    if (!created) return created.error();
    mailbox_id = created->id();
    mb = std::move(created.value());
  } else {
    return id.error();
  }
  auto acct = account_for_update(db, *txn, account);
  if (!acct) return acct.error();
  if (exceeds(*acct, message.limits, size, 1)) return quota_error(*acct, message.limits);

  const std::uint64_t modseq = mb.highestmodseq() + 1;
  mb.set_highestmodseq(modseq);
  schema::StoreMessage m;
  m.set_body_id(*body_id);
  m.set_size(size);
  m.set_internal_date_ms(message.internal_date_ms != 0 ? message.internal_date_ms : t);
  set_flags(m, *flags);
  if (auto s = add_message(db, *txn, mb, m, modseq); !s) return s.error();
  if (auto s = put(*txn, db.mailboxes, mailbox_key(mailbox_id), mb); !s) return s.error();
  schema::StoreBody body;
  body.set_refs(1);
  body.set_size(size);
  body.set_created_ms(t);
  if (auto s = txn->insert(db.bodies, *body_id, serialize(body)); !s) return s.error();
  acct->set_bytes(acct->bytes() + size);
  acct->set_messages(acct->messages() + 1);
  if (auto s = put(*txn, db.accounts, account, *acct); !s) return s.error();

  Placed placed;
  placed.mailbox_id = mailbox_id;
  placed.mailbox = mb.name();
  placed.uidvalidity = mb.uidvalidity();
  placed.uid = m.uid();
  placed.body_id = *body_id;
  placed.size = size;
  placed.modseq = modseq;
  if (!dedup_key.empty()) {
    schema::StoreDedup d;
    d.set_at_ms(t);
    d.set_account(account);
    d.set_mailbox_id(mailbox_id);
    d.set_mailbox(placed.mailbox);
    d.set_uidvalidity(placed.uidvalidity);
    d.set_uid(placed.uid);
    d.set_body_id(placed.body_id);
    d.set_size(size);
    d.set_modseq(modseq);
    if (auto s = put(*txn, db.dedup, dedup_key, d); !s) return s.error();
    const std::string time_key = be64(static_cast<std::uint64_t>(std::max<std::int64_t>(t, 0))) + std::string(dedup_key);
    if (auto s = txn->put(db.dedup_time, time_key, {}); !s) return s.error();
  }
  if (auto s = txn->commit(); !s) return s.error();
  guard.release();
  return placed;
}

Result<FlagsChanged> Store::store_flags(std::string_view account, std::uint64_t mailbox_id, const UidSet& uids,
                                        FlagOp op, const Flags& flags) {
  auto change = normalize_flags(flags);
  if (!change) return change.error();
  auto set = normalize_uids(uids);
  if (!set) return set.error();
  const Shared& db = *shared_;
  auto txn = shared_->env.write();
  if (!txn) return txn.error();
  auto mb = load_mailbox(db, *txn, account, mailbox_id);
  if (!mb) return mb.error();
  auto msgs = collect_messages(db, *txn, mailbox_id, *set);
  if (!msgs) return msgs.error();

  FlagsChanged out;
  const std::uint64_t modseq = mb->highestmodseq() + 1;
  for (auto& m : *msgs) {
    const Flags current = flags_of(m);
    Flags next = apply_flags(current, op, *change);
    if (same_flags(current, next)) continue;
    if (next.keywords.size() > kMaxKeywords) return fail(Errc::limit, "too many keywords");
    const bool was_seen = (current.system & kSeen) != 0;
    const bool seen = (next.system & kSeen) != 0;
    if (was_seen && !seen) mb->set_unseen(mb->unseen() + 1);
    if (!was_seen && seen) mb->set_unseen(mb->unseen() - std::min<std::uint32_t>(mb->unseen(), 1));
    set_flags(m, next);
    m.set_modseq(modseq);
    if (auto s = put(*txn, db.messages, message_key(mailbox_id, m.uid()), m); !s) return s.error();
    out.messages.push_back(to_message(m));
  }
  if (out.messages.empty()) {
    out.modseq = mb->highestmodseq();
    return out;
  }
  mb->set_highestmodseq(modseq);
  if (auto s = put(*txn, db.mailboxes, mailbox_key(mailbox_id), *mb); !s) return s.error();
  if (auto s = txn->commit(); !s) return s.error();
  out.modseq = modseq;
  return out;
}

Result<Expunged> Store::expunge(std::string_view account, std::uint64_t mailbox_id, const UidSet& uids) {
  auto set = normalize_uids(uids);
  if (!set) return set.error();
  const Shared& db = *shared_;
  auto txn = shared_->env.write();
  if (!txn) return txn.error();
  auto mb = load_mailbox(db, *txn, account, mailbox_id);
  if (!mb) return mb.error();
  auto msgs = collect_messages(db, *txn, mailbox_id, *set);
  if (!msgs) return msgs.error();
  Expunged out;
  if (msgs->empty()) {
    out.modseq = mb->highestmodseq();
    return out;
  }
  auto acct = account_for_update(db, *txn, account);
  if (!acct) return acct.error();
  const std::int64_t t = now();
  const std::uint64_t modseq = mb->highestmodseq() + 1;
  mb->set_highestmodseq(modseq);
  std::vector<std::string> unlink;
  for (const auto& m : *msgs) {
    if (auto s = remove_message(db, *txn, *mb, m, modseq, t); !s) return s.error();
    if (auto s = unref_body(db, *txn, m.body_id(), unlink); !s) return s.error();
    acct->set_bytes(sub_floor(acct->bytes(), m.size()));
    acct->set_messages(sub_floor(acct->messages(), 1));
    out.uids.push_back(m.uid());
  }
  if (auto s = put(*txn, db.mailboxes, mailbox_key(mailbox_id), *mb); !s) return s.error();
  if (auto s = put(*txn, db.accounts, account, *acct); !s) return s.error();
  if (auto s = txn->commit(); !s) return s.error();
  // Only now is no record left that names these files.
  unlink_all(files(), unlink);
  out.modseq = modseq;
  return out;
}

Result<Copied> Store::copy(std::string_view account, std::uint64_t from_mailbox_id, const UidSet& uids,
                           std::uint64_t to_mailbox_id, const QuotaLimits& limits) {
  return transfer(account, from_mailbox_id, uids, to_mailbox_id, limits, false);
}

Result<Copied> Store::move(std::string_view account, std::uint64_t from_mailbox_id, const UidSet& uids,
                           std::uint64_t to_mailbox_id) {
  return transfer(account, from_mailbox_id, uids, to_mailbox_id, {}, true);
}

Result<Copied> Store::transfer(std::string_view account, std::uint64_t from_mailbox_id, const UidSet& uids,
                               std::uint64_t to_mailbox_id, const QuotaLimits& limits, bool move) {
  auto set = normalize_uids(uids);
  if (!set) return set.error();
  const Shared& db = *shared_;
  auto txn = shared_->env.write();
  if (!txn) return txn.error();
  auto src = load_mailbox(db, *txn, account, from_mailbox_id);
  if (!src) return src.error();
  // Copying into the source itself: one record plays both parts.
  Result<schema::StoreMailbox> dst_storage = src;
  if (to_mailbox_id != from_mailbox_id) dst_storage = load_mailbox(db, *txn, account, to_mailbox_id);
  if (!dst_storage) return dst_storage.error();
  schema::StoreMailbox& dst = to_mailbox_id == from_mailbox_id ? *src : *dst_storage;

  auto msgs = collect_messages(db, *txn, from_mailbox_id, *set);
  if (!msgs) return msgs.error();
  Copied out;
  out.uidvalidity = dst.uidvalidity();
  if (msgs->empty()) {
    out.modseq = dst.highestmodseq();
    out.source_modseq = src->highestmodseq();
    return out;
  }
  auto acct = account_for_update(db, *txn, account);
  if (!acct) return acct.error();
  std::uint64_t bytes = 0;
  for (const auto& m : *msgs) bytes += m.size();
  // A move changes no usage; a copy counts each copy (as Dovecot does).
  if (!move && exceeds(*acct, limits, bytes, msgs->size())) return quota_error(*acct, limits);

  const std::int64_t t = now();
  const std::uint64_t modseq = dst.highestmodseq() + 1;
  dst.set_highestmodseq(modseq);
  const std::uint64_t source_modseq = move ? src->highestmodseq() + 1 : 0;
  if (move) src->set_highestmodseq(source_modseq);
  for (const auto& m : *msgs) {
    schema::StoreMessage copy = m;
    if (auto s = add_message(db, *txn, dst, copy, modseq); !s) return s.error();
    out.uids.emplace_back(m.uid(), copy.uid());
    if (move) {
      if (auto s = remove_message(db, *txn, *src, m, source_modseq, t); !s) return s.error();
    } else {
      if (auto s = ref_body(db, *txn, m.body_id()); !s) return s.error();
    }
  }
  if (auto s = put(*txn, db.mailboxes, mailbox_key(to_mailbox_id), dst); !s) return s.error();
  if (move) {
    if (auto s = put(*txn, db.mailboxes, mailbox_key(from_mailbox_id), *src); !s) return s.error();
  } else {
    acct->set_bytes(acct->bytes() + bytes);
    acct->set_messages(acct->messages() + msgs->size());
    if (auto s = put(*txn, db.accounts, account, *acct); !s) return s.error();
  }
  if (auto s = txn->commit(); !s) return s.error();
  out.modseq = modseq;
  out.source_modseq = move ? source_modseq : src->highestmodseq();
  return out;
}

// --- housekeeping ---

Result<std::size_t> Store::prune_dedup(std::int64_t older_than_ms) {
  const Shared& db = *shared_;
  auto txn = shared_->env.write();
  if (!txn) return txn.error();
  const std::uint64_t cutoff = static_cast<std::uint64_t>(std::max<std::int64_t>(older_than_ms, 0));
  std::vector<std::string> old;
  auto s = txn->scan(db.dedup_time, {}, [&](std::string_view key, std::string_view) {
    if (key.size() < 8 || read_be64(key) >= cutoff) return false;
    old.emplace_back(key);
    return true;
  });
  if (!s) return s.error();
  if (old.empty()) return std::size_t{0};
  for (const auto& k : old) {
    if (auto d = txn->del(db.dedup_time, k); !d) return d.error();
    if (auto d = txn->del(db.dedup, std::string_view(k).substr(8)); !d && d.code() != Errc::not_found) {
      return d.error();
    }
  }
  if (auto c = txn->commit(); !c) return c.error();
  return old.size();
}

Result<std::size_t> Store::sweep_bodies(std::int64_t older_than_ms) {
  namespace fs = std::filesystem;
  auto mtime_ms = [](const fs::path& p) -> std::optional<std::int64_t> {
    struct stat st{};
    if (::lstat(p.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
    return std::int64_t{st.st_mtim.tv_sec} * 1000 + st.st_mtim.tv_nsec / 1000000;
  };
  // Candidates first, then one snapshot: a body committed before the
  // snapshot is seen; one committed after it is younger than any sane cutoff.
  std::vector<std::pair<fs::path, std::string>> candidates;  // path, body id ("" for a temp file)
  std::error_code ec;
  for (const auto& shard : fs::directory_iterator(bodies_dir_, ec)) {
    const std::string shard_name = shard.path().filename().string();
    if (shard_name.size() != 2 || !shard.is_directory(ec)) continue;
    for (const auto& file : fs::directory_iterator(shard.path(), ec)) {
      const std::string name = file.path().filename().string();
      const bool temp = name.starts_with(".tmp.");
      if (!temp && !valid_body_id(name)) continue;
      auto m = mtime_ms(file.path());
      if (!m || *m >= older_than_ms) continue;
      candidates.emplace_back(file.path(), temp ? std::string() : name);
    }
  }
  if (ec) return fail(Errc::io, "sweep " + bodies_dir_ + ": " + ec.message());
  auto snap = shared_->env.read();
  if (!snap) return snap.error();
  std::size_t removed = 0;
  for (const auto& [path, id] : candidates) {
    if (!id.empty() && snap->contains(shared_->bodies, id)) continue;
    if (::unlink(path.c_str()) == 0) ++removed;
  }
  return removed;
}

}  // namespace parley::store
