// parse_host_port / parse_port: table-driven valid and malformed input.
// The same tables seed tests/fuzz/corpus/host_port_fuzz/.
#include "config/host_port.h"

#include <gtest/gtest.h>

#include <string>

namespace parley::config {
namespace {

struct Valid {
  std::string_view input;
  HostPort expected;
};

const Valid kValid[] = {
    {"mx.example.net:25", {"mx.example.net", 25}},
    {"192.0.2.7:2525", {"192.0.2.7", 2525}},
    {"[::1]:25", {"::1", 25}},
    {"[2001:db8::1]:65535", {"2001:db8::1", 65535}},
    {"[mx.example.net]:587", {"mx.example.net", 587}},  // a name in brackets: taken without them
    {"h:1", {"h", 1}},
    {"*:80", {"*", 80}},  // what a host may be is the caller's affair
};

TEST(HostPort, Valid) {
  for (const auto& c : kValid) {
    SCOPED_TRACE(std::string(c.input));
    const auto parsed = parse_host_port(c.input);
    ASSERT_TRUE(parsed.ok()) << parsed.error().detail;
    EXPECT_EQ(*parsed, c.expected);
  }
}

struct Malformed {
  std::string_view input;
  std::string_view detail;
};

const Malformed kMalformed[] = {
    {"", R"(missing ":PORT" after the host)"},
    {"mx.example.net", R"(missing ":PORT" after the host)"},
    {"garbage", R"(missing ":PORT" after the host)"},
    {"mx.example.net:", R"(missing port after ":")"},
    {":25", "missing host"},
    {":", "missing host"},
    {"mx.example.net:0", R"(port "0" is outside 1..65535)"},
    {"mx.example.net:65536", R"(port "65536" is outside 1..65535)"},
    {"mx.example.net:99999999999999999999", R"(port "99999999999999999999" is outside 1..65535)"},
    {"mx.example.net:025", R"(port "025" has a leading zero)"},
    {"mx.example.net:+25", R"(port "+25" is not a decimal number)"},
    {"mx.example.net:-1", R"(port "-1" is not a decimal number)"},
    {"mx.example.net:smtp", R"(port "smtp" is not a decimal number)"},
    {"mx.example.net:25 ", R"(port "25 " is not a decimal number)"},
    {std::string_view("mx.example.net:2\0", 17), R"(port "2\x00" is not a decimal number)"},
    {"::1:25", R"(IPv6 address "::1" must be in brackets)"},
    {"2001:db8::1", R"(IPv6 address "2001:db8:" must be in brackets)"},
    {"a:b:25", R"(IPv6 address "a:b" must be in brackets)"},
    {"[::1]", R"(missing ":PORT" after the host)"},
    {"[::1]25", R"(expected ":PORT" after "]", got "25")"},
    {"[::1]:", R"(missing port after ":")"},
    {"[::1]:0", R"(port "0" is outside 1..65535)"},
    {"[::1:25", R"(missing "]" after the IPv6 address)"},
    {"[", R"(missing "]" after the IPv6 address)"},
    {"[]:25", R"(empty IPv6 address in "[]")"},
    {"[::1]]:25", R"(expected ":PORT" after "]", got "]:25")"},
};

TEST(HostPort, Malformed) {
  for (const auto& c : kMalformed) {
    SCOPED_TRACE(std::string(c.input));
    const auto parsed = parse_host_port(c.input);
    ASSERT_FALSE(parsed.ok());
    EXPECT_EQ(parsed.code(), Errc::syntax);
    EXPECT_EQ(parsed.error().detail, c.detail);
  }
}

TEST(HostPort, PortAlone) {
  EXPECT_EQ(*parse_port("1"), 1);
  EXPECT_EQ(*parse_port("65535"), 65535);
  EXPECT_FALSE(parse_port("").ok());
  EXPECT_FALSE(parse_port("0").ok());
  EXPECT_FALSE(parse_port("65536").ok());
  EXPECT_FALSE(parse_port("00").ok());
}

}  // namespace
}  // namespace parley::config
