#include "imap_session.h"

#include <algorithm>

#include "auth/encoding.h"
#include "front/sasl.h"
#include "imap/encoding.h"
#include "ipc/contracts/directory.h"
#include "log/log.h"
#include "schema/directory.pb.h"
#include "server.h"

namespace parley::imapd {
namespace {

using namespace std::chrono_literals;
using std::chrono::duration_cast;
using std::chrono::milliseconds;

constexpr std::size_t kReadChunk = 16384;
constexpr std::size_t kMaxInflated = 1u << 20;  // inflated bytes taken per read (the reader bounds commands)
constexpr auto kWriteTimeout = 300s;
constexpr auto kIdleKeepalive = 120s;           // "* OK Still here" while idling
constexpr auto kDirectoryTimeout = 10s;

std::string reply_line(const std::string& tag, const Reply& r) {
  static constexpr std::string_view kinds[] = {"OK", "NO", "BAD"};
  return tag + " " + std::string(kinds[static_cast<int>(r.kind)]) + " " + r.text + "\r\n";
}

}  // namespace

ImapSession::ImapSession(Server& server, std::unique_ptr<net::Stream> stream, std::string listener, std::string sid)
    : front::Session(server.front(), std::move(stream), std::move(listener), std::move(sid), "imap"),
      server_(server),
      settings_(server.settings()) {
  server_.watch(this);
}

ImapSession::~ImapSession() { server_.unwatch(this); }

void ImapSession::changed(std::string_view owner, std::uint64_t mailbox_id) {
  if (!idling_ || woken_ || !view_ || view_->id != mailbox_id || view_->box.owner != owner) return;
  woken_ = true;
  if (idle()) stream_->cancel();  // the read ends with Errc::cancelled and is retried
}

awaitable<void> ImapSession::run(std::shared_ptr<ImapSession> self) {
  log::info("imap.session.open", "connected", {{"sid", self->sid_}, {"peer", self->stream_->peer()}, {"listener", self->listener_}});
  co_await self->serve();
  co_await self->stream_->shutdown(5000ms);
  log::info("imap.session.close", "disconnected", {{"sid", self->sid_}, {"user", self->account_}});
}

// ---- I/O ----

void ImapSession::untagged(std::string_view line) {
  out_ += "* ";
  out_ += line;
  out_ += "\r\n";
}

void ImapSession::literal(std::string& out, std::string_view data, bool binary) const {
  bool nul = data.find('\0') != std::string_view::npos;
  out += nul && binary ? "~{" : "{";
  out += std::to_string(data.size());
  out += "}\r\n";
  std::size_t at = out.size();
  out += data;
  // A literal never carries NUL (RFC 9051 4.3); outside BINARY's literal8
  // it is sent as 0x80, as Dovecot does.
  if (nul && !binary) std::replace(out.begin() + static_cast<std::ptrdiff_t>(at), out.end(), '\0', '\x80');
}

awaitable<bool> ImapSession::flush() {
  if (out_.empty()) co_return true;
  std::string wire;
  if (deflate_) {
    if (auto s = deflate_->compress(out_, wire); !s) {
      log::error("imap.compress.failed", "cannot compress", {{"sid", sid_}, {"error", s.error().detail}});
      co_return false;
    }
  } else {
    wire.swap(out_);
  }
  out_.clear();
  auto written = co_await stream_->write(wire, duration_cast<milliseconds>(kWriteTimeout));
  co_return written.ok();
}

// Compressed input (RFC 4978) is inflated at most kMaxInflated bytes at a
// time; the rest waits in the inflater (pending) until the reader took it.
Status ImapSession::take_input(std::string_view bytes) {
  if (!inflate_) {
    reader_.feed(bytes);
    return {};
  }
  std::string plain;
  auto s = inflate_->inflate(bytes, plain, kMaxInflated);
  if (!s && s.code() != Errc::limit) return s;
  reader_.feed(plain);
  return {};
}

awaitable<ImapSession::Got> ImapSession::read_more(std::chrono::seconds timeout) {
  if (inflate_ && inflate_->pending()) {
    if (auto s = take_input({}); !s) co_return Got::closed;
    co_return Got::data;
  }
  char buf[kReadChunk];
  asio::mutable_buffer space(buf, sizeof buf);
  auto n = co_await receive(space, duration_cast<milliseconds>(timeout));
  if (n) {
    if (auto s = take_input(std::string_view(buf, *n)); !s) {
      log::info("imap.compress.corrupt", "corrupt compressed input", {{"sid", sid_}, {"error", s.error().detail}});
      co_return Got::closed;
    }
    co_return Got::data;
  }
  if (n.code() == Errc::cancelled && woken_ && !interrupted()) co_return Got::tick;  // IDLE wake-up
  if (n.code() == Errc::timeout) {
    if (idling_) co_return Got::tick;  // the keepalive
    untagged("BYE Autologout; idle for too long");
  } else if (n.code() == Errc::cancelled && interrupted()) {
    untagged("BYE [UNAVAILABLE] Server shutting down");
  }
  co_await flush();
  co_return Got::closed;
}

awaitable<std::optional<std::string>> ImapSession::read_line() {
  reader_.set_mode(imap::CommandReader::Mode::line);
  for (;;) {
    auto step = reader_.next();
    if (step.kind == imap::Step::Kind::line) {
      reader_.set_mode(imap::CommandReader::Mode::command);
      co_return std::move(step.line);
    }
    if (step.kind == imap::Step::Kind::failure) {
      reader_.set_mode(imap::CommandReader::Mode::command);
      co_return std::string("\x01");  // too long: never valid base64 nor DONE
    }
    Got got = co_await read_more(settings_->imap_timeout);
    if (got == Got::closed) co_return std::nullopt;
  }
}

std::string ImapSession::capabilities() const {
  std::string caps = "IMAP4rev1 IMAP4rev2 LITERAL+ SASL-IR ID ENABLE";
  if (state_ == State::not_authenticated) {
    if (!stream_->secure() && settings_->tls_for(listener_)) caps += " STARTTLS";
    // RFC 9051 6.2.3 / RFC 8314: no passwords over plain text.
    caps += stream_->secure() ? " AUTH=PLAIN AUTH=SCRAM-SHA-256" : " LOGINDISABLED";
    return caps;
  }
  caps +=
      " IDLE NAMESPACE UIDPLUS MOVE UNSELECT CHILDREN SPECIAL-USE CREATE-SPECIAL-USE LIST-EXTENDED"
      " LIST-STATUS CONDSTORE QRESYNC QUOTA QUOTA=RES-STORAGE ACL RIGHTS=texk"
      " ESEARCH SEARCHRES SORT SORT=DISPLAY THREAD=ORDEREDSUBJECT THREAD=REFERENCES BINARY"
      " STATUS=SIZE APPENDLIMIT=" +
      std::to_string(imap::kMaxLiteral);
  if (!deflate_) caps += " COMPRESS=DEFLATE";
  return caps;
}

// ---- the loop ----

awaitable<void> ImapSession::serve() {
  // On imaps the TLS handshake comes first, and a refusal goes inside TLS,
  // where the client can read it.
  std::shared_ptr<tls::ServerContext> implicit_tls;
  if (listener_ == "imaps") implicit_tls = settings_->tls_for(listener_);
  const Opened opened = co_await open(std::move(implicit_tls));
  if (opened == Opened::closed) co_return;
  if (opened == Opened::refused) {
    untagged("BYE [UNAVAILABLE] Too many connections");
    co_await flush();
    co_return;
  }
  untagged("OK [CAPABILITY " + capabilities() + "] Parley IMAP server ready");
  if (!co_await flush()) co_return;

  for (;;) {
    if (interrupted()) {
      untagged("BYE [UNAVAILABLE] Server shutting down");
      co_await flush();
      co_return;
    }
    auto step = reader_.next();
    switch (step.kind) {
      case imap::Step::Kind::need_more: {
        auto timeout = state_ == State::not_authenticated ? settings_->imap_login_timeout : settings_->imap_timeout;
        Got got = co_await read_more(timeout);
        if (got == Got::closed) co_return;
        continue;
      }
      case imap::Step::Kind::continuation:
        out_ += "+ Ready for literal data\r\n";
        break;
      case imap::Step::Kind::line:
        break;  // not in command mode
      case imap::Step::Kind::failure: {
        log::info("imap.command.bad", "bad command", {{"sid", sid_}, {"error", step.failure.detail}});
        out_ += imap::failure_response(step.failure);
        ++errors_;
        break;
      }
      case imap::Step::Kind::command: {
        imap::Command& cmd = step.command;
        Reply reply = co_await dispatch(cmd);
        if (reply.text == "done") reply.text = std::string(imap::verb_name(cmd.verb)) + " completed";
        if (reply.kind == Reply::Kind::bad) ++errors_;
        out_ += reply_line(cmd.tag, reply);
        if (state_ == State::logout) {
          co_await flush();
          co_return;
        }
        if (cmd.verb == imap::Verb::starttls && reply.kind == Reply::Kind::ok) {
          if (!co_await flush()) co_return;
          // Plain text pipelined after STARTTLS is dropped (RFC 9051 6.2.1).
          (void)reader_.take_unread();
          auto context = settings_->tls_for(listener_);
          bool secured = co_await handshake(std::move(context));
          if (!secured) co_return;
          continue;
        }
        if (cmd.verb == imap::Verb::compress && reply.kind == Reply::Kind::ok) {
          // The reply goes out uncompressed; everything after it is compressed.
          if (!co_await flush()) co_return;
          deflate_ = std::make_unique<imap::Deflater>();
          inflate_ = std::make_unique<imap::Inflater>();
          if (auto s = take_input(reader_.take_unread()); !s) co_return;
          continue;
        }
        break;
      }
    }
    if (errors_ >= settings_->max_errors) {  // BAD replies and failed logins
      untagged("BYE Too many errors");
      co_await flush();
      co_return;
    }
    if (!co_await flush()) co_return;
  }
}

awaitable<Reply> ImapSession::dispatch(imap::Command& cmd) {
  using imap::Verb;
  // Any state.
  switch (cmd.verb) {
    case Verb::capability:
      untagged("CAPABILITY " + capabilities());
      co_return Reply::ok();
    case Verb::noop:
      if (state_ == State::selected) (void)sync(true);
      co_return Reply::ok("NOOP done");
    case Verb::logout:
      untagged("BYE Logging out");
      state_ = State::logout;
      co_return Reply::ok("LOGOUT done");
    case Verb::id:
      co_return cmd_id(cmd);
    default:
      break;
  }
  if (state_ == State::not_authenticated) {
    switch (cmd.verb) {
      case Verb::starttls: co_return co_await cmd_starttls();
      case Verb::login: co_return co_await cmd_login(cmd);
      case Verb::authenticate: co_return co_await cmd_authenticate(cmd);
      default: co_return Reply::bad("Log in first");
    }
  }
  // Authenticated or selected.
  if (cmd.invalid_name) {
    co_return cmd.verb == Verb::list || cmd.verb == Verb::lsub ? Reply::ok("Nothing matches an invalid name")
                                                               : Reply::no("[CANNOT] Invalid mailbox name");
  }
  Reply reply;
  bool selected_only = false;
  switch (cmd.verb) {
    case Verb::starttls:
    case Verb::login:
    case Verb::authenticate: co_return Reply::bad("Already logged in");
    case Verb::enable: co_return cmd_enable(cmd);
    case Verb::compress: co_return co_await cmd_compress(cmd);
    case Verb::idle: co_return co_await cmd_idle(cmd);
    case Verb::select:
    case Verb::examine: co_return cmd_select(cmd);
    case Verb::create: reply = cmd_create(cmd); break;
    case Verb::delete_: reply = cmd_delete(cmd); break;
    case Verb::rename: reply = cmd_rename(cmd); break;
    case Verb::subscribe: reply = cmd_subscribe(cmd, true); break;
    case Verb::unsubscribe: reply = cmd_subscribe(cmd, false); break;
    case Verb::list: reply = cmd_list(cmd, false); break;
    case Verb::lsub: reply = cmd_list(cmd, true); break;
    case Verb::namespace_: reply = cmd_namespace(); break;
    case Verb::status: reply = cmd_status(cmd); break;
    case Verb::append: reply = cmd_append(cmd); break;
    case Verb::getquota:
    case Verb::getquotaroot:
    case Verb::setquota: reply = cmd_quota(cmd); break;
    case Verb::setacl:
    case Verb::deleteacl:
    case Verb::getacl:
    case Verb::listrights:
    case Verb::myrights: reply = cmd_acl(cmd); break;
    default: selected_only = true; break;
  }
  if (!selected_only) {
    if (state_ == State::selected) (void)sync(true);
    co_return reply;
  }
  if (state_ != State::selected) co_return Reply::bad("No mailbox selected");
  switch (cmd.verb) {
    case Verb::check: (void)sync(true); co_return Reply::ok("CHECK done");
    case Verb::close: co_return cmd_close(true);
    case Verb::unselect: co_return cmd_close(false);
    case Verb::expunge: co_return cmd_expunge(cmd);
    case Verb::fetch: co_return co_await cmd_fetch(cmd);
    case Verb::store: co_return cmd_store(cmd);
    case Verb::copy: co_return cmd_copy(cmd, false);
    case Verb::move: co_return cmd_copy(cmd, true);
    case Verb::search:
    case Verb::sort:
    case Verb::thread: co_return cmd_search(cmd);
    default: co_return Reply::bad("Unknown command");
  }
}

// ---- authentication ----

awaitable<Reply> ImapSession::cmd_starttls() {
  if (stream_->secure() || !settings_->tls_for(listener_)) co_return Reply::bad("STARTTLS not available");
  co_return Reply::ok("Begin TLS negotiation now");
}

awaitable<Reply> ImapSession::cmd_login(const imap::Command& cmd) {
  if (!stream_->secure()) co_return Reply::no("[PRIVACYREQUIRED] LOGIN is disabled before STARTTLS");
  std::string plain = std::string(1, '\0') + cmd.user + std::string(1, '\0') + cmd.password;
  imap::Command as_auth;
  as_auth.mechanism = "PLAIN";
  as_auth.initial_response = auth::base64_encode(plain);
  co_return co_await cmd_authenticate(as_auth);
}

awaitable<Reply> ImapSession::cmd_authenticate(const imap::Command& cmd) {
  if (!stream_->secure()) co_return Reply::no("[PRIVACYREQUIRED] Use STARTTLS first");
  front::SaslChallenge challenge = [this](std::string base64) -> awaitable<std::optional<std::string>> {
    out_ += "+ " + base64 + "\r\n";
    bool sent = co_await flush();
    if (!sent) co_return std::nullopt;
    co_return co_await read_line();
  };
  auto outcome = co_await authenticate(server_.directory(), cmd.mechanism, cmd.initial_response, schema::SERVICE_IMAP, challenge);
  using Kind = front::SaslOutcome::Kind;
  switch (outcome.kind) {
    case Kind::ok: co_return co_await logged_in(outcome.account, cmd.mechanism);
    case Kind::lost:
      state_ = State::logout;
      co_return Reply::no("Connection lost");
    case Kind::unsupported: co_return Reply::no("Unsupported mechanism");
    case Kind::bad_initial: co_return Reply::bad("Bad base64 in the initial response");
    case Kind::cancelled: co_return Reply::bad("Authentication cancelled");
    case Kind::tempfail: co_return Reply::no("[UNAVAILABLE] Try again later");
    case Kind::failed: break;
  }
  log::info("imap.auth.failed", "authentication failed", {{"sid", sid_}, {"peer", peer_}, {"method", cmd.mechanism}});
  ++errors_;
  co_return Reply::no("[AUTHENTICATIONFAILED] Authentication failed");
}

awaitable<Reply> ImapSession::logged_in(std::string account, std::string_view method) {
  // The account's quota, as the directory has it now.
  schema::ResolveRequest ask;
  ask.add_addresses(account);
  ipc::CallOptions opts(duration_cast<milliseconds>(kDirectoryTimeout), sid_);
  auto resolved = co_await server_.directory().call(contracts::kDirectoryResolve, ask, opts);
  if (!resolved || resolved->results_size() != 1) co_return Reply::no("[UNAVAILABLE] Directory unavailable");
  quota_bytes_ = resolved->results(0).quota_bytes();
  if (auto made = server_.store().ensure_account(account); !made) {
    log::error("imap.store.failed", "cannot open the account's mailboxes", {{"sid", sid_}, {"user", account}, {"error", made.error().detail}});
    co_return Reply::no("[UNAVAILABLE] Mail store unavailable");
  }
  account_ = std::move(account);
  state_ = State::authenticated;
  log::info("imap.auth.ok", "logged in", {{"sid", sid_}, {"user", account_}, {"method", std::string(method)}});
  co_return Reply::ok("[CAPABILITY " + capabilities() + "] Logged in");
}

// ---- small commands ----

awaitable<Reply> ImapSession::cmd_compress(const imap::Command& cmd) {
  if (deflate_) co_return Reply::no("[COMPRESSIONACTIVE] Already compressing");
  if (cmd.mechanism != "DEFLATE") co_return Reply::bad("Unknown compression mechanism");
  co_return Reply::ok("DEFLATE active");
}

Reply ImapSession::cmd_enable(const imap::Command& cmd) {
  std::string enabled;
  for (const auto& cap : cmd.capabilities) {
    bool now = false;
    if (cap == "CONDSTORE" && !condstore_) now = condstore_ = true;
    else if (cap == "QRESYNC" && !qresync_) now = qresync_ = true;
    else if (cap == "IMAP4REV2" && !rev2_) now = rev2_ = true;
    if (now) enabled += " " + cap;
  }
  if (rev2_) reader_.set_utf8(true);
  untagged("ENABLED" + enabled);
  return Reply::ok("ENABLE done");
}

Reply ImapSession::cmd_id(const imap::Command& cmd) {
  if (cmd.id) {
    std::string fields;
    for (const auto& [name, value] : *cmd.id) {
      if (fields.size() > 512) break;
      fields += name + "=" + value.value_or("NIL") + " ";
    }
    log::info("imap.client.id", "client identified", {{"sid", sid_}, {"value", fields}});
  }
  untagged("ID (\"name\" \"Parley\" \"vendor\" \"Parley\")");
  return Reply::ok("ID done");
}

awaitable<Reply> ImapSession::cmd_idle(const imap::Command&) {
  if (state_ == State::selected) (void)sync(true);
  out_ += "+ idling\r\n";
  idling_ = true;
  woken_ = false;
  bool alive = co_await flush();
  auto started = std::chrono::steady_clock::now();
  std::optional<std::string> line;
  reader_.set_mode(imap::CommandReader::Mode::line);
  while (alive) {
    auto step = reader_.next();
    if (step.kind == imap::Step::Kind::line || step.kind == imap::Step::Kind::failure) {
      line = std::move(step.line);
      break;
    }
    // A change noticed while we were not reading needs no read to report.
    Got got = woken_ ? Got::tick : co_await read_more(kIdleKeepalive);
    if (got == Got::closed) {
      alive = false;
      break;
    }
    if (got == Got::data) continue;
    if (woken_) {
      woken_ = false;
      if (state_ == State::selected) (void)sync(true);
    } else if (std::chrono::steady_clock::now() - started >= settings_->imap_timeout) {
      untagged("BYE Autologout; idle for too long");
      alive = false;
    } else {
      untagged("OK Still here");
    }
    bool sent = co_await flush();
    if (!sent) alive = false;
  }
  reader_.set_mode(imap::CommandReader::Mode::command);
  idling_ = false;
  woken_ = false;
  if (!alive) {
    state_ = State::logout;
    co_return Reply::no("IDLE ended");
  }
  if (!imap::is_idle_done(*line)) co_return Reply::bad("Expected DONE");
  co_return Reply::ok("IDLE done");
}

}  // namespace parley::imapd
