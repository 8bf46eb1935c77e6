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
#pragma once

#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <string>

#include "auth/auth.h"
#include "core/asio.h"
#include "schema/directory.pb.h"
#include "store.h"

namespace parley::directory {

struct AuthPolicy {
  auth::Argon2Params argon2;
  std::uint32_t scram_iterations = 4096;
  std::chrono::seconds window{300};
  int max_failures_per_ip = 10;
  int max_failures_per_account = 30;
};

class Authenticator {
 public:
  Authenticator(asio::io_context& io, Store& store, AuthPolicy policy);
  ~Authenticator();

  awaitable<schema::AuthReply> step(const schema::AuthRequest& request);
  awaitable<schema::AuthReply> digest(const schema::DigestRequest& request);

  // New credentials for a password: argon2id, SCRAM keys and digest HA1s
  // for realm = the account's domain (username = its local part). Runs the
  // hash on the pool.
  awaitable<Result<schema::Credentials>> make_credentials(std::string account, std::string password);
  awaitable<Result<std::string>> hash(std::string password);

  void set_policy(AuthPolicy policy) { policy_ = policy; }

 private:
  struct Exchange;
  awaitable<bool> verify(const schema::AccountRecord& account, std::string password);
  awaitable<schema::AuthReply> finish_password(const schema::AuthRequest& request, std::string login, std::string password);
  schema::AuthReply conclude(const schema::AuthRequest& request, const std::string& login,
                             const schema::AccountRecord* account, bool ok);
  bool limited(const std::string& ip, const std::string& login);
  void count_failure(const std::string& ip, const std::string& login);
  void prune();

  asio::io_context& io_;
  Store& store_;
  AuthPolicy policy_;
  asio::thread_pool pool_;
  std::map<std::string, std::unique_ptr<Exchange>> exchanges_;
  std::map<std::string, std::deque<std::chrono::steady_clock::time_point>> failures_ip_;
  std::map<std::string, std::deque<std::chrono::steady_clock::time_point>> failures_account_;
};

}  // namespace parley::directory
