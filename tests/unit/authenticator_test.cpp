// directory::Authenticator with its credentials cache, over a Store in a
// temp directory and with cheap argon2id parameters: PLAIN logins are
// served from the cache after a success; a wrong password is never
// answered from it and always costs an argon2id check, cached or not; an
// unknown login costs one too (the decoy); administration through Admin
// (password change, disable, rename, removal) drops the account's
// entries; expiry follows an injected clock. "Costs a check" is counted
// with argon2_runs(), never timed.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>

#include "admin.h"
#include "authenticator.h"
#include "store.h"
#include "tests/support/result_assert.h"
#include "tests/support/run.h"
#include "tests/support/temp_dir.h"

namespace parley::directory {
namespace {

using namespace std::chrono_literals;
using Outcome = schema::AuthReply::Outcome;
constexpr Outcome kOk = schema::AuthReply::OUTCOME_OK;
constexpr Outcome kFailed = schema::AuthReply::OUTCOME_FAILED;
constexpr Outcome kTempfail = schema::AuthReply::OUTCOME_TEMPFAIL;

using testkit::run;

class AuthenticatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = Store::open(dir_.file("db"), '+');
    ASSERT_TRUE(opened.ok());
    store_ = std::move(opened.value());
    ASSERT_TRUE(store_->add_domain("example.test").ok());
    start(3600s);
  }

  void TearDown() override {
    admin_.reset();
    auth_.reset();
    store_.reset();
  }

  // A fresh authenticator whose clock is now_.
  void start(std::chrono::seconds ttl, int max_failures_per_ip = 1000) {
    admin_.reset();
    auth_.reset();
    AuthPolicy policy;
    policy.argon2 = auth::Argon2Params{.memory_kib = 8, .iterations = 1, .parallelism = 1};
    policy.max_failures_per_ip = max_failures_per_ip;
    policy.cache = CredentialsCache::Limits{.ttl = ttl, .max_entries = 100};
    auth_ = std::make_unique<Authenticator>(io_, *store_, policy, [this] { return now_; });
    admin_ = std::make_unique<Admin>(*store_, *auth_, dir_.file("backups"));
  }

  Result<schema::DirectoryAdminReply> admin(const std::string& op, std::vector<std::string> args,
                                            std::map<std::string, std::string> options = {}, std::string secret = {}) {
    schema::DirectoryAdminRequest r;
    r.set_op(op);
    for (auto& a : args) r.add_args(a);
    for (auto& [k, v] : options) (*r.mutable_options())[k] = v;
    r.set_secret(secret);
    r.set_actor("test");
    return run(io_, admin_->handle(r));
  }

  void add(const std::string& account, const std::string& password) {
    auto added = admin("account.add", {account}, {}, password);
    ASSERT_TRUE(added.ok()) << added.error().detail;
  }

  Outcome plain(const std::string& login, const std::string& password,
                schema::Service service = schema::SERVICE_IMAP) {
    schema::AuthRequest r;
    r.set_mechanism("PLAIN");
    r.set_response(std::string(1, '\0') + login + std::string(1, '\0') + password);
    r.set_service(service);
    r.set_client_address("192.0.2.7");
    r.set_sid("test");
    return run(io_, auth_->step(r)).outcome();
  }

  // argon2id checks a PLAIN login ran.
  std::uint64_t checks(const std::string& login, const std::string& password, Outcome expect) {
    std::uint64_t before = auth_->argon2_runs();
    EXPECT_EQ(plain(login, password), expect) << login;
    return auth_->argon2_runs() - before;
  }

  asio::io_context io_;
  // A SIP digest check of `password` signed as `username` in `realm`.
  schema::AuthReply sip_digest(const std::string& username, const std::string& realm, const std::string& password,
                               auth::DigestAlgorithm algorithm, const std::string& identity = {}) {
    auth::DigestChallengeResponse r{"REGISTER", "sip:192.0.2.1:5060", "nonce-1", "cnonce-1", "00000001", "auth", ""};
    r.response = auth::digest_response(algorithm, auth::digest_ha1(algorithm, username, realm, password), r).value();
    schema::DigestRequest q;
    q.set_username(username);
    q.set_realm("example.test");
    q.set_algorithm(std::string(auth::digest_algorithm_name(algorithm)));
    q.set_method(r.method);
    q.set_uri(r.uri);
    q.set_nonce(r.nonce);
    q.set_cnonce(r.cnonce);
    q.set_nc(r.nc);
    q.set_qop(r.qop);
    q.set_response(r.response);
    q.set_service(schema::SERVICE_SIP);
    q.set_client_address("192.0.2.7");
    q.set_identity(identity);
    return run(io_, auth_->digest(q));
  }

