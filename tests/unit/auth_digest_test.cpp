// Digest on the wire (auth.h): Authorization headers as phones and
// browsers send them, malformed ones, challenges, and DigestNonces with
// an injected clock.
#include <gtest/gtest.h>

#include "auth/auth.h"

namespace parley::auth {
namespace {

using namespace std::chrono_literals;
using Check = DigestNonces::Check;

TEST(DigestCredentials, AsPhonesSendThem) {
  // A desk phone: MD5, qop, the digest uri as sip:HOST:PORT.
  auto c = parse_digest_credentials(
      "Digest username=\"demo\",realm=\"example.test\",nonce=\"abc\",uri=\"sip:127.0.0.1:5060\","
      "response=\"6629fae49393a05397450978507c4ef1\",algorithm=MD5,cnonce=\"0a4f113b\",qop=auth,nc=00000001");
  ASSERT_TRUE(c.ok()) << c.error().detail;
  EXPECT_EQ(c->username, "demo");
  EXPECT_EQ(c->realm, "example.test");
  EXPECT_EQ(c->uri, "sip:127.0.0.1:5060");
  EXPECT_EQ(c->algorithm, "MD5");
  EXPECT_EQ(c->qop, "auth");
  EXPECT_EQ(c->nc, "00000001");
  EXPECT_EQ(c->cnonce, "0a4f113b");
  // Spaces around '=' and ',', any case for names, escapes, unknown
  // parameters ignored, no qop (RFC 2069 style).
  auto d = parse_digest_credentials(
      "digest  USERNAME = \"de\\\"mo@example.test\" , Realm=example.test, nonce=\"n\", uri=\"sip:example.test\", "
      "response=\"r\", userhash=false, opaque=\"o\"");
  ASSERT_TRUE(d.ok()) << d.error().detail;
  EXPECT_EQ(d->username, "de\"mo@example.test");
  EXPECT_EQ(d->realm, "example.test");
  EXPECT_EQ(d->opaque, "o");
  EXPECT_TRUE(d->qop.empty());
}

TEST(DigestCredentials, Malformed) {
  const std::string full = "username=\"u\", realm=\"r\", nonce=\"n\", uri=\"x\", response=\"p\"";
  const std::pair<std::string, Errc> cases[] = {
      {"", Errc::syntax},
      {"Basic dTpw", Errc::syntax},
      {"Digest", Errc::syntax},
      {"Digest " + full + ", username=\"v\"", Errc::syntax},                 // twice
      {"Digest realm=\"r\", nonce=\"n\", uri=\"x\", response=\"p\"", Errc::syntax},  // no username
      {"Digest " + full + ", qop=auth", Errc::syntax},                        // qop without cnonce and nc
      {"Digest username=\"u, realm=\"r\"", Errc::syntax},                     // unterminated quote
      {"Digest username=\"u\" realm=\"r\"", Errc::syntax},                    // no comma
      {"Digest username=", Errc::syntax},
      {"Digest =x", Errc::syntax},
      {std::string("Digest username=\"a") + '\0' + "b\", realm=\"r\", nonce=\"n\", uri=\"x\", response=\"p\"",
       Errc::syntax},
      {"Digest " + full + ", x=\"" + std::string(5000, 'a') + "\"", Errc::limit},
  };
  for (const auto& [text, code] : cases) {
    auto c = parse_digest_credentials(text);
    ASSERT_FALSE(c.ok()) << text;
    EXPECT_EQ(c.code(), code) << text;
  }
  EXPECT_TRUE(parse_digest_credentials("Digest " + full + ",").ok());  // a trailing comma
}

TEST(DigestCredentials, Algorithms) {
  EXPECT_EQ(parse_digest_algorithm(""), DigestAlgorithm::md5);
  EXPECT_EQ(parse_digest_algorithm("md5"), DigestAlgorithm::md5);
  EXPECT_EQ(parse_digest_algorithm("SHA-256"), DigestAlgorithm::sha256);
  EXPECT_FALSE(parse_digest_algorithm("MD5-sess"));
  EXPECT_FALSE(parse_digest_algorithm("SHA-512-256"));
  EXPECT_EQ(digest_challenge("example.test", "n1", DigestAlgorithm::sha256, true),
            "Digest realm=\"example.test\", nonce=\"n1\", algorithm=SHA-256, qop=\"auth\", stale=true");
  EXPECT_EQ(digest_challenge("example.test", "n1", DigestAlgorithm::md5, false),
            "Digest realm=\"example.test\", nonce=\"n1\", algorithm=MD5, qop=\"auth\"");
}

// The client's side (sipd registering to a trunk): challenges as servers
// send them, and the answer a server of ours accepts.
TEST(DigestChallenge, ParsedAndAnswered) {
  auto c = parse_digest_challenge(
      "Digest realm=\"provider.test\", nonce=\"4f3a\", opaque=\"op\", algorithm=MD5, qop=\"auth,auth-int\", stale=TRUE");
  ASSERT_TRUE(c.ok()) << c.error().detail;
  EXPECT_EQ(c->realm, "provider.test");
  EXPECT_EQ(c->nonce, "4f3a");
  EXPECT_EQ(c->opaque, "op");
  EXPECT_TRUE(c->stale);
  auto header = digest_authorization(*c, "4930123", "secret", "REGISTER", "sip:provider.test", "c0ffee");
  ASSERT_TRUE(header.ok()) << header.error().detail;
  auto back = parse_digest_credentials(*header);
  ASSERT_TRUE(back.ok()) << *header;
  EXPECT_EQ(back->username, "4930123");
  EXPECT_EQ(back->opaque, "op");
  EXPECT_EQ(back->qop, "auth");
  DigestChallengeResponse r{"REGISTER", back->uri, back->nonce, back->cnonce, back->nc, back->qop, back->response};
  EXPECT_TRUE(digest_verify(DigestAlgorithm::md5, digest_ha1(DigestAlgorithm::md5, "4930123", "provider.test", "secret"), r));
  EXPECT_FALSE(digest_verify(DigestAlgorithm::md5, digest_ha1(DigestAlgorithm::md5, "4930123", "provider.test", "wrong"), r));
  EXPECT_EQ(header->find("secret"), std::string::npos);

  // SHA-256 without qop (RFC 2069 style): no cnonce or nc in the answer.
  auto plain = parse_digest_challenge("digest REALM=provider.test,nonce=n2,algorithm=SHA-256");
  ASSERT_TRUE(plain.ok()) << plain.error().detail;
  EXPECT_FALSE(plain->stale);
  auto answer = digest_authorization(*plain, "u", "p", "INVITE", "sip:1@provider.test", "c");
  ASSERT_TRUE(answer.ok());
  auto parsed = parse_digest_credentials(*answer);
  ASSERT_TRUE(parsed.ok()) << *answer;
  EXPECT_EQ(parsed->algorithm, "SHA-256");
  EXPECT_TRUE(parsed->qop.empty());
  EXPECT_TRUE(parsed->cnonce.empty());
  DigestChallengeResponse r2{"INVITE", parsed->uri, parsed->nonce, "", "", "", parsed->response};
  EXPECT_TRUE(digest_verify(DigestAlgorithm::sha256, digest_ha1(DigestAlgorithm::sha256, "u", "provider.test", "p"), r2));
}

TEST(DigestChallenge, MalformedOrUnanswerable) {
  const std::pair<std::string, Errc> cases[] = {
      {"", Errc::syntax},
      {"Basic realm=\"x\"", Errc::syntax},
      {"Digest", Errc::syntax},
      {"Digest nonce=\"n\"", Errc::syntax},                                  // no realm
      {"Digest realm=\"r\"", Errc::syntax},                                  // no nonce
      {"Digest realm=\"r\", nonce=\"n\", realm=\"s\"", Errc::syntax},         // twice
      {"Digest realm=\"r, nonce=\"n\"", Errc::syntax},                        // unterminated quote
      {"Digest realm=\"r\" nonce=\"n\"", Errc::syntax},                        // no comma
      {"Digest realm=", Errc::syntax},
      {"Digest realm=\"r\", nonce=\"n\", x=\"" + std::string(5000, 'a') + "\"", Errc::limit},
  };
  for (const auto& [text, code] : cases) {
    auto c = parse_digest_challenge(text);
    ASSERT_FALSE(c.ok()) << text;
    EXPECT_EQ(c.code(), code) << text;
  }
  auto c = parse_digest_challenge("Digest realm=\"r\", nonce=\"n\", algorithm=MD5-sess");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(digest_authorization(*c, "u", "p", "INVITE", "sip:x", "c").code(), Errc::invalid);
  auto int_only = parse_digest_challenge("Digest realm=\"r\", nonce=\"n\", qop=\"auth-int\"");
  ASSERT_TRUE(int_only.ok());
  EXPECT_EQ(digest_authorization(*int_only, "u", "p", "INVITE", "sip:x", "c").code(), Errc::invalid);
  auto fine = parse_digest_challenge("Digest realm=\"r\", nonce=\"n\", qop=auth");
  ASSERT_TRUE(fine.ok());
  EXPECT_EQ(digest_authorization(*fine, "u\"", "p", "INVITE", "sip:x", "c").code(), Errc::invalid);
}

TEST(DigestNonces, FreshStaleInvalid) {
  DigestNonces nonces(300s, 100, "key");
  const std::string n = nonces.make("example.test", 1000s);
  EXPECT_EQ(n.find_first_of("\"\\+/= "), std::string::npos) << n;  // a token, safe in quotes
  EXPECT_EQ(nonces.check(n, "example.test", "00000001", 1000s), Check::fresh);
  EXPECT_EQ(nonces.check(n, "other.test", "00000002", 1000s), Check::invalid);
  EXPECT_EQ(nonces.check(n, "example.test", "00000002", 1300s), Check::fresh);
  EXPECT_EQ(nonces.check(n, "example.test", "00000003", 1301s), Check::stale);
  // Made by another key, altered, or from the future.
  DigestNonces elsewhere(300s, 100, "other key");
  EXPECT_EQ(nonces.check(elsewhere.make("example.test", 1000s), "example.test", "00000001", 1000s), Check::invalid);
  std::string altered = n;
  altered[3] = altered[3] == 'A' ? 'B' : 'A';
  EXPECT_EQ(nonces.check(altered, "example.test", "00000009", 1000s), Check::invalid);
  EXPECT_EQ(nonces.check(nonces.make("example.test", 2000s), "example.test", "00000001", 1000s), Check::invalid);
  for (std::string_view junk : {"", "x", "!!!!", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "a=b="}) {
    EXPECT_EQ(nonces.check(junk, "example.test", "00000001", 1000s), Check::invalid) << junk;
  }
}

TEST(DigestNonces, CountsMustGrow) {
  DigestNonces nonces(300s, 100, "key");
  const std::string n = nonces.make("r", 10s);
  EXPECT_EQ(nonces.check(n, "r", "00000001", 10s), Check::fresh);
  EXPECT_EQ(nonces.check(n, "r", "00000001", 11s), Check::replayed);
  EXPECT_EQ(nonces.check(n, "r", "0000000A", 11s), Check::fresh);
  EXPECT_EQ(nonces.check(n, "r", "00000005", 11s), Check::replayed);
  EXPECT_EQ(nonces.check(n, "r", "0000000g", 11s), Check::invalid);
  EXPECT_EQ(nonces.check(n, "r", "1", 11s), Check::invalid);
  EXPECT_EQ(nonces.check(n, "r", "00000000", 11s), Check::invalid);
  // Without qop a nonce is good once. Nonces made in the same second differ.
  const std::string once = nonces.make("r", 10s);
  EXPECT_NE(once, n);
  EXPECT_EQ(nonces.check(once, "r", "", 10s), Check::fresh);
  EXPECT_EQ(nonces.check(once, "r", "", 10s), Check::replayed);
}

TEST(DigestNonces, ForgettingNeverLetsAReplayThrough) {
  DigestNonces nonces(300s, 3, "key");
  std::vector<std::string> made;
  for (int i = 0; i < 5; ++i) made.push_back(nonces.make("r", std::chrono::seconds(100 + i)));
  for (int i = 0; i < 3; ++i) EXPECT_EQ(nonces.check(made[i], "r", "00000001", 110s), Check::fresh);
  EXPECT_EQ(nonces.tracked(), 3u);
  // A fourth nonce in use: the oldest is forgotten, and answers stale
  // (not fresh) when it comes back with its old count.
  EXPECT_EQ(nonces.check(made[3], "r", "00000001", 110s), Check::fresh);
  EXPECT_EQ(nonces.tracked(), 3u);
  EXPECT_EQ(nonces.check(made[0], "r", "00000001", 110s), Check::stale);
  EXPECT_EQ(nonces.check(made[0], "r", "00000002", 110s), Check::stale);
  // Expired ones make room first.
  const std::string late = nonces.make("r", 500s);
  EXPECT_EQ(nonces.check(late, "r", "00000001", 500s), Check::fresh);
  EXPECT_EQ(nonces.tracked(), 1u);
}

}  // namespace
}  // namespace parley::auth
