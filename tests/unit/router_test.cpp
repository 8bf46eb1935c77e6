// router::parse_rules and router::match_rule: exact and wildcard patterns
// (case-insensitive, first match wins, the "*" capture in a rewrite
// target, prefix and suffix wildcards), error, null and smtp targets, no
// match; every malformed rule is Errc::invalid naming the rule. error:
// targets (parse_refusal): plain text, temporary:, and the SMTP codes older
// configurations wrote, each as its outcome. The router's verdicts
// (verdicts.h): what router.verify answers for rules, for each directory
// resolution and for an orphan postmaster, and why route() refuses. The
// postmaster helpers (RFC 5321 4.5.1): which addresses are postmaster's,
// postmaster at the host name, and where the main postmaster is looked for.
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "procs/router/postmaster.h"
#include "procs/router/rules.h"
#include "procs/router/verdicts.h"

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
  std::string text;          // rewrite and smtp; for error, the refusal's detail
};

const std::vector<MatchCase> kMatches = {
    // exact, case-insensitive both ways (pattern and address)
    {"postmaster@example.com", Kind::rewrite, "admin@example.com"},
    {"PostMaster@EXAMPLE.com", Kind::rewrite, "admin@example.com"},
    {"alice@example.com", Kind::rewrite, "alice.smith@example.com"},
    {"ALICE@example.com", Kind::rewrite, "alice.smith@example.com"},
    // error targets: the refusal's text, without the codes
    {"gone@example.com", Kind::error, "gone, try bob@example.com"},
    {"Busy@Example.com", Kind::error, "try later"},
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
    EXPECT_EQ(m->kind == Kind::error ? m->refusal.detail() : m->text, c.text);
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
  EXPECT_EQ((*rules)[1].refusal.outcome(), schema::OUTCOME_UNKNOWN_USER);
  EXPECT_TRUE((*rules)[1].refusal.permanent());
  EXPECT_EQ((*rules)[1].refusal.detail(), "gone");
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
      "a@example.com = error:   ",                  // nothing but blanks
      "a@example.com = error:gone\x01",             // not printable
      "a@example.com = error:d\xc3\xa9j\xc3\xa0", // not ASCII
      "a@example.com = error:temporary:a\tb",       // not printable
      "a@example.com = error:" + std::string(401, 'x'),  // longer than kMaxRefusalText
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

// What follows "error:", and the answer it becomes.
struct RefusalCase {
  std::string target;
  schema::Outcome outcome;
  bool permanent;
  std::string detail;
};

const std::vector<RefusalCase> kRefusals = {
    // plain text: refused for good by policy; temporary: for now
    {"No mail for this address", schema::OUTCOME_POLICY_REJECTED, true, "No mail for this address"},
    {"  padded\t", schema::OUTCOME_POLICY_REJECTED, true, "padded"},
    {"temporary:Mailbox being moved, try tomorrow", schema::OUTCOME_POLICY_REJECTED, false, "Mailbox being moved, try tomorrow"},
    {"temporary:  spaced", schema::OUTCOME_POLICY_REJECTED, false, "spaced"},
    {"temporary:", schema::OUTCOME_POLICY_REJECTED, false, ""},  // the standard text
    {"Temporary: not the keyword", schema::OUTCOME_POLICY_REJECTED, true, "Temporary: not the keyword"},
    {"temporary closure", schema::OUTCOME_POLICY_REJECTED, true, "temporary closure"},
    // SMTP codes: the class says permanent or not, subject.detail the outcome
    {"550 5.1.1 gone, try bob@example.com", schema::OUTCOME_UNKNOWN_USER, true, "gone, try bob@example.com"},
    {"550 5.1.6 gone; see the web site", schema::OUTCOME_MAILBOX_MOVED, true, "gone; see the web site"},
    {"550 5.2.1 closed", schema::OUTCOME_MAILBOX_DISABLED, true, "closed"},
    {"552 5.2.2 full for good", schema::OUTCOME_OVER_QUOTA, true, "full for good"},
    {"452 4.2.2 full", schema::OUTCOME_OVER_QUOTA, false, "full"},
    {"451 4.3.0 try later", schema::OUTCOME_UNAVAILABLE, false, "try later"},
    {"552 5.3.4 too big", schema::OUTCOME_MESSAGE_TOO_BIG, true, "too big"},
    {"451 4.3.5 mend me", schema::OUTCOME_MISCONFIGURED, false, "mend me"},
    {"554 5.4.6 loop", schema::OUTCOME_ROUTING_LOOP, true, "loop"},
    {"550 5.7.1 not you", schema::OUTCOME_POLICY_REJECTED, true, "not you"},
    {"550 5.0.0 other", schema::OUTCOME_POLICY_REJECTED, true, "other"},
    {"450 4.7.1 greylisted", schema::OUTCOME_POLICY_REJECTED, false, "greylisted"},
    {"550 5.1.10 null MX", schema::OUTCOME_POLICY_REJECTED, true, "null MX"},
    {"550  5.1.1   spaced ", schema::OUTCOME_UNKNOWN_USER, true, "spaced"},
    {"550 5.1.1", schema::OUTCOME_UNKNOWN_USER, true, ""},                  // the standard text
    {"550 gone", schema::OUTCOME_POLICY_REJECTED, true, "gone"},           // no enhanced code
    {"550 5.1.1x gone", schema::OUTCOME_POLICY_REJECTED, true, "5.1.1x gone"},  // not an enhanced code
    {"421 closing", schema::OUTCOME_POLICY_REJECTED, false, "closing"},
};

TEST(RouterRules, Refusals) {
  for (const auto& c : kRefusals) {
    SCOPED_TRACE("error:" + c.target);
    auto a = parse_refusal(c.target);
    ASSERT_TRUE(a.ok()) << a.error().detail;
    EXPECT_EQ(a->outcome(), c.outcome) << schema::Outcome_Name(a->outcome());
    EXPECT_EQ(a->permanent(), c.permanent);
    EXPECT_EQ(a->detail(), c.detail);
    // The same through a rule, and matched.
    auto rules = parse_rules({"x@example.com = error:" + c.target});
    ASSERT_TRUE(rules.ok()) << rules.error().detail;
    auto m = match_rule(*rules, "X@example.com");
    ASSERT_TRUE(m.has_value());
    EXPECT_EQ(m->kind, Kind::error);
    EXPECT_EQ(m->refusal.SerializeAsString(), a->SerializeAsString());
  }
  EXPECT_TRUE(parse_refusal(std::string(kMaxRefusalText, 'x')).ok());
  EXPECT_FALSE(parse_refusal(std::string(kMaxRefusalText + 1, 'x')).ok());
}

// ---- the router's verdicts ----

struct Expected {
  schema::Outcome outcome;
  bool permanent = false;
  schema::Verdict::Kind kind = schema::Verdict::KIND_UNSPECIFIED;  // with OUTCOME_ACCEPTED
  std::string detail;
};

void expect(const schema::Verdict& v, const Expected& e) {
  EXPECT_EQ(v.answer().outcome(), e.outcome) << schema::Outcome_Name(v.answer().outcome());
  EXPECT_EQ(v.answer().permanent(), e.permanent);
  EXPECT_EQ(v.answer().detail(), e.detail);
  EXPECT_EQ(v.kind(), e.kind) << schema::Verdict::Kind_Name(v.kind());
}

TEST(RouterVerdicts, Rules) {
  auto rules = parse_rules({"gone@example.com = error:550 5.1.6 gone; see the web site",
                            "busy@example.com = error:temporary:Moving house", "devnull@example.com = null",
                            "*@partner.example = smtp:192.0.2.25:25"});
  ASSERT_TRUE(rules.ok()) << rules.error().detail;
  auto verdict = [&](std::string_view address) {
    auto m = match_rule(*rules, address);
    EXPECT_TRUE(m.has_value()) << address;
    return m ? rule_verdict(*m) : schema::Verdict();
  };
  expect(verdict("gone@example.com"), {schema::OUTCOME_MAILBOX_MOVED, true, schema::Verdict::KIND_UNSPECIFIED, "gone; see the web site"});
  expect(verdict("busy@example.com"), {schema::OUTCOME_POLICY_REJECTED, false, schema::Verdict::KIND_UNSPECIFIED, "Moving house"});
  expect(verdict("devnull@example.com"), {schema::OUTCOME_ACCEPTED, false, schema::Verdict::KIND_LOCAL});
  expect(verdict("x@partner.example"), {schema::OUTCOME_ACCEPTED, false, schema::Verdict::KIND_ROUTED});
}

TEST(RouterVerdicts, EveryResolution) {
  using R = schema::Resolution;
  const struct {
    R::Kind kind;
    Expected verdict;
  } cases[] = {
      {R::KIND_ACCOUNT, {schema::OUTCOME_ACCEPTED, false, schema::Verdict::KIND_LOCAL}},
      {R::KIND_FORWARD, {schema::OUTCOME_ACCEPTED, false, schema::Verdict::KIND_LOCAL}},
      {R::KIND_GROUP, {schema::OUTCOME_ACCEPTED, false, schema::Verdict::KIND_LOCAL}},
      {R::KIND_UNKNOWN_DISCARD, {schema::OUTCOME_ACCEPTED, false, schema::Verdict::KIND_LOCAL}},
      {R::KIND_NOT_LOCAL, {schema::OUTCOME_ACCEPTED, false, schema::Verdict::KIND_REMOTE}},
      {R::KIND_UNKNOWN_REJECT, {schema::OUTCOME_UNKNOWN_USER, true}},
      // the directory did not say (or said something this build does not know)
      {R::KIND_UNSPECIFIED, {schema::OUTCOME_UNAVAILABLE, false}},
      {static_cast<R::Kind>(99), {schema::OUTCOME_UNAVAILABLE, false}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(R::Kind_Name(c.kind));
    expect(resolution_verdict(c.kind), c.verdict);
  }
}

TEST(RouterVerdicts, OrphanPostmaster) {
  Result<std::optional<schema::Resolution>> unavailable = fail(Errc::unavailable, "directory: timeout");
  expect(postmaster_verdict(unavailable), {schema::OUTCOME_UNAVAILABLE, false});
  Result<std::optional<schema::Resolution>> none = std::optional<schema::Resolution>();
  expect(postmaster_verdict(none), {schema::OUTCOME_MISCONFIGURED, false, schema::Verdict::KIND_UNSPECIFIED,
                                    "No postmaster mailbox configured, try again later"});
  schema::Resolution account;
  account.set_kind(schema::Resolution::KIND_ACCOUNT);
  expect(postmaster_verdict(std::optional(account)), {schema::OUTCOME_ACCEPTED, false, schema::Verdict::KIND_LOCAL});
  schema::Resolution remote;
  remote.set_kind(schema::Resolution::KIND_NOT_LOCAL);
  expect(postmaster_verdict(std::optional(remote)), {schema::OUTCOME_ACCEPTED, false, schema::Verdict::KIND_ROUTED});
}

TEST(RouterVerdicts, RefusalsAtRouting) {
  // Recipients refused once the message is taken bounce: all permanent.
  const struct {
    schema::Answer answer;
    schema::Outcome outcome;
    std::string detail;
  } cases[] = {
      {unknown_user(), schema::OUTCOME_UNKNOWN_USER, ""},
      {no_main_postmaster(), schema::OUTCOME_MISCONFIGURED, "No postmaster mailbox configured"},
      {expansion_too_deep(), schema::OUTCOME_ROUTING_LOOP, "alias or group expansion too deep"},
      {routing_loop(), schema::OUTCOME_ROUTING_LOOP, ""},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(schema::Outcome_Name(c.outcome));
    EXPECT_EQ(c.answer.outcome(), c.outcome);
    EXPECT_TRUE(c.answer.permanent());
    EXPECT_EQ(c.answer.detail(), c.detail);
  }
  EXPECT_EQ(accepted().outcome(), schema::OUTCOME_ACCEPTED);
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
