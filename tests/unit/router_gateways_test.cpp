// Gateway rules (procs/router/gateways.h): parse_gateways' table of good
// and bad rules, dialed_number on user parts, match_gateway's first match,
// wildcards and templates.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "procs/router/gateways.h"

namespace parley::router {
namespace {

std::string matched(const std::vector<Gateway>& gateways, std::string_view user) {
  auto m = match_gateway(gateways, user);
  if (!m) return "none";
  return m->trunk.empty() ? "uri " + m->uri : "trunk " + m->trunk + " " + m->number;
}

TEST(Gateways, ParseRefusesBadRules) {
  struct Case {
    std::string line;
    std::string why;  // a part of the error
  };
  for (const auto& c : std::vector<Case>{
           {"0*", "PATTERN = TARGET"},
           {" = trunk:x", "empty"},
           {"0** = trunk:x", "more than one *"},
           {"0a* = trunk:x", "digits"},
           {"0* = trunk:", "name"},
           {"0* = trunk:a b", "trunk name"},
           {"0* = trunk:x:", "empty number"},
           {"0* = trunk:x:0a*", "number template"},
           {"0* = mailto:x@y", "target is"},
           {"0* = sip:*@gw example", "URI"},
           {"0 = sip:*@gw", "has none"},
           {"0 = trunk:x:*", "has none"},
           {std::string(kMaxNumber + 1, '1') + " = trunk:x", "too long"},
       }) {
    auto parsed = parse_gateways({c.line});
    ASSERT_FALSE(parsed.ok()) << c.line;
    EXPECT_EQ(parsed.code(), Errc::invalid) << c.line;
    EXPECT_NE(parsed.error().detail.find(c.why), std::string::npos) << c.line << ": " << parsed.error().detail;
  }
}

TEST(Gateways, DialedNumbers) {
  EXPECT_EQ(dialed_number("030-1234"), "0301234");
  EXPECT_EQ(dialed_number("+49 (30) 1234").has_value(), false);  // a space is no separator
  EXPECT_EQ(dialed_number("+49(30)1234"), "+49301234");
  EXPECT_EQ(dialed_number("*21#").has_value(), false);  // a star code is not a number here
  EXPECT_EQ(dialed_number("12+3").has_value(), false);
  EXPECT_EQ(dialed_number("+").has_value(), false);
  EXPECT_EQ(dialed_number("alice").has_value(), false);
  EXPECT_EQ(dialed_number("").has_value(), false);
  EXPECT_EQ(dialed_number(std::string(kMaxNumber + 1, '1')).has_value(), false);
}

TEST(Gateways, FirstMatchWithWildcardsAndTemplates) {
  auto parsed = parse_gateways({
      "112 = sip:112@gw.example.test;transport=tcp",
      "00* = trunk:provider:+*",
      "0* = trunk:provider:+4930*",
      "+* = trunk:provider",
      "9*1 = sip:*@pbx.example.test",
  });
  ASSERT_TRUE(parsed.ok()) << parsed.error().detail;
  const auto& g = parsed.value();
  EXPECT_EQ(matched(g, "112"), "uri sip:112@gw.example.test;transport=tcp");
  EXPECT_EQ(matched(g, "1120"), "none");
  EXPECT_EQ(matched(g, "0044207"), "trunk provider +44207");
  EXPECT_EQ(matched(g, "030-1234"), "trunk provider +4930301234");
  EXPECT_EQ(matched(g, "+4930123"), "trunk provider +4930123");
  EXPECT_EQ(matched(g, "9551"), "uri sip:55@pbx.example.test");
  EXPECT_EQ(matched(g, "91"), "none") << "the wildcard stands for a digit at least";
  EXPECT_EQ(matched(g, "0"), "none");
  EXPECT_EQ(matched(g, "323"), "none");
  EXPECT_EQ(matched(g, "alice"), "none");
}

}  // namespace
}  // namespace parley::router
