// router::route_signal (procs/router/signal.h) against a real directory
// Store in a temp directory, whose resolve() stands in for the
// directory.resolve call: accounts by name, alias, extension and with a
// detail; groups fanned out with duplicates dropped and members without SIP
// left out; forwarders; unknown and discarded users; foreign domains with
// and without an authenticated caller (no open relay); SIP not enabled;
// forward always (local, external, a bare number, loops, the depth bound,
// the directory request budget);
// the on_busy / on_no_answer / on_unregistered lists and their seconds;
// groups ringing in turn (stages); voicemail as a media target; working
// hours at injected times (DST changes, midnight, the server's zone) and
// unreadable ones left out;
// the target cap; malformed addresses; the directory failing, timing out
// or answering short. check_route_signal: every malformed request.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "procs/directory/store.h"
#include "hours/time_zone.h"
#include "procs/router/signal.h"
#include "tests/support/result_assert.h"
#include "tests/support/run.h"
#include "tests/support/temp_dir.h"

namespace parley::router {
namespace {

using testkit::Fails;
using testkit::Ok;
using Targets = google::protobuf::RepeatedPtrField<schema::SignalTarget>;

// One target as text: "registered sip:a@d a@d", "external URI",
// "reject OUTCOME_X permanent|temporary".
std::string describe(const schema::SignalTarget& t) {
  switch (t.kind()) {
    case schema::SignalTarget::KIND_REGISTERED: return "registered " + t.uri() + " " + t.account();
    case schema::SignalTarget::KIND_EXTERNAL: return "external " + t.uri();
    case schema::SignalTarget::KIND_REJECT:
      return "reject " + schema::Outcome_Name(t.reject().outcome()) + (t.reject().permanent() ? " permanent" : " temporary");
    case schema::SignalTarget::KIND_MEDIA: return "media " + t.application() + " " + t.account();
    default: return "other " + t.ShortDebugString();
  }
}

// Targets with their stages: "0/15 registered sip:a@d a@d".
std::vector<std::string> staged(const Targets& list) {
  std::vector<std::string> out;
  for (const auto& t : list) out.push_back(std::to_string(t.stage()) + "/" + std::to_string(t.stage_seconds()) + " " + describe(t));
  return out;
}

// Seconds since 1970 of a UTC date and time.
std::int64_t utc(int year, int month, int day, int hour, int minute) {
  return hours::days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60;
}

std::vector<std::string> describe(const Targets& list) {
  std::vector<std::string> out;
  for (const auto& t : list) out.push_back(describe(t));
  return out;
}

using Lines = std::vector<std::string>;

const std::string kAlice = "registered sip:alice@example.test alice@example.test";
const std::string kBob = "registered sip:bob@example.test bob@example.test";
const std::string kUnknown = "reject OUTCOME_UNKNOWN_USER permanent";
const std::string kLoop = "reject OUTCOME_ROUTING_LOOP permanent";

schema::RouteSignalRequest request(const std::string& address, const std::string& auth_user = "",
                                   const std::string& request_uri = "") {
  schema::RouteSignalRequest r;
  r.set_address(address);
  r.set_media(true);
  auto* s = r.mutable_signal();
  s->set_sid("sip-test-1");
  s->set_is_request(true);
  s->set_method("INVITE");
  s->set_request_uri(request_uri.empty() ? "sip:" + address : request_uri);
  s->set_auth_user(auth_user);
  return r;
}

class SignalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = directory::Store::open(dir_.file("db"), '+');
    ASSERT_TRUE(Ok(opened));
    store_ = std::move(opened.value());
    ok(store_->add_domain("example.test"));
    ok(store_->add_domain("discard.test"));
    ok(store_->set_domain("discard.test", "unknown", "discard"));
    for (const char* a : {"alice@example.test", "bob@example.test", "carol@example.test", "dave@example.test",
                          "erin@example.test"}) {
      add_account(a);
    }
    ok(store_->add_account_alias("alice@example.test", "323"));
    ok(store_->add_account_alias("alice@example.test", "ali@example.test"));
    ok(store_->add_account_alias("bob@example.test", "400"));
    ok(store_->set_account("carol@example.test", "services", "mail,imap"));  // no SIP
    ok(store_->set_account("dave@example.test", "disabled", "yes"));
    ok(store_->add_forwarder("fwd@example.test", "x@elsewhere.example"));
    ok(store_->add_forwarder("back@example.test", "bob@example.test"));
    // alice twice (by name and extension), bob, carol without SIP, an
    // external member, an unknown local member.
    ok(store_->add_group("team@example.test"));
    for (const char* m : {"alice@example.test", "bob@example.test", "323@example.test", "carol@example.test",
                          "ext@elsewhere.example", "ghost@example.test"}) {
      ok(store_->add_group_member("team@example.test", m));
    }
    ok(store_->add_group("nosip@example.test"));
    ok(store_->add_group_member("nosip@example.test", "carol@example.test"));
    // The tests set the rules they are about: the built-in ones (voicemail)
    // are off here but in VoicemailByDefault.
    for (const char* key : {"sip_forward_busy", "sip_forward_no_answer", "sip_forward_unregistered"}) {
      ok(store_->set_server_default(key, ""));
    }
  }

