// The registrar's bindings (RFC 3261 10.3, RFC 5626): REGISTERs applied to
// an account's bindings with an injected clock: several contacts, "*",
// expires parameter against header, 423, the cap, q order, CSeq order,
// instance replacement, the per-account limit; malformed values refused.
// Then the LMDB store: kept across reopening, refusals writing nothing,
// expiry sweeps on the injected clock, the listing, damaged records.
#include "sip/registrar.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "lmdb/lmdb.h"
#include "schema/sip.pb.h"
#include "sip/bindings.h"
#include "sip/message.h"
#include "tests/support/result_assert.h"
#include "tests/support/temp_dir.h"

namespace parley::sip {
namespace {

using testkit::Fails;
using testkit::Ok;

constexpr std::int64_t kNow = 1'000'000;

// A REGISTER from alice with `extra` header lines ("\n"-separated, CRLF on
// the wire).
std::string register_text(std::string_view extra, std::uint32_t cseq = 1, std::string_view call_id = "reg-1") {
  std::string text =
      "REGISTER sip:example.com SIP/2.0\n"
      "Via: SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bKreg" +
      std::to_string(cseq) +
      "\n"
      "From: <sip:alice@example.com>;tag=a1\n"
      "To: <sip:alice@example.com>\n"
      "Call-ID: " +
      std::string(call_id) + "\nCSeq: " + std::to_string(cseq) + " REGISTER\nMax-Forwards: 70\n";
  text += extra;
  if (!extra.empty() && extra.back() != '\n') text += "\n";
  std::string out;
  for (char c : text) {
    if (c == '\n') {
      out += "\r\n";
    } else {
      out.push_back(c);
    }
  }
  return out + "Content-Length: 0\r\n\r\n";
}

Message reg(std::string_view extra, std::uint32_t cseq = 1, std::string_view call_id = "reg-1") {
  auto m = parse_message(register_text(extra, cseq, call_id));
  EXPECT_TRUE(Ok(m)) << extra;
  return std::move(*m);
}

RegisterOutcome apply(std::string_view extra, std::vector<Binding> current = {}, std::uint32_t cseq = 1,
                      std::string_view call_id = "reg-1", const RegistrarPolicy& policy = {}, std::int64_t now = kNow) {
  return apply_register(reg(extra, cseq, call_id), std::move(current), policy, "udp:198.51.100.7:5060", now);
}

std::vector<std::string> uris(const std::vector<Binding>& bindings) {
  std::vector<std::string> out;
  for (const auto& b : bindings) out.push_back(b.uri);
  return out;
}

TEST(Registrar, SeveralContactsEachWithItsInterval) {
  const auto out = apply(
      "Contact: <sip:alice@198.51.100.7:5060>;expires=120, <sip:alice@203.0.113.9>\n"
      "Contact: <sip:alice@192.0.2.4;transport=tcp>;expires=0\n"
      "Expires: 600");
  ASSERT_TRUE(out.ok()) << out.detail;
  EXPECT_TRUE(out.changed);
  ASSERT_EQ(out.bindings.size(), 2u);  // expires=0 for an unknown contact binds nothing
  EXPECT_EQ(out.bindings[0].uri, "sip:alice@198.51.100.7:5060");
  EXPECT_EQ(out.bindings[0].expires_at, kNow + 120);  // the parameter wins over the header
  EXPECT_EQ(out.bindings[1].uri, "sip:alice@203.0.113.9");
  EXPECT_EQ(out.bindings[1].expires_at, kNow + 600);  // the header
  EXPECT_EQ(out.bindings[0].call_id, "reg-1");
  EXPECT_EQ(out.bindings[0].cseq, 1u);
  EXPECT_EQ(out.bindings[0].flow, "udp:198.51.100.7:5060");
  EXPECT_EQ(contact_value(out.bindings[0], kNow + 20), "<sip:alice@198.51.100.7:5060>;expires=100");
}

TEST(Registrar, DefaultIntervalWithoutExpires) {
  RegistrarPolicy policy;
  policy.default_expires = 1800;
  const auto out = apply("Contact: <sip:alice@198.51.100.7>", {}, 1, "reg-1", policy);
  ASSERT_TRUE(out.ok());
  ASSERT_EQ(out.bindings.size(), 1u);
  EXPECT_EQ(out.bindings[0].expires_at, kNow + 1800);
}

TEST(Registrar, NoContactIsAQuery) {
  const auto first = apply("Contact: <sip:alice@198.51.100.7>");
  ASSERT_TRUE(first.ok());
  const auto query = apply("", first.bindings, 2);
  ASSERT_TRUE(query.ok());
  EXPECT_FALSE(query.changed);
  EXPECT_EQ(query.bindings, first.bindings);
  // Expired bindings are not listed.
  const auto later = apply("", first.bindings, 3, "reg-1", {}, kNow + 3600);
  ASSERT_TRUE(later.ok());
  EXPECT_TRUE(later.bindings.empty());
}

TEST(Registrar, TooBriefIs423WithMinExpires) {
  RegistrarPolicy policy;
  policy.min_expires = 300;
  auto out = apply("Contact: <sip:alice@198.51.100.7>;expires=60", {}, 1, "reg-1", policy);
  EXPECT_EQ(out.refusal, Refusal::interval_too_brief);
  EXPECT_EQ(out.min_expires, 300u);
  out = apply("Contact: <sip:alice@198.51.100.7>\nExpires: 299", {}, 1, "reg-1", policy);
  EXPECT_EQ(out.refusal, Refusal::interval_too_brief);
  // One brief contact refuses the whole request.
  out = apply("Contact: <sip:a@192.0.2.1>, <sip:a@192.0.2.2>;expires=10\nExpires: 3600", {}, 1, "reg-1", policy);
  EXPECT_EQ(out.refusal, Refusal::interval_too_brief);
  EXPECT_TRUE(out.bindings.empty());
  // Exactly the minimum, and zero, are fine.
  out = apply("Contact: <sip:alice@198.51.100.7>;expires=300, <sip:a@192.0.2.9>;expires=0", {}, 1, "reg-1", policy);
  EXPECT_TRUE(out.ok()) << out.detail;
  // A 423 only under an hour (RFC 3261 10.3 step 7): a larger minimum is
  // taken as 3600.
  policy.min_expires = 7200;
  out = apply("Contact: <sip:alice@198.51.100.7>;expires=3600", {}, 1, "reg-1", policy);
  EXPECT_TRUE(out.ok());
  out = apply("Contact: <sip:alice@198.51.100.7>;expires=3599", {}, 1, "reg-1", policy);
  EXPECT_EQ(out.refusal, Refusal::interval_too_brief);
  EXPECT_EQ(out.min_expires, 3600u);
}

TEST(Registrar, LongIntervalsAreCapped) {
  RegistrarPolicy policy;
  policy.max_expires = 7200;
  const auto out = apply("Contact: <sip:alice@198.51.100.7>;expires=4294967295", {}, 1, "reg-1", policy);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out.bindings[0].expires_at, kNow + 7200);
}

TEST(Registrar, QValuesOrderTheBindings) {
  const auto out = apply(
      "Contact: <sip:a@192.0.2.1>;q=0.1, <sip:a@192.0.2.2>, <sip:a@192.0.2.3>;q=0.75\n"
      "Contact: <sip:a@192.0.2.4>;q=0.750, <sip:a@192.0.2.5>;q=0\n"
      "Expires: 600");
  ASSERT_TRUE(out.ok()) << out.detail;
  EXPECT_EQ(uris(out.bindings), (std::vector<std::string>{"sip:a@192.0.2.2", "sip:a@192.0.2.3", "sip:a@192.0.2.4",
                                                          "sip:a@192.0.2.1", "sip:a@192.0.2.5"}));
  EXPECT_EQ(out.bindings[1].q, 750);
  EXPECT_EQ(contact_value(out.bindings[1], kNow), "<sip:a@192.0.2.3>;q=0.75;expires=600");
  EXPECT_EQ(contact_value(out.bindings[4], kNow), "<sip:a@192.0.2.5>;q=0;expires=600");
  EXPECT_EQ(contact_value(out.bindings[3], kNow), "<sip:a@192.0.2.1>;q=0.1;expires=600");
}

TEST(Registrar, QValueGrammar) {
  struct Case {
    std::string_view text;
    std::optional<std::uint16_t> q;
  };
  const Case cases[] = {{"0", 0},        {"1", 1000},      {"0.", 0},          {"1.", 1000},      {"0.5", 500},
                        {"0.05", 50},    {"0.001", 1},     {"0.999", 999},     {"1.000", 1000},   {"1.0", 1000},
                        {"", {}},        {"2", {}},        {"1.5", {}},        {"1.001", {}},     {"0.0001", {}},
                        {".5", {}},      {"0,5", {}},      {"-0", {}},         {"0.5x", {}},      {"00.5", {}}};
  for (const auto& c : cases) EXPECT_EQ(parse_qvalue(c.text), c.q) << c.text;
}

TEST(Registrar, StarRemovesEverything) {
  const auto first = apply("Contact: <sip:a@192.0.2.1>, <sip:a@192.0.2.2>");
  ASSERT_TRUE(first.ok());
  // From another Call-ID: any CSeq will do.
  auto out = apply("Contact: *\nExpires: 0", first.bindings, 1, "other");
  ASSERT_TRUE(out.ok()) << out.detail;
  EXPECT_TRUE(out.changed);
  EXPECT_TRUE(out.bindings.empty());
  // From the same Call-ID: only with a higher CSeq.
  out = apply("Contact: *\nExpires: 0", first.bindings, 1);
  EXPECT_EQ(out.refusal, Refusal::out_of_order);
  out = apply("Contact: *\nExpires: 0", first.bindings, 2);
  EXPECT_TRUE(out.ok());
  // Nothing to remove: accepted, unchanged.
  out = apply("Contact: *\nExpires: 0");
  EXPECT_TRUE(out.ok());
  EXPECT_FALSE(out.changed);
}

TEST(Registrar, StarNeedsExpiresZeroAndNothingElse) {
  EXPECT_EQ(apply("Contact: *").refusal, Refusal::bad_request);
  EXPECT_EQ(apply("Contact: *\nExpires: 60").refusal, Refusal::bad_request);
  // "*" with other contacts never parses (RFC 3261 10.3 step 6: 400).
  for (std::string_view extra : {"Contact: *\nContact: <sip:a@192.0.2.1>\nExpires: 0",
                                 "Contact: <sip:a@192.0.2.1>\nContact: *\nExpires: 0", "Contact: *, <sip:a@192.0.2.1>",
                                 "Contact: *\nContact: *\nExpires: 0", "Contact: <sip:a@192.0.2.1>;expires=0, *"}) {
    EXPECT_TRUE(Fails(parse_message(register_text(extra)), Errc::syntax)) << extra;
  }
}

TEST(Registrar, MalformedValuesAreRefused) {
  // Caught by the parser: bad Expires, bad expires parameters, bad URIs.
  for (std::string_view extra :
       {"Contact: <sip:a@192.0.2.1>\nExpires: soon", "Contact: <sip:a@192.0.2.1>\nExpires: -1",
        "Contact: <sip:a@192.0.2.1>\nExpires: 4294967296", "Contact: <sip:a@192.0.2.1>\nExpires: 60\nExpires: 60",
        "Contact: <sip:a@192.0.2.1>;expires=", "Contact: <sip:a@192.0.2.1>;expires",
        "Contact: <sip:a@192.0.2.1>;expires=1h", "Contact: <sip:a@>", "Contact: <sip:a@192.0.2.1"}) {
    EXPECT_FALSE(parse_message(register_text(extra)).ok()) << extra;
  }
  // Caught here: q-values, +sip.instance, reg-id.
  struct Case {
    std::string_view extra;
    std::string_view detail;
  };
  const Case cases[] = {
      {"Contact: <sip:a@192.0.2.1>;q=1.5", "bad q-value"},
      {"Contact: <sip:a@192.0.2.1>;q", "bad q-value"},
      {"Contact: <sip:a@192.0.2.1>;q=high", "bad q-value"},
      {"Contact: <sip:a@192.0.2.1>;+sip.instance=urn:uuid:1", "bad +sip.instance"},
      {"Contact: <sip:a@192.0.2.1>;+sip.instance", "bad +sip.instance"},
      {"Contact: <sip:a@192.0.2.1>;+sip.instance=\"urn:uuid:1\"", "bad +sip.instance"},
      {"Contact: <sip:a@192.0.2.1>;+sip.instance=\"<>\"", "bad +sip.instance"},
      {"Contact: <sip:a@192.0.2.1>;+sip.instance=\"<a\\\"b>\"", "bad +sip.instance"},
      {"Contact: <sip:a@192.0.2.1>;+sip.instance=\"<urn:uuid:1>\";reg-id=0", "bad reg-id"},
      {"Contact: <sip:a@192.0.2.1>;+sip.instance=\"<urn:uuid:1>\";reg-id=2147483648", "bad reg-id"},
      {"Contact: <sip:a@192.0.2.1>;+sip.instance=\"<urn:uuid:1>\";reg-id=x", "bad reg-id"},
      {"Contact: <sip:a@192.0.2.1>;+sip.instance=\"<urn:uuid:1>\";reg-id=1, "
       "<sip:a@192.0.2.2>;+sip.instance=\"<urn:uuid:1>\";reg-id=2",
       "more than one Contact with reg-id"},
  };
  for (const auto& c : cases) {
    const auto out = apply(c.extra);
    EXPECT_EQ(out.refusal, Refusal::bad_request) << c.extra;
    EXPECT_NE(out.detail.find(c.detail), std::string::npos) << out.detail;
  }
  // Not a REGISTER.
  auto invite = parse_message(
      "INVITE sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1\r\nFrom: <sip:a@x>;tag=1\r\n"
      "To: <sip:bob@example.com>\r\nCall-ID: c\r\nCSeq: 1 INVITE\r\nContact: <sip:a@192.0.2.1>\r\n\r\n");
  ASSERT_TRUE(Ok(invite));
  EXPECT_EQ(apply_register(*invite, {}, {}, "udp:x", kNow).refusal, Refusal::bad_request);
}

TEST(Registrar, CSeqOrderPerCallId) {
  const auto first = apply("Contact: <sip:a@192.0.2.1>", {}, 5);
  ASSERT_TRUE(first.ok());
  // Same Call-ID, CSeq equal or lower: refused, nothing changes.
  for (std::uint32_t cseq : {5u, 4u, 1u}) {
    const auto out = apply("Contact: <sip:a@192.0.2.1>;expires=0", first.bindings, cseq);
    EXPECT_EQ(out.refusal, Refusal::out_of_order) << cseq;
    EXPECT_TRUE(out.bindings.empty());
  }
  // Higher: a refresh.
  auto out = apply("Contact: <sip:a@192.0.2.1>;expires=100", first.bindings, 6, "reg-1", {}, kNow + 50);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out.bindings[0].cseq, 6u);
  EXPECT_EQ(out.bindings[0].expires_at, kNow + 150);
  // Another Call-ID: any CSeq replaces (a UA that rebooted).
  out = apply("Contact: <sip:a@192.0.2.1>", first.bindings, 1, "reg-2");
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out.bindings[0].call_id, "reg-2");
  // An out-of-order contact refuses the whole request, new contacts too.
  out = apply("Contact: <sip:a@192.0.2.7>, <sip:a@192.0.2.1>", first.bindings, 5);
  EXPECT_EQ(out.refusal, Refusal::out_of_order);
  // A new contact from the same Call-ID needs no order.
  out = apply("Contact: <sip:a@192.0.2.7>", first.bindings, 1);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out.bindings.size(), 2u);
}

