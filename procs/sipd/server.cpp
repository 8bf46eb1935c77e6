#include "server.h"

#include <sys/socket.h>

#include <filesystem>

#include <boost/asio/ip/address.hpp>

#include "connection.h"
#include "ipc/contracts/directory.h"
#include "ipc/contracts/events.h"
#include "ipc/contracts/local_delivery.h"
#include "ipc/contracts/media.h"
#include "ipc/contracts/router.h"
#include "ipc/contracts/sipd.h"
#include "log/log.h"

namespace parley::sipd {

namespace {

const std::vector<std::string> kListeners = {"sip", "sips", "sip-ws", "sip-wss"};
constexpr auto kCallTimeout = std::chrono::milliseconds(5000);
constexpr auto kRelayTimeout = std::chrono::milliseconds(1000);
// Expired registrations leave the disk this often (lookups skip them anyway).
constexpr auto kSweepEvery = std::chrono::seconds(60);
// Registrations are committed at once and written to the disk this often:
// a crash of sipd loses none, a crash of the machine at most this much
// (an fsync per REGISTER would bound the registrar's rate by the disk).
constexpr auto kSyncEvery = std::chrono::seconds(1);

std::int64_t wall_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// The address a listening socket is bound to; nullopt when unknown.
std::optional<Local> bound_address(int fd, const std::string& hostname) {
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return std::nullopt;
  char text[INET6_ADDRSTRLEN] = {};
  Local local;
  if (addr.ss_family == AF_INET) {
    const auto* a = reinterpret_cast<const sockaddr_in*>(&addr);
    ::inet_ntop(AF_INET, &a->sin_addr, text, sizeof text);
    local.host = text;
    local.port = ntohs(a->sin_port);
  } else if (addr.ss_family == AF_INET6) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(&addr);
    ::inet_ntop(AF_INET6, &a->sin6_addr, text, sizeof text);
    local.host = std::string("[") + text + "]";
    local.port = ntohs(a->sin6_port);
  } else {
    return std::nullopt;
  }
  // A wildcard address says nothing a peer can use: the host name does.
  if (local.host == "0.0.0.0" || local.host == "[::]") local.host = hostname;
  return local;
}

}  // namespace

Server::Server(daemon::Context& ctx, Settings settings, std::vector<std::string> listeners, sip::Bindings bindings,
               sip::StoredMessages messages)
    : Frontend(ctx, "sip", &load_settings, std::move(settings), std::move(listeners)),
      resolver_(ctx.io(), dns::Options{.servers = this->settings()->dns_servers}),
      directory_(ctx.io(), ctx.endpoint("directory", "directory")),
      router_(ctx.io(), ctx.endpoint("router", "router")),
      local_delivery_(ctx.io(), ctx.endpoint("status", "local-delivery")),
      media_(ctx.io(), ctx.endpoint("relay", "media")),
      media_socket_(ipc::endpoint_path(ctx.endpoint("relay", "media"))),
      admin_(ctx.io(), ctx.endpoint("admin"), ipc::ServerOptions{.socket_mode = 0600}),
      bindings_(std::move(bindings)),
      messages_(std::move(messages)),
      datagrams_(ctx),
      sweep_(ctx.io()) {
  core_ = std::make_unique<Core>(ctx.io(), *this, *this, bindings_, messages_,
                                 Core::Options{.settings = [this] { return this->settings(); },
                                               .next_sid = [this] { return front().next_sid("sip"); },
                                               .wall_now = &wall_now,
                                               .key = {}});
}

Server::~Server() {
  *alive_ = false;
  for (const auto& [id, weak] : connections_) {
    if (auto c = weak.lock()) c->close();  // outbound ones are not the front's sessions
  }
  admin_.stop();
  core_->stop();
  datagrams_.close();
  (void)bindings_.sync();
}