  template <class T>
  void ok(const Result<T>& r) {
    ASSERT_TRUE(Ok(r));
  }
  void add_account(const std::string& a) { ASSERT_TRUE(Ok(store_->add_account(a, "", {}))); }
  void set(const std::string& account, const std::string& key, const std::string& value) {
    ASSERT_TRUE(Ok(store_->set_account(account, key, value))) << key << "=" << value;
  }

  // The directory: the store's answers, one call counted each time.
  Resolve directory() {
    return [this](const schema::ResolveRequest& req, const std::string&) -> awaitable<Result<schema::ResolveReply>> {
      ++calls_;
      schema::ResolveReply reply;
      for (const auto& a : req.addresses()) *reply.add_results() = store_->resolve(a);
      co_return reply;
    };
  }

  schema::RouteSignalReply route(const schema::RouteSignalRequest& r, Resolve resolve = nullptr) {
    if (!resolve) resolve = directory();
    EXPECT_TRUE(Ok(check_route_signal(r)));
    SignalClock clock{.now = [this] { return now_; }, .zones = zones_};
    return testkit::run(io_, route_signal(std::move(resolve), r, std::move(clock)));
  }

  Lines targets(const std::string& address, const std::string& auth_user = "") {
    return describe(route(request(address, auth_user)).targets());
  }

  asio::io_context io_;
  testkit::TempDir dir_{"parley-router-signal-test"};
  std::unique_ptr<directory::Store> store_;
  int calls_ = 0;
  // Monday 2026-12-07 12:00 UTC, unless a test moves it; the server's own
  // zone is Berlin's.
  std::int64_t now_ = utc(2026, 12, 7, 12, 0);
  std::shared_ptr<hours::ZoneCache> zones_ =
      std::make_shared<hours::ZoneCache>(std::string(hours::kZoneDirectory), std::string(hours::kZoneDirectory) + "/Europe/Berlin");
};

TEST_F(SignalTest, AccountByNameAliasExtensionAndDetail) {
  for (const std::string a : {"alice@example.test", "Alice@EXAMPLE.test", "ali@example.test", "323@example.test",
                              "alice+desk@example.test"}) {
    SCOPED_TRACE(a);
    auto reply = route(request(a));
    EXPECT_EQ(describe(reply.targets()), Lines{kAlice});
    EXPECT_TRUE(reply.on_busy().empty());
    EXPECT_TRUE(reply.on_no_answer().empty());
    EXPECT_TRUE(reply.on_unregistered().empty());
    EXPECT_EQ(reply.no_answer_seconds(), 0u);
  }
  EXPECT_EQ(targets("400@example.test"), Lines{kBob});
  // One directory call per request when nothing is forwarded.
  calls_ = 0;
  (void)route(request("alice@example.test"));
  EXPECT_EQ(calls_, 1);
}

TEST_F(SignalTest, GroupFansOutOnceEach) {
  // alice once (also listed as 323), carol (no SIP) and ghost (unknown) left out.
  EXPECT_EQ(targets("team@example.test"), (Lines{kAlice, kBob, "external sip:ext@elsewhere.example"}));
  // A group's members ring their devices: their own forward-always is not followed.
  set("bob@example.test", "sip_forward_always", "erin@example.test");
  EXPECT_EQ(targets("team@example.test"), (Lines{kAlice, kBob, "external sip:ext@elsewhere.example"}));
  // Nobody left: the first refusal met.
  EXPECT_EQ(targets("nosip@example.test"), Lines{"reject OUTCOME_MAILBOX_DISABLED permanent"});
  ok(store_->add_group("empty@example.test"));
  EXPECT_EQ(targets("empty@example.test"), Lines{kUnknown});
  // No forwarding rules for a group.
  auto reply = route(request("team@example.test"));
  EXPECT_TRUE(reply.on_busy().empty());
  EXPECT_EQ(reply.no_answer_seconds(), 0u);
}

TEST_F(SignalTest, GroupsAreCapped) {
  ok(store_->add_group("all@example.test"));
  for (std::size_t i = 0; i < kMaxSignalTargets + 8; ++i) {
    const std::string a = "user" + std::to_string(i) + "@example.test";
    add_account(a);
    ok(store_->add_group_member("all@example.test", a));
  }
  auto got = targets("all@example.test");
  ASSERT_EQ(got.size(), kMaxSignalTargets);
  EXPECT_EQ(got.front(), "registered sip:user0@example.test user0@example.test");
}

