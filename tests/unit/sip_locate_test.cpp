// parley_dns: RFC 3263 section 4 server location as a pure function, fed
// from an in-memory table of answers (the same procedure over the wire is
// in dns_test), and RFC 2782 SRV ordering with a scripted random source.
#include <gtest/gtest.h>

#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "dns/sip_locate.h"

namespace parley::dns {
namespace {

using Addresses = std::vector<asio::ip::address>;

// Answers by name; a name not in a table is not_found.
struct Answers {
  std::map<std::string, Result<std::vector<Naptr>>> naptr;
  std::map<std::string, Result<std::vector<Srv>>> srv;
  std::map<std::string, Result<Addresses>> addresses;
};

template <class T>
Result<T> answer(const std::map<std::string, Result<T>>& table, const std::string& name) {
  auto it = table.find(name);
  if (it == table.end()) return fail(Errc::not_found, name);
  return it->second;
}

Addresses ips(std::initializer_list<const char*> texts) {
  Addresses out;
  for (const char* t : texts) out.push_back(asio::ip::make_address(t));
  return out;
}

Error temporary() { return fail(Errc::unavailable, "SERVFAIL"); }

std::string text(const Target& t) {
  const std::string address = t.address.is_v6() ? "[" + t.address.to_string() + "]" : t.address.to_string();
  return std::string(transport_name(t.transport)) + " " + address + ":" + std::to_string(t.port);
}

struct Outcome {
  Result<std::vector<std::string>> targets;
  std::vector<std::string> lookups;  // "naptr NAME", "srv NAME", "addresses NAME", in the order asked
};

// Runs select_targets to its end the way locate() does.
Outcome drive(const SipDestination& to, const Answers& dns, const Random& random) {
  Records records;
  std::vector<std::string> asked;
  for (int round = 0; round < 6; ++round) {
    Result<Selection> step = select_targets(to, records, random);
    if (!step) return Outcome{step.error(), asked};
    if (step->needed.empty()) {
      std::vector<std::string> out;
      for (const Target& t : step->targets) out.push_back(text(t));
      return Outcome{out, asked};
    }
    for (const Lookup& l : step->needed) {
      if (l.type == Lookup::Type::naptr) {
        asked.push_back("naptr " + l.name);
        records.naptr.emplace(answer(dns.naptr, l.name));
      } else if (l.type == Lookup::Type::srv) {
        asked.push_back("srv " + l.name);
        records.srv.insert_or_assign(l.name, answer(dns.srv, l.name));
      } else {
        asked.push_back("addresses " + l.name);
        records.addresses.insert_or_assign(l.name, answer(dns.addresses, l.name));
      }
    }
  }
  return Outcome{fail(Errc::internal, "did not settle"), asked};
}

Answers zone() {
  Answers z;
  // RFC 3263 4.1's example, in .test.
  z.naptr.emplace("example.test", std::vector<Naptr>{
                                      {90, 50, "s", "SIP+D2T", "", "_sip._tcp.example.test"},
                                      {50, 50, "s", "SIPS+D2T", "", "_sips._tcp.example.test"},
                                      {100, 50, "s", "SIP+D2U", "", "_sip._udp.example.test"},
                                  });
  z.srv.emplace("_sips._tcp.example.test", std::vector<Srv>{{0, 0, 5061, "tls1.example.test"}});
  z.srv.emplace("_sip._tcp.example.test", std::vector<Srv>{{0, 0, 5060, "tcp1.example.test"}});
  z.srv.emplace("_sip._udp.example.test",
                std::vector<Srv>{{20, 0, 5070, "udp2.example.test"}, {10, 0, 5060, "udp1.example.test"}});
  z.addresses.emplace("example.test", ips({"192.0.2.100"}));
  z.addresses.emplace("tls1.example.test", ips({"192.0.2.1"}));
  z.addresses.emplace("tcp1.example.test", ips({"192.0.2.2"}));
  z.addresses.emplace("udp1.example.test", ips({"192.0.2.3", "2001:db8::3"}));
  z.addresses.emplace("udp2.example.test", ips({"192.0.2.4"}));

  z.srv.emplace("_sip._udp.nonaptr.test", std::vector<Srv>{{0, 0, 5060, "udp1.example.test"}});
  z.addresses.emplace("plain.test", ips({"198.51.100.1"}));
  z.srv.emplace("_sips._tcp.closed.test", std::vector<Srv>{{0, 0, 0, "."}});
  z.addresses.emplace("closed.test", ips({"198.51.100.2"}));
  z.naptr.emplace("flaky.test", temporary());
  z.addresses.emplace("flaky.test", ips({"198.51.100.3"}));
  z.srv.emplace("_sips._tcp.flakysrv.test", temporary());
  z.addresses.emplace("flakysrv.test", ips({"198.51.100.4"}));
  z.srv.emplace("_sips._tcp.partflaky.test", temporary());
  z.srv.emplace("_sip._udp.partflaky.test", std::vector<Srv>{{0, 0, 5060, "udp2.example.test"}});
  // Nothing usable: a "u" record, an unknown service, an "s" record without
  // a replacement, a "a" flag.
  z.naptr.emplace("odd.test", std::vector<Naptr>{
                                  {10, 10, "u", "E2U+sip", "!^.*$!sip:a@odd.test!", "."},
                                  {10, 10, "s", "SIP+D2X", "", "_sip._x.odd.test"},
                                  {10, 10, "s", "SIP+D2U", "", "."},
                                  {10, 10, "a", "SIP+D2U", "", "odd.test"},
                              });
  z.srv.emplace("_sip._tcp.odd.test", std::vector<Srv>{{0, 0, 5060, "tcp1.example.test"}});
  z.srv.emplace("_sip._udp.dangling.test", std::vector<Srv>{{0, 0, 5060, "nohost.test"}});
  // Same order: preference decides; "sip+d2t" is case-blind.
  z.naptr.emplace("prefs.test", std::vector<Naptr>{
                                    {10, 20, "s", "SIP+D2U", "", "_sip._udp.example.test"},
                                    {10, 10, "s", "sip+d2t", "", "_sip._tcp.example.test"},
                                });
  // NAPTR pointing at SRV names that do not exist: the host's addresses.
  z.naptr.emplace("stale.test", std::vector<Naptr>{{10, 10, "s", "SIP+D2U", "", "_sip._udp.gone.test"}});
  z.addresses.emplace("stale.test", ips({"198.51.100.5"}));
  z.addresses.emplace("unreachable.test", Result<Addresses>(temporary()));
  return z;
}

struct Case {
  const char* label;
  SipDestination to;
  std::vector<std::string> targets;  // expected, in order; empty when an error is
  std::optional<Errc> error;
  std::vector<std::string> lookups;  // expected, when not empty
};

const std::vector<std::string> kExampleAll = {"tls 192.0.2.1:5061", "tcp 192.0.2.2:5060", "udp 192.0.2.3:5060",
                                              "udp [2001:db8::3]:5060", "udp 192.0.2.4:5070"};

const Case kCases[] = {
    {"numeric v4", {.host = "192.0.2.9"}, {"udp 192.0.2.9:5060"}, {}, {}},
    {"numeric v6, port, tcp",
     {.host = "[2001:DB8::9]", .port = 5080, .transport = "TCP"},
     {"tcp [2001:db8::9]:5080"},
     {},
     {}},
    {"numeric sips", {.host = "192.0.2.9", .sips = true}, {"tls 192.0.2.9:5061"}, {}, {}},
    {"numeric sips tcp is tls", {.host = "192.0.2.9", .transport = "tcp", .sips = true}, {"tls 192.0.2.9:5061"}, {}, {}},
    {"explicit port: addresses only",
     {.host = "Example.TEST.", .port = 5070},
     {"udp 192.0.2.100:5070"},
     {},
     {"addresses example.test"}},
    {"explicit port, tls", {.host = "example.test", .port = 5071, .transport = "tls"}, {"tls 192.0.2.100:5071"}, {}, {}},
    {"transport: that SRV only",
     {.host = "example.test", .transport = "tcp"},
     {"tcp 192.0.2.2:5060"},
     {},
     {"srv _sip._tcp.example.test", "addresses tcp1.example.test"}},
    {"NAPTR by order, then SRV by priority", {.host = "example.test"}, kExampleAll, {}, {}},
    {"sips: SIPS+D2T only", {.host = "example.test", .sips = true}, {"tls 192.0.2.1:5061"}, {}, {}},
    {"NAPTR preference within an order",
     {.host = "prefs.test"},
     {"tcp 192.0.2.2:5060", "udp 192.0.2.3:5060", "udp [2001:db8::3]:5060", "udp 192.0.2.4:5070"},
     {},
     {}},
    {"no NAPTR: SRV of each transport",
     {.host = "nonaptr.test"},
     {"udp 192.0.2.3:5060", "udp [2001:db8::3]:5060"},
     {},
     {"naptr nonaptr.test", "srv _sips._tcp.nonaptr.test", "srv _sip._tcp.nonaptr.test", "srv _sip._udp.nonaptr.test",
      "addresses udp1.example.test"}},
    {"no NAPTR, sips: _sips._tcp only",
     {.host = "nonaptr.test", .sips = true},
     {},
     Errc::not_found,
     {"naptr nonaptr.test", "srv _sips._tcp.nonaptr.test", "addresses nonaptr.test"}},
    {"unusable NAPTR: SRV of each transport", {.host = "odd.test"}, {"tcp 192.0.2.2:5060"}, {}, {}},
    {"no SRV: addresses on 5060", {.host = "plain.test"}, {"udp 198.51.100.1:5060"}, {}, {}},
    {"no SRV, sips: addresses on 5061", {.host = "plain.test", .sips = true}, {"tls 198.51.100.1:5061"}, {}, {}},
    {"no SRV, transport UDP", {.host = "plain.test", .transport = "UDP"}, {"udp 198.51.100.1:5060"}, {},
     {"srv _sip._udp.plain.test", "addresses plain.test"}},
    {"no SRV, transport tcp", {.host = "plain.test", .transport = "tcp"}, {"tcp 198.51.100.1:5060"}, {}, {}},
    {"NAPTR to missing SRV: addresses", {.host = "stale.test"}, {"udp 198.51.100.5:5060"}, {}, {}},
    {"SRV target \".\": not available", {.host = "closed.test", .sips = true}, {}, Errc::not_found, {}},
    {"NAPTR SERVFAIL", {.host = "flaky.test"}, {}, Errc::unavailable, {"naptr flaky.test"}},
    {"SRV SERVFAIL, nothing else", {.host = "flakysrv.test"}, {}, Errc::unavailable, {}},
    {"SRV SERVFAIL, another transport found", {.host = "partflaky.test"}, {"udp 192.0.2.4:5060"}, {}, {}},
    {"NXDOMAIN everywhere", {.host = "nowhere.test"}, {}, Errc::not_found, {}},
    {"SRV target without address", {.host = "dangling.test"}, {}, Errc::not_found, {}},
    {"address lookup SERVFAIL", {.host = "unreachable.test", .port = 5060}, {}, Errc::unavailable, {}},
    {"unknown transport", {.host = "example.test", .transport = "sctp"}, {}, Errc::invalid, {}},
    {"sips over udp", {.host = "example.test", .transport = "udp", .sips = true}, {}, Errc::invalid, {}},
    {"empty host", {.host = ""}, {}, Errc::syntax, {}},
    {"empty IPv6 reference", {.host = "[]"}, {}, Errc::syntax, {}},
};

// Always the lowest draw: the first of the records left (zero weights first).
std::uint32_t lowest(std::uint32_t) { return 0; }

TEST(SipLocate, Table) {
  const Answers dns = zone();
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.label);
    Outcome got = drive(c.to, dns, &lowest);
    if (c.error) {
      ASSERT_FALSE(got.targets.ok());
      EXPECT_EQ(got.targets.code(), *c.error) << got.targets.error().detail;
    } else {
      ASSERT_TRUE(got.targets.ok()) << got.targets.error().detail;
      EXPECT_EQ(*got.targets, c.targets);
    }
    if (!c.lookups.empty()) {
      EXPECT_EQ(got.lookups, c.lookups);
    }
  }
}