TEST(Registrar, ExpiresZeroRemovesOne) {
  const auto first = apply("Contact: <sip:a@192.0.2.1>, <sip:a@192.0.2.2>");
  const auto out = apply("Contact: <SIP:a@192.0.2.1;ob>\nExpires: 0", first.bindings, 2);
  ASSERT_TRUE(out.ok());
  // "sip:a@192.0.2.1" against "SIP:a@192.0.2.1;ob": the scheme's case and
  // a parameter in only one do not matter (RFC 3261 19.1.4).
  EXPECT_EQ(uris(out.bindings), std::vector<std::string>{"sip:a@192.0.2.2"});
}

TEST(Registrar, AContactTwiceInOneRequestTakesTheLast) {
  const auto out = apply("Contact: <sip:a@192.0.2.1>;expires=100, <sip:a@192.0.2.1>;expires=200");
  ASSERT_TRUE(out.ok()) << out.detail;
  ASSERT_EQ(out.bindings.size(), 1u);
  EXPECT_EQ(out.bindings[0].expires_at, kNow + 200);
}

TEST(Registrar, InstanceAndRegIdReplaceTheDevicesBinding) {
  const std::string phone = ";+sip.instance=\"<urn:uuid:00000000-0000-1000-8000-000A95A0E128>\"";
  auto first = apply("Contact: <sip:a@192.0.2.1;transport=tcp>" + phone + ";reg-id=1\nExpires: 600", {}, 1);
  ASSERT_TRUE(first.ok()) << first.detail;
  EXPECT_EQ(first.bindings[0].instance, "<urn:uuid:00000000-0000-1000-8000-000A95A0E128>");
  EXPECT_EQ(first.bindings[0].reg_id, 1u);
  EXPECT_EQ(contact_value(first.bindings[0], kNow),
            "<sip:a@192.0.2.1;transport=tcp>;expires=600;+sip.instance=\"<urn:uuid:00000000-0000-1000-8000-"
            "000A95A0E128>\";reg-id=1");
  // The device after a reboot: a new address and Call-ID, on a new flow.
  auto next = apply_register(reg("Contact: <sip:a@203.0.113.5;transport=tcp>" + phone + ";reg-id=1\nExpires: 600", 1,
                                 "reboot"),
                         first.bindings, {}, "tcp:conn-99", kNow + 10);
  ASSERT_TRUE(next.ok()) << next.detail;
  ASSERT_EQ(next.bindings.size(), 1u);
  EXPECT_EQ(next.bindings[0].uri, "sip:a@203.0.113.5;transport=tcp");
  EXPECT_EQ(next.bindings[0].flow, "tcp:conn-99");
  // A second flow of the same instance (another reg-id) is a binding of its own.
  next = apply("Contact: <sip:a@198.51.100.1;transport=tcp>" + phone + ";reg-id=2\nExpires: 600", first.bindings, 2);
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next.bindings.size(), 2u);
  // The same URI without an instance is another binding too.
  next = apply("Contact: <sip:a@192.0.2.1;transport=tcp>\nExpires: 600", first.bindings, 2);
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next.bindings.size(), 2u);
  // reg-id without an instance is ignored.
  next = apply("Contact: <sip:a@192.0.2.9>;reg-id=1");
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next.bindings[0].reg_id, 0u);
}

