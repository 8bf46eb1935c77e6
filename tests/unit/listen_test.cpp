// parse_listen / to_string: table-driven valid and malformed specs. The
// same tables seed tests/fuzz/corpus/listen_spec_fuzz/.
#include <gtest/gtest.h>

#include <string>

#include "config/listen.h"

namespace parley::config {
namespace {

using Proto = ListenSpec::Proto;

struct Valid {
  std::string_view input;
  ListenSpec expected;
  std::string_view canonical;
};

const Valid kValid[] = {
    {"smtp=tcp:0.0.0.0:25", {"smtp", Proto::tcp, "0.0.0.0", 25}, "smtp=tcp:0.0.0.0:25"},
    {"sip=udp:192.0.2.1:5060", {"sip", Proto::udp, "192.0.2.1", 5060}, "sip=udp:192.0.2.1:5060"},
    {"smtp=tcp:[::1]:25", {"smtp", Proto::tcp, "::1", 25}, "smtp=tcp:[::1]:25"},
    {"imap=tcp:[::]:143", {"imap", Proto::tcp, "::", 143}, "imap=tcp:[::]:143"},
    {"all=tcp:*:587", {"all", Proto::tcp, "*", 587}, "all=tcp:*:587"},
    {"a=udp:127.0.0.1:1", {"a", Proto::udp, "127.0.0.1", 1}, "a=udp:127.0.0.1:1"},
    {"max-port=tcp:127.0.0.1:65535", {"max-port", Proto::tcp, "127.0.0.1", 65535}, "max-port=tcp:127.0.0.1:65535"},
    {"0-9=tcp:*:80", {"0-9", Proto::tcp, "*", 80}, "0-9=tcp:*:80"},
    // IPv6 is kept in inet_ntop's canonical spelling.
    {"v6=tcp:[0:0:0:0:0:0:0:1]:993", {"v6", Proto::tcp, "::1", 993}, "v6=tcp:[::1]:993"},
    {"v6=tcp:[2001:DB8::A]:443", {"v6", Proto::tcp, "2001:db8::a", 443}, "v6=tcp:[2001:db8::a]:443"},
    {"mapped=tcp:[::ffff:192.0.2.1]:25", {"mapped", Proto::tcp, "::ffff:192.0.2.1", 25},
     "mapped=tcp:[::ffff:192.0.2.1]:25"},
    {"local=unix:/run/parley/submit.sock", {"local", Proto::unix_stream, "/run/parley/submit.sock", 0},
     "local=unix:/run/parley/submit.sock"},
    {"local=unix:var/run/a:b.sock", {"local", Proto::unix_stream, "var/run/a:b.sock", 0}, "local=unix:var/run/a:b.sock"},
};

TEST(listen, ValidSpecs) {
  for (const auto& c : kValid) {
    SCOPED_TRACE(std::string(c.input));
    const auto spec = parse_listen(c.input);
    ASSERT_TRUE(spec.ok()) << spec.error().detail;
    EXPECT_EQ(*spec, c.expected);
    EXPECT_EQ(to_string(*spec), c.canonical);
    // The canonical text parses back to the same spec.
    const auto again = parse_listen(to_string(*spec));
    ASSERT_TRUE(again.ok()) << again.error().detail;
    EXPECT_EQ(*again, *spec);
  }
}

struct Malformed {
  std::string_view input;
  Errc code;
  std::string_view detail;
};

const Malformed kMalformed[] = {
    {"", Errc::syntax, R"(missing "=" after the name (NAME=PROTO:HOST:PORT))"},
    {"local=unix:", Errc::syntax, R"(missing socket path after "unix:")"},
    {"local=unix:/run/a b", Errc::syntax, R"(socket path "/run/a b" has a space or control character)"},
    {"local=unix", Errc::syntax, R"(unknown protocol "unix" (expected tcp, udp or unix))"},
    {"tcp:1.2.3.4:25", Errc::syntax, R"(missing "=" after the name (NAME=PROTO:HOST:PORT))"},
    {"=tcp:1.2.3.4:25", Errc::syntax, R"(empty name before "=")"},
    {"Smtp=tcp:1.2.3.4:25", Errc::syntax, R"(name "Smtp" has characters outside [a-z0-9-])"},
    {"sm_tp=tcp:1.2.3.4:25", Errc::syntax, R"(name "sm_tp" has characters outside [a-z0-9-])"},
    {"smtp=sctp:1.2.3.4:25", Errc::syntax, R"(unknown protocol "sctp" (expected tcp, udp or unix))"},
    {"smtp=TCP:1.2.3.4:25", Errc::syntax, R"(unknown protocol "TCP" (expected tcp, udp or unix))"},
    {"smtp=tcp", Errc::syntax, R"(missing ":HOST:PORT" after the protocol)"},
    {"smtp=tcp:1.2.3.4", Errc::syntax, R"(missing ":PORT" after the host)"},
    {"smtp=tcp:1.2.3.4:", Errc::syntax, R"(missing port after ":")"},
    {"smtp=tcp:1.2.3.4:0", Errc::syntax, R"(port "0" is outside 1..65535)"},
    {"smtp=tcp:1.2.3.4:65536", Errc::syntax, R"(port "65536" is outside 1..65535)"},
    {"smtp=tcp:1.2.3.4:99999999999999999999", Errc::syntax, R"(port "99999999999999999999" is outside 1..65535)"},
    {"smtp=tcp:1.2.3.4:025", Errc::syntax, R"(port "025" has a leading zero)"},
    {"smtp=tcp:1.2.3.4:+25", Errc::syntax, R"(port "+25" is not a decimal number)"},
    {"smtp=tcp:1.2.3.4:smtp", Errc::syntax, R"(port "smtp" is not a decimal number)"},
    {"smtp=tcp::25", Errc::syntax, R"(missing host (use "*" or "[::]" for all addresses))"},
    {"smtp=tcp:1.2.3:25", Errc::syntax, R"(bad IPv4 address "1.2.3")"},
    {"smtp=tcp:256.1.1.1:25", Errc::syntax, R"(bad IPv4 address "256.1.1.1")"},
    {"smtp=tcp:01.2.3.4:25", Errc::syntax, R"(bad IPv4 address "01.2.3.4")"},
    {"smtp=tcp:localhost:25", Errc::syntax, R"(bad IPv4 address "localhost")"},
    {"smtp=tcp:::1:25", Errc::syntax, R"(IPv6 address "::1" must be in brackets)"},
    {"smtp=tcp:[::g]:25", Errc::syntax, R"(bad IPv6 address "::g")"},
    {"smtp=tcp:[1.2.3.4]:25", Errc::syntax, R"(bad IPv6 address "1.2.3.4")"},
    {"smtp=tcp:[fe80::1%eth0]:25", Errc::syntax, R"(bad IPv6 address "fe80::1%eth0")"},
    {"smtp=tcp:[]:25", Errc::syntax, R"(empty IPv6 address in "[]")"},
    {"smtp=tcp:[::1:25", Errc::syntax, R"(missing "]" after the IPv6 address)"},
    {"smtp=tcp:[::1]", Errc::syntax, R"(missing ":PORT" after the host)"},
    {"smtp=tcp:[::1]25", Errc::syntax, R"(expected ":PORT" after "]", got "25")"},
    {std::string_view("smtp=tcp:1.2.3.4\0:25", 20), Errc::syntax, R"(bad IPv4 address "1.2.3.4\x00")"},
    {"smtp=tcp:1.2.3.4:25 ", Errc::syntax, R"(port "25 " is not a decimal number)"},
};