Status Server::start() {
  const std::string hostname = settings()->hostname;
  for (const auto& name : kListeners) {
    for (const auto& l : ctx_.listeners(name)) {
      auto local = bound_address(l.fd, hostname);
      if (!local) continue;
      const Flow::Kind kind = l.datagram            ? Flow::Kind::udp
                              : name == "sips"      ? Flow::Kind::tls
                              : name == "sip-ws"    ? Flow::Kind::ws
                              : name == "sip-wss"   ? Flow::Kind::wss
                                                    : Flow::Kind::tcp;
      locals_.try_emplace(kind, *local);
    }
  }
  // Who may watch whom (presence): sipd's own data, beside the registrations.
  auto rules = sip::PresenceRules::open(ctx_.data_dir() + "/watchers");
  if (!rules) return rules.error();
  rules_.emplace(std::move(rules.value()));
  core_->set_presence_rules(&*rules_);
  if (auto started = datagrams_.listen({"sip"}, [this](const front::Datagrams::Packet& packet) {
        Flow flow;
        flow.kind = Flow::Kind::udp;
        flow.socket = packet.socket;
        flow.ip = packet.from.address().to_string();
        flow.port = packet.from.port();
        core_->receive(std::string(packet.bytes), flow);
      });
      !started) {
    return started;
  }
  if (auto started = listen([this](std::unique_ptr<net::Stream> stream, const std::string& listener) {
        spawn<Connection>(*this, std::move(stream), listener, "sip");
      });
      !started) {
    return started;
  }
  admin_.handle(contracts::kSipAdmin,
                [this](const ipc::RequestInfo&, schema::SipAdminRequest req) -> awaitable<Result<schema::SipAdminReply>> {
                  co_return admin(req);
                });
  if (auto started = admin_.start(); !started) return started;
  // An INBOX's counts change with deliveries (local-delivery) and with mail
  // read or removed (imapd's IMAP and POP3 sessions).
  for (std::string_view publisher : {"local-delivery", "imapd"}) {
    auto events = std::make_unique<ipc::Subscriber>(io(), ctx_.endpoint("events", publisher));
    events->subscribe(contracts::kMailboxChanged,
                      [this](std::string_view key, schema::MailboxEvent event) { mailbox_event(key, event); });
    if (auto started = events->start(); !started) return started;
    mailbox_events_.push_back(std::move(events));
  }
  // Calls the media relay ended by itself (no media for media.timeout_s).
  relay_events_ = std::make_unique<ipc::Subscriber>(io(), ctx_.endpoint("events", "media"));
  relay_events_->subscribe(contracts::kRelayEnded,
                           [this](std::string_view key, schema::RelayEnded event) { core_->relay_ended(key, event); });
  // Calls an application ended (voicemail: a message left and #).
  relay_events_->subscribe(contracts::kAppEnded,
                           [this](std::string_view key, schema::AppEnded event) { core_->app_ended(key, event); });
  if (auto started = relay_events_->start(); !started) return started;
  asio::co_spawn(io(), sweep_loop(), asio::detached);
  core_->start_trunks();
  report();
  return {};
}

Result<schema::SipAdminReply> Server::admin(const schema::SipAdminRequest& request) {
  schema::SipAdminReply reply;
  if (request.op() == "registrations") {
    auto all = bindings_.list();
    if (!all) return all.error();
    const std::int64_t now = wall_now();
    for (const auto& b : *all) {
      if (b.binding.expires_at <= now) continue;
      if (!request.account().empty() && b.account != request.account()) continue;
      auto* r = reply.add_registrations();
      r->set_account(b.account);
      r->set_contact(b.binding.uri);
      r->set_flow(b.binding.flow);
      r->set_expires_at(b.binding.expires_at);
      r->set_q(b.binding.q);
      r->set_instance(b.binding.instance);
    }
  } else if (request.op() == "calls") {
    for (const auto& c : core_->calls()) {
      auto* r = reply.add_calls();
      r->set_sid(c.sid);
      r->set_call_id(c.call_id);
      r->set_caller(c.caller);
      r->set_callee(c.callee);
      r->set_started(c.started);
      r->set_answered(c.answered);
    }
  } else if (request.op() == "trunks") {
    for (const auto& t : core_->trunks()) {
      auto* r = reply.add_trunks();
      r->set_name(t.name);
      r->set_registrar(t.registrar);
      r->set_state(t.state);
      r->set_expires_at(t.expires_at);
      r->set_last_status(t.last_status);
      r->set_last_error(t.last_error);
      r->set_failures(t.failures);
    }
  } else if (request.op() == "unregister") {
    if (request.account().empty()) return fail(Errc::invalid, "unregister needs an account");
    auto removed = bindings_.unregister(request.account());
    if (!removed) return removed.error();
    reply.set_removed(static_cast<std::uint32_t>(*removed));
    log::info("sip.admin.unregistered", "registrations removed by the administrator",
              {{"account", request.account()}, {"count", *removed}, {"actor", request.actor()}});
    core_->presence_changed(request.account());
    report();
  } else if (request.op() == "allow" || request.op() == "deny") {
    if (request.account().empty() || request.watcher().empty()) return fail(Errc::invalid, "allow and deny need an account and a watcher");
    auto done = request.op() == "allow" ? core_->allow_watcher(request.account(), request.watcher())
                                        : core_->deny_watcher(request.account(), request.watcher());
    if (!done) return done.error();
    log::info(request.op() == "allow" ? "sip.admin.watcher_allowed" : "sip.admin.watcher_denied",
              "presence permission changed by the administrator",
              {{"account", request.account()}, {"user", request.watcher()}, {"actor", request.actor()}});
  } else {
    return fail(Errc::invalid, "unknown sip administration request");
  }
  return reply;
}

