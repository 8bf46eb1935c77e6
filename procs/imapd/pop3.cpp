#include "pop3.h"

#include "auth/encoding.h"
#include "front/sasl.h"
#include "log/log.h"
#include "mail/dot_stuff.h"
#include "pop3/command.h"
#include "pop3/message.h"
#include "schema/directory.pb.h"
#include "server.h"
#include "store/store.h"

namespace parley::imapd {
namespace {

using namespace std::chrono_literals;

constexpr std::size_t kReadChunk = 16384;
constexpr auto kWriteTimeout = 300s;

}  // namespace

Pop3Session::Pop3Session(Server& server, std::unique_ptr<net::Stream> stream, std::string listener, std::string sid)
    : front::Session(server.front(), std::move(stream), std::move(listener), std::move(sid), "pop"),
      server_(server),
      settings_(server.settings()),
      lines_(pop3::kMaxCommandLine) {}

Pop3Session::~Pop3Session() {
  if (!account_.empty()) server_.unlock_maildrop(account_);
}

awaitable<void> Pop3Session::run(std::shared_ptr<Pop3Session> self) {
  log::info("pop.session.open", "connected", {{"sid", self->sid_}, {"peer", self->stream_->peer()}, {"listener", self->listener_}});
  co_await self->serve();
  co_await self->stream_->shutdown(5000ms);
  log::info("pop.session.close", "disconnected", {{"sid", self->sid_}, {"user", self->account_}});
}

awaitable<bool> Pop3Session::send(std::string text) {
  auto written = co_await stream_->write(text, std::chrono::duration_cast<std::chrono::milliseconds>(kWriteTimeout));
  co_return written.ok();
}

awaitable<bool> Pop3Session::error(std::string text) {
  if (++errors_ >= settings_->max_errors) {
    co_await send("-ERR too many errors, closing\r\n");
    co_return false;
  }
  co_return co_await send("-ERR " + text + "\r\n");
}

awaitable<std::optional<front::LineReader::Line>> Pop3Session::read_line(std::size_t max) {
  for (;;) {
    auto line = lines_.next(max);
    if (line.kind != front::LineReader::Line::Kind::need_more) co_return line;
    char buf[kReadChunk];
    asio::mutable_buffer space(buf, sizeof buf);
    auto n = co_await receive(space, std::chrono::duration_cast<std::chrono::milliseconds>(settings_->pop3_timeout));
    if (!n) {
      if (n.code() == Errc::timeout) co_await send("-ERR timeout, closing\r\n");
      else if (n.code() == Errc::cancelled && interrupted()) co_await send("-ERR [SYS/TEMP] server shutting down\r\n");
      co_return std::nullopt;
    }
    lines_.feed(std::string_view(buf, *n));
  }
}

std::string Pop3Session::capabilities() const {
  std::string caps = "+OK Capability list follows\r\nTOP\r\nUIDL\r\nRESP-CODES\r\nAUTH-RESP-CODE\r\nPIPELINING\r\n";
  if (account_.empty()) {
    if (!stream_->secure() && settings_->tls_for(listener_)) caps += "STLS\r\n";
    // RFC 2595 2.2: no plain-text passwords over an unencrypted connection.
    if (stream_->secure()) caps += "USER\r\nSASL PLAIN LOGIN SCRAM-SHA-256\r\n";
  }
  caps += "IMPLEMENTATION Parley\r\n.\r\n";
  return caps;
}

awaitable<void> Pop3Session::serve() {
  // On pop3s the TLS handshake comes first, and a refusal goes inside TLS,
  // where the client can read it.
  std::shared_ptr<tls::ServerContext> implicit_tls;
  if (listener_ == "pop3s") implicit_tls = settings_->tls_for(listener_);
  const Opened opened = co_await open(std::move(implicit_tls));
  if (opened == Opened::closed) co_return;
  if (opened == Opened::refused) {
    co_await send("-ERR [SYS/TEMP] too many connections\r\n");
    co_return;
  }
  if (!co_await send("+OK Parley POP3 server ready\r\n")) co_return;

  for (;;) {
    if (interrupted()) {
      co_await send("-ERR [SYS/TEMP] server shutting down\r\n");
      co_return;
    }
    auto line = co_await read_line(pop3::kMaxCommandLine);
    if (!line) co_return;
    if (line->kind == front::LineReader::Line::Kind::too_long) {
      bool go_on = co_await error("line too long");
      if (!go_on) co_return;
      continue;
    }
    auto parsed = pop3::parse_command(line->text);
    if (!parsed) {
      // Named first: g++ 12 frees a conditional's std::string result twice
      // inside a co_await full-expression (docs/development.md).
      std::string why = parsed.code() == Errc::invalid ? "unknown command" : parsed.error().detail;
      bool go_on = co_await error(why);
      if (!go_on) co_return;
      continue;
    }
    const pop3::Command& cmd = parsed.value();
    using pop3::Verb;
    bool go_on = true;
    const bool authorized = !account_.empty();
    const bool credentials = cmd.verb == Verb::user || cmd.verb == Verb::pass || cmd.verb == Verb::auth;
    if (cmd.verb == Verb::quit) {
      if (authorized) co_await update();
      else co_await send("+OK bye\r\n");
      co_return;
    } else if (cmd.verb == Verb::capa) {
      go_on = co_await send(capabilities());
    } else if (cmd.verb == Verb::stls && !authorized) {
      auto ctx = settings_->tls_for(listener_);
      if (stream_->secure() || !ctx) {
        go_on = co_await error("STLS not available");
      } else {
        go_on = co_await send("+OK begin TLS negotiation\r\n");
        // Plain text sent after STLS must not count as encrypted (RFC 2595 4).
        lines_.discard();
        if (go_on) go_on = co_await handshake(ctx);
        user_.clear();
      }
    } else if (credentials && !authorized && !stream_->secure()) {
      go_on = co_await error("[AUTH] encryption required: use STLS first");
    } else if (cmd.verb == Verb::user && !authorized) {
      user_ = cmd.text;
      go_on = co_await send("+OK\r\n");
    } else if (cmd.verb == Verb::pass && !authorized) {
      if (user_.empty()) {
        go_on = co_await error("USER first");
      } else {
        std::string plain = std::string(1, '\0') + user_ + std::string(1, '\0') + cmd.text;
        go_on = co_await on_auth("PLAIN", auth::base64_encode(plain));
      }
    } else if (cmd.verb == Verb::auth && !authorized) {
      go_on = co_await on_auth(cmd.mechanism, cmd.initial);
    } else if (!authorized) {
      go_on = co_await error("not logged in");
    } else if (cmd.verb == Verb::noop) {
      go_on = co_await send("+OK\r\n");
    } else if (cmd.verb == Verb::stat) {
      std::size_t count = 0;
      std::uint64_t octets = 0;
      for (const auto& m : messages_) {
        if (m.deleted) continue;
        ++count;
        octets += m.size;
      }
      go_on = co_await send("+OK " + std::to_string(count) + " " + std::to_string(octets) + "\r\n");
    } else if (cmd.verb == Verb::list || cmd.verb == Verb::uidl) {
      auto describe = [&](std::size_t i) {
        const auto& m = messages_[i];
        return std::to_string(i + 1) + " " +
               (cmd.verb == Verb::list ? std::to_string(m.size) : std::to_string(uidvalidity_) + "." + std::to_string(m.uid));
      };
      if (cmd.msg) {
        Message* m = message(*cmd.msg);
        if (m == nullptr) go_on = co_await error("no such message");
        else go_on = co_await send("+OK " + describe(*cmd.msg - 1) + "\r\n");
      } else {
        std::string out = "+OK\r\n";
        for (std::size_t i = 0; i < messages_.size(); ++i) {
          if (!messages_[i].deleted) out += describe(i) + "\r\n";
        }
        go_on = co_await send(out + ".\r\n");
      }
    } else if (cmd.verb == Verb::retr || cmd.verb == Verb::top) {
      go_on = co_await on_retr(cmd);
    } else if (cmd.verb == Verb::dele) {
      Message* m = message(*cmd.msg);
      if (m == nullptr) {
        go_on = co_await error("no such message");
      } else {
        m->deleted = true;
        go_on = co_await send("+OK deleted\r\n");
      }
    } else if (cmd.verb == Verb::rset) {
      for (auto& m : messages_) m.deleted = false;
      go_on = co_await send("+OK\r\n");
    } else {
      go_on = co_await error("not available in this state");
    }
    if (!go_on) co_return;
  }
}

awaitable<bool> Pop3Session::on_auth(std::string mech, std::optional<std::string> initial) {
  front::SaslChallenge challenge = [this](std::string base64) -> awaitable<std::optional<std::string>> {
    bool sent = co_await send("+ " + base64 + "\r\n");
    if (!sent) co_return std::nullopt;
    auto line = co_await read_line(front::kMaxSaslLine);
    if (!line) co_return std::nullopt;
    // An over-long response cancels the exchange.
    if (line->kind == front::LineReader::Line::Kind::too_long) co_return std::string("*");
    co_return std::move(line->text);
  };
  auto outcome = co_await authenticate(server_.directory(), mech, initial, schema::SERVICE_POP, challenge);
  user_.clear();
  using Kind = front::SaslOutcome::Kind;
  switch (outcome.kind) {
    case Kind::ok: co_return co_await login(outcome.account);
    case Kind::lost: co_return false;
    case Kind::unsupported: co_return co_await error("unsupported mechanism");
    case Kind::bad_initial: co_return co_await error("bad base64");
    case Kind::cancelled: co_return co_await error("authentication cancelled");
    case Kind::tempfail: co_return co_await error("[SYS/TEMP] try again later");
    case Kind::failed: break;
  }
  log::info("pop.auth.failed", "authentication failed", {{"sid", sid_}, {"peer", peer_}, {"method", mech}});
  co_return co_await error("[AUTH] authentication failed");
}

awaitable<bool> Pop3Session::login(const std::string& account) {
  if (!server_.lock_maildrop(account)) {
    log::info("pop.maildrop.busy", "another POP3 session holds the maildrop", {{"sid", sid_}, {"user", account}});
    co_return co_await error("[IN-USE] maildrop already locked by another session");
  }
  auto& st = server_.store();
  (void)st.ensure_account(account);
  auto box = st.mailbox(account, "INBOX");
  auto list = box ? st.messages(account, box->id) : Result<std::vector<store::Message>>(box.error());
  if (!box || !list) {
    log::error("pop.maildrop.failed", "cannot read the INBOX", {{"sid", sid_}, {"user", account}, {"error", (box ? list.error() : box.error()).detail}});
    server_.unlock_maildrop(account);
    co_return co_await error("[SYS/TEMP] mailbox unavailable");
  }
  account_ = account;
  mailbox_id_ = box->id;
  uidvalidity_ = box->uidvalidity;
  for (const auto& m : list.value()) messages_.push_back({m.uid, m.size, m.body_id, false});
  log::info("pop.auth.ok", "logged in", {{"sid", sid_}, {"user", account_}, {"count", messages_.size()}});
  co_return co_await send("+OK maildrop has " + std::to_string(messages_.size()) + " messages\r\n");
}

Pop3Session::Message* Pop3Session::message(std::uint32_t n) {
  if (n == 0 || n > messages_.size() || messages_[n - 1].deleted) return nullptr;
  return &messages_[n - 1];
}

awaitable<bool> Pop3Session::on_retr(const pop3::Command& cmd) {
  Message* m = message(*cmd.msg);
  if (!m) co_return co_await error("no such message");
  auto body = server_.store().read_body(m->body_id);
  if (!body) {
    log::error("pop.retr.failed", "cannot read a message", {{"sid", sid_}, {"user", account_}, {"uid", m->uid}, {"error", body.error().detail}});
    co_return co_await error("[SYS/TEMP] message unavailable");
  }
  std::string_view text = body.value();
  if (cmd.verb == pop3::Verb::top) text = pop3::top_part(text, cmd.lines);
  const std::string response = "+OK " + std::to_string(m->size) + " octets\r\n" + mail::dot_stuff(text) + ".\r\n";
  co_return co_await send(response);
}

awaitable<void> Pop3Session::update() {
  store::UidSet gone;
  for (const auto& m : messages_) {
    if (m.deleted) gone.push_back({m.uid, m.uid});
  }
  if (!gone.empty()) {
    auto expunged = server_.store().expunge(account_, mailbox_id_, gone);
    if (!expunged) {
      log::error("pop.update.failed", "cannot remove deleted messages", {{"sid", sid_}, {"user", account_}, {"error", expunged.error().detail}});
      co_await send("-ERR [SYS/TEMP] some deleted messages not removed\r\n");
      co_return;
    }
    log::info("pop.update.ok", "deleted messages removed", {{"sid", sid_}, {"user", account_}, {"count", expunged->uids.size()}});
    // IMAP sessions on the mailbox and message-summary subscribers hear it.
    if (!expunged->uids.empty()) server_.changed(account_, mailbox_id_);
  }
  co_await send("+OK bye\r\n");
}

}  // namespace parley::imapd