TEST_F(SignalTest, ForwarderGoesOut) {
  // Unauthenticated too: the administrator chose the destination.
  EXPECT_EQ(targets("fwd@example.test"), Lines{"external sip:x@elsewhere.example"});
  // A forwarder to a local account rings that account.
  EXPECT_EQ(targets("back@example.test"), Lines{kBob});
}

TEST_F(SignalTest, UnknownUsers) {
  EXPECT_EQ(targets("nobody@example.test"), Lines{kUnknown});
  EXPECT_EQ(targets("nobody@discard.test"), Lines{kUnknown});
  EXPECT_EQ(targets("999@example.test"), Lines{kUnknown});
  // A disabled account is unknown to the directory, for calls as for mail.
  EXPECT_EQ(targets("dave@example.test"), Lines{kUnknown});
}

TEST_F(SignalTest, ForeignDomainOnlyForAuthenticatedCallers) {
  EXPECT_EQ(targets("bob@elsewhere.example"), Lines{"reject OUTCOME_RELAY_DENIED permanent"});
  // Authenticated: the Request-URI as sipd saw it, parameters and all.
  auto reply = route(request("bob@elsewhere.example", "alice@example.test", "sip:bob@elsewhere.example;transport=tcp"));
  EXPECT_EQ(describe(reply.targets()), Lines{"external sip:bob@elsewhere.example;transport=tcp"});
}

TEST_F(SignalTest, SipNotEnabled) {
  EXPECT_EQ(targets("carol@example.test"), Lines{"reject OUTCOME_MAILBOX_DISABLED permanent"});
  // The same for an authenticated caller, and with forwarding rules set.
  set("carol@example.test", "sip_forward_always", "bob@example.test");
  set("carol@example.test", "sip_forward_busy", "bob@example.test");
  auto reply = route(request("carol@example.test", "alice@example.test"));
  EXPECT_EQ(describe(reply.targets()), Lines{"reject OUTCOME_MAILBOX_DISABLED permanent"});
  EXPECT_TRUE(reply.on_busy().empty());
}

TEST_F(SignalTest, ForwardAlways) {
  set("alice@example.test", "sip_forward_always", "bob@example.test");
  EXPECT_EQ(targets("323@example.test"), Lines{kBob});
  // A bare number: the account's own domain.
  set("alice@example.test", "sip_forward_always", "400");
  EXPECT_EQ(targets("alice@example.test"), Lines{kBob});
  // External, even for an unauthenticated caller: the owner chose it.
  set("alice@example.test", "sip_forward_always", "alice.mobile@elsewhere.example");
  EXPECT_EQ(targets("alice@example.test"), Lines{"external sip:alice.mobile@elsewhere.example"});
  // To a group: its members' devices (alice's own forward is not followed).
  set("erin@example.test", "sip_forward_always", "team@example.test");
  EXPECT_EQ(targets("erin@example.test"), (Lines{kAlice, kBob, "external sip:ext@elsewhere.example"}));
  // Followed through: erin -> bob -> alice's external.
  set("erin@example.test", "sip_forward_always", "bob@example.test");
  set("bob@example.test", "sip_forward_always", "alice@example.test");
  EXPECT_EQ(targets("erin@example.test"), Lines{"external sip:alice.mobile@elsewhere.example"});
  // To somebody unknown or without SIP: that refusal.
  set("alice@example.test", "sip_forward_always", "nobody@example.test");
  EXPECT_EQ(targets("alice@example.test"), Lines{kUnknown});
  set("alice@example.test", "sip_forward_always", "carol@example.test");
  EXPECT_EQ(targets("alice@example.test"), Lines{"reject OUTCOME_MAILBOX_DISABLED permanent"});
}

TEST_F(SignalTest, ForwardLoops) {
  set("alice@example.test", "sip_forward_always", "alice@example.test");
  EXPECT_EQ(targets("alice@example.test"), Lines{kLoop});
  set("alice@example.test", "sip_forward_always", "bob@example.test");
  set("bob@example.test", "sip_forward_always", "323");
  EXPECT_EQ(targets("alice@example.test"), Lines{kLoop});
  EXPECT_EQ(targets("400@example.test"), Lines{kLoop});
  // Through a forwarder back to bob.
  set("bob@example.test", "sip_forward_always", "back@example.test");
  EXPECT_EQ(targets("bob@example.test"), Lines{kLoop});
}

