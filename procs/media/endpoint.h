// One end of a call's audio that media itself is: the server's
// applications (voicemail) talk and listen through it. A port pair (RTP
// on an even port, RTCP beside it) from the top of media's range, one
// G.711 codec and, when the caller offered it, RFC 4733 telephone-events.
//
// Receiving: RTP of the codec's payload type is decoded into a jitter
// buffer; telephone-events become digits (one per event, however many
// packets repeat its end), and without telephone-events in the offer the
// audio itself is listened to for DTMF tones (spandsp's detector);
// everything else (RTCP, other payload types,
// STUN, malformed datagrams, packets from a source other than the latched
// one) is dropped and counted. Latching is as the relay's: the first RTP
// packet fixes where the caller sends from, and media answers there (a
// caller behind NAT is reached), until set_peer() starts it again.
//
// Sending: tick() every 20 ms sends one frame (silence when the
// application plays nothing, which keeps a NAT's mapping open) and takes
// the frame the jitter buffer has ready.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <boost/asio/ip/udp.hpp>

#include "audio/audio.h"
#include "core/asio.h"
#include "core/result.h"

namespace parley::media {

struct EndpointOptions {
  asio::ip::address address;
  std::uint16_t port_min = 0;  // the range shared with the relay: taken from the top down
  std::uint16_t port_max = 0;
  audio::Codec codec = audio::Codec::pcmu;
  std::uint8_t payload_type = 0;
  std::uint8_t telephone_event = 0;  // 0: none
};

class Endpoint {
 public:
  using Clock = std::chrono::steady_clock;

  static Result<std::unique_ptr<Endpoint>> open(asio::io_context& io, const EndpointOptions& options);
  ~Endpoint();
  Endpoint(const Endpoint&) = delete;
  Endpoint& operator=(const Endpoint&) = delete;

  std::uint16_t rtp_port() const { return rtp_port_; }
  const EndpointOptions& options() const { return options_; }
  // Where the caller said it receives (its SDP); latching starts again.
  void set_peer(std::optional<asio::ip::udp::endpoint> rtp);

  // Sends `frame` (kFrame samples) and returns the next frame heard
  // (empty until the jitter buffer has filled).
  std::vector<std::int16_t> tick(std::span<const std::int16_t> frame);
  // The digits decoded since the last call.
  std::string take_digits();

  Clock::time_point last_heard() const { return last_heard_; }
  std::uint64_t received() const { return received_; }
  std::uint64_t sent() const { return sent_; }
  std::uint64_t dropped() const { return dropped_; }

 private:
  struct Sockets;
  Endpoint(std::shared_ptr<Sockets> sockets, const EndpointOptions& options);
  void arm(bool rtcp);
  void drain(bool rtcp);
  void receive(const std::uint8_t* data, std::size_t size, const asio::ip::udp::endpoint& from);

  std::shared_ptr<Sockets> sockets_;
  EndpointOptions options_;
  std::uint16_t rtp_port_ = 0;
  std::optional<asio::ip::udp::endpoint> said_, seen_;
  audio::JitterBuffer jitter_;
  std::string digits_;
  std::optional<std::uint32_t> last_event_;  // the timestamp of the last event turned into a digit
  struct ToneDetector;
  std::unique_ptr<ToneDetector> tones_;      // in-band DTMF, when no telephone-event was offered
  // What we send.
  std::uint32_t ssrc_ = 0;
  std::uint16_t sequence_ = 0;
  std::uint32_t timestamp_ = 0;
  bool first_ = true;
  Clock::time_point last_heard_;
  std::uint64_t received_ = 0, sent_ = 0, dropped_ = 0;
  std::vector<std::uint8_t> buffer_;
  std::vector<std::uint8_t> packet_;
};

}  // namespace parley::media
