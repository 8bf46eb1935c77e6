#include "credentials_cache.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstdlib>
#include <optional>
#include <vector>

#include "auth/auth.h"

namespace parley::directory {
namespace {

constexpr std::size_t kKeyBytes = 32;

// Each field with its length in front, so that no two different inputs
// run together into the same bytes.
void put_field(std::string& out, std::string_view field) {
  std::uint32_t n = static_cast<std::uint32_t>(field.size());
  for (int shift = 24; shift >= 0; shift -= 8) out += static_cast<char>((n >> shift) & 0xff);
  out.append(field);
}

}  // namespace

CredentialsCache::CredentialsCache(Limits limits) : limits_(limits), key_(auth::random_bytes(kKeyBytes)) {}

CredentialsCache::Tag CredentialsCache::tag_of(const schema::AccountRecord& account, std::string_view password) const {
  std::string input;
  input.reserve(256 + password.size());
  put_field(input, account.name());
  put_field(input, account.credentials().argon2());
  for (const auto& app : account.credentials().app_passwords()) put_field(input, app.argon2());
  put_field(input, password);
  Tag tag{};
  unsigned int length = 0;
  const unsigned char* done =
      HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()), reinterpret_cast<const unsigned char*>(input.data()),
           input.size(), tag.data(), &length);
  OPENSSL_cleanse(input.data(), input.size());
  // HMAC fails only when memory runs out; a cache that cannot tell tags
  // apart must not go on (it could match anything), so stop, as
  // auth::random_bytes does without randomness.
  if (done == nullptr || length != tag.size()) std::abort();
  return tag;
}

void CredentialsCache::erase(Lru::iterator it) {
  auto [first, last] = by_account_.equal_range(it->account);
  for (auto i = first; i != last; ++i) {
    if (i->second == it) {
      by_account_.erase(i);
      break;
    }
  }
  OPENSSL_cleanse(it->tag.data(), it->tag.size());
  lru_.erase(it);
}

void CredentialsCache::shrink() {
  while (!lru_.empty() && lru_.size() > limits_.max_entries) {
    erase(std::prev(lru_.end()));
    ++stats_.evictions;
  }
}

void CredentialsCache::set_limits(Limits limits) {
  limits_ = limits;
  if (!enabled()) {
    clear();
    return;
  }
  shrink();
}

bool CredentialsCache::matches(const schema::AccountRecord& account, std::string_view password, Clock::time_point now) {
  if (!enabled()) return false;
  Tag tag = tag_of(account, password);
  std::vector<Lru::iterator> stale;
  std::optional<Lru::iterator> hit;
  auto [first, last] = by_account_.equal_range(account.name());
  for (auto i = first; i != last; ++i) {
    Lru::iterator e = i->second;
    if (expired(*e, now)) {
      stale.push_back(e);
    } else if (CRYPTO_memcmp(e->tag.data(), tag.data(), tag.size()) == 0) {
      hit = e;
    }
  }
  for (auto e : stale) erase(e);
  if (!hit) {
    ++stats_.misses;
    return false;
  }
  lru_.splice(lru_.begin(), lru_, *hit);
  ++stats_.hits;
  return true;
}

void CredentialsCache::remember(const schema::AccountRecord& account, std::string_view password, Clock::time_point now) {
  if (!enabled()) return;
  Tag tag = tag_of(account, password);
  auto [first, last] = by_account_.equal_range(account.name());
  std::size_t count = 0;
  std::optional<Lru::iterator> oldest;
  for (auto i = first; i != last; ++i) {
    Lru::iterator e = i->second;
    if (CRYPTO_memcmp(e->tag.data(), tag.data(), tag.size()) == 0) {
      e->verified = now;
      lru_.splice(lru_.begin(), lru_, e);
      return;
    }
    ++count;
    if (!oldest || e->verified < (*oldest)->verified) oldest = e;
  }
  if (count >= kMaxPerAccount && oldest) {
    erase(*oldest);
    ++stats_.evictions;
  }
  lru_.push_front(Entry{account.name(), tag, now});
  by_account_.emplace(account.name(), lru_.begin());
  shrink();
}

void CredentialsCache::forget(std::string_view account) {
  std::vector<Lru::iterator> doomed;
  auto [first, last] = by_account_.equal_range(std::string(account));
  for (auto i = first; i != last; ++i) doomed.push_back(i->second);
  for (auto e : doomed) erase(e);
}

void CredentialsCache::clear() {
  for (auto& e : lru_) OPENSSL_cleanse(e.tag.data(), e.tag.size());
  lru_.clear();
  by_account_.clear();
}

void CredentialsCache::prune(Clock::time_point now) {
  while (!lru_.empty() && expired(lru_.back(), now)) erase(std::prev(lru_.end()));
}

}  // namespace parley::directory
