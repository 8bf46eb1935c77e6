#include "tests/support/session_rig.h"

#include <filesystem>
#include <stdexcept>

#include "core/ascii.h"
#include "ipc/contracts/directory.h"
#include "ipc/contracts/local_delivery.h"
#include "ipc/contracts/media.h"
#include "ipc/contracts/router.h"
#include "ipc/ipc.h"
#include "log/log.h"
#include "schema/directory.pb.h"
#include "schema/envelope.pb.h"
#include "schema/signal.pb.h"
#include "auth/auth.h"
#include "tests/unit/tls_testcert.h"

namespace parley::testkit {

namespace fs = std::filesystem;

config::Config rig_config(const std::string& dir, config::SectionDecl section, std::string_view extra) {
  auto cert = tls::testing::write_test_cert(dir, "mx.example.test");
  std::string entry = "\"default=" + cert.cert_file + "," + cert.key_file + "\"";
  std::string text = "[server]\nhostname = \"mx.example.test\"\n"
                     "[smtpd]\nerror_delay_ms = 0\ntls_certificates = [" + entry + "]\n"
                     "[imapd]\ntls_certificates = [" + entry + "]\n"
                     "[sipd]\ndomain = \"example.test\"\ndigest_algorithms = [\"MD5\", \"SHA-256\"]\n"
                     "tls_certificates = [" + entry + "]\n";
  text.append(extra);
  // The text has both front ends' sections; the other one is skipped.
  auto parsed = config::Config::parse(text, "rig.conf", daemon::process_schema({std::move(section)}), config::Unknown::skip);
  if (!parsed) throw std::runtime_error("rig config: " + parsed.error().detail);
  return std::move(parsed.value());
}

RigContext::RigContext(asio::io_context& io, std::string name, config::Config config, std::string dir)
    : io_(io), name_(std::move(name)), config_(std::move(config)), dir_(std::move(dir)) {
  for (std::string_view proc : {"directory", "router", "local-delivery", "dequeuer", "media"}) {
    fs::create_directories(dir_ + "/run/" + std::string(proc));
  }
  fs::create_directories(dir_ + "/run/" + name_);  // its own endpoints (sipd's admin)
  fs::create_directories(data_dir());
}

std::vector<daemon::Listener> RigContext::listeners(std::string_view name) const {
  std::vector<daemon::Listener> out;
  for (const auto& l : listeners_) {
    if (l.name == name) out.push_back(l);
  }
  return out;
}

std::string RigContext::endpoint(std::string_view service, std::string_view proc) const {
  std::string_view owner = proc.empty() ? std::string_view(name_) : proc;
  return ipc::endpoint(dir_ + "/run", owner, service);
}

namespace {

using schema::AuthReply;

AuthReply reply_with(AuthReply::Outcome outcome, std::string challenge = {}, std::string exchange = {}) {
  AuthReply r;
  r.set_outcome(outcome);
  r.set_challenge(std::move(challenge));
  r.set_exchange_id(std::move(exchange));
  return r;
}

AuthReply ok_for(std::string_view user) {
  AuthReply r = reply_with(AuthReply::OUTCOME_OK);
  r.set_account(std::string(user));
  return r;
}

bool valid(std::string_view user, std::string_view password) { return user == kUser && password == kPassword; }

// LOGIN keeps its state in the exchange id: "login" before the user name,
// "login:USER" after it.
AuthReply login_step(const schema::AuthRequest& req) {
  const std::string& id = req.exchange_id();
  if (id.empty() && req.response().empty()) {
    return reply_with(AuthReply::OUTCOME_CONTINUE, "Username:", "login");
  }
  if (id.empty() || id == "login") return reply_with(AuthReply::OUTCOME_CONTINUE, "Password:", "login:" + req.response());
  if (id.starts_with("login:")) {
    std::string_view user = std::string_view(id).substr(6);
    return valid(user, req.response()) ? ok_for(user) : reply_with(AuthReply::OUTCOME_FAILED);
  }
  return reply_with(AuthReply::OUTCOME_FAILED);
}

AuthReply auth_step(const schema::AuthRequest& req) {
  if (req.mechanism() == "PLAIN") {
    // No initial response: an empty challenge asks for it.
    if (req.response().empty() && req.exchange_id().empty()) return reply_with(AuthReply::OUTCOME_CONTINUE, "", "plain");
    auto plain = auth::parse_plain(req.response());
    if (plain && plain->authzid.empty() && valid(plain->authcid, plain->password)) return ok_for(plain->authcid);
    return reply_with(AuthReply::OUTCOME_FAILED);
  }
  if (req.mechanism() == "LOGIN") return login_step(req);
  if (req.mechanism() == "SCRAM-SHA-256" && req.exchange_id().empty()) {
    return reply_with(AuthReply::OUTCOME_CONTINUE, "r=clientnonceservernonce,s=c2FsdA==,i=4096", "scram");
  }
  return reply_with(AuthReply::OUTCOME_FAILED);
}

std::string_view domain_of(std::string_view address) {
  auto at = address.rfind('@');
  return at == std::string_view::npos ? std::string_view() : address.substr(at + 1);
}

// Every address of kDomain in printable ASCII is an account of its own, as
// the real directory would have it (its names are UTF-8; these fakes keep to
// ASCII).
bool is_account(std::string_view address) {
  return domain_of(address) == kDomain &&
         std::all_of(address.begin(), address.end(), [](char c) { return c > ' ' && c < 0x7f; });
}

// Any account of kDomain with kPassword, signed with the local part or the
// whole name, realm kDomain.
AuthReply digest_check(const schema::DigestRequest& req) {
  const auto algorithm = auth::parse_digest_algorithm(req.algorithm());
  const std::string& user = req.username();
  const std::string account = user.find('@') == std::string::npos ? user + "@" + std::string(kDomain) : user;
  if (!algorithm || req.realm() != kDomain || !is_account(account)) return reply_with(AuthReply::OUTCOME_FAILED);
  const std::string ha1 = auth::digest_ha1(*algorithm, user, kDomain, kPassword);
  auth::DigestChallengeResponse r{req.method(), req.uri(), req.nonce(), req.cnonce(), req.nc(), req.qop(), req.response()};
  if (!auth::digest_verify(*algorithm, ha1, r)) return reply_with(AuthReply::OUTCOME_FAILED);
  AuthReply reply = ok_for(account);
  reply.mutable_sip()->set_max_registrations(10);  // the directory's built-in device limit
  reply.mutable_sip()->set_enabled(true);
  reply.set_identity_ok(ascii_iequal(req.identity(), account));
  return reply;
}

schema::RouteSignalReply route_signal(const schema::RouteSignalRequest& req) {
  schema::RouteSignalReply out;
  auto* t = out.add_targets();
  const std::string& address = req.address();
  if (address.starts_with("turns@") || address.starts_with("pair@")) {
    // Ringing in turn: kUser's devices in stage 0 (twice for pair@: two
    // branches), then again in stage 1; a second each.
    const int first = address.starts_with("pair@") ? 2 : 1;
    out.clear_targets();
    for (int i = 0; i <= first; ++i) {
      auto* staged = out.add_targets();
      staged->set_kind(schema::SignalTarget::KIND_REGISTERED);
      staged->set_account(std::string(kUser));
      staged->set_stage(i < first ? 0 : 1);
      staged->set_stage_seconds(1);
    }
  } else if (address.starts_with("media@")) {
    // kUser's voicemail: answered by sipd, its audio media's.
    t->set_kind(schema::SignalTarget::KIND_MEDIA);
    t->set_application("voicemail");
    t->set_account(std::string(kUser));
  } else if (address.starts_with("reject@")) {
    t->set_kind(schema::SignalTarget::KIND_REJECT);
    t->mutable_reject()->set_outcome(schema::OUTCOME_UNKNOWN_USER);
    t->mutable_reject()->set_permanent(true);
  } else if (address.starts_with("0") && domain_of(address) == kDomain && !req.signal().auth_user().empty()) {
    // A number: out through the trunk "provider" (router.sip_gateways).
    t->set_kind(schema::SignalTarget::KIND_EXTERNAL);
    t->set_uri("sip:" + address);
    t->set_trunk("provider");
  } else if (domain_of(address) == kDomain) {
    t->set_kind(schema::SignalTarget::KIND_REGISTERED);
    t->set_account(address);
  } else if (!req.signal().auth_user().empty()) {
    t->set_kind(schema::SignalTarget::KIND_EXTERNAL);
    t->set_uri(req.signal().request_uri());
  } else {
    t->set_kind(schema::SignalTarget::KIND_REJECT);
    t->mutable_reject()->set_outcome(schema::OUTCOME_RELAY_DENIED);
    t->mutable_reject()->set_permanent(true);
  }
  return out;
}

}  // namespace

FakeBackends::FakeBackends(asio::io_context& io, const RigContext& ctx)
    : directory_(std::make_unique<ipc::Server>(io, ctx.endpoint("directory", "directory"))),
      router_(std::make_unique<ipc::Server>(io, ctx.endpoint("router", "router"))) {
  directory_->handle(
      contracts::kDirectoryAuth, [](const ipc::RequestInfo&, schema::AuthRequest req) -> awaitable<Result<AuthReply>> {
        co_return auth_step(req);
      });
  directory_->handle(
      contracts::kDirectoryResolve,
      [](const ipc::RequestInfo&, schema::ResolveRequest req) -> awaitable<Result<schema::ResolveReply>> {
        schema::ResolveReply out;
        for (const auto& address : req.addresses()) {
          auto* r = out.add_results();
          r->set_address(address);
          const bool ours = is_account(address);
          const auto kind = ours                           ? schema::Resolution::KIND_ACCOUNT
                            : domain_of(address) == kDomain ? schema::Resolution::KIND_UNKNOWN_REJECT
                                                            : schema::Resolution::KIND_NOT_LOCAL;
          r->set_kind(kind);
          if (ours) r->set_account(address);
        }
        co_return out;
      });
  router_->handle(
      contracts::kRouterVerify, [](const ipc::RequestInfo&, schema::VerifyRequest req) -> awaitable<Result<schema::VerifyReply>> {
        schema::VerifyReply out;
        for (const auto& address : req.addresses()) {
          auto* v = out.add_results();
          if (address.starts_with("reject@")) {
            v->mutable_answer()->set_outcome(schema::OUTCOME_UNKNOWN_USER);
            v->mutable_answer()->set_permanent(true);
          } else {
            bool ours = domain_of(address) == kDomain;
            v->set_kind(ours ? schema::Verdict::KIND_LOCAL : schema::Verdict::KIND_REMOTE);
            v->mutable_answer()->set_outcome(schema::OUTCOME_ACCEPTED);
          }
        }
        co_return out;
      });
  router_->handle(
      contracts::kRouterEnqueue, [this](const ipc::RequestInfo&, schema::EnqueueRequest) -> awaitable<Result<schema::EnqueueReply>> {
        schema::EnqueueReply out;
        out.set_queue_id("Q" + std::to_string(++enqueued_));
        out.mutable_answer()->set_outcome(schema::OUTCOME_ACCEPTED);
        co_return out;
      });
  directory_->handle(
      contracts::kDirectoryDigest, [](const ipc::RequestInfo&, schema::DigestRequest req) -> awaitable<Result<AuthReply>> {
        co_return digest_check(req);
      });
  router_->handle(
      contracts::kRouterRouteSignal,
      [](const ipc::RequestInfo&, schema::RouteSignalRequest req) -> awaitable<Result<schema::RouteSignalReply>> {
        co_return route_signal(req);
      });
  for (auto* server : {directory_.get(), router_.get()}) {
    if (auto started = server->start(); !started) throw std::runtime_error("fake back end: " + started.error().detail);
  }
  // The rigged local-delivery serves its own.
  if (ctx.name() != "local-delivery") {
    local_status_ = std::make_unique<ipc::Server>(io, ctx.endpoint("status", "local-delivery"));
    local_status_->handle(
        contracts::kMailboxStatus,
        [](const ipc::RequestInfo&, schema::MailboxStatusRequest req) -> awaitable<Result<schema::MailboxStatusReply>> {
          if (domain_of(req.account()) != kDomain) co_return fail(Errc::invalid, "not an account");
          schema::MailboxStatusReply out;
          out.set_messages(2);
          out.set_unseen(1);
          co_return out;
        });
    if (auto started = local_status_->start(); !started) throw std::runtime_error("fake back end: " + started.error().detail);
  }
  // The media relay, at 192.0.2.99: the caller's side sends to 30000+4n,
  // the callee's to 30002+4n (n: the stream).
  media_ = std::make_unique<ipc::Server>(io, ctx.endpoint("relay", "media"));
  media_->handle(contracts::kRelayUpdate,
                 [this](const ipc::RequestInfo&, schema::RelayUpdate req) -> awaitable<Result<schema::RelayUpdateReply>> {
                   const bool caller = req.side() == schema::RELAY_SIDE_CALLER;
                   relay_requests_.push_back((caller ? "caller:" : "callee:") + req.call());
                   schema::RelayUpdateReply out;
                   // A relay left on loopback (media.address's default), for calls "loopback...".
                   out.set_address(req.call().starts_with("loopback") ? "127.0.0.1" : "192.0.2.99");
                   for (int i = 0; i < req.streams_size(); ++i) {
                     auto* ports = out.add_streams();
                     ports->set_rtp_port(static_cast<std::uint32_t>(30000 + 4 * i + (caller ? 2 : 0)));
                     ports->set_rtcp_port(ports->rtp_port() + 1);
                   }
                   co_return out;
                 });
  media_->handle(contracts::kRelayRelease,
                 [this](const ipc::RequestInfo&, schema::RelayRelease req) -> awaitable<Result<schema::RelayReleaseReply>> {
                   relay_requests_.push_back("release:" + req.call());
                   schema::RelayReleaseReply out;
                   out.set_found(true);
                   co_return out;
                 });
  // The applications' end of a call: 192.0.2.99:31000, PCMU or PCMA and
  // telephone-event as offered.
  media_->handle(contracts::kAppStart,
                 [this](const ipc::RequestInfo&, schema::AppStart req) -> awaitable<Result<schema::AppStartReply>> {
                   relay_requests_.push_back("app:" + req.application() + ":" + req.account() + ":" + req.call());
                   schema::AppStartReply out;
                   for (const auto& f : req.formats()) {
                     if (f.name() == "telephone-event") out.set_telephone_event(f.payload_type());
                     if ((f.name() == "PCMU" || f.name() == "PCMA") && !out.has_format()) *out.mutable_format() = f;
                   }
                   if (!out.has_format()) co_return fail(Errc::invalid, "no codec in common");
                   out.set_address("192.0.2.99");
                   out.set_rtp_port(31000);
                   out.set_rtcp_port(31001);
                   co_return out;
                 });
  media_->handle(contracts::kAppStop,
                 [this](const ipc::RequestInfo&, schema::AppStop req) -> awaitable<Result<schema::AppStopReply>> {
                   relay_requests_.push_back("stop:" + req.call());
                   schema::AppStopReply out;
                   out.set_found(true);
                   co_return out;
                 });
  media_->handle(contracts::kAppDigits,
                 [this](const ipc::RequestInfo&, schema::AppDigits req) -> awaitable<Result<schema::AppDigitsReply>> {
                   relay_requests_.push_back("digits:" + req.call() + ":" + req.digits());
                   schema::AppDigitsReply out;
                   out.set_found(true);
                   co_return out;
                 });
  if (auto started = media_->start(); !started) throw std::runtime_error("fake back end: " + started.error().detail);
}

FakeBackends::~FakeBackends() = default;

bool settle(asio::io_context& io, net::MemoryStream& stream, const bool& done, std::chrono::milliseconds patience) {
  constexpr auto kStep = std::chrono::milliseconds(10);
  auto waited = std::chrono::milliseconds(0);
  for (;;) {
    io.restart();
    io.poll();
    if (done || (stream.reading() && stream.unread() == 0)) return true;
    // Nothing ready on the loop: an ipc reply or a timer is on its way.
    if (io.run_one_for(kStep) == 0) {
      waited += kStep;
      if (waited >= patience) return false;
    } else {
      waited = {};
    }
  }
}

bool drive(asio::io_context& io, net::MemoryStream& stream, const std::vector<std::string>& turns, const bool& done,
           std::chrono::milliseconds patience) {
  for (std::size_t next = 0;;) {
    if (!settle(io, stream, done, patience)) return false;
    if (done) return true;
    if (next < turns.size()) {
      stream.feed(turns[next++]);
    } else {
      stream.finish();
    }
  }
}

namespace {
awaitable<void> flagged(awaitable<void> session, bool& done) {
  co_await std::move(session);
  done = true;
}
}  // namespace

void spawn_flagged(asio::io_context& io, awaitable<void> session, bool& done) {
  asio::co_spawn(io, flagged(std::move(session), done), asio::detached);
}

Dialog::Dialog(asio::io_context& io)
    : io_(io), stream_(std::make_unique<net::MemoryStream>(io)), client_(*stream_) {}

Dialog::~Dialog() {
  if (done_ || stream_) return;
  // Only the loop from here on: the stream goes with the session.
  client_.finish();
  (void)settle(io_, client_, done_);
}

void Dialog::start(awaitable<void> session) { spawn_flagged(io_, std::move(session), done_); }

std::string Dialog::output() {
  bool settled = settle(io_, client_, done_);
  std::string out = client_.take_output();
  if (!settled) out += "<stuck>";
  return out;
}

std::string Dialog::say(std::string_view bytes) {
  client_.feed(bytes);
  return output();
}

std::string Dialog::hang_up() {
  client_.finish();
  return output();
}

FuzzInput split_fuzz_input(const std::uint8_t* data, std::size_t size) {
  FuzzInput in;
  if (size == 0) return in;
  in.selector = data[0];
  std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  constexpr std::string_view kCut = "\n~~\n";
  for (;;) {
    auto at = rest.find(kCut);
    if (at == std::string_view::npos) {
      if (!rest.empty()) in.turns.emplace_back(rest);
      return in;
    }
    in.turns.emplace_back(rest.substr(0, at + 1));
    rest.remove_prefix(at + kCut.size());
  }
}

void quiet_logs(std::string_view proc) {
  static bool done = false;
  if (done) return;
  done = true;
  log::Options options;
  options.proc = std::string(proc);
  options.format = log::Format::json;
  options.target = log::Target::file;
  options.path = std::getenv("PARLEY_RIG_LOG") ? std::getenv("PARLEY_RIG_LOG") : "/dev/null";
  options.level = log::Level::trace;
  (void)log::init(options);
}

}  // namespace parley::testkit