TEST(Registrar, PerAccountLimit) {
  RegistrarPolicy policy;
  policy.max_bindings = 2;
  const auto two = apply("Contact: <sip:a@192.0.2.1>, <sip:a@192.0.2.2>", {}, 1, "reg-1", policy);
  ASSERT_TRUE(two.ok());
  auto out = apply("Contact: <sip:a@192.0.2.3>", two.bindings, 1, "reg-3", policy);
  EXPECT_EQ(out.refusal, Refusal::too_many);
  EXPECT_TRUE(out.bindings.empty());
  // Three at once from nothing.
  out = apply("Contact: <sip:a@192.0.2.1>, <sip:a@192.0.2.2>, <sip:a@192.0.2.3>", {}, 1, "reg-1", policy);
  EXPECT_EQ(out.refusal, Refusal::too_many);
  // Replacing one within the limit is fine, and so is a refresh.
  out = apply("Contact: <sip:a@192.0.2.1>;expires=0, <sip:a@192.0.2.3>", two.bindings, 1, "reg-3", policy);
  EXPECT_TRUE(out.ok()) << out.detail;
  out = apply("Contact: <sip:a@192.0.2.2>", two.bindings, 2, "reg-1", policy);
  EXPECT_TRUE(out.ok());
  // Expired bindings do not count.
  out = apply("Contact: <sip:a@192.0.2.3>", two.bindings, 1, "reg-3", policy, kNow + 3600);
  EXPECT_TRUE(out.ok());
  EXPECT_EQ(out.bindings.size(), 1u);
  // A limit lowered below an account's count: refreshes still pass.
  policy.max_bindings = 1;
  out = apply("Contact: <sip:a@192.0.2.2>", two.bindings, 2, "reg-1", policy);
  EXPECT_TRUE(out.ok());
  EXPECT_EQ(out.bindings.size(), 2u);
}

