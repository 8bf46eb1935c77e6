#include "outbound.h"

#include <algorithm>
#include <deque>
#include <map>
#include <optional>
#include <tuple>

#include "config/host_port.h"
#include "log/log.h"
#include "smtp/client.h"
#include "smtp/data.h"
#include "tls/stream.h"

namespace parley::dequeuer {
namespace {

using tcp = asio::ip::tcp;
constexpr std::size_t kReadChunk = 16384;
constexpr std::uint16_t kSmtpPort = 25;
constexpr std::chrono::milliseconds kIdleQuitTimeout{5000};  // QUIT of an idle connection: a live server answers at once

// Why a connection ended before the message was through.
enum class Stop {
  none,
  next_host,   // try the next host (unreachable, 4xx greeting/EHLO/MAIL, lost connection)
  retry_plain, // the TLS handshake failed: the same host again, without STARTTLS
  final,       // every recipient has its answer
};

RecipientOutcome from_reply(const smtp::ServerReply& r, const std::string& host) {
  RecipientOutcome o;
  o.delivered = r.positive();
  o.permanent = r.permanent();
  o.reply = r.text();
  o.status = r.enhanced();
  if (o.status.empty()) o.status = r.positive() ? "2.0.0" : (r.permanent() ? "5.0.0" : "4.0.0");
  o.remote_mta = host;
  return o;
}

RecipientOutcome temporary(std::string reply, std::string status, std::string host = {}) {
  RecipientOutcome o;
  o.reply = std::move(reply);
  o.status = std::move(status);
  o.remote_mta = std::move(host);
  return o;
}

struct Connecting {
  Connecting(asio::io_context& io, std::chrono::milliseconds timeout) : socket(io), timer(io, timeout) {}
  tcp::socket socket;
  asio::steady_timer timer;
  bool timed_out = false;
};

// What becomes of a connection after a transaction that ended with
// Stop::final.
enum class After {
  drop,   // close without a word (the server may be reading message text)
  quit,   // QUIT: the server is closing (421), or the state is unclear
  reuse,  // at a transaction boundary with every reply read: may be kept
};

// One connection to one host: greeted (open), then one or more
// transactions (transact, with reset between them), then quit or close.
class Session {
 public:
  Session(std::shared_ptr<const OutboundOptions> options, tcp::socket socket, std::string host)
      : options_(std::move(options)), stream_(std::move(socket)), host_(std::move(host)) {}

  // Greeting, EHLO, and STARTTLS when `use_tls`. Stop::none: ready for a
  // transaction; otherwise `last_error` says why not.
  awaitable<Stop> open(bool use_tls, RecipientOutcome& last_error) {
    auto greeting = co_await reply();
    if (!greeting) co_return lost(last_error, greeting.error());
    if (!greeting->positive()) {
      last_error = from_reply(*greeting, host_);
      co_return Stop::next_host;
    }
    auto ext = co_await hello(last_error);
    if (!ext) co_return Stop::next_host;
    if (use_tls && options_->starttls && options_->tls && ext->has("STARTTLS")) {
      bool sent = co_await send("STARTTLS\r\n");
      if (!sent) co_return lost(last_error, fail(Errc::unavailable, "connection lost"));
      auto ready = co_await reply();
      if (!ready) co_return lost(last_error, ready.error());
      if (ready->code == 220) {
        // Nothing the server sent before the handshake may be read as if it
        // came over TLS.
        in_.clear();
        auto done = co_await stream_.handshake_client(options_->tls, host_, options_->reply_timeout);
        if (!done) {
          log::info("queue.tls.failed", "STARTTLS handshake failed; retrying without TLS",
                    {{"host", host_}, {"error", done.error().detail}});
          co_return Stop::retry_plain;
        }
        ext = co_await hello(last_error);
        if (!ext) co_return Stop::next_host;
      }
    }
    ext_ = std::move(*ext);
    co_return Stop::none;
  }

  // RSET before the next transaction on a kept connection: true on 250.
  // Anything else (lost, timed out, 421 sent while idle) means the
  // connection is not worth keeping.
  awaitable<bool> reset() {
    bool sent = co_await send("RSET\r\n");
    if (!sent) co_return false;
    auto r = co_await reply(std::min(options_->reply_timeout, kResetTimeout));
    co_return r && r->code == 250 && in_.empty();
  }

