#include "smtp/client.h"

#include <gtest/gtest.h>

namespace parley::smtp {
namespace {

TEST(ParseReply, SingleAndMultiLine) {
  std::string buf = "250-mx.example Hello\r\n250-SIZE 1000\r\n250 PIPELINING\r\n354 go\r\n";
  auto r = parse_reply(buf);
  ASSERT_TRUE(r && r.value());
  EXPECT_EQ(r.value()->code, 250);
  ASSERT_EQ(r.value()->lines.size(), 3u);
  auto ext = parse_ehlo(*r.value());
  EXPECT_TRUE(ext.has("SIZE"));
  EXPECT_EQ(ext.param("SIZE"), "1000");
  EXPECT_TRUE(ext.has("PIPELINING"));
  EXPECT_FALSE(ext.has("STARTTLS"));
  EXPECT_EQ(buf, "354 go\r\n");
  auto next = parse_reply(buf);
  ASSERT_TRUE(next && next.value());
  EXPECT_EQ(next.value()->code, 354);
  EXPECT_TRUE(buf.empty());
}

TEST(ParseReply, ByteAtATimeGivesTheSameReply) {
  const std::string wire = "550-5.1.1 first\r\n550 5.1.1 second\r\n";
  std::string buf;
  for (std::size_t i = 0; i < wire.size(); ++i) {
    buf += wire[i];
    auto r = parse_reply(buf);
    ASSERT_TRUE(r) << i;
    if (i + 1 < wire.size()) {
      EXPECT_FALSE(r.value()) << "complete too early at " << i;
    } else {
      ASSERT_TRUE(r.value());
      EXPECT_EQ(r.value()->text(), "550 5.1.1 first; 5.1.1 second");
      EXPECT_EQ(r.value()->enhanced(), "5.1.1");
      EXPECT_TRUE(r.value()->permanent());
    }
  }
}

TEST(ParseReply, EnhancedCodeMustMatchTheClass) {
  std::string buf = "451 5.1.1 odd\r\n";
  auto r = parse_reply(buf);
  ASSERT_TRUE(r && r.value());
  EXPECT_EQ(r.value()->enhanced(), "");
  EXPECT_TRUE(r.value()->transient());
}

TEST(ParseReply, Malformed) {
  struct Case {
    std::string wire;
    Errc code;
  };
  const Case cases[] = {
      {"abc\r\n", Errc::syntax},
      {"25\r\n", Errc::syntax},
      {"150 old style\r\n", Errc::syntax},
      {"250-a\r\n251 b\r\n", Errc::syntax},
      {"250xyz\r\n", Errc::syntax},
      {"250 bare\nlf\r\n", Errc::syntax},
      {"250 bare LF only\n", Errc::syntax},
      {"250 bare\rcr", Errc::syntax},
      {"250 " + std::string(600, 'x') + "\r\n", Errc::limit},
      {"250 " + std::string(600, 'x'), Errc::limit},
  };
  for (const auto& c : cases) {
    std::string buf = c.wire;
    auto r = parse_reply(buf);
    ASSERT_FALSE(r) << c.wire;
    EXPECT_EQ(r.code(), c.code) << c.wire;
  }
}

TEST(ParseReply, TooManyLines) {
  std::string buf;
  for (std::size_t i = 0; i <= kMaxReplyLines; ++i) buf += "250-x\r\n";
  buf += "250 end\r\n";
  auto r = parse_reply(buf);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.code(), Errc::limit);
}

TEST(ParseReply, IncompleteWaits) {
  std::string buf = "250-first\r\n250 sec";
  auto r = parse_reply(buf);
  ASSERT_TRUE(r);
  EXPECT_FALSE(r.value());
  EXPECT_EQ(buf, "250-first\r\n250 sec");
}

}  // namespace
}  // namespace parley::smtp
