#include "sip/bindings.h"

#include <algorithm>
#include <utility>

#include "schema/sip.pb.h"

namespace parley::sip {
namespace {

// Registrations are small: a thousand accounts with ten bindings fit in a
// few megabytes. The map is address space; the file grows as used.
constexpr std::size_t kMapSize = std::size_t{1} << 30;
// Bounds on a stored binding's strings (validated on read): a Contact URI
// fits kMaxUri; Call-IDs, instances and flows are far shorter in practice.
constexpr std::size_t kMaxCallId = 1024;
constexpr std::size_t kMaxInstance = 1024;
constexpr std::size_t kMaxFlow = 256;
constexpr std::uint32_t kMaxRegId = 0x7fffffff;  // RFC 5626 4.2

Status check_account(std::string_view account) {
  if (account.empty() || account.size() > kMaxAccount) return fail(Errc::invalid, "bad account name");
  return {};
}

void to_record(const Binding& b, schema::SipBinding& r) {
  r.set_uri(b.uri);
  r.set_instance(b.instance);
  r.set_reg_id(b.reg_id);
  r.set_q(b.q);
  r.set_expires_at(b.expires_at);
  r.set_call_id(b.call_id);
  r.set_cseq(b.cseq);
  r.set_flow(b.flow);
}

// A stored record, parsed and validated as if another process wrote it.
Result<std::vector<Binding>> decode(std::string_view account, std::string_view raw) {
  schema::SipRegistration rec;
  const auto bad = [&](std::string_view why) {
    return fail(Errc::internal, "stored registration of " + std::string(account) + ": " + std::string(why));
  };
  if (!rec.ParseFromArray(raw.data(), static_cast<int>(raw.size()))) return bad("does not parse");
  if (static_cast<std::size_t>(rec.bindings_size()) > kMaxStoredBindings) return bad("too many bindings");
  std::vector<Binding> out;
  out.reserve(static_cast<std::size_t>(rec.bindings_size()));
  for (const auto& r : rec.bindings()) {
    if (r.uri().empty() || r.uri().size() > kMaxUri || r.instance().size() > kMaxInstance ||
        r.call_id().size() > kMaxCallId || r.flow().size() > kMaxFlow) {
      return bad("a field's size");
    }
    if (r.q() > 1000 || r.reg_id() > kMaxRegId || r.cseq() > 0x7fffffffu) return bad("a value out of range");
    out.push_back(Binding{
        .uri = r.uri(),
        .instance = r.instance(),
        .reg_id = r.reg_id(),
        .q = static_cast<std::uint16_t>(r.q()),
        .expires_at = r.expires_at(),
        .call_id = r.call_id(),
        .cseq = r.cseq(),
        .flow = r.flow(),
    });
  }
  return out;
}

Result<std::vector<Binding>> load(const lmdb::Txn& txn, MDB_dbi dbi, std::string_view account) {
  auto raw = txn.get(dbi, account);
  if (!raw) {
    if (raw.code() == Errc::not_found) return std::vector<Binding>{};
    return raw.error();
  }
  return decode(account, *raw);
}

// Writes the account's bindings (highest q first), or deletes the key when
// there are none.
Status store(lmdb::Txn& txn, MDB_dbi dbi, std::string_view account, std::vector<Binding> bindings) {
  if (bindings.empty()) {
    auto s = txn.del(dbi, account);
    if (!s && s.code() != Errc::not_found) return s;
    return {};
  }
  std::stable_sort(bindings.begin(), bindings.end(), [](const Binding& a, const Binding& b) { return a.q > b.q; });
  schema::SipRegistration rec;
  for (const auto& b : bindings) to_record(b, *rec.add_bindings());
  return txn.put(dbi, account, rec.SerializeAsString());
}

bool same_device(const Binding& a, const Binding& b) {
  if (!a.instance.empty() || !b.instance.empty()) return a.instance == b.instance && a.reg_id == b.reg_id;
  auto ua = parse_uri(a.uri);
  auto ub = parse_uri(b.uri);
  return ua && ub && equivalent(*ua, *ub);
}

}  // namespace

Result<Bindings> Bindings::open(const std::string& dir, bool sync_commits) {
  lmdb::EnvOptions options;
  options.map_size = kMapSize;
  options.sync_commits = sync_commits;
  options.max_dbs = 2;
  auto env = lmdb::Env::open(dir, options);
  if (!env) return env.error();
  auto dbi = env->dbi("bindings");
  if (!dbi) return dbi.error();
  return Bindings(std::move(*env), *dbi);
}

Result<RegisterOutcome> Bindings::register_request(std::string_view account, const Message& request,
                                                   const RegistrarPolicy& policy, std::string_view flow,
                                                   std::int64_t now) {
  if (auto s = check_account(account); !s) return s.error();
  auto txn = env_.write();
  if (!txn) return txn.error();
  auto current = load(*txn, dbi_, account);
  if (!current) return current.error();
  RegistrarPolicy bounded = policy;
  bounded.max_bindings = std::min(policy.max_bindings, kMaxStoredBindings);
  RegisterOutcome out = apply_register(request, std::move(*current), bounded, flow, now);
  if (!out.ok() || !out.changed) return out;  // the transaction aborts: nothing written
  if (auto s = store(*txn, dbi_, account, out.bindings); !s) return s.error();
  if (auto s = txn->commit(); !s) return s.error();
  return out;
}

Result<std::vector<Binding>> Bindings::lookup(std::string_view account, std::int64_t now) const {
  if (auto s = check_account(account); !s) return s.error();
  auto txn = env_.read();
  if (!txn) return txn.error();
  auto bindings = load(*txn, dbi_, account);
  if (!bindings) return bindings.error();
  return live_bindings(std::move(*bindings), now);
}

Status Bindings::put(std::string_view account, const Binding& binding) {
  if (auto s = check_account(account); !s) return s;
  auto txn = env_.write();
  if (!txn) return txn.error();
  auto bindings = load(*txn, dbi_, account);
  if (!bindings) return bindings.error();
  const auto it = std::find_if(bindings->begin(), bindings->end(),
                               [&](const Binding& b) { return same_device(b, binding); });
  if (it != bindings->end()) {
    *it = binding;
  } else {
    if (bindings->size() >= kMaxStoredBindings) {
      return fail(Errc::limit, "kMaxStoredBindings for " + std::string(account));
    }
    bindings->push_back(binding);
  }
  if (auto s = store(*txn, dbi_, account, std::move(*bindings)); !s) return s;
  return txn->commit();
}

Status Bindings::remove(std::string_view account, std::string_view uri) {
  if (auto s = check_account(account); !s) return s;
  auto target = parse_uri(uri);
  if (!target) return target.error();
  auto txn = env_.write();
  if (!txn) return txn.error();
  auto bindings = load(*txn, dbi_, account);
  if (!bindings) return bindings.error();
  const std::size_t before = bindings->size();
  std::erase_if(*bindings, [&](const Binding& b) {
    auto u = parse_uri(b.uri);
    return u && equivalent(*u, *target);
  });
  if (bindings->size() == before) return fail(Errc::not_found, "no binding " + std::string(uri));
  if (auto s = store(*txn, dbi_, account, std::move(*bindings)); !s) return s;
  return txn->commit();
}

Result<std::size_t> Bindings::unregister(std::string_view account) {
  if (auto s = check_account(account); !s) return s.error();
  auto txn = env_.write();
  if (!txn) return txn.error();
  // Counted when it parses; cleared either way (the way out of a bad record).
  std::size_t count = 0;
  if (auto raw = txn->get(dbi_, account); raw) {
    if (auto bindings = decode(account, *raw); bindings) count = bindings->size();
  } else if (raw.code() == Errc::not_found) {
    return std::size_t{0};
  } else {
    return raw.error();
  }
  if (auto s = txn->del(dbi_, account); !s) return s.error();
  if (auto s = txn->commit(); !s) return s.error();
  return count;
}

Result<std::vector<AccountBinding>> Bindings::sweep(std::int64_t now) {
  auto txn = env_.write();
  if (!txn) return txn.error();
  // Collected first, written after: no writes under a running cursor.
  std::vector<std::pair<std::string, std::vector<Binding>>> changed;
  std::vector<AccountBinding> removed;
  Status bad;
  auto s = txn->scan(dbi_, {}, [&](std::string_view key, std::string_view value) {
    auto bindings = decode(key, value);
    if (!bindings) {
      bad = bindings.error();
      return false;
    }
    std::vector<Binding> keep;
    for (auto& b : *bindings) {
      if (b.expires_at <= now) {
        removed.push_back(AccountBinding{std::string(key), std::move(b)});
      } else {
        keep.push_back(std::move(b));
      }
    }
    if (keep.size() != bindings->size()) changed.emplace_back(std::string(key), std::move(keep));
    return true;
  });
  if (!s) return s.error();
  if (!bad) return bad.error();
  if (changed.empty()) return removed;
  for (auto& [account, keep] : changed) {
    if (auto st = store(*txn, dbi_, account, std::move(keep)); !st) return st.error();
  }
  if (auto st = txn->commit(); !st) return st.error();
  return removed;
}

Result<std::vector<AccountBinding>> Bindings::list() const {
  auto txn = env_.read();
  if (!txn) return txn.error();
  std::vector<AccountBinding> out;
  Status bad;
  auto s = txn->scan(dbi_, {}, [&](std::string_view key, std::string_view value) {
    auto bindings = decode(key, value);
    if (!bindings) {
      bad = bindings.error();
      return false;
    }
    for (auto& b : *bindings) out.push_back(AccountBinding{std::string(key), std::move(b)});
    return true;
  });
  if (!s) return s.error();
  if (!bad) return bad.error();
  return out;
}

}  // namespace parley::sip
