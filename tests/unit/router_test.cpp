// router::parse_rules and router::match_rule: exact and wildcard patterns
// (case-insensitive, first match wins, the "*" capture in a rewrite
// target, prefix and suffix wildcards), error, null and smtp targets, no
// match; every malformed rule is Errc::invalid naming the rule. The
// postmaster helpers (RFC 5321 4.5.1): which addresses are postmaster's,
// postmaster at the host name, and where the main postmaster is looked for.
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "procs/router/postmaster.h"
#include "procs/router/rules.h"

namespace parley::router {
namespace {

using Kind = Rule::Kind;

// The table every match case runs against; order matters (first wins).
const std::vector<std::string> kTable = {
    "postmaster@example.com = admin@example.com",
    "Alice@Example.COM = alice.smith@example.com",
    "gone@example.com = error:550 5.1.1 gone, try bob@example.com",
    "busy@example.com = error:451 4.3.0 try later",
    "devnull@example.com = null",
    "sales-*@example.com = sales+*@crm.example",
    "*-archive@example.com = archive@example.com",
    "*@old.example = *@new.example",
    "*@relay.example = smtp:mx.relay.example:2525",
    "*@v6.example = smtp:[2001:db8::1]:25",
    "*@example.com = catchall@example.com",
    "*@shadowed.example = never@example.com",
    "*@shadowed.example = error:550 5.0.0 never reached",
};

struct MatchCase {
  std::string address;
  std::optional<Kind> kind;  // nullopt: no rule matches
  std::string text;
};

const std::vector<MatchCase> kMatches = {
    // exact, case-insensitive both ways (pattern and address)
    {"postmaster@example.com", Kind::rewrite, "admin@example.com"},
    {"PostMaster@EXAMPLE.com", Kind::rewrite, "admin@example.com"},
    {"alice@example.com", Kind::rewrite, "alice.smith@example.com"},
    {"ALICE@example.com", Kind::rewrite, "alice.smith@example.com"},
    // error targets: the reply text, whole
    {"gone@example.com", Kind::error, "550 5.1.1 gone, try bob@example.com"},
    {"Busy@Example.com", Kind::error, "451 4.3.0 try later"},
    // null
    {"devnull@example.com", Kind::discard, ""},
    // prefix wildcard "sales-*@example.com", capture substituted
    {"sales-eu@example.com", Kind::rewrite, "sales+eu@crm.example"},
    {"SALES-North-West@example.com", Kind::rewrite, "sales+north-west@crm.example"},
    {"sales-@example.com", Kind::rewrite, "sales+@crm.example"},  // empty capture
    // suffix wildcard "*-archive@..." (no * in the target)
    {"list-archive@example.com", Kind::rewrite, "archive@example.com"},
    // domain wildcard, capture is the local part
    {"john.doe@old.example", Kind::rewrite, "john.doe@new.example"},
    {"John.Doe@OLD.Example", Kind::rewrite, "john.doe@new.example"},
    // smtp
    {"anyone@relay.example", Kind::smtp, "mx.relay.example:2525"},
    {"x@v6.example", Kind::smtp, "[2001:db8::1]:25"},
    // first match wins: the catch-all is after the specific rules above...
    {"someone@example.com", Kind::rewrite, "catchall@example.com"},
    {"sales@example.com", Kind::rewrite, "catchall@example.com"},  // "sales-*" needs the '-'
    // ... and of two rules with the same pattern the first decides
    {"a@shadowed.example", Kind::rewrite, "never@example.com"},
    // no match
    {"someone@example.org", std::nullopt, ""},
    {"old.example", std::nullopt, ""},
    {"someone@sub.old.example.net", std::nullopt, ""},
    {"", std::nullopt, ""},
};

TEST(RouterRules, TableMatches) {
  auto rules = parse_rules(kTable);
  ASSERT_TRUE(rules.ok()) << rules.error().detail;
  ASSERT_EQ(rules->size(), kTable.size());
  for (const auto& c : kMatches) {
    SCOPED_TRACE("address \"" + c.address + "\"");
    auto m = match_rule(*rules, c.address);
    if (!c.kind) {
      EXPECT_FALSE(m.has_value()) << "matched, text " << m->text;
      continue;
    }
    ASSERT_TRUE(m.has_value());
    EXPECT_EQ(m->kind, *c.kind);
    EXPECT_EQ(m->text, c.text);
  }
}

TEST(RouterRules, ParsedFields) {
  auto rules = parse_rules({"  Sales-*@Example.COM\t=\t sales+*@crm.example  ", "a@b = error:550  5.1.1 gone ",
                            "c@d = null", "e@f = smtp:host:25",
                            "g@h = smtp:[::1]:65535"});
  ASSERT_TRUE(rules.ok()) << rules.error().detail;
  ASSERT_EQ(rules->size(), 5u);
  EXPECT_EQ((*rules)[0].pattern, "sales-*@example.com");  // trimmed, lowercase
  EXPECT_EQ((*rules)[0].kind, Kind::rewrite);
  EXPECT_EQ((*rules)[0].target, "sales+*@crm.example");
  EXPECT_EQ((*rules)[1].kind, Kind::error);
  EXPECT_EQ((*rules)[1].target, "550  5.1.1 gone");
  EXPECT_EQ((*rules)[2].kind, Kind::discard);
  EXPECT_EQ((*rules)[3].kind, Kind::smtp);
  EXPECT_EQ((*rules)[3].target, "host:25");
  EXPECT_EQ((*rules)[4].target, "[::1]:65535");
}

TEST(RouterRules, EmptyTable) {
  auto rules = parse_rules({});
  ASSERT_TRUE(rules.ok());
  EXPECT_TRUE(rules->empty());
  EXPECT_FALSE(match_rule(*rules, "a@example.com").has_value());
}

TEST(RouterRules, WildcardCannotOverlapPrefixAndSuffix) {
  // "ab*ba" must not match "aba": head and tail may not share characters.
  auto rules = parse_rules({"ab*ba@x = r*@y"});
  ASSERT_TRUE(rules.ok()) << rules.error().detail;
  EXPECT_FALSE(match_rule(*rules, "aba@x").has_value());
  auto m = match_rule(*rules, "abba@x");
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->text, "r@y");
}

TEST(RouterRules, MalformedRules) {
  const std::vector<std::string> bad = {
      "no-equals-sign@example.com",                 // no '='
      "",                                           // nothing at all
      " = a@example.com",                           // empty pattern
      "a@example.com = ",                           // empty target
      "=",                                          // both empty
      "*@*.example = x@example.com",                // two stars
      "**@example.com = x@example.com",             // two stars, adjacent
      "a@example.com = error:250 2.0.0 fine",       // not a 4xx/5xx code
      "a@example.com = error:55 gone",              // two digits
      "a@example.com = error:5x0 gone",             // not digits
      "a@example.com = error:550",                  // no text
      "a@example.com = error:550gone",              // no space after the code
      "a@example.com = error:",                     // nothing
      "a@example.com = smtp:mx.example",            // no port
      "a@example.com = smtp:mx.example:",           // empty port
      "a@example.com = smtp::25",                   // no host
      "a@example.com = smtp:",                      // nothing
      "a@example.com = smtp:[2001:db8::1]",         // IPv6 literal, no port
      "a@example.com = smtp:mx.example:smtp",       // port not a number
      "a@example.com = smtp:mx.example:25x",
      "a@example.com = smtp:mx.example:0",          // out of range
      "a@example.com = smtp:mx.example:65536",
      "a@example.com = someone",                    // rewrite without '@'
      "*@example.com = *",                          // rewrite without '@', even with a capture
      "a@example.com = *@example.org",              // * in target, none in pattern
      "*@example.com = *-*@example.org",            // two stars in the target
  };
  for (const auto& line : bad) {
    SCOPED_TRACE("rule \"" + line + "\"");
    auto r = parse_rules({line});
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.code(), Errc::invalid);
    EXPECT_NE(r.error().detail.find("\"" + line + "\""), std::string::npos) << r.error().detail;
  }
}