  // One transaction: MAIL, RCPT, DATA and the body. Fills `out` for the
  // recipients that got a final answer from this host. After Stop::final,
  // after() says what to do with the connection.
  awaitable<Stop> transact(const OutboundMessage& m, std::vector<std::optional<RecipientOutcome>>& out,
                           RecipientOutcome& last_error) {
    after_ = After::drop;
    body_sent_ = false;
    if (m.smtputf8 && !ext_.has("SMTPUTF8")) {
      // RFC 6531 3.2: a message that needs SMTPUTF8 cannot go to a server without it.
      smtp::ServerReply r{553, {"5.6.7 " + host_ + " does not support SMTPUTF8"}};
      for (auto& o : out) if (!o) o = from_reply(r, host_);
      co_return ended(After::reuse);
    }

    std::string mail = "MAIL FROM:<" + m.return_path + ">";
    if (ext_.has("SIZE")) mail += " SIZE=" + std::to_string(m.body.size());
    if (m.body_8bit && ext_.has("8BITMIME")) mail += " BODY=8BITMIME";
    if (m.smtputf8) mail += " SMTPUTF8";
    mail += "\r\n";
    const bool pipelining = ext_.has("PIPELINING");
    std::vector<std::size_t> asked;  // indexes of recipients sent in RCPT
    for (std::size_t i = 0; i < m.recipients.size(); ++i) {
      if (!out[i]) asked.push_back(i);
    }
    std::string batch = mail;
    if (pipelining) {
      for (auto i : asked) batch += "RCPT TO:<" + m.recipients[i] + ">\r\n";
      batch += "DATA\r\n";
    }
    bool sent = co_await send(batch);
    if (!sent) co_return lost(last_error, fail(Errc::unavailable, "connection lost"));
    auto mail_reply = co_await reply();
    if (!mail_reply) co_return lost(last_error, mail_reply.error());
    std::size_t accepted = 0;
    std::vector<std::optional<smtp::ServerReply>> rcpt_replies(asked.size());
    bool mail_ok = mail_reply->positive();
    for (std::size_t k = 0; k < asked.size(); ++k) {
      if (!pipelining) {
        if (!mail_ok) break;
        std::string rcpt = "RCPT TO:<" + m.recipients[asked[k]] + ">\r\n";
        bool rcpt_sent = co_await send(rcpt);
        if (!rcpt_sent) co_return lost(last_error, fail(Errc::unavailable, "connection lost"));
      }
      auto r = co_await reply();
      if (!r) co_return lost(last_error, r.error());
      rcpt_replies[k] = *r;
      if (r->positive()) ++accepted;
    }
    if (!mail_ok) {
      bool answered = true;  // every reply read: the connection is in step
      if (pipelining) {
        auto data_answer = co_await reply();  // 503: there was no valid MAIL
        answered = data_answer.ok();
      }
      last_error = from_reply(*mail_reply, host_);
      if (mail_reply->permanent()) {
        for (auto i : asked) out[i] = last_error;
        co_return ended(answered ? After::reuse : After::drop);
      }
      co_await quit(options_->reply_timeout);
      co_return Stop::next_host;
    }
    for (std::size_t k = 0; k < asked.size(); ++k) {
      if (!rcpt_replies[k]->positive()) out[asked[k]] = from_reply(*rcpt_replies[k], host_);
    }
    if (!pipelining) {
      if (accepted == 0) co_return ended(After::reuse);
      bool data_sent = co_await send("DATA\r\n");
      if (!data_sent) co_return lost(last_error, fail(Errc::unavailable, "connection lost"));
    }
    auto go = co_await reply();
    if (!go) co_return lost(last_error, go.error());
    if (accepted == 0 || go->code != 354) {
      if (accepted > 0) {
        for (std::size_t k = 0; k < asked.size(); ++k) {
          if (rcpt_replies[k]->positive()) out[asked[k]] = from_reply(*go, host_);
        }
      }
      // A 354 with no recipient accepted: the server waits for text we
      // will not send; QUIT there would be read as text.
      co_return ended(go->code == 354 ? After::drop : After::reuse);
    }
    auto stuffed = smtp::dot_stuff(m.body);
    if (!stuffed) {
      // A queued body is never malformed (smtpd refuses bare CR/LF): this is
      // corruption, and it must not be sent.
      smtp::ServerReply r{554, {"5.6.0 message is malformed (bare CR or LF), not sent"}};
      for (std::size_t k = 0; k < asked.size(); ++k) {
        if (rcpt_replies[k]->positive()) out[asked[k]] = from_reply(r, "");
      }
      co_return ended(After::drop);
    }
    stuffed.value() += smtp::kEndOfData;
    body_sent_ = true;
    bool body_written = co_await send(stuffed.value());
    if (!body_written) co_return lost(last_error, fail(Errc::unavailable, "connection lost during DATA"));
    // RFC 5321 4.5.3.2.6: 10 minutes for the end of DATA.
    auto final_reply = co_await reply(options_->reply_timeout * 2);
    if (!final_reply) {
      // The server may or may not have the message: a temporary error; the
      // retry may give a duplicate, the lesser evil (RFC 1047).
      co_return lost(last_error, final_reply.error());
    }
    for (std::size_t k = 0; k < asked.size(); ++k) {
      if (rcpt_replies[k]->positive()) out[asked[k]] = from_reply(*final_reply, host_);
    }
    co_return ended(After::reuse);
  }

