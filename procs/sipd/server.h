// sipd's running state: the listeners (UDP datagrams, TCP and TLS
// connections), the SIP core, the registrations on disk and the ipc
// clients it calls (directory, router). It is the Core's Transport (flow.h)
// and Backend (backend.h).
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "backend.h"
#include "core.h"
#include "daemon/daemon.h"
#include "dns/resolver.h"
#include "flow.h"
#include "front/datagram.h"
#include "front/frontend.h"
#include "ipc/ipc.h"
#include "schema/sip.pb.h"
#include "settings.h"
#include "sip/bindings.h"

namespace parley::sipd {

class Connection;

class Server final : public front::Frontend<Settings>, public Transport, public Backend {
 public:
  Server(daemon::Context& ctx, Settings settings, std::vector<std::string> listeners, sip::Bindings bindings,
         sip::StoredMessages messages);
  ~Server() override;
  Status start();
  awaitable<void> drain() override;

  Core& core() { return *core_; }
  // True while this server exists (see Connection).
  std::shared_ptr<const bool> alive() const { return alive_; }
  // A connection that is open: its flow's id.
  std::uint64_t add_connection(const std::shared_ptr<Connection>& connection);
  void remove_connection(std::uint64_t id);

  // Transport
  Status send(const Flow& flow, std::string bytes) override;
  std::optional<Local> local(Flow::Kind kind) const override;
  bool usable(const Flow& flow) const override;
  Result<Flow> flow_to(Flow::Kind kind, const std::string& ip, std::uint16_t port) override;
  Result<Flow> flow_to_server(Flow::Kind kind, const std::string& ip, std::uint16_t port,
                              const std::string& host) override;

  // Backend
  awaitable<Result<schema::AuthReply>> digest(schema::DigestRequest request) override;
  awaitable<Result<schema::ResolveReply>> resolve(schema::ResolveRequest request) override;
  awaitable<Result<schema::RouteSignalReply>> route(schema::RouteSignalRequest request) override;
  awaitable<Result<schema::MailboxStatusReply>> mailbox_status(schema::MailboxStatusRequest request) override;
  awaitable<Result<std::vector<dns::Target>>> locate(dns::SipDestination destination) override;
  awaitable<Result<schema::RelayUpdateReply>> relay_update(schema::RelayUpdate update) override;
  awaitable<Result<schema::RelayReleaseReply>> relay_release(schema::RelayRelease release) override;
  bool media_available() const override;
  awaitable<Result<schema::AppStartReply>> app_start(schema::AppStart start) override;
  awaitable<Result<schema::AppStopReply>> app_stop(schema::AppStop stop) override;
  awaitable<Result<schema::AppDigitsReply>> app_digits(schema::AppDigits digits) override;

 private:
  // An outbound connection (TLS verifying `host`).
  Result<Flow> connect(Flow::Kind kind, const std::string& ip, std::uint16_t port, const std::string& host);
  awaitable<void> sweep_loop();
  void report();
  void mailbox_event(std::string_view key, const schema::MailboxEvent& event);
  // `parleyctl sip ...`
  Result<schema::SipAdminReply> admin(const schema::SipAdminRequest& request);

  dns::Resolver resolver_;
  ipc::Client directory_;
  ipc::Client router_;
  ipc::Client local_delivery_;  // its "status" endpoint: a mailbox's counts
  ipc::Client media_;           // its "relay" endpoint
  std::string media_socket_;    // that endpoint's socket: no file, no media process
  // Whether it was there, looked at most once a second (every call asks).
  mutable bool media_seen_ = false;
  mutable std::chrono::steady_clock::time_point media_checked_{};
  // local-delivery's and imapd's mailbox events (message-summary).
  std::vector<std::unique_ptr<ipc::Subscriber>> mailbox_events_;
  std::unique_ptr<ipc::Subscriber> relay_events_;  // media's: calls it ended
  ipc::Server admin_;
  sip::Bindings bindings_;
  sip::StoredMessages messages_;
  std::optional<sip::PresenceRules> rules_;  // opened by start()
  front::Datagrams datagrams_;
  std::unique_ptr<Core> core_;
  std::map<Flow::Kind, Local> locals_;
  std::map<std::uint64_t, std::weak_ptr<Connection>> connections_;
  std::uint64_t next_connection_ = 1;
  asio::steady_timer sweep_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

Result<std::unique_ptr<daemon::Service>> start(daemon::Context& ctx);

}  // namespace parley::sipd
