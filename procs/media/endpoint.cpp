#include "endpoint.h"

#include <random>

#include <spandsp.h>

#include "rtp/rtp.h"
#include "voicemail.h"

namespace parley::media {

using asio::ip::udp;

// The sockets, shared with their pending waits (which may outlive the
// endpoint: `owner` is cleared when it goes).
struct Endpoint::Sockets {
  explicit Sockets(asio::io_context& io) : rtp(io), rtcp(io) {}
  udp::socket rtp, rtcp;
  Endpoint* owner = nullptr;
};

// spandsp's DTMF receiver (ITU-T Q.24 levels and twist), fed the audio
// heard; what it finds is added to the endpoint's digits.
struct Endpoint::ToneDetector {
  explicit ToneDetector(std::string& digits) : state(dtmf_rx_init(nullptr, &found, &digits)) {}
  ~ToneDetector() {
    if (state != nullptr) dtmf_rx_free(state);
  }
  ToneDetector(const ToneDetector&) = delete;
  ToneDetector& operator=(const ToneDetector&) = delete;
  static void found(void* user_data, const char* digits, int len) {
    static_cast<std::string*>(user_data)->append(digits, static_cast<std::size_t>(len));
  }
  dtmf_rx_state_t* state;
};

namespace {

constexpr std::size_t kMaxPacket = 1500;
constexpr int kBurst = 64;
// Where the search for a free pair starts: below the last pair taken, so
// that endpoints and the relay (which searches upwards) rarely meet.
std::uint16_t next_even = 0;

bool bind(udp::socket& socket, const asio::ip::address& address, std::uint16_t port) {
  boost::system::error_code ec;
  socket.open(address.is_v6() ? udp::v6() : udp::v4(), ec);
  if (!ec) socket.bind(udp::endpoint(address, port), ec);
  if (!ec) socket.non_blocking(true, ec);
  if (ec) socket.close(ec);
  return socket.is_open();
}

}  // namespace

Result<std::unique_ptr<Endpoint>> Endpoint::open(asio::io_context& io, const EndpointOptions& options) {
  const std::uint16_t lowest = static_cast<std::uint16_t>(options.port_min + (options.port_min & 1));
  const std::uint16_t highest = static_cast<std::uint16_t>((options.port_max - 1) & ~1);
  if (highest < lowest) return fail(Errc::invalid, "no port pair in media's range");
  const std::size_t pairs = (highest - lowest) / 2 + 1;
  if (next_even < lowest || next_even > highest) next_even = highest;
  auto sockets = std::make_shared<Sockets>(io);
  for (std::size_t tried = 0; tried < pairs; ++tried) {
    const std::uint16_t even = next_even;
    next_even = even <= lowest ? highest : static_cast<std::uint16_t>(even - 2);
    if (!bind(sockets->rtp, options.address, even)) continue;
    if (!bind(sockets->rtcp, options.address, static_cast<std::uint16_t>(even + 1))) {
      boost::system::error_code ec;
      sockets->rtp.close(ec);
      continue;
    }
    std::unique_ptr<Endpoint> e(new Endpoint(sockets, options));
    e->rtp_port_ = even;
    return e;
  }
  return fail(Errc::limit, "no free port pair in media's range");
}

Endpoint::Endpoint(std::shared_ptr<Sockets> sockets, const EndpointOptions& options)
    : sockets_(std::move(sockets)), options_(options), jitter_(std::chrono::milliseconds(60), kFrame),
      last_heard_(Clock::now()), buffer_(kMaxPacket + 1) {
  std::random_device rd;
  ssrc_ = rd();
  sequence_ = static_cast<std::uint16_t>(rd());
  timestamp_ = rd();
  sockets_->owner = this;
  if (options_.telephone_event == 0) tones_ = std::make_unique<ToneDetector>(digits_);
  arm(false);
  arm(true);
}

Endpoint::~Endpoint() {
  sockets_->owner = nullptr;
  boost::system::error_code ec;
  sockets_->rtp.close(ec);
  sockets_->rtcp.close(ec);
}

void Endpoint::set_peer(std::optional<udp::endpoint> rtp) {
  said_ = rtp;
  seen_.reset();
}

void Endpoint::arm(bool rtcp) {
  auto sockets = sockets_;
  udp::socket& socket = rtcp ? sockets->rtcp : sockets->rtp;
  socket.async_wait(udp::socket::wait_read, [sockets, rtcp](boost::system::error_code ec) {
    if (ec || sockets->owner == nullptr) return;
    sockets->owner->drain(rtcp);
    if (sockets->owner != nullptr) sockets->owner->arm(rtcp);
  });
}

void Endpoint::drain(bool rtcp) {
  udp::socket& socket = rtcp ? sockets_->rtcp : sockets_->rtp;
  for (int i = 0; i < kBurst; ++i) {
    udp::endpoint from;
    boost::system::error_code ec;
    const std::size_t n = socket.receive_from(asio::buffer(buffer_), from, 0, ec);
    if (ec == asio::error::would_block) return;
    if (ec) continue;  // an ICMP error from an earlier send
    if (rtcp) continue;  // RTCP is read by nobody here: taken off the socket
    receive(buffer_.data(), n, from);
  }
}

void Endpoint::receive(const std::uint8_t* data, std::size_t size, const udp::endpoint& from) {
  const rtp::Bytes packet(data, size);
  if (size > kMaxPacket || rtp::classify(packet) != rtp::Kind::rtp) {
    ++dropped_;
    return;
  }
  auto header = rtp::parse_rtp(packet);
  if (!header) {
    ++dropped_;
    return;
  }
  if (seen_ && *seen_ != from) {
    ++dropped_;
    return;
  }
  seen_ = from;
  ++received_;
  last_heard_ = Clock::now();
  const rtp::Bytes payload = rtp::payload(packet, *header);
  if (header->payload_type == options_.payload_type) {
    std::vector<std::int16_t> samples;
    audio::decode(options_.codec, payload, samples);
    jitter_.put(header->sequence, header->timestamp, samples);
  } else if (options_.telephone_event != 0 && header->payload_type == options_.telephone_event) {
    // RFC 4733 2.5.1.4: an event's packets share its timestamp, and its
    // end is sent three times: a digit once per timestamp, at its end.
    auto event = rtp::parse_telephone_event(payload);
    if (!event || !event->end || last_event_ == header->timestamp) return;
    last_event_ = header->timestamp;
    if (const char d = rtp::dtmf_digit(event->event); d != '\0') digits_ += d;
  } else {
    ++dropped_;
  }
}

std::vector<std::int16_t> Endpoint::tick(std::span<const std::int16_t> frame) {
  const auto& to = seen_ ? seen_ : said_;
  if (to) {
    std::string encoded;
    audio::encode(options_.codec, frame, encoded);
    rtp::Header h;
    h.marker = first_;
    h.payload_type = options_.payload_type;
    h.sequence = sequence_++;
    h.timestamp = timestamp_;
    h.ssrc = ssrc_;
    packet_.clear();
    rtp::write_rtp(h, rtp::Bytes(reinterpret_cast<const std::uint8_t*>(encoded.data()), encoded.size()), packet_);
    boost::system::error_code ec;
    sockets_->rtp.send_to(asio::buffer(packet_), *to, 0, ec);
    if (!ec) ++sent_;
    first_ = false;
  }
  timestamp_ += static_cast<std::uint32_t>(frame.size());
  auto heard = jitter_.take();
  if (tones_ && tones_->state != nullptr && !heard.empty()) {
    dtmf_rx(tones_->state, heard.data(), static_cast<int>(heard.size()));
  }
  return heard;
}

std::string Endpoint::take_digits() { return std::exchange(digits_, {}); }

}  // namespace parley::media
