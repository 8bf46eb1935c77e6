// The directory's credentials cache: which (account, password) pairs passed
// argon2id recently, so that a client logging in again and again costs an
// HMAC instead of 64 MiB and a few hundred milliseconds of a core (as
// Dovecot's auth cache does).
//
// What is kept: per entry, the account's canonical name, the time it was
// verified, and a tag HMAC-SHA-256(K, account, stored credentials,
// password) under a random key K made when the cache is and never written
// anywhere. The password itself is not kept. The stored credentials (the
// argon2id strings of the password and of every application password)
// are part of the tag, so an entry can only ever match the credentials it
// was verified against: a password change makes every older entry dead
// even before forget() drops it.
//
// Contract:
// - matches() is true only for a pair that remember() saw less than `ttl`
//   ago (time of the verification, not of the last use) and that has not
//   been forgotten since. Tags are compared in constant time. A miss is
//   never an answer: the caller then runs argon2id as if there were no
//   cache (see authenticator.cpp for why a wrong password must cost the
//   same with and without a cached entry).
// - remember() is for successful logins only. Failures are never cached.
// - At most `max_entries` entries (least recently used go first), and at
//   most kMaxPerAccount per account (a password and a few application
//   passwords in use at once). ttl 0 disables the cache: nothing is kept.
// Time is passed in by the caller (tests use their own clock). Not
// thread-safe: the directory uses it on its event loop only.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <list>
#include <string>
#include <string_view>
#include <unordered_map>

#include "schema/directory.pb.h"

namespace parley::directory {

class CredentialsCache {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr std::size_t kMaxPerAccount = 8;

  struct Limits {
    std::chrono::seconds ttl{3600};
    std::size_t max_entries = 100000;
  };
  struct Stats {
    std::uint64_t hits = 0;
    std::uint64_t misses = 0;     // lookups that found no live matching entry
    std::uint64_t evictions = 0;  // entries dropped to stay within the bounds
  };

  explicit CredentialsCache(Limits limits);

  // New limits take effect at once: a shorter ttl applies to the entries
  // already kept, a lower bound evicts, ttl 0 empties the cache.
  void set_limits(Limits limits);
  bool enabled() const { return limits_.ttl.count() > 0 && limits_.max_entries > 0; }

  bool matches(const schema::AccountRecord& account, std::string_view password, Clock::time_point now);
  void remember(const schema::AccountRecord& account, std::string_view password, Clock::time_point now);
  // Drops every entry of the account (its canonical name).
  void forget(std::string_view account);
  void clear();
  // Drops expired entries from the least recently used end.
  void prune(Clock::time_point now);

  std::size_t size() const { return lru_.size(); }
  const Stats& stats() const { return stats_; }

 private:
  using Tag = std::array<unsigned char, 32>;
  struct Entry {
    std::string account;
    Tag tag;
    Clock::time_point verified;
  };
  using Lru = std::list<Entry>;  // most recently used first

  Tag tag_of(const schema::AccountRecord& account, std::string_view password) const;
  bool expired(const Entry& e, Clock::time_point now) const { return now - e.verified >= limits_.ttl; }
  void erase(Lru::iterator it);
  void shrink();

  Limits limits_;
  std::string key_;
  Lru lru_;
  std::unordered_multimap<std::string, Lru::iterator> by_account_;
  Stats stats_;
};

}  // namespace parley::directory
