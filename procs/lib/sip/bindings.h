// sipd's registrations on disk: the registrar's bindings (sip/registrar.h)
// in an LMDB environment of their own, so that a restart or a kill -9 of
// sipd loses none.
//   DIR/  LMDB: "bindings"  account -> schema::SipRegistration (schema/sip.proto),
//               every binding of the account, highest q first.
// DIR is sipd's own (DATA_DIR/sip/registrations, mode 0700); nobody else
// opens it (others ask sipd).
//
// Every write is committed before it returns: register_request's outcome
// may be answered 200 as soon as it returns, and a restart or a kill -9
// loses nothing. With `sync_commits` (the default) each commit also
// reaches the disk first; without, the caller calls sync() every so often
// and a crash of the machine loses at most the changes since (phones
// register again within their interval, as after any outage). The API is
// synchronous; an LMDB write of one small record is fast.
//
// Time is the caller's: `now` in seconds on the same clock as the
// bindings' expires_at (wall time, so that it means the same after a
// restart).
//
// Errors: Errc::invalid for an account name that is empty or longer than
// kMaxAccount; Errc::io from LMDB; Errc::internal for a stored record that
// does not parse or validate (the account's bindings are then unusable
// until unregister() clears them).
//
// Thread use: one Bindings per process; reads may run beside the writer.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "lmdb/lmdb.h"
#include "sip/registrar.h"

namespace parley::sip {

// An account name as the directory spells it ("alice@example.com"): RFC
// 5321 4.5.3.1.1 and 4.5.3.1.2 bound a local part by 64 octets and a domain
// by 255.
constexpr std::size_t kMaxAccount = 64 + 1 + 255;
// Bindings kept per account whatever the policy says (a bound on a stored
// record's size: the directory's device limits are far below it).
constexpr std::size_t kMaxStoredBindings = 1024;

struct AccountBinding {
  std::string account;
  Binding binding;
};

class Bindings {
 public:
  // Opens (creating) the environment in `dir`.
  static Result<Bindings> open(const std::string& dir, bool sync_commits = true);
  // Writes committed changes to the disk (for sync_commits = false).
  Status sync() { return env_.sync(); }
  Bindings(Bindings&&) noexcept = default;
  Bindings& operator=(Bindings&&) noexcept = default;

  // apply_register against the account's stored bindings, in one write
  // transaction, committed before returning when accepted and changed. A
  // refusal changes nothing. Past kMaxStoredBindings, Refusal::too_many
  // whatever the policy.
  Result<RegisterOutcome> register_request(std::string_view account, const Message& request,
                                           const RegistrarPolicy& policy, std::string_view flow, std::int64_t now);

  // For routing: the account's unexpired bindings, highest q first. None: empty.
  Result<std::vector<Binding>> lookup(std::string_view account, std::int64_t now) const;

  // Adds `binding`, or replaces the account's binding for the same device
  // (same instance and reg-id) or, without an instance, the same URI
  // (RFC 3261 19.1.4). No CSeq or limit check: that is register_request's.
  // Errc::limit past kMaxStoredBindings.
  Status put(std::string_view account, const Binding& binding);

  // Removes the account's binding(s) whose URI is equivalent to `uri`
  // (RFC 3261 19.1.4). Errc::not_found when there is none.
  Status remove(std::string_view account, std::string_view uri);

  // Removes every binding of the account; how many there were (0: none).
  Result<std::size_t> unregister(std::string_view account);

  // Removes every binding whose expires_at <= now, in one transaction;
  // what was removed.
  Result<std::vector<AccountBinding>> sweep(std::int64_t now);

  // Every stored binding, by account then q (expired ones too until a
  // sweep takes them), for `parleyctl sip registrations`.
  Result<std::vector<AccountBinding>> list() const;

 private:
  Bindings(lmdb::Env env, MDB_dbi dbi) : env_(std::move(env)), dbi_(dbi) {}
  lmdb::Env env_;
  MDB_dbi dbi_ = 0;
};

}  // namespace parley::sip