TEST(Registrar, LiveBindingsForRouting) {
  const auto out = apply("Contact: <sip:a@192.0.2.1>;q=0.2;expires=100, <sip:a@192.0.2.2>;q=0.9;expires=70, "
                         "<sip:a@192.0.2.3>;q=0.5;expires=200");
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(uris(live_bindings(out.bindings, kNow)),
            (std::vector<std::string>{"sip:a@192.0.2.2", "sip:a@192.0.2.3", "sip:a@192.0.2.1"}));
  EXPECT_EQ(uris(live_bindings(out.bindings, kNow + 70)),
            (std::vector<std::string>{"sip:a@192.0.2.3", "sip:a@192.0.2.1"}));
  EXPECT_TRUE(live_bindings(out.bindings, kNow + 200).empty());
}

// The store. Each test reopens it the way sipd does after a restart.

Result<Bindings> open_in(const testkit::TempDir& dir) { return Bindings::open(dir.file("registrations")); }

Result<RegisterOutcome> store_register(Bindings& store, std::string_view account, std::string_view extra,
                                       std::uint32_t cseq = 1, std::string_view call_id = "reg-1",
                                       std::int64_t now = kNow, const RegistrarPolicy& policy = {}) {
  return store.register_request(account, reg(extra, cseq, call_id), policy, "tcp:conn-17", now);
}

