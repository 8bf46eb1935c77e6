#include <argon2.h>

#include <charconv>
#include <cstdint>

#include "auth/auth.h"

namespace parley::auth {

namespace {

constexpr std::size_t kSaltBytes = 16;
constexpr std::uint32_t kHashBytes = 32;

// Bounds on what verify_password will run. A PHC string comes from the
// store, written by another process; a corrupt or hostile one must not make
// us allocate gigabytes or spin for minutes.
constexpr std::uint32_t kMaxMemoryKib = 1u << 20;  // 1 GiB
constexpr std::uint32_t kMaxIterations = 64;
constexpr std::uint32_t kMaxParallelism = 16;
constexpr std::size_t kMaxPhc = 512;

// Reads "<key>=<decimal>" at the front of `text`, then drops it.
bool take_param(std::string_view& text, std::string_view key, std::uint32_t& value) {
  if (text.substr(0, key.size()) != key) return false;
  text.remove_prefix(key.size());
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end == text.data()) return false;
  text.remove_prefix(static_cast<std::size_t>(end - text.data()));
  return true;
}

// The cost parameters of "$argon2id$v=19$m=M,t=T,p=P$...", within bounds.
bool acceptable_costs(std::string_view phc) {
  if (phc.size() > kMaxPhc) return false;
  std::string_view rest = phc;
  constexpr std::string_view kPrefix = "$argon2id$v=19$";
  if (rest.substr(0, kPrefix.size()) != kPrefix) return false;
  rest.remove_prefix(kPrefix.size());
  std::uint32_t m = 0, t = 0, p = 0;
  if (!take_param(rest, "m=", m) || !take_param(rest, ",t=", t) || !take_param(rest, ",p=", p)) return false;
  return !rest.empty() && rest.front() == '$' && m <= kMaxMemoryKib && t <= kMaxIterations && p <= kMaxParallelism;
}

}  // namespace

Result<std::string> hash_password(std::string_view password, const Argon2Params& params) {
  if (password.size() > ARGON2_MAX_PWD_LENGTH) return fail(Errc::invalid, "password too long");
  const std::string salt = random_bytes(kSaltBytes);
  const std::size_t size =
      argon2_encodedlen(params.iterations, params.memory_kib, params.parallelism, kSaltBytes, kHashBytes, Argon2_id);
  std::string encoded(size, '\0');
  const int rc = argon2id_hash_encoded(params.iterations, params.memory_kib, params.parallelism, password.data(),
                                       password.size(), salt.data(), salt.size(), kHashBytes, encoded.data(),
                                       encoded.size());
  if (rc != ARGON2_OK) return fail(Errc::invalid, std::string("argon2id: ") + argon2_error_message(rc));
  const std::size_t end = encoded.find('\0');
  if (end != std::string::npos) encoded.resize(end);
  return encoded;
}

bool verify_password(std::string_view password, std::string_view phc) {
  if (!acceptable_costs(phc) || phc.find('\0') != std::string_view::npos) return false;
  if (password.size() > ARGON2_MAX_PWD_LENGTH) return false;
  // libargon2 decodes the string, rehashes and compares in constant time.
  const std::string encoded(phc);
  return argon2id_verify(encoded.c_str(), password.data(), password.size()) == ARGON2_OK;
}

}  // namespace parley::auth