  // After Stop::final: what to do with the connection. A 421 anywhere, or
  // bytes the server sent beyond its replies, rule out reuse.
  After after() const {
    if (after_ == After::reuse && (closing_ || !in_.empty())) return After::quit;
    return after_;
  }
  // Whether the last transaction got as far as sending the message text.
  bool body_sent() const { return body_sent_; }
  bool secure() const { return stream_.secure(); }
  const std::string& host() const { return host_; }

  awaitable<void> quit(std::chrono::milliseconds reply_timeout) {
    bool sent = co_await send("QUIT\r\n", reply_timeout);
    if (sent) {
      auto bye = co_await reply(reply_timeout);
      (void)bye;  // whatever it says, we are done
    }
    co_await stream_.shutdown(std::min(reply_timeout, kShutdownTimeout));
  }

  void close() { stream_.close(); }

 private:
  static constexpr std::chrono::milliseconds kResetTimeout{30000};    // a live server answers RSET at once
  static constexpr std::chrono::milliseconds kShutdownTimeout{5000};

  Stop ended(After after) {
    after_ = after;
    return Stop::final;
  }

  Stop lost(RecipientOutcome& last_error, const Error& e) {
    last_error = temporary("451 4.4.2 " + host_ + ": " + e.detail, "4.4.2", host_);
    return Stop::next_host;
  }

  awaitable<std::optional<smtp::Extensions>> hello(RecipientOutcome& last_error) {
    std::string ehlo = "EHLO " + options_->helo + "\r\n";
    bool sent = co_await send(ehlo);
    if (!sent) {
      lost(last_error, fail(Errc::unavailable, "connection lost"));
      co_return std::nullopt;
    }
    auto r = co_await reply();
    if (!r) {
      lost(last_error, r.error());
      co_return std::nullopt;
    }
    if (r->positive()) co_return smtp::parse_ehlo(*r);
    // An old server: HELO, and no extensions.
    std::string helo = "HELO " + options_->helo + "\r\n";
    bool helo_sent = co_await send(helo);
    if (!helo_sent) co_return std::nullopt;
    auto h = co_await reply();
    if (!h || !h->positive()) {
      if (h) last_error = from_reply(*h, host_);
      co_return std::nullopt;
    }
    co_return smtp::Extensions{};
  }

  awaitable<bool> send(std::string text) { return send(std::move(text), options_->reply_timeout); }

  awaitable<bool> send(std::string text, std::chrono::milliseconds timeout) {
    auto done = co_await stream_.write(text, timeout);
    co_return done.ok();
  }

  awaitable<Result<smtp::ServerReply>> reply() { return reply(options_->reply_timeout); }

  awaitable<Result<smtp::ServerReply>> reply(std::chrono::milliseconds timeout) {
    for (;;) {
      auto parsed = smtp::parse_reply(in_);
      if (!parsed) co_return parsed.error();
      if (parsed.value()) {
        // RFC 5321 3.8: 421 means the server is closing the channel.
        if (parsed.value()->code == 421) closing_ = true;
        co_return std::move(*parsed.value());
      }
      char buf[kReadChunk];
      asio::mutable_buffer space(buf, sizeof buf);
      auto n = co_await stream_.read_some(space, timeout);
      if (!n) co_return n.error();
      in_.append(buf, *n);
    }
  }