TEST(RegistrarStore, KeptAcrossReopening) {
  testkit::TempDir dir("sip-registrar");
  {
    auto store = open_in(dir);
    ASSERT_TRUE(Ok(store));
    auto out = store_register(
        *store, "alice@example.com",
        "Contact: <sip:a@192.0.2.1>;q=0.5, <sip:a@192.0.2.2>;+sip.instance=\"<urn:uuid:1>\";reg-id=1");
    ASSERT_TRUE(Ok(out));
    ASSERT_TRUE(out->ok()) << out->detail;
    out = store_register(*store, "bob@example.com", "Contact: <sip:b@192.0.2.9>\nExpires: 600", 1, "reg-b");
    ASSERT_TRUE(Ok(out));
    ASSERT_TRUE(out->ok());
  }
  auto store = open_in(dir);
  ASSERT_TRUE(Ok(store));
  auto alice = store->lookup("alice@example.com", kNow + 1);
  ASSERT_TRUE(Ok(alice));
  ASSERT_EQ(alice->size(), 2u);
  EXPECT_EQ((*alice)[0].uri, "sip:a@192.0.2.2");
  EXPECT_EQ((*alice)[0].instance, "<urn:uuid:1>");
  EXPECT_EQ((*alice)[0].reg_id, 1u);
  EXPECT_EQ((*alice)[0].flow, "tcp:conn-17");
  EXPECT_EQ((*alice)[0].call_id, "reg-1");
  EXPECT_EQ((*alice)[1].uri, "sip:a@192.0.2.1");
  EXPECT_EQ((*alice)[1].q, 500);
  EXPECT_EQ((*alice)[1].expires_at, kNow + 3600);
  auto all = store->list();
  ASSERT_TRUE(Ok(all));
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].account, "alice@example.com");
  EXPECT_EQ((*all)[2].account, "bob@example.com");
  EXPECT_EQ((*all)[2].binding.expires_at, kNow + 600);
  auto none = store->lookup("carol@example.com", kNow);
  ASSERT_TRUE(Ok(none));
  EXPECT_TRUE(none->empty());
  // The CSeq survives too: a replay after the restart is refused.
  auto replay = store_register(*store, "alice@example.com", "Contact: <sip:a@192.0.2.1>;expires=0");
  ASSERT_TRUE(Ok(replay));
  EXPECT_EQ(replay->refusal, Refusal::out_of_order);
  // A query through the store.
  auto query = store_register(*store, "alice@example.com", "", 2);
  ASSERT_TRUE(Ok(query));
  EXPECT_EQ(query->bindings.size(), 2u);
  EXPECT_FALSE(query->changed);
}

