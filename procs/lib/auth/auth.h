// Credentials and SASL, as the directory process uses them. Nothing here
// does I/O or keeps global state; secrets are never logged or put into an
// Error's detail.
//
//   hash_password / verify_password   argon2id, PHC string format
//   derive_scram / ScramServer        SCRAM-SHA-256 (RFC 5802, RFC 7677)
//   parse_plain                       SASL PLAIN (RFC 4616)
//   digest_ha1 / digest_response      SIP/HTTP Digest (RFC 7616, RFC 3261)
//   parse_digest_credentials /        Digest on the wire: Authorization
//     digest_challenge / DigestNonces   headers, challenges, nonces
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"

namespace parley::auth {

// --- stored passwords -------------------------------------------------

struct Argon2Params {
  std::uint32_t memory_kib = 65536;  // 64 MiB
  std::uint32_t iterations = 3;
  std::uint32_t parallelism = 1;
};

// "$argon2id$v=19$m=65536,t=3,p=1$<salt b64>$<hash b64>" with a fresh
// random 16-byte salt. Errc::invalid for parameters libargon2 refuses.
Result<std::string> hash_password(std::string_view password, const Argon2Params& params);
// True when `password` matches `phc` (constant time). A malformed `phc`
// never matches; neither does one that is not "$argon2id$v=19$", or whose
// costs exceed m=1 GiB, t=64, p=16 (a corrupt store record must not make
// the caller allocate or spin without bound).
bool verify_password(std::string_view password, std::string_view phc);

// --- SCRAM-SHA-256 ----------------------------------------------------

constexpr std::uint32_t kScramMinIterations = 4096;  // RFC 7677 section 4
// Longest client message first()/final() accept (Errc::limit beyond). RFC
// 5802 sets none; real messages are a few hundred bytes.
constexpr std::size_t kScramMaxMessage = 4096;

struct ScramKeys {
  std::string salt;        // raw bytes
  std::uint32_t iterations = kScramMinIterations;
  std::string stored_key;  // raw 32 bytes: H(HMAC(SaltedPassword, "Client Key"))
  std::string server_key;  // raw 32 bytes: HMAC(SaltedPassword, "Server Key")
};

// With an empty `salt`, a fresh random 16-byte salt is made. Iterations
// below kScramMinIterations are raised to it. The password is used as the
// bytes given (SASLprep, RFC 4013, is the caller's business).
ScramKeys derive_scram(std::string_view password, std::string salt, std::uint32_t iterations);

// One server-side exchange. Messages are the raw SASL payloads (no base64).
//   step 1: client-first-message -> server-first-message (needs the user's keys)
//   step 2: client-final-message -> server-final-message ("v=...")
// Errors: Errc::syntax for a malformed message (including channel binding
// requests this server cannot honour, "m=" mandatory extensions, a wrong
// nonce or "c=" in the final message, and calls out of order),
// Errc::limit for a message over kScramMaxMessage, Errc::not_found when the
// lookup has no such user, Errc::invalid when the looked-up keys are
// malformed (salt empty, keys not 32 bytes) or `nonce` has characters
// outside printable ASCII minus ",", Errc::denied for a wrong proof. After
// any error the exchange is over.
//
// User enumeration: Errc::not_found comes back from first(), one step
// earlier than Errc::denied would. The caller must not show the peer the
// difference: map both to the same generic failure (the directory does),
// or answer with decoy keys to keep the dialog the same length.
class ScramServer {
 public:
  using Lookup = std::function<std::optional<ScramKeys>(std::string_view username)>;
  // `nonce` is the server's part of the nonce; empty: random.
  explicit ScramServer(Lookup lookup, std::string nonce = {});

  Result<std::string> first(std::string_view client_first);
  Result<std::string> final(std::string_view client_final);

  // The authentication identity (SCRAM "n=", unescaped) after first().
  const std::string& username() const { return username_; }
  // The authorization identity ("a=" in the GS2 header), if any.
  const std::string& authzid() const { return authzid_; }