TEST_F(SignalTest, ForwardDepthBound) {
  // n0 -> n1 -> ... -> nN: kMaxSignalDepth forwards are followed, one more is a loop.
  auto chain = [&](int forwards) {
    for (int i = 0; i <= forwards; ++i) {
      const std::string a = "n" + std::to_string(i) + "@example.test";
      if (!store_->account(a)) add_account(a);
      set(a, "sip_forward_always", i < forwards ? "n" + std::to_string(i + 1) + "@example.test" : "");
    }
  };
  chain(kMaxSignalDepth);
  const std::string last = "n" + std::to_string(kMaxSignalDepth) + "@example.test";
  EXPECT_EQ(targets("n0@example.test"), Lines{"registered sip:" + last + " " + last});
  chain(kMaxSignalDepth + 1);
  EXPECT_EQ(targets("n0@example.test"), Lines{kLoop});
}

TEST_F(SignalTest, LookupBudget) {
  // Every address a forwarder to three more: the tree would grow 3^8.
  int calls = 0;
  Resolve fanout = [&calls](const schema::ResolveRequest& req,
                            const std::string&) -> awaitable<Result<schema::ResolveReply>> {
    ++calls;
    schema::ResolveReply reply;
    for (int i = 0; i < req.addresses_size(); ++i) {
      auto* r = reply.add_results();
      r->set_kind(schema::Resolution::KIND_FORWARD);
      for (int j = 0; j < 3; ++j) r->add_targets("f" + std::to_string(calls) + "x" + std::to_string(i * 3 + j) + "@example.test");
    }
    co_return reply;
  };
  EXPECT_EQ(describe(route(request("fwd@example.test"), fanout).targets()), Lines{kLoop});
  EXPECT_LE(calls, kMaxSignalLookups);
}

TEST_F(SignalTest, ForwardingRules) {
  set("alice@example.test", "sip_forward_busy", "400");
  set("alice@example.test", "sip_forward_no_answer", "team@example.test");
  set("alice@example.test", "sip_no_answer_s", "30");
  set("alice@example.test", "sip_forward_unregistered", "alice.mobile@elsewhere.example");
  auto reply = route(request("323@example.test"));
  EXPECT_EQ(describe(reply.targets()), Lines{kAlice});
  EXPECT_EQ(describe(reply.on_busy()), Lines{kBob});
  // The group, less alice herself: she is the one who did not answer (her
  // branch would be a loop, and is left out).
  EXPECT_EQ(describe(reply.on_no_answer()), (Lines{kBob, "external sip:ext@elsewhere.example"}));
  EXPECT_EQ(reply.no_answer_seconds(), 30u);
  EXPECT_EQ(describe(reply.on_unregistered()), Lines{"external sip:alice.mobile@elsewhere.example"});

  // Destinations are followed like targets: bob forwards always to erin.
  set("bob@example.test", "sip_forward_always", "erin@example.test");
  reply = route(request("alice@example.test"));
  EXPECT_EQ(describe(reply.on_busy()),
            Lines{"registered sip:erin@example.test erin@example.test"});

  // A rule that leads nowhere is left out; the others stay.
  set("alice@example.test", "sip_forward_busy", "nobody@example.test");
  set("alice@example.test", "sip_forward_unregistered", "alice@example.test");  // herself: a loop
  reply = route(request("alice@example.test"));
  EXPECT_EQ(describe(reply.targets()), Lines{kAlice});
  EXPECT_TRUE(reply.on_busy().empty());
  EXPECT_TRUE(reply.on_unregistered().empty());
  EXPECT_EQ(reply.on_no_answer_size(), 2);

  // The domain's defaults apply to every account in it.
  set("bob@example.test", "sip_forward_always", "");
  ok(store_->set_domain("example.test", "sip_forward_no_answer", "400"));
  reply = route(request("erin@example.test"));
  EXPECT_EQ(describe(reply.on_no_answer()), Lines{kBob});
  EXPECT_EQ(reply.no_answer_seconds(), 20u);  // the built-in value
  // Forward always and the rules together: the rules are the called account's.
  set("erin@example.test", "sip_forward_always", "alice.mobile@elsewhere.example");
  reply = route(request("erin@example.test"));
  EXPECT_EQ(describe(reply.targets()), Lines{"external sip:alice.mobile@elsewhere.example"});
  EXPECT_EQ(describe(reply.on_no_answer()), Lines{kBob});
}