awaitable<void> Server::drain() {
  datagrams_.close();
  co_await front().drain();
}

std::uint64_t Server::add_connection(const std::shared_ptr<Connection>& connection) {
  const auto id = next_connection_++;
  connections_[id] = connection;
  return id;
}

void Server::remove_connection(std::uint64_t id) { connections_.erase(id); }

Status Server::send(const Flow& flow, std::string bytes) {
  if (flow.kind == Flow::Kind::udp) {
    boost::system::error_code ec;
    auto address = asio::ip::make_address(flow.ip, ec);
    if (ec || flow.socket >= datagrams_.sockets()) return fail(Errc::not_found, "no such UDP flow");
    return datagrams_.send(flow.socket, asio::ip::udp::endpoint(address, flow.port), bytes);
  }
  auto it = connections_.find(flow.connection);
  auto connection = it == connections_.end() ? nullptr : it->second.lock();
  if (!connection) return fail(Errc::not_found, "connection closed");
  if (!connection->send(std::move(bytes))) return fail(Errc::not_found, "connection closing");
  return {};
}

std::optional<Local> Server::local(Flow::Kind kind) const {
  auto it = locals_.find(kind);
  if (it == locals_.end()) return std::nullopt;
  return it->second;
}

Result<Flow> Server::flow_to(Flow::Kind kind, const std::string& ip, std::uint16_t port) {
  if (kind == Flow::Kind::udp) {
    boost::system::error_code ec;
    auto address = asio::ip::make_address(ip, ec);
    if (ec) return fail(Errc::invalid, "not an address");
    // The first socket of the peer's address family.
    for (std::size_t i = 0; i < datagrams_.sockets(); ++i) {
      if (datagrams_.local(i).address().is_v6() == address.is_v6()) {
        return Flow{.kind = kind, .connection = 0, .socket = i, .ip = ip, .port = port};
      }
    }
    return fail(Errc::not_found, "no UDP socket for that address family");
  }
  for (const auto& [id, weak] : connections_) {
    auto c = weak.lock();
    if (c && c->flow().kind == kind && c->flow().ip == ip && c->flow().port == port) return c->flow();
  }
  if (kind != Flow::Kind::tcp) return fail(Errc::not_found, "no connection to " + ip);
  return connect(kind, ip, port, {});
}

Result<Flow> Server::flow_to_server(Flow::Kind kind, const std::string& ip, std::uint16_t port,
                                    const std::string& host) {
  if (kind != Flow::Kind::tls) return flow_to(kind, ip, port);
  for (const auto& [id, weak] : connections_) {
    auto c = weak.lock();
    if (c && c->flow().kind == kind && c->flow().ip == ip && c->flow().port == port && c->server_name() == host) {
      return c->flow();
    }
  }
  return connect(kind, ip, port, host);
}

Result<Flow> Server::connect(Flow::Kind kind, const std::string& ip, std::uint16_t port, const std::string& host) {
  boost::system::error_code ec;
  asio::ip::make_address(ip, ec);
  if (ec) return fail(Errc::invalid, "not an address");
  Flow flow{.kind = kind, .connection = next_connection_++, .socket = 0, .ip = ip, .port = port};
  connections_[flow.connection] = Connection::connect(*this, flow, front().next_sid("sip"), host);
  return flow;
}

bool Server::usable(const Flow& flow) const {
  if (flow.kind == Flow::Kind::udp) return flow.socket < datagrams_.sockets();
  auto it = connections_.find(flow.connection);
  return it != connections_.end() && !it->second.expired();
}

awaitable<Result<schema::AuthReply>> Server::digest(schema::DigestRequest request) {
  ipc::CallOptions options(kCallTimeout, request.sid());
  co_return co_await directory_.call(contracts::kDirectoryDigest, request, options);
}

awaitable<Result<schema::ResolveReply>> Server::resolve(schema::ResolveRequest request) {
  ipc::CallOptions options(kCallTimeout);
  co_return co_await directory_.call(contracts::kDirectoryResolve, request, options);
}

awaitable<Result<schema::RouteSignalReply>> Server::route(schema::RouteSignalRequest request) {
  ipc::CallOptions options(kCallTimeout, request.signal().sid());
  co_return co_await router_.call(contracts::kRouterRouteSignal, request, options);
}

awaitable<Result<std::vector<dns::Target>>> Server::locate(dns::SipDestination destination) {
  co_return co_await dns::locate(resolver_, std::move(destination));
}

// The relay answers at once or the call goes on without it: a caller
// waits for the INVITE to leave.
awaitable<Result<schema::RelayUpdateReply>> Server::relay_update(schema::RelayUpdate update) {
  if (!media_available()) co_return fail(Errc::unavailable, "no media process");
  ipc::CallOptions options(kRelayTimeout, update.sid());
  co_return co_await media_.call(contracts::kRelayUpdate, update, options);
}

