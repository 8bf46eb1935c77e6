// An sipd Server beside the fake directory and router, for the SIP session
// fuzz target and dialog tests (no sockets, no other processes). Each
// fresh_server() has new, empty registrations but one: kUser bound to the
// first stream connection a test opens ("tcp:1:192.0.2.1:40000", what a
// MemoryStream's peer is), so that a request routed to kUser comes back to
// the test's own client.
#pragma once

#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "procs/sipd/server.h"
#include "tests/support/session_rig.h"

namespace parley::testkit {

inline constexpr std::string_view kSipContact = "sip:demo@192.0.2.1:40000;transport=tcp";

class SipdRig {
 public:
  SipdRig() {
    quiet_logs("sipd");
    ctx_ = std::make_unique<RigContext>(io, "sipd", rig_config(dir_.path(), sipd::settings_section()), dir_.path());
    backends_ = std::make_unique<FakeBackends>(io, *ctx_);
    auto settings = sipd::load_settings(ctx_->config(), kListeners);
    if (!settings) std::abort();
    settings_ = std::move(settings.value());
  }

  sipd::Server& fresh_server() {
    server_.reset();
    // The last server's own data (its presence rules) goes with it: a
    // fuzz run makes thousands of servers.
    if (server_ctx_) std::filesystem::remove_all(server_ctx_->data_dir());
    // A context of its own per server: its admin endpoint gets a new path
    // (ZeroMQ lets go of a closed socket's path only later).
    server_ctx_ = std::make_unique<RigContext>(io, "sipd-" + std::to_string(++servers_), ctx_->config(), dir_.path());
    const std::string dir = dir_.path() + "/registrations";
    std::filesystem::remove_all(dir);
    auto bindings = sip::Bindings::open(dir);
    if (!bindings) std::abort();
    sip::Binding b;
    b.uri = std::string(kSipContact);
    b.expires_at = std::time(nullptr) + 86400;
    b.call_id = "rig";
    b.cseq = 1;
    b.flow = "tcp:1:192.0.2.1:40000";
    if (!bindings->put(kUser, b)) std::abort();
    std::filesystem::remove_all(dir_.path() + "/messages");
    auto messages = sip::StoredMessages::open(dir_.path() + "/messages");
    if (!messages) std::abort();
    server_ = std::make_unique<sipd::Server>(*server_ctx_, settings_, kListeners, std::move(bindings.value()),
                                             std::move(messages.value()));
    if (!server_->start()) std::abort();
    return *server_;
  }

  sipd::Server& server() { return *server_; }
  FakeBackends& backends() { return *backends_; }
  // The context whose endpoints the fake back ends serve (and the test's own
  // stand-ins, such as local-delivery's events).
  RigContext& context() { return *ctx_; }
  // What the next fresh_server() starts with (a test's DNS server, ...).
  sipd::Settings& settings() { return settings_; }

  asio::io_context io;

 private:
  inline static const std::vector<std::string> kListeners = {"sip", "sips", "sip-ws", "sip-wss"};
  TempDir dir_{"parley-sipd-rig"};
  std::unique_ptr<RigContext> ctx_;
  std::unique_ptr<FakeBackends> backends_;
  sipd::Settings settings_;
  std::unique_ptr<RigContext> server_ctx_;
  std::unique_ptr<sipd::Server> server_;
  int servers_ = 0;
};

// Runs the loop until the connection waits for client bytes with none
// left and no request waits for the back ends, or the session has ended;
// false after `patience` without either.
inline bool settle_sip(asio::io_context& io, net::MemoryStream& stream, sipd::Server& server, const bool& done,
                       std::chrono::milliseconds patience = kPatience) {
  const auto deadline = std::chrono::steady_clock::now() + patience;
  for (;;) {
    if (!settle(io, stream, done, patience)) return false;
    if (done || server.core().waiting() == 0) {
      io.restart();
      io.poll();
      return true;
    }
    io.restart();
    io.run_one_for(std::chrono::milliseconds(10));
    if (std::chrono::steady_clock::now() > deadline) return false;
  }
}

// drive() for a SIP connection: each turn once everything the previous
// one started has been answered.
inline bool drive_sip(asio::io_context& io, net::MemoryStream& stream, sipd::Server& server,
                      const std::vector<std::string>& turns, const bool& done,
                      std::chrono::milliseconds patience = kPatience) {
  for (std::size_t next = 0;;) {
    if (!settle_sip(io, stream, server, done, patience)) return false;
    if (done) return true;
    if (next < turns.size()) {
      stream.feed(turns[next++]);
    } else {
      stream.finish();
    }
  }
}

}  // namespace parley::testkit
