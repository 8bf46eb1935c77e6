// parse_plain on arbitrary bytes: must never crash. Accepted credentials
// must rebuild the exact message and respect the field limits.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "auth/auth.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view message(reinterpret_cast<const char*>(data), size);
  const auto creds = parley::auth::parse_plain(message);
  if (!creds) return 0;
  const std::string rebuilt = creds->authzid + '\0' + creds->authcid + '\0' + creds->password;
  if (rebuilt != message || creds->authcid.empty() || creds->password.empty()) std::abort();
  if (creds->authzid.size() > parley::auth::kPlainMaxField || creds->authcid.size() > parley::auth::kPlainMaxField ||
      creds->password.size() > parley::auth::kPlainMaxField) {
    std::abort();
  }
  return 0;
}
