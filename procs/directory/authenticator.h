// Authentication inside the directory: password hashes, SCRAM keys and
// digest secrets never leave this process. Front ends send SASL steps
// (directory.auth) or a digest response (directory.digest) and get yes,
// no, tempfail, or the next challenge.
//
// Failed attempts are counted per client address and per account in a
// sliding window; past a limit the answer is a temporary failure without
// checking the password (so the limit cannot be used to test passwords),
// logged as directory.auth.rate_limited. Every outcome is an event; no
// secret is ever logged.
//
// argon2id runs on a small thread pool so that a login never stalls
// address resolution on the event loop.
//
// Timing (PLAIN and LOGIN): a wrong password costs one argon2id check per
// stored hash whether the account exists or not. An unknown login, or an
// account without a password, is checked against a decoy hash made with
// the current argon2id parameters; a disabled account or one without the
// service is checked like any other. A rate-limited answer waits as long
// as a check has been taking (a timer, no hashing). What stays visible:
// an account with application passwords costs one check more per
// application password, and a hash made with older parameters costs what
// those cost.
//
// Credentials cache (credentials_cache.h): a successful PLAIN or LOGIN is
// remembered for `cache.ttl`; the same password for the same account then
// succeeds without argon2id. Only an account that would be let in (enabled,
// the service allowed) is looked up. A password that does not match a
// cached entry still runs the full argon2id check, so a wrong password
// costs the same whether the account has cached entries or not, and the
// cache can never turn a failure into a success. Entries are dropped when
// the store reports a change to the account (Store::on_account_changed).
#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "auth/auth.h"
#include "core/asio.h"
#include "credentials_cache.h"
#include "schema/directory.pb.h"
#include "store.h"

namespace parley::directory {

struct AuthPolicy {
  auth::Argon2Params argon2;
  std::uint32_t scram_iterations = 4096;
  std::chrono::seconds window{300};
  int max_failures_per_ip = 10;
  int max_failures_per_account = 30;
  CredentialsCache::Limits cache;
};

class Authenticator {
 public:
  using Clock = std::chrono::steady_clock;
  using Now = std::function<Clock::time_point()>;

  // `now`: the clock of the failure windows and the cache (tests pass their
  // own). Registers itself as `store`'s account observer, which it must
  // outlive.
  Authenticator(asio::io_context& io, Store& store, AuthPolicy policy, Now now = &Clock::now);
  ~Authenticator();

  awaitable<schema::AuthReply> step(const schema::AuthRequest& request);
  awaitable<schema::AuthReply> digest(const schema::DigestRequest& request);

  // New credentials for a password: argon2id, SCRAM keys and digest HA1s
  // for realm = the account's domain (username = its local part). Runs the
  // hash on the pool.
  awaitable<Result<schema::Credentials>> make_credentials(std::string account, std::string password);
  awaitable<Result<std::string>> hash(std::string password);

  void set_policy(AuthPolicy policy);

  const CredentialsCache& cache() const { return cache_; }
  // argon2id computations so far (checks and decoys); for tests.
  std::uint64_t argon2_runs() const { return argon2_runs_; }

 private:
  struct Exchange;
  // True when `password` matches one of the account's hashes; a null
  // account (or one without hashes) is checked against the decoy.
  awaitable<bool> verify(const schema::AccountRecord* account, std::string password);
  // Waits about as long as a password check takes (the rate-limited answer).
  awaitable<void> pause_like_a_check();
  // Why an account with the right password is still refused ("" : it is not).
  std::string_view refusal(const schema::AuthRequest& request, const schema::AccountRecord& account) const;
  awaitable<schema::AuthReply> finish_password(const schema::AuthRequest& request, std::string login, std::string password);
  schema::AuthReply conclude(const schema::AuthRequest& request, const std::string& login,
                             const schema::AccountRecord* account, bool ok);
  bool limited(const std::string& ip, const std::string& login);
  void count_failure(const std::string& ip, const std::string& login);
  void prune();

  asio::io_context& io_;
  Store& store_;
  AuthPolicy policy_;
  Now now_;
  CredentialsCache cache_;
  std::string decoy_;                 // argon2id of a random password, made with decoy_params_
  auth::Argon2Params decoy_params_;
  std::chrono::nanoseconds check_time_{0};  // moving average of a check, as the event loop sees it
  std::uint64_t argon2_runs_ = 0;
  asio::thread_pool pool_;
  std::map<std::string, std::unique_ptr<Exchange>> exchanges_;
  std::map<std::string, std::deque<Clock::time_point>> failures_ip_;
  std::map<std::string, std::deque<Clock::time_point>> failures_account_;
};

}  // namespace parley::directory
