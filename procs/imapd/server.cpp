#include "server.h"

#include "auth/auth.h"
#include "auth/encoding.h"
#include "daemon/acceptor.h"
#include "front.h"
#include "imap_session.h"
#include "log/log.h"
#include "pop3.h"
#include "schema/store.pb.h"

namespace parley::imapd {

using tcp = asio::ip::tcp;

namespace {
const std::string kListeners[] = {"imap", "imaps", "pop3", "pop3s"};
constexpr std::size_t kCacheBytes = 64u << 20;  // parsed messages kept for FETCH and SEARCH
}  // namespace

const mime::Part* CachedMessage::tree() {
  if (!part && !parse_failed) {
    auto parsed = mime::parse(raw);
    if (parsed) part = std::move(parsed.value());
    else parse_failed = true;
  }
  return part ? &*part : nullptr;
}

std::shared_ptr<tls::ServerContext> Settings::tls_for(std::string_view listener) const { return tls::context_for(tls, listener); }

Result<Settings> load_settings(const config::Config& c, const std::vector<std::string>& listeners) {
  Settings s;
  s.pop3_timeout = std::chrono::seconds(c.integer("imapd", "pop3_timeout_s"));
  s.imap_timeout = std::chrono::seconds(c.integer("imapd", "imap_timeout_s"));
  s.imap_login_timeout = std::chrono::seconds(c.integer("imapd", "imap_login_timeout_s"));
  s.public_admins = c.list("imapd", "public_admins");
  s.max_connections = static_cast<std::size_t>(c.integer("imapd", "max_connections"));
  s.max_connections_per_ip = static_cast<std::size_t>(c.integer("imapd", "max_connections_per_ip"));
  s.max_errors = static_cast<int>(c.integer("imapd", "max_errors"));
  auto tls = tls::listener_contexts(c.list("imapd", "tls_certificates"), listeners);
  if (!tls) return fail(tls.code(), "imapd.tls_certificates: " + tls.error().detail);
  s.tls = std::move(tls.value());
  for (const auto& listener : listeners) {
    if ((listener == "pop3s" || listener == "imaps") && !s.tls.contains(listener)) {
      return fail(Errc::invalid, "imapd: the " + listener + " listener needs a certificate (imapd.tls_certificates)");
    }
  }
  return s;
}

Server::Server(daemon::Context& ctx, Settings settings, store::Store st, std::vector<std::string> listeners)
    : ctx_(ctx),
      settings_(std::make_shared<const Settings>(std::move(settings))),
      store_(std::move(st)),
      listener_names_(std::move(listeners)),
      directory_(ctx.io(), ctx.endpoint("directory", "directory")),
      sid_prefix_(auth::hex_encode(auth::random_bytes(3)) + "-") {}

Server::~Server() = default;

std::string Server::next_sid() {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%llx", static_cast<unsigned long long>(++sid_counter_));
  return sid_prefix_ + buf;
}

Status Server::start() {
  for (const auto& name : kListeners) {
    for (const auto& l : ctx_.listeners(name)) {
      auto acceptor = daemon::make_acceptor(ctx_.io(), l);
      if (!acceptor) return acceptor.error();
      asio::co_spawn(ctx_.io(), accept(**acceptor, name), asio::detached);
      acceptors_.push_back(std::move(acceptor.value()));
    }
  }
  // Deliveries wake IDLE sessions (local-delivery publishes "mailbox.ACCOUNT").
  events_ = std::make_unique<ipc::Subscriber>(ctx_.io(), ctx_.endpoint("events", "local-delivery"),
                                              [this](std::string_view topic, std::string payload) { on_event(topic, std::move(payload)); });
  events_->subscribe("mailbox.");
  if (auto s = events_->start(); !s) return s;
  return {};
}

void Server::on_event(std::string_view topic, std::string payload) {
  schema::MailboxEvent event;
  if (!event.ParseFromString(payload) || topic != "mailbox." + event.account()) {
    log::warn("imap.event.malformed", "a malformed mailbox event", {{"key", std::string(topic.substr(0, 300))}});
    return;
  }
  changed(event.account(), event.mailbox_id());
}

void Server::changed(std::string_view owner, std::uint64_t mailbox_id) {
  // Copied: a woken session may finish and leave while we walk.
  std::vector<ImapSession*> all(imap_sessions_.begin(), imap_sessions_.end());
  for (ImapSession* s : all) s->changed(owner, mailbox_id);
}

Result<std::shared_ptr<CachedMessage>> Server::message(const std::string& body_id) {
  if (auto it = cache_index_.find(body_id); it != cache_index_.end()) {
    cache_.splice(cache_.begin(), cache_, it->second);
    return it->second->second;
  }
  auto raw = store_.read_body(body_id);
  if (!raw) return raw.error();
  auto entry = std::make_shared<CachedMessage>();
  entry->raw = std::move(raw.value());
  std::size_t bytes = entry->raw.size();
  if (bytes > kCacheBytes / 4) return entry;  // too big to keep
  cache_.emplace_front(body_id, entry);
  cache_index_[body_id] = cache_.begin();
  cache_bytes_ += bytes;
  while (cache_bytes_ > kCacheBytes && !cache_.empty()) {
    cache_bytes_ -= cache_.back().second->raw.size();
    cache_index_.erase(cache_.back().first);
    cache_.pop_back();
  }
  return entry;
}

awaitable<void> Server::accept(tcp::acceptor& acceptor, std::string listener) {
  for (;;) {
    boost::system::error_code ec;
    tcp::socket socket = co_await acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (ec == asio::error::operation_aborted || draining_) co_return;
    if (ec) {
      log::warn("imapd.accept.failed", "accept failed", {{"listener", listener}, {"error", ec.message()}});
      asio::steady_timer pause(ctx_.io(), std::chrono::milliseconds(100));
      co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      continue;
    }
    if (listener == "imap" || listener == "imaps") {
      auto session = std::make_shared<ImapSession>(*this, std::make_unique<net::TcpStream>(std::move(socket)), listener, "imap-" + next_sid());
      asio::co_spawn(ctx_.io(), ImapSession::run(session), asio::detached);
    } else {
      auto session = std::make_shared<Pop3Session>(*this, std::make_unique<net::TcpStream>(std::move(socket)), listener, "pop-" + next_sid());
      asio::co_spawn(ctx_.io(), Pop3Session::run(session), asio::detached);
    }
  }
}

bool Server::admit(FrontSession* s, const std::string& ip, std::string_view& limit) {
  if (sessions_.size() >= settings_->max_connections) {
    limit = "max_connections";
    return false;
  }
  auto& n = per_ip_[ip];
  if (n >= settings_->max_connections_per_ip) {
    if (n == 0) per_ip_.erase(ip);
    limit = "max_connections_per_ip";
    return false;
  }
  ++n;
  sessions_.insert(s);
  return true;
}

void Server::leave(FrontSession* s, const std::string& ip) {
  if (sessions_.erase(s) == 0) return;
  if (auto it = per_ip_.find(ip); it != per_ip_.end() && --it->second == 0) per_ip_.erase(it);
  if (sessions_.empty() && drained_) drained_->cancel();
}

awaitable<void> Server::drain() {
  draining_ = true;
  for (auto& a : acceptors_) a->close();
  for (FrontSession* s : sessions_) s->interrupt_if_idle();
  if (sessions_.empty()) co_return;
  drained_ = std::make_unique<asio::steady_timer>(ctx_.io(), asio::steady_timer::time_point::max());
  boost::system::error_code ec;
  co_await drained_->async_wait(asio::redirect_error(asio::use_awaitable, ec));
}

Status Server::reload(const config::Config& config) {
  auto fresh = load_settings(config, listener_names_);
  if (!fresh) return fresh.error();
  settings_ = std::make_shared<const Settings>(std::move(fresh.value()));
  log::info("imapd.reload.ok", "settings and certificates reloaded", {{"count", settings_->tls.size()}});
  return {};
}

Result<std::unique_ptr<daemon::Service>> start(daemon::Context& ctx) {
  std::vector<std::string> names;
  for (const auto& name : kListeners) {
    if (!ctx.listeners(name).empty()) names.push_back(name);
  }
  auto settings = load_settings(ctx.config(), names);
  if (!settings) return settings.error();
  auto st = store::Store::open(ctx.shared_dir("store") + "/index");
  if (!st) return fail(st.code(), "mail store: " + st.error().detail);
  auto server = std::make_unique<Server>(ctx, std::move(settings.value()), std::move(st.value()), names);
  if (auto s = server->start(); !s) return s.error();
  return std::unique_ptr<daemon::Service>(std::move(server));
}

}  // namespace parley::imapd
