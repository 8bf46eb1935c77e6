#include "signal.h"

#include <algorithm>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "addr/addr.h"
#include "hours/working_hours.h"
#include "log/log.h"
#include "verdicts.h"

namespace parley::router {
namespace {

constexpr std::size_t kMaxMethod = 32;  // INVITE, MESSAGE, SUBSCRIBE, ...: short tokens
constexpr std::size_t kMaxResolveBatch = 1000;  // the directory's limit per request

// Why an address is being resolved: the called address itself, a forward
// destination, or a group member.
enum class Role { called, forward, member };

// What some addresses come to: targets, and the first refusal met on the
// way (the answer when no target is left).
struct Expansion {
  std::vector<schema::SignalTarget> targets;
  std::optional<schema::Answer> refusal;
};

schema::SignalTarget reject_target(schema::Answer answer) {
  schema::SignalTarget t;
  t.set_kind(schema::SignalTarget::KIND_REJECT);
  *t.mutable_reject() = std::move(answer);
  return t;
}

schema::SignalTarget registered(const std::string& account) {
  schema::SignalTarget t;
  t.set_kind(schema::SignalTarget::KIND_REGISTERED);
  t.set_uri("sip:" + account);
  t.set_account(account);
  return t;
}

schema::SignalTarget external(std::string uri) {
  schema::SignalTarget t;
  t.set_kind(schema::SignalTarget::KIND_EXTERNAL);
  t.set_uri(std::move(uri));
  return t;
}

// The forward destination that means the account's own voicemail (the
// directory's kVoicemail).
constexpr std::string_view kVoicemail = "voicemail";

schema::SignalTarget media(const std::string& application, const std::string& account) {
  schema::SignalTarget t;
  t.set_kind(schema::SignalTarget::KIND_MEDIA);
  t.set_application(application);
  t.set_account(account);
  return t;
}

schema::Answer signal_loop() { return refused(schema::OUTCOME_ROUTING_LOOP, true, "forwarding or groups nested too deep"); }

bool on_path(const std::vector<std::string>& path, const std::string& name) {
  return std::find(path.begin(), path.end(), name) != path.end();
}

class Expander {
 public:
  Expander(Resolve resolve, const schema::RouteSignalRequest& request, SignalClock clock)
      : resolve_(std::move(resolve)),
        signal_(request.signal()),
        sid_(request.signal().sid()),
        media_(request.media()),
        clock_(std::move(clock)) {}

  // The directory's answers for `addresses`, one per address.
  awaitable<Result<std::vector<schema::Resolution>>> lookup(const std::vector<std::string>& addresses) {
    schema::ResolveRequest req;
    for (const auto& a : addresses) req.add_addresses(a);
    ++lookups_;
    auto answer = co_await resolve_(req, sid_);
    if (!answer) co_return fail(Errc::unavailable, "directory: " + answer.error().detail);
    if (static_cast<std::size_t>(answer->results_size()) != addresses.size()) {
      co_return fail(Errc::unavailable, "directory: short reply");
    }
    std::vector<schema::Resolution> out(answer->mutable_results()->begin(), answer->mutable_results()->end());
    co_return out;
  }

  // `addresses` resolved and expanded, at `depth` below the called
  // address; `path` holds the accounts, groups and forwarders on the way.
  awaitable<Result<Expansion>> expand(std::vector<std::string> addresses, Role role, std::vector<std::string> path,
                                      int depth) {
    Expansion out;
    if (depth > kMaxSignalDepth) {
      out.refusal = signal_loop();
      co_return out;
    }
    if (addresses.size() > kMaxResolveBatch) addresses.resize(kMaxResolveBatch);  // over kMaxSignalTargets anyway
    if (addresses.empty()) co_return out;
    // "voicemail" is no address: a forward destination meaning the
    // voicemail of the account whose rule it is (the last on the path).
    std::vector<std::string> asked;
    for (const auto& a : addresses) {
      if (a != kVoicemail) asked.push_back(a);
    }
    std::vector<schema::Resolution> found;
    if (!asked.empty()) {
      if (lookups_ >= kMaxSignalLookups) {
        out.refusal = signal_loop();
        co_return out;
      }
      auto answer = co_await lookup(asked);
      if (!answer) co_return answer.error();
      found = std::move(answer.value());
    }
    std::size_t next = 0;
    for (std::size_t i = 0; i < addresses.size(); ++i) {
      if (addresses[i] == kVoicemail) {
        Expansion one;
        if (role == Role::forward && !path.empty()) {
          one.targets.push_back(media(std::string(kVoicemail), path.back()));
        } else {
          one.refusal = unknown_user();
        }
        merge(out, std::move(one));
        continue;
      }
      auto one = co_await expand_resolved(found[next++], addresses[i], role, path, depth);
      if (!one) co_return one.error();
      merge(out, std::move(one.value()));
    }
    co_return out;
  }