  std::shared_ptr<const OutboundOptions> options_;
  net::TcpStream stream_;
  std::string host_;
  std::string in_;
  smtp::Extensions ext_;
  After after_ = After::drop;
  bool body_sent_ = false;
  bool closing_ = false;  // the server sent 421
};

}  // namespace

// Idle connections, by target. Owned by the Outbound; each idle connection
// also has a coroutine (linger) that waits out its idle time and then QUITs
// it, unless a delivery took it first. Eviction and shutdown cut the wait
// short, so every close goes through linger, which holds what it needs and
// never the Outbound: closing continues after the Outbound is gone.
class ConnectionCache : public std::enable_shared_from_this<ConnectionCache> {
 public:
  // Host name, address, whether TLS is on.
  using Key = std::tuple<std::string, tcp::endpoint, bool>;

  ConnectionCache(asio::io_context& io, std::chrono::milliseconds idle, std::size_t per_target)
      : io_(io), idle_(idle), per_target_(per_target) {}

  ~ConnectionCache() { evict_all(); }

  bool enabled() const { return idle_.count() > 0 && per_target_ > 0 && !closed_; }

  std::size_t size() const {
    std::size_t n = 0;
    for (const auto& [key, list] : idle_by_key_) n += list.size();
    return n;
  }

  // The most recently used idle connection to this host and address (the
  // least likely to have been timed out by the server), TLS first: a plain
  // one exists only where STARTTLS was not offered or failed, as it would
  // again on a fresh connection (RFC 7435: opportunistic).
  std::unique_ptr<Session> take(const std::string& name, const tcp::endpoint& endpoint) {
    for (bool tls : {true, false}) {
      auto it = idle_by_key_.find(Key{name, endpoint, tls});
      if (it == idle_by_key_.end()) continue;
      std::shared_ptr<Parked> p = std::move(it->second.back());
      it->second.pop_back();
      if (it->second.empty()) idle_by_key_.erase(it);
      std::unique_ptr<Session> s = std::move(p->session);
      wake(*p);  // linger finds no session and ends
      if (s) return s;
    }
    return nullptr;
  }

  // Keeps `s` idle under `key`; the oldest beyond the limit are closed.
  void put(const Key& key, std::unique_ptr<Session> s) {
    auto p = std::make_shared<Parked>(io_, idle_);
    p->session = std::move(s);
    auto& list = idle_by_key_[key];
    list.push_back(p);
    asio::co_spawn(io_, linger(weak_from_this(), p, key), asio::detached);
    while (list.size() > per_target_) {
      std::shared_ptr<Parked> oldest = std::move(list.front());
      list.pop_front();
      evict(*oldest);
    }
  }

  // After a transaction that ended with Stop::final: a connection that
  // ended it cleanly is kept for the next delivery to the same target;
  // others are QUIT (or just closed, see After).
  awaitable<void> keep_or_quit(std::string name, tcp::endpoint endpoint, std::unique_ptr<Session> s,
                               std::chrono::milliseconds quit_timeout) {
    const After after = s->after();
    if (after == After::reuse && enabled()) {
      const Key key{std::move(name), endpoint, s->secure()};
      put(key, std::move(s));
      co_return;
    }
    if (after != After::drop) co_await s->quit(quit_timeout);
    s->close();
  }

  // Closes every idle connection; nothing is kept from then on. Completes
  // when every connection being closed is closed, or after a deadline.
  awaitable<void> close_all() {
    auto self = shared_from_this();
    closed_ = true;
    evict_all();
    if (closing_ == 0) co_return;
    // linger's QUIT takes at most its write, reply and shutdown timeouts.
    auto done = std::make_shared<asio::steady_timer>(io_, 3 * kIdleQuitTimeout + std::chrono::seconds(1));
    waiters_.push_back(done);
    boost::system::error_code ec;
    co_await done->async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }

 private:
  struct Parked {
    Parked(asio::io_context& io, std::chrono::milliseconds idle) : timer(io, idle) {}
    std::unique_ptr<Session> session;  // null once a delivery took it
    asio::steady_timer timer;          // idle time; see wake()
    bool evicted = false;              // unlisted and counted in closing_
  };

