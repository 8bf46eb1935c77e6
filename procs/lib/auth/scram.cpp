// SCRAM-SHA-256, server side (RFC 5802 sections 3, 5 and 7; RFC 7677).
//
// Messages are checked against the RFC 5802 section 7 grammar before any
// key is touched. Channel binding is refused ("p=") because this server
// offers only SCRAM-SHA-256, never SCRAM-SHA-256-PLUS; a "y" client is
// fine for the same reason (RFC 5802 section 6).
//
// Passwords are used as the bytes given: SASLprep (RFC 4013) is the
// caller's to apply before derive_scram, if at all.
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <vector>

#include "auth/auth.h"
#include "auth/encoding.h"

namespace parley::auth {

namespace {

constexpr std::size_t kKeyBytes = 32;         // SHA-256 output
constexpr std::size_t kSaltBytes = 16;
constexpr std::size_t kServerNonceBytes = 18;  // 24 base64 characters
constexpr int kStepFirst = 0;
constexpr int kStepFinal = 1;
constexpr int kStepDone = 2;

// OpenSSL's one-shot digest fails only when memory runs out; there is no
// sensible value to return then.
std::string sha256(std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), out, &len, EVP_sha256(), nullptr) != 1) std::abort();
  return std::string(reinterpret_cast<const char*>(out), len);
}

std::vector<std::string_view> split_attributes(std::string_view message) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = message.find(',', start);
    if (comma == std::string_view::npos) {
      out.push_back(message.substr(start));
      return out;
    }
    out.push_back(message.substr(start, comma - start));
    start = comma + 1;
  }
}

// saslname = 1*(value-safe-char / "=2C" / "=3D"), value-safe-char being
// any UTF-8 except NUL, "=" and ",". Returns the unescaped name.
std::optional<std::string> unescape_saslname(std::string_view text) {
  if (text.empty()) return std::nullopt;
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\0' || c == ',') return std::nullopt;
    if (c != '=') {
      out += c;
      continue;
    }
    const std::string_view escape = text.substr(i, 3);
    if (escape == "=2C") {
      out += ',';
    } else if (escape == "=3D") {
      out += '=';
    } else {
      return std::nullopt;
    }
    i += 2;
  }
  if (!valid_utf8(out)) return std::nullopt;
  return out;
}

// c-nonce / s-nonce: printable ASCII except ",".
bool valid_nonce(std::string_view nonce) {
  if (nonce.empty()) return false;
  return std::all_of(nonce.begin(), nonce.end(), [](char c) { return c >= 0x21 && c <= 0x7e && c != ','; });
}

// attr-val = ALPHA "=" value; value = 1*value-char (UTF-8 except NUL, ",").
bool valid_extension(std::string_view attr) {
  if (attr.size() < 3 || attr[1] != '=') return false;
  const char name = attr[0];
  if (!((name >= 'a' && name <= 'z') || (name >= 'A' && name <= 'Z'))) return false;
  const std::string_view value = attr.substr(2);
  return value.find('\0') == std::string_view::npos && valid_utf8(value);
}

bool starts_with(std::string_view text, std::string_view prefix) { return text.substr(0, prefix.size()) == prefix; }

// Keys come from the store, written by another process: check them.
bool usable_keys(const ScramKeys& keys) {
  return !keys.salt.empty() && keys.iterations >= 1 && keys.stored_key.size() == kKeyBytes &&
         keys.server_key.size() == kKeyBytes;
}

}  // namespace

std::string hmac_sha256(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  // Fails only when memory runs out (see sha256 above).
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
           data.size(), out, &len) == nullptr) {
    std::abort();
  }
  return std::string(reinterpret_cast<const char*>(out), len);
}

ScramKeys derive_scram(std::string_view password, std::string salt, std::uint32_t iterations) {
  ScramKeys keys;
  keys.salt = salt.empty() ? random_bytes(kSaltBytes) : std::move(salt);
  keys.iterations = std::clamp<std::uint32_t>(iterations, kScramMinIterations, INT_MAX);
  unsigned char salted[kKeyBytes];
  if (PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                        reinterpret_cast<const unsigned char*>(keys.salt.data()), static_cast<int>(keys.salt.size()),
                        static_cast<int>(keys.iterations), EVP_sha256(), kKeyBytes, salted) != 1) {
    std::abort();
  }
  const std::string_view salted_password(reinterpret_cast<const char*>(salted), kKeyBytes);
  std::string client_key = hmac_sha256(salted_password, "Client Key");
  keys.stored_key = sha256(client_key);
  keys.server_key = hmac_sha256(salted_password, "Server Key");
  OPENSSL_cleanse(client_key.data(), client_key.size());
  OPENSSL_cleanse(salted, sizeof salted);
  return keys;
}

ScramServer::ScramServer(Lookup lookup, std::string nonce) : lookup_(std::move(lookup)), nonce_(std::move(nonce)) {}

