// The directory's data: domains, accounts, aliases, extensions, forwarders,
// groups, classes of service and settings, in one LMDB environment owned by
// the directory process alone (DATA_DIR/directory/db).
//
// Keys are normalized addresses (procs/lib/addr): lowercase local part and
// an A-label domain. Every address of a domain lives in one key space
// ("addresses"), so an alias can never shadow an account or a group.
// Every change is one write transaction: it happens whole or not at all.
// Errors: Errc::not_found, Errc::exists, Errc::invalid (with a detail fit
// for the administrator), Errc::syntax for a malformed address.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "lmdb/lmdb.h"
#include "schema/directory.pb.h"

namespace parley::directory {

struct ImportRow {
  std::size_t line = 0;
  std::string account;
  std::string real_name;
  schema::Credentials credentials;  // hashed already (or empty)
  std::vector<std::string> aliases;
  std::vector<std::string> extensions;
  std::string class_of_service;
  bool disabled = false;
};

class Store {
 public:
  static Result<std::unique_ptr<Store>> open(const std::string& dir, char detail_separator);

  bool empty() const;
  // The first domain and its accounts, in one transaction; only while the
  // directory is empty (Errc::exists otherwise).
  Result<std::string> create_first(std::string_view domain,
                                   const std::vector<std::pair<std::string, schema::Credentials>>& accounts);

  // --- domains --------------------------------------------------------
  Result<std::string> add_domain(std::string_view name);  // the normalized name
  Status remove_domain(std::string_view name);            // only when it has no addresses
  Status add_domain_alias(std::string_view domain, std::string_view alias);
  Status remove_domain_alias(std::string_view alias);
  // "unknown" = reject | discard | forward:ADDRESS, or a setting key.
  Status set_domain(std::string_view domain, std::string_view key, std::string_view value);
  Result<schema::DomainRecord> domain(std::string_view name) const;  // name or alias
  // The main domain: the first one, or the one `domain set D main=yes` named.
  std::string main_domain() const;
  std::vector<schema::DomainRecord> domains() const;

  // --- accounts -------------------------------------------------------
  Result<std::string> add_account(std::string_view address, std::string_view real_name, schema::Credentials credentials);
  Status remove_account(std::string_view address);
  Status rename_account(std::string_view from, std::string_view to);
  Status set_credentials(std::string_view address, const schema::Credentials& credentials);
  // real_name, class_of_service, disabled=yes|no, or a setting key.
  Status set_account(std::string_view address, std::string_view key, std::string_view value);
  // An alias "x@domain" (any domain of ours) or an extension "323" (the account's domain).
  Status add_account_alias(std::string_view address, std::string_view alias);
  Status remove_account_alias(std::string_view address, std::string_view alias);
  Result<schema::AccountRecord> account(std::string_view address) const;  // exact account name
  std::vector<schema::AccountRecord> accounts(std::string_view domain) const;  // "" : all
  // Resolves a login name (account, alias, extension@domain) to its account.
  Result<schema::AccountRecord> account_for_login(std::string_view login) const;
  // The effective SIP settings of an account (as Resolution.sip).
  schema::SipSettings sip_settings(const schema::AccountRecord& account) const;

  // --- forwarders and groups -------------------------------------------
  Status add_forwarder(std::string_view address, std::string_view target);
  Status remove_forwarder(std::string_view address);
  std::vector<std::pair<std::string, std::string>> forwarders(std::string_view domain) const;
  Status add_group(std::string_view address);
  Status remove_group(std::string_view address);
  Status add_group_member(std::string_view group, std::string_view member);
  Status remove_group_member(std::string_view group, std::string_view member);
  Result<std::vector<std::string>> group_members(std::string_view group) const;
  std::vector<std::string> groups(std::string_view domain) const;

  // --- settings ---------------------------------------------------------
  Status set_server_default(std::string_view key, std::string_view value);
  Status set_class_of_service(std::string_view name, std::string_view key, std::string_view value);
  // The value in force for an account, and where it came from
  // ("account", "class", "domain", "server", "built-in").
  std::pair<std::string, std::string> effective(const schema::AccountRecord& account, std::string_view key) const;

  // --- resolution -------------------------------------------------------
  schema::Resolution resolve(std::string_view address) const;

  // --- bulk -------------------------------------------------------------
  // All rows in one transaction; the first bad row fails the whole import
  // with its line number.
  Result<std::size_t> import_accounts(const std::vector<ImportRow>& rows);

  lmdb::Env& env() { return env_; }

  // Called with an account's name after each committed change to it
  // (credentials, disabled, settings, aliases; the old name after a rename;
  // removal), so that what others keep about it can be dropped. One
  // observer: the authenticator's credentials cache.
  void on_account_changed(std::function<void(std::string_view account)> observer) {
    account_changed_ = std::move(observer);
  }

 private:
  Store(lmdb::Env env, char separator) : env_(std::move(env)), separator_(separator) {}
  Status open_dbis();
  Result<std::string> normalize_address(std::string_view address, bool allow_detail = false) const;
  Result<std::string> local_domain(const lmdb::Txn& txn, std::string_view domain) const;
  Status add_account_in(lmdb::Txn& txn, std::string_view address, std::string_view real_name,
                        schema::Credentials credentials, std::string& name);
  Status add_alias_in(lmdb::Txn& txn, schema::AccountRecord& account, std::string_view alias);
  // Loads the record at `key` (Errc::not_found names `what`), lets `change`
  // edit it, and saves it, all in one write transaction.
  template <class Record, class F>
  Status update(MDB_dbi dbi, const std::string& key, std::string_view what, F change);
  Status add_entry(std::string_view address, const schema::AddressEntry& entry);
  Status update_group(std::string_view group, const std::function<Status(schema::AddressEntry&)>& change);
  // The settings an account inherits (its class of service, its domain's
  // defaults, the server defaults), read once in `txn`, so that many keys
  // can be looked up without reading them again.
  struct Inherited {
    std::optional<schema::Settings> cls, domain, server;
  };
  Inherited inherited(const lmdb::Txn& txn, const schema::AccountRecord& account) const;
  static std::pair<std::string, std::string> pick_effective(const schema::AccountRecord& account,
                                                             const Inherited& inherited, std::string_view key);
  // Resolution.sip for an account that resolve() found.
  schema::SipSettings sip_settings(const schema::AccountRecord& account, const Inherited& inherited) const;
  void expand(const lmdb::Txn& txn, std::string_view key, std::vector<std::string>& out,
              std::vector<std::string>& seen, int depth) const;

  void account_changed(std::string_view account) const {
    if (account_changed_) account_changed_(account);
  }

  lmdb::Env env_;
  char separator_;
  std::function<void(std::string_view account)> account_changed_;
  MDB_dbi domains_ = 0, domain_aliases_ = 0, addresses_ = 0, accounts_ = 0, classes_ = 0, meta_ = 0;
};

}  // namespace parley::directory