  // Waits out the idle time (or an early end); QUITs and closes the
  // connection unless a delivery took it.
  static awaitable<void> linger(std::weak_ptr<ConnectionCache> weak, std::shared_ptr<Parked> p, Key key) {
    boost::system::error_code ec;
    co_await p->timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (!p->session) co_return;
    std::unique_ptr<Session> s = std::move(p->session);
    if (!p->evicted) {
      // Time is up: still listed.
      if (auto cache = weak.lock()) {
        cache->unlist(key, p);
        ++cache->closing_;
      }
    }
    log::debug("queue.connection.closed", "idle connection closed", {{"host", s->host()}, {"reason", p->evicted ? "evicted" : "idle"}});
    co_await s->quit(kIdleQuitTimeout);
    s->close();
    if (auto cache = weak.lock()) cache->closed_one();
  }

  void unlist(const Key& key, const std::shared_ptr<Parked>& p) {
    auto it = idle_by_key_.find(key);
    if (it == idle_by_key_.end()) return;
    std::erase(it->second, p);
    if (it->second.empty()) idle_by_key_.erase(it);
  }

  // `p` is already unlisted: its linger closes it now.
  void evict(Parked& p) {
    if (!p.session || p.evicted) return;
    p.evicted = true;
    ++closing_;
    wake(p);
  }

  // Ends linger's wait now, whether or not it has begun waiting (a new
  // expiry, unlike cancel(), also holds for a wait not yet started).
  static void wake(Parked& p) { p.timer.expires_at(asio::steady_timer::time_point::min()); }

  void evict_all() {
    auto all = std::move(idle_by_key_);
    idle_by_key_.clear();
    for (auto& [key, list] : all) {
      for (auto& p : list) evict(*p);
    }
  }

  void closed_one() {
    if (closing_ > 0) --closing_;
    if (closing_ > 0) return;
    for (auto& w : waiters_) w->cancel();
    waiters_.clear();
  }

