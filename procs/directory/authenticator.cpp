#include "authenticator.h"

#include <algorithm>
#include <thread>

#include "addr/addr.h"
#include "core/ascii.h"
#include "log/log.h"
#include "settings.h"

namespace parley::directory {
namespace {

constexpr auto kExchangeLifetime = std::chrono::seconds(60);
constexpr std::size_t kMaxExchanges = 10000;
constexpr std::size_t kMaxTracked = 100000;  // addresses and accounts with recent failures
constexpr std::size_t kMaxStep = 8192;       // bytes of one SASL step

std::string hex(std::string_view raw) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : raw) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

std::string domain_of(const std::string& account) { return account.substr(account.rfind('@') + 1); }
std::string local_of(const std::string& account) { return account.substr(0, account.rfind('@')); }

schema::AuthReply outcome(schema::AuthReply::Outcome o) {
  schema::AuthReply r;
  r.set_outcome(o);
  return r;
}

bool same_params(const auth::Argon2Params& a, const auth::Argon2Params& b) {
  return a.memory_kib == b.memory_kib && a.iterations == b.iterations && a.parallelism == b.parallelism;
}

// What a hashing task on the pool gives back to the event loop.
struct Checked {
  bool ok = false;
  std::string new_decoy;  // set when the task made a decoy instead of checking one
};

constexpr std::size_t kDecoyPasswordLength = 32;

}  // namespace

struct Authenticator::Exchange {
  std::string mechanism;
  int stage = 0;
  std::string login;  // LOGIN: after the user name
  std::unique_ptr<auth::ScramServer> scram;
  bool scram_known = false;
  std::optional<schema::AccountRecord> account;
  Clock::time_point started;
};

Authenticator::Authenticator(asio::io_context& io, Store& store, AuthPolicy policy, Now now)
    : io_(io),
      store_(store),
      policy_(policy),
      now_(std::move(now)),
      cache_(policy.cache),
      pool_(std::max(1u, std::thread::hardware_concurrency())) {
  store_.on_account_changed([this](std::string_view account) { cache_.forget(account); });
}

Authenticator::~Authenticator() {
  store_.on_account_changed(nullptr);
  pool_.stop();
  pool_.join();
}

void Authenticator::set_policy(AuthPolicy policy) {
  policy_ = policy;
  cache_.set_limits(policy.cache);
}

awaitable<Result<std::string>> Authenticator::hash(std::string password) {
  // Named, not a temporary in the co_await: g++ 12 copies such lambdas
  // bitwise (docs/development.md).
  auto task = [password = std::move(password), params = policy_.argon2]() -> awaitable<std::string> {
    auto h = auth::hash_password(password, params);
    co_return h ? h.value() : std::string();
  };
  std::string phc = co_await asio::co_spawn(pool_, std::move(task), asio::use_awaitable);
  if (phc.empty()) co_return fail(Errc::internal, "password hashing failed");
  co_return phc;
}

awaitable<Result<schema::Credentials>> Authenticator::make_credentials(std::string account, std::string password) {
  if (password.empty()) co_return fail(Errc::invalid, "empty password");
  // SCRAM's PBKDF2 is cheap next to argon2, but still not for the event loop.
  auto task = [account, password, iterations = policy_.scram_iterations]() -> awaitable<schema::Credentials> {
    schema::Credentials c;
    auto keys = auth::derive_scram(password, {}, iterations);
    auto* s = c.mutable_scram();
    s->set_salt(keys.salt);
    s->set_iterations(keys.iterations);
    s->set_stored_key(keys.stored_key);
    s->set_server_key(keys.server_key);
    std::string user = local_of(account), realm = domain_of(account);
    c.set_digest_md5_ha1(auth::digest_ha1(auth::DigestAlgorithm::md5, user, realm, password));
    c.set_digest_sha256_ha1(auth::digest_ha1(auth::DigestAlgorithm::sha256, user, realm, password));
    c.set_digest_md5_ha1_full(auth::digest_ha1(auth::DigestAlgorithm::md5, account, realm, password));
    c.set_digest_sha256_ha1_full(auth::digest_ha1(auth::DigestAlgorithm::sha256, account, realm, password));
    co_return c;
  };
  schema::Credentials c = co_await asio::co_spawn(pool_, std::move(task), asio::use_awaitable);
  auto phc = co_await hash(std::move(password));
  if (!phc) co_return phc.error();
  c.set_argon2(*phc);
  co_return c;
}