 private:
  Lookup lookup_;
  std::string nonce_;
  std::string username_;
  std::string authzid_;
  std::string gs2_header_;
  std::string client_first_bare_;
  std::string server_first_;
  std::string full_nonce_;
  std::optional<ScramKeys> keys_;
  int step_ = 0;
};

// --- SASL PLAIN -------------------------------------------------------

struct PlainCredentials {
  std::string authzid;  // may be empty
  std::string authcid;
  std::string password;
};
constexpr std::size_t kPlainMaxField = 255;  // RFC 4616 section 2

// "authzid NUL authcid NUL passwd" (RFC 4616); Errc::syntax otherwise
// (missing or extra NULs, empty authcid or password, more than
// kPlainMaxField bytes in a field, a field that is not UTF-8).
Result<PlainCredentials> parse_plain(std::string_view message);

// --- Digest (SIP, HTTP) -----------------------------------------------

enum class DigestAlgorithm { md5, sha256 };

// HA1 = H(username ":" realm ":" password), lowercase hex.
std::string digest_ha1(DigestAlgorithm algorithm, std::string_view username, std::string_view realm,
                       std::string_view password);

struct DigestChallengeResponse {
  std::string method;  // "REGISTER"
  std::string uri;     // digest-uri as sent
  std::string nonce;
  std::string cnonce;  // with qop
  std::string nc;      // with qop, 8 hex digits as sent
  std::string qop;     // "" or "auth" ("auth-int" is refused)
  std::string response;  // the client's hex response
};

// The expected response (lowercase hex) for a stored HA1 as digest_ha1
// makes it; Errc::invalid for an unsupported qop ("auth-int" or unknown),
// Errc::syntax with qop "auth" when nc is not 8 hex digits or cnonce is empty.
Result<std::string> digest_response(DigestAlgorithm algorithm, std::string_view ha1, const DigestChallengeResponse& r);
// Constant-time check of r.response (hex, either case) against the stored
// HA1. False on any digest_response error.
bool digest_verify(DigestAlgorithm algorithm, std::string_view ha1, const DigestChallengeResponse& r);

// Random bytes from the OS (getrandom); for salts, nonces and passwords.
// Aborts if the kernel has no random source at all (never degrades).
std::string random_bytes(std::size_t n);
// A random password of `length` characters from an unambiguous alphabet
// (digits 2-9 and letters without O, I, l: 57 symbols), uniformly chosen.
std::string random_password(std::size_t length = 20);

// --- Digest on the wire (RFC 7616 3.3-3.5, RFC 3261 22.4, RFC 8760) ------

// "MD5" (also what an absent algorithm means) or "SHA-256", any case.
std::optional<DigestAlgorithm> parse_digest_algorithm(std::string_view name);
std::string_view digest_algorithm_name(DigestAlgorithm algorithm);

// The longest Authorization header value taken.
inline constexpr std::size_t kMaxDigestHeader = 4096;

// What a client sent in an Authorization or Proxy-Authorization header,
// quoted strings unquoted. Unknown parameters are ignored (RFC 7616 3.4).
struct DigestCredentials {
  std::string username;
  std::string realm;
  std::string nonce;
  std::string uri;
  std::string response;
  std::string algorithm;  // as sent; "" is MD5
  std::string cnonce;
  std::string opaque;
  std::string qop;
  std::string nc;
};

// Parses `Digest k=v, k="v", ...`. Errc::syntax when the scheme is not
// Digest, the list is malformed, a parameter comes twice, one of
// username, realm, nonce, uri and response is missing, or qop comes
// without cnonce and nc; Errc::limit over kMaxDigestHeader.
Result<DigestCredentials> parse_digest_credentials(std::string_view value);

// What a server offers in a WWW-Authenticate or Proxy-Authenticate header
// (the client's side: sipd registering to a SIP trunk), quoted strings
// unquoted. Unknown parameters are ignored.
struct DigestChallenge {
  std::string realm;
  std::string nonce;
  std::string opaque;
  std::string algorithm;  // as sent; "" is MD5
  std::string qop;        // as sent: "auth", "auth,auth-int", or "" (RFC 2069 style)
  bool stale = false;
};

// Parses `Digest k=v, k="v", ...` as a server sends it. Errc::syntax when
// the scheme is not Digest, the list is malformed, a parameter comes
// twice, or realm or nonce is missing; Errc::limit over kMaxDigestHeader.
Result<DigestChallenge> parse_digest_challenge(std::string_view value);

// The Authorization (or Proxy-Authorization) value answering `challenge`
// for a request of `method` to `uri`: qop=auth with `cnonce` and nc
// 00000001 when the server offers auth, none when it offers no qop.
// Errc::invalid for an algorithm other than MD5 and SHA-256, a server that
// offers only auth-int, or a username or cnonce holding '"', '\' or
// control characters.
Result<std::string> digest_authorization(const DigestChallenge& challenge, std::string_view username,
                                         std::string_view password, std::string_view method, std::string_view uri,
                                         std::string_view cnonce);

// A WWW-Authenticate (or Proxy-Authenticate) value offering qop "auth":
// `Digest realm="...", nonce="...", algorithm=MD5, qop="auth"[, stale=true]`.
// `realm` and `nonce` must not hold '"' or '\' (domains and DigestNonces'
// nonces do not).
std::string digest_challenge(std::string_view realm, std::string_view nonce, DigestAlgorithm algorithm, bool stale);

// Nonces that check themselves (nothing stored per challenge): the time
// they were made, random bytes, and an HMAC over both and the realm under
// a key of the process's own. A nonce is good for `lifetime`; a nonce count (nc, with
// qop) must grow with each use (replay protection), and a nonce without
// qop is good once. Counts are kept for at most `max_tracked` nonces: when
// that many are in use, the oldest are forgotten and every nonce made up
// to then answers `stale`, so that forgetting never lets a replay through.
// Time is the caller's (seconds since the epoch), for tests.
class DigestNonces {
 public:
  enum class Check {
    fresh,     // made here, in time, count not seen: verify the response
    stale,     // made here, too old (or forgotten): challenge again with stale=true
    replayed,  // this count (or a higher one) was seen already
    invalid,   // not made here, or for another realm
  };

