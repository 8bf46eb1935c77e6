// The datagram listener for UDP services (SIP over UDP): it receives on
// every UDP socket parleyd passed for the service's listener names and
// hands each datagram, with its source and the listener it came in on, to
// the service; replies leave from the socket the request arrived on, so
// that they carry the address and port the client sent to.
//
// Datagrams larger than kMaxDatagram are truncated by the kernel and
// dropped here (counted). Sending does not wait: a socket buffer that is
// full drops the datagram, as the network may, and the protocol's own
// retransmissions recover (SIP's timers A and E).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/ip/udp.hpp>

#include "core/asio.h"
#include "core/result.h"

namespace parley::daemon {
class Context;
}

namespace parley::front {

// The largest datagram taken (a UDP payload can be no larger).
inline constexpr std::size_t kMaxDatagram = 65507;

class Datagrams {
 public:
  struct Packet {
    std::string_view bytes;
    asio::ip::udp::endpoint from;
    std::size_t socket = 0;  // which socket it came in on: reply through it
    std::string_view listener;
  };
  using Receive = std::function<void(const Packet&)>;

  explicit Datagrams(daemon::Context& ctx);
  ~Datagrams();
  Datagrams(const Datagrams&) = delete;
  Datagrams& operator=(const Datagrams&) = delete;

  // Starts receiving on every UDP socket of these listener names.
  Status listen(const std::vector<std::string>& names, Receive receive);
  // Sends `bytes` to `to` from socket `socket` (Packet::socket). Errc::limit
  // for more than kMaxDatagram bytes; Errc::unavailable when the socket
  // buffer is full (the datagram is dropped); Errc::io for other failures.
  Status send(std::size_t socket, const asio::ip::udp::endpoint& to, std::string_view bytes);
  // The local address of a socket (for Via and Contact headers).
  asio::ip::udp::endpoint local(std::size_t socket) const;
  std::size_t sockets() const { return sockets_.size(); }
  // Stops receiving; pending receives end.
  void close();

  std::uint64_t received() const { return received_; }
  std::uint64_t dropped() const { return dropped_; }

 private:
  struct Socket {
    asio::ip::udp::socket socket;
    std::string listener;
  };
  awaitable<void> receive_loop(std::size_t index, Receive receive);

  daemon::Context& ctx_;
  std::vector<std::unique_ptr<Socket>> sockets_;
  bool closed_ = false;
  std::uint64_t received_ = 0;
  std::uint64_t dropped_ = 0;
};

}  // namespace parley::front