awaitable<bool> Authenticator::verify(const schema::AccountRecord* account, std::string password) {
  std::vector<std::string> hashes;
  if (account != nullptr) {
    if (!account->credentials().argon2().empty()) hashes.push_back(account->credentials().argon2());
    for (const auto& app : account->credentials().app_passwords()) hashes.push_back(app.argon2());
  }
  // Without a hash of its own (no such login, or no password set) the
  // password is checked against the decoy, so that the answer takes as long
  // as a wrong password for an account that has one. The decoy follows the
  // policy's parameters: before its first use, or after they changed, the
  // task makes a new one instead, which costs the same as checking one.
  const bool decoy = hashes.empty();
  const auth::Argon2Params params = policy_.argon2;
  if (decoy && !decoy_.empty() && same_params(decoy_params_, params)) hashes.push_back(decoy_);
  argon2_runs_ += std::max<std::size_t>(1, hashes.size());
  auto task = [hashes = std::move(hashes), password = std::move(password), decoy, params]() -> awaitable<Checked> {
    Checked out;
    if (hashes.empty()) {
      auto made = auth::hash_password(auth::random_password(kDecoyPasswordLength), params);
      if (made) out.new_decoy = made.value();
      co_return out;
    }
    bool ok = false;
    // Every hash is checked, so the time does not tell which one matched.
    for (const auto& h : hashes) ok = auth::verify_password(password, h) || ok;
    out.ok = ok && !decoy;
    co_return out;
  };
  // The real clock, not now_: this measures how long a rate-limited answer
  // should wait on a real timer.
  const auto started = Clock::now();
  Checked out = co_await asio::co_spawn(pool_, std::move(task), asio::use_awaitable);
  const auto took = std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - started);
  check_time_ = check_time_.count() == 0 ? took : check_time_ + (took - check_time_) / 8;
  if (!out.new_decoy.empty()) {
    decoy_ = std::move(out.new_decoy);
    decoy_params_ = params;
  }
  co_return out.ok;
}

awaitable<void> Authenticator::pause_like_a_check() {
  if (check_time_.count() <= 0) co_return;
  asio::steady_timer timer(io_, check_time_);
  boost::system::error_code ec;
  co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
}

void Authenticator::prune() {
  auto now = now_();
  cache_.prune(now);
  for (auto it = exchanges_.begin(); it != exchanges_.end();) {
    it = now - it->second->started > kExchangeLifetime ? exchanges_.erase(it) : std::next(it);
  }
  for (auto* table : {&failures_ip_, &failures_account_}) {
    for (auto it = table->begin(); it != table->end();) {
      auto& times = it->second;
      while (!times.empty() && now - times.front() > policy_.window) times.pop_front();
      it = times.empty() ? table->erase(it) : std::next(it);
    }
  }
}

bool Authenticator::limited(const std::string& ip, const std::string& login) {
  auto count = [&](auto& table, const std::string& key) {
    auto it = table.find(key);
    return it == table.end() ? 0 : static_cast<int>(it->second.size());
  };
  return (!ip.empty() && count(failures_ip_, ip) >= policy_.max_failures_per_ip) ||
         (!login.empty() && count(failures_account_, login) >= policy_.max_failures_per_account);
}

void Authenticator::count_failure(const std::string& ip, const std::string& login) {
  auto now = now_();
  if (!ip.empty() && failures_ip_.size() < kMaxTracked) failures_ip_[ip].push_back(now);
  if (!login.empty() && failures_account_.size() < kMaxTracked) failures_account_[login].push_back(now);
}

std::string_view Authenticator::refusal(const schema::AuthRequest& request, const schema::AccountRecord& account) const {
  if (account.disabled()) return "account disabled";
  std::string_view service = service_name(request.service());
  if (!service.empty() && !service_enabled(store_.effective(account, "services").first, service)) {
    return "service not enabled for the account";
  }
  return {};
}

schema::AuthReply Authenticator::conclude(const schema::AuthRequest& request, const std::string& login,
                                          const schema::AccountRecord* account, bool ok) {
  const std::string& ip = request.client_address();
  std::string reason;
  if (ok && account == nullptr) ok = false, reason = "unknown login";
  if (ok) {
    reason = refusal(request, *account);
    ok = reason.empty();
  }
  if (!ok) {
    if (reason.empty()) reason = "wrong credentials";
    count_failure(ip, account ? account->name() : login);
    log::info("directory.auth.failed", "authentication failed",
              {{"sid", request.sid()}, {"peer", ip}, {"user", login}, {"method", request.mechanism()}, {"reason", reason}});
    return outcome(schema::AuthReply::OUTCOME_FAILED);
  }
  // A phone signs every REGISTER refresh and every call; sipd logs what
  // they did, so these are only worth a line at debug level.
  const auto level = request.service() == schema::SERVICE_SIP ? log::Level::debug : log::Level::info;
  log::write(level, "directory.auth.ok", "authenticated",
             {{"sid", request.sid()}, {"peer", ip}, {"user", account->name()}, {"method", request.mechanism()}});
  auto reply = outcome(schema::AuthReply::OUTCOME_OK);
  reply.set_account(account->name());
  return reply;
}