  asio::io_context& io_;
  const std::chrono::milliseconds idle_;
  const std::size_t per_target_;
  std::map<Key, std::deque<std::shared_ptr<Parked>>> idle_by_key_;  // each oldest first
  std::size_t closing_ = 0;  // unlisted to be closed, not closed yet
  std::vector<std::shared_ptr<asio::steady_timer>> waiters_;  // close_all() calls waiting
  bool closed_ = false;
};

Outbound::Outbound(asio::io_context& io, dns::Resolver& resolver, OutboundOptions options)
    : io_(io),
      resolver_(resolver),
      options_(std::make_shared<const OutboundOptions>(std::move(options))),
      cache_(std::make_shared<ConnectionCache>(io, options_->reuse_idle, options_->max_idle_per_target)) {}

Outbound::~Outbound() = default;

awaitable<void> Outbound::close_idle() {
  auto cache = cache_;
  co_await cache->close_all();
}

std::size_t Outbound::idle_count() const { return cache_->size(); }

awaitable<Result<std::vector<Outbound::Target>>> Outbound::targets(const std::string& domain, const std::string& relay_host) {
  std::vector<Target> out;
  if (!relay_host.empty()) {
    // From the router's record or dequeuer.routes: checked again here.
    auto relay = config::parse_host_port(relay_host);
    if (!relay) co_return fail(Errc::invalid, relay_host + ": " + relay.error().detail);
    const std::string host = relay->host;
    const std::uint16_t port = relay->port;
    boost::system::error_code ec;
    auto ip = asio::ip::make_address(host, ec);
    if (!ec) {
      out.push_back({host, tcp::endpoint(ip, port)});
      co_return out;
    }
    auto addresses = co_await resolver_.addresses(host);
    if (!addresses) co_return addresses.error();
    for (const auto& a : addresses.value()) out.push_back({host, tcp::endpoint(a, port)});
    co_return out;
  }
  auto route = co_await resolver_.route(domain);
  if (!route) co_return route.error();
  if (route->null_mx) co_return fail(Errc::denied, "null MX");
  for (const auto& h : route->hosts) {
    for (const auto& a : h.addresses) out.push_back({h.name, tcp::endpoint(a, kSmtpPort)});
  }
  co_return out;
}

awaitable<std::vector<RecipientOutcome>> Outbound::deliver(std::string domain, std::string relay_host, const OutboundMessage& m) {
  std::vector<std::optional<RecipientOutcome>> out(m.recipients.size());
  RecipientOutcome last_error = temporary("451 4.4.1 no host reachable for " + domain, "4.4.1");
  auto finish = [&]() {
    std::vector<RecipientOutcome> results;
    for (auto& o : out) results.push_back(o ? std::move(*o) : last_error);
    return results;
  };

  auto targets_found = co_await targets(domain, relay_host);
  if (!targets_found) {
    RecipientOutcome o;
    switch (targets_found.code()) {
      case Errc::denied:  // RFC 7505: the domain accepts no mail
        o = temporary("556 5.1.10 " + domain + " does not accept mail (null MX)", "5.1.10");
        o.permanent = true;
        break;
      case Errc::not_found:
        o = temporary("550 5.1.2 " + domain + ": no such domain", "5.1.2");
        o.permanent = true;
        break;
      case Errc::invalid:  // a relay host that does not parse: the configuration's to fix
        o = temporary("451 4.4.3 " + domain + ": bad relay host " + targets_found.error().detail, "4.4.3");
        break;
      default: o = temporary("451 4.4.3 " + domain + ": DNS lookup failed (" + targets_found.error().detail + ")", "4.4.3");
    }
    co_return std::vector<RecipientOutcome>(m.recipients.size(), o);
  }

  const auto& all = targets_found.value();
  for (std::size_t t = 0; t < all.size(); ++t) {
    const Target& target = all[t];
    if (t == 0) {
      // Only the first target's idle connection: MX order is kept.
      std::unique_ptr<Session> kept = cache_->take(target.name, target.endpoint);
      if (kept) {
        bool reset = co_await kept->reset();
        if (!reset) {
          log::debug("queue.connection.stale", "kept connection failed RSET; connecting afresh", {{"host", target.name}});
          kept->close();
          kept.reset();
        }
      }
      if (kept) {
        Stop stop = co_await kept->transact(m, out, last_error);
        if (stop == Stop::final) {
          co_await cache_->keep_or_quit(target.name, target.endpoint, std::move(kept), options_->reply_timeout);
          co_return finish();
        }
        const bool body_sent = kept->body_sent();
        kept->close();
        kept.reset();
        // After the message text went out the server may have it: the host
        // had its try. Before, the kept connection was just stale.
        if (body_sent) continue;
        log::debug("queue.connection.stale", "kept connection failed; connecting afresh", {{"host", target.name}});
      }
    }
    bool use_tls = options_->starttls;
    for (int attempt = 0; attempt < 2; ++attempt) {
      // The timer's handler may run after this scope: it holds the state.
      auto state = std::make_shared<Connecting>(io_, options_->connect_timeout);
      state->timer.async_wait([state](const boost::system::error_code& ec) {
        if (!ec) {
          state->timed_out = true;
          boost::system::error_code ignored;
          state->socket.close(ignored);
        }
      });
      boost::system::error_code ec;
      co_await state->socket.async_connect(target.endpoint, asio::redirect_error(asio::use_awaitable, ec));
      state->timer.cancel();
      tcp::socket socket = std::move(state->socket);
      if (ec) {
        std::string why = state->timed_out ? "connection timed out" : ec.message();
        last_error = temporary("451 4.4.1 " + target.name + " [" + target.endpoint.address().to_string() + "]: " + why, "4.4.1",
                               target.name);
        log::info("queue.connect.failed", "cannot connect", {{"host", target.name}, {"address", target.endpoint.address().to_string()}, {"error", why}});
        break;
      }
      auto session = std::make_unique<Session>(options_, std::move(socket), target.name);
      Stop stop = co_await session->open(use_tls, last_error);
      if (stop == Stop::none) stop = co_await session->transact(m, out, last_error);
      if (stop == Stop::final) {
        co_await cache_->keep_or_quit(target.name, target.endpoint, std::move(session), options_->reply_timeout);
        co_return finish();
      }
      session->close();
      if (stop == Stop::retry_plain) {
        use_tls = false;
        continue;
      }
      break;
    }
  }
  co_return finish();
}

}  // namespace parley::dequeuer
