#include "outbound.h"

#include <charconv>

#include "log/log.h"
#include "smtp/client.h"
#include "smtp/data.h"
#include "tls/stream.h"

namespace parley::dequeuer {
namespace {

using tcp = asio::ip::tcp;
constexpr std::size_t kReadChunk = 16384;
constexpr std::uint16_t kSmtpPort = 25;

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

class Conversation {
 public:
  Conversation(const OutboundOptions& options, tcp::socket socket, std::string host)
      : options_(options), stream_(std::move(socket)), host_(std::move(host)) {}

  // Runs the whole transaction; fills `out` for recipients that got a final
  // answer from this host.
  awaitable<Stop> run(const OutboundMessage& m, bool use_tls, std::vector<std::optional<RecipientOutcome>>& out,
                      RecipientOutcome& last_error) {
    auto greeting = co_await reply();
    if (!greeting) co_return lost(last_error, greeting.error());
    if (!greeting->positive()) {
      last_error = from_reply(*greeting, host_);
      co_return Stop::next_host;
    }
    auto ext = co_await hello(last_error);
    if (!ext) co_return Stop::next_host;
    if (use_tls && options_.starttls && options_.tls && ext->has("STARTTLS")) {
      if (!co_await send("STARTTLS\r\n")) co_return lost(last_error, fail(Errc::unavailable, "connection lost"));
      auto ready = co_await reply();
      if (!ready) co_return lost(last_error, ready.error());
      if (ready->code == 220) {
        // Nothing the server sent before the handshake may be read as if it
        // came over TLS.
        in_.clear();
        auto done = co_await stream_.handshake_client(options_.tls, host_, options_.reply_timeout);
        if (!done) {
          log::info("queue.tls.failed", "STARTTLS handshake failed; retrying without TLS",
                    {{"host", host_}, {"error", done.error().detail}});
          co_return Stop::retry_plain;
        }
        ext = co_await hello(last_error);
        if (!ext) co_return Stop::next_host;
      }
    }
    if (m.smtputf8 && !ext->has("SMTPUTF8")) {
      // RFC 6531 3.2: a message that needs SMTPUTF8 cannot go to a server without it.
      smtp::ServerReply r{553, {"5.6.7 " + host_ + " does not support SMTPUTF8"}};
      for (auto& o : out) if (!o) o = from_reply(r, host_);
      co_await quit();
      co_return Stop::final;
    }

    std::string mail = "MAIL FROM:<" + m.return_path + ">";
    if (ext->has("SIZE")) mail += " SIZE=" + std::to_string(m.body.size());
    if (m.body_8bit && ext->has("8BITMIME")) mail += " BODY=8BITMIME";
    if (m.smtputf8) mail += " SMTPUTF8";
    mail += "\r\n";
    const bool pipelining = ext->has("PIPELINING");
    std::vector<std::size_t> asked;  // indexes of recipients sent in RCPT
    for (std::size_t i = 0; i < m.recipients.size(); ++i) {
      if (!out[i]) asked.push_back(i);
    }
    std::string batch = mail;
    if (pipelining) {
      for (auto i : asked) batch += "RCPT TO:<" + m.recipients[i] + ">\r\n";
      batch += "DATA\r\n";
    }
    if (!co_await send(batch)) co_return lost(last_error, fail(Errc::unavailable, "connection lost"));
    auto mail_reply = co_await reply();
    if (!mail_reply) co_return lost(last_error, mail_reply.error());
    std::size_t accepted = 0;
    std::vector<std::optional<smtp::ServerReply>> rcpt_replies(asked.size());
    bool mail_ok = mail_reply->positive();
    for (std::size_t k = 0; k < asked.size(); ++k) {
      if (!pipelining) {
        if (!mail_ok) break;
        if (!co_await send("RCPT TO:<" + m.recipients[asked[k]] + ">\r\n")) co_return lost(last_error, fail(Errc::unavailable, "connection lost"));
      }
      auto r = co_await reply();
      if (!r) co_return lost(last_error, r.error());
      rcpt_replies[k] = *r;
      if (r->positive()) ++accepted;
    }
    if (!mail_ok) {
      if (pipelining) {
        auto data_answer = co_await reply();  // 503: there was no valid MAIL
        (void)data_answer;
      }
      last_error = from_reply(*mail_reply, host_);
      if (mail_reply->permanent()) {
        for (auto i : asked) out[i] = last_error;
        co_await quit();
        co_return Stop::final;
      }
      co_await quit();
      co_return Stop::next_host;
    }
    for (std::size_t k = 0; k < asked.size(); ++k) {
      if (!rcpt_replies[k]->positive()) out[asked[k]] = from_reply(*rcpt_replies[k], host_);
    }
    if (!pipelining) {
      if (accepted == 0) {
        co_await quit();
        co_return Stop::final;
      }
      if (!co_await send("DATA\r\n")) co_return lost(last_error, fail(Errc::unavailable, "connection lost"));
    }
    auto go = co_await reply();
    if (!go) co_return lost(last_error, go.error());
    if (accepted == 0 || go->code != 354) {
      if (accepted > 0) {
        for (std::size_t k = 0; k < asked.size(); ++k) {
          if (rcpt_replies[k]->positive()) out[asked[k]] = from_reply(*go, host_);
        }
      }
      co_await quit();
      co_return Stop::final;
    }
    auto stuffed = smtp::dot_stuff(m.body);
    if (!stuffed) {
      // A queued body is never malformed (smtpd refuses bare CR/LF): this is
      // corruption, and it must not be sent.
      smtp::ServerReply r{554, {"5.6.0 message is malformed (bare CR or LF), not sent"}};
      for (std::size_t k = 0; k < asked.size(); ++k) {
        if (rcpt_replies[k]->positive()) out[asked[k]] = from_reply(r, "");
      }
      co_return Stop::final;
    }
    stuffed.value() += smtp::kEndOfData;
    if (!co_await send(stuffed.value())) co_return lost(last_error, fail(Errc::unavailable, "connection lost during DATA"));
    // RFC 5321 4.5.3.2.6: 10 minutes for the end of DATA.
    auto final_reply = co_await reply(2);
    if (!final_reply) {
      // The server may or may not have the message: a temporary error; the
      // retry may give a duplicate, the lesser evil (RFC 1047).
      co_return lost(last_error, final_reply.error());
    }
    for (std::size_t k = 0; k < asked.size(); ++k) {
      if (rcpt_replies[k]->positive()) out[asked[k]] = from_reply(*final_reply, host_);
    }
    co_await quit();
    co_return Stop::final;
  }

