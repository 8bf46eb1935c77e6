#include "session.h"

#include <pwd.h>
#include <sys/socket.h>

#include <cerrno>
#include <chrono>

#include "addr/addr.h"
#include "auth/auth.h"
#include "auth/encoding.h"
#include "front/sasl.h"
#include "ipc/contracts/router.h"
#include "log/log.h"
#include "mail/headers.h"
#include "mail/trace.h"
#include "queue/id.h"
#include "schema/directory.pb.h"
#include "server.h"
#include "smtp/client.h"
#include "smtp/data.h"
#include "verdicts.h"

namespace parley::smtpd {
namespace {

using namespace std::chrono_literals;

constexpr std::size_t kReadChunk = 16384;
constexpr int kFreeErrors = 3;                   // errors answered at once; later ones are delayed
constexpr auto kLookupTimeout = 10s;               // router.verify
constexpr auto kEnqueueTimeout = 120s;           // the router commits and fsyncs under load

constexpr smtp::Reply kTooManyErrors{421, "4.7.0", "Too many errors, closing connection"};
constexpr smtp::Reply kTooManyConnections{421, "4.7.0", "Too many connections, try again later"};
constexpr smtp::Reply kHeloFirst{503, "5.5.1", "Send HELO/EHLO first"};
constexpr smtp::Reply kNestedMail{503, "5.5.1", "Nested MAIL command"};
constexpr smtp::Reply kNeedMail{503, "5.5.1", "Need MAIL command"};
constexpr smtp::Reply kNeedRecipients{554, "5.5.1", "No valid recipients"};
constexpr smtp::Reply kTlsActive{503, "5.5.1", "TLS already active"};
constexpr smtp::Reply kTlsUnavailable{454, "4.7.0", "TLS not available"};
constexpr smtp::Reply kEncryptionRequired{538, "5.7.11", "Encryption required for requested authentication mechanism"};
constexpr smtp::Reply kAlreadyAuthenticated{503, "5.5.1", "Already authenticated"};
constexpr smtp::Reply kUnknownMechanism{504, "5.5.4", "Unrecognized authentication type"};
constexpr smtp::Reply kBadBase64{501, "5.5.2", "Cannot decode response"};
constexpr smtp::Reply kAuthCancelled{501, "5.0.0", "Authentication cancelled"};
constexpr smtp::Reply kAuthTempFail{454, "4.7.0", "Temporary authentication failure"};
constexpr smtp::Reply kBinaryMime{504, "5.5.4", "BODY=BINARYMIME is not supported"};
constexpr smtp::Reply kMixedDataBdat{503, "5.5.1", "DATA cannot follow BDAT"};
constexpr smtp::Reply kHelp{214, "2.0.0", "See RFC 5321"};
constexpr smtp::Reply kSubmitDenied{550, "5.7.1", "You are not allowed to submit mail on this system"};

std::string address_text(const smtp::Path& path) { return addr::to_string(path.mailbox); }

std::uint32_t notify_bits(const std::optional<smtp::Notify>& n) {
  if (!n) return schema::NOTIFY_DEFAULT;
  if (n->never) return schema::NOTIFY_NEVER;
  std::uint32_t bits = 0;
  if (n->success) bits |= schema::NOTIFY_SUCCESS;
  if (n->failure) bits |= schema::NOTIFY_FAILURE;
  if (n->delay) bits |= schema::NOTIFY_DELAY;
  return bits;
}

// A local program (sendmail) on the Unix listener: who it runs as, with
// its groups for smtpd.submit_groups (none known when the kernel will not
// say: then only its own group counts).
std::string local_peer(int fd, std::string& ip, std::optional<LocalCredentials>& who) {
  ucred cred{};
  socklen_t len = sizeof cred;
  ip = "local";
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) return "local:unknown";
  who.emplace();
  who->uid = cred.uid;
  who->gid = cred.gid;
  std::vector<gid_t> groups(64);
  for (int attempt = 0; attempt < 2; ++attempt) {
    socklen_t size = static_cast<socklen_t>(groups.size() * sizeof(gid_t));
    if (::getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups.data(), &size) == 0) {
      groups.resize(size / sizeof(gid_t));
      who->groups = std::move(groups);
      break;
    }
    if (errno != ERANGE) break;
    groups.resize(size / sizeof(gid_t) + 1);  // the size it needs
  }
  std::string name = std::to_string(cred.uid);
  char buf[4096];
  passwd pw{};
  passwd* found = nullptr;
  if (::getpwuid_r(cred.uid, &pw, buf, sizeof buf, &found) == 0 && found != nullptr) name = found->pw_name;
  return "local:" + name + "(uid=" + std::to_string(cred.uid) + ",pid=" + std::to_string(cred.pid) + ")";
}

}  // namespace