TEST(SipLocate, TargetsAreBoundedAndUnique) {
  Answers dns;
  std::vector<Srv> many;
  for (int i = 0; i < 50; ++i) many.push_back(Srv{0, 0, static_cast<std::uint16_t>(6000 + i), "h.test"});
  many.push_back(Srv{0, 0, 6000, "h.test"});  // a duplicate
  dns.srv.emplace("_sip._udp.many.test", many);
  dns.addresses.emplace("h.test", ips({"192.0.2.1", "192.0.2.1"}));
  Outcome got = drive({.host = "many.test", .transport = "udp"}, dns, &lowest);
  ASSERT_TRUE(got.targets.ok()) << got.targets.error().detail;
  EXPECT_EQ(got.targets->size(), kMaxTargets);
  EXPECT_EQ((*got.targets)[0], "udp 192.0.2.1:6000");
  EXPECT_EQ((*got.targets)[1], "udp 192.0.2.1:6001");
}

// Returns the scripted draws in turn and checks each bound it was given.
struct Script {
  std::deque<std::pair<std::uint32_t, std::uint32_t>> draws;  // (expected max, value)
  std::uint32_t operator()(std::uint32_t max) {
    EXPECT_FALSE(draws.empty());
    if (draws.empty()) return 0;
    auto [want, value] = draws.front();
    draws.pop_front();
    EXPECT_EQ(max, want);
    return value;
  }
};