awaitable<Result<schema::RelayReleaseReply>> Server::relay_release(schema::RelayRelease release) {
  if (!media_available()) co_return fail(Errc::unavailable, "no media process");
  ipc::CallOptions options(kCallTimeout, release.sid());
  co_return co_await media_.call(contracts::kRelayRelease, release, options);
}

bool Server::media_available() const {
  const auto now = std::chrono::steady_clock::now();
  if (now - media_checked_ >= std::chrono::seconds(1)) {
    media_seen_ = std::filesystem::exists(media_socket_);
    media_checked_ = now;
  }
  return media_seen_;
}

awaitable<Result<schema::AppStartReply>> Server::app_start(schema::AppStart start) {
  if (!media_available()) co_return fail(Errc::unavailable, "no media process");
  ipc::CallOptions options(kRelayTimeout, start.sid());
  co_return co_await media_.call(contracts::kAppStart, start, options);
}

awaitable<Result<schema::AppStopReply>> Server::app_stop(schema::AppStop stop) {
  if (!media_available()) co_return fail(Errc::unavailable, "no media process");
  ipc::CallOptions options(kCallTimeout, stop.sid());
  co_return co_await media_.call(contracts::kAppStop, stop, options);
}

awaitable<Result<schema::AppDigitsReply>> Server::app_digits(schema::AppDigits digits) {
  if (!media_available()) co_return fail(Errc::unavailable, "no media process");
  ipc::CallOptions options(kCallTimeout, digits.sid());
  co_return co_await media_.call(contracts::kAppDigits, digits, options);
}

awaitable<Result<schema::MailboxStatusReply>> Server::mailbox_status(schema::MailboxStatusRequest request) {
  ipc::CallOptions options(kCallTimeout, request.sid());
  co_return co_await local_delivery_.call(contracts::kMailboxStatus, request, options);
}

// A mailbox event from local-delivery or imapd, checked as if the sender
// were hostile (the key is the account; an INBOX cannot have more unseen
// messages than messages). Only INBOX is message-summary's business.
void Server::mailbox_event(std::string_view key, const schema::MailboxEvent& event) {
  if (key != event.account() || event.account().empty() || event.account().size() > sip::kMaxAccount ||
      event.unseen() > event.messages()) {
    log::warn("sip.mailbox.malformed", "a malformed mailbox event", {{"key", std::string(key.substr(0, 300))}});
    return;
  }
  if (event.mailbox() != "INBOX") return;
  core_->mailbox_changed(event.account(), event.messages(), event.unseen());
}

awaitable<void> Server::sweep_loop() {
  for (auto next_sweep = std::chrono::steady_clock::now() + kSweepEvery;;) {
    sweep_.expires_after(kSyncEvery);
    boost::system::error_code ec;
    co_await sweep_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;
    if (auto synced = bindings_.sync(); !synced) log::error("sip.registrations.sync_failed", synced.error().detail);
    if (std::chrono::steady_clock::now() < next_sweep) continue;
    next_sweep = std::chrono::steady_clock::now() + kSweepEvery;
    core_->expire_calls(std::chrono::steady_clock::now());
    auto swept = bindings_.sweep(wall_now());
    if (!swept) {
      log::error("sip.registrations.sweep_failed", swept.error().detail);
    } else {
      for (const auto& b : *swept) {
        log::info("sip.register.expired", "registration expired", {{"account", b.account}, {"flow", b.binding.flow}});
        core_->presence_changed(b.account);
      }
    }
    report();
  }
}

void Server::report() {
  auto all = bindings_.list();
  ctx_.set_status("registrations " + std::to_string(all ? all->size() : 0) + ", connections " +
                  std::to_string(connections_.size()) + ", transactions " + std::to_string(core_->transactions()) +
                  ", calls " + std::to_string(core_->calls().size()) + ", subscriptions " +
                  std::to_string(core_->subscriptions()));
}

Result<std::unique_ptr<daemon::Service>> start(daemon::Context& ctx) {
  const auto names = front::Server::present(ctx, kListeners);
  auto settings = load_settings(ctx.config(), names);
  if (!settings) return settings.error();
  auto bindings = sip::Bindings::open(ctx.data_dir() + "/registrations", /*sync_commits=*/false);
  if (!bindings) return bindings.error();
  auto messages = sip::StoredMessages::open(ctx.data_dir() + "/messages");
  if (!messages) return messages.error();
  return daemon::launch<Server>(ctx, std::move(settings.value()), names, std::move(bindings.value()),
                                std::move(messages.value()));
}

}  // namespace parley::sipd
