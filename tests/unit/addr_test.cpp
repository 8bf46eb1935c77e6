// parse_mailbox / normalize / normalize_domain / to_string: table-driven
// valid and malformed mailboxes. The same tables seed
// tests/fuzz/corpus/address_fuzz/. (parse_mailbox takes a complete
// mailbox, not a stream, so there is no byte-at-a-time feed.)
#include <gtest/gtest.h>

#include <string>

#include "addr/addr.h"

namespace parley::addr {
namespace {

using namespace std::string_literals;

struct Valid {
  std::string input;
  bool utf8;
  std::string local;   // Address::local
  std::string domain;  // Address::domain
  bool quoted;
  bool literal;
  std::string text;    // to_string
  std::string key;     // normalize(input).key()
  std::string detail;  // normalize(input).detail
};

const std::string k64(64, 'a');
const std::string k63(63, 'b');

const Valid kValid[] = {
    {"alice@example.com", true, "alice", "example.com", false, false, "alice@example.com", "alice@example.com", ""},
    {"bob@example.org", false, "bob", "example.org", false, false, "bob@example.org", "bob@example.org", ""},
    {"first.last@mail.example.com", true, "first.last", "mail.example.com", false, false,
     "first.last@mail.example.com", "first.last@mail.example.com", ""},
    {"x@a", true, "x", "a", false, false, "x@a", "x@a", ""},
    {"!#$%&'*+-/=?^_`{|}~@example.com", false, "!#$%&'*+-/=?^_`{|}~", "example.com", false, false,
     "!#$%&'*+-/=?^_`{|}~@example.com", "!#$%&'*@example.com", "-/=?^_`{|}~"},
    // Quoted strings: quotes go, quoted-pairs resolve, to_string quotes
    // again only when it must.
    {R"("john doe"@example.com)", true, "john doe", "example.com", true, false, R"("john doe"@example.com)",
     "john doe@example.com", ""},
    {R"("a\"b\\c"@example.com)", true, R"(a"b\c)", "example.com", true, false, R"("a\"b\\c"@example.com)",
     R"(a"b\c@example.com)", ""},
    {R"("\a"@example.com)", true, "a", "example.com", true, false, "a@example.com", "a@example.com", ""},
    {R"("a@b"@example.com)", true, "a@b", "example.com", true, false, R"("a@b"@example.com)", "a@b@example.com", ""},
    {R"(".dot"@example.com)", true, ".dot", "example.com", true, false, R"(".dot"@example.com)",
     ".dot@example.com", ""},
    // Sub-addressing: the first separator splits, never a leading one.
    {"alice+lists@example.com", true, "alice+lists", "example.com", false, false, "alice+lists@example.com",
     "alice@example.com", "lists"},
    {"alice+a+b@example.com", true, "alice+a+b", "example.com", false, false, "alice+a+b@example.com",
     "alice@example.com", "a+b"},
    {"+x@example.com", true, "+x", "example.com", false, false, "+x@example.com", "+x@example.com", ""},
    // Case: local and domain lowercased in the stored form, kept as written.
    {"Alice@EXAMPLE.Com", true, "Alice", "EXAMPLE.Com", false, false, "Alice@EXAMPLE.Com", "alice@example.com", ""},
    {"user@example.com.", true, "user", "example.com.", false, false, "user@example.com.", "user@example.com", ""},
    {"user@1.2.3.4", true, "user", "1.2.3.4", false, false, "user@1.2.3.4", "user@1.2.3.4", ""},
    // RFC 6531: UTF-8 local parts keep their bytes (ASCII lowercased only);
    // IDN domains become A-labels.
    {"ÜSER@example.com", true, "ÜSER", "example.com", false, false, "ÜSER@example.com", "Üser@example.com", ""},
    {"δοκιμή@παράδειγμα.δοκιμή", true, "δοκιμή", "παράδειγμα.δοκιμή", false, false, "δοκιμή@παράδειγμα.δοκιμή",
     "δοκιμή@xn--hxajbheg2az3al.xn--jxalpdlp", ""},
    {"\"日本 語\"@例え.テスト", true, "日本 語", "例え.テスト", true, false, "\"日本 語\"@例え.テスト",
     "日本 語@xn--r8jz45g.xn--zckzah", ""},
    {"user@Bücher.example", true, "user", "Bücher.example", false, false, "user@Bücher.example",
     "user@xn--bcher-kva.example", ""},
    {"user@xn--bcher-kva.example", false, "user", "xn--bcher-kva.example", false, false,
     "user@xn--bcher-kva.example", "user@xn--bcher-kva.example", ""},
    {"user@XN--BCHER-KVA.Example", false, "user", "XN--BCHER-KVA.Example", false, false,
     "user@XN--BCHER-KVA.Example", "user@xn--bcher-kva.example", ""},
    {"user@ａｂｃ.example", true, "user", "ａｂｃ.example", false, false, "user@ａｂｃ.example", "user@abc.example", ""},
    // Address literals: kept as written, lowercased in the stored form.
    {"user@[192.0.2.1]", false, "user", "[192.0.2.1]", false, true, "user@[192.0.2.1]", "user@[192.0.2.1]", ""},
    {"user@[IPv6:2001:DB8::1]", false, "user", "[IPv6:2001:DB8::1]", false, true, "user@[IPv6:2001:DB8::1]",
     "user@[ipv6:2001:db8::1]", ""},
    {"user@[IPv6:::ffff:192.0.2.1]", false, "user", "[IPv6:::ffff:192.0.2.1]", false, true,
     "user@[IPv6:::ffff:192.0.2.1]", "user@[ipv6:::ffff:192.0.2.1]", ""},
    // Limits, just inside.
    {k64 + "@" + k63 + ".example", false, k64, k63 + ".example", false, false, k64 + "@" + k63 + ".example",
     k64 + "@" + k63 + ".example", ""},
};

TEST(addr, ValidMailboxes) {
  for (const auto& c : kValid) {
    SCOPED_TRACE(c.input);
    const auto a = parse_mailbox(c.input, c.utf8);
    ASSERT_TRUE(a.ok()) << a.error().detail;
    EXPECT_EQ(a->local, c.local);
    EXPECT_EQ(a->domain, c.domain);
    EXPECT_EQ(a->quoted, c.quoted);
    EXPECT_EQ(a->literal, c.literal);
    EXPECT_EQ(to_string(*a), c.text);

    // The text form parses back to the same address.
    const auto again = parse_mailbox(to_string(*a), c.utf8);
    ASSERT_TRUE(again.ok()) << again.error().detail;
    EXPECT_EQ(again->local, a->local);
    EXPECT_EQ(again->domain, a->domain);

    // An ASCII-only mailbox is also fine with SMTPUTF8.
    if (!c.utf8) {
      EXPECT_TRUE(parse_mailbox(c.input, true).ok());
    }

    const auto n = normalize(c.input);
    ASSERT_TRUE(n.ok()) << n.error().detail;
    EXPECT_EQ(n->key(), c.key);
    EXPECT_EQ(n->detail, c.detail);
  }
}

struct Malformed {
  std::string input;
  bool utf8;
  Errc code;
  std::string detail;  // a substring of the error detail
};

const Malformed kMalformed[] = {
    {"", true, Errc::syntax, "empty address"},
    {"alice", true, Errc::syntax, "missing \"@\""},
    {"alice@", true, Errc::syntax, "empty domain"},
    {"@example.com", true, Errc::syntax, "empty local part"},
    {"a@b@example.com", true, Errc::syntax, "character '@'"},
    {"a b@example.com", true, Errc::syntax, "character 0x20 at offset 1"},
    // Dots.
    {".alice@example.com", true, Errc::syntax, "starts with '.'"},
    {"alice.@example.com", true, Errc::syntax, "ends with '.'"},
    {"al..ice@example.com", true, Errc::syntax, "'..'"},
    {"alice@example..com", true, Errc::syntax, "empty label"},
    {"alice@.example.com", true, Errc::syntax, "empty label"},
    {"alice@example.com..", true, Errc::syntax, "empty label"},
    {"alice@.", true, Errc::syntax, "empty domain"},
    // Labels.
    {"alice@-example.com", true, Errc::syntax, "starts or ends with '-'"},
    {"alice@example-.com", true, Errc::syntax, "starts or ends with '-'"},
    {"alice@exa_mple.com", true, Errc::syntax, "character '_'"},
    {"alice@" + std::string(64, 'b') + ".example", true, Errc::syntax, "over 63"},
    // Limits.
    {std::string(65, 'a') + "@example.com", true, Errc::limit, "local part is 65 octets"},
    {"\"" + std::string(63, 'a') + "\"@example.com", true, Errc::limit, "local part is over 64"},
    {"a@" + k63 + "." + k63 + "." + k63 + "." + k63 + ".", true, Errc::limit, "domain is 256 octets"},
    {k64 + "@" + k63 + "." + k63 + "." + k63 + ".example", true, Errc::limit, "path limit"},
    // Address literals.
    {"a@[192.0.2.256]", true, Errc::syntax, "bad IPv4 address literal"},
    {"a@[192.0.2]", true, Errc::syntax, "bad IPv4 address literal"},
    {"a@[IPv6:2001:db8::g]", true, Errc::syntax, "bad IPv6 address literal"},
    {"a@[IPv6:192.0.2.1]", true, Errc::syntax, "bad IPv6 address literal"},
    {"a@[2001:db8::1]", true, Errc::syntax, "general address literals"},
    {"a@[x400:c=us]", true, Errc::syntax, "general address literals"},
    {"a@[192.0.2.1", true, Errc::syntax, "no closing ']'"},
    {"a@[192.0.2.1\0]"s, true, Errc::syntax, "character 0x00"},
    {"a@[]", true, Errc::syntax, "bad IPv4 address literal"},
    // UTF-8: malformed, overlong, surrogate, beyond U+10FFFF, or not allowed.
    {"\xC3(@example.com", true, Errc::syntax, "invalid UTF-8 at offset 0"},
    {"ab\xE2\x82@example.com", true, Errc::syntax, "invalid UTF-8 at offset 2"},
    {"\xC0\xAF@example.com", true, Errc::syntax, "invalid UTF-8"},
    {"\xE0\x80\xAF@example.com", true, Errc::syntax, "invalid UTF-8"},
    {"\xF0\x80\x80\xAF@example.com", true, Errc::syntax, "invalid UTF-8"},
    {"\xED\xA0\x80@example.com", true, Errc::syntax, "invalid UTF-8"},
    {"\xF4\x90\x80\x80@example.com", true, Errc::syntax, "invalid UTF-8"},
    {"\"\xFF\"@example.com", true, Errc::syntax, "invalid UTF-8"},
    {"a@b\xC3.example", true, Errc::syntax, "invalid UTF-8"},
    {"jöran@example.com", false, Errc::syntax, "without SMTPUTF8"},
    {"\"jöran\"@example.com", false, Errc::syntax, "without SMTPUTF8"},
    {"user@bücher.example", false, Errc::syntax, "without SMTPUTF8"},
    // Control characters, in and out of quotes.
    {"a\x01z@example.com", true, Errc::syntax, "character 0x01 at offset 1"},
    {"a\x7Fz@example.com", true, Errc::syntax, "character 0x7F"},
    {"a\0z@example.com"s, true, Errc::syntax, "character 0x00"},
    {"\"a\tb\"@example.com", true, Errc::syntax, "character 0x09"},
    {"\"a\\\x01\"@example.com", true, Errc::syntax, "quoted-pair"},
    {"a@exa\0mple.com"s, true, Errc::syntax, "character 0x00"},
    // Quoted strings.
    {"\"abc@example.com", true, Errc::syntax, "unterminated quoted string"},
    {"\"abc\\", true, Errc::syntax, "unterminated quoted string"},
    {"\"abc\"", true, Errc::syntax, "missing \"@\""},
    {"\"a\"b@example.com", true, Errc::syntax, "expected \"@\" after the quoted string"},
    {"a\"b\"@example.com", true, Errc::syntax, "character '\"'"},
    // IDNA.
    {"a@xn--zz.example", true, Errc::syntax, "IDN2_PUNYCODE_BAD_INPUT"},
    {"a@xn--ls8h.example", true, Errc::syntax, "IDN2_DISALLOWED"},
    {"a@xn--a.example", true, Errc::syntax, "A-label \"xn--a\""},
    {"a@xn--wca.example", true, Errc::syntax, "not canonical"},
    {"a@😀.example", true, Errc::syntax, "IDN2_DISALLOWED"},
    {"a@-ä.example", true, Errc::syntax, "IDN2_HYPHEN_STARTEND"},
};

TEST(addr, MalformedMailboxes) {
  for (const auto& c : kMalformed) {
    SCOPED_TRACE(c.input);
    const auto a = parse_mailbox(c.input, c.utf8);
    ASSERT_FALSE(a.ok());
    EXPECT_EQ(a.code(), c.code) << a.error().detail;
    EXPECT_NE(a.error().detail.find(c.detail), std::string::npos) << a.error().detail;
    // normalize parses with SMTPUTF8 on: it fails the same way, except
    // where the only fault was UTF-8 without SMTPUTF8.
    if (c.utf8) {
      const auto n = normalize(c.input);
      ASSERT_FALSE(n.ok());
      EXPECT_EQ(n.code(), c.code);
    }
  }
}

TEST(addr, EmptyQuotedLocalPart) {
  const auto a = parse_mailbox(R"(""@example.com)");
  ASSERT_TRUE(a.ok()) << a.error().detail;
  EXPECT_EQ(a->local, "");
  EXPECT_TRUE(a->quoted);
  EXPECT_EQ(to_string(*a), R"(""@example.com)");
  // Valid syntax, but no store key.
  const auto n = normalize(R"(""@example.com)");
  ASSERT_FALSE(n.ok());
  EXPECT_EQ(n.code(), Errc::invalid);
}

TEST(addr, Separator) {
  const auto none = normalize("alice+lists@example.com", '\0');
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->local, "alice+lists");
  EXPECT_EQ(none->detail, "");
  const auto dash = normalize("Alice-Lists+x@example.com", '-');
  ASSERT_TRUE(dash.ok());
  EXPECT_EQ(dash->local, "alice");
  EXPECT_EQ(dash->detail, "lists+x");
  EXPECT_EQ(dash->key(), "alice@example.com");
}