TEST_F(SignalTest, GroupRingsInTurn) {
  // Parallel by default: one stage.
  EXPECT_EQ(staged(route(request("team@example.test")).targets()),
            (Lines{"0/0 " + kAlice, "0/0 " + kBob, "0/0 external sip:ext@elsewhere.example"}));
  // In turn: each member its own stage, in the order they were added
  // (alice's second entry, carol and ghost left out without a gap).
  ok(store_->set_group("team@example.test", "sip_ring", "sequential"));
  ok(store_->set_group("team@example.test", "sip_ring_s", "15"));
  auto reply = route(request("team@example.test"));
  EXPECT_EQ(staged(reply.targets()),
            (Lines{"0/15 " + kAlice, "1/15 " + kBob, "2/15 external sip:ext@elsewhere.example"}));
  // As a forward destination too, in on_no_answer: less alice herself,
  // and the stages without her.
  set("alice@example.test", "sip_forward_no_answer", "team@example.test");
  reply = route(request("alice@example.test"));
  EXPECT_EQ(staged(reply.targets()), Lines{"0/0 " + kAlice});
  EXPECT_EQ(staged(reply.on_no_answer()), (Lines{"0/15 " + kBob, "1/15 external sip:ext@elsewhere.example"}));
  // And through forward-always.
  set("erin@example.test", "sip_forward_always", "team@example.test");
  EXPECT_EQ(staged(route(request("erin@example.test")).targets()),
            (Lines{"0/15 " + kAlice, "1/15 " + kBob, "2/15 external sip:ext@elsewhere.example"}));
  // A nested group's members take the asked group's ring.
  ok(store_->add_group("outer@example.test"));
  ok(store_->add_group_member("outer@example.test", "erin@example.test"));
  ok(store_->add_group_member("outer@example.test", "team@example.test"));
  EXPECT_EQ(staged(route(request("outer@example.test")).targets()),
            (Lines{"0/0 registered sip:erin@example.test erin@example.test", "0/0 " + kAlice, "0/0 " + kBob,
                   "0/0 external sip:ext@elsewhere.example"}));
}

TEST_F(SignalTest, VoicemailIsAMediaTarget) {
  set("alice@example.test", "sip_forward_no_answer", "voicemail");
  set("alice@example.test", "sip_forward_busy", "voicemail");
  auto reply = route(request("alice@example.test"));
  EXPECT_EQ(describe(reply.targets()), Lines{kAlice});
  EXPECT_EQ(describe(reply.on_no_answer()), Lines{"media voicemail alice@example.test"});
  EXPECT_EQ(describe(reply.on_busy()), Lines{"media voicemail alice@example.test"});
  EXPECT_EQ(reply.no_answer_seconds(), 20u);
  // Set for the domain, it is each account's own voicemail.
  ok(store_->set_domain("example.test", "sip_forward_unregistered", "voicemail"));
  EXPECT_EQ(describe(route(request("bob@example.test")).on_unregistered()), Lines{"media voicemail bob@example.test"});
  // Forward always: the account's voicemail is the target.
  set("bob@example.test", "sip_forward_always", "voicemail");
  EXPECT_EQ(targets("400@example.test"), Lines{"media voicemail bob@example.test"});
  // Through another account's forward-always: the voicemail of the account whose rule it is.
  set("erin@example.test", "sip_forward_always", "bob@example.test");
  EXPECT_EQ(targets("erin@example.test"), Lines{"media voicemail bob@example.test"});
  // An address "voicemail@..." is an ordinary address.
  EXPECT_EQ(targets("voicemail@example.test"), Lines{kUnknown});
}

// A subscription to an account's events (its presence, its
// message-summary) is the account's own: its forwarding rules are for
// calls and messages.
TEST_F(SignalTest, SubscriptionsAreNotForwarded) {
  set("bob@example.test", "sip_forward_always", "voicemail");
  set("bob@example.test", "sip_forward_unregistered", "erin@example.test");
  for (const std::string method : {"SUBSCRIBE", "PUBLISH"}) {
    SCOPED_TRACE(method);
    auto r = request("bob@example.test");
    r.mutable_signal()->set_method(method);
    auto reply = route(r);
    EXPECT_EQ(describe(reply.targets()), Lines{kBob});
    EXPECT_TRUE(reply.on_unregistered().empty());
  }
  EXPECT_EQ(targets("bob@example.test"), Lines{"media voicemail bob@example.test"}) << "an INVITE still is";
}

TEST_F(SignalTest, VoicemailByDefault) {
  for (const char* key : {"sip_forward_busy", "sip_forward_no_answer", "sip_forward_unregistered"}) {
    ok(store_->set_server_default(key, "default"));
  }
  auto reply = route(request("bob@example.test"));
  EXPECT_EQ(describe(reply.targets()), Lines{kBob});
  EXPECT_EQ(describe(reply.on_busy()), Lines{"media voicemail bob@example.test"});
  EXPECT_EQ(describe(reply.on_no_answer()), Lines{"media voicemail bob@example.test"});
  EXPECT_EQ(reply.no_answer_seconds(), 20u);
  EXPECT_EQ(describe(reply.on_unregistered()), Lines{"media voicemail bob@example.test"});
  // Turned off for the domain: no rule at all.
  ok(store_->set_domain("example.test", "voicemail", "off"));
  reply = route(request("bob@example.test"));
  EXPECT_EQ(describe(reply.targets()), Lines{kBob});
  EXPECT_TRUE(reply.on_busy().empty());
  EXPECT_TRUE(reply.on_no_answer().empty());
  EXPECT_TRUE(reply.on_unregistered().empty());
}