awaitable<schema::AuthReply> Authenticator::finish_password(const schema::AuthRequest& request, std::string login,
                                                            std::string password) {
  auto account = store_.account_for_login(login);
  const schema::AccountRecord* found = account ? &account.value() : nullptr;
  std::string key = found != nullptr ? found->name() : login;
  if (limited(request.client_address(), key)) {
    log::warn("directory.auth.rate_limited", "too many failures; temporary failure",
              {{"sid", request.sid()}, {"peer", request.client_address()}, {"user", login}});
    co_await pause_like_a_check();
    co_return outcome(schema::AuthReply::OUTCOME_TEMPFAIL);
  }
  // The cache answers only for an account that would be let in, and only
  // yes: anything else, a wrong password for a cached account included,
  // goes on to argon2id exactly as if there were no cache. A cache that
  // said no at once would make a wrong password for a recently used
  // account cost microseconds and for any other account a quarter of a
  // second: timing would tell again which accounts exist (and which are
  // in use).
  const bool cached = found != nullptr && refusal(request, *found).empty() && cache_.matches(*found, password, now_());
  bool ok = cached;
  if (!cached) {
    bool matched = co_await verify(found, password);
    ok = matched;
  }
  schema::AuthReply reply = conclude(request, login, found, ok);
  if (!cached && reply.outcome() == schema::AuthReply::OUTCOME_OK) cache_.remember(*found, password, now_());
  co_return reply;
}

awaitable<schema::AuthReply> Authenticator::step(const schema::AuthRequest& request) {
  prune();
  if (request.response().size() > kMaxStep) co_return outcome(schema::AuthReply::OUTCOME_FAILED);
  const std::string& ip = request.client_address();
  if (limited(ip, {})) {
    log::warn("directory.auth.rate_limited", "too many failures from this address; temporary failure",
              {{"sid", request.sid()}, {"peer", ip}});
    co_await pause_like_a_check();
    co_return outcome(schema::AuthReply::OUTCOME_TEMPFAIL);
  }

  Exchange* ex = nullptr;
  std::string id = request.exchange_id();
  if (id.empty()) {
    if (exchanges_.size() >= kMaxExchanges) co_return outcome(schema::AuthReply::OUTCOME_TEMPFAIL);
    auto fresh = std::make_unique<Exchange>();
    fresh->mechanism = request.mechanism();
    fresh->started = now_();
    if (fresh->mechanism != "PLAIN" && fresh->mechanism != "LOGIN" && fresh->mechanism != "SCRAM-SHA-256") {
      co_return outcome(schema::AuthReply::OUTCOME_FAILED);
    }
    id = hex(auth::random_bytes(16));
    ex = fresh.get();
    exchanges_[id] = std::move(fresh);
  } else {
    auto it = exchanges_.find(id);
    if (it == exchanges_.end()) co_return outcome(schema::AuthReply::OUTCOME_FAILED);
    ex = it->second.get();
  }
  // The exchange ends here unless a step below continues it.
  std::unique_ptr<Exchange> owned = std::move(exchanges_[id]);
  exchanges_.erase(id);
  auto next = [&](std::string challenge) {
    schema::AuthReply r = outcome(schema::AuthReply::OUTCOME_CONTINUE);
    r.set_challenge(std::move(challenge));
    r.set_exchange_id(id);
    exchanges_[id] = std::move(owned);
    return r;
  };
  const std::string& response = request.response();

  if (ex->mechanism == "PLAIN") {
    if (response.empty() && ex->stage == 0) {
      ex->stage = 1;
      co_return next("");
    }
    auto creds = auth::parse_plain(response);
    if (!creds || (!creds->authzid.empty() && creds->authzid != creds->authcid)) {
      co_return conclude(request, creds ? creds->authcid : "", nullptr, false);
    }
    co_return co_await finish_password(request, creds->authcid, creds->password);
  }

  if (ex->mechanism == "LOGIN") {
    if (ex->stage == 0 && response.empty()) {
      ex->stage = 1;
      co_return next("Username:");
    }
    if (ex->stage <= 1) {
      ex->login = response;
      ex->stage = 2;
      co_return next("Password:");
    }
    co_return co_await finish_password(request, ex->login, response);
  }

  // SCRAM-SHA-256: client-first comes as the initial response (stage 0)
  // or after an empty challenge (stage 1).
  if (ex->stage <= 1) {
    if (response.empty() && ex->stage == 0) {
      ex->stage = 1;
      co_return next("");
    }
    Exchange* self = ex;
    Store* store = &store_;
    ex->scram = std::make_unique<auth::ScramServer>([self, store](std::string_view user) -> std::optional<auth::ScramKeys> {
      auto account = store->account_for_login(user);
      if (account && account->credentials().has_scram()) {
        const auto& s = account->credentials().scram();
        self->account = account.value();
        self->scram_known = true;
        return auth::ScramKeys{s.salt(), s.iterations(), s.stored_key(), s.server_key()};
      }
      // An unknown user gets keys no password matches, so the exchange looks
      // the same to the client until the proof: no user enumeration.
      return auth::derive_scram(auth::random_password(32), std::string(16, '\x5a'), auth::kScramMinIterations);
    });
    auto first = ex->scram->first(response);
    if (!first) co_return conclude(request, "", nullptr, false);
    std::string login = ex->scram->username();
    if (limited(ip, ex->account ? ex->account->name() : login)) {
      log::warn("directory.auth.rate_limited", "too many failures; temporary failure",
                {{"sid", request.sid()}, {"peer", ip}, {"user", login}});
      co_return outcome(schema::AuthReply::OUTCOME_TEMPFAIL);
    }
    ex->login = login;
    ex->stage = 2;
    co_return next(first.value());
  }
  auto final = ex->scram->final(response);
  bool ok = final.ok() && ex->scram_known && (ex->scram->authzid().empty() || ex->scram->authzid() == ex->login);
  auto reply = conclude(request, ex->login, ex->account ? &ex->account.value() : nullptr, ok);
  if (reply.outcome() == schema::AuthReply::OUTCOME_OK) reply.set_final_data(final.value());
  co_return reply;
}

