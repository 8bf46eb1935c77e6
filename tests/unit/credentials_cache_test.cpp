// directory::CredentialsCache alone: hits only for the pair remembered,
// expiry on an injected clock, bound to the stored credentials, forget,
// the LRU bound and the per-account bound, new limits. No hashing: the
// records carry made-up argon2 strings (the cache only feeds them to its
// HMAC).
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "credentials_cache.h"

namespace parley::directory {
namespace {

using namespace std::chrono_literals;
using Clock = CredentialsCache::Clock;
using Limits = CredentialsCache::Limits;

schema::AccountRecord account(const std::string& name, const std::string& argon2 = "$argon2id$stored") {
  schema::AccountRecord a;
  a.set_name(name);
  a.mutable_credentials()->set_argon2(argon2);
  return a;
}

const Clock::time_point t0 = Clock::time_point() + 1000h;

TEST(CredentialsCacheTest, HitOnlyForTheRememberedPair) {
  CredentialsCache cache(Limits{.ttl = 3600s, .max_entries = 10});
  auto alice = account("alice@example.test");
  auto bob = account("bob@example.test");
  EXPECT_FALSE(cache.matches(alice, "secret", t0));
  cache.remember(alice, "secret", t0);
  EXPECT_TRUE(cache.matches(alice, "secret", t0 + 1s));
  EXPECT_FALSE(cache.matches(alice, "Secret", t0 + 1s));
  EXPECT_FALSE(cache.matches(alice, "secret ", t0 + 1s));
  EXPECT_FALSE(cache.matches(alice, "", t0 + 1s));
  EXPECT_FALSE(cache.matches(bob, "secret", t0 + 1s));
  // A miss changes nothing: the right password still hits.
  EXPECT_TRUE(cache.matches(alice, "secret", t0 + 2s));
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_EQ(cache.stats().hits, 2u);
  EXPECT_EQ(cache.stats().misses, 5u);
}

TEST(CredentialsCacheTest, FieldsDoNotRunTogether) {
  // "ab" + "c" and "a" + "bc" must not give the same tag.
  CredentialsCache cache(Limits{.ttl = 3600s, .max_entries = 10});
  cache.remember(account("a@x", "$argon2id$b"), "c", t0);
  EXPECT_FALSE(cache.matches(account("a@x", "$argon2id$"), "bc", t0));
  EXPECT_FALSE(cache.matches(account("a@x", "$argon2id$bc"), "", t0));
}

TEST(CredentialsCacheTest, ExpiresAfterTheTtlCountedFromTheVerification) {
  CredentialsCache cache(Limits{.ttl = 60s, .max_entries = 10});
  auto alice = account("alice@example.test");
  cache.remember(alice, "secret", t0);
  EXPECT_TRUE(cache.matches(alice, "secret", t0 + 30s));
  // A hit does not extend the entry's life.
  EXPECT_TRUE(cache.matches(alice, "secret", t0 + 59s));
  EXPECT_FALSE(cache.matches(alice, "secret", t0 + 60s));
  EXPECT_EQ(cache.size(), 0u);  // the expired entry went when it was met
  // Remembering again (after a new argon2id check) starts a new life.
  cache.remember(alice, "secret", t0 + 61s);
  EXPECT_TRUE(cache.matches(alice, "secret", t0 + 120s));
}

TEST(CredentialsCacheTest, PruneDropsExpiredEntries) {
  CredentialsCache cache(Limits{.ttl = 60s, .max_entries = 10});
  cache.remember(account("a@example.test"), "pw", t0);
  cache.remember(account("b@example.test"), "pw", t0 + 30s);
  cache.prune(t0 + 59s);
  EXPECT_EQ(cache.size(), 2u);
  cache.prune(t0 + 60s);
  EXPECT_EQ(cache.size(), 1u);
  cache.prune(t0 + 90s);
  EXPECT_EQ(cache.size(), 0u);
}

TEST(CredentialsCacheTest, BoundToTheStoredCredentials) {
  // A password change gives new argon2 strings (a new salt): the old entry
  // can no longer match, even before anyone calls forget().
  CredentialsCache cache(Limits{.ttl = 3600s, .max_entries = 10});
  cache.remember(account("alice@example.test", "$argon2id$old"), "secret", t0);
  EXPECT_FALSE(cache.matches(account("alice@example.test", "$argon2id$new"), "secret", t0));
  auto with_app = account("alice@example.test", "$argon2id$old");
  with_app.mutable_credentials()->add_app_passwords()->set_argon2("$argon2id$app");
  EXPECT_FALSE(cache.matches(with_app, "secret", t0));
  EXPECT_TRUE(cache.matches(account("alice@example.test", "$argon2id$old"), "secret", t0));
}

TEST(CredentialsCacheTest, ForgetDropsEveryEntryOfOneAccount) {
  CredentialsCache cache(Limits{.ttl = 3600s, .max_entries = 10});
  auto alice = account("alice@example.test");
  auto bob = account("bob@example.test");
  cache.remember(alice, "password", t0);
  cache.remember(alice, "app password", t0);
  cache.remember(bob, "password", t0);
  EXPECT_EQ(cache.size(), 3u);
  cache.forget("alice@example.test");
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_FALSE(cache.matches(alice, "password", t0));
  EXPECT_FALSE(cache.matches(alice, "app password", t0));
  EXPECT_TRUE(cache.matches(bob, "password", t0));
  cache.forget("nobody@example.test");
  EXPECT_EQ(cache.size(), 1u);
  cache.clear();
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_FALSE(cache.matches(bob, "password", t0));
}

TEST(CredentialsCacheTest, RememberingTwiceKeepsOneEntry) {
  CredentialsCache cache(Limits{.ttl = 60s, .max_entries = 10});
  auto alice = account("alice@example.test");
  cache.remember(alice, "secret", t0);
  cache.remember(alice, "secret", t0 + 50s);
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_TRUE(cache.matches(alice, "secret", t0 + 100s));  // the second verification counts
}

TEST(CredentialsCacheTest, LeastRecentlyUsedGoFirst) {
  CredentialsCache cache(Limits{.ttl = 3600s, .max_entries = 3});
  auto a = account("a@example.test"), b = account("b@example.test"), c = account("c@example.test"),
       d = account("d@example.test");
  cache.remember(a, "pw", t0);
  cache.remember(b, "pw", t0);
  cache.remember(c, "pw", t0);
  EXPECT_TRUE(cache.matches(a, "pw", t0));  // a is now the most recently used; b the least
  cache.remember(d, "pw", t0);
  EXPECT_EQ(cache.size(), 3u);
  EXPECT_EQ(cache.stats().evictions, 1u);
  EXPECT_FALSE(cache.matches(b, "pw", t0));
  EXPECT_TRUE(cache.matches(a, "pw", t0));
  EXPECT_TRUE(cache.matches(c, "pw", t0));
  EXPECT_TRUE(cache.matches(d, "pw", t0));
  for (int i = 0; i < 100; ++i) cache.remember(account("n" + std::to_string(i) + "@example.test"), "pw", t0);
  EXPECT_EQ(cache.size(), 3u);
}

TEST(CredentialsCacheTest, BoundPerAccount) {
  CredentialsCache cache(Limits{.ttl = 3600s, .max_entries = 100});
  auto alice = account("alice@example.test");
  for (std::size_t i = 0; i < CredentialsCache::kMaxPerAccount + 3; ++i) {
    cache.remember(alice, "pw" + std::to_string(i), t0 + std::chrono::seconds(i));
  }
  EXPECT_EQ(cache.size(), CredentialsCache::kMaxPerAccount);
  EXPECT_FALSE(cache.matches(alice, "pw0", t0 + 100s));  // the oldest went
  EXPECT_TRUE(cache.matches(alice, "pw" + std::to_string(CredentialsCache::kMaxPerAccount + 2), t0 + 100s));
}

TEST(CredentialsCacheTest, NewLimits) {
  CredentialsCache cache(Limits{.ttl = 3600s, .max_entries = 10});
  for (int i = 0; i < 5; ++i) cache.remember(account(std::to_string(i) + "@example.test"), "pw", t0);
  cache.set_limits(Limits{.ttl = 3600s, .max_entries = 2});
  EXPECT_EQ(cache.size(), 2u);
  // A shorter ttl applies to entries already kept.
  cache.set_limits(Limits{.ttl = 10s, .max_entries = 2});
  EXPECT_FALSE(cache.matches(account("4@example.test"), "pw", t0 + 10s));
  // ttl 0: disabled, and emptied.
  cache.set_limits(Limits{.ttl = 0s, .max_entries = 2});
  EXPECT_FALSE(cache.enabled());
  EXPECT_EQ(cache.size(), 0u);
  cache.remember(account("a@example.test"), "pw", t0);
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_FALSE(cache.matches(account("a@example.test"), "pw", t0));
}

}  // namespace
}  // namespace parley::directory