Session::Session(Server& server, std::unique_ptr<net::Stream> stream, std::string listener, std::string sid)
    : front::Session(server.front(), std::move(stream), std::move(listener), std::move(sid), "smtp"),
      server_(server),
      settings_(server.settings()),
      lines_(settings_->max_command_line) {
  if (local()) peer_ = local_peer(stream_->native_handle(), ip_, local_credentials_);
}

awaitable<void> Session::run(std::shared_ptr<Session> self) {
  const auto started = std::chrono::steady_clock::now();
  log::info("smtp.session.open", "connected", {{"sid", self->sid_}, {"peer", self->peer_}, {"listener", self->listener_}});
  co_await self->serve();
  co_await self->flush();  // a last reply (421 after too many errors) may be pending
  co_await self->stream_->shutdown(5000ms);
  auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
  log::info("smtp.session.close", "disconnected",
            {{"sid", self->sid_}, {"count", self->messages_}, {"elapsed_ms", static_cast<std::int64_t>(elapsed)}});
}

awaitable<void> Session::serve() {
  // On smtps the TLS handshake comes first, and a refusal goes inside TLS,
  // where the client can read it. Local programs are not limited per address.
  std::shared_ptr<tls::ServerContext> implicit_tls;
  if (listener_ == "smtps") implicit_tls = settings_->tls_for(listener_);
  const Opened opened = co_await open(std::move(implicit_tls), !local());
  if (opened == Opened::closed) co_return;
  if (opened == Opened::refused) {
    reply(kTooManyConnections);
    co_await flush();
    co_return;
  }
  reply(220, "", settings_->hostname + " ESMTP Parley");
  if (!co_await flush()) co_return;

  for (;;) {
    if (interrupted() && !txn_.active) {
      reply(smtp::kShuttingDown);
      co_await flush();
      co_return;
    }
    auto cmd = co_await read_command();
    if (!cmd) co_return;
    bool go_on = true;
    switch (cmd->verb) {
      case smtp::Verb::ehlo: go_on = co_await on_ehlo(*cmd, true); break;
      case smtp::Verb::helo: go_on = co_await on_ehlo(*cmd, false); break;
      case smtp::Verb::starttls: go_on = co_await on_starttls(); break;
      case smtp::Verb::auth: go_on = co_await on_auth(*cmd); break;
      case smtp::Verb::mail: go_on = co_await on_mail(*cmd); break;
      case smtp::Verb::rcpt: go_on = co_await on_rcpt(*cmd); break;
      case smtp::Verb::data: go_on = co_await on_data(); break;
      case smtp::Verb::bdat: go_on = co_await on_bdat(*cmd); break;
      case smtp::Verb::rset:
        reset();
        reply(smtp::kResetOk);
        break;
      case smtp::Verb::noop: reply(smtp::kOk); break;
      case smtp::Verb::vrfy: reply(smtp::kCannotVerify); break;
      case smtp::Verb::expn: go_on = co_await error(smtp::kNotImplemented); break;
      case smtp::Verb::help: reply(kHelp); break;
      case smtp::Verb::quit:
        reply(smtp::kBye);
        co_await flush();
        co_return;
    }
    if (!go_on) {
      co_await flush();
      co_return;
    }
  }
}

// --- input and output ------------------------------------------------------

void Session::reply(const smtp::Reply& r) { out_ += smtp::to_wire(r); }

void Session::reply(int code, std::string_view enhanced, std::string_view text) {
  std::vector<std::string_view> lines{text};
  out_ += smtp::format_reply(code, enhanced, lines);
}