struct DomainCase {
  std::string input;
  Errc code;  // Errc::internal: expect success
  std::string expected;  // the stored form, or a substring of the detail
};

const DomainCase kDomains[] = {
    {"EXAMPLE.COM", Errc::internal, "example.com"},
    {"example.com.", Errc::internal, "example.com"},
    {"Bücher.Example.", Errc::internal, "xn--bcher-kva.example"},
    {"BÜCHER.example", Errc::internal, "xn--bcher-kva.example"},
    {"xn--bcher-kva.example", Errc::internal, "xn--bcher-kva.example"},
    {"faß.de", Errc::internal, "xn--fa-hia.de"},
    {"", Errc::syntax, "empty domain"},
    {".", Errc::syntax, "empty domain"},
    {"example.com..", Errc::syntax, "empty label"},
    {"[192.0.2.1]", Errc::syntax, "address literal"},
    {"xn--zz", Errc::syntax, "IDN2_PUNYCODE_BAD_INPUT"},
    {"xn--", Errc::syntax, "starts or ends with '-'"},
    {"xn--a-", Errc::syntax, "starts or ends with '-'"},
    {"xn---", Errc::syntax, "starts or ends with '-'"},
    {"xn--bucher-xyd.example", Errc::syntax, "not canonical"},  // "bu\u0308cher", not NFC
    {"a\xC0\xAF.example", Errc::syntax, "invalid UTF-8"},
    {"ab。", Errc::syntax, "empty label"},  // U+3002 maps to '.'
    {"a_b.ü", Errc::syntax, "character '_'"},
    {std::string(256, 'a'), Errc::limit, "256 octets"},
    {"ü" + std::string(62, 'a') + ".example", Errc::limit, "IDN2_PUNYCODE_BIG_OUTPUT"},
};