std::vector<std::string> targets(const std::vector<Srv>& records) {
  std::vector<std::string> out;
  for (const Srv& r : records) out.push_back(r.target);
  return out;
}

TEST(OrderSrv, PriorityThenWeightedDraw) {
  const std::vector<Srv> records = {
      {20, 5, 5060, "late"}, {10, 10, 5060, "a"}, {10, 30, 5060, "b"}, {10, 0, 5060, "zero"}, {5, 0, 5060, "."},
  };
  struct Row {
    std::vector<std::pair<std::uint32_t, std::uint32_t>> draws;
    std::vector<std::string> want;
  };
  // Priority 10 runs zero(0) a(10) b(40): a draw of 0 picks "zero", 1..10
  // "a", 11..40 "b"; then the sums shrink with each pick.
  const Row rows[] = {
      {{{40, 0}, {40, 0}, {30, 0}, {5, 3}}, {"zero", "a", "b", "late"}},
      {{{40, 25}, {10, 0}, {10, 10}, {5, 5}}, {"b", "zero", "a", "late"}},
      {{{40, 10}, {30, 1}, {0, 0}, {5, 0}}, {"a", "b", "zero", "late"}},
      {{{40, 11}, {10, 10}, {0, 0}, {5, 0}}, {"b", "a", "zero", "late"}},
  };
  for (const Row& row : rows) {
    Script script{{row.draws.begin(), row.draws.end()}};
    std::vector<Srv> got = order_srv(records, std::ref(script));
    EXPECT_EQ(targets(got), row.want);
    EXPECT_TRUE(script.draws.empty());
  }
}

TEST(OrderSrv, WeightsShapeTheDraw) {
  const std::vector<Srv> records = {{0, 1, 5060, "light"}, {0, 99, 5060, "heavy"}};
  Random random = default_random();
  int heavy_first = 0;
  for (int i = 0; i < 1000; ++i) {
    if (order_srv(records, random)[0].target == "heavy") ++heavy_first;
  }
  EXPECT_GT(heavy_first, 900);  // expected 990
  EXPECT_LT(heavy_first, 1000);
}

TEST(OrderSrv, OnlyUnavailableTargets) {
  EXPECT_TRUE(order_srv({{0, 0, 0, "."}}, &lowest).empty());
  EXPECT_TRUE(order_srv({}, &lowest).empty());
}

}  // namespace
}  // namespace parley::dns