  testkit::TempDir dir_{"parley-auth-test"};
  std::unique_ptr<Store> store_;
  std::unique_ptr<Authenticator> auth_;
  std::unique_ptr<Admin> admin_;
  Authenticator::Clock::time_point now_ = Authenticator::Clock::time_point() + 1000h;
};

// A SIP phone signs with the local part or the whole account name; both
// verify (each against its own HA1), for MD5 and SHA-256; a wrong password,
// another realm or a name of another account do not.
TEST_F(AuthenticatorTest, DigestTakesTheLocalPartOrTheWholeName) {
  add("alice@example.test", "correct horse");
  auto digest = [&](const std::string& username, const std::string& realm, const std::string& password,
                    auth::DigestAlgorithm algorithm) {
    auto reply = sip_digest(username, realm, password, algorithm);
    return std::make_pair(reply.outcome(), reply.account());
  };
  for (auto algorithm : {auth::DigestAlgorithm::md5, auth::DigestAlgorithm::sha256}) {
    EXPECT_EQ(digest("alice", "example.test", "correct horse", algorithm),
              std::make_pair(kOk, std::string("alice@example.test")));
    EXPECT_EQ(digest("alice@example.test", "example.test", "correct horse", algorithm),
              std::make_pair(kOk, std::string("alice@example.test")));
    EXPECT_EQ(digest("alice", "example.test", "wrong", algorithm).first, kFailed);
    EXPECT_EQ(digest("alice@example.test", "example.test", "wrong", algorithm).first, kFailed);
    EXPECT_EQ(digest("alice", "other.test", "correct horse", algorithm).first, kFailed);
    EXPECT_EQ(digest("bob", "example.test", "correct horse", algorithm).first, kFailed);
  }
}

// The registrar's next question (how many devices) is answered with the
// digest check: the account's effective SIP settings ride on the reply.
TEST_F(AuthenticatorTest, DigestForSipCarriesTheAccountsSipSettings) {
  add("alice@example.test", "correct horse");
  ASSERT_TRUE(testkit::Ok(store_->set_account("alice@example.test", "sip_max_registrations", "3")));
  auto ok = sip_digest("alice", "example.test", "correct horse", auth::DigestAlgorithm::md5);
  ASSERT_EQ(ok.outcome(), kOk);
  ASSERT_TRUE(ok.has_sip());
  EXPECT_EQ(ok.sip().max_registrations(), 3u);
  EXPECT_TRUE(ok.sip().enabled());
  auto refused = sip_digest("alice", "example.test", "wrong", auth::DigestAlgorithm::md5);
  EXPECT_EQ(refused.outcome(), kFailed);
  EXPECT_FALSE(refused.has_sip());
}

// A caller's From must be its own address: its name, an alias or an
// extension; another account's, an unknown one or a foreign one is not.
TEST_F(AuthenticatorTest, DigestSaysWhetherTheClaimedIdentityIsTheAccounts) {
  add("alice@example.test", "correct horse");
  add("bob@example.test", "battery staple");
  ASSERT_TRUE(testkit::Ok(store_->add_account_alias("alice@example.test", "al@example.test")));
  ASSERT_TRUE(testkit::Ok(store_->add_account_alias("alice@example.test", "323")));
  auto identity_ok = [&](const std::string& claimed) {
    auto reply = sip_digest("alice", "example.test", "correct horse", auth::DigestAlgorithm::md5, claimed);
    EXPECT_EQ(reply.outcome(), kOk) << claimed;
    return reply.identity_ok();
  };
  EXPECT_TRUE(identity_ok("alice@example.test"));
  EXPECT_TRUE(identity_ok("Alice@Example.TEST"));
  EXPECT_TRUE(identity_ok("al@example.test"));
  EXPECT_TRUE(identity_ok("323@example.test"));
  EXPECT_FALSE(identity_ok("bob@example.test"));
  EXPECT_FALSE(identity_ok("nobody@example.test"));
  EXPECT_FALSE(identity_ok("alice@elsewhere.test"));
  EXPECT_FALSE(identity_ok(""));
}

TEST_F(AuthenticatorTest, SecondLoginComesFromTheCache) {
  add("alice@example.test", "correct horse");
  EXPECT_EQ(checks("alice@example.test", "correct horse", kOk), 1u);
  EXPECT_EQ(auth_->cache().size(), 1u);
  EXPECT_EQ(checks("alice@example.test", "correct horse", kOk), 0u);
  EXPECT_EQ(checks("Alice@Example.TEST", "correct horse", kOk), 0u);  // the account's name is the key
  EXPECT_EQ(auth_->cache().stats().hits, 2u);
}

