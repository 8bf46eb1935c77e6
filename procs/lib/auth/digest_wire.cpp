// Digest on the wire: the credentials a client sends, the challenge a
// server sends, and self-checking nonces (see auth.h).
#include <openssl/crypto.h>

#include <span>

#include "auth/auth.h"
#include "core/ascii.h"
#include "auth/encoding.h"

namespace parley::auth {

namespace {

// A nonce: when it was made, random bytes (no two alike, even in the same
// second), and an HMAC over both and the realm.
constexpr std::size_t kTimeBytes = 8;
constexpr std::size_t kRandomBytes = 8;
constexpr std::size_t kSignedBytes = kTimeBytes + kRandomBytes;
constexpr std::size_t kMacBytes = 16;  // of HMAC-SHA-256's 32: 128 bits

bool is_space(char c) { return c == ' ' || c == '\t'; }

bool is_token_char(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("-.!%*_+`'~").find(c) != std::string_view::npos;
}

// Reads `name=value` lists (auth-param, RFC 7235 2.1): tokens, or quoted
// strings with backslash escapes.
class ParamReader {
 public:
  explicit ParamReader(std::string_view text) : s_(text) {}

  void skip_space() {
    while (pos_ < s_.size() && is_space(s_[pos_])) ++pos_;
  }
  bool done() {
    skip_space();
    return pos_ == s_.size();
  }
  std::string_view token() {
    const std::size_t start = pos_;
    while (pos_ < s_.size() && is_token_char(s_[pos_])) ++pos_;
    return s_.substr(start, pos_ - start);
  }
  bool take(char c) {
    skip_space();
    if (pos_ < s_.size() && s_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  std::optional<std::string> value() {
    skip_space();
    if (pos_ < s_.size() && s_[pos_] == '"') {
      ++pos_;
      std::string out;
      while (pos_ < s_.size() && s_[pos_] != '"') {
        char c = s_[pos_++];
        if (c == '\\') {
          if (pos_ == s_.size()) return std::nullopt;
          c = s_[pos_++];
        }
        if (c == '\r' || c == '\n' || c == '\0') return std::nullopt;
        out.push_back(c);
      }
      if (pos_ == s_.size()) return std::nullopt;  // no closing quote
      ++pos_;
      return out;
    }
    std::string_view t = token();
    if (t.empty()) return std::nullopt;
    return std::string(t);
  }

 private:
  std::string_view s_;
  std::size_t pos_ = 0;
};

std::string time_bytes(std::int64_t t) {
  std::string out(kTimeBytes, '\0');
  auto u = static_cast<std::uint64_t>(t);
  for (std::size_t i = kTimeBytes; i-- > 0;) {
    out[i] = static_cast<char>(u & 0xff);
    u >>= 8;
  }
  return out;
}

std::int64_t time_of(std::string_view bytes) {
  std::uint64_t u = 0;
  for (unsigned char c : bytes) u = (u << 8) | c;
  return static_cast<std::int64_t>(u);
}

// base64 without padding, URL-safe: a nonce is a token and a quoted string.
std::string nonce_text(std::string_view raw) {
  std::string b = base64_encode(raw);
  for (char& c : b) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  while (!b.empty() && b.back() == '=') b.pop_back();
  return b;
}

std::optional<std::string> nonce_raw(std::string_view text) {
  std::string b(text);
  for (char& c : b) {
    if (c == '-') c = '+';
    else if (c == '_') c = '/';
    else if (c == '+' || c == '/' || c == '=') return std::nullopt;
  }
  while (b.size() % 4 != 0) b.push_back('=');
  return base64_decode(b);
}

std::optional<std::uint64_t> parse_nc(std::string_view nc) {
  if (nc.size() != 8) return std::nullopt;
  std::uint64_t v = 0;
  for (char c : nc) {
    int d = -1;
    if (c >= '0' && c <= '9') d = c - '0';
    if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
    if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
    if (d < 0) return std::nullopt;
    v = v * 16 + static_cast<std::uint64_t>(d);
  }
  return v;
}

// Reads the comma-separated `name=value` parameters after the scheme into
// the strings `fields` names (names matched without case); others are
// skipped. A parameter given twice or a malformed one is Errc::syntax.
Status read_digest_params(ParamReader& r, std::span<const std::pair<std::string_view, std::string*>> fields) {
  std::uint32_t seen = 0;
  bool first = true;
  while (!r.done()) {
    if (!first && !r.take(',')) return fail(Errc::syntax, "Digest parameters must be separated by commas");
    first = false;
    if (r.done()) break;  // a trailing comma
    r.skip_space();
    std::string_view name = r.token();
    if (name.empty() || !r.take('=')) return fail(Errc::syntax, "malformed Digest parameter");
    auto v = r.value();
    if (!v) return fail(Errc::syntax, "malformed Digest parameter value");
    for (std::size_t i = 0; i < fields.size(); ++i) {
      if (!ascii_iequal(name, fields[i].first)) continue;
      if (seen & (1u << i)) return fail(Errc::syntax, "a Digest parameter given twice");
      seen |= 1u << i;
      *fields[i].second = std::move(*v);
    }
  }
  return {};
}

}  // namespace

std::optional<DigestAlgorithm> parse_digest_algorithm(std::string_view name) {
  if (name.empty() || ascii_iequal(name, "MD5")) return DigestAlgorithm::md5;
  if (ascii_iequal(name, "SHA-256")) return DigestAlgorithm::sha256;
  return std::nullopt;
}

std::string_view digest_algorithm_name(DigestAlgorithm algorithm) {
  return algorithm == DigestAlgorithm::sha256 ? "SHA-256" : "MD5";
}

Result<DigestCredentials> parse_digest_credentials(std::string_view value) {
  if (value.size() > kMaxDigestHeader) return fail(Errc::limit, "Digest credentials too long");
  ParamReader r(value);
  r.skip_space();
  if (!ascii_iequal(r.token(), "Digest")) return fail(Errc::syntax, "not Digest credentials");
  DigestCredentials c;
  const std::pair<std::string_view, std::string*> fields[] = {
      {"username", &c.username}, {"realm", &c.realm},   {"nonce", &c.nonce},       {"uri", &c.uri},
      {"response", &c.response}, {"algorithm", &c.algorithm}, {"cnonce", &c.cnonce}, {"opaque", &c.opaque},
      {"qop", &c.qop},           {"nc", &c.nc},
  };
  if (auto read = read_digest_params(r, fields); !read) return read.error();
  if (c.username.empty() || c.realm.empty() || c.nonce.empty() || c.uri.empty() || c.response.empty()) {
    return fail(Errc::syntax, "Digest credentials lack username, realm, nonce, uri or response");
  }
  if (!c.qop.empty() && (c.cnonce.empty() || c.nc.empty())) {
    return fail(Errc::syntax, "Digest qop without cnonce and nc");
  }
  return c;
}

Result<DigestChallenge> parse_digest_challenge(std::string_view value) {
  if (value.size() > kMaxDigestHeader) return fail(Errc::limit, "Digest challenge too long");
  ParamReader r(value);
  r.skip_space();
  if (!ascii_iequal(r.token(), "Digest")) return fail(Errc::syntax, "not a Digest challenge");
  DigestChallenge c;
  std::string stale;
  const std::pair<std::string_view, std::string*> fields[] = {
      {"realm", &c.realm}, {"nonce", &c.nonce}, {"opaque", &c.opaque},
      {"algorithm", &c.algorithm}, {"qop", &c.qop}, {"stale", &stale},
  };
  if (auto read = read_digest_params(r, fields); !read) return read.error();
  if (c.realm.empty() || c.nonce.empty()) return fail(Errc::syntax, "Digest challenge lacks realm or nonce");
  c.stale = ascii_iequal(stale, "true");
  return c;
}

Result<std::string> digest_authorization(const DigestChallenge& challenge, std::string_view username,
                                         std::string_view password, std::string_view method, std::string_view uri,
                                         std::string_view cnonce) {
  auto algorithm = parse_digest_algorithm(challenge.algorithm);
  if (!algorithm) return fail(Errc::invalid, "unsupported Digest algorithm " + challenge.algorithm);
  // qop: "auth" when offered among others; none when the server names none.
  bool auth = false;
  std::string_view offered = challenge.qop;
  while (!offered.empty()) {
    const auto comma = offered.find(',');
    std::string_view one = offered.substr(0, comma);
    while (!one.empty() && is_space(one.front())) one.remove_prefix(1);
    while (!one.empty() && is_space(one.back())) one.remove_suffix(1);
    if (ascii_iequal(one, "auth")) auth = true;
    offered = comma == std::string_view::npos ? std::string_view() : offered.substr(comma + 1);
  }
  if (!challenge.qop.empty() && !auth) return fail(Errc::invalid, "the server offers only qop auth-int");
  for (std::string_view text : {username, cnonce, uri, std::string_view(challenge.realm), std::string_view(challenge.nonce),
                                std::string_view(challenge.opaque)}) {
    for (char c : text) {
      if (c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
        return fail(Errc::invalid, "a Digest value that cannot be quoted");
      }
    }
  }
  DigestChallengeResponse r{std::string(method), std::string(uri), challenge.nonce,
                            auth ? std::string(cnonce) : std::string(), auth ? "00000001" : "", auth ? "auth" : "", ""};
  auto response = digest_response(*algorithm, digest_ha1(*algorithm, username, challenge.realm, password), r);
  if (!response) return response.error();
  std::string out = "Digest username=\"" + std::string(username) + "\", realm=\"" + challenge.realm + "\", nonce=\"" +
                    challenge.nonce + "\", uri=\"" + std::string(uri) + "\", response=\"" + *response +
                    "\", algorithm=" + std::string(digest_algorithm_name(*algorithm));
  if (!challenge.opaque.empty()) out += ", opaque=\"" + challenge.opaque + "\"";
  if (auth) out += ", qop=auth, nc=00000001, cnonce=\"" + std::string(cnonce) + "\"";
  return out;
}

std::string digest_challenge(std::string_view realm, std::string_view nonce, DigestAlgorithm algorithm, bool stale) {
  std::string out = "Digest realm=\"";
  out += realm;
  out += "\", nonce=\"";
  out += nonce;
  out += "\", algorithm=";
  out += digest_algorithm_name(algorithm);
  out += ", qop=\"auth\"";
  if (stale) out += ", stale=true";
  return out;
}

DigestNonces::DigestNonces(std::chrono::seconds lifetime, std::size_t max_tracked, std::string key)
    : lifetime_(lifetime), max_tracked_(max_tracked == 0 ? 1 : max_tracked), key_(std::move(key)) {}

std::string DigestNonces::make(std::string_view realm, std::chrono::seconds now) {
  std::string raw = time_bytes(now.count()) + random_bytes(kRandomBytes);
  std::string signed_part = raw;
  signed_part += realm;
  raw += hmac_sha256(key_, signed_part).substr(0, kMacBytes);
  return nonce_text(raw);
}

DigestNonces::Check DigestNonces::check(std::string_view nonce, std::string_view realm, std::string_view nc,
                                        std::chrono::seconds now) {
  auto raw = nonce_raw(nonce);
  if (!raw || raw->size() != kSignedBytes + kMacBytes) return Check::invalid;
  std::string signed_part = raw->substr(0, kSignedBytes);
  signed_part += realm;
  const std::string mac = hmac_sha256(key_, signed_part).substr(0, kMacBytes);
  if (CRYPTO_memcmp(mac.data(), raw->data() + kSignedBytes, kMacBytes) != 0) return Check::invalid;

  const std::int64_t made = time_of(std::string_view(*raw).substr(0, kTimeBytes));
  if (made > now.count()) return Check::invalid;  // not made by this clock
  if (now.count() - made > lifetime_.count() || made <= floor_) return Check::stale;

  std::uint64_t count = 0;  // without qop: one use
  if (!nc.empty()) {
    auto parsed = parse_nc(nc);
    if (!parsed || *parsed == 0) return Check::invalid;
    count = *parsed;
  }
  auto it = counts_.find(nonce);
  if (it != counts_.end()) {
    if (nc.empty() || count <= it->second.second) return Check::replayed;
    it->second.second = count;
    return Check::fresh;
  }
  // A nonce in use for the first time: forget expired ones, then, to make
  // room, the oldest (every nonce as old answers stale from now on).
  while (!by_time_.empty() && now.count() - by_time_.begin()->first > lifetime_.count()) forget_oldest();
  while (counts_.size() >= max_tracked_) {
    floor_ = std::max(floor_, by_time_.begin()->first);
    forget_oldest();
    if (made <= floor_) return Check::stale;
  }
  auto entry = counts_.emplace(std::string(nonce), std::make_pair(made, count)).first;
  by_time_.emplace(made, entry->first);
  return Check::fresh;
}

void DigestNonces::forget_oldest() {
  counts_.erase(counts_.find(by_time_.begin()->second));
  by_time_.erase(by_time_.begin());
}

}  // namespace parley::auth