TEST(addr, NormalizeDomain) {
  for (const auto& c : kDomains) {
    SCOPED_TRACE(c.input);
    const auto d = normalize_domain(c.input);
    if (c.code == Errc::internal) {
      ASSERT_TRUE(d.ok()) << d.error().detail;
      EXPECT_EQ(*d, c.expected);
      // The stored form is a fixed point.
      const auto again = normalize_domain(*d);
      ASSERT_TRUE(again.ok()) << again.error().detail;
      EXPECT_EQ(*again, *d);
    } else {
      ASSERT_FALSE(d.ok()) << *d;
      EXPECT_EQ(d.code(), c.code) << d.error().detail;
      EXPECT_NE(d.error().detail.find(c.expected), std::string::npos) << d.error().detail;
    }
  }
}

TEST(addr, NormalizeLocal) {
  EXPECT_EQ(normalize_local("Alice.Smith"), "alice.smith");
  EXPECT_EQ(normalize_local("ÄBC"), "Äbc");
  EXPECT_EQ(normalize_local("a b\"C"), "a b\"c");
}

TEST(addr, ToStringQuotesWhenNeeded) {
  const struct {
    Address address;
    std::string text;
  } cases[] = {
      {{"alice", "example.com"}, "alice@example.com"},
      {{"a.b", "example.com"}, "a.b@example.com"},
      {{"a..b", "example.com"}, R"("a..b"@example.com)"},
      {{"a.", "example.com"}, R"("a."@example.com)"},
      {{"a b", "example.com"}, R"("a b"@example.com)"},
      {{R"(a"b)", "example.com"}, R"("a\"b"@example.com)"},
      {{R"(a\b)", "example.com"}, R"("a\\b"@example.com)"},
      {{"δοκιμή", "example.com"}, "δοκιμή@example.com"},
      {{"a", "[192.0.2.1]", false, true}, "a@[192.0.2.1]"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.text);
    EXPECT_EQ(to_string(c.address), c.text);
  }
}

}  // namespace
}  // namespace parley::addr