TEST(RegistrarStore, RefusalsWriteNothing) {
  testkit::TempDir dir("sip-registrar");
  auto store = open_in(dir);
  ASSERT_TRUE(Ok(store));
  RegistrarPolicy policy;
  policy.max_bindings = 1;
  auto out = store_register(*store, "alice@example.com", "Contact: <sip:a@192.0.2.1>, <sip:a@192.0.2.2>", 1, "reg-1",
                            kNow, policy);
  ASSERT_TRUE(Ok(out));
  EXPECT_EQ(out->refusal, Refusal::too_many);
  out = store_register(*store, "alice@example.com", "Contact: <sip:a@192.0.2.1>;expires=5");
  ASSERT_TRUE(Ok(out));
  EXPECT_EQ(out->refusal, Refusal::interval_too_brief);
  auto all = store->list();
  ASSERT_TRUE(Ok(all));
  EXPECT_TRUE(all->empty());
  EXPECT_TRUE(Fails(store_register(*store, "", "Contact: <sip:a@192.0.2.1>"), Errc::invalid));
  EXPECT_TRUE(Fails(store->lookup(std::string(kMaxAccount + 1, 'a'), kNow), Errc::invalid));
}

TEST(RegistrarStore, SweepOnTheInjectedClock) {
  testkit::TempDir dir("sip-registrar");
  {
    auto store = open_in(dir);
    ASSERT_TRUE(Ok(store));
    ASSERT_TRUE(Ok(store_register(*store, "alice@example.com",
                                  "Contact: <sip:a@192.0.2.1>;expires=100, <sip:a@192.0.2.2>;expires=200")));
    ASSERT_TRUE(Ok(store_register(*store, "bob@example.com", "Contact: <sip:b@192.0.2.9>;expires=100", 1, "b")));
    auto removed = store->sweep(kNow + 99);
    ASSERT_TRUE(Ok(removed));
    EXPECT_TRUE(removed->empty());
    // Expired but not yet swept: not for routing, still listed.
    auto alice = store->lookup("alice@example.com", kNow + 100);
    ASSERT_TRUE(Ok(alice));
    EXPECT_EQ(uris(*alice), std::vector<std::string>{"sip:a@192.0.2.2"});
    removed = store->sweep(kNow + 100);
    ASSERT_TRUE(Ok(removed));
    ASSERT_EQ(removed->size(), 2u);
    EXPECT_EQ((*removed)[0].account, "alice@example.com");
    EXPECT_EQ((*removed)[0].binding.uri, "sip:a@192.0.2.1");
    EXPECT_EQ((*removed)[1].account, "bob@example.com");
  }
  auto store = open_in(dir);
  ASSERT_TRUE(Ok(store));
  auto all = store->list();
  ASSERT_TRUE(Ok(all));
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].binding.uri, "sip:a@192.0.2.2");
  auto removed = store->sweep(kNow + 1000);
  ASSERT_TRUE(Ok(removed));
  EXPECT_EQ(removed->size(), 1u);
  all = store->list();
  ASSERT_TRUE(Ok(all));
  EXPECT_TRUE(all->empty());
}