Result<std::string> ScramServer::first(std::string_view client_first) {
  if (step_ != kStepFirst) {
    step_ = kStepDone;
    return fail(Errc::syntax, "client-first-message out of order");
  }
  // Whatever happens below, this exchange does not take a second first().
  step_ = kStepDone;
  if (client_first.size() > kScramMaxMessage) return fail(Errc::limit, "client-first-message too long");

  // gs2-header = gs2-cbind-flag "," [ authzid ] ","
  if (starts_with(client_first, "p=")) {
    return fail(Errc::syntax, "channel binding requested, but only SCRAM-SHA-256 (no -PLUS) is offered");
  }
  if (!starts_with(client_first, "n,") && !starts_with(client_first, "y,")) {
    return fail(Errc::syntax, "missing GS2 header");
  }
  const std::size_t header_end = client_first.find(',', 2);
  if (header_end == std::string_view::npos) return fail(Errc::syntax, "unterminated GS2 header");
  const std::string_view authzid = client_first.substr(2, header_end - 2);
  if (!authzid.empty()) {
    if (!starts_with(authzid, "a=")) return fail(Errc::syntax, "bad authzid in GS2 header");
    auto name = unescape_saslname(authzid.substr(2));
    if (!name) return fail(Errc::syntax, "bad authzid in GS2 header");
    authzid_ = std::move(*name);
  }

  // client-first-message-bare = [reserved-mext ","] username "," nonce ["," extensions]
  const std::string_view bare = client_first.substr(header_end + 1);
  const auto attrs = split_attributes(bare);
  if (starts_with(attrs[0], "m=")) return fail(Errc::syntax, "unsupported mandatory extension");
  if (!starts_with(attrs[0], "n=")) return fail(Errc::syntax, "missing username");
  auto name = unescape_saslname(attrs[0].substr(2));
  if (!name) return fail(Errc::syntax, "bad username encoding");
  if (attrs.size() < 2 || !starts_with(attrs[1], "r=")) return fail(Errc::syntax, "missing client nonce");
  const std::string_view client_nonce = attrs[1].substr(2);
  if (!valid_nonce(client_nonce)) return fail(Errc::syntax, "bad client nonce");
  for (std::size_t i = 2; i < attrs.size(); ++i) {
    if (!valid_extension(attrs[i])) return fail(Errc::syntax, "bad extension");
  }
  username_ = std::move(*name);

  keys_ = lookup_(username_);
  if (!keys_) return fail(Errc::not_found, "no such user");
  if (!usable_keys(*keys_)) return fail(Errc::invalid, "stored SCRAM keys are malformed");
  if (nonce_.empty()) nonce_ = base64_encode(random_bytes(kServerNonceBytes));
  if (!valid_nonce(nonce_)) return fail(Errc::invalid, "server nonce has characters outside the SCRAM grammar");

  gs2_header_ = std::string(client_first.substr(0, header_end + 1));
  client_first_bare_ = std::string(bare);
  full_nonce_ = std::string(client_nonce) + nonce_;
  server_first_ = "r=" + full_nonce_ + ",s=" + base64_encode(keys_->salt) + ",i=" + std::to_string(keys_->iterations);
  step_ = kStepFinal;
  return server_first_;
}

Result<std::string> ScramServer::final(std::string_view client_final) {
  if (step_ != kStepFinal) {
    step_ = kStepDone;
    return fail(Errc::syntax, "client-final-message out of order");
  }
  step_ = kStepDone;
  if (client_final.size() > kScramMaxMessage) return fail(Errc::limit, "client-final-message too long");

  // client-final-message = channel-binding "," nonce ["," extensions] "," proof
  const auto attrs = split_attributes(client_final);
  if (!starts_with(attrs[0], "c=")) return fail(Errc::syntax, "missing channel binding attribute");
  // Without -PLUS there is no cbind-data: "c=" carries the GS2 header alone.
  const auto binding = base64_decode(attrs[0].substr(2));
  if (!binding) return fail(Errc::syntax, "bad base64 in channel binding attribute");
  if (*binding != gs2_header_) return fail(Errc::syntax, "channel binding does not match the GS2 header");
  if (attrs.size() < 2 || !starts_with(attrs[1], "r=")) return fail(Errc::syntax, "missing nonce");
  if (attrs[1].substr(2) != full_nonce_) return fail(Errc::syntax, "nonce does not match");
  if (attrs.size() < 3) return fail(Errc::syntax, "missing proof");
  for (std::size_t i = 2; i + 1 < attrs.size(); ++i) {
    if (starts_with(attrs[i], "p=")) return fail(Errc::syntax, "proof is not the last attribute");
    if (!valid_extension(attrs[i])) return fail(Errc::syntax, "bad extension");
  }
  const std::string_view proof_attr = attrs.back();
  if (!starts_with(proof_attr, "p=")) return fail(Errc::syntax, "missing proof");
  const auto proof = base64_decode(proof_attr.substr(2));
  if (!proof) return fail(Errc::syntax, "bad base64 in proof");
  if (proof->size() != kKeyBytes) return fail(Errc::syntax, "proof has the wrong length");

  // RFC 5802 section 3: recover ClientKey from the proof and check that it
  // hashes to StoredKey.
  const std::string_view without_proof = client_final.substr(0, client_final.size() - proof_attr.size() - 1);
  const std::string auth_message = client_first_bare_ + "," + server_first_ + "," + std::string(without_proof);
  const std::string client_signature = hmac_sha256(keys_->stored_key, auth_message);
  std::string client_key(kKeyBytes, '\0');
  for (std::size_t i = 0; i < kKeyBytes; ++i) client_key[i] = static_cast<char>((*proof)[i] ^ client_signature[i]);
  const std::string computed = sha256(client_key);
  OPENSSL_cleanse(client_key.data(), client_key.size());
  if (CRYPTO_memcmp(computed.data(), keys_->stored_key.data(), kKeyBytes) != 0) {
    return fail(Errc::denied, "wrong proof");
  }
  return "v=" + base64_encode(hmac_sha256(keys_->server_key, auth_message));
}

}  // namespace parley::auth
