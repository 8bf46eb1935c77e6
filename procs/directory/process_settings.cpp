#include "process_settings.h"

namespace parley::directory {

namespace {

constexpr std::string_view kSection = "directory";
constexpr std::int64_t kDayS = 86400;

const config::Integer kArgon2MemoryKib{
    .section = kSection, .key = "argon2_memory_kib", .default_value = 65536,
    .min = 8, .max = 4 * 1024 * 1024,
    .doc = "Memory per password hash (argon2id m, in KiB). More is harder to attack and slower to log in."};
const config::Integer kArgon2Iterations{
    .section = kSection, .key = "argon2_iterations", .default_value = 3,
    .min = 1, .max = 100, .doc = "argon2id passes (t)."};
const config::Integer kArgon2Parallelism{
    .section = kSection, .key = "argon2_parallelism", .default_value = 1,
    .min = 1, .max = 16, .doc = "argon2id lanes (p)."};
const config::Integer kScramIterations{
    .section = kSection, .key = "scram_iterations", .default_value = 4096,
    .min = 4096, .max = 1000000,
    .doc = "PBKDF2 iterations of stored SCRAM-SHA-256 keys (RFC 7677 asks for at least 4096); applies to passwords set from now on."};
const config::Integer kAuthWindowS{
    .section = kSection, .key = "auth_window_s", .default_value = 300,
    .min = 1, .max = kDayS, .doc = "The window in which failed logins are counted."};
const config::Integer kAuthMaxFailuresPerIp{
    .section = kSection, .key = "auth_max_failures_per_ip", .default_value = 10,
    .min = 1, .max = 100000,
    .doc = "Failed logins from one client address within the window before it gets temporary failures."};
const config::Integer kAuthMaxFailuresPerAccount{
    .section = kSection, .key = "auth_max_failures_per_account", .default_value = 30,
    .min = 1, .max = 100000,
    .doc = "Failed logins to one account within the window before it gets temporary failures (from every address); "
           "higher than the per-address limit, so one attacker cannot lock its owner out."};
const config::Integer kAuthCacheTtlS{
    .section = kSection, .key = "auth_cache_ttl_s", .default_value = 3600,
    .min = 0, .max = kDayS,
    .doc = "How long a successful password login is remembered (as a keyed hash) so that the same password "
           "for the same account logs in again without argon2id; dropped at once when the account's password, "
           "name or state changes. 0: no cache, every login runs argon2id."};
const config::Integer kAuthCacheMaxEntries{
    .section = kSection, .key = "auth_cache_max_entries", .default_value = 100000,
    .min = 1, .max = 10000000,
    .doc = "Most logins the cache remembers (about 250 bytes each); the least recently used go first."};
const config::String kDetailSeparator{
    .section = kSection, .key = "detail_separator", .default_value = "+",
    .choices = {"+", "-", ""}, .doc = "Sub-addressing: alice+lists@example.com is alice with detail lists; empty: none."};

}  // namespace

config::SectionDecl settings_section() {
  return {.name = std::string(kSection),
          .doc = "The directory process: how passwords are hashed, how failed logins are "
                 "limited and successful ones cached, sub-addressing, and what an empty "
                 "directory starts with.",
          .keys = {kArgon2MemoryKib, kArgon2Iterations, kArgon2Parallelism, kScramIterations, kAuthWindowS,
                   kAuthMaxFailuresPerIp, kAuthMaxFailuresPerAccount, kAuthCacheTtlS, kAuthCacheMaxEntries,
                   kDetailSeparator}};
}

ProcessSettings load_settings(const config::Config& c) {
  ProcessSettings s;
  s.policy.argon2.memory_kib = static_cast<std::uint32_t>(c.get(kArgon2MemoryKib));
  s.policy.argon2.iterations = static_cast<std::uint32_t>(c.get(kArgon2Iterations));
  s.policy.argon2.parallelism = static_cast<std::uint32_t>(c.get(kArgon2Parallelism));
  s.policy.scram_iterations = static_cast<std::uint32_t>(c.get(kScramIterations));
  s.policy.window = std::chrono::seconds(c.get(kAuthWindowS));
  s.policy.max_failures_per_ip = static_cast<int>(c.get(kAuthMaxFailuresPerIp));
  s.policy.max_failures_per_account = static_cast<int>(c.get(kAuthMaxFailuresPerAccount));
  s.policy.cache.ttl = std::chrono::seconds(c.get(kAuthCacheTtlS));
  s.policy.cache.max_entries = static_cast<std::size_t>(c.get(kAuthCacheMaxEntries));
  const std::string& sep = c.get(kDetailSeparator);
  s.detail_separator = sep.empty() ? '\0' : sep[0];
  return s;
}

}  // namespace parley::directory
