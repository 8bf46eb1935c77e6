// parley_dns: Resolver against a small authoritative server
// (tests/support/dns_server.h: UDP and TCP on 127.0.0.1, port chosen by the
// kernel) that answers from a table in DNS wire format (RFC 1035 4.1). No network, no sleeps: each test
// runs the io_context until the coroutine under test finishes.
#include <gtest/gtest.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "dns/resolver.h"
#include "dns/sip_locate.h"
#include "tests/support/dns_server.h"
#include "tests/support/run.h"

namespace parley::dns {
namespace {

using namespace std::chrono_literals;
using boost::system::error_code;
using asio::ip::tcp;
using asio::ip::udp;

using namespace testkit::dns_server;

using testkit::run;
using testkit::run_until;

// Starts `task` and returns where its value will be.
template <class T>
std::shared_ptr<std::optional<T>> spawn(asio::io_context& io, awaitable<T> task) {
  auto out = std::make_shared<std::optional<T>>();
  auto store = [](awaitable<T> t, std::shared_ptr<std::optional<T>> o) -> awaitable<void> {
    o->emplace(co_await std::move(t));
  };
  asio::co_spawn(io, store(std::move(task), out), asio::detached);
  return out;
}

std::vector<std::string> names(const Route& route) {
  std::vector<std::string> out;
  for (const Host& h : route.hosts) out.push_back(h.name);
  return out;
}

std::vector<std::string> texts(const std::vector<asio::ip::address>& addresses) {
  std::vector<std::string> out;
  for (const auto& a : addresses) out.push_back(a.to_string());
  return out;
}

class DnsTest : public ::testing::Test {
 protected:
  DnsTest() : server_(io_) {
    Zone& z = server_.zone;
    // MX records deliberately out of order.
    z.records["example.test"] = {mx(20, "backup.example.test"), mx(10, "mx1.example.test"), mx(10, "mx2.example.test")};
    z.records["mx1.example.test"] = {a("192.0.2.1")};
    z.records["mx2.example.test"] = {a("192.0.2.2"), aaaa("2001:db8::2")};
    z.records["backup.example.test"] = {aaaa("2001:db8::99")};
    z.records["null.test"] = {mx(0, ".")};
    z.records["plain.test"] = {a("198.51.100.7"), aaaa("2001:db8::7")};
    z.records["v6only.test"] = {aaaa("2001:db8::1:2"), aaaa("2001:db8::1:3")};
    z.records["nameonly.test"] = {};
    z.records["dangling.test"] = {mx(10, "nowhere.test"), mx(20, "nameonly.test")};
    z.records["partial.test"] = {mx(10, "nowhere.test"), mx(20, "mx1.example.test")};
    z.records["broken.test"] = {mx(10, "fails.test")};
    z.servfail = {"servfail.test", "fails.test"};
    z.refused = {"refused.test"};
    z.records["big.test"] = {mx(5, "mx1.example.test")};
    z.truncate = {"big.test", "_sip._udp.bigsrv.test"};

    // SIP: SRV and NAPTR (RFC 3263 section 4 examples, in the .test domain).
    z.records["_sip._udp.sip.test"] = {srv_rr(10, 60, 5060, "Proxy1.SIP.test."), srv_rr(20, 0, 5070, "proxy2.sip.test")};
    z.records["_sip._tcp.sip.test"] = {srv_rr(0, 0, 5060, "proxy1.sip.test")};
    z.records["_sips._tcp.sip.test"] = {srv_rr(0, 0, 0, ".")};
    z.records["_sip._udp.bigsrv.test"] = {srv_rr(1, 1, 5062, "proxy1.sip.test")};
    z.records["sip.test"] = {naptr_rr(50, 50, "s", "SIPS+D2T", "", "_sips._tcp.sip.test"),
                             naptr_rr(90, 50, "S", "SIP+D2T", "", "_sip._tcp.sip.test"),
                             naptr_rr(100, 50, "u", "E2U+sip", "!^.*$!sip:info@sip.test!", ".")};
    z.records["proxy1.sip.test"] = {a("192.0.2.11")};
    z.records["proxy2.sip.test"] = {a("192.0.2.12"), aaaa("2001:db8::12")};
    z.records["_sip._udp.shortsrv.test"] = {Rr{kSrv, {0, 1, 0, 2, 0x13}}};  // 5 octets: under the fixed 6
    z.records["cutsrv.test"] = {srv_rr(1, 1, 5060, "proxy1.sip.test")};
    z.cut = {"cutsrv.test", "cutnaptr.test"};
    z.records["cutnaptr.test"] = {naptr_rr(1, 1, "s", "SIP+D2U", "", "_sip._udp.sip.test")};
    z.records["longnaptr.test"] = {Rr{kNaptr, {0, 1, 0, 1, 40, 's'}}};  // a string running off the answer
    z.servfail.insert("_sip._tcp.servfail.test");
  }

