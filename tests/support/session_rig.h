// A front end's session without sockets or other processes: what the
// session fuzz targets (tests/fuzz/*_session_fuzz.cpp) and dialog tests use.
//
//   RigContext   a daemon::Context in a temporary directory (no parleyd)
//   FakeBackends the directory and the router, answered over real ipc in
//                the same event loop, with fixed rules (below)
//   drive()      runs one session over a net::MemoryStream, handing it the
//                client's turns one at a time whenever it waits for input
//
// The fake back ends' rules:
//   directory.auth     PLAIN and LOGIN succeed for kUser/kPassword only;
//                      SCRAM-SHA-256 gets a challenge, then fails
//   directory.resolve  every address in kDomain is an account
//   router.verify      kDomain is local; "reject" local parts are refused;
//                      everything else is remote
//   router.enqueue     queued (counted)
//   directory.digest   any account of kDomain with kPassword, realm kDomain
//                      (as "demo" or "demo@example.test")
//   router.route_signal  an address in kDomain is an account of that name (registered contacts); "reject@" unknown;
//                      elsewhere: external when authenticated, else refused
//                      "turns@" kUser in stage 0 then stage 1, "pair@" kUser twice in stage 0 then
//                      once in stage 1 (a second each); "media@" kUser's voicemail (KIND_MEDIA)
//   local.mailbox_status  (unless the rigged process is local-delivery)
//                      every account of kDomain: 2 messages, 1 unseen;
//                      others: Errc::invalid
//   media.relay.update / media.relay.release  the relay at 192.0.2.99 (127.0.0.1
//                      for a call "loopback..."; recorded: relay_requests())
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "core/asio.h"
#include "daemon/daemon.h"
#include "tests/support/temp_dir.h"
#include "tls/memory_stream.h"

namespace parley::ipc {
class Server;
}

namespace parley::testkit {

inline constexpr std::string_view kDomain = "example.test";
inline constexpr std::string_view kUser = "demo@example.test";
inline constexpr std::string_view kPassword = "secret";

// parley.conf text for the rig: `extra` is appended (sections and keys of
// the test's own); TLS certificates are made in `dir` and configured for
// smtpd, imapd and sipd on every listener (sipd's domain: kDomain).
config::Config rig_config(const std::string& dir, config::SectionDecl section, std::string_view extra = {});

class RigContext final : public daemon::Context {
 public:
  RigContext(asio::io_context& io, std::string name, config::Config config, std::string dir);
  asio::io_context& io() override { return io_; }
  std::string_view name() const override { return name_; }
  const config::Config& config() const override { return config_; }
  std::vector<daemon::Listener> listeners(std::string_view name) const override;
  // A socket the front end finds under `name` (what parleyd would pass).
  void add_listener(daemon::Listener listener) { listeners_.push_back(std::move(listener)); }
  std::string data_dir() const override { return dir_ + "/data/" + name_; }
  std::string shared_dir(std::string_view share) const override { return dir_ + "/data/" + std::string(share); }
  std::string endpoint(std::string_view service, std::string_view proc = {}) const override;
  void set_status(std::string text) override { status_ = std::move(text); }
  const std::string& status() const { return status_; }

 private:
  asio::io_context& io_;
  std::string name_;
  config::Config config_;
  std::string dir_;
  std::string status_;
  std::vector<daemon::Listener> listeners_;
};

class FakeBackends {
 public:
  FakeBackends(asio::io_context& io, const RigContext& ctx);
  ~FakeBackends();
  std::size_t enqueued() const { return enqueued_; }
  // media's requests (for sipd): "caller:CALL", "callee:CALL",
  // "release:CALL", "app:APPLICATION:ACCOUNT:CALL", "digits:CALL:DIGITS", "stop:CALL", in order.
  const std::vector<std::string>& relay_requests() const { return relay_requests_; }

 private:
  std::unique_ptr<ipc::Server> directory_;
  std::unique_ptr<ipc::Server> router_;
  std::unique_ptr<ipc::Server> local_status_;  // local-delivery's "status" (sipd's message-summary)
  std::unique_ptr<ipc::Server> media_;         // media's "relay": 192.0.2.99, ports from 30000
  std::size_t enqueued_ = 0;
  std::vector<std::string> relay_requests_;
};

inline constexpr std::chrono::milliseconds kPatience{5000};
// A fuzzed session that neither ends nor asks for input for this long
// hangs (generous: the machine may be busy).
inline constexpr std::chrono::milliseconds kFuzzHang{60000};

// Runs the loop until the session waits for client bytes with none left to
// read, or has ended (`done`). False when neither happened for `patience`
// (something it waited for never came).
bool settle(asio::io_context& io, net::MemoryStream& stream, const bool& done,
            std::chrono::milliseconds patience = kPatience);

// Runs the loop until `done`: whenever the session waits for client bytes
// it gets the next turn, and after the last one the client's EOF. False
// as settle().
bool drive(asio::io_context& io, net::MemoryStream& stream, const std::vector<std::string>& turns, const bool& done,
           std::chrono::milliseconds patience = kPatience);

// Spawns `session` on `io`; `done` turns true when it has returned.
void spawn_flagged(asio::io_context& io, awaitable<void> session, bool& done);

// One session driven turn by turn, for scripted dialog tests:
//   Dialog d(io);
//   auto s = std::make_shared<Session>(..., d.take_stream(), ...);
//   d.start(Session::run(s));
//   EXPECT_EQ(d.output(), "+OK ready\r\n");
//   EXPECT_EQ(d.say("NOOP\r\n"), "+OK\r\n");
// The session owns the stream: declare the Dialog after the rig (server)
// and before the session's shared_ptr.
class Dialog {
 public:
  explicit Dialog(asio::io_context& io);
  // A session still running gets the client's EOF and ends, while what it
  // refers to (its server) is still there.
  ~Dialog();
  Dialog(const Dialog&) = delete;
  Dialog& operator=(const Dialog&) = delete;
  std::unique_ptr<net::Stream> take_stream() { return std::move(stream_); }
  net::MemoryStream& client() { return client_; }
  void start(awaitable<void> session);
  // What the session wrote until it waited for input again or ended
  // ("<stuck>" appended when it did neither within kPatience).
  std::string output();
  std::string say(std::string_view bytes);
  // The client's EOF; what the session wrote before it ended.
  std::string hang_up();
  bool ended() const { return done_; }

 private:
  asio::io_context& io_;
  std::unique_ptr<net::MemoryStream> stream_;
  net::MemoryStream& client_;
  bool done_ = false;
};

// A fuzz input: the first byte chooses the session's variant (listener,
// one byte per read, refused TLS); the rest is the client's bytes, cut into
// turns at each line "~~" ("\n~~\n": the first "\n" stays with the turn).
struct FuzzInput {
  std::uint8_t selector = 0;
  std::vector<std::string> turns;
};
FuzzInput split_fuzz_input(const std::uint8_t* data, std::size_t size);

// Quietens the logger (JSON to /dev/null, or to the file PARLEY_RIG_LOG
// names when debugging a test, at trace level, so that every
// log call still formats its fields) once per process.
void quiet_logs(std::string_view proc);

}  // namespace parley::testkit