TEST(listen, MalformedSpecs) {
  for (const auto& c : kMalformed) {
    SCOPED_TRACE(std::string(c.input));
    const auto spec = parse_listen(c.input);
    ASSERT_FALSE(spec.ok());
    EXPECT_EQ(spec.code(), c.code);
    EXPECT_EQ(spec.error().detail, c.detail);
  }
}

TEST(listen, LongSpecsAreRejected) {
  const std::string long_name(kMaxListenName + 1, 'a');
  const auto name = parse_listen(long_name + "=tcp:*:25");
  ASSERT_FALSE(name.ok());
  EXPECT_EQ(name.code(), Errc::syntax);
  EXPECT_EQ(name.error().detail, "name longer than 64 bytes");

  const auto spec = parse_listen(std::string(kMaxListenSpec + 1, 'a'));
  ASSERT_FALSE(spec.ok());
  EXPECT_EQ(spec.code(), Errc::syntax);
  EXPECT_EQ(spec.error().detail, "longer than " + std::to_string(kMaxListenSpec) + " bytes");

  // The longest valid specs fit the limit: an IPv6 one, and a unix one
  // with the longest path (which makes the limit).
  const std::string longest_ip = std::string(kMaxListenName, 'a') +
                                 "=tcp:[ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255]:65535";
  EXPECT_LE(longest_ip.size(), kMaxListenSpec);
  ASSERT_TRUE(parse_listen(longest_ip).ok());
  const std::string longest = std::string(kMaxListenName, 'a') + "=unix:/" + std::string(kMaxUnixPath - 1, 'p');
  EXPECT_EQ(longest.size(), kMaxListenSpec);
  const auto ok = parse_listen(longest);
  ASSERT_TRUE(ok.ok()) << ok.error().detail;
  const auto too_long = parse_listen("a=unix:/" + std::string(kMaxUnixPath, 'p'));
  ASSERT_FALSE(too_long.ok());
  EXPECT_EQ(too_long.error().detail, "socket path longer than 107 bytes");
}

}  // namespace
}  // namespace parley::config