  // One address the directory resolved to `res`.
  awaitable<Result<Expansion>> expand_resolved(const schema::Resolution& res, const std::string& address, Role role,
                                               const std::vector<std::string>& path, int depth) {
    Expansion out;
    std::vector<std::string> further = path;
    switch (res.kind()) {
      case schema::Resolution::KIND_ACCOUNT: {
        if (!res.sip().enabled()) {
          out.refusal = refused(schema::OUTCOME_MAILBOX_DISABLED, true);
          co_return out;
        }
        if (on_path(path, res.account())) {
          out.refusal = signal_loop();
          co_return out;
        }
        // Forwarding is for calls and messages: a subscription to the
        // account's events (presence, its message-summary) stays its own.
        std::string always = events() ? std::string() : res.sip().forward_always();
        if (role != Role::member && !events() && after_hours(res)) always = res.sip().forward_after_hours();
        if (always == kVoicemail && !media_available(res.account(), "sip_forward_always")) always.clear();
        if (role == Role::member || always.empty()) {
          out.targets.push_back(registered(res.account()));
          co_return out;
        }
        further.push_back(res.account());
        std::vector<std::string> next{always};
        auto forwarded = co_await expand(std::move(next), Role::forward, std::move(further), depth + 1);
        co_return forwarded;
      }
      case schema::Resolution::KIND_GROUP:
      case schema::Resolution::KIND_FORWARD: {
        if (on_path(path, address)) {
          out.refusal = signal_loop();
          co_return out;
        }
        further.push_back(address);
        std::vector<std::string> next(res.targets().begin(), res.targets().end());
        const Role next_role = res.kind() == schema::Resolution::KIND_GROUP ? Role::member : Role::forward;
        auto members = co_await expand(std::move(next), next_role, std::move(further), depth + 1);
        if (members && members->targets.empty() && !members->refusal) members->refusal = unknown_user();
        if (members && res.kind() == schema::Resolution::KIND_GROUP && res.ring().in_turn()) in_turn(*members, res.ring().seconds());
        co_return members;
      }
      case schema::Resolution::KIND_NOT_LOCAL:
        if (role != Role::called) {
          out.targets.push_back(external("sip:" + address));
        } else if (!signal_.auth_user().empty()) {
          // The caller's own URI, as it asked: the Request-URI may carry
          // parameters the address has lost.
          out.targets.push_back(external(signal_.request_uri().empty() ? "sip:" + address : signal_.request_uri()));
        } else {
          out.refusal = refused(schema::OUTCOME_RELAY_DENIED, true);
        }
        co_return out;
      case schema::Resolution::KIND_UNKNOWN_REJECT:
      case schema::Resolution::KIND_UNKNOWN_DISCARD:
        out.refusal = unknown_user();
        co_return out;
      default:
        out.refusal = refused(schema::OUTCOME_UNAVAILABLE, false);
        co_return out;
    }
  }

  const std::string& sid() const { return sid_; }
  // SUBSCRIBE or PUBLISH: the account's events, not a call.
  bool events() const { return signal_.method() == "SUBSCRIBE" || signal_.method() == "PUBLISH"; }

  // Whether a rule of `account` (setting `key`) to voicemail can be
  // followed: sipd has a media process. Logged when not.
  bool media_available(const std::string& account, std::string_view key) const {
    if (media_) return true;
    log::debug("router.signal.no_media", "rule to voicemail left out: sipd has no media process",
               {{"sid", sid_}, {"account", account}, {"key", key}});
    return false;
  }

 private:
  // Whether the account `res` is outside its working hours now and has
  // somewhere to send calls then.
  bool after_hours(const schema::Resolution& res) {
    const schema::SipSettings& sip = res.sip();
    if (sip.working_hours().empty() || sip.forward_after_hours().empty()) return false;
    if (sip.forward_after_hours() == kVoicemail && !media_available(res.account(), "sip_forward_after_hours")) return false;
    auto hours = hours::parse_working_hours(sip.working_hours());
    Result<std::shared_ptr<const hours::TimeZone>> zone = fail(Errc::unavailable, "no time zones");
    if (clock_.zones) zone = clock_.zones->get(sip.time_zone());
    if (!hours || !zone || !clock_.now) {
      const std::string why = !hours ? hours.error().detail : (!zone ? zone.error().detail : "no clock");
      log::warn("router.signal.hours_unreadable", "working hours left out",
                {{"sid", sid_}, {"account", res.account()}, {"error", why}});
      return false;
    }
    const std::int64_t now = clock_.now();
    const hours::LocalTime local = hours::local_time(**zone, now);
    if (hours->holds(local.weekday, local.minute)) return false;
    log::debug("router.signal.after_hours", "outside working hours",
               {{"sid", sid_}, {"account", res.account()}, {"address", sip.forward_after_hours()}});
    return true;
  }

