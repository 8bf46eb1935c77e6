// Flows: the transport path a SIP message came in on or leaves by (RFC
// 5626 3), and the Transport the SIP core sends through.
//
// A UDP flow is the socket and the peer's address and port as received
// (RFC 3581: replies and requests go back to where the peer really is,
// NAT or not); a stream flow is one TCP, TLS or WebSocket connection. A
// registration remembers its flow by name, so that an incoming call for a
// phone behind NAT leaves over the connection it registered on. Flow
// tokens carry a flow in a Record-Route URI, HMAC-protected so that a
// client cannot make the proxy send where it likes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"

namespace parley::sipd {

struct Flow {
  enum class Kind { udp, tcp, tls, ws, wss };
  Kind kind = Kind::udp;
  std::uint64_t connection = 0;  // stream kinds: the connection's id
  std::size_t socket = 0;        // udp: the socket it came in on, replies leave by it
  std::string ip;                // the peer's address, numeric
  std::uint16_t port = 0;

  bool reliable() const { return kind != Kind::udp; }
  bool secure() const { return kind == Kind::tls || kind == Kind::wss; }
  // "udp:0:198.51.100.7:5060", "tcp:17:198.51.100.7:40001"
  std::string name() const;
  // The peer as logged: "198.51.100.7:5060" ("[2001:db8::1]:5060").
  std::string peer() const;
  bool operator==(const Flow&) const = default;
};

// Back from Flow::name(); nullopt for anything else.
std::optional<Flow> parse_flow(std::string_view name);

// "UDP", "TCP", "TLS", "WS", "WSS": the Via transport (RFC 3261 18, RFC 7118).
std::string_view via_transport(Flow::Kind kind);
// The transport URI parameter value: "udp", "tcp", "tls", "ws", "wss".
std::string_view uri_transport(Flow::Kind kind);

// Where this server is on a kind of flow, for Via and Record-Route.
struct Local {
  std::string host;  // numeric address or host name; IPv6 in brackets
  std::uint16_t port = 0;
};

// What the SIP core sends through (sipd's listeners, or a test's).
class Transport {
 public:
  virtual ~Transport() = default;
  // Sends one message (or keep-alive) on `flow`. Errc::not_found: the
  // connection is gone; Errc::unavailable: it could not be sent now.
  virtual Status send(const Flow& flow, std::string bytes) = 0;
  // This server's address on flows of `kind` (for Via, Record-Route);
  // nullopt when it has no listener of that kind.
  virtual std::optional<Local> local(Flow::Kind kind) const = 0;
  // Whether send() can reach `flow` now (a UDP flow always; a stream flow
  // while its connection is open).
  virtual bool usable(const Flow& flow) const = 0;
  // A flow to a peer without one (a contact whose connection is gone, a
  // route's next hop): UDP leaves from the first UDP socket of the
  // address's family; TCP takes an open connection to that address or
  // opens one (what is sent meanwhile waits for it); other kinds need an
  // open connection, else Errc::not_found.
  virtual Result<Flow> flow_to(Flow::Kind kind, const std::string& ip, std::uint16_t port) = 0;
  // A flow to a server located by name (RFC 3263): as flow_to, and TLS
  // opens a connection whose certificate must name `host` (RFC 5922), or
  // takes an open one verified for that name.
  virtual Result<Flow> flow_to_server(Flow::Kind kind, const std::string& ip, std::uint16_t port,
                                      const std::string& host) = 0;
};

// Flow tokens: the flow's name and an HMAC over it under `key`, in
// characters a URI user part takes without escapes.
std::string flow_token(const Flow& flow, std::string_view key);
// The flow, when `token` is one of ours and intact.
std::optional<Flow> parse_flow_token(std::string_view token, std::string_view key);

}  // namespace parley::sipd
