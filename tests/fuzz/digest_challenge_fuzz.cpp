// WWW-Authenticate / Proxy-Authenticate values from a server (sipd as a
// trunk's client: auth::parse_digest_challenge) and the answer made to
// them, from untrusted bytes: no crash, no sanitizer report; a parsed
// challenge has realm and nonce, and an answer parses as credentials.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "auth/auth.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace parley::auth;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto c = parse_digest_challenge(text);
  if (!c) return 0;
  if (c->realm.empty() || c->nonce.empty()) std::abort();
  auto answer = digest_authorization(*c, "user", "password", "REGISTER", "sip:provider.test", "c0ffee");
  if (answer && !parse_digest_credentials(*answer)) std::abort();
  return 0;
}