  // A group's members one after another: the targets of each member
  // (in order; members without a target are skipped) their own stage.
  static void in_turn(Expansion& members, std::uint32_t seconds) {
    std::uint32_t stage = 0;
    for (auto& t : members.targets) {
      // Members are accounts and outside addresses, one target each.
      t.set_stage(stage++);
      t.set_stage_seconds(seconds);
    }
  }

  // Adds `more` to `out`, keeping the first refusal (duplicates are
  // dropped once, in to_list: a target met at two levels is one branch).
  static void merge(Expansion& out, Expansion more) {
    for (auto& t : more.targets) out.targets.push_back(std::move(t));
    if (!out.refusal && more.refusal) out.refusal = std::move(more.refusal);
  }

  Resolve resolve_;
  const schema::Signal& signal_;
  std::string sid_;
  bool media_ = false;
  SignalClock clock_;
  int lookups_ = 0;  // directory requests so far, for kMaxSignalLookups
};

// An expansion's targets as a reply list: each once (by kind and URI), at
// most kMaxSignalTargets. The expansion has at least one target.
void to_list(Expansion e, google::protobuf::RepeatedPtrField<schema::SignalTarget>& list, const std::string& sid,
             const std::string& address) {
  std::set<std::string> seen;
  std::size_t dropped = 0;
  // Stage by stage, each stage in the order met.
  std::stable_sort(e.targets.begin(), e.targets.end(),
                   [](const schema::SignalTarget& a, const schema::SignalTarget& b) { return a.stage() < b.stage(); });
  for (auto& t : e.targets) {
    std::string key = std::to_string(t.kind()) + ":" + t.uri() + ":" + t.application() + ":" + t.account();
    if (!seen.insert(std::move(key)).second) continue;
    if (static_cast<std::size_t>(list.size()) >= kMaxSignalTargets) {
      ++dropped;
      continue;
    }
    list.Add(std::move(t));
  }
  if (dropped > 0) {
    log::warn("router.signal.truncated", "too many parallel targets, the first ones kept",
              {{"sid", sid}, {"address", address}, {"count", dropped}});
  }
}

bool fits(std::string_view s, std::size_t max) { return s.size() <= max; }

}  // namespace

Status check_route_signal(const schema::RouteSignalRequest& request) {
  if (!request.has_signal()) return fail(Errc::invalid, "no signal");
  const schema::Signal& s = request.signal();
  if (!s.is_request()) return fail(Errc::invalid, "not a request");
  if (request.address().empty()) return fail(Errc::invalid, "no address");
  if (!fits(request.address(), kMaxSignalAddress)) return fail(Errc::limit, "address too long");
  if (!fits(s.sid(), kMaxSignalSid)) return fail(Errc::limit, "sid too long");
  if (!fits(s.method(), kMaxMethod)) return fail(Errc::limit, "method too long");
  if (!fits(s.request_uri(), kMaxRequestUri)) return fail(Errc::limit, "request_uri too long");
  if (!s.auth_user().empty()) {
    auto who = addr::parse_mailbox(s.auth_user());
    if (!who) return fail(Errc::invalid, "auth_user is not an address: " + who.error().detail);
  }
  return {};
}

awaitable<schema::RouteSignalReply> route_signal(Resolve resolve, schema::RouteSignalRequest request, SignalClock clock,
                                                 std::vector<Gateway> gateways) {
  schema::RouteSignalReply reply;
  const std::string sid = request.signal().sid();
  const std::string address = request.address();
  auto refuse = [&](schema::Answer why, std::string_view reason) {
    log::info("router.signal.refused", "call refused",
              {{"sid", sid}, {"address", address}, {"user", request.signal().auth_user()},
               {"reason", schema::Outcome_Name(why.outcome())}, {"error", reason}});
    reply.Clear();
    *reply.add_targets() = reject_target(std::move(why));
  };

  // Any user part can come from the network; the directory would refuse
  // it too, but not say why.
  if (auto parsed = addr::parse_mailbox(address); !parsed) {
    refuse(unknown_user(), "malformed address: " + parsed.error().detail);
    co_return reply;
  }

  Expander expander(std::move(resolve), request, std::move(clock));
  std::vector<std::string> asked{address};
  auto found = co_await expander.lookup(asked);
  if (!found) {
    refuse(refused(schema::OUTCOME_UNAVAILABLE, false), found.error().detail);
    co_return reply;
  }
  const schema::Resolution called = found.value().front();
  // A number for a trunk or gateway: for authenticated local callers only,
  // dialed in one of our domains (another domain's number is its own).
  if (!request.signal().auth_user().empty() && called.kind() != schema::Resolution::KIND_NOT_LOCAL &&
      called.kind() != schema::Resolution::KIND_UNSPECIFIED) {
    const auto at = address.rfind('@');
    if (auto m = match_gateway(gateways, std::string_view(address).substr(0, at))) {
      schema::SignalTarget t = external(m->trunk.empty() ? m->uri : "sip:" + m->number + address.substr(at));
      t.set_trunk(m->trunk);
      log::info("router.signal.gateway", "call to a number through a gateway rule",
                {{"sid", sid}, {"address", address}, {"user", request.signal().auth_user()}, {"to", t.uri()},
                 {"key", t.trunk()}});
      *reply.add_targets() = std::move(t);
      co_return reply;
    }
  }
  std::vector<std::string> path;
  auto targets = co_await expander.expand_resolved(called, address, Role::called, path, 0);
  if (!targets) {
    refuse(refused(schema::OUTCOME_UNAVAILABLE, false), targets.error().detail);
    co_return reply;
  }
  if (targets->targets.empty()) {
    schema::Answer why = targets->refusal ? *targets->refusal : unknown_user();
    if (why.outcome() == schema::OUTCOME_RELAY_DENIED) {
      log::info("router.signal.relay_denied", "unauthenticated call to a foreign domain refused",
                {{"sid", sid}, {"address", address}, {"peer", request.signal().received_from().address()}});
      *reply.add_targets() = reject_target(std::move(why));
    } else {
      refuse(std::move(why), "no target");
    }
    co_return reply;
  }
  to_list(std::move(targets.value()), *reply.mutable_targets(), sid, address);

  // The called account's own forwarding rules, each a forward destination.
  if (called.kind() == schema::Resolution::KIND_ACCOUNT && !expander.events()) {
    const schema::SipSettings& sip = called.sip();
    struct Rule {
      const std::string* destination;
      google::protobuf::RepeatedPtrField<schema::SignalTarget>* list;
      std::string_view name;
    };
    const Rule rules[] = {
        {&sip.forward_busy(), reply.mutable_on_busy(), "sip_forward_busy"},
        {&sip.forward_no_answer(), reply.mutable_on_no_answer(), "sip_forward_no_answer"},
        {&sip.forward_unregistered(), reply.mutable_on_unregistered(), "sip_forward_unregistered"},
    };
    for (const Rule& rule : rules) {
      if (rule.destination->empty()) continue;
      if (*rule.destination == kVoicemail && !expander.media_available(called.account(), rule.name)) continue;
      std::vector<std::string> next{*rule.destination};
      std::vector<std::string> from{called.account()};
      auto forwarded = co_await expander.expand(std::move(next), Role::forward, std::move(from), 1);
      if (!forwarded) {
        refuse(refused(schema::OUTCOME_UNAVAILABLE, false), forwarded.error().detail);
        co_return reply;
      }
      if (forwarded->targets.empty()) {
        const schema::Outcome why = forwarded->refusal ? forwarded->refusal->outcome() : schema::OUTCOME_UNKNOWN_USER;
        log::info("router.signal.forward_failed", "forwarding rule leads nowhere, left out",
                  {{"sid", sid}, {"account", called.account()}, {"key", rule.name}, {"address", *rule.destination},
                   {"reason", schema::Outcome_Name(why)}});
        continue;
      }
      to_list(std::move(forwarded.value()), *rule.list, sid, address);
    }
    if (!sip.forward_no_answer().empty() && reply.on_no_answer_size() > 0) reply.set_no_answer_seconds(sip.no_answer_s());
  }
  log::debug("router.signal.routed", "routed",
             {{"sid", sid}, {"address", address}, {"user", request.signal().auth_user()}, {"count", reply.targets_size()}});
  co_return reply;
}

}  // namespace parley::router