awaitable<schema::AuthReply> Authenticator::digest(const schema::DigestRequest& request) {
  prune();
  schema::AuthRequest as_auth;  // for the shared outcome and logging path
  as_auth.set_mechanism("DIGEST-" + (request.algorithm().empty() ? std::string("MD5") : request.algorithm()));
  as_auth.set_service(request.service());
  as_auth.set_client_address(request.client_address());
  as_auth.set_sid(request.sid());
  std::string login = request.username().find('@') == std::string::npos ? request.username() + "@" + request.realm()
                                                                       : request.username();
  auto account = store_.account_for_login(login);
  if (limited(request.client_address(), account ? account->name() : login)) {
    log::warn("directory.auth.rate_limited", "too many failures; temporary failure",
              {{"sid", request.sid()}, {"peer", request.client_address()}, {"user", login}});
    co_return outcome(schema::AuthReply::OUTCOME_TEMPFAIL);
  }
  bool ok = false;
  if (account && domain_of(account->name()) == request.realm()) {
    auto algorithm = request.algorithm() == "SHA-256" ? auth::DigestAlgorithm::sha256 : auth::DigestAlgorithm::md5;
    // The username a phone signs with is the local part or the whole name;
    // each has its own HA1 (the username is inside the hash).
    const auto& c = account->credentials();
    const bool full = request.username().find('@') != std::string::npos;
    const bool sha256 = algorithm == auth::DigestAlgorithm::sha256;
    const std::string& ha1 = full ? (sha256 ? c.digest_sha256_ha1_full() : c.digest_md5_ha1_full())
                                  : (sha256 ? c.digest_sha256_ha1() : c.digest_md5_ha1());
    const std::string& expected_user = full ? account->name() : local_of(account->name());
    auth::DigestChallengeResponse r{request.method(), request.uri(), request.nonce(), request.cnonce(),
                                    request.nc(), request.qop(), request.response()};
    ok = !ha1.empty() && request.username() == expected_user && auth::digest_verify(algorithm, ha1, r);
  }
  auto reply = conclude(as_auth, login, account ? &account.value() : nullptr, ok);
  // A registrar needs the account's SIP settings (its device limit) next:
  // they come with the answer rather than in a second request.
  if (reply.outcome() == schema::AuthReply::OUTCOME_OK && request.service() == schema::SERVICE_SIP) {
    *reply.mutable_sip() = store_.sip_settings(*account);
  }
  // Whether the address the caller claims (its From) is the account's own
  // name, alias or extension: answered here, without a second request.
  if (reply.outcome() == schema::AuthReply::OUTCOME_OK && !request.identity().empty()) {
    const auto claimed = store_.resolve(request.identity());
    reply.set_identity_ok(claimed.kind() == schema::Resolution::KIND_ACCOUNT &&
                          ascii_iequal(claimed.account(), account->name()));
  }
  co_return reply;
}

}  // namespace parley::directory