TEST_F(AuthenticatorTest, WrongPasswordIsNeverAnsweredFromTheCache) {
  add("alice@example.test", "correct horse");
  EXPECT_EQ(checks("alice@example.test", "wrong", kFailed), 1u);  // not cached yet
  EXPECT_EQ(checks("alice@example.test", "correct horse", kOk), 1u);
  // Cached now: a wrong password still fails, and still costs a full check.
  EXPECT_EQ(checks("alice@example.test", "wrong", kFailed), 1u);
  EXPECT_EQ(checks("alice@example.test", "correct horsf", kFailed), 1u);
  EXPECT_EQ(checks("alice@example.test", "", kFailed), 0u);  // PLAIN refuses an empty password unparsed
  EXPECT_EQ(auth_->cache().size(), 1u);  // failures are not cached, nor do they evict
  EXPECT_EQ(checks("alice@example.test", "correct horse", kOk), 0u);
}

TEST_F(AuthenticatorTest, UnknownAndPasswordlessLoginsCostACheck) {
  add("alice@example.test", "correct horse");
  add("nopass@example.test", "");
  // The first one makes the decoy, the others check against it.
  EXPECT_EQ(checks("nobody@example.test", "correct horse", kFailed), 1u);
  EXPECT_EQ(checks("nobody@example.test", "correct horse", kFailed), 1u);
  EXPECT_EQ(checks("nobody@elsewhere.test", "x", kFailed), 1u);
  EXPECT_EQ(checks("nopass@example.test", "", kFailed), 0u);
  EXPECT_EQ(checks("nopass@example.test", "anything", kFailed), 1u);
  EXPECT_EQ(auth_->cache().size(), 0u);
}

TEST_F(AuthenticatorTest, PasswordChangeDropsTheEntry) {
  add("alice@example.test", "old password");
  EXPECT_EQ(checks("alice@example.test", "old password", kOk), 1u);
  ASSERT_TRUE(admin("account.passwd", {"alice@example.test"}, {}, "new password").ok());
  EXPECT_EQ(auth_->cache().size(), 0u);
  EXPECT_EQ(checks("alice@example.test", "old password", kFailed), 1u);
  EXPECT_EQ(checks("alice@example.test", "new password", kOk), 1u);
  EXPECT_EQ(checks("alice@example.test", "new password", kOk), 0u);
}

TEST_F(AuthenticatorTest, ApplicationPasswordChangesDropTheEntries) {
  add("alice@example.test", "main password");
  EXPECT_EQ(checks("alice@example.test", "main password", kOk), 1u);
  auto app = admin("account.app-password-add", {"alice@example.test", "phone"});
  ASSERT_TRUE(app.ok());
  EXPECT_EQ(auth_->cache().size(), 0u);
  std::string generated = app->generated(0);
  std::string app_password = generated.substr(generated.rfind('\t') + 1);
  // Two hashes now: each login that is not cached checks both.
  EXPECT_EQ(checks("alice@example.test", app_password, kOk), 2u);
  EXPECT_EQ(checks("alice@example.test", "main password", kOk), 2u);
  EXPECT_EQ(checks("alice@example.test", app_password, kOk), 0u);
  EXPECT_EQ(checks("alice@example.test", "main password", kOk), 0u);
  ASSERT_TRUE(admin("account.app-password-remove", {"alice@example.test", "phone"}).ok());
  EXPECT_EQ(checks("alice@example.test", app_password, kFailed), 1u);
}

TEST_F(AuthenticatorTest, DisableDropsTheEntry) {
  add("alice@example.test", "correct horse");
  EXPECT_EQ(checks("alice@example.test", "correct horse", kOk), 1u);
  ASSERT_TRUE(admin("account.set", {"alice@example.test"}, {{"disabled", "yes"}}).ok());
  EXPECT_EQ(auth_->cache().size(), 0u);
  // Refused, at the cost of a check, like a wrong password.
  EXPECT_EQ(checks("alice@example.test", "correct horse", kFailed), 1u);
  EXPECT_EQ(checks("alice@example.test", "correct horse", kFailed), 1u);
  ASSERT_TRUE(admin("account.set", {"alice@example.test"}, {{"disabled", "no"}}).ok());
  EXPECT_EQ(checks("alice@example.test", "correct horse", kOk), 1u);
  EXPECT_EQ(checks("alice@example.test", "correct horse", kOk), 0u);
}

TEST_F(AuthenticatorTest, ServiceNotAllowedIsNotAnsweredFromTheCache) {
  add("alice@example.test", "correct horse");
  EXPECT_EQ(checks("alice@example.test", "correct horse", kOk), 1u);
  // The services setting may change at the domain or server level, which
  // the account's observer does not see: the cache is asked only when the
  // account would be let in.
  ASSERT_TRUE(admin("domain.set", {"example.test"}, {{"services", "mail"}}).ok());
  EXPECT_EQ(auth_->cache().size(), 1u);
  EXPECT_EQ(checks("alice@example.test", "correct horse", kFailed), 1u);
  ASSERT_TRUE(admin("domain.set", {"example.test"}, {{"services", "default"}}).ok());
  EXPECT_EQ(checks("alice@example.test", "correct horse", kOk), 0u);
}

