// Outcomes (schema/outcome.proto) as SMTP: smtpd's table (procs/smtpd/
// verdicts.h) and the dequeuer's (procs/dequeuer/diagnosis.h). Every
// outcome, permanent and temporary, and values this build does not know
// make a well-formed reply: the code's class fits, an RFC 3463 enhanced
// code of the same class, printable text, one line. The replies clients
// and reports had before outcomes replaced reply text on ipc come out the
// same, including those of router rules written with SMTP codes. A detail
// too long or unprintable gives way to the standard text.
#include <gtest/gtest.h>

#include <cctype>
#include <string>
#include <vector>

#include "core/ascii.h"
#include "procs/dequeuer/diagnosis.h"
#include "procs/router/rules.h"
#include "procs/router/verdicts.h"
#include "procs/smtpd/verdicts.h"
#include "smtp/client.h"

namespace parley {
namespace {

// Answers as the router makes them (any outcome, for the tables).
using router::refused;

// Every value the enum declares, and one it does not.
std::vector<schema::Outcome> every_outcome() {
  std::vector<schema::Outcome> out;
  const auto* d = schema::Outcome_descriptor();
  for (int i = 0; i < d->value_count(); ++i) out.push_back(static_cast<schema::Outcome>(d->value(i)->number()));
  out.push_back(static_cast<schema::Outcome>(99));
  return out;
}

std::string name(schema::Outcome o, bool permanent) {
  const std::string& n = schema::Outcome_Name(o);
  return (n.empty() ? std::to_string(static_cast<int>(o)) : n) + (permanent ? " permanent" : " temporary");
}

// The reply class an outcome must have.
int expected_class(schema::Outcome o, bool permanent) {
  if (o == schema::OUTCOME_ACCEPTED) return 2;
  if (!schema::Outcome_IsValid(o) || o == schema::OUTCOME_UNSPECIFIED) return 4;
  return permanent ? 5 : 4;
}

// "C.S.D" with C the class, S and D 1 to 3 digits (RFC 3463 2).
bool enhanced_code(std::string_view s, int cls) {
  if (s.size() < 5 || s[0] != static_cast<char>('0' + cls) || s[1] != '.') return false;
  std::string_view rest = s.substr(2);
  auto dot = rest.find('.');
  if (dot == std::string_view::npos || dot == 0 || dot > 3 || rest.size() - dot - 1 == 0 || rest.size() - dot - 1 > 3) return false;
  for (std::size_t i = 0; i < rest.size(); ++i) {
    if (i != dot && !std::isdigit(static_cast<unsigned char>(rest[i]))) return false;
  }
  return true;
}

// One reply line as a client reads it: code of the class, enhanced code,
// text. `wire` ends in CRLF.
void expect_well_formed(std::string wire, int cls) {
  SCOPED_TRACE(wire);
  EXPECT_LE(wire.size(), 512u);  // RFC 5321 4.5.3.1.5
  auto parsed = smtp::parse_reply(wire);
  ASSERT_TRUE(parsed.ok()) << parsed.error().detail;
  ASSERT_TRUE(parsed->has_value());
  EXPECT_TRUE(wire.empty()) << "one line, nothing after it";
  const auto& r = **parsed;
  EXPECT_EQ(r.code / 100, cls);
  ASSERT_EQ(r.lines.size(), 1u);
  const std::string& line = r.lines[0];
  auto space = line.find(' ');
  ASSERT_NE(space, std::string::npos);
  EXPECT_TRUE(enhanced_code(std::string_view(line).substr(0, space), cls));
  EXPECT_FALSE(line.substr(space + 1).empty());
  EXPECT_TRUE(printable_ascii(line));
}

// ---- smtpd ----

TEST(SmtpdVerdicts, EveryOutcomeIsAWellFormedReply) {
  for (auto o : every_outcome()) {
    for (bool permanent : {true, false}) {
      SCOPED_TRACE(name(o, permanent));
      const smtp::Reply& r = smtpd::outcome_reply(o, permanent);
      expect_well_formed(smtp::to_wire(r), expected_class(o, permanent));
      expect_well_formed(smtpd::answer_reply(refused(o, permanent)), expected_class(o, permanent));
      expect_well_formed(smtpd::answer_reply(refused(o, permanent, "Some detail")), expected_class(o, permanent));
      // Each outcome has a row of its own: only an unknown one, or
      // UNAVAILABLE for now, is the general temporary failure.
      const bool general = !schema::Outcome_IsValid(o) || o == schema::OUTCOME_UNSPECIFIED ||
                           (o == schema::OUTCOME_UNAVAILABLE && !permanent);
      const bool temp_failure = r.code == smtp::kTempFailure.code && r.enhanced == smtp::kTempFailure.enhanced;
      EXPECT_EQ(temp_failure, general);
    }
  }
}

struct ClientCase {
  schema::Answer answer;
  std::string wire;
};

TEST(SmtpdVerdicts, RepliesClientsSawBefore) {
  const std::vector<ClientCase> cases = {
      {refused(schema::OUTCOME_UNKNOWN_USER, true), "550 5.1.1 No such user\r\n"},
      {refused(schema::OUTCOME_RELAY_DENIED, true), "554 5.7.1 Relaying denied\r\n"},
      {refused(schema::OUTCOME_ROUTING_LOOP, true), "554 5.4.6 Routing loop detected (too many hops)\r\n"},
      {refused(schema::OUTCOME_UNAVAILABLE, false), "451 4.3.0 Local error, try again later\r\n"},
      {refused(schema::OUTCOME_UNSPECIFIED, false), "451 4.3.0 Local error, try again later\r\n"},
      {refused(schema::OUTCOME_MISCONFIGURED, false, "No postmaster mailbox configured, try again later"),
       "451 4.3.5 No postmaster mailbox configured, try again later\r\n"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.answer.ShortDebugString());
    EXPECT_EQ(smtpd::answer_reply(c.answer), c.wire);
  }
}

// A router rule with an SMTP code whose enhanced code names an outcome
// reaches the client as it was written.
TEST(SmtpdVerdicts, RulesWithCodesAnswerAsWritten) {
  for (std::string rule : {"550 5.1.1 gone, try bob@example.com", "550 5.1.6 gone; see the web site", "550 5.2.1 closed",
                           "452 4.2.2 full", "552 5.2.2 full for good", "451 4.3.0 try later", "552 5.3.4 too big",
                           "451 4.3.5 mend me", "554 5.4.6 loop", "550 5.7.1 not you", "450 4.7.1 greylisted"}) {
    auto refusal = router::parse_refusal(rule);
    ASSERT_TRUE(refusal.ok()) << rule;
    EXPECT_EQ(smtpd::answer_reply(*refusal), rule + "\r\n");
  }
}

TEST(SmtpdVerdicts, UnusableDetailGivesTheStandardText) {
  for (std::string detail : {std::string("two\r\nlines"), std::string("bell\a"), std::string("caf\xc3\xa9"),
                             std::string(smtpd::kMaxDetail + 1, 'x')}) {
    EXPECT_EQ(smtpd::answer_reply(refused(schema::OUTCOME_UNKNOWN_USER, true, detail)), "550 5.1.1 No such user\r\n");
  }
  const std::string longest(smtpd::kMaxDetail, 'x');
  EXPECT_EQ(smtpd::answer_reply(refused(schema::OUTCOME_UNKNOWN_USER, true, longest)), "550 5.1.1 " + longest + "\r\n");
}

TEST(SmtpdVerdicts, AnAcceptedVerdictSaysWhereItGoes) {
  auto verdict = [](schema::Outcome o, schema::Verdict::Kind kind) {
    schema::Verdict v;
    v.mutable_answer()->set_outcome(o);
    v.set_kind(kind);
    return v;
  };
  for (auto kind : {schema::Verdict::KIND_LOCAL, schema::Verdict::KIND_ROUTED, schema::Verdict::KIND_REMOTE}) {
    EXPECT_TRUE(smtpd::well_formed(verdict(schema::OUTCOME_ACCEPTED, kind)));
  }
  EXPECT_FALSE(smtpd::well_formed(verdict(schema::OUTCOME_ACCEPTED, schema::Verdict::KIND_UNSPECIFIED)));
  EXPECT_FALSE(smtpd::well_formed(verdict(schema::OUTCOME_ACCEPTED, static_cast<schema::Verdict::Kind>(99))));
  EXPECT_TRUE(smtpd::well_formed(verdict(schema::OUTCOME_UNKNOWN_USER, schema::Verdict::KIND_UNSPECIFIED)));
}

// ---- the dequeuer ----

TEST(Diagnosis, EveryOutcomeIsAWellFormedReply) {
  for (auto o : every_outcome()) {
    for (bool permanent : {true, false}) {
      SCOPED_TRACE(name(o, permanent));
      auto d = dequeuer::diagnose(refused(o, permanent));
      EXPECT_EQ(d.delivered, o == schema::OUTCOME_ACCEPTED);
      EXPECT_EQ(d.permanent, expected_class(o, permanent) == 5);
      expect_well_formed(d.reply + "\r\n", expected_class(o, permanent));
    }
  }
}

struct ReportCase {
  schema::Answer answer;
  bool permanent;
  std::string reply;  // Recipient.last_reply: a report's Diagnostic-Code, its Status the enhanced code
};

TEST(Diagnosis, RepliesReportsCarriedBefore) {
  const std::vector<ReportCase> cases = {
      // local-delivery
      {router::accepted(), false, "250 2.0.0 delivered to mailbox"},
      {refused(schema::OUTCOME_UNKNOWN_USER, true, "No such user (any more)"), true, "550 5.1.1 No such user (any more)"},
      {refused(schema::OUTCOME_OVER_QUOTA, false), false, "452 4.2.2 Mailbox full"},
      {refused(schema::OUTCOME_UNAVAILABLE, false, "Mail store error"), false, "451 4.3.0 Mail store error"},
      // the dequeuer's own
      {refused(schema::OUTCOME_UNAVAILABLE, false, "local delivery unavailable"), false, "451 4.3.0 local delivery unavailable"},
      {refused(schema::OUTCOME_UNAVAILABLE, true, "message body lost in the queue"), true, "554 5.3.0 message body lost in the queue"},
      // the router's, at routing
      {refused(schema::OUTCOME_UNKNOWN_USER, true), true, "550 5.1.1 No such user"},
      {refused(schema::OUTCOME_MISCONFIGURED, true, "No postmaster mailbox configured"), true,
       "550 5.3.5 No postmaster mailbox configured"},
      {refused(schema::OUTCOME_ROUTING_LOOP, true, "alias or group expansion too deep"), true,
       "554 5.4.6 alias or group expansion too deep"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.answer.ShortDebugString());
    auto d = dequeuer::diagnose(c.answer);
    EXPECT_EQ(d.permanent, c.permanent);
    EXPECT_EQ(d.reply, c.reply);
  }
  // A router rule's refusal, written with an SMTP code, as it was written.
  auto rule = router::parse_refusal("550 5.1.6 gone; see the web site");
  ASSERT_TRUE(rule.ok());
  EXPECT_EQ(dequeuer::diagnose(*rule).reply, "550 5.1.6 gone; see the web site");
}

TEST(Diagnosis, UnusableDetailGivesTheStandardText) {
  for (std::string detail : {std::string("two\r\nlines"), std::string("caf\xc3\xa9"), std::string(dequeuer::kMaxDetail + 1, 'x')}) {
    EXPECT_EQ(dequeuer::diagnose(refused(schema::OUTCOME_OVER_QUOTA, false, detail)).reply, "452 4.2.2 Mailbox full");
  }
}

}  // namespace
}  // namespace parley