TEST_F(SignalTest, VoicemailWithoutMediaIsNoRule) {
  // sipd has no media process: every rule to voicemail is as if not set.
  auto without = [](std::string address) {
    auto r = request(address);
    r.set_media(false);
    return r;
  };
  set("alice@example.test", "sip_forward_no_answer", "voicemail");
  set("alice@example.test", "sip_forward_busy", "400");
  auto reply = route(without("alice@example.test"));
  EXPECT_EQ(describe(reply.targets()), Lines{kAlice});
  EXPECT_TRUE(reply.on_no_answer().empty());
  EXPECT_EQ(reply.no_answer_seconds(), 0u);
  EXPECT_EQ(describe(reply.on_busy()), Lines{kBob});
  // Forward-always to voicemail rings the account itself.
  set("alice@example.test", "sip_forward_always", "voicemail");
  EXPECT_EQ(describe(route(without("alice@example.test")).targets()), Lines{kAlice});
  // After hours to voicemail: forward-always (here again voicemail) or the account.
  set("alice@example.test", "sip_forward_always", "400");
  set("alice@example.test", "sip_working_hours", "Mon 00:00-00:01");
  set("alice@example.test", "sip_forward_after_hours", "voicemail");
  EXPECT_EQ(describe(route(without("alice@example.test")).targets()), Lines{kBob});
  EXPECT_EQ(describe(route(request("alice@example.test")).targets()), Lines{"media voicemail alice@example.test"});
}

TEST_F(SignalTest, WorkingHoursAtInjectedTimes) {
  set("alice@example.test", "sip_working_hours", "Mon-Fri 09:00-17:30");
  set("alice@example.test", "sip_time_zone", "Europe/Berlin");
  // Hours without an after-hours destination change nothing.
  now_ = utc(2026, 12, 5, 12, 0);  // Saturday
  EXPECT_EQ(targets("alice@example.test"), Lines{kAlice});
  set("alice@example.test", "sip_forward_after_hours", "400");
  struct Case {
    std::int64_t at;
    std::string expected;
  };
  const Case cases[] = {
      {utc(2026, 12, 7, 7, 59), kBob},     // Monday 08:59 CET
      {utc(2026, 12, 7, 8, 0), kAlice},    // 09:00
      {utc(2026, 12, 7, 16, 29), kAlice},  // 17:29
      {utc(2026, 12, 7, 16, 30), kBob},    // 17:30: the end is not in
      {utc(2026, 12, 5, 12, 0), kBob},     // Saturday noon
      {utc(2026, 12, 6, 23, 0), kBob},     // Monday 00:00 CET: a new day, before nine
      {utc(2026, 12, 11, 16, 29), kAlice}, // Friday 17:29
      // Winter and summer time: 07:30 UTC is 08:30 on Friday 27 March
      // (CET) and 09:30 on Monday 30 March (CEST), the day after the change.
      {utc(2026, 3, 27, 7, 30), kBob},
      {utc(2026, 3, 30, 7, 30), kAlice},
      // The change back: 15:45 UTC is 17:45 CEST on Friday 23 October and
      // 16:45 CET on Monday 26 October.
      {utc(2026, 10, 23, 15, 45), kBob},
      {utc(2026, 10, 26, 15, 45), kAlice},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.at);
    now_ = c.at;
    EXPECT_EQ(targets("alice@example.test"), Lines{c.expected});
  }
  // The on_* rules stay the called account's.
  set("alice@example.test", "sip_forward_busy", "erin@example.test");
  now_ = utc(2026, 12, 5, 12, 0);
  auto reply = route(request("alice@example.test"));
  EXPECT_EQ(describe(reply.targets()), Lines{kBob});
  EXPECT_EQ(describe(reply.on_busy()), Lines{"registered sip:erin@example.test erin@example.test"});
  // After hours wins over forward-always; in hours, forward-always stands.
  set("alice@example.test", "sip_forward_always", "erin@example.test");
  EXPECT_EQ(targets("alice@example.test"), Lines{kBob});
  now_ = utc(2026, 12, 7, 12, 0);
  EXPECT_EQ(targets("alice@example.test"), Lines{"registered sip:erin@example.test erin@example.test"});
  set("alice@example.test", "sip_forward_always", "");
  // A group's member rings its devices whatever the time.
  now_ = utc(2026, 12, 5, 12, 0);
  EXPECT_EQ(targets("team@example.test"), (Lines{kAlice, kBob, "external sip:ext@elsewhere.example"}));
  // Reached by forwarding, the account's own hours apply.
  set("erin@example.test", "sip_forward_always", "alice@example.test");
  EXPECT_EQ(targets("erin@example.test"), Lines{kBob});
  // After hours to voicemail.
  set("alice@example.test", "sip_forward_after_hours", "voicemail");
  EXPECT_EQ(targets("alice@example.test"), Lines{"media voicemail alice@example.test"});
}

