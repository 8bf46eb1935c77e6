// parse_command: table-driven valid and malformed POP3 commands; TOP's
// part of a message.
#include "pop3/command.h"
#include "pop3/message.h"

#include <gtest/gtest.h>

#include <string>

namespace parley::pop3 {
namespace {

TEST(Pop3Command, Valid) {
  auto c = parse_command("user Demo@Example.Test");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->verb, Verb::user);
  EXPECT_EQ(c->text, "Demo@Example.Test");

  c = parse_command("PASS secret with spaces");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->text, "secret with spaces");

  c = parse_command("AUTH scram-sha-256 biwsbj1k");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->mechanism, "SCRAM-SHA-256");
  EXPECT_EQ(c->initial, "biwsbj1k");
  c = parse_command("AUTH PLAIN");
  ASSERT_TRUE(c);
  EXPECT_FALSE(c->initial);

  c = parse_command("list");
  ASSERT_TRUE(c);
  EXPECT_FALSE(c->msg);
  c = parse_command("UIDL 12");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->msg, 12u);

  c = parse_command("TOP 3 0");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->msg, 3u);
  EXPECT_EQ(c->lines, 0u);
  c = parse_command("top 1 25");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->lines, 25u);

  for (std::string_view plain : {"STAT", "NOOP", "RSET", "QUIT", "CAPA", "STLS"}) EXPECT_TRUE(parse_command(plain)) << plain;
  c = parse_command("RETR 2147483648");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->msg, 2147483648u);
}

TEST(Pop3Command, Malformed) {
  struct Case {
    std::string line;
    Errc code;
  };
  const Case cases[] = {
      {"", Errc::invalid},
      {"FROB", Errc::invalid},
      {"RETRX 1", Errc::invalid},
      {"USER", Errc::syntax},
      {"PASS", Errc::syntax},
      {"AUTH", Errc::syntax},
      {"RETR", Errc::syntax},
      {"RETR 0", Errc::syntax},
      {"RETR -1", Errc::syntax},
      {"RETR 1x", Errc::syntax},
      {"RETR 2147483649", Errc::syntax},
      {"RETR 99999999999", Errc::syntax},
      {"DELE  1", Errc::syntax},
      {"LIST ", Errc::syntax},
      {"TOP 1", Errc::syntax},
      {"TOP 1 x", Errc::syntax},
      {"TOP x 1", Errc::syntax},
      {"STAT now", Errc::syntax},
      {"QUIT please", Errc::syntax},
      {std::string("USER a\0b", 8), Errc::syntax},
      {"USER a\x01", Errc::syntax},
      {"USER " + std::string(300, 'a'), Errc::limit},
  };
  for (const auto& c : cases) {
    auto r = parse_command(c.line);
    ASSERT_FALSE(r) << testing::PrintToString(c.line);
    EXPECT_EQ(r.code(), c.code) << testing::PrintToString(c.line);
  }
}

TEST(Pop3Top, HeaderEmptyLineAndBodyLines) {
  const std::string_view m = "Subject: a\r\nTo: b\r\n\r\none\r\ntwo\r\nthree";
  EXPECT_EQ(top_part(m, 0), "Subject: a\r\nTo: b\r\n\r\n");
  EXPECT_EQ(top_part(m, 1), "Subject: a\r\nTo: b\r\n\r\none\r\n");
  EXPECT_EQ(top_part(m, 2), "Subject: a\r\nTo: b\r\n\r\none\r\ntwo\r\n");
  EXPECT_EQ(top_part(m, 3), m);  // the last line without its line end
  EXPECT_EQ(top_part(m, 100), m);
  // Bare LF ends lines (and the header) too; empty body lines count.
  EXPECT_EQ(top_part("S: a\n\n\nx\n", 1), "S: a\n\n\n");
  EXPECT_EQ(top_part("S: a\n\r\nx\ny\n", 1), "S: a\n\r\nx\n");
  // No empty line: all header, all sent.
  EXPECT_EQ(top_part("S: a\r\nT: b\r\n", 0), "S: a\r\nT: b\r\n");
  EXPECT_EQ(top_part("", 0), "");
  // The header ends at the first empty line, however far.
  const std::string big = "X: " + std::string(2 << 20, 'x') + "\r\n\r\nbody\r\n";
  EXPECT_EQ(top_part(big, 0).size(), big.size() - 6);
}

}  // namespace
}  // namespace parley::pop3
