#include "router.h"

#include <ctime>
#include <optional>
#include <set>
#include <string_view>

#include "daemon/daemon.h"
#include "ipc/ipc.h"
#include "ipc/contracts/dequeuer.h"
#include "ipc/contracts/directory.h"
#include "ipc/contracts/router.h"
#include "log/log.h"
#include "mail/headers.h"
#include "postmaster.h"
#include "queue/committer.h"
#include "queue/queue.h"
#include "rules.h"
#include "schema/directory.pb.h"
#include "schema/envelope.pb.h"
#include "settings.h"
#include "signal.h"
#include "verdicts.h"

namespace parley::router {
namespace {

using namespace std::chrono_literals;

constexpr int kMaxRecipients = 100000;       // per message, from any sender
constexpr std::size_t kMaxResolveBatch = 1000;  // the directory's limit per request
constexpr int kMaxExpansionDepth = 8;        // forwarders and groups pointing at each other
constexpr std::size_t kMaxExpanded = 10000;  // final recipients of one message
constexpr auto kDirectoryTimeout = 10s;
constexpr auto kNotifyTimeout = 2s;

// A postmaster address with no mailbox of its own (postmaster.h): it goes
// to the main postmaster instead.
bool orphan_postmaster(const Settings& s, const std::string& address, schema::Resolution::Kind kind) {
  switch (kind) {
    case schema::Resolution::KIND_UNKNOWN_REJECT:
    case schema::Resolution::KIND_UNKNOWN_DISCARD: return is_postmaster(address);
    case schema::Resolution::KIND_NOT_LOCAL: return is_host_postmaster(address, s.hostname);
    default: return false;
  }
}

class Router final : public daemon::Service {
 public:
  Router(daemon::Context& ctx, Settings settings, std::unique_ptr<queue::Queue> q)
      : ctx_(ctx),
        settings_(std::make_shared<const Settings>(std::move(settings))),
        queue_(std::move(q)),
        committer_(ctx.io(), *queue_, settings_->batch_max),
        server_(ctx.io(), ctx.endpoint("router")),
        directory_(ctx.io(), ctx.endpoint("directory", "directory")),
        dequeuer_(ctx.io(), ctx.endpoint("dequeuer", "dequeuer")) {}

  Status start() {
    server_.handle(
        contracts::kRouterEnqueue, [this](const ipc::RequestInfo& info, schema::EnqueueRequest req) -> awaitable<Result<schema::EnqueueReply>> {
          co_return co_await enqueue(info, std::move(req));
        });
    server_.handle(
        contracts::kRouterVerify, [this](const ipc::RequestInfo&, schema::VerifyRequest req) -> awaitable<Result<schema::VerifyReply>> {
          co_return co_await verify(std::move(req));
        });
    server_.handle(contracts::kRouterRouteSignal,
                   [this](const ipc::RequestInfo&, schema::RouteSignalRequest req) -> awaitable<Result<schema::RouteSignalReply>> {
                     if (auto s = check_route_signal(req); !s) {
                       log::warn("router.signal.invalid", "malformed request from sipd",
                                 {{"sid", req.signal().sid().substr(0, kMaxSignalSid)}, {"error", s.error().detail}});
                       co_return s.error();
                     }
                     Resolve resolve = [this](const schema::ResolveRequest& ask, const std::string& sid) {
                       return resolve_addresses(ask, sid);
                     };
                     SignalClock clock = signal_clock_;
                     std::vector<Gateway> gateways = settings_->sip_gateways;
                     schema::RouteSignalReply reply =
                         co_await route_signal(std::move(resolve), std::move(req), std::move(clock), std::move(gateways));
                     co_return reply;
                   });
    return server_.start();
  }

  awaitable<void> drain() override {
    server_.stop();
    co_return;
  }

  Status reload(const config::Config& config) override {
    auto fresh = load_settings(config);
    if (!fresh) return fresh.error();
    settings_ = std::make_shared<const Settings>(std::move(fresh.value()));
    return {};
  }

 private:
  // One recipient being resolved: where it came from and what it is now.
  struct Pending {
    int origin;  // index into the envelope's recipients
    std::string address;
  };