  explicit DigestNonces(std::chrono::seconds lifetime = std::chrono::seconds(300), std::size_t max_tracked = 100000,
                        std::string key = random_bytes(32));
  std::string make(std::string_view realm, std::chrono::seconds now);
  // `nc`: the client's count, 8 hex digits, or empty without qop. A fresh
  // answer records the use.
  Check check(std::string_view nonce, std::string_view realm, std::string_view nc, std::chrono::seconds now);
  std::size_t tracked() const { return counts_.size(); }

 private:
  std::chrono::seconds lifetime_;
  std::size_t max_tracked_;
  std::string key_;
  std::int64_t floor_ = 0;  // nonces made at or before this answer stale
  void forget_oldest();
  // nonce -> (made at, highest count used), and the same nonces by age
  std::map<std::string, std::pair<std::int64_t, std::uint64_t>, std::less<>> counts_;
  std::multimap<std::int64_t, std::string_view> by_time_;
};

// HMAC-SHA-256 of `data` under `key`, raw 32 bytes.
std::string hmac_sha256(std::string_view key, std::string_view data);

// The Sec-WebSocket-Accept value for a client's Sec-WebSocket-Key (RFC
// 6455 4.2.2: base64 of SHA-1 over the key and the protocol's GUID; SHA-1
// here is the protocol's checksum, not a security measure).
std::string websocket_accept(std::string_view key);

}  // namespace parley::auth
