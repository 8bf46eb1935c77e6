#include "sip/presence_rules.h"

#include "core/ascii.h"
#include "sip/bindings.h"

namespace parley::sip {
namespace {

constexpr std::size_t kMapSize = std::size_t{1} << 30;

// "account NUL watcher": no address holds a NUL, so keys cannot collide.
Result<std::string> key_of(std::string_view account, std::string_view watcher) {
  if (account.empty() || watcher.empty() || account.size() > kMaxAccount || watcher.size() > kMaxAccount ||
      account.find('\0') != std::string_view::npos || watcher.find('\0') != std::string_view::npos) {
    return fail(Errc::invalid, "bad account or watcher name");
  }
  return ascii_lower(account) + std::string(1, '\0') + ascii_lower(watcher);
}

}  // namespace

Result<PresenceRules> PresenceRules::open(const std::string& dir) {
  lmdb::EnvOptions options;
  options.map_size = kMapSize;
  options.max_dbs = 2;
  auto env = lmdb::Env::open(dir, options);
  if (!env) return env.error();
  auto dbi = env->dbi("allowed");
  if (!dbi) return dbi.error();
  return PresenceRules(std::move(*env), *dbi);
}

Status PresenceRules::allow(std::string_view account, std::string_view watcher) {
  auto key = key_of(account, watcher);
  if (!key) return key.error();
  auto txn = env_.write();
  if (!txn) return txn.error();
  if (auto s = txn->put(dbi_, *key, "1"); !s) return s;
  return txn->commit();
}

Status PresenceRules::deny(std::string_view account, std::string_view watcher) {
  auto key = key_of(account, watcher);
  if (!key) return key.error();
  auto txn = env_.write();
  if (!txn) return txn.error();
  if (auto s = txn->del(dbi_, *key); !s) return s;
  return txn->commit();
}

Result<bool> PresenceRules::allowed(std::string_view account, std::string_view watcher) const {
  auto key = key_of(account, watcher);
  if (!key) return key.error();
  auto txn = env_.read();
  if (!txn) return txn.error();
  return txn->contains(dbi_, *key);
}

}  // namespace parley::sip