  awaitable<Result<schema::EnqueueReply>> enqueue(const ipc::RequestInfo& info, schema::EnqueueRequest req) {
    auto settings = settings_;
    schema::Envelope& env = *req.mutable_envelope();
    const std::string id = env.message_id();
    if (!queue::valid_id(id)) co_return fail(Errc::invalid, "bad queue id");
    if (env.recipients_size() == 0 || env.recipients_size() > kMaxRecipients) co_return fail(Errc::invalid, "bad recipient count");
    schema::EnqueueReply reply;
    reply.set_queue_id(id);
    *reply.mutable_answer() = accepted();
    // The sender asking again after a lost reply: it is queued already.
    if (queue_->seen(id)) {
      log::info("router.message.duplicate", "already queued", {{"sid", env.sid()}, {"queue_id", id}});
      co_return reply;
    }
    const std::string& body = req.body();
    int hops = mail::count_headers(body, "Received");
    if (hops >= settings->max_hops) {
      log::warn("router.message.loop", "too many hops", {{"sid", env.sid()}, {"queue_id", id}, {"count", hops}});
      *reply.mutable_answer() = routing_loop();
      co_return reply;
    }
    env.set_hop_count(static_cast<std::uint32_t>(hops));

    auto routed = co_await route(*settings, env, info.sid);
    if (!routed) {
      if (routed.code() == Errc::limit) {
        log::warn("router.message.loop", "too many recipients after expansion", {{"sid", env.sid()}, {"queue_id", id}, {"error", routed.error().detail}});
        *reply.mutable_answer() = routing_loop();
      } else {
        log::warn("router.message.deferred", "could not route", {{"sid", env.sid()}, {"queue_id", id}, {"error", routed.error().detail}});
        *reply.mutable_answer() = refused(schema::OUTCOME_UNAVAILABLE, false);
      }
      co_return reply;
    }
    env.clear_recipients();
    for (auto& r : routed.value()) *env.add_recipients() = std::move(r);
    env.mutable_body()->set_size(body.size());

    queue::NewMessage message;
    *message.entry.mutable_envelope() = env;
    message.entry.set_created_unix_ms(
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count());
    message.body = std::move(*req.mutable_body());
    Status committed = co_await committer_.add(std::move(message));
    if (!committed) {
      log::error("router.message.failed", "could not queue", {{"sid", env.sid()}, {"queue_id", id}, {"error", committed.error().detail}});
      *reply.mutable_answer() = refused(schema::OUTCOME_UNAVAILABLE, false);
      co_return reply;
    }
    log::info("router.message.queued", "queued",
              {{"sid", env.sid()}, {"queue_id", id}, {"from", env.return_path()}, {"count", env.recipients_size()},
               {"bytes", env.size()}, {"msg_id", env.header_message_id()}});
    asio::co_spawn(ctx_.io(), notify(id), asio::detached);
    co_return reply;
  }

  // As route() would decide, for smtpd's RCPT: one level, no expansion
  // (what a forwarder or group expands to is checked when it is routed).
  awaitable<Result<schema::VerifyReply>> verify(schema::VerifyRequest req) {
    if (req.addresses_size() == 0 || static_cast<std::size_t>(req.addresses_size()) > kMaxResolveBatch) {
      co_return fail(Errc::invalid, "bad address count");
    }
    auto settings = settings_;
    schema::VerifyReply reply;
    schema::ResolveRequest ask;
    std::vector<schema::Verdict*> pending;
    for (const auto& a : req.addresses()) {
      auto* v = reply.add_results();
      auto m = match_rule(settings->rules, a);
      if (!m || m->kind == Rule::Kind::rewrite) {
        ask.add_addresses(m ? m->text : a);
        pending.push_back(v);
        continue;
      }
      *v = rule_verdict(*m);
    }
    if (pending.empty()) co_return reply;
    ipc::CallOptions opts(std::chrono::duration_cast<std::chrono::milliseconds>(kDirectoryTimeout), req.sid());
    auto answer = co_await directory_.call(contracts::kDirectoryResolve, ask, opts);
    const bool answered = answer && static_cast<std::size_t>(answer->results_size()) == pending.size();
    // Postmaster without a mailbox of its own: the main postmaster's
    // answer is the one that counts, looked up once for the request.
    std::optional<Result<std::optional<schema::Resolution>>> main;
    for (std::size_t i = 0; i < pending.size(); ++i) {
      const auto kind = answered ? answer->results(static_cast<int>(i)).kind() : schema::Resolution::KIND_UNSPECIFIED;
      if (answered && orphan_postmaster(*settings, ask.addresses(static_cast<int>(i)), kind)) {
        if (!main) {
          auto found = co_await main_postmaster(*settings, req.sid());
          main = std::move(found);
        }
        *pending[i] = postmaster_verdict(*main);
        continue;
      }
      *pending[i] = resolution_verdict(kind);
    }
    co_return reply;
  }

