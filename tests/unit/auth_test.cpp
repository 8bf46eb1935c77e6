// parley_auth: RFC vectors (RFC 4648 base64, RFC 7677 SCRAM-SHA-256,
// RFC 7616 / RFC 2617 Digest, RFC 4616 PLAIN), malformed-message tables
// asserting the error code, and argon2id / randomness properties. The SCRAM
// and PLAIN tables seed tests/fuzz/corpus/{scram,sasl_plain}_fuzz/.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <set>
#include <string>
#include <string_view>

#include "auth/auth.h"
#include "auth/encoding.h"

namespace parley::auth {
namespace {

using namespace std::literals;

// --- base64 -----------------------------------------------------------

struct Base64Case {
  std::string_view bytes;
  std::string_view text;
};

// RFC 4648 section 10.
const Base64Case kBase64[] = {
    {"", ""},         {"f", "Zg=="},         {"fo", "Zm8="},         {"foo", "Zm9v"},
    {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"},
};

TEST(auth_base64, Rfc4648Vectors) {
  for (const auto& c : kBase64) {
    SCOPED_TRACE(std::string(c.text));
    EXPECT_EQ(base64_encode(c.bytes), c.text);
    const auto decoded = base64_decode(c.text);
    ASSERT_TRUE(decoded.has_value());
    EXPECT_EQ(*decoded, c.bytes);
  }
}

TEST(auth_base64, AllByteValuesRoundTrip) {
  std::string bytes;
  for (int i = 0; i < 256; ++i) bytes += static_cast<char>(i);
  for (std::size_t n = 0; n <= bytes.size(); n += 37) {
    const auto decoded = base64_decode(base64_encode(bytes.substr(0, n)));
    ASSERT_TRUE(decoded.has_value());
    EXPECT_EQ(*decoded, bytes.substr(0, n));
  }
}

TEST(auth_base64, StrictDecodeRejects) {
  const std::string_view kBad[] = {
      "Zg",        // no padding
      "Zg=",       // short
      "Zg=a",      // data after padding
      "Z===",      // three padding characters
      "====",      // padding only
      "Zh==",      // non-zero unused bits: a second spelling of "f"
      "Zm9=",      // same, one padding character
      "Zm9v!A==",  // character outside the alphabet
      "Zm9v Zg==", // space
      "Zg==Zg==",  // padding before the end
      "Zm9-",      // base64url alphabet
      "Zm9_",
      "Zm9v\n",
  };
  for (const auto text : kBad) {
    SCOPED_TRACE(std::string(text));
    EXPECT_FALSE(base64_decode(text).has_value());
  }
}

// --- SCRAM-SHA-256 ----------------------------------------------------

// RFC 7677 section 3.
constexpr std::string_view kRfcPassword = "pencil";
constexpr std::string_view kRfcServerNonce = "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
constexpr std::string_view kRfcSalt = "W22ZaJ0SNY7soEsUEjb6gQ==";
constexpr std::string_view kRfcClientFirst = "n,,n=user,r=rOprNGfwEbeRWgbNEkqO";
constexpr std::string_view kRfcServerFirst =
    "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
constexpr std::string_view kRfcClientFinal =
    "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
constexpr std::string_view kRfcServerFinal = "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";
constexpr std::string_view kRfcFullNonce = "rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";

const ScramKeys& rfc_keys() {
  static const ScramKeys keys = derive_scram(kRfcPassword, *base64_decode(kRfcSalt), 4096);
  return keys;
}

// A directory with one user, "user", whose password is "pencil".
ScramServer::Lookup rfc_lookup() {
  return [](std::string_view name) -> std::optional<ScramKeys> {
    if (name != "user") return std::nullopt;
    return rfc_keys();
  };
}

ScramServer rfc_server() { return ScramServer(rfc_lookup(), std::string(kRfcServerNonce)); }

TEST(auth_scram, DeriveKeepsSaltAndIterations) {
  const ScramKeys& keys = rfc_keys();
  EXPECT_EQ(base64_encode(keys.salt), kRfcSalt);
  EXPECT_EQ(keys.iterations, 4096u);
  EXPECT_EQ(keys.stored_key.size(), 32u);
  EXPECT_EQ(keys.server_key.size(), 32u);
}

TEST(auth_scram, DeriveRandomSaltAndMinimumIterations) {
  const ScramKeys a = derive_scram("pencil", "", 1);
  const ScramKeys b = derive_scram("pencil", "", 4096);
  EXPECT_EQ(a.salt.size(), 16u);
  EXPECT_NE(a.salt, b.salt);
  EXPECT_EQ(a.iterations, kScramMinIterations);
  EXPECT_NE(a.stored_key, b.stored_key);
}

TEST(auth_scram, Rfc7677Example) {
  ScramServer server = rfc_server();
  const auto server_first = server.first(kRfcClientFirst);
  ASSERT_TRUE(server_first.ok()) << server_first.error().detail;
  EXPECT_EQ(*server_first, kRfcServerFirst);
  EXPECT_EQ(server.username(), "user");
  EXPECT_EQ(server.authzid(), "");
  const auto server_final = server.final(kRfcClientFinal);
  ASSERT_TRUE(server_final.ok()) << server_final.error().detail;
  EXPECT_EQ(*server_final, kRfcServerFinal);
  // The exchange is over.
  EXPECT_EQ(server.final(kRfcClientFinal).code(), Errc::syntax);
}

// The client's side of RFC 5802 section 3, written independently of the
// server code: parse server-first, derive, prove.
std::string client_final_for(std::string_view password, std::string_view client_first_bare,
                             std::string_view server_first, std::string_view without_proof) {
  const std::size_t s = server_first.find(",s=");
  const std::size_t i = server_first.find(",i=");
  const std::string salt = *base64_decode(server_first.substr(s + 3, i - s - 3));
  const int iterations = std::stoi(std::string(server_first.substr(i + 3)));
  unsigned char salted[32];
  PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                    reinterpret_cast<const unsigned char*>(salt.data()), static_cast<int>(salt.size()), iterations,
                    EVP_sha256(), 32, salted);
  unsigned char client_key[32];
  unsigned int len = 0;
  HMAC(EVP_sha256(), salted, 32, reinterpret_cast<const unsigned char*>("Client Key"), 10, client_key, &len);
  unsigned char stored_key[32];
  EVP_Digest(client_key, 32, stored_key, &len, EVP_sha256(), nullptr);
  const std::string auth_message =
      std::string(client_first_bare) + "," + std::string(server_first) + "," + std::string(without_proof);
  unsigned char signature[32];
  HMAC(EVP_sha256(), stored_key, 32, reinterpret_cast<const unsigned char*>(auth_message.data()), auth_message.size(),
       signature, &len);
  std::string proof(32, '\0');
  for (int k = 0; k < 32; ++k) proof[k] = static_cast<char>(client_key[k] ^ signature[k]);
  return std::string(without_proof) + ",p=" + base64_encode(proof);
}

struct ScramDialog {
  std::string_view name;            // the stored user
  std::string_view client_first;
  std::string_view username;        // unescaped
  std::string_view authzid;
  std::string_view final_extension;  // "" or ",x=..."
};

// Valid exchanges: escapes, authzid, "y" flag, extensions (ignored).
const ScramDialog kDialogs[] = {
    {"user", "n,,n=user,r=abc", "user", "", ""},
    {"us,er=", "n,,n=us=2Cer=3D,r=abc", "us,er=", "", ""},
    {"user", "n,a=ad=3Dmin=2C,n=user,r=abc", "user", "ad=min,", ""},
    {"user", "y,,n=user,r=abc", "user", "", ""},
    {"user", "n,,n=user,r=abc,x=ext,Y=more", "user", "", ",x=final-ext"},
    {"j\xc3\xb6rg", "n,,n=j\xc3\xb6rg,r=!\"#$%&'()*+-./09:;<=>?@AZ[\\]^_`az{|}~", "j\xc3\xb6rg", "", ""},
};

TEST(auth_scram, ValidDialogs) {
  for (const auto& d : kDialogs) {
    SCOPED_TRACE(std::string(d.client_first));
    const ScramKeys keys = derive_scram("secret", "", 4096);
    const std::string name(d.name);
    ScramServer server([&](std::string_view user) -> std::optional<ScramKeys> {
      if (user != name) return std::nullopt;
      return keys;
    });
    const auto server_first = server.first(d.client_first);
    ASSERT_TRUE(server_first.ok()) << server_first.error().detail;
    EXPECT_EQ(server.username(), d.username);
    EXPECT_EQ(server.authzid(), d.authzid);
    const std::size_t header_end = d.client_first.find(',', 2);
    const std::string_view gs2 = d.client_first.substr(0, header_end + 1);
    const std::string_view bare = d.client_first.substr(header_end + 1);
    // The server's random nonce extends the client's.
    const std::string nonce = server_first->substr(2, server_first->find(',') - 2);
    const std::size_t r = bare.find(",r=") + 3;
    const std::string client_nonce(bare.substr(r, bare.find(',', r) - r));
    EXPECT_EQ(nonce.substr(0, client_nonce.size()), client_nonce);
    EXPECT_GT(nonce.size(), client_nonce.size());
    const std::string without_proof =
        "c=" + base64_encode(gs2) + ",r=" + nonce + std::string(d.final_extension);
    const auto server_final = server.final(client_final_for("secret", bare, *server_first, without_proof));
    ASSERT_TRUE(server_final.ok()) << server_final.error().detail;
    EXPECT_EQ(server_final->substr(0, 2), "v=");
  }
}

TEST(auth_scram, RandomServerNoncesDiffer) {
  ScramServer a(rfc_lookup());
  ScramServer b(rfc_lookup());
  const auto first_a = a.first(kRfcClientFirst);
  const auto first_b = b.first(kRfcClientFirst);
  ASSERT_TRUE(first_a.ok() && first_b.ok());
  EXPECT_NE(*first_a, *first_b);
}

struct ScramMalformed {
  std::string_view what;
  std::string message;
  Errc code;
};

const ScramMalformed kMalformedFirst[] = {
    {"empty", "", Errc::syntax},
    {"missing gs2 header", "n=user,r=rOprNGfwEbeRWgbNEkqO", Errc::syntax},
    {"unknown cbind flag", "x,,n=user,r=rOprNGfwEbeRWgbNEkqO", Errc::syntax},
    {"channel binding", "p=tls-unique,,n=user,r=rOprNGfwEbeRWgbNEkqO", Errc::syntax},
    {"channel binding, exporter", "p=tls-exporter,,n=user,r=rOprNGfwEbeRWgbNEkqO", Errc::syntax},
    {"gs2 header only", "n,,", Errc::syntax},
    {"unterminated gs2 header", "n,a=user", Errc::syntax},
    {"empty authzid", "n,a=,n=user,r=rOprNGfwEbeRWgbNEkqO", Errc::syntax},
    {"authzid without a=", "n,z=x,n=user,r=rOprNGfwEbeRWgbNEkqO", Errc::syntax},
    {"bad authzid escape", "n,a=x=41,n=user,r=rOprNGfwEbeRWgbNEkqO", Errc::syntax},
    {"m= extension", "n,,m=ext,n=user,r=rOprNGfwEbeRWgbNEkqO", Errc::syntax},
    {"bad saslname escape", "n,,n=us=2Ber,r=rOprNGfwEbeRWgbNEkqO", Errc::syntax},
    {"lowercase saslname escape", "n,,n=us=2cer,r=rOprNGfwEbeRWgbNEkqO", Errc::syntax},
    {"bare = in saslname", "n,,n=us=er,r=rOprNGfwEbeRWgbNEkqO", Errc::syntax},
    {"truncated escape", "n,,n=user=2,r=rOprNGfwEbeRWgbNEkqO", Errc::syntax},
    {"empty username", "n,,n=,r=rOprNGfwEbeRWgbNEkqO", Errc::syntax},
    {"username not UTF-8", "n,,n=us\xff,r=rOprNGfwEbeRWgbNEkqO", Errc::syntax},
    {"NUL in username", "n,,n=u\0ser,r=rOprNGfwEbeRWgbNEkqO"s, Errc::syntax},
    {"missing username", "n,,r=rOprNGfwEbeRWgbNEkqO", Errc::syntax},
    {"missing r=", "n,,n=user", Errc::syntax},
    {"r= not second", "n,,n=user,x=1,r=rOprNGfwEbeRWgbNEkqO", Errc::syntax},
    {"empty nonce", "n,,n=user,r=", Errc::syntax},
    {"control character in nonce", "n,,n=user,r=abc\x01", Errc::syntax},
    {"space in nonce", "n,,n=user,r=ab c", Errc::syntax},
    {"trailing comma", "n,,n=user,r=rOprNGfwEbeRWgbNEkqO,", Errc::syntax},
    {"bad extension name", "n,,n=user,r=rOprNGfwEbeRWgbNEkqO,1=x", Errc::syntax},
    {"empty extension value", "n,,n=user,r=rOprNGfwEbeRWgbNEkqO,x=", Errc::syntax},
    {"unknown user", "n,,n=nobody,r=rOprNGfwEbeRWgbNEkqO", Errc::not_found},
    {"too long", "n,,n=user,r=" + std::string(kScramMaxMessage, 'a'), Errc::limit},
};

TEST(auth_scram, MalformedClientFirst) {
  for (const auto& c : kMalformedFirst) {
    SCOPED_TRACE(std::string(c.what));
    ScramServer server = rfc_server();
    const auto reply = server.first(c.message);
    ASSERT_FALSE(reply.ok());
    EXPECT_EQ(reply.code(), c.code) << reply.error().detail;
    // After an error the exchange is over, even for a good final message.
    EXPECT_EQ(server.final(kRfcClientFinal).code(), Errc::syntax);
  }
}

#define RFC_NONCE "rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"
#define RFC_PROOF "dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="

const ScramMalformed kMalformedFinal[] = {
    {"empty", "", Errc::syntax},
    {"missing c=", "r=" RFC_NONCE ",p=" RFC_PROOF, Errc::syntax},
    {"c= not first", "r=" RFC_NONCE ",c=biws,p=" RFC_PROOF, Errc::syntax},
    {"c= mismatch (y,,)", "c=eSws,r=" RFC_NONCE ",p=" RFC_PROOF, Errc::syntax},
    {"c= with cbind data", "c=cD10bHMtdW5pcXVlLCxibGFo,r=" RFC_NONCE ",p=" RFC_PROOF, Errc::syntax},
    {"c= bad base64", "c=biw*,r=" RFC_NONCE ",p=" RFC_PROOF, Errc::syntax},
    {"c= unpadded", "c=bi,r=" RFC_NONCE ",p=" RFC_PROOF, Errc::syntax},
    {"missing r=", "c=biws,p=" RFC_PROOF, Errc::syntax},
    {"wrong nonce", "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k1,p=" RFC_PROOF, Errc::syntax},
    {"client nonce only", "c=biws,r=rOprNGfwEbeRWgbNEkqO,p=" RFC_PROOF, Errc::syntax},
    {"missing p=", "c=biws,r=" RFC_NONCE, Errc::syntax},
    {"missing p=, extension", "c=biws,r=" RFC_NONCE ",x=1", Errc::syntax},
    {"proof not last", "c=biws,r=" RFC_NONCE ",p=" RFC_PROOF ",x=1", Errc::syntax},
    {"proof twice", "c=biws,r=" RFC_NONCE ",p=" RFC_PROOF ",p=" RFC_PROOF, Errc::syntax},
    {"bad base64 proof", "c=biws,r=" RFC_NONCE ",p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7And!Q=", Errc::syntax},
    {"proof too short", "c=biws,r=" RFC_NONCE ",p=dHzbZapW", Errc::syntax},
    {"empty proof", "c=biws,r=" RFC_NONCE ",p=", Errc::syntax},
    {"bad extension", "c=biws,r=" RFC_NONCE ",=x,p=" RFC_PROOF, Errc::syntax},
    {"wrong proof", "c=biws,r=" RFC_NONCE ",p=eHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=", Errc::denied},
    {"unknown extension changes AuthMessage", "c=biws,r=" RFC_NONCE ",x=1,p=" RFC_PROOF, Errc::denied},
    {"too long", "c=biws,r=" RFC_NONCE ",x=" + std::string(kScramMaxMessage, 'a') + ",p=" RFC_PROOF, Errc::limit},
};

TEST(auth_scram, MalformedClientFinal) {
  for (const auto& c : kMalformedFinal) {
    SCOPED_TRACE(std::string(c.what));
    ScramServer server = rfc_server();
    ASSERT_TRUE(server.first(kRfcClientFirst).ok());
    const auto reply = server.final(c.message);
    ASSERT_FALSE(reply.ok());
    EXPECT_EQ(reply.code(), c.code) << reply.error().detail;
  }
}

TEST(auth_scram, FinalBeforeFirst) {
  ScramServer server = rfc_server();
  EXPECT_EQ(server.final(kRfcClientFinal).code(), Errc::syntax);
  // The exchange is over: a first() afterwards is refused too.
  EXPECT_EQ(server.first(kRfcClientFirst).code(), Errc::syntax);
}

TEST(auth_scram, FirstTwice) {
  ScramServer server = rfc_server();
  ASSERT_TRUE(server.first(kRfcClientFirst).ok());
  EXPECT_EQ(server.first(kRfcClientFirst).code(), Errc::syntax);
  EXPECT_EQ(server.final(kRfcClientFinal).code(), Errc::syntax);
}

TEST(auth_scram, WrongPasswordIsDenied) {
  ScramServer server = rfc_server();
  const auto server_first = server.first(kRfcClientFirst);
  ASSERT_TRUE(server_first.ok());
  const std::string final_message =
      client_final_for("pencil2", "n=user,r=rOprNGfwEbeRWgbNEkqO", *server_first, "c=biws,r=" RFC_NONCE);
  EXPECT_EQ(server.final(final_message).code(), Errc::denied);
}

TEST(auth_scram, TestClientMatchesRfc) {
  // The helper used above reproduces the RFC's client-final-message.
  EXPECT_EQ(client_final_for(kRfcPassword, "n=user,r=rOprNGfwEbeRWgbNEkqO", kRfcServerFirst, "c=biws,r=" RFC_NONCE),
            kRfcClientFinal);
  EXPECT_EQ(std::string_view(RFC_NONCE), kRfcFullNonce);
}

TEST(auth_scram, UnknownUserIsNotFound) {
  ScramServer server = rfc_server();
  const auto reply = server.first("n,,n=alice,r=abc");
  EXPECT_EQ(reply.code(), Errc::not_found);
  EXPECT_EQ(server.username(), "alice");
}

TEST(auth_scram, MalformedStoredKeysAreInvalid) {
  ScramKeys short_key = rfc_keys();
  short_key.stored_key.resize(31);
  ScramKeys no_salt = rfc_keys();
  no_salt.salt.clear();
  ScramKeys no_iterations = rfc_keys();
  no_iterations.iterations = 0;
  for (const ScramKeys& keys : {short_key, no_salt, no_iterations}) {
    ScramServer server([&](std::string_view) { return std::optional<ScramKeys>(keys); });
    EXPECT_EQ(server.first(kRfcClientFirst).code(), Errc::invalid);
  }
}

TEST(auth_scram, BadServerNonceIsInvalid) {
  ScramServer server(rfc_lookup(), "a,b");
  EXPECT_EQ(server.first(kRfcClientFirst).code(), Errc::invalid);
}

// --- PLAIN ------------------------------------------------------------

struct PlainValid {
  std::string message;
  PlainCredentials expected;
};

const PlainValid kPlainValid[] = {
    // RFC 4616 section 4.
    {"\0tim\0tanstaaftanstaaf"s, {"", "tim", "tanstaaftanstaaf"}},
    {"Ursel\0Kurt\0xipj3plmq"s, {"Ursel", "Kurt", "xipj3plmq"}},
    {"\0alice@example.com\0pass word with spaces"s, {"", "alice@example.com", "pass word with spaces"}},
    {"\0j\xc3\xb6rg\0p\xc3\xa4ss"s, {"", "j\xc3\xb6rg", "p\xc3\xa4ss"}},
    {"\0"s + std::string(255, 'u') + "\0"s + std::string(255, 'p'), {"", std::string(255, 'u'), std::string(255, 'p')}},
};

TEST(auth_plain, Valid) {
  for (const auto& c : kPlainValid) {
    SCOPED_TRACE(c.expected.authcid);
    const auto creds = parse_plain(c.message);
    ASSERT_TRUE(creds.ok()) << creds.error().detail;
    EXPECT_EQ(creds->authzid, c.expected.authzid);
    EXPECT_EQ(creds->authcid, c.expected.authcid);
    EXPECT_EQ(creds->password, c.expected.password);
  }
}

struct PlainMalformed {
  std::string_view what;
  std::string message;
};

const PlainMalformed kPlainMalformed[] = {
    {"empty", ""},
    {"no NUL", "timtanstaaf"},
    {"one NUL", "\0tim"s},
    {"empty authcid", "\0\0secret"s},
    {"empty password", "\0tim\0"s},
    {"only NULs", "\0\0"s},
    {"extra NUL", "\0tim\0pass\0word"s},
    {"authzid too long", std::string(256, 'z') + "\0tim\0pw"s},
    {"authcid too long", "\0"s + std::string(256, 'u') + "\0pw"s},
    {"password too long", "\0tim\0"s + std::string(256, 'p')},
    {"password not UTF-8", "\0tim\0\xff\xfe"s},
    {"authcid overlong UTF-8", "\0\xc0\xafx\0pw"s},
    {"authzid surrogate", "\xed\xa0\x80\0tim\0pw"s},
};

TEST(auth_plain, Malformed) {
  for (const auto& c : kPlainMalformed) {
    SCOPED_TRACE(std::string(c.what));
    const auto creds = parse_plain(c.message);
    ASSERT_FALSE(creds.ok());
    EXPECT_EQ(creds.code(), Errc::syntax);
  }
}

// --- Digest -----------------------------------------------------------

// RFC 7616 section 3.9.1.
DigestChallengeResponse rfc7616_request(std::string response) {
  return {.method = "GET",
          .uri = "/dir/index.html",
          .nonce = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
          .cnonce = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
          .nc = "00000001",
          .qop = "auth",
          .response = std::move(response)};
}

struct DigestCase {
  std::string_view what;
  DigestAlgorithm algorithm;
  std::string_view username, realm, password;
  DigestChallengeResponse request;
  std::string_view expected;
};

const DigestCase kDigest[] = {
    {"RFC 7616 3.9.1 MD5", DigestAlgorithm::md5, "Mufasa", "http-auth@example.org", "Circle of Life",
     rfc7616_request("8ca523f5e9506fed4657c9700eebdbec"), "8ca523f5e9506fed4657c9700eebdbec"},
    {"RFC 7616 3.9.1 SHA-256", DigestAlgorithm::sha256, "Mufasa", "http-auth@example.org", "Circle of Life",
     rfc7616_request("753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"),
     "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"},
    {"RFC 2617 3.5 MD5", DigestAlgorithm::md5, "Mufasa", "testrealm@host.com", "Circle Of Life",
     {.method = "GET",
      .uri = "/dir/index.html",
      .nonce = "dcd98b7102dd2f0e8b11d0f600bfb0c093",
      .cnonce = "0a4f113b",
      .nc = "00000001",
      .qop = "auth",
      .response = "6629fae49393a05397450978507c4ef1"},
     "6629fae49393a05397450978507c4ef1"},
    // Without qop (RFC 2069): H(HA1:nonce:HA2); computed independently.
    {"no qop, MD5", DigestAlgorithm::md5, "Mufasa", "testrealm@host.com", "Circle Of Life",
     {.method = "GET",
      .uri = "/dir/index.html",
      .nonce = "dcd98b7102dd2f0e8b11d0f600bfb0c093",
      .response = "670fd8c2df070c60b045671b8b24ff02"},
     "670fd8c2df070c60b045671b8b24ff02"},
    {"no qop, SHA-256", DigestAlgorithm::sha256, "Mufasa", "http-auth@example.org", "Circle of Life",
     {.method = "GET",
      .uri = "/dir/index.html",
      .nonce = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
      .response = "a1306b0595a6c7fe96c448631fb5cfbd5107bd1fe1da729d978dd7446b812363"},
     "a1306b0595a6c7fe96c448631fb5cfbd5107bd1fe1da729d978dd7446b812363"},
};

TEST(auth_digest, Vectors) {
  for (const auto& c : kDigest) {
    SCOPED_TRACE(std::string(c.what));
    const std::string ha1 = digest_ha1(c.algorithm, c.username, c.realm, c.password);
    const auto response = digest_response(c.algorithm, ha1, c.request);
    ASSERT_TRUE(response.ok()) << response.error().detail;
    EXPECT_EQ(*response, c.expected);
    EXPECT_TRUE(digest_verify(c.algorithm, ha1, c.request));
  }
}

TEST(auth_digest, Ha1) {
  EXPECT_EQ(digest_ha1(DigestAlgorithm::md5, "Mufasa", "http-auth@example.org", "Circle of Life"),
            "3d78807defe7de2157e2b0b6573a855f");
  EXPECT_EQ(digest_ha1(DigestAlgorithm::sha256, "Mufasa", "http-auth@example.org", "Circle of Life"),
            "7987c64c30e25f1b74be53f966b49b90f2808aa92faf9a00262392d7b4794232");
}

TEST(auth_digest, VerifyRejects) {
  const std::string ha1 = digest_ha1(DigestAlgorithm::md5, "Mufasa", "http-auth@example.org", "Circle of Life");
  // Uppercase hex is the same number.
  EXPECT_TRUE(digest_verify(DigestAlgorithm::md5, ha1, rfc7616_request("8CA523F5E9506FED4657C9700EEBDBEC")));
  EXPECT_FALSE(digest_verify(DigestAlgorithm::md5, ha1, rfc7616_request("8ca523f5e9506fed4657c9700eebdbed")));
  EXPECT_FALSE(digest_verify(DigestAlgorithm::md5, ha1, rfc7616_request("8ca523f5e9506fed4657c9700eebdbe")));
  EXPECT_FALSE(digest_verify(DigestAlgorithm::md5, ha1, rfc7616_request("")));
  // The right response for the other algorithm.
  EXPECT_FALSE(digest_verify(DigestAlgorithm::sha256, ha1, rfc7616_request("8ca523f5e9506fed4657c9700eebdbec")));
  // A different password.
  const std::string other = digest_ha1(DigestAlgorithm::md5, "Mufasa", "http-auth@example.org", "circle of life");
  EXPECT_FALSE(digest_verify(DigestAlgorithm::md5, other, rfc7616_request("8ca523f5e9506fed4657c9700eebdbec")));
  // A changed method or uri.
  auto request = rfc7616_request("8ca523f5e9506fed4657c9700eebdbec");
  request.method = "POST";
  EXPECT_FALSE(digest_verify(DigestAlgorithm::md5, ha1, request));
}

TEST(auth_digest, UnsupportedOrMalformed) {
  const std::string ha1 = digest_ha1(DigestAlgorithm::md5, "Mufasa", "http-auth@example.org", "Circle of Life");
  struct Case {
    std::string_view what;
    std::string_view qop, nc, cnonce;
    Errc code;
  };
  const Case kCases[] = {
      {"auth-int", "auth-int", "00000001", "abc", Errc::invalid},
      {"unknown qop", "token", "00000001", "abc", Errc::invalid},
      {"qop list", "auth,auth-int", "00000001", "abc", Errc::invalid},
      {"short nc", "auth", "0001", "abc", Errc::syntax},
      {"nc not hex", "auth", "0000000g", "abc", Errc::syntax},
      {"empty cnonce", "auth", "00000001", "", Errc::syntax},
  };
  for (const auto& c : kCases) {
    SCOPED_TRACE(std::string(c.what));
    auto request = rfc7616_request("8ca523f5e9506fed4657c9700eebdbec");
    request.qop = c.qop;
    request.nc = c.nc;
    request.cnonce = c.cnonce;
    EXPECT_EQ(digest_response(DigestAlgorithm::md5, ha1, request).code(), c.code);
    EXPECT_FALSE(digest_verify(DigestAlgorithm::md5, ha1, request));
  }
}

// --- argon2id ---------------------------------------------------------

constexpr Argon2Params kFast{.memory_kib = 1024, .iterations = 1, .parallelism = 1};

TEST(auth_argon2, HashAndVerify) {
  const auto phc = hash_password("correct horse", kFast);
  ASSERT_TRUE(phc.ok()) << phc.error().detail;
  EXPECT_EQ(phc->rfind("$argon2id$v=19$m=1024,t=1,p=1$", 0), 0u) << *phc;
  EXPECT_TRUE(verify_password("correct horse", *phc));
  EXPECT_FALSE(verify_password("correct horse ", *phc));
  EXPECT_FALSE(verify_password("", *phc));
  // A fresh salt each time.
  const auto again = hash_password("correct horse", kFast);
  ASSERT_TRUE(again.ok());
  EXPECT_NE(*phc, *again);
  EXPECT_TRUE(verify_password("correct horse", *again));
}

TEST(auth_argon2, EmptyAndBinaryPasswords) {
  for (const std::string& password : {""s, "a\0b"s, "\xff\xfe"s}) {
    const auto phc = hash_password(password, kFast);
    ASSERT_TRUE(phc.ok()) << phc.error().detail;
    EXPECT_TRUE(verify_password(password, *phc));
  }
  const auto phc = hash_password("a\0b"s, kFast);
  ASSERT_TRUE(phc.ok());
  EXPECT_FALSE(verify_password("a", *phc));
}

TEST(auth_argon2, Defaults) {
  const auto phc = hash_password("pencil", Argon2Params{});
  ASSERT_TRUE(phc.ok()) << phc.error().detail;
  EXPECT_EQ(phc->rfind("$argon2id$v=19$m=65536,t=3,p=1$", 0), 0u) << *phc;
  EXPECT_TRUE(verify_password("pencil", *phc));
}

TEST(auth_argon2, RefusedParameters) {
  EXPECT_EQ(hash_password("x", {.memory_kib = 1, .iterations = 1, .parallelism = 1}).code(), Errc::invalid);
  EXPECT_EQ(hash_password("x", {.memory_kib = 1024, .iterations = 0, .parallelism = 1}).code(), Errc::invalid);
  EXPECT_EQ(hash_password("x", {.memory_kib = 1024, .iterations = 1, .parallelism = 0}).code(), Errc::invalid);
}

TEST(auth_argon2, MalformedPhcNeverVerifies) {
  const auto good = hash_password("pw", kFast);
  ASSERT_TRUE(good.ok());
  const std::string& g = *good;
  const std::size_t last_dollar = g.rfind('$');
  std::string flipped = g;
  flipped.back() = flipped.back() == 'A' ? 'B' : 'A';
  std::string bad_salt = g;
  bad_salt[g.rfind('$', last_dollar - 1) + 1] = '!';
  const std::string kBad[] = {
      "",
      "pw",
      "$argon2id$",
      g.substr(0, last_dollar),                          // no hash
      g.substr(0, last_dollar + 1),                      // empty hash
      g.substr(0, g.size() - 4),                         // truncated hash
      flipped,                                           // different hash
      bad_salt,                                          // salt not base64
      "$argon2i" + g.substr(9),                          // argon2i
      "$argon2d" + g.substr(9),                          // argon2d
      g + "$",                                           // trailing field
      g + "\0"s,                                         // NUL
      " " + g,                                           // leading space
      "$argon2id$v=16$m=1024,t=1,p=1" + g.substr(g.rfind('$', last_dollar - 1)),        // version 1.0
      "$argon2id$v=19$m=4294967295,t=1,p=1" + g.substr(g.rfind('$', last_dollar - 1)),  // memory over our bound
      "$argon2id$v=19$m=1024,t=1000,p=1" + g.substr(g.rfind('$', last_dollar - 1)),     // iterations over bound
      "$argon2id$v=19$m=1024,t=1,p=255" + g.substr(g.rfind('$', last_dollar - 1)),      // lanes over bound
      "$argon2id$v=19$m=,t=1,p=1" + g.substr(g.rfind('$', last_dollar - 1)),
      "$argon2id$v=19$t=1,m=1024,p=1" + g.substr(g.rfind('$', last_dollar - 1)),
      g + std::string(600, 'A'),
  };
  for (const auto& phc : kBad) {
    SCOPED_TRACE(phc);
    EXPECT_FALSE(verify_password("pw", phc));
  }
}

// --- randomness -------------------------------------------------------

TEST(auth_random, Bytes) {
  EXPECT_EQ(random_bytes(0).size(), 0u);
  EXPECT_EQ(random_bytes(1000).size(), 1000u);
  EXPECT_NE(random_bytes(32), random_bytes(32));
}

TEST(auth_random, PasswordAlphabetAndLength) {
  constexpr std::string_view kAlphabet = "23456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
  EXPECT_EQ(random_password().size(), 20u);
  EXPECT_EQ(random_password(0), "");
  EXPECT_EQ(random_password(1).size(), 1u);
  EXPECT_EQ(random_password(100).size(), 100u);
  EXPECT_NE(random_password(), random_password());
  // Every symbol shows up, and nothing else; (56/57)^11400 makes a missing
  // symbol practically impossible.
  std::set<char> seen;
  for (int i = 0; i < 114; ++i) {
    for (const char c : random_password(100)) {
      ASSERT_NE(kAlphabet.find(c), std::string_view::npos) << c;
      seen.insert(c);
    }
  }
  EXPECT_EQ(seen.size(), kAlphabet.size());
  for (const char c : std::string_view("0O1lI")) EXPECT_EQ(seen.count(c), 0u);
}

}  // namespace
}  // namespace parley::auth