awaitable<bool> Session::flush() {
  if (out_.empty()) co_return true;
  auto timeout = std::chrono::duration_cast<std::chrono::milliseconds>(settings_->command_timeout);
  auto written = co_await stream_->write(out_, timeout);
  out_.clear();
  co_return written.ok();
}

// Replies are sent when the client has nothing more pipelined (RFC 2920):
// output is flushed before every read from the socket.
awaitable<bool> Session::fill(std::chrono::milliseconds timeout, bool idle) {
  if (!co_await flush()) co_return false;
  char buf[kReadChunk];
  asio::mutable_buffer space(buf, sizeof buf);
  auto n = co_await receive(space, timeout, idle);
  if (!n) {
    if (n.code() == Errc::timeout) {
      log::info("smtp.session.timeout", "client timed out", {{"sid", sid_}, {"peer", peer_}});
      reply(smtp::kTimeout);
      co_await flush();
    } else if (n.code() == Errc::cancelled && interrupted()) {
      reply(smtp::kShuttingDown);
      co_await flush();
    }
    co_return false;
  }
  lines_.feed(std::string_view(buf, *n));
  co_return true;
}

// Command lines come whole from the line reader, which also holds back an
// over-long line and reports it once its end has come (500 5.5.2).
awaitable<std::optional<smtp::Command>> Session::read_command() {
  auto timeout = std::chrono::duration_cast<std::chrono::milliseconds>(settings_->command_timeout);
  for (;;) {
    auto line = lines_.next();
    if (line.kind == front::LineReader::Line::Kind::too_long) {
      if (!co_await error(smtp::kLineTooLong)) co_return std::nullopt;
      continue;
    }
    if (line.kind == front::LineReader::Line::Kind::line) {
      auto parsed = smtp::parse_command_line(line.text);
      if (parsed) co_return std::move(parsed.value());
      log::debug("smtp.command.rejected", "bad command", {{"sid", sid_}, {"error", parsed.error().detail}});
      if (!co_await error(smtp::command_error_reply(parsed.error()))) co_return std::nullopt;
      continue;
    }
    bool more = co_await fill(timeout, !txn_.active);
    if (!more) co_return std::nullopt;
  }
}

// A SASL response line; one over the limit cancels the exchange ("*").
awaitable<std::optional<std::string>> Session::read_sasl_line() {
  auto timeout = std::chrono::duration_cast<std::chrono::milliseconds>(settings_->command_timeout);
  for (;;) {
    auto line = lines_.next(front::kMaxSaslLine);
    if (line.kind == front::LineReader::Line::Kind::line) co_return std::move(line.text);
    if (line.kind == front::LineReader::Line::Kind::too_long) co_return std::string("*");
    if (!co_await fill(timeout)) co_return std::nullopt;
  }
}

awaitable<bool> Session::error(const smtp::Reply& r) { co_return co_await error_text(smtp::to_wire(r)); }