  // The main postmaster (postmaster.h): the first candidate the directory
  // has a mailbox for; a configured one may also be remote. nullopt: none,
  // which is logged, as the administrator must mend it.
  awaitable<Result<std::optional<schema::Resolution>>> main_postmaster(const Settings& settings, const std::string& sid) {
    const auto candidates = postmaster_candidates(settings.postmaster, settings.hostname);
    std::optional<schema::Resolution> none;
    if (candidates.empty()) {
      log::warn("router.postmaster.missing", "no main postmaster: set router.postmaster", {{"sid", sid}});
      co_return none;
    }
    schema::ResolveRequest req;
    for (const auto& c : candidates) req.add_addresses(c);
    ipc::CallOptions opts(std::chrono::duration_cast<std::chrono::milliseconds>(kDirectoryTimeout), sid);
    auto answer = co_await directory_.call(contracts::kDirectoryResolve, req, opts);
    if (!answer) co_return fail(Errc::unavailable, "directory: " + answer.error().detail);
    if (static_cast<std::size_t>(answer->results_size()) != candidates.size()) {
      co_return fail(Errc::unavailable, "directory: short reply");
    }
    for (std::size_t i = 0; i < candidates.size(); ++i) {
      schema::Resolution res = answer->results(static_cast<int>(i));
      const bool remote = !settings.postmaster.empty() && res.kind() == schema::Resolution::KIND_NOT_LOCAL;
      if (has_mailbox(res.kind()) || remote) {
        res.set_address(candidates[i]);
        std::optional<schema::Resolution> found(std::move(res));
        co_return found;
      }
    }
    log::warn("router.postmaster.missing", "no main postmaster mailbox: set router.postmaster or add one",
              {{"sid", sid}, {"address", candidates.front()}});
    co_return none;
  }

  // router.route_signal's directory lookups (signal.h).
  awaitable<Result<schema::ResolveReply>> resolve_addresses(schema::ResolveRequest ask, std::string sid) {
    ipc::CallOptions opts(std::chrono::duration_cast<std::chrono::milliseconds>(kDirectoryTimeout), std::move(sid));
    auto answer = co_await directory_.call(contracts::kDirectoryResolve, ask, opts);
    co_return answer;
  }

  // A hint; the dequeuer also scans the queue when it starts.
  awaitable<void> notify(std::string id) {
    schema::QueueNotify n;
    n.add_queue_ids(id);
    ipc::CallOptions opts(std::chrono::duration_cast<std::chrono::milliseconds>(kNotifyTimeout));
    (void)co_await dequeuer_.call(contracts::kDequeuerNotify, n, opts);
  }