TEST_F(SignalTest, WorkingHoursOverMidnightAndZones) {
  set("alice@example.test", "sip_working_hours", "Fri 22:00-24:00, Sat 00:00-02:00");
  set("alice@example.test", "sip_time_zone", "UTC");
  set("alice@example.test", "sip_forward_after_hours", "400");
  const std::pair<std::int64_t, std::string> cases[] = {
      {utc(2026, 12, 11, 21, 59), kBob},   // Friday 21:59
      {utc(2026, 12, 11, 22, 0), kAlice},  // Friday 22:00
      {utc(2026, 12, 11, 23, 59), kAlice}, // Friday 23:59
      {utc(2026, 12, 12, 0, 0), kAlice},   // Saturday 00:00
      {utc(2026, 12, 12, 1, 59), kAlice},  // Saturday 01:59
      {utc(2026, 12, 12, 2, 0), kBob},     // Saturday 02:00
      {utc(2026, 12, 10, 23, 59), kBob},   // Thursday 23:59
  };
  for (const auto& [at, expected] : cases) {
    SCOPED_TRACE(at);
    now_ = at;
    EXPECT_EQ(targets("alice@example.test"), Lines{expected});
  }
  // No zone set: the server's (Berlin here), Friday 22:00 CET is 21:00 UTC.
  set("alice@example.test", "sip_time_zone", "");
  now_ = utc(2026, 12, 11, 21, 0);
  EXPECT_EQ(targets("alice@example.test"), Lines{kAlice});
  now_ = utc(2026, 12, 12, 1, 0);  // Saturday 02:00 CET
  EXPECT_EQ(targets("alice@example.test"), Lines{kBob});
}

TEST_F(SignalTest, UnreadableWorkingHoursAreLeftOut) {
  // The directory checks the values; what arrives is checked again.
  for (const auto& [hours_text, zone] : {std::pair<std::string, std::string>{"Mon-Fri 9-17", "UTC"},
                                         std::pair<std::string, std::string>{"Mon 00:00-00:01", "Mars/Olympus"},
                                         std::pair<std::string, std::string>{"Mon 00:00-00:01", "../../etc/passwd"}}) {
    SCOPED_TRACE(hours_text + " " + zone);
    Resolve tampered = [this, h = hours_text, z = zone](const schema::ResolveRequest& req,
                                                       const std::string&) -> awaitable<Result<schema::ResolveReply>> {
      schema::ResolveReply reply;
      for (const auto& a : req.addresses()) {
        auto r = store_->resolve(a);
        if (r.account() == "alice@example.test") {
          r.mutable_sip()->set_working_hours(h);
          r.mutable_sip()->set_time_zone(z);
          r.mutable_sip()->set_forward_after_hours("bob@example.test");
        }
        *reply.add_results() = std::move(r);
      }
      co_return reply;
    };
    EXPECT_EQ(describe(route(request("alice@example.test"), tampered).targets()), Lines{kAlice});
  }
}

TEST_F(SignalTest, MalformedAddressIsAnUnknownUser) {
  const std::vector<std::string> bad = {"alice",           "alice@", "@example.test", "a b@example.test",
                                        "alice@exa_mple..test", "alice@@example.test",
                                        std::string(65, 'a') + "@example.test"};
  for (const auto& a : bad) {
    SCOPED_TRACE(a);
    calls_ = 0;
    EXPECT_EQ(targets(a), Lines{kUnknown});
    EXPECT_EQ(calls_, 0);  // not worth asking the directory
  }
}

