// The RTP/RTCP relay: port pairs from a configured range, one per stream
// and side of each relayed call, and the packets between them.
//
// What arrives on the ports facing one side goes out to the other side,
// from the ports facing that other side (symmetric RTP: what a party behind
// NAT sends opens the mapping the relay's packets come back through). The
// relay sends a side's packets where that side's SDP said until a packet
// arrives from it; from then on to where that packet came from (latching),
// and packets from any other source are dropped and counted, until the
// side's next SDP (a re-INVITE) starts latching again. With a=rtcp-mux the
// side's RTCP travels on its RTP port.
//
// Payloads are never read or changed: SRTP, SRTCP, DTLS-SRTP handshakes, ZRTP and
// ICE's STUN checks pass as they are. A datagram that is none of those (by
// its first octet, RFC 7983: rtp::classify) or that is too short or too long
// to be one is dropped and counted.
//
// Requests come from sipd and are checked as if sipd were compromised:
// bounded call keys, stream counts and calls, addresses that are IP
// literals (anything else leaves the side to latching alone).
//
// Single-threaded, on the process's event loop; time is passed in.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/ip/udp.hpp>

#include "core/asio.h"
#include "core/result.h"
#include "schema/media.pb.h"

namespace parley::media {

struct RelaySettings {
  asio::ip::address address;      // bound
  std::string advertised;         // written into SDP by sipd
  std::uint16_t port_min = 0;     // even
  std::uint16_t port_max = 0;     // inclusive
  std::size_t max_calls = 0;
  std::size_t max_streams = 0;
  std::chrono::seconds timeout{0};        // no packet either way for this long, once answered
  std::chrono::seconds setup_timeout{0};  // never answered for this long
};

// Why a datagram was not relayed (counted per reason, for the metrics).
enum class Drop { malformed, unexpected_source, no_destination, send_failed };

class Relay {
 public:
  using Clock = std::chrono::steady_clock;

  Relay(asio::io_context& io, RelaySettings settings, std::function<Clock::time_point()> now);
  ~Relay();
  Relay(const Relay&) = delete;
  Relay& operator=(const Relay&) = delete;

  // A side's SDP: creates the call at its first update. Errc::invalid for a
  // bad request, Errc::limit when calls or ports run out.
  Result<schema::RelayUpdateReply> update(const schema::RelayUpdate& update);
  // The call's ports go back to the pool; nullopt for an unknown call.
  std::optional<schema::RelayStats> release(const std::string& call);
  // Calls past their timeout, removed: (call, reason, stats).
  struct Ended {
    std::string call;
    std::string reason;
    schema::RelayStats stats;
  };
  std::vector<Ended> expire();

  schema::RelayListReply list() const;
  bool has(const std::string& call) const { return calls_.contains(call); }
  const RelaySettings& settings() const { return settings_; }
  // New limits (timeouts, max_calls, max_streams); the address and ports stay.
  void set_limits(const RelaySettings& settings);
  std::size_t calls() const { return calls_.size(); }
  std::uint64_t dropped(Drop why) const { return drops_[static_cast<std::size_t>(why)]; }
  std::uint64_t relayed() const { return relayed_; }

  // Largest datagram relayed (a UDP payload over a path MTU of 1500 is
  // smaller; jumbo frames and loopback are not the media path).
  static constexpr std::size_t kMaxPacket = 1500;
  static constexpr std::size_t kMaxCallKey = 512;

 private:
  struct Call;
  struct Port;
  struct Side {
    std::shared_ptr<Port> rtp, rtcp;
    std::optional<asio::ip::udp::endpoint> said_rtp, said_rtcp;  // from its SDP
    std::optional<asio::ip::udp::endpoint> seen_rtp, seen_rtcp;  // latched
    bool rtcp_mux = false;
    bool known = false;  // its SDP came
  };
  struct Stream {
    Side sides[2];  // 0 caller, 1 callee
  };

  Result<std::unique_ptr<Stream>> open_stream(Call& call, std::size_t index);
  Result<std::shared_ptr<Port>> open_port(Call& call, std::size_t stream, int side, bool rtcp, std::uint16_t number);
  void arm(const std::shared_ptr<Port>& port);
  void drain(Port& port);
  void relay(Port& port, const char* data, std::size_t size, const asio::ip::udp::endpoint& from);
  void drop(Call& call, Drop why);
  void close(Call& call);
  void close_stream(Stream& stream);
  void close_port(Port& port);
  schema::RelayStats stats_of(const Call& call) const;

  asio::io_context& io_;
  RelaySettings settings_;
  std::function<Clock::time_point()> now_;
  std::map<std::string, std::unique_ptr<Call>> calls_;
  std::uint16_t next_port_;  // where the search for a free pair starts
  std::size_t ports_in_use_ = 0;
  std::uint64_t relayed_ = 0;
  std::uint64_t drops_[4] = {};
  std::vector<char> buffer_;
};

}  // namespace parley::media
