#include "store.h"

#include <algorithm>
#include <charconv>
#include <ctime>
#include <type_traits>

#include "addr/addr.h"
#include "settings.h"

namespace parley::directory {
namespace {

// Group nesting deeper than this is treated as a loop.
constexpr int kMaxGroupDepth = 16;
constexpr std::size_t kMaxGroupMembers = 10000;
constexpr std::string_view kServerDefaults = "server_defaults";
constexpr std::string_view kMainDomain = "main_domain";
constexpr std::size_t kMaxExtension = kMaxExtensionDigits;

template <class Record>
Result<Record> load(const lmdb::Txn& txn, MDB_dbi dbi, std::string_view key) {
  auto raw = txn.get(dbi, key);
  if (!raw) return raw.error();
  Record r;
  if (!r.ParseFromArray(raw->data(), static_cast<int>(raw->size()))) return fail(Errc::internal, "corrupt record " + std::string(key));
  return r;
}

template <class Record>
Status save(lmdb::Txn& txn, MDB_dbi dbi, std::string_view key, const Record& r) {
  return txn.put(dbi, key, r.SerializeAsString());
}

std::string domain_of(std::string_view address) {
  auto at = address.rfind('@');
  return at == std::string_view::npos ? std::string() : std::string(address.substr(at + 1));
}

std::string local_of(std::string_view address) {
  auto at = address.rfind('@');
  return std::string(address.substr(0, at));
}

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

Error not_found(std::string_view what, std::string_view name) {
  return fail(Errc::not_found, std::string(what) + " " + std::string(name) + " does not exist");
}

Status set_setting(schema::Settings& settings, std::string_view key, std::string_view value) {
  if (auto s = check_setting(key, value); !s) return s;
  if (value == kInherit) {
    settings.mutable_values()->erase(std::string(key));
  } else {
    (*settings.mutable_values())[std::string(key)] = std::string(value);
  }
  return {};
}

Result<bool> parse_bool(std::string_view v) {
  if (v == "yes" || v == "true" || v == "1") return true;
  if (v == "no" || v == "false" || v == "0") return false;
  return fail(Errc::invalid, "expected yes or no");
}

}  // namespace

Result<std::unique_ptr<Store>> Store::open(const std::string& dir, char detail_separator) {
  auto env = lmdb::Env::open(dir);
  if (!env) return env.error();
  std::unique_ptr<Store> store(new Store(std::move(env.value()), detail_separator));
  if (auto s = store->open_dbis(); !s) return s.error();
  return store;
}

Status Store::open_dbis() {
  struct Named {
    const char* name;
    MDB_dbi* dbi;
  };
  for (auto [name, dbi] : {Named{"domains", &domains_}, Named{"domain_aliases", &domain_aliases_},
                           Named{"addresses", &addresses_}, Named{"accounts", &accounts_},
                           Named{"classes", &classes_}, Named{"meta", &meta_}}) {
    auto d = env_.dbi(name);
    if (!d) return d.error();
    *dbi = *d;
  }
  return {};
}

template <class Record, class F>
Status Store::update(MDB_dbi dbi, const std::string& key, std::string_view what, F change) {
  auto txn = env_.write();
  if (!txn) return txn.error();
  auto record = load<Record>(*txn, dbi, key);
  if (!record) return not_found(what, key);
  if (auto s = change(*txn, *record); !s) return s;
  if (auto s = save(*txn, dbi, key, *record); !s) return s;
  if (auto s = txn->commit(); !s) return s;
  if constexpr (std::is_same_v<Record, schema::AccountRecord>) account_changed(key);
  return {};
}

bool Store::empty() const {
  auto txn = env_.read();
  if (!txn) return false;
  auto n = txn->count(domains_);
  return n && *n == 0;
}

Result<std::string> Store::normalize_address(std::string_view address, bool allow_detail) const {
  auto n = addr::normalize(address, allow_detail ? separator_ : '\0');
  if (!n) return fail(Errc::syntax, "bad address " + std::string(address) + ": " + n.error().detail);
  return n->key();
}

// The main domain for a domain or one of its aliases.
Result<std::string> Store::local_domain(const lmdb::Txn& txn, std::string_view domain) const {
  if (txn.contains(domains_, domain)) return std::string(domain);
  auto alias = txn.get(domain_aliases_, domain);
  if (alias) return std::string(*alias);
  return fail(Errc::not_found, "domain " + std::string(domain) + " is not one of ours");
}

Result<std::string> Store::create_first(std::string_view domain,
                                        const std::vector<std::pair<std::string, schema::Credentials>>& accounts) {
  auto normalized = addr::normalize_domain(domain);
  if (!normalized) return fail(Errc::syntax, "bad domain " + std::string(domain) + ": " + normalized.error().detail);
  auto txn = env_.write();
  if (!txn) return txn.error();
  auto n = txn->count(domains_);
  if (!n || *n != 0) return fail(Errc::exists, "the directory is not empty");
  schema::DomainRecord d;
  d.set_name(*normalized);
  d.set_created_unix(std::time(nullptr));
  if (auto s = txn->insert(domains_, *normalized, d.SerializeAsString()); !s) return s.error();
  if (auto s = txn->put(meta_, kMainDomain, *normalized); !s) return s.error();
  for (const auto& [local, credentials] : accounts) {
    std::string name;
    if (auto s = add_account_in(*txn, local + "@" + *normalized, "", credentials, name); !s) return s.error();
  }
  if (auto s = txn->commit(); !s) return s.error();
  return *normalized;
}

// --- domains ----------------------------------------------------------

Result<std::string> Store::add_domain(std::string_view name) {
  auto normalized = addr::normalize_domain(name);
  if (!normalized) return fail(Errc::syntax, "bad domain " + std::string(name) + ": " + normalized.error().detail);
  auto txn = env_.write();
  if (!txn) return txn.error();
  if (txn->contains(domain_aliases_, *normalized)) return fail(Errc::exists, *normalized + " is an alias of another domain");
  schema::DomainRecord d;
  d.set_name(*normalized);
  d.set_created_unix(std::time(nullptr));
  if (auto s = txn->insert(domains_, *normalized, d.SerializeAsString()); !s) {
    return s.code() == Errc::exists ? fail(Errc::exists, "domain " + *normalized + " exists") : s.error();
  }
  if (!txn->contains(meta_, kMainDomain)) {
    if (auto s = txn->put(meta_, kMainDomain, *normalized); !s) return s.error();
  }
  if (auto s = txn->commit(); !s) return s.error();
  return *normalized;
}

Status Store::remove_domain(std::string_view name) {
  auto normalized = addr::normalize_domain(name);
  if (!normalized) return fail(Errc::syntax, "bad domain " + std::string(name));
  auto txn = env_.write();
  if (!txn) return txn.error();
  auto d = load<schema::DomainRecord>(*txn, domains_, *normalized);
  if (!d) return not_found("domain", *normalized);
  std::size_t used = 0;
  auto counted = txn->scan(addresses_, "", [&](std::string_view key, std::string_view) {
    if (domain_of(key) == *normalized) ++used;
    return true;
  });
  if (!counted) return counted;
  if (used > 0) return fail(Errc::invalid, "domain " + *normalized + " still has " + std::to_string(used) + " addresses; remove them first");
  auto main = txn->get(meta_, kMainDomain);
  if (main && *main == *normalized) {
    auto n = txn->count(domains_);
    if (n && *n > 1) return fail(Errc::invalid, *normalized + " is the main domain; make another one main first");
    (void)txn->del(meta_, kMainDomain);
  }
  for (const auto& alias : d->aliases()) (void)txn->del(domain_aliases_, alias);
  if (auto s = txn->del(domains_, *normalized); !s) return s;
  return txn->commit();
}

Status Store::add_domain_alias(std::string_view domain, std::string_view alias) {
  auto main = addr::normalize_domain(domain);
  auto other = addr::normalize_domain(alias);
  if (!main || !other) return fail(Errc::syntax, "bad domain name");
  auto txn = env_.write();
  if (!txn) return txn.error();
  auto d = load<schema::DomainRecord>(*txn, domains_, *main);
  if (!d) return not_found("domain", *main);
  if (txn->contains(domains_, *other) || txn->contains(domain_aliases_, *other)) {
    return fail(Errc::exists, *other + " is already a domain or an alias");
  }
  d->add_aliases(*other);
  if (auto s = txn->put(domain_aliases_, *other, *main); !s) return s;
  if (auto s = save(*txn, domains_, *main, *d); !s) return s;
  return txn->commit();
}

Status Store::remove_domain_alias(std::string_view alias) {
  auto other = addr::normalize_domain(alias);
  if (!other) return fail(Errc::syntax, "bad domain name");
  auto txn = env_.write();
  if (!txn) return txn.error();
  auto main = txn->get(domain_aliases_, *other);
  if (!main) return not_found("domain alias", *other);
  std::string main_name(*main);
  auto d = load<schema::DomainRecord>(*txn, domains_, main_name);
  if (!d) return d.error();
  auto* aliases = d->mutable_aliases();
  aliases->erase(std::remove(aliases->begin(), aliases->end(), *other), aliases->end());
  if (auto s = txn->del(domain_aliases_, *other); !s) return s;
  if (auto s = save(*txn, domains_, main_name, *d); !s) return s;
  return txn->commit();
}

Status Store::set_domain(std::string_view domain, std::string_view key, std::string_view value) {
  auto name = addr::normalize_domain(domain);
  if (!name) return fail(Errc::syntax, "bad domain name");
  return update<schema::DomainRecord>(domains_, *name, "domain", [&](lmdb::Txn& txn, schema::DomainRecord& d) -> Status {
    if (key == "main") {
      if (value != "yes") return fail(Errc::invalid, "main=yes makes this the main domain (another one takes it over)");
      return txn.put(meta_, kMainDomain, d.name());
    }
    if (key != "unknown") return set_setting(*d.mutable_defaults(), key, value);
    if (value == "reject") {
      d.set_unknown_policy(schema::UNKNOWN_REJECT);
    } else if (value == "discard") {
      d.set_unknown_policy(schema::UNKNOWN_DISCARD);
    } else if (value.starts_with("forward:")) {
      auto target = normalize_address(value.substr(8));
      if (!target) return target.error();
      d.set_unknown_policy(schema::UNKNOWN_FORWARD);
      d.set_unknown_forward(*target);
    } else {
      return fail(Errc::invalid, "unknown= takes reject, discard or forward:ADDRESS");
    }
    return {};
  });
}

Result<schema::DomainRecord> Store::domain(std::string_view name) const {
  auto normalized = addr::normalize_domain(name);
  if (!normalized) return fail(Errc::syntax, "bad domain name");
  auto txn = env_.read();
  if (!txn) return txn.error();
  auto main = local_domain(*txn, *normalized);
  if (!main) return main.error();
  return load<schema::DomainRecord>(*txn, domains_, *main);
}

std::string Store::main_domain() const {
  auto txn = env_.read();
  if (!txn) return {};
  auto main = txn->get(meta_, kMainDomain);
  return main ? std::string(*main) : std::string();
}

std::vector<schema::DomainRecord> Store::domains() const {
  std::vector<schema::DomainRecord> out;
  auto txn = env_.read();
  if (!txn) return out;
  (void)txn->scan(domains_, "", [&](std::string_view, std::string_view v) {
    schema::DomainRecord d;
    if (d.ParseFromArray(v.data(), static_cast<int>(v.size()))) out.push_back(std::move(d));
    return true;
  });
  return out;
}

// --- accounts ---------------------------------------------------------

Status Store::add_account_in(lmdb::Txn& txn, std::string_view address, std::string_view real_name,
                             schema::Credentials credentials, std::string& name) {
  auto key = normalize_address(address);
  if (!key) return key.error();
  auto domain = local_domain(txn, domain_of(*key));
  if (!domain) return domain.error();
  name = local_of(*key) + "@" + *domain;
  if (local_of(name).find(separator_) != std::string::npos && separator_ != '\0') {
    return fail(Errc::invalid, std::string("an account name cannot contain the detail separator '") + separator_ + "'");
  }
  schema::AddressEntry entry;
  entry.set_kind(schema::AddressEntry::KIND_ACCOUNT);
  entry.set_target(name);
  if (auto s = txn.insert(addresses_, name, entry.SerializeAsString()); !s) {
    return s.code() == Errc::exists ? fail(Errc::exists, name + " is already in use") : s;
  }
  schema::AccountRecord a;
  a.set_name(name);
  a.set_real_name(std::string(real_name));
  *a.mutable_credentials() = std::move(credentials);
  a.set_created_unix(std::time(nullptr));
  return save(txn, accounts_, name, a);
}

Result<std::string> Store::add_account(std::string_view address, std::string_view real_name, schema::Credentials credentials) {
  auto txn = env_.write();
  if (!txn) return txn.error();
  std::string name;
  if (auto s = add_account_in(*txn, address, real_name, std::move(credentials), name); !s) return s.error();
  if (auto s = txn->commit(); !s) return s.error();
  return name;
}

Status Store::remove_account(std::string_view address) {
  auto key = normalize_address(address);
  if (!key) return key.error();
  auto txn = env_.write();
  if (!txn) return txn.error();
  auto a = load<schema::AccountRecord>(*txn, accounts_, *key);
  if (!a) return not_found("account", *key);
  for (const auto& alias : a->aliases()) (void)txn->del(addresses_, alias);
  for (const auto& ext : a->extensions()) (void)txn->del(addresses_, ext + "@" + domain_of(*key));
  (void)txn->del(addresses_, *key);
  if (auto s = txn->del(accounts_, *key); !s) return s;
  if (auto s = txn->commit(); !s) return s;
  account_changed(*key);
  return {};
}

Status Store::rename_account(std::string_view from, std::string_view to) {
  auto old_key = normalize_address(from);
  auto new_key = normalize_address(to);
  if (!old_key) return old_key.error();
  if (!new_key) return new_key.error();
  auto txn = env_.write();
  if (!txn) return txn.error();
  auto a = load<schema::AccountRecord>(*txn, accounts_, *old_key);
  if (!a) return not_found("account", *old_key);
  auto domain = local_domain(*txn, domain_of(*new_key));
  if (!domain) return domain.error();
  std::string name = local_of(*new_key) + "@" + *domain;
  if (separator_ != '\0' && local_of(name).find(separator_) != std::string::npos) {
    return fail(Errc::invalid, std::string("an account name cannot contain the detail separator '") + separator_ + "'");
  }
  schema::AddressEntry entry;
  entry.set_kind(schema::AddressEntry::KIND_ACCOUNT);
  entry.set_target(name);
  if (auto s = txn->insert(addresses_, name, entry.SerializeAsString()); !s) {
    return s.code() == Errc::exists ? fail(Errc::exists, name + " is already in use") : s;
  }
  (void)txn->del(addresses_, *old_key);
  (void)txn->del(accounts_, *old_key);
  // Aliases and extensions follow the account (extensions stay in the old
  // domain's number plan, so they move only with a same-domain rename).
  for (const auto& alias : a->aliases()) {
    entry.set_kind(schema::AddressEntry::KIND_ALIAS);
    if (auto s = txn->put(addresses_, alias, entry.SerializeAsString()); !s) return s;
  }
  std::string old_domain = domain_of(*old_key);
  for (const auto& ext : a->extensions()) {
    (void)txn->del(addresses_, ext + "@" + old_domain);
    entry.set_kind(schema::AddressEntry::KIND_EXTENSION);
    if (auto s = txn->insert(addresses_, ext + "@" + *domain, entry.SerializeAsString()); !s) {
      return fail(Errc::exists, "extension " + ext + " is taken in " + *domain);
    }
  }
  a->set_name(name);
  if (auto s = save(*txn, accounts_, name, *a); !s) return s;
  if (auto s = txn->commit(); !s) return s;
  account_changed(*old_key);
  return {};
}

Status Store::set_credentials(std::string_view address, const schema::Credentials& credentials) {
  auto key = normalize_address(address);
  if (!key) return key.error();
  return update<schema::AccountRecord>(accounts_, *key, "account", [&](lmdb::Txn&, schema::AccountRecord& a) -> Status {
    *a.mutable_credentials() = credentials;
    return {};
  });
}

Status Store::set_account(std::string_view address, std::string_view key, std::string_view value) {
  auto name = normalize_address(address);
  if (!name) return name.error();
  return update<schema::AccountRecord>(accounts_, *name, "account", [&](lmdb::Txn& txn, schema::AccountRecord& a) -> Status {
    if (key == "real_name") {
      if (auto s = check_text(value); !s) return fail(Errc::invalid, "real_name: " + s.error().detail);
      a.set_real_name(std::string(value));
    } else if (key == "class_of_service") {
      if (!value.empty() && value != kInherit && !txn.contains(classes_, value)) {
        return fail(Errc::not_found, "class of service " + std::string(value) + " does not exist");
      }
      a.set_class_of_service(value == kInherit ? std::string() : std::string(value));
    } else if (key == "disabled") {
      auto b = parse_bool(value);
      if (!b) return fail(Errc::invalid, "disabled: expected yes or no");
      a.set_disabled(*b);
    } else {
      return set_setting(*a.mutable_settings(), key, value);
    }
    return {};
  });
}

Status Store::add_alias_in(lmdb::Txn& txn, schema::AccountRecord& a, std::string_view alias) {
  std::string domain = domain_of(a.name());
  schema::AddressEntry entry;
  entry.set_target(a.name());
  if (all_digits(alias)) {
    if (alias.size() > kMaxExtension) return fail(Errc::limit, "an extension has at most 20 digits");
    entry.set_kind(schema::AddressEntry::KIND_EXTENSION);
    if (auto s = txn.insert(addresses_, std::string(alias) + "@" + domain, entry.SerializeAsString()); !s) {
      return s.code() == Errc::exists ? fail(Errc::exists, "extension " + std::string(alias) + " is taken in " + domain) : s;
    }
    a.add_extensions(std::string(alias));
    return {};
  }
  auto key = normalize_address(alias);
  if (!key) return key.error();
  auto alias_domain = local_domain(txn, domain_of(*key));
  if (!alias_domain) return alias_domain.error();
  std::string full = local_of(*key) + "@" + *alias_domain;
  entry.set_kind(schema::AddressEntry::KIND_ALIAS);
  if (auto s = txn.insert(addresses_, full, entry.SerializeAsString()); !s) {
    return s.code() == Errc::exists ? fail(Errc::exists, full + " is already in use") : s;
  }
  a.add_aliases(full);
  return {};
}

Status Store::add_account_alias(std::string_view address, std::string_view alias) {
  auto name = normalize_address(address);
  if (!name) return name.error();
  return update<schema::AccountRecord>(accounts_, *name, "account", [&](lmdb::Txn& txn, schema::AccountRecord& a) {
    return add_alias_in(txn, a, alias);
  });
}

Status Store::remove_account_alias(std::string_view address, std::string_view alias) {
  auto name = normalize_address(address);
  if (!name) return name.error();
  return update<schema::AccountRecord>(accounts_, *name, "account", [&](lmdb::Txn& txn, schema::AccountRecord& a) -> Status {
    // An extension is a number in the account's domain; anything else is an alias address.
    bool extension = all_digits(alias);
    auto key = extension ? Result<std::string>(std::string(alias)) : normalize_address(alias);
    // An alias may be named through a domain alias, as when it was added.
    if (key && !extension) {
      if (auto main = local_domain(txn, domain_of(*key))) key = local_of(*key) + "@" + *main;
    }
    auto* list = extension ? a.mutable_extensions() : a.mutable_aliases();
    auto it = key ? std::find(list->begin(), list->end(), *key) : list->end();
    if (it == list->end()) return fail(Errc::not_found, std::string(alias) + " is not an alias of " + *name);
    list->erase(it);
    return txn.del(addresses_, extension ? *key + "@" + domain_of(*name) : *key);
  });
}

Result<schema::AccountRecord> Store::account(std::string_view address) const {
  auto key = normalize_address(address);
  if (!key) return key.error();
  auto txn = env_.read();
  if (!txn) return txn.error();
  auto a = load<schema::AccountRecord>(*txn, accounts_, *key);
  if (!a) return not_found("account", *key);
  return a;
}

std::vector<schema::AccountRecord> Store::accounts(std::string_view domain) const {
  std::vector<schema::AccountRecord> out;
  auto txn = env_.read();
  if (!txn) return out;
  (void)txn->scan(accounts_, "", [&](std::string_view key, std::string_view v) {
    if (!domain.empty() && domain_of(key) != domain) return true;
    schema::AccountRecord a;
    if (a.ParseFromArray(v.data(), static_cast<int>(v.size()))) out.push_back(std::move(a));
    return true;
  });
  return out;
}

Result<schema::AccountRecord> Store::account_for_login(std::string_view login) const {
  auto key = normalize_address(login);
  if (!key) return key.error();
  auto txn = env_.read();
  if (!txn) return txn.error();
  auto domain = local_domain(*txn, domain_of(*key));
  if (!domain) return fail(Errc::not_found, "no such login");
  std::string full = local_of(*key) + "@" + *domain;
  auto entry = load<schema::AddressEntry>(*txn, addresses_, full);
  if (!entry) return fail(Errc::not_found, "no such login");
  switch (entry->kind()) {
    case schema::AddressEntry::KIND_ACCOUNT:
    case schema::AddressEntry::KIND_ALIAS:
    case schema::AddressEntry::KIND_EXTENSION:
      return load<schema::AccountRecord>(*txn, accounts_, entry->target());
    default:
      return fail(Errc::not_found, "no such login");
  }
}

// --- forwarders and groups --------------------------------------------

// A new forwarder or group at `address` (an alias domain maps to its main domain).
Status Store::add_entry(std::string_view address, const schema::AddressEntry& entry) {
  auto key = normalize_address(address);
  if (!key) return key.error();
  auto txn = env_.write();
  if (!txn) return txn.error();
  auto domain = local_domain(*txn, domain_of(*key));
  if (!domain) return domain.error();
  std::string full = local_of(*key) + "@" + *domain;
  if (auto s = txn->insert(addresses_, full, entry.SerializeAsString()); !s) {
    return s.code() == Errc::exists ? fail(Errc::exists, full + " is already in use") : s;
  }
  return txn->commit();
}

Status Store::add_forwarder(std::string_view address, std::string_view target) {
  auto to = addr::normalize(target, '\0');
  if (!to) return fail(Errc::syntax, "bad target " + std::string(target));
  schema::AddressEntry entry;
  entry.set_kind(schema::AddressEntry::KIND_FORWARDER);
  entry.add_targets(to->key());
  return add_entry(address, entry);
}

namespace {
Status remove_kind(lmdb::Txn& txn, MDB_dbi dbi, const std::string& key, schema::AddressEntry::Kind kind, std::string_view what) {
  auto raw = txn.get(dbi, key);
  schema::AddressEntry entry;
  if (!raw || !entry.ParseFromArray(raw->data(), static_cast<int>(raw->size())) || entry.kind() != kind) {
    return fail(Errc::not_found, std::string(what) + " " + key + " does not exist");
  }
  return txn.del(dbi, key);
}
}  // namespace

Status Store::remove_forwarder(std::string_view address) {
  auto key = normalize_address(address);
  if (!key) return key.error();
  auto txn = env_.write();
  if (!txn) return txn.error();
  if (auto s = remove_kind(*txn, addresses_, *key, schema::AddressEntry::KIND_FORWARDER, "forwarder"); !s) return s;
  return txn->commit();
}

std::vector<std::pair<std::string, std::string>> Store::forwarders(std::string_view domain) const {
  std::vector<std::pair<std::string, std::string>> out;
  auto txn = env_.read();
  if (!txn) return out;
  (void)txn->scan(addresses_, "", [&](std::string_view key, std::string_view v) {
    schema::AddressEntry e;
    if ((domain.empty() || domain_of(key) == domain) && e.ParseFromArray(v.data(), static_cast<int>(v.size())) &&
        e.kind() == schema::AddressEntry::KIND_FORWARDER && e.targets_size() > 0) {
      out.emplace_back(std::string(key), e.targets(0));
    }
    return true;
  });
  return out;
}

Status Store::add_group(std::string_view address) {
  schema::AddressEntry entry;
  entry.set_kind(schema::AddressEntry::KIND_GROUP);
  return add_entry(address, entry);
}

Status Store::remove_group(std::string_view address) {
  auto key = normalize_address(address);
  if (!key) return key.error();
  auto txn = env_.write();
  if (!txn) return txn.error();
  if (auto s = remove_kind(*txn, addresses_, *key, schema::AddressEntry::KIND_GROUP, "group"); !s) return s;
  return txn->commit();
}

Status Store::update_group(std::string_view group, const std::function<Status(schema::AddressEntry&)>& change) {
  auto key = normalize_address(group);
  if (!key) return key.error();
  return update<schema::AddressEntry>(addresses_, *key, "group", [&](lmdb::Txn&, schema::AddressEntry& entry) -> Status {
    if (entry.kind() != schema::AddressEntry::KIND_GROUP) return not_found("group", *key);
    return change(entry);
  });
}

Status Store::add_group_member(std::string_view group, std::string_view member) {
  auto m = addr::normalize(member, '\0');
  if (!m) return fail(Errc::syntax, "bad member " + std::string(member));
  return update_group(group, [&](schema::AddressEntry& entry) -> Status {
    std::string name = m->key();
    if (std::find(entry.targets().begin(), entry.targets().end(), name) != entry.targets().end()) {
      return fail(Errc::exists, name + " is already a member");
    }
    if (static_cast<std::size_t>(entry.targets_size()) >= kMaxGroupMembers) return fail(Errc::limit, "group is full");
    entry.add_targets(name);
    return {};
  });
}

Status Store::remove_group_member(std::string_view group, std::string_view member) {
  auto m = addr::normalize(member, '\0');
  if (!m) return fail(Errc::syntax, "bad member " + std::string(member));
  return update_group(group, [&](schema::AddressEntry& entry) -> Status {
    auto* targets = entry.mutable_targets();
    auto it = std::find(targets->begin(), targets->end(), m->key());
    if (it == targets->end()) return fail(Errc::not_found, m->key() + " is not a member");
    targets->erase(it);
    return {};
  });
}

Result<std::vector<std::string>> Store::group_members(std::string_view group) const {
  auto key = normalize_address(group);
  if (!key) return key.error();
  auto txn = env_.read();
  if (!txn) return txn.error();
  auto entry = load<schema::AddressEntry>(*txn, addresses_, *key);
  if (!entry || entry->kind() != schema::AddressEntry::KIND_GROUP) return not_found("group", *key);
  return std::vector<std::string>(entry->targets().begin(), entry->targets().end());
}

namespace {
// A group record's ring settings with the built-in values for what is unset.
schema::GroupRing ring_of(const schema::AddressEntry& entry) {
  schema::GroupRing ring = entry.ring();
  if (ring.seconds() == 0) ring.set_seconds(kDefaultRingSeconds);
  return ring;
}
}  // namespace

Status Store::set_group(std::string_view group, std::string_view key, std::string_view value) {
  if (value != kInherit) {
    if (auto s = check_group_setting(key, value); !s) return s;
  } else if (key != "sip_ring" && key != "sip_ring_s") {
    return check_group_setting(key, value);
  }
  return update_group(group, [&](schema::AddressEntry& entry) -> Status {
    if (key == "sip_ring") {
      entry.mutable_ring()->set_in_turn(value == "sequential");
    } else {
      std::uint32_t seconds = 0;  // 0: the built-in value
      if (value != kInherit) std::from_chars(value.data(), value.data() + value.size(), seconds);
      entry.mutable_ring()->set_seconds(seconds);
    }
    return {};
  });
}

Result<schema::GroupRing> Store::group_ring(std::string_view group) const {
  auto key = normalize_address(group);
  if (!key) return key.error();
  auto txn = env_.read();
  if (!txn) return txn.error();
  auto entry = load<schema::AddressEntry>(*txn, addresses_, *key);
  if (!entry || entry->kind() != schema::AddressEntry::KIND_GROUP) return not_found("group", *key);
  return ring_of(*entry);
}

std::vector<std::string> Store::groups(std::string_view domain) const {
  std::vector<std::string> out;
  auto txn = env_.read();
  if (!txn) return out;
  (void)txn->scan(addresses_, "", [&](std::string_view key, std::string_view v) {
    schema::AddressEntry e;
    if ((domain.empty() || domain_of(key) == domain) && e.ParseFromArray(v.data(), static_cast<int>(v.size())) &&
        e.kind() == schema::AddressEntry::KIND_GROUP) {
      out.emplace_back(key);
    }
    return true;
  });
  return out;
}

// --- settings ----------------------------------------------------------

Status Store::set_server_default(std::string_view key, std::string_view value) {
  auto txn = env_.write();
  if (!txn) return txn.error();
  schema::Settings settings;
  if (auto raw = txn->get(meta_, kServerDefaults)) settings.ParseFromArray(raw->data(), static_cast<int>(raw->size()));
  if (auto s = set_setting(settings, key, value); !s) return s;
  if (auto s = save(*txn, meta_, kServerDefaults, settings); !s) return s;
  return txn->commit();
}

Status Store::set_class_of_service(std::string_view name, std::string_view key, std::string_view value) {
  if (name.empty() || name.size() > 64) return fail(Errc::invalid, "bad class of service name");
  auto txn = env_.write();
  if (!txn) return txn.error();
  schema::Settings settings;
  if (auto raw = txn->get(classes_, name)) settings.ParseFromArray(raw->data(), static_cast<int>(raw->size()));
  if (auto s = set_setting(settings, key, value); !s) return s;
  if (auto s = save(*txn, classes_, name, settings); !s) return s;
  return txn->commit();
}

Store::Inherited Store::inherited(const lmdb::Txn& txn, const schema::AccountRecord& a) const {
  Inherited in;
  if (!a.class_of_service().empty()) {
    if (auto cos = load<schema::Settings>(txn, classes_, a.class_of_service())) in.cls = std::move(cos.value());
  }
  if (auto d = load<schema::DomainRecord>(txn, domains_, domain_of(a.name()))) in.domain = std::move(*d->mutable_defaults());
  if (auto server = load<schema::Settings>(txn, meta_, kServerDefaults)) in.server = std::move(server.value());
  return in;
}

std::pair<std::string, std::string> Store::pick_effective(const schema::AccountRecord& a, const Inherited& in,
                                                          std::string_view key) {
  std::string k(key);
  auto pick = [&](const schema::Settings& s) -> const std::string* {
    auto it = s.values().find(k);
    return it == s.values().end() || it->second == kInherit ? nullptr : &it->second;
  };
  if (const auto* v = pick(a.settings())) return {*v, "account"};
  if (in.cls) {
    if (const auto* v = pick(*in.cls)) return {*v, "class"};
  }
  if (in.domain) {
    if (const auto* v = pick(*in.domain)) return {*v, "domain"};
  }
  if (in.server) {
    if (const auto* v = pick(*in.server)) return {*v, "server"};
  }
  const SettingDecl* decl = find_setting(key);
  return {decl ? std::string(decl->builtin) : std::string(), "built-in"};
}

std::pair<std::string, std::string> Store::effective(const schema::AccountRecord& a, std::string_view key) const {
  Inherited in;
  // The account's own value needs no transaction; without one (the
  // environment failing), the built-in value stands.
  if (auto txn = env_.read()) in = inherited(*txn, a);
  return pick_effective(a, in, key);
}

schema::SipSettings Store::sip_settings(const schema::AccountRecord& a) const {
  Inherited in;
  // Without a transaction (the environment failing), the built-in values.
  if (auto txn = env_.read()) in = inherited(*txn, a);
  return sip_settings(a, in);
}

schema::SipSettings Store::sip_settings(const schema::AccountRecord& a, const Inherited& in) const {
  auto value = [&](std::string_view key) { return pick_effective(a, in, key).first; };
  auto number = [&](std::string_view key) {
    std::string v = value(key);
    std::uint32_t n = 0;
    std::from_chars(v.data(), v.data() + v.size(), n);  // checked when set
    return n;
  };
  const std::string domain = domain_of(a.name());
  // voicemail=off: a rule to voicemail is as if not set.
  const bool voicemail = value("voicemail") != "off";
  auto target = [&](std::string_view key) {
    std::string t = qualify_forward_target(value(key), domain);
    return !voicemail && t == kVoicemail ? std::string() : t;
  };
  schema::SipSettings sip;
  sip.set_max_registrations(number("sip_max_registrations"));
  sip.set_enabled(!a.disabled() && service_enabled(value("services"), "sip"));
  sip.set_forward_always(target("sip_forward_always"));
  sip.set_forward_busy(target("sip_forward_busy"));
  sip.set_forward_no_answer(target("sip_forward_no_answer"));
  sip.set_no_answer_s(number("sip_no_answer_s"));
  sip.set_forward_unregistered(target("sip_forward_unregistered"));
  sip.set_working_hours(value("sip_working_hours"));
  sip.set_time_zone(value("sip_time_zone"));
  sip.set_forward_after_hours(target("sip_forward_after_hours"));
  return sip;
}

// --- resolution --------------------------------------------------------

// Appends what `key` (a normalized address) delivers to, depth first.
void Store::expand(const lmdb::Txn& txn, std::string_view key, std::vector<std::string>& out,
                   std::vector<std::string>& seen, int depth) const {
  if (depth > kMaxGroupDepth || std::find(seen.begin(), seen.end(), key) != seen.end()) return;
  seen.emplace_back(key);
  auto add = [&](const std::string& target) {
    if (std::find(out.begin(), out.end(), target) == out.end()) out.push_back(target);
  };
  auto domain = local_domain(txn, domain_of(key));
  if (!domain) {
    add(std::string(key));  // not ours: an external member
    return;
  }
  std::string local = local_of(key);
  auto entry = load<schema::AddressEntry>(txn, addresses_, local + "@" + *domain);
  // A member written with a detail (bob+lists) is bob, as in resolve().
  if (auto cut = separator_ ? local.find(separator_) : std::string::npos; !entry && cut != std::string::npos && cut > 0) {
    entry = load<schema::AddressEntry>(txn, addresses_, local.substr(0, cut) + "@" + *domain);
  }
  if (!entry) return;  // an unknown local member is dropped
  switch (entry->kind()) {
    case schema::AddressEntry::KIND_ACCOUNT:
    case schema::AddressEntry::KIND_ALIAS:
    case schema::AddressEntry::KIND_EXTENSION: {
      // A disabled account is unknown, in a group as on its own.
      auto account = load<schema::AccountRecord>(txn, accounts_, entry->target());
      if (account && !account->disabled()) add(entry->target());
      break;
    }
    case schema::AddressEntry::KIND_FORWARDER:
      for (const auto& t : entry->targets()) add(t);
      break;
    case schema::AddressEntry::KIND_GROUP:
      for (const auto& t : entry->targets()) expand(txn, t, out, seen, depth + 1);
      break;
    default:
      break;
  }
}

schema::Resolution Store::resolve(std::string_view address) const {
  schema::Resolution r;
  r.set_address(std::string(address));
  auto n = addr::normalize(address, separator_);
  if (!n) {
    r.set_kind(schema::Resolution::KIND_UNKNOWN_REJECT);
    return r;
  }
  auto txn = env_.read();
  if (!txn) {
    r.set_kind(schema::Resolution::KIND_UNSPECIFIED);
    return r;
  }
  auto domain = local_domain(*txn, n->domain);
  if (!domain) {
    r.set_kind(schema::Resolution::KIND_NOT_LOCAL);
    return r;
  }
  // "a+b" may itself be an address; only when it is not does "+b" become a detail.
  std::string full = n->local + (n->detail.empty() ? "" : std::string(1, separator_) + n->detail) + "@" + *domain;
  auto entry = load<schema::AddressEntry>(*txn, addresses_, full);
  if (entry) {
    n->detail.clear();
  } else if (!n->detail.empty()) {
    full = n->local + "@" + *domain;
    entry = load<schema::AddressEntry>(*txn, addresses_, full);
  }
  if (entry) {
    switch (entry->kind()) {
      case schema::AddressEntry::KIND_ACCOUNT:
      case schema::AddressEntry::KIND_ALIAS:
      case schema::AddressEntry::KIND_EXTENSION: {
        auto account = load<schema::AccountRecord>(*txn, accounts_, entry->target());
        if (account && !account->disabled()) {
          r.set_kind(schema::Resolution::KIND_ACCOUNT);
          r.set_account(entry->target());
          r.set_detail(n->detail);
          // Every setting from one read of what the account inherits, in
          // this transaction.
          const Inherited in = inherited(*txn, *account);
          std::string quota = pick_effective(*account, in, "quota_bytes").first;
          std::uint64_t bytes = 0;
          std::from_chars(quota.data(), quota.data() + quota.size(), bytes);  // checked when set
          r.set_quota_bytes(bytes);
          *r.mutable_sip() = sip_settings(*account, in);
          return r;
        }
        break;  // a disabled account is unknown to mail and calls
      }
      case schema::AddressEntry::KIND_FORWARDER:
        r.set_kind(schema::Resolution::KIND_FORWARD);
        for (const auto& t : entry->targets()) r.add_targets(t);
        return r;
      case schema::AddressEntry::KIND_GROUP: {
        std::vector<std::string> out, seen;
        expand(*txn, full, out, seen, 0);
        r.set_kind(schema::Resolution::KIND_GROUP);
        for (auto& t : out) r.add_targets(std::move(t));
        *r.mutable_ring() = ring_of(*entry);
        return r;
      }
      default:
        break;
    }
  }
  auto d = load<schema::DomainRecord>(*txn, domains_, *domain);
  switch (d ? d->unknown_policy() : schema::UNKNOWN_REJECT) {
    case schema::UNKNOWN_DISCARD:
      r.set_kind(schema::Resolution::KIND_UNKNOWN_DISCARD);
      break;
    case schema::UNKNOWN_FORWARD:
      r.set_kind(schema::Resolution::KIND_FORWARD);
      r.add_targets(d->unknown_forward());
      break;
    default:
      r.set_kind(schema::Resolution::KIND_UNKNOWN_REJECT);
  }
  return r;
}

// --- bulk ---------------------------------------------------------------

Result<std::size_t> Store::import_accounts(const std::vector<ImportRow>& rows) {
  auto txn = env_.write();
  if (!txn) return txn.error();
  for (const auto& row : rows) {
    auto at_line = [&](const Error& e) { return fail(e.code, "line " + std::to_string(row.line) + ": " + e.detail); };
    std::string name;
    if (auto s = add_account_in(*txn, row.account, row.real_name, row.credentials, name); !s) return at_line(s.error());
    if (row.aliases.empty() && row.extensions.empty() && row.class_of_service.empty() && !row.disabled) continue;
    auto a = load<schema::AccountRecord>(*txn, accounts_, name);
    if (!a) return at_line(a.error());
    for (const auto& alias : row.aliases) {
      if (auto s = add_alias_in(*txn, *a, alias); !s) return at_line(s.error());
    }
    for (const auto& ext : row.extensions) {
      if (!all_digits(ext)) return at_line(fail(Errc::invalid, "extension " + ext + " is not a number"));
      if (auto s = add_alias_in(*txn, *a, ext); !s) return at_line(s.error());
    }
    if (!row.class_of_service.empty()) {
      if (!txn->contains(classes_, row.class_of_service)) {
        return at_line(fail(Errc::not_found, "class of service " + row.class_of_service + " does not exist"));
      }
      a->set_class_of_service(row.class_of_service);
    }
    a->set_disabled(row.disabled);
    if (auto s = save(*txn, accounts_, name, *a); !s) return at_line(s.error());
  }
  if (auto s = txn->commit(); !s) return s.error();
  return rows.size();
}

}  // namespace parley::directory