TEST_F(SignalTest, DirectoryFailures) {
  const std::string kUnavailable = "reject OUTCOME_UNAVAILABLE temporary";
  Resolve timeout = [](const schema::ResolveRequest&, const std::string&) -> awaitable<Result<schema::ResolveReply>> {
    co_return fail(Errc::timeout, "no reply");
  };
  EXPECT_EQ(describe(route(request("alice@example.test"), timeout).targets()), Lines{kUnavailable});
  Resolve empty = [](const schema::ResolveRequest&, const std::string&) -> awaitable<Result<schema::ResolveReply>> {
    co_return schema::ResolveReply();
  };
  EXPECT_EQ(describe(route(request("alice@example.test"), empty).targets()), Lines{kUnavailable});
  // The first answer comes, the next lookup fails: no half answer.
  int left = 1;
  Resolve flaky = [&, real = directory()](const schema::ResolveRequest& req,
                                          const std::string& sid) -> awaitable<Result<schema::ResolveReply>> {
    if (left-- <= 0) co_return fail(Errc::unavailable, "gone");
    auto answer = co_await real(req, sid);
    co_return answer;
  };
  set("alice@example.test", "sip_forward_busy", "bob@example.test");
  auto reply = route(request("alice@example.test"), flaky);
  EXPECT_EQ(describe(reply.targets()), Lines{kUnavailable});
  EXPECT_TRUE(reply.on_busy().empty());
  left = 1;
  EXPECT_EQ(describe(route(request("team@example.test"), flaky).targets()), Lines{kUnavailable});
  // A resolution the router does not know.
  Resolve odd = [](const schema::ResolveRequest& req, const std::string&) -> awaitable<Result<schema::ResolveReply>> {
    schema::ResolveReply reply;
    for (int i = 0; i < req.addresses_size(); ++i) reply.add_results()->set_kind(schema::Resolution::KIND_UNSPECIFIED);
    co_return reply;
  };
  EXPECT_EQ(describe(route(request("alice@example.test"), odd).targets()), Lines{kUnavailable});
}

// router.sip_gateways: numbers in a local domain leave through a trunk or
// gateway for authenticated callers only, before the domain's extensions;
// another domain's numbers, and unauthenticated callers, are routed as
// without rules.
TEST_F(SignalTest, GatewayRulesForAuthenticatedLocalCallers) {
  auto gateways = parse_gateways({"0* = trunk:provider:+4930*", "4* = sip:*@gw.example.test;transport=tcp"});
  ASSERT_TRUE(Ok(gateways));
  auto routed = [&](const std::string& address, const std::string& auth_user) {
    auto r = request(address, auth_user);
    EXPECT_TRUE(Ok(check_route_signal(r)));
    auto reply = testkit::run(io_, route_signal(directory(), r, SignalClock{}, gateways.value()));
    Lines out = describe(reply.targets());
    if (reply.targets_size() == 1 && !reply.targets(0).trunk().empty()) out.push_back("trunk " + reply.targets(0).trunk());
    return out;
  };
  EXPECT_EQ(routed("0301234@example.test", "alice@example.test"),
            (Lines{"external sip:+4930301234@example.test", "trunk provider"}));
  // A rule comes before bob's extension 400.
  EXPECT_EQ(routed("400@example.test", "alice@example.test"), (Lines{"external sip:00@gw.example.test;transport=tcp"}));
  EXPECT_EQ(routed("400@example.test", ""), (Lines{kBob}));
  EXPECT_EQ(routed("0301234@example.test", ""), (Lines{kUnknown}));
  EXPECT_EQ(routed("0301234@elsewhere.example", "alice@example.test"), (Lines{"external sip:0301234@elsewhere.example"}));
  EXPECT_EQ(routed("0301234@elsewhere.example", ""), (Lines{"reject OUTCOME_RELAY_DENIED permanent"}));
  EXPECT_EQ(routed("alice@example.test", "bob@example.test"), (Lines{kAlice}));
}

TEST(CheckRouteSignal, RefusesMalformedRequests) {
  EXPECT_TRUE(Ok(check_route_signal(request("alice@example.test"))));
  EXPECT_TRUE(Ok(check_route_signal(request("alice@example.test", "bob@example.test"))));
  // A malformed address is the router's answer to give, not a bad request.
  EXPECT_TRUE(Ok(check_route_signal(request("not an address"))));

  auto r = request("alice@example.test");
  r.clear_signal();
  EXPECT_TRUE(Fails(check_route_signal(r), Errc::invalid));
  r = request("alice@example.test");
  r.mutable_signal()->set_is_request(false);
  EXPECT_TRUE(Fails(check_route_signal(r), Errc::invalid));
  EXPECT_TRUE(Fails(check_route_signal(request("")), Errc::invalid));
  EXPECT_TRUE(Fails(check_route_signal(request(std::string(kMaxSignalAddress, 'a') + "@example.test")), Errc::limit));
  r = request("alice@example.test");
  r.mutable_signal()->set_sid(std::string(kMaxSignalSid + 1, 's'));
  EXPECT_TRUE(Fails(check_route_signal(r), Errc::limit));
  r = request("alice@example.test");
  r.mutable_signal()->set_request_uri("sip:" + std::string(kMaxRequestUri, 'u'));
  EXPECT_TRUE(Fails(check_route_signal(r), Errc::limit));
  r = request("alice@example.test");
  r.mutable_signal()->set_method(std::string(100, 'M'));
  EXPECT_TRUE(Fails(check_route_signal(r), Errc::limit));
  EXPECT_TRUE(Fails(check_route_signal(request("alice@example.test", "not an account")), Errc::invalid));
}

}  // namespace
}  // namespace parley::router
