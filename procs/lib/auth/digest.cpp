// HTTP Digest (RFC 7616 section 3.4.1) and its SIP use (RFC 3261 section
// 22.4), for algorithms MD5 and SHA-256 without "-sess":
//   HA1 = H(username ":" realm ":" password)
//   HA2 = H(method ":" digest-uri)
//   qop=auth:  response = H(HA1 ":" nonce ":" nc ":" cnonce ":" qop ":" HA2)
//   no qop:    response = H(HA1 ":" nonce ":" HA2)   (RFC 2069)
// "auth-int" would need the message body; it is refused.
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>
#include <cstdlib>
#include <initializer_list>

#include "auth/auth.h"
#include "auth/encoding.h"

namespace parley::auth {

namespace {

constexpr std::size_t kNonceCountDigits = 8;  // RFC 7616 section 3.4: nc = 8LHEX

// Lowercase hex of H(data). EVP_Digest fails only when memory runs out.
std::string hex_digest(DigestAlgorithm algorithm, std::string_view data) {
  const EVP_MD* md = algorithm == DigestAlgorithm::md5 ? EVP_md5() : EVP_sha256();
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), out, &len, md, nullptr) != 1) std::abort();
  return hex_encode(std::string_view(reinterpret_cast<const char*>(out), len));
}

bool is_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

std::string join(std::initializer_list<std::string_view> parts) {
  std::string out;
  bool first = true;
  for (const auto part : parts) {
    if (!first) out += ':';
    out += part;
    first = false;
  }
  return out;
}

}  // namespace

std::string digest_ha1(DigestAlgorithm algorithm, std::string_view username, std::string_view realm,
                       std::string_view password) {
  return hex_digest(algorithm, join({username, realm, password}));
}

Result<std::string> digest_response(DigestAlgorithm algorithm, std::string_view ha1,
                                    const DigestChallengeResponse& r) {
  const std::string ha2 = hex_digest(algorithm, join({r.method, r.uri}));
  if (r.qop.empty()) return hex_digest(algorithm, join({ha1, r.nonce, ha2}));
  if (r.qop != "auth") return fail(Errc::invalid, "unsupported qop");
  if (r.nc.size() != kNonceCountDigits || !std::all_of(r.nc.begin(), r.nc.end(), is_hex)) {
    return fail(Errc::syntax, "nc is not 8 hex digits");
  }
  if (r.cnonce.empty()) return fail(Errc::syntax, "qop=auth without cnonce");
  return hex_digest(algorithm, join({ha1, r.nonce, r.nc, r.cnonce, r.qop, ha2}));
}

bool digest_verify(DigestAlgorithm algorithm, std::string_view ha1, const DigestChallengeResponse& r) {
  const auto expected = digest_response(algorithm, ha1, r);
  if (!expected || expected->size() != r.response.size()) return false;
  // Hex is case-insensitive; a client sending "8CA5..." means the same.
  std::string given = r.response;
  std::transform(given.begin(), given.end(), given.begin(),
                 [](char c) { return c >= 'A' && c <= 'F' ? static_cast<char>(c - 'A' + 'a') : c; });
  return CRYPTO_memcmp(expected->data(), given.data(), given.size()) == 0;
}

}  // namespace parley::auth