TEST_F(AuthenticatorTest, RenameDropsTheEntry) {
  add("alice@example.test", "correct horse");
  EXPECT_EQ(checks("alice@example.test", "correct horse", kOk), 1u);
  ASSERT_TRUE(admin("account.rename", {"alice@example.test", "alicia@example.test"}).ok());
  EXPECT_EQ(auth_->cache().size(), 0u);
  EXPECT_EQ(checks("alice@example.test", "correct horse", kFailed), 1u);  // unknown now: the decoy
  EXPECT_EQ(checks("alicia@example.test", "correct horse", kOk), 1u);
  EXPECT_EQ(checks("alicia@example.test", "correct horse", kOk), 0u);
}

TEST_F(AuthenticatorTest, RemoveDropsTheEntry) {
  add("alice@example.test", "correct horse");
  EXPECT_EQ(checks("alice@example.test", "correct horse", kOk), 1u);
  ASSERT_TRUE(admin("account.remove", {"alice@example.test"}).ok());
  EXPECT_EQ(auth_->cache().size(), 0u);
  EXPECT_EQ(checks("alice@example.test", "correct horse", kFailed), 1u);
  // The same name and password again: a new account, checked afresh.
  add("alice@example.test", "correct horse");
  EXPECT_EQ(checks("alice@example.test", "correct horse", kOk), 1u);
}

TEST_F(AuthenticatorTest, AliasChangesDropTheEntry) {
  add("alice@example.test", "correct horse");
  ASSERT_TRUE(admin("account.alias-add", {"alice@example.test", "al@example.test"}).ok());
  EXPECT_EQ(checks("al@example.test", "correct horse", kOk), 1u);
  EXPECT_EQ(checks("alice@example.test", "correct horse", kOk), 0u);  // one account, one entry
  ASSERT_TRUE(admin("account.alias-remove", {"alice@example.test", "al@example.test"}).ok());
  EXPECT_EQ(auth_->cache().size(), 0u);
  EXPECT_EQ(checks("al@example.test", "correct horse", kFailed), 1u);
}

TEST_F(AuthenticatorTest, ExpiryFollowsTheInjectedClock) {
  start(600s);
  add("alice@example.test", "correct horse");
  EXPECT_EQ(checks("alice@example.test", "correct horse", kOk), 1u);
  now_ += 599s;
  EXPECT_EQ(checks("alice@example.test", "correct horse", kOk), 0u);
  now_ += 1s;
  EXPECT_EQ(checks("alice@example.test", "correct horse", kOk), 1u);
  now_ += 300s;
  EXPECT_EQ(checks("alice@example.test", "correct horse", kOk), 0u);
}

TEST_F(AuthenticatorTest, TtlZeroMeansNoCache) {
  start(0s);
  add("alice@example.test", "correct horse");
  EXPECT_EQ(checks("alice@example.test", "correct horse", kOk), 1u);
  EXPECT_EQ(checks("alice@example.test", "correct horse", kOk), 1u);
  EXPECT_EQ(auth_->cache().size(), 0u);
}

TEST_F(AuthenticatorTest, NewPolicyAppliesToTheCache) {
  add("alice@example.test", "correct horse");
  EXPECT_EQ(checks("alice@example.test", "correct horse", kOk), 1u);
  AuthPolicy policy;
  policy.argon2 = auth::Argon2Params{.memory_kib = 16, .iterations = 1, .parallelism = 1};
  policy.cache.ttl = 0s;
  auth_->set_policy(policy);
  EXPECT_EQ(auth_->cache().size(), 0u);
  EXPECT_EQ(checks("alice@example.test", "correct horse", kOk), 1u);
  // New argon2 parameters: the next unknown login makes a new decoy.
  EXPECT_EQ(checks("nobody@example.test", "x", kFailed), 1u);
  EXPECT_EQ(checks("nobody@example.test", "x", kFailed), 1u);
}

TEST_F(AuthenticatorTest, RateLimitedAnswersWithoutChecking) {
  start(3600s, 3);
  add("alice@example.test", "correct horse");
  for (int i = 0; i < 3; ++i) EXPECT_EQ(checks("nobody@example.test", "x", kFailed), 1u);
  EXPECT_EQ(checks("alice@example.test", "correct horse", kTempfail), 0u);
  EXPECT_EQ(checks("nobody@example.test", "x", kTempfail), 0u);
  now_ += 301s;  // the window (300 s) has passed
  EXPECT_EQ(checks("alice@example.test", "correct horse", kOk), 1u);
}

}  // namespace
}  // namespace parley::directory