TEST(RegistrarStore, PutRemoveUnregister) {
  testkit::TempDir dir("sip-registrar");
  auto store = open_in(dir);
  ASSERT_TRUE(Ok(store));
  Binding b{.uri = "sip:a@192.0.2.1", .q = 300, .expires_at = kNow + 60, .call_id = "c", .cseq = 1, .flow = "udp:x"};
  ASSERT_TRUE(Ok(store->put("alice@example.com", b)));
  b.expires_at = kNow + 120;
  b.uri = "SIP:a@192.0.2.1";  // the same binding (RFC 3261 19.1.4): replaced
  ASSERT_TRUE(Ok(store->put("alice@example.com", b)));
  Binding phone{.uri = "sip:a@192.0.2.5", .instance = "<urn:uuid:p>", .reg_id = 1, .expires_at = kNow + 60};
  ASSERT_TRUE(Ok(store->put("alice@example.com", phone)));
  phone.uri = "sip:a@203.0.113.5";  // the same device elsewhere: replaced
  ASSERT_TRUE(Ok(store->put("alice@example.com", phone)));
  auto alice = store->lookup("alice@example.com", kNow);
  ASSERT_TRUE(Ok(alice));
  EXPECT_EQ(uris(*alice), (std::vector<std::string>{"sip:a@203.0.113.5", "SIP:a@192.0.2.1"}));
  EXPECT_EQ((*alice)[1].expires_at, kNow + 120);

  EXPECT_TRUE(Ok(store->remove("alice@example.com", "sip:a@192.0.2.1")));
  EXPECT_TRUE(Fails(store->remove("alice@example.com", "sip:a@192.0.2.1"), Errc::not_found));
  EXPECT_TRUE(Fails(store->remove("alice@example.com", "not a uri"), Errc::syntax));
  alice = store->lookup("alice@example.com", kNow);
  ASSERT_TRUE(Ok(alice));
  EXPECT_EQ(uris(*alice), std::vector<std::string>{"sip:a@203.0.113.5"});

  ASSERT_TRUE(Ok(store->put("alice@example.com", b)));
  auto n = store->unregister("alice@example.com");
  ASSERT_TRUE(Ok(n));
  EXPECT_EQ(*n, 2u);
  n = store->unregister("alice@example.com");
  ASSERT_TRUE(Ok(n));
  EXPECT_EQ(*n, 0u);
  alice = store->lookup("alice@example.com", kNow);
  ASSERT_TRUE(Ok(alice));
  EXPECT_TRUE(alice->empty());
}