  // Every recipient to its final destinations: router rules, then the
  // directory, level by level for forwarders and groups.
  awaitable<Result<std::vector<schema::Recipient>>> route(const Settings& settings, const schema::Envelope& env, const std::string& sid) {
    std::vector<schema::Recipient> out;
    std::set<std::string> targets;  // final destinations already taken
    auto add = [&](int origin, std::string resolved, bool local) -> schema::Recipient* {
      if (!targets.insert((local ? "L:" : "R:") + resolved).second) return nullptr;
      schema::Recipient r = env.recipients(origin);
      r.set_resolved(std::move(resolved));
      r.set_local(local);
      r.set_state(schema::RCPT_PENDING);
      out.push_back(std::move(r));
      return &out.back();
    };
    auto refuse = [&](int origin, schema::Answer why) {
      schema::Recipient r = env.recipients(origin);
      r.set_resolved(r.address());
      r.set_state(schema::RCPT_FAILED);
      *r.mutable_refusal() = std::move(why);
      out.push_back(std::move(r));
    };

    std::vector<Pending> level;
    for (int i = 0; i < env.recipients_size(); ++i) level.push_back({i, env.recipients(i).address()});
    for (int depth = 0; !level.empty(); ++depth) {
      if (depth >= kMaxExpansionDepth) {
        for (const auto& p : level) refuse(p.origin, expansion_too_deep());
        break;
      }
      // Rules first (only on the addresses as given: a rewrite is final).
      std::vector<Pending> ask;
      for (auto& p : level) {
        auto m = depth == 0 ? match_rule(settings.rules, p.address) : std::nullopt;
        if (!m) {
          ask.push_back(std::move(p));
          continue;
        }
        switch (m->kind) {
          case Rule::Kind::rewrite:
            log::debug("router.rcpt.rewritten", "rewritten", {{"sid", sid}, {"rcpt", p.address}, {"address", m->text}});
            ask.push_back({p.origin, m->text});
            break;
          case Rule::Kind::error: refuse(p.origin, m->refusal); break;
          case Rule::Kind::discard:
            log::info("router.rcpt.discarded", "discarded by rule", {{"sid", sid}, {"rcpt", p.address}});
            break;
          case Rule::Kind::smtp:
            if (auto* r = add(p.origin, p.address, false)) r->set_relay_host(m->text);
            break;
        }
      }
      std::vector<Pending> next;
      // Where postmaster mail without a mailbox goes, once looked up.
      std::optional<std::optional<schema::Resolution>> main;
      for (std::size_t start = 0; start < ask.size(); start += kMaxResolveBatch) {
        schema::ResolveRequest req;
        std::size_t end = std::min(ask.size(), start + kMaxResolveBatch);
        for (std::size_t i = start; i < end; ++i) req.add_addresses(ask[i].address);
        ipc::CallOptions opts(std::chrono::duration_cast<std::chrono::milliseconds>(kDirectoryTimeout), sid);
        auto answer = co_await directory_.call(contracts::kDirectoryResolve, req, opts);
        if (!answer) co_return fail(Errc::unavailable, "directory: " + answer.error().detail);
        if (static_cast<std::size_t>(answer->results_size()) != end - start) co_return fail(Errc::unavailable, "directory: short reply");
        for (std::size_t i = start; i < end; ++i) {
          const auto& res = answer->results(static_cast<int>(i - start));
          const Pending& p = ask[i];
          if (orphan_postmaster(settings, p.address, res.kind())) {
            if (!main) {
              auto found = co_await main_postmaster(settings, sid);
              if (!found) co_return found.error();
              main = std::move(found.value());
            }
            // The main postmaster is resolved at the next level; one that
            // turns out to be an orphan itself is not sent round again.
            if (*main && (*main)->address() != p.address) {
              log::info("router.rcpt.postmaster", "to the main postmaster",
                        {{"sid", sid}, {"rcpt", p.address}, {"address", (*main)->address()}});
              next.push_back({p.origin, (*main)->address()});
            } else {
              refuse(p.origin, no_main_postmaster());
            }
            continue;
          }
          switch (res.kind()) {
            case schema::Resolution::KIND_ACCOUNT:
              if (auto* r = add(p.origin, res.account(), true)) r->set_detail(res.detail());
              break;
            case schema::Resolution::KIND_FORWARD:
            case schema::Resolution::KIND_GROUP:
              for (const auto& t : res.targets()) next.push_back({p.origin, t});
              break;
            case schema::Resolution::KIND_NOT_LOCAL: add(p.origin, p.address, false); break;
            case schema::Resolution::KIND_UNKNOWN_REJECT: refuse(p.origin, unknown_user()); break;
            case schema::Resolution::KIND_UNKNOWN_DISCARD:
              log::info("router.rcpt.discarded", "unknown user discarded by domain policy", {{"sid", sid}, {"rcpt", p.address}});
              break;
            default: co_return fail(Errc::unavailable, "directory could not resolve " + p.address);
          }
        }
      }
      if (out.size() + next.size() > kMaxExpanded) co_return fail(Errc::limit, "too many recipients after expansion");
      level = std::move(next);
    }
    co_return out;
  }

  daemon::Context& ctx_;
  std::shared_ptr<const Settings> settings_;
  std::unique_ptr<queue::Queue> queue_;
  queue::Committer committer_;
  ipc::Server server_;
  ipc::Client directory_;
  ipc::Client dequeuer_;
  // Working hours are read on the wall clock, in zones read once
  // (signal.h).
  SignalClock signal_clock_{.now = [] { return static_cast<std::int64_t>(std::time(nullptr)); },
                            .zones = std::make_shared<hours::ZoneCache>()};
};

}  // namespace

Result<std::unique_ptr<daemon::Service>> start(daemon::Context& ctx) {
  auto settings = load_settings(ctx.config());
  if (!settings) return settings.error();
  auto q = queue::Queue::open(ctx.shared_dir("queue"));
  if (!q) return fail(q.code(), "queue: " + q.error().detail);
  return daemon::launch<Router>(ctx, std::move(settings.value()), std::move(q.value()));
}

}  // namespace parley::router