  Options options() const {
    Options o;
    o.servers = {server_.address()};
    o.timeout = 1000ms;
    o.tries = 2;
    return o;
  }

  asio::io_context io_;
  FakeServer server_;
};

TEST_F(DnsTest, MxByPreferenceWithAddresses) {
  Resolver resolver(io_, options());
  ASSERT_TRUE(resolver.status().ok()) << resolver.status().error().detail;
  Result<Route> route = run(io_, resolver.route("Example.TEST."));
  ASSERT_TRUE(route.ok()) << route.error().detail;
  EXPECT_FALSE(route->null_mx);
  EXPECT_FALSE(route->implicit);
  ASSERT_EQ(route->hosts.size(), 3u);
  const std::set<std::string> first{route->hosts[0].name, route->hosts[1].name};
  EXPECT_EQ(first, (std::set<std::string>{"mx1.example.test", "mx2.example.test"}));
  EXPECT_EQ(route->hosts[0].preference, 10);
  EXPECT_EQ(route->hosts[1].preference, 10);
  EXPECT_EQ(route->hosts[2].name, "backup.example.test");
  EXPECT_EQ(route->hosts[2].preference, 20);
  for (const Host& h : route->hosts) {
    if (h.name == "mx1.example.test") {
      EXPECT_EQ(texts(h.addresses), std::vector<std::string>{"192.0.2.1"});
    }
    if (h.name == "mx2.example.test") {
      EXPECT_EQ(texts(h.addresses), (std::vector<std::string>{"192.0.2.2", "2001:db8::2"}));
    }
    if (h.name == "backup.example.test") {
      EXPECT_EQ(texts(h.addresses), std::vector<std::string>{"2001:db8::99"});
    }
  }
}

TEST_F(DnsTest, EqualPreferencesAreShuffled) {
  Resolver resolver(io_, options());
  std::set<std::string> firsts;
  for (int i = 0; i < 40 && firsts.size() < 2; ++i) {
    Result<Route> route = run(io_, resolver.route("example.test"));
    ASSERT_TRUE(route.ok()) << route.error().detail;
    firsts.insert(route->hosts[0].name);
    EXPECT_EQ(route->hosts[2].name, "backup.example.test");
  }
  EXPECT_EQ(firsts.size(), 2u);  // 40 draws all alike: 2^-39
}

TEST_F(DnsTest, NullMx) {
  Resolver resolver(io_, options());
  Result<Route> route = run(io_, resolver.route("null.test"));
  ASSERT_TRUE(route.ok()) << route.error().detail;
  EXPECT_TRUE(route->null_mx);
  EXPECT_TRUE(route->hosts.empty());
}

TEST_F(DnsTest, NoMxFallsBackToTheDomainsAddresses) {
  Resolver resolver(io_, options());
  Result<Route> route = run(io_, resolver.route("plain.test"));
  ASSERT_TRUE(route.ok()) << route.error().detail;
  EXPECT_TRUE(route->implicit);
  EXPECT_FALSE(route->null_mx);
  ASSERT_EQ(names(*route), std::vector<std::string>{"plain.test"});
  EXPECT_EQ(route->hosts[0].preference, 0);
  EXPECT_EQ(texts(route->hosts[0].addresses), (std::vector<std::string>{"198.51.100.7", "2001:db8::7"}));
}

TEST_F(DnsTest, NoMxAndNoAddressIsNotFound) {
  Resolver resolver(io_, options());
  Result<Route> route = run(io_, resolver.route("nameonly.test"));
  ASSERT_FALSE(route.ok());
  EXPECT_EQ(route.code(), Errc::not_found) << route.error().detail;
}

TEST_F(DnsTest, NxdomainIsNotFound) {
  Resolver resolver(io_, options());
  Result<Route> route = run(io_, resolver.route("nosuch.test"));
  ASSERT_FALSE(route.ok());
  EXPECT_EQ(route.code(), Errc::not_found) << route.error().detail;
  Result<std::vector<asio::ip::address>> found = run(io_, resolver.addresses("nosuch.test"));
  ASSERT_FALSE(found.ok());
  EXPECT_EQ(found.code(), Errc::not_found);
}

TEST_F(DnsTest, ServfailAndRefusedAreUnavailable) {
  Resolver resolver(io_, options());
  for (const char* name : {"servfail.test", "refused.test"}) {
    Result<Route> route = run(io_, resolver.route(name));
    ASSERT_FALSE(route.ok()) << name;
    EXPECT_EQ(route.code(), Errc::unavailable) << name << ": " << route.error().detail;
  }
}

TEST_F(DnsTest, MxHostsWithoutAddressesAreDropped) {
  Resolver resolver(io_, options());
  Result<Route> route = run(io_, resolver.route("partial.test"));
  ASSERT_TRUE(route.ok()) << route.error().detail;
  EXPECT_EQ(names(*route), std::vector<std::string>{"mx1.example.test"});
  EXPECT_EQ(route->hosts[0].preference, 20);

  for (const char* name : {"dangling.test", "broken.test"}) {
    Result<Route> none = run(io_, resolver.route(name));
    ASSERT_FALSE(none.ok()) << name;
    EXPECT_EQ(none.code(), Errc::unavailable) << name << ": " << none.error().detail;
  }
}

TEST_F(DnsTest, AaaaAddresses) {
  Resolver resolver(io_, options());
  Result<std::vector<asio::ip::address>> found = run(io_, resolver.addresses("v6only.test"));
  ASSERT_TRUE(found.ok()) << found.error().detail;
  EXPECT_EQ(texts(*found), (std::vector<std::string>{"2001:db8::1:2", "2001:db8::1:3"}));
  for (const auto& addr : *found) EXPECT_TRUE(addr.is_v6());

  Result<std::vector<asio::ip::address>> both = run(io_, resolver.addresses("mx2.example.test"));
  ASSERT_TRUE(both.ok()) << both.error().detail;
  EXPECT_EQ(texts(*both), (std::vector<std::string>{"192.0.2.2", "2001:db8::2"}));
}

TEST_F(DnsTest, TruncatedAnswerIsRetriedOverTcp) {
  Resolver resolver(io_, options());
  Result<Route> route = run(io_, resolver.route("big.test"));
  ASSERT_TRUE(route.ok()) << route.error().detail;
  EXPECT_EQ(names(*route), std::vector<std::string>{"mx1.example.test"});
  EXPECT_GE(server_.zone.tcp_queries, 1);
}

TEST_F(DnsTest, SilentServerIsUnavailableWithinTheTimeout) {
  // Bound but never read: no answer and no ICMP port unreachable either.
  udp::socket silent(io_, udp::endpoint(asio::ip::make_address_v4("127.0.0.1"), 0));
  Options o;
  o.servers = {"127.0.0.1:" + std::to_string(silent.local_endpoint().port())};
  o.timeout = 100ms;
  o.tries = 2;  // 100 ms, then 200 ms
  Resolver resolver(io_, o);
  const auto start = std::chrono::steady_clock::now();
  Result<Route> route = run(io_, resolver.route("example.test"));
  const auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(route.ok());
  EXPECT_EQ(route.code(), Errc::unavailable) << route.error().detail;
  EXPECT_GE(elapsed, 250ms);
  EXPECT_LT(elapsed, 3s);
}

TEST_F(DnsTest, ConcurrentLookupsShareTheChannel) {
  Resolver resolver(io_, options());
  auto first = spawn(io_, resolver.route("example.test"));
  auto second = spawn(io_, resolver.addresses("plain.test"));
  auto third = spawn(io_, resolver.route("null.test"));
  run_until(io_, [&] { return first->has_value() && second->has_value() && third->has_value(); });
  ASSERT_TRUE(first->value().ok()) << first->value().error().detail;
  EXPECT_EQ(first->value()->hosts.size(), 3u);
  ASSERT_TRUE(second->value().ok()) << second->value().error().detail;
  EXPECT_EQ(texts(*second->value()), (std::vector<std::string>{"198.51.100.7", "2001:db8::7"}));
  ASSERT_TRUE(third->value().ok());
  EXPECT_TRUE(third->value()->null_mx);
}

TEST_F(DnsTest, DestroyingTheResolverCancelsLookups) {
  udp::socket silent(io_, udp::endpoint(asio::ip::make_address_v4("127.0.0.1"), 0));
  Options o;
  o.servers = {"127.0.0.1:" + std::to_string(silent.local_endpoint().port())};
  auto resolver = std::make_unique<Resolver>(io_, o);
  auto out = spawn(io_, resolver->route("example.test"));
  // Wait until the query is on the wire, then destroy the resolver.
  bool asked = false;
  std::vector<std::uint8_t> buf(512);
  udp::endpoint peer;
  silent.async_receive_from(asio::buffer(buf), peer, [&](error_code ec, std::size_t) { asked = !ec; });
  run_until(io_, [&] { return asked; });
  EXPECT_FALSE(out->has_value());
  resolver.reset();
  run_until(io_, [&] { return out->has_value(); });
  ASSERT_FALSE(out->value().ok());
  EXPECT_EQ(out->value().code(), Errc::cancelled) << out->value().error().detail;
}

TEST_F(DnsTest, BadNamesAndServers) {
  Resolver resolver(io_, options());
  for (const char* name : {"", ".", "a..b", "bad name.test", "[192.0.2.1]"}) {
    Result<Route> route = run(io_, resolver.route(name));
    ASSERT_FALSE(route.ok()) << name;
    EXPECT_EQ(route.code(), Errc::syntax) << name;
  }
  Options o;
  o.servers = {"not an address"};
  Resolver broken(io_, o);
  EXPECT_FALSE(broken.status().ok());
  Result<Route> route = run(io_, broken.route("example.test"));
  ASSERT_FALSE(route.ok());
  EXPECT_EQ(route.code(), broken.status().code());
}

std::vector<std::string> texts(const std::vector<Srv>& records) {
  std::vector<std::string> out;
  for (const Srv& r : records) {
    out.push_back(std::to_string(r.priority) + " " + std::to_string(r.weight) + " " + std::to_string(r.port) + " " +
                  r.target);
  }
  return out;
}

TEST_F(DnsTest, SrvRecordsInAnswerOrder) {
  Resolver resolver(io_, options());
  Result<std::vector<Srv>> found = run(io_, resolver.srv("_SIP._udp.sip.test."));
  ASSERT_TRUE(found.ok()) << found.error().detail;
  EXPECT_EQ(texts(*found), (std::vector<std::string>{"10 60 5060 proxy1.sip.test", "20 0 5070 proxy2.sip.test"}));

  Result<std::vector<Srv>> none = run(io_, resolver.srv("_sips._tcp.sip.test"));
  ASSERT_TRUE(none.ok()) << none.error().detail;
  EXPECT_EQ(texts(*none), std::vector<std::string>{"0 0 0 ."});
}

TEST_F(DnsTest, SrvErrors) {
  Resolver resolver(io_, options());
  struct Case {
    const char* name;
    Errc code;
  };
  const Case cases[] = {
      {"_sip._udp.nosuch.test", Errc::not_found},     // NXDOMAIN
      {"sip.test", Errc::not_found},                   // NODATA: only NAPTR there
      {"_sip._tcp.servfail.test", Errc::unavailable},  // SERVFAIL
      {"_sip._udp.shortsrv.test", Errc::unavailable},  // malformed record
      {"cutsrv.test", Errc::unavailable},              // answer cut short
      {"bad name.test", Errc::syntax},
  };
  for (const Case& c : cases) {
    Result<std::vector<Srv>> found = run(io_, resolver.srv(c.name));
    ASSERT_FALSE(found.ok()) << c.name;
    EXPECT_EQ(found.code(), c.code) << c.name << ": " << found.error().detail;
  }
}

TEST_F(DnsTest, TruncatedSrvAnswerIsRetriedOverTcp) {
  Resolver resolver(io_, options());
  Result<std::vector<Srv>> found = run(io_, resolver.srv("_sip._udp.bigsrv.test"));
  ASSERT_TRUE(found.ok()) << found.error().detail;
  EXPECT_EQ(texts(*found), std::vector<std::string>{"1 1 5062 proxy1.sip.test"});
  EXPECT_GE(server_.zone.tcp_queries, 1);
}

TEST_F(DnsTest, NaptrRecords) {
  Resolver resolver(io_, options());
  Result<std::vector<Naptr>> found = run(io_, resolver.naptr("SIP.test"));
  ASSERT_TRUE(found.ok()) << found.error().detail;
  ASSERT_EQ(found->size(), 3u);
  const Naptr& first = (*found)[0];
  EXPECT_EQ(first.order, 50);
  EXPECT_EQ(first.preference, 50);
  EXPECT_EQ(first.flags, "s");
  EXPECT_EQ(first.service, "SIPS+D2T");
  EXPECT_EQ(first.regexp, "");
  EXPECT_EQ(first.replacement, "_sips._tcp.sip.test");
  EXPECT_EQ((*found)[1].flags, "s");  // "S" in the record
  EXPECT_EQ((*found)[1].order, 90);
  const Naptr& third = (*found)[2];
  EXPECT_EQ(third.flags, "u");
  EXPECT_EQ(third.service, "E2U+sip");
  EXPECT_EQ(third.regexp, "!^.*$!sip:info@sip.test!");
  EXPECT_EQ(third.replacement, ".");
}

TEST_F(DnsTest, NaptrErrors) {
  Resolver resolver(io_, options());
  struct Case {
    const char* name;
    Errc code;
  };
  const Case cases[] = {
      {"nosuch.test", Errc::not_found},        // NXDOMAIN
      {"plain.test", Errc::not_found},         // NODATA
      {"servfail.test", Errc::unavailable},    // SERVFAIL
      {"refused.test", Errc::unavailable},     // REFUSED
      {"longnaptr.test", Errc::unavailable},   // malformed record
      {"cutnaptr.test", Errc::unavailable},    // answer cut short
      {"a..b", Errc::syntax},
  };
  for (const Case& c : cases) {
    Result<std::vector<Naptr>> found = run(io_, resolver.naptr(c.name));
    ASSERT_FALSE(found.ok()) << c.name;
    EXPECT_EQ(found.code(), c.code) << c.name << ": " << found.error().detail;
  }
}

TEST_F(DnsTest, SrvAndNaptrAfterTheResolverIsGone) {
  udp::socket silent(io_, udp::endpoint(asio::ip::make_address_v4("127.0.0.1"), 0));
  Options o;
  o.servers = {"127.0.0.1:" + std::to_string(silent.local_endpoint().port())};
  auto resolver = std::make_unique<Resolver>(io_, o);
  auto srv = spawn(io_, resolver->srv("_sip._udp.sip.test"));
  auto naptr = spawn(io_, resolver->naptr("sip.test"));
  // Both queries on the wire (the coroutines have started), then destroy.
  int asked = 0;
  std::vector<std::uint8_t> buf(512);
  udp::endpoint peer;
  std::function<void(error_code, std::size_t)> on_query = [&](error_code ec, std::size_t) {
    if (ec) return;
    if (++asked < 2) silent.async_receive_from(asio::buffer(buf), peer, on_query);
  };
  silent.async_receive_from(asio::buffer(buf), peer, on_query);
  run_until(io_, [&] { return asked == 2; });
  resolver.reset();
  run_until(io_, [&] { return srv->has_value() && naptr->has_value(); });
  ASSERT_FALSE(srv->value().ok());
  EXPECT_EQ(srv->value().code(), Errc::cancelled);
  ASSERT_FALSE(naptr->value().ok());
  EXPECT_EQ(naptr->value().code(), Errc::cancelled);
}

std::vector<std::string> texts(const std::vector<Target>& targets) {
  std::vector<std::string> out;
  for (const Target& t : targets) {
    out.push_back(std::string(transport_name(t.transport)) + " " + t.address.to_string() + " " + std::to_string(t.port));
  }
  return out;
}

std::uint32_t lowest_draw(std::uint32_t) { return 0; }

TEST_F(DnsTest, SipLocateThroughNaptrSrvAndAddresses) {
  Resolver resolver(io_, options());
  struct Case {
    SipDestination to;
    std::vector<std::string> want;
  };
  const Case cases[] = {
      // NAPTR: SIPS+D2T first, but its SRV says "."; then SIP+D2T.
      {{.host = "sip.test"}, {"tcp 192.0.2.11 5060"}},
      {{.host = "sip.test", .transport = "udp"},
       {"udp 192.0.2.11 5060", "udp 192.0.2.12 5070", "udp 2001:db8::12 5070"}},
      // No NAPTR, no SRV: the host's own addresses.
      {{.host = "plain.test"}, {"udp 198.51.100.7 5060", "udp 2001:db8::7 5060"}},
      {{.host = "plain.test", .sips = true}, {"tls 198.51.100.7 5061", "tls 2001:db8::7 5061"}},
      {{.host = "proxy2.sip.test", .port = 5999, .transport = "tcp"}, {"tcp 192.0.2.12 5999", "tcp 2001:db8::12 5999"}},
      {{.host = "[2001:db8::5]"}, {"udp 2001:db8::5 5060"}},
  };
  for (const Case& c : cases) {
    Result<std::vector<Target>> got = run(io_, locate(resolver, c.to, &lowest_draw));
    ASSERT_TRUE(got.ok()) << c.to.host << ": " << got.error().detail;
    EXPECT_EQ(texts(*got), c.want) << c.to.host;
  }
}

TEST_F(DnsTest, SipLocateErrors) {
  Resolver resolver(io_, options());
  struct Case {
    SipDestination to;
    Errc code;
  };
  const Case cases[] = {
      {{.host = "nosuch.test"}, Errc::not_found},
      {{.host = "servfail.test"}, Errc::unavailable},  // the NAPTR lookup
      {{.host = "sip.test", .sips = true}, Errc::not_found},  // _sips._tcp is "."
      {{.host = "bad name.test"}, Errc::syntax},
  };
  for (const Case& c : cases) {
    Result<std::vector<Target>> got = run(io_, locate(resolver, c.to));
    ASSERT_FALSE(got.ok()) << c.to.host;
    EXPECT_EQ(got.code(), c.code) << c.to.host << ": " << got.error().detail;
  }
}

TEST_F(DnsTest, SipLocateEndsWhenTheResolverIsDestroyed) {
  udp::socket silent(io_, udp::endpoint(asio::ip::make_address_v4("127.0.0.1"), 0));
  Options o;
  o.servers = {"127.0.0.1:" + std::to_string(silent.local_endpoint().port())};
  auto resolver = std::make_unique<Resolver>(io_, o);
  SipDestination to{.host = "sip.test"};
  auto out = spawn(io_, locate(*resolver, to));
  bool asked = false;
  std::vector<std::uint8_t> buf(512);
  udp::endpoint peer;
  silent.async_receive_from(asio::buffer(buf), peer, [&](error_code ec, std::size_t) { asked = !ec; });
  run_until(io_, [&] { return asked; });
  resolver.reset();
  run_until(io_, [&] { return out->has_value(); });
  ASSERT_FALSE(out->value().ok());
  EXPECT_EQ(out->value().code(), Errc::cancelled) << out->value().error().detail;
}

}  // namespace
}  // namespace parley::dns