TEST(RegistrarStore, DamagedRecordsAreRefusedThenClearable) {
  testkit::TempDir dir("sip-registrar");
  {
    // Written behind the store's back, as a damaged file or another writer would.
    auto env = lmdb::Env::open(dir.file("registrations"));
    ASSERT_TRUE(Ok(env));
    auto dbi = env->dbi("bindings");
    ASSERT_TRUE(Ok(dbi));
    auto txn = env->write();
    ASSERT_TRUE(Ok(txn));
    ASSERT_TRUE(Ok(txn->put(*dbi, "alice@example.com", "\xff\xff\xff")));
    schema::SipRegistration rec;
    auto* b = rec.add_bindings();
    b->set_uri("sip:b@192.0.2.9");
    b->set_q(1001);  // out of range
    ASSERT_TRUE(Ok(txn->put(*dbi, "bob@example.com", rec.SerializeAsString())));
    ASSERT_TRUE(Ok(txn->commit()));
  }
  auto store = open_in(dir);
  ASSERT_TRUE(Ok(store));
  EXPECT_TRUE(Fails(store->lookup("alice@example.com", kNow), Errc::internal));
  EXPECT_TRUE(Fails(store->lookup("bob@example.com", kNow), Errc::internal));
  EXPECT_TRUE(Fails(store_register(*store, "bob@example.com", "Contact: <sip:b@192.0.2.9>"), Errc::internal));
  EXPECT_TRUE(Fails(store->list(), Errc::internal));
  EXPECT_TRUE(Fails(store->sweep(kNow), Errc::internal));
  auto n = store->unregister("alice@example.com");
  ASSERT_TRUE(Ok(n));
  EXPECT_EQ(*n, 0u);  // unreadable, cleared all the same
  ASSERT_TRUE(Ok(store->unregister("bob@example.com")));
  auto all = store->list();
  ASSERT_TRUE(Ok(all));
  EXPECT_TRUE(all->empty());
}

}  // namespace
}  // namespace parley::sip
