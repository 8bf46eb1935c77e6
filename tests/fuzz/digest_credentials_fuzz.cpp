// Authorization header values (auth::parse_digest_credentials) and nonces
// (DigestNonces::check) from untrusted bytes: no crash, no sanitizer
// report; a parsed header has every required field.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "auth/auth.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace parley::auth;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto c = parse_digest_credentials(text);
  if (c && (c->username.empty() || c->realm.empty() || c->nonce.empty() || c->uri.empty() || c->response.empty())) {
    std::abort();
  }
  static DigestNonces nonces(std::chrono::seconds(300), 64, "fuzz key");
  const auto now = std::chrono::seconds(1000);
  if (nonces.check(text, "example.test", "00000001", now) == DigestNonces::Check::fresh) std::abort();  // not made here
  if (c) (void)nonces.check(c->nonce, c->realm, c->nc, now);
  return 0;
}
