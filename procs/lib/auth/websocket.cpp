#include <openssl/sha.h>

#include "auth/auth.h"
#include "auth/encoding.h"

namespace parley::auth {

std::string websocket_accept(std::string_view key) {
  // RFC 6455 4.2.2 step 5.4: base64(SHA-1(key + the protocol's GUID)).
  constexpr std::string_view kGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  std::string input(key);
  input += kGuid;
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(input.data()), input.size(), digest);
  return base64_encode(std::string_view(reinterpret_cast<const char*>(digest), sizeof digest));
}

}  // namespace parley::auth