  void close() { stream_.close(); }

 private:
  Stop lost(RecipientOutcome& last_error, const Error& e) {
    last_error = temporary("451 4.4.2 " + host_ + ": " + e.detail, "4.4.2", host_);
    return Stop::next_host;
  }

  awaitable<std::optional<smtp::Extensions>> hello(RecipientOutcome& last_error) {
    if (!co_await send("EHLO " + options_.helo + "\r\n")) {
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
    if (!co_await send("HELO " + options_.helo + "\r\n")) co_return std::nullopt;
    auto h = co_await reply();
    if (!h || !h->positive()) {
      if (h) last_error = from_reply(*h, host_);
      co_return std::nullopt;
    }
    co_return smtp::Extensions{};
  }

  awaitable<bool> send(std::string text) {
    auto done = co_await stream_.write(text, options_.reply_timeout);
    co_return done.ok();
  }

  awaitable<Result<smtp::ServerReply>> reply(int timeout_factor = 1) {
    auto timeout = options_.reply_timeout * timeout_factor;
    for (;;) {
      auto parsed = smtp::parse_reply(in_);
      if (!parsed) co_return parsed.error();
      if (parsed.value()) co_return std::move(*parsed.value());
      char buf[kReadChunk];
      asio::mutable_buffer space(buf, sizeof buf);
      auto n = co_await stream_.read_some(space, timeout);
      if (!n) co_return n.error();
      in_.append(buf, *n);
    }
  }

  awaitable<void> quit() {
    bool sent = co_await send("QUIT\r\n");
    if (sent) {
      auto bye = co_await reply();
      (void)bye;  // whatever it says, we are done
    }
    co_await stream_.shutdown(std::chrono::milliseconds(5000));
  }

  const OutboundOptions& options_;
  net::Stream stream_;
  std::string host_;
  std::string in_;
};

}  // namespace

Outbound::Outbound(asio::io_context& io, dns::Resolver& resolver, OutboundOptions options)
    : io_(io), resolver_(resolver), options_(std::move(options)) {}

awaitable<Result<std::vector<Outbound::Target>>> Outbound::targets(const std::string& domain, const std::string& relay_host) {
  std::vector<Target> out;
  if (!relay_host.empty()) {
    auto colon = relay_host.rfind(':');
    std::string host = relay_host.substr(0, colon);
    if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    std::uint16_t port = kSmtpPort;
    if (colon != std::string::npos) {
      std::string_view p = std::string_view(relay_host).substr(colon + 1);
      std::from_chars(p.data(), p.data() + p.size(), port);
    }
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
      default: o = temporary("451 4.4.3 " + domain + ": DNS lookup failed (" + targets_found.error().detail + ")", "4.4.3");
    }
    co_return std::vector<RecipientOutcome>(m.recipients.size(), o);
  }

  for (const auto& target : targets_found.value()) {
    bool use_tls = options_.starttls;
    for (int attempt = 0; attempt < 2; ++attempt) {
      // The timer's handler may run after this scope: it holds the state.
      auto state = std::make_shared<Connecting>(io_, options_.connect_timeout);
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
      Conversation c(options_, std::move(socket), target.name);
      Stop stop = co_await c.run(m, use_tls, out, last_error);
      if (stop == Stop::final) co_return finish();
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