awaitable<bool> Session::error_text(std::string wire) {
  ++errors_;
  if (errors_ >= settings_->max_errors) {
    log::warn("smtp.session.errors", "too many errors, closing", {{"sid", sid_}, {"peer", peer_}, {"count", errors_}});
    reply(kTooManyErrors);
    co_return false;
  }
  out_ += wire;
  // Tarpit: from the fourth error on each reply waits, which makes
  // harvesting addresses and guessing passwords slow.
  if (errors_ > kFreeErrors && settings_->error_delay.count() > 0) {
    if (!co_await flush()) co_return false;
    asio::steady_timer pause(server_.io(), settings_->error_delay);
    boost::system::error_code ec;
    co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  co_return true;
}

void Session::reset() { txn_ = Transaction{}; }

// Local programs relay as Postfix's sendmail does: the uid is in the log.
bool Session::relay_allowed() const { return local() || !auth_user_.empty() || settings_->relay_client(ip_); }

std::string Session::protocol_name() const {
  // RFC 3848 / RFC 6531 "with" keywords for the Received header.
  std::string p = txn_.params.smtputf8 ? "UTF8SMTP" : (esmtp_ ? "ESMTP" : "SMTP");
  if (p == "SMTP") return p;
  if (stream_->secure()) p += "S";
  if (!auth_user_.empty()) p += "A";
  return p;
}

// --- commands ------------------------------------------------------------

awaitable<bool> Session::on_ehlo(const smtp::Command& cmd, bool extended) {
  reset();
  helo_ = cmd.argument;
  esmtp_ = extended;
  if (!extended) {
    reply(250, "", settings_->hostname);
    co_return true;
  }
  std::vector<std::string> caps = {settings_->hostname + " Hello " + helo_,
                                   "PIPELINING",
                                   "SIZE " + std::to_string(settings_->max_message_bytes),
                                   "8BITMIME",
                                   "SMTPUTF8",
                                   "ENHANCEDSTATUSCODES",
                                   "DSN",
                                   "CHUNKING"};
  if (!stream_->secure() && !local() && settings_->tls_for(listener_)) caps.push_back("STARTTLS");
  // No AUTH over plain text: it is offered only once TLS is up.
  if (stream_->secure() && auth_user_.empty() && !local()) caps.push_back("AUTH PLAIN LOGIN SCRAM-SHA-256");
  std::vector<std::string_view> lines(caps.begin(), caps.end());
  out_ += smtp::format_reply(250, "", lines);
  co_return true;
}

awaitable<bool> Session::on_starttls() {
  auto ctx = local() ? nullptr : settings_->tls_for(listener_);
  if (stream_->secure()) co_return co_await error(kTlsActive);
  if (!ctx) co_return co_await error(kTlsUnavailable);
  reply(smtp::kReadyForTls);
  if (!co_await flush()) co_return false;
  // Anything the client sent after STARTTLS in plain text would otherwise
  // be read as if it came over TLS (CVE-2011-0411): it is dropped.
  if (!lines_.buffered().empty()) {
    log::warn("smtp.tls.injection", "plain text after STARTTLS discarded",
              {{"sid", sid_}, {"peer", peer_}, {"bytes", lines_.buffered().size()}});
    lines_.discard();
  }
  bool secured = co_await handshake(ctx);
  if (!secured) co_return false;
  // RFC 3207 4.2: the session starts over.
  reset();
  helo_.clear();
  esmtp_ = false;
  co_return true;
}

awaitable<bool> Session::on_auth(const smtp::Command& cmd) {
  if (!stream_->secure()) co_return co_await error(kEncryptionRequired);
  if (!auth_user_.empty()) co_return co_await error(kAlreadyAuthenticated);
  if (helo_.empty()) co_return co_await error(kHeloFirst);
  if (txn_.active) co_return co_await error(smtp::kBadSequence);
  front::SaslChallenge challenge = [this](std::string base64) -> awaitable<std::optional<std::string>> {
    // "334" SP [base64] (RFC 4954 section 4): the space even when empty.
    out_ += "334 " + base64 + "\r\n";
    co_return co_await read_sasl_line();
  };
  auto outcome =
      co_await authenticate(server_.directory(), cmd.argument, cmd.initial_response, schema::SERVICE_SUBMISSION, challenge);
  using Kind = front::SaslOutcome::Kind;
  switch (outcome.kind) {
    case Kind::ok:
      auth_user_ = outcome.account;
      log::info("smtp.auth.ok", "authenticated", {{"sid", sid_}, {"peer", peer_}, {"user", auth_user_}, {"method", cmd.argument}});
      reply(smtp::kAuthOk);
      co_return true;
    case Kind::lost: co_return false;
    case Kind::unsupported: co_return co_await error(kUnknownMechanism);
    case Kind::bad_initial: co_return co_await error(kBadBase64);
    case Kind::cancelled: co_return co_await error(kAuthCancelled);
    case Kind::tempfail:
      log::info("smtp.auth.tempfail", "temporary authentication failure", {{"sid", sid_}, {"peer", peer_}});
      co_return co_await error(kAuthTempFail);
    case Kind::failed: break;
  }
  log::info("smtp.auth.failed", "authentication failed", {{"sid", sid_}, {"peer", peer_}, {"method", cmd.argument}});
  co_return co_await error(smtp::kAuthFailed);
}

awaitable<bool> Session::on_mail(const smtp::Command& cmd) {
  if (helo_.empty()) co_return co_await error(kHeloFirst);
  if (txn_.active) co_return co_await error(kNestedMail);
  if (submission() && auth_user_.empty()) co_return co_await error(smtp::kAuthRequired);
  // smtpd.submit_users/submit_groups, checked against the settings in
  // force now (a reload applies to sessions already open).
  if (local() && !server_.settings()->may_submit(local_credentials_)) {
    log::warn("smtp.submit.refused", "local user may not submit mail", {{"sid", sid_}, {"peer", peer_}});
    co_return co_await error(kSubmitDenied);
  }
  if (cmd.mail.body == smtp::Body::binary_mime) co_return co_await error(kBinaryMime);
  if (cmd.mail.size && *cmd.mail.size > settings_->max_message_bytes) co_return co_await error(smtp::kTooBig);
  txn_.active = true;
  txn_.return_path = cmd.path.null ? "" : address_text(cmd.path);
  txn_.params = cmd.mail;
  reply(smtp::kSenderOk);
  co_return true;
}

awaitable<bool> Session::on_rcpt(const smtp::Command& cmd) {
  if (!txn_.active) co_return co_await error(kNeedMail);
  if (txn_.recipients.size() >= settings_->max_recipients) {
    reply(smtp::kTooManyRecipients);
    co_return true;
  }
  if (cmd.path.utf8 && !txn_.params.smtputf8) co_return co_await error(smtp::kNonAsciiAddress);
  std::string address = cmd.path.postmaster ? "postmaster@" + settings_->hostname : address_text(cmd.path);

  // The router answers as it will route the message: its rules, then the
  // directory (aliases, unknown-user policy).
  schema::VerifyRequest req;
  req.add_addresses(address);
  req.set_sid(sid_);
  ipc::CallOptions opts(std::chrono::duration_cast<std::chrono::milliseconds>(kLookupTimeout), sid_);
  auto answer = co_await server_.router().call(contracts::kRouterVerify, req, opts);
  if (!answer || answer->results_size() != 1 || !well_formed(answer->results(0))) {
    log::warn("smtp.rcpt.tempfail", "router gave no usable answer", {{"sid", sid_}, {"rcpt", address}});
    reply(smtp::kTempFailure);
    co_return true;
  }
  const auto& verdict = answer->results(0);
  const schema::Answer& refusal = verdict.answer();
  if (refusal.outcome() != schema::OUTCOME_ACCEPTED) {
    std::string wire = answer_reply(refusal);
    // The back end's own trouble is no fault of the client's: not counted.
    const bool ours = !refusal.permanent() && (refusal.outcome() == schema::OUTCOME_UNAVAILABLE ||
                                               refusal.outcome() == schema::OUTCOME_UNSPECIFIED);
    if (ours) {
      log::warn("smtp.rcpt.tempfail", "router could not decide", {{"sid", sid_}, {"rcpt", address}});
      out_ += wire;
      co_return true;
    }
    log::info("smtp.rcpt.rejected", "recipient refused",
              {{"sid", sid_}, {"peer", peer_}, {"rcpt", address}, {"reason", schema::Outcome_Name(refusal.outcome())}});
    co_return co_await error_text(std::move(wire));
  }
  // A postmaster address of ours is always taken, even if the host name is
  // not a local domain (RFC 5321 4.5.1).
  if (verdict.kind() == schema::Verdict::KIND_REMOTE && !relay_allowed() && !cmd.path.postmaster) {
    log::info("smtp.rcpt.rejected", "relaying denied", {{"sid", sid_}, {"peer", peer_}, {"rcpt", address}, {"reason", "relay"}});
    co_return co_await error(outcome_reply(schema::OUTCOME_RELAY_DENIED, true));
  }
  for (const auto& existing : txn_.recipients) {
    if (existing.address() == address) {
      reply(smtp::kRecipientOk);  // the same recipient twice: delivered once
      co_return true;
    }
  }
  schema::Recipient rcpt;
  rcpt.set_address(address);
  rcpt.set_notify(notify_bits(cmd.rcpt.notify));
  if (cmd.rcpt.orcpt) rcpt.set_orcpt(cmd.rcpt.orcpt_type.value_or("rfc822") + ";" + *cmd.rcpt.orcpt);
  txn_.recipients.push_back(std::move(rcpt));
  reply(smtp::kRecipientOk);
  co_return true;
}

awaitable<bool> Session::on_data() {
  if (!txn_.active) co_return co_await error(kNeedMail);
  if (txn_.chunking) co_return co_await error(kMixedDataBdat);
  if (txn_.recipients.empty()) co_return co_await error(kNeedRecipients);
  reply(smtp::kStartData);
  const smtp::Nul nul = settings_->allow_nul ? smtp::Nul::allow : smtp::Nul::refuse;
  smtp::DataReader reader(settings_->max_message_bytes, smtp::kMaxTextLine, nul);
  std::string body;
  auto timeout = std::chrono::duration_cast<std::chrono::milliseconds>(settings_->data_timeout);
  for (;;) {
    std::string& in = lines_.buffered();
    std::size_t used = reader.feed(in, [&body](std::string_view part) { body.append(part); });
    in.erase(0, used);
    if (reader.done()) break;
    if (!co_await fill(timeout)) co_return false;
  }
  switch (reader.verdict()) {
    case smtp::DataVerdict::ok: break;
    case smtp::DataVerdict::bare_line_ending:
      log::info("smtp.data.rejected", "bare CR or LF in message", {{"sid", sid_}, {"peer", peer_}, {"reason", "bare-line-ending"}});
      reset();
      co_return co_await error(smtp::kBareLineEnding);
    case smtp::DataVerdict::nul:
      log::info("smtp.data.rejected", "NUL in message", {{"sid", sid_}, {"peer", peer_}, {"reason", "nul"}});
      reset();
      co_return co_await error(smtp::kNulInMessage);
    case smtp::DataVerdict::too_big:
      log::info("smtp.data.rejected", "message too big", {{"sid", sid_}, {"peer", peer_}, {"reason", "size"}});
      reset();
      co_return co_await error(smtp::kTooBig);
    case smtp::DataVerdict::line_too_long:
      log::info("smtp.data.rejected", "line too long", {{"sid", sid_}, {"peer", peer_}, {"reason", "line-length"}});
      reset();
      co_return co_await error(smtp::kDataLineTooLong);
  }
  co_return co_await enqueue(std::move(body));
}

awaitable<bool> Session::on_bdat(const smtp::Command& cmd) {
  // The chunk's octets follow the command whatever the reply will be, so
  // they are read in any case (RFC 3030 2).
  std::optional<smtp::Reply> refusal;
  if (!txn_.active) refusal = kNeedMail;
  else if (txn_.recipients.empty()) refusal = kNeedRecipients;
  bool keep = !refusal && !txn_.chunk_failure;
  if (keep && txn_.chunks.size() + cmd.bdat_size > settings_->max_message_bytes) {
    txn_.chunk_failure = smtp::kTooBig;
    txn_.chunks.clear();
    keep = false;
  }
  smtp::BdatChunk chunk(cmd.bdat_size, cmd.bdat_last);
  auto timeout = std::chrono::duration_cast<std::chrono::milliseconds>(settings_->data_timeout);
  for (;;) {
    std::string& in = lines_.buffered();
    std::string_view part = chunk.take(in);
    if (keep) txn_.chunks.append(part);
    in.erase(0, part.size());
    if (chunk.done()) break;
    if (!co_await fill(timeout)) co_return false;
  }
  if (refusal) co_return co_await error(*refusal);
  txn_.chunking = true;
  if (!cmd.bdat_last) {
    if (txn_.chunk_failure) {
      reply(*txn_.chunk_failure);
    } else {
      reply(250, "2.0.0", std::to_string(cmd.bdat_size) + " octets received");
    }
    co_return true;
  }
  if (txn_.chunk_failure) {
    auto failure = *txn_.chunk_failure;
    reset();
    co_return co_await error(failure);
  }
  // The same rule as DATA: a message with a bare CR or LF is refused, so
  // it can never be relayed into a smuggling sequence.
  if (smtp::has_bare_line_ending(txn_.chunks)) {
    reset();
    co_return co_await error(smtp::kBareLineEnding);
  }
  // And NUL, as DATA (smtpd.allow_nul): BDAT is binary on the wire, but
  // without BINARYMIME the message is still text (RFC 3030 3).
  if (!settings_->allow_nul && smtp::has_nul(txn_.chunks)) {
    log::info("smtp.data.rejected", "NUL in message", {{"sid", sid_}, {"peer", peer_}, {"reason", "nul"}});
    reset();
    co_return co_await error(smtp::kNulInMessage);
  }
  std::string body = std::move(txn_.chunks);
  co_return co_await enqueue(std::move(body));
}

awaitable<bool> Session::enqueue(std::string body) {
  auto now = std::chrono::system_clock::now();
  std::string queue_id = queue::new_id();

  schema::EnqueueRequest req;
  auto* env = req.mutable_envelope();
  env->set_message_id(queue_id);
  env->set_return_path(txn_.return_path);
  for (auto& r : txn_.recipients) *env->add_recipients() = std::move(r);
  auto* client = env->mutable_client();
  client->set_peer_address(peer_);
  client->set_helo(helo_);
  client->set_tls_version(stream_->tls_version());
  client->set_tls_cipher(stream_->tls_cipher());
  client->set_auth_user(auth_user_);
  client->set_listener(listener_);
  env->set_sid(sid_);
  if (txn_.params.envid) env->set_envid(*txn_.params.envid);
  env->set_ret(txn_.params.ret == smtp::Ret::full   ? schema::Envelope::RET_FULL
               : txn_.params.ret == smtp::Ret::hdrs ? schema::Envelope::RET_HDRS
                                                    : schema::Envelope::RET_DEFAULT);
  env->set_body_8bit(txn_.params.body == smtp::Body::eight_bit_mime);
  env->set_smtputf8(txn_.params.smtputf8);
  env->set_received_unix_ms(std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count());
  if (auto id = mail::header(body, "Message-ID")) env->set_header_message_id(*id);

  mail::ReceivedInfo info;
  info.from_helo = helo_;
  info.from_ip = local() ? "" : ip_;
  info.by_host = settings_->hostname;
  info.protocol = protocol_name();
  info.id = queue_id;
  if (env->recipients_size() == 1) info.for_address = env->recipients(0).address();
  if (stream_->secure()) info.tls = stream_->tls_version() + ":" + stream_->tls_cipher();
  info.when = now;
  std::string message = mail::received_header(info);
  message += body;
  env->set_size(message.size());
  req.set_body(std::move(message));
  body.clear();

  ipc::CallOptions opts(std::chrono::duration_cast<std::chrono::milliseconds>(kEnqueueTimeout), sid_);
  auto answer = co_await server_.router().call(contracts::kRouterEnqueue, req, opts);
  const auto rcpts = env->recipients_size();
  reset();
  if (!answer) {
    log::warn("smtp.message.tempfail", "router did not take the message", {{"sid", sid_}, {"queue_id", queue_id}, {"error", answer.error().detail}});
    reply(smtp::kTempFailure);
    co_return true;
  }
  const schema::Answer& refusal = answer->answer();
  if (refusal.outcome() != schema::OUTCOME_ACCEPTED) {
    std::string wire = answer_reply(refusal);
    if (!refusal.permanent()) {
      log::warn("smtp.message.tempfail", "router did not take the message",
                {{"sid", sid_}, {"queue_id", queue_id}, {"reason", schema::Outcome_Name(refusal.outcome())}});
      out_ += wire;
      co_return true;
    }
    log::warn("smtp.message.rejected", "router refused the message",
              {{"sid", sid_}, {"queue_id", queue_id}, {"reason", schema::Outcome_Name(refusal.outcome())}});
    co_return co_await error_text(std::move(wire));
  }
  ++messages_;
  log::info("smtp.message.queued", "queued",
            {{"sid", sid_}, {"queue_id", queue_id}, {"msg_id", req.envelope().header_message_id()}, {"bytes", req.envelope().size()},
             {"count", rcpts}, {"user", auth_user_}});
  reply(250, "2.0.0", "Ok: queued as " + queue_id);
  co_return true;
}

}  // namespace parley::smtpd