TEST(RouterRules, OneBadRuleFailsTheTableAndIsNamed) {
  auto r = parse_rules({"a@example.com = b@example.com", "c@example.com = smtp:mx", "d@example.com = null"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.code(), Errc::invalid);
  EXPECT_NE(r.error().detail.find("c@example.com = smtp:mx"), std::string::npos) << r.error().detail;
  EXPECT_EQ(r.error().detail.find("a@example.com"), std::string::npos) << r.error().detail;
}

TEST(Postmaster, AnyCaseAnyDomainNoDetail) {
  for (const char* yes : {"postmaster@example.com", "PostMaster@Example.COM", "POSTMASTER@mail.example.test"}) {
    EXPECT_TRUE(is_postmaster(yes)) << yes;
  }
  for (const char* no : {"postmaster+x@example.com", "post.master@example.com", "webmaster@example.com", "postmaster",
                         "\"postmaster \"@example.com", ""}) {
    EXPECT_FALSE(is_postmaster(no)) << no;
  }
}

TEST(Postmaster, AtTheHostName) {
  // What smtpd makes of RCPT TO:<postmaster>, and the same address written by hand.
  EXPECT_TRUE(is_host_postmaster("postmaster@mail.example.test", "mail.example.test"));
  EXPECT_TRUE(is_host_postmaster("PostMaster@MAIL.Example.Test", "mail.example.test"));
  EXPECT_TRUE(is_host_postmaster("postmaster@mail.example.test", "Mail.Example.Test."));
  EXPECT_TRUE(is_host_postmaster("postmaster@xn--bcher-kva.example", "bücher.example"));
  EXPECT_FALSE(is_host_postmaster("postmaster@example.test", "mail.example.test"));
  EXPECT_FALSE(is_host_postmaster("abuse@mail.example.test", "mail.example.test"));
  EXPECT_FALSE(is_host_postmaster("postmaster@mail.example.test", ""));
}

TEST(Postmaster, Candidates) {
  using V = std::vector<std::string>;
  EXPECT_EQ(postmaster_candidates("", "mail.example.test"), (V{"postmaster@mail.example.test", "postmaster@example.test"}));
  EXPECT_EQ(postmaster_candidates("", "MX1.Mail.Example.COM."),
            (V{"postmaster@mx1.mail.example.com", "postmaster@mail.example.com", "postmaster@example.com"}));
  EXPECT_EQ(postmaster_candidates("", "example.org"), (V{"postmaster@example.org"}));
  EXPECT_EQ(postmaster_candidates("", "localhost"), (V{"postmaster@localhost"}));
  EXPECT_EQ(postmaster_candidates("", "bücher.example"), (V{"postmaster@xn--bcher-kva.example"}));
  EXPECT_EQ(postmaster_candidates("", "bad..name"), V{});
  EXPECT_EQ(postmaster_candidates("", ""), V{});
  // A configured address is the only one, wherever it is.
  EXPECT_EQ(postmaster_candidates("admin@elsewhere.example", "mail.example.test"), (V{"admin@elsewhere.example"}));
}

}  // namespace
}  // namespace parley::router
