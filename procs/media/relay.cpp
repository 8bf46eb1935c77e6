#include "relay.h"

#include <algorithm>

#include "log/log.h"
#include "rtp/rtp.h"

namespace parley::media {

using asio::ip::udp;

struct Relay::Call {
  std::string key;
  std::string sid;
  std::vector<std::unique_ptr<Stream>> streams;
  Clock::time_point created;
  std::optional<Clock::time_point> answered;  // the callee's first SDP
  Clock::time_point last_packet;
  std::uint64_t packets = 0;
  std::uint64_t bytes = 0;
  std::uint64_t dropped = 0;
};

// One bound socket of a call. Shared with its pending wait, which may
// outlive the call: `call` is cleared when the call goes.
struct Relay::Port {
  explicit Port(asio::io_context& io) : socket(io) {}
  udp::socket socket;
  Call* call = nullptr;
  std::size_t stream = 0;
  int side = 0;
  bool rtcp = false;
  std::uint16_t number = 0;
};

namespace {

constexpr int kCaller = 0;
constexpr int kCallee = 1;
// Datagrams taken from one socket before the others get their turn.
constexpr int kBurst = 64;

// Where a side said it receives: an IP literal and a port, or nothing
// (port 0 is a refused stream; 0.0.0.0 is the old way of holding a call;
// a host name is left to latching).
std::optional<udp::endpoint> said(const std::string& address, std::uint32_t port) {
  if (port == 0 || port > 65535) return std::nullopt;
  boost::system::error_code ec;
  auto ip = asio::ip::make_address(address, ec);
  if (ec || ip.is_unspecified() || ip.is_multicast()) return std::nullopt;
  return udp::endpoint(ip, static_cast<std::uint16_t>(port));
}

// What may cross the relay, by its first octet (RFC 7983 9): STUN (ICE
// checks), DTLS (DTLS-SRTP's handshake), ZRTP (RFC 6189), RTP and RTCP
// (plain or SRTP: only the header is in the clear), each at least its
// header's size.
bool relayable(rtp::Kind kind, std::size_t size) {
  switch (kind) {
    case rtp::Kind::stun: return size >= 20;
    case rtp::Kind::zrtp: return size >= 12;
    case rtp::Kind::dtls: return size >= 13;
    case rtp::Kind::rtp: return size >= 12;
    case rtp::Kind::rtcp: return size >= 8;
    default: return false;
  }
}

std::string endpoint_text(const std::optional<udp::endpoint>& e) {
  if (!e) return {};
  return e->address().is_v6() ? "[" + e->address().to_string() + "]:" + std::to_string(e->port())
                              : e->address().to_string() + ":" + std::to_string(e->port());
}

}  // namespace

Relay::Relay(asio::io_context& io, RelaySettings settings, std::function<Clock::time_point()> now)
    : io_(io), settings_(std::move(settings)), now_(std::move(now)), next_port_(settings_.port_min),
      buffer_(kMaxPacket + 1) {}

Relay::~Relay() {
  for (auto& [key, call] : calls_) close(*call);
}

Result<schema::RelayUpdateReply> Relay::update(const schema::RelayUpdate& update) {
  if (update.call().empty() || update.call().size() > kMaxCallKey) return fail(Errc::invalid, "call key empty or too long");
  if (update.side() != schema::RELAY_SIDE_CALLER && update.side() != schema::RELAY_SIDE_CALLEE) {
    return fail(Errc::invalid, "no side");
  }
  if (update.streams().empty() || static_cast<std::size_t>(update.streams_size()) > settings_.max_streams) {
    return fail(Errc::invalid, "between 1 and " + std::to_string(settings_.max_streams) + " streams");
  }
  auto it = calls_.find(update.call());
  if (it == calls_.end()) {
    if (calls_.size() >= settings_.max_calls) return fail(Errc::limit, "media.max_calls reached");
    auto call = std::make_unique<Call>();
    call->key = update.call();
    call->sid = update.sid().substr(0, 64);
    call->created = call->last_packet = now_();
    it = calls_.emplace(update.call(), std::move(call)).first;
  }
  Call& call = *it->second;
  while (call.streams.size() < static_cast<std::size_t>(update.streams_size())) {
    auto stream = open_stream(call, call.streams.size());
    if (!stream) {
      if (call.streams.empty()) calls_.erase(it);
      return stream.error();
    }
    call.streams.push_back(std::move(stream.value()));
  }
  const int side = update.side() == schema::RELAY_SIDE_CALLER ? kCaller : kCallee;
  schema::RelayUpdateReply reply;
  reply.set_address(settings_.advertised);
  for (int i = 0; i < update.streams_size(); ++i) {
    const auto& in = update.streams(i);
    Stream& stream = *call.streams[static_cast<std::size_t>(i)];
    Side& s = stream.sides[side];
    auto rtp_at = said(in.address(), in.rtp_port());
    auto rtcp_at =
        in.rtcp_mux() ? rtp_at : said(in.address(), in.rtcp_port() != 0 ? in.rtcp_port() : in.rtp_port() + 1);
    if (!s.known || rtp_at != s.said_rtp || rtcp_at != s.said_rtcp || in.rtcp_mux() != s.rtcp_mux) {
      s.seen_rtp.reset();
      s.seen_rtcp.reset();
    }
    s.said_rtp = rtp_at;
    s.said_rtcp = rtcp_at;
    s.rtcp_mux = in.rtcp_mux();
    s.known = true;
    const Side& other = stream.sides[1 - side];
    auto* ports = reply.add_streams();
    ports->set_rtp_port(other.rtp->number);
    ports->set_rtcp_port(other.rtcp->number);
  }
  if (side == kCallee && !call.answered) call.answered = now_();
  return reply;
}

std::optional<schema::RelayStats> Relay::release(const std::string& key) {
  auto it = calls_.find(key);
  if (it == calls_.end()) return std::nullopt;
  auto stats = stats_of(*it->second);
  close(*it->second);
  calls_.erase(it);
  return stats;
}

void Relay::set_limits(const RelaySettings& settings) {
  settings_.max_calls = settings.max_calls;
  settings_.max_streams = settings.max_streams;
  settings_.timeout = settings.timeout;
  settings_.setup_timeout = settings.setup_timeout;
}

std::vector<Relay::Ended> Relay::expire() {
  const auto now = now_();
  std::vector<Ended> ended;
  for (auto it = calls_.begin(); it != calls_.end();) {
    const Call& c = *it->second;
    std::string reason;
    if (c.answered && now - std::max(c.last_packet, *c.answered) >= settings_.timeout) {
      reason = "media timeout";
    } else if (!c.answered && now - c.created >= settings_.setup_timeout) {
      reason = "never answered";
    }
    if (reason.empty()) {
      ++it;
      continue;
    }
    ended.push_back({c.key, reason, stats_of(c)});
    close(*it->second);
    it = calls_.erase(it);
  }
  return ended;
}

schema::RelayListReply Relay::list() const {
  schema::RelayListReply out;
  const auto now = now_();
  for (const auto& [key, call] : calls_) {
    auto* info = out.add_calls();
    info->set_call(key);
    info->set_streams(static_cast<std::uint32_t>(call->streams.size()));
    for (const auto& stream : call->streams) {
      info->add_caller(endpoint_text(stream->sides[kCaller].seen_rtp));
      info->add_callee(endpoint_text(stream->sides[kCallee].seen_rtp));
    }
    *info->mutable_stats() = stats_of(*call);
    info->set_idle_ms(std::chrono::duration_cast<std::chrono::milliseconds>(now - call->last_packet).count());
    info->set_age_s(std::chrono::duration_cast<std::chrono::seconds>(now - call->created).count());
  }
  const std::size_t range = static_cast<std::size_t>(settings_.port_max - settings_.port_min + 1);
  out.set_ports_in_use(static_cast<std::uint32_t>(ports_in_use_));
  out.set_ports_free(static_cast<std::uint32_t>(range - std::min(range, ports_in_use_)));
  return out;
}

// Two port pairs, one facing each side. A pair is an even RTP port and the
// RTCP port after it, both free; the search goes round the range from
// where the last one ended, so that a port just released is not reused at
// once (late packets of the old call would reach the new one).
Result<std::unique_ptr<Relay::Stream>> Relay::open_stream(Call& call, std::size_t index) {
  auto stream = std::make_unique<Stream>();
  const std::size_t pairs = static_cast<std::size_t>(settings_.port_max - settings_.port_min + 1) / 2;
  for (int side : {kCaller, kCallee}) {
    Side& s = stream->sides[side];
    for (std::size_t tried = 0; tried < pairs && !s.rtcp; ++tried) {
      const std::uint16_t even = next_port_;
      next_port_ = static_cast<std::uint16_t>(even + 2);
      if (next_port_ > settings_.port_max - 1 || next_port_ < settings_.port_min) next_port_ = settings_.port_min;
      auto rtp_port = open_port(call, index, side, false, even);
      if (!rtp_port) continue;
      auto rtcp_port = open_port(call, index, side, true, static_cast<std::uint16_t>(even + 1));
      if (!rtcp_port) {
        close_port(*rtp_port.value());
        continue;
      }
      s.rtp = std::move(rtp_port.value());
      s.rtcp = std::move(rtcp_port.value());
    }
    if (!s.rtcp) {
      close_stream(*stream);
      log::warn("media.ports.exhausted", "no free port pair in media.port_min..port_max", {{"sid", call.sid}});
      return fail(Errc::limit, "no free port pair");
    }
  }
  arm(stream->sides[kCaller].rtp);
  arm(stream->sides[kCaller].rtcp);
  arm(stream->sides[kCallee].rtp);
  arm(stream->sides[kCallee].rtcp);
  return stream;
}

Result<std::shared_ptr<Relay::Port>> Relay::open_port(Call& call, std::size_t stream, int side, bool rtcp,
                                                      std::uint16_t number) {
  auto port = std::make_shared<Port>(io_);
  boost::system::error_code ec;
  port->socket.open(settings_.address.is_v6() ? udp::v6() : udp::v4(), ec);
  if (!ec) port->socket.bind(udp::endpoint(settings_.address, number), ec);
  if (!ec) port->socket.non_blocking(true, ec);
  if (ec) return fail(Errc::io, ec.message());
  port->call = &call;
  port->stream = stream;
  port->side = side;
  port->rtcp = rtcp;
  port->number = number;
  ++ports_in_use_;
  return port;
}

void Relay::arm(const std::shared_ptr<Port>& port) {
  port->socket.async_wait(udp::socket::wait_read, [this, port](boost::system::error_code ec) {
    if (ec || port->call == nullptr) return;
    drain(*port);
    if (port->call != nullptr) arm(port);
  });
}

void Relay::drain(Port& port) {
  for (int i = 0; i < kBurst && port.call != nullptr; ++i) {
    udp::endpoint from;
    boost::system::error_code ec;
    const std::size_t n = port.socket.receive_from(asio::buffer(buffer_), from, 0, ec);
    if (ec == asio::error::would_block) return;
    if (ec) continue;  // an ICMP error from an earlier send; the socket still works
    relay(port, buffer_.data(), n, from);
  }
}

void Relay::relay(Port& port, const char* data, std::size_t size, const udp::endpoint& from) {
  Call& call = *port.call;
  const auto kind = rtp::classify(rtp::Bytes(reinterpret_cast<const std::uint8_t*>(data), size));
  if (size > kMaxPacket || !relayable(kind, size)) return drop(call, Drop::malformed);
  Stream& stream = *call.streams[port.stream];
  Side& me = stream.sides[port.side];
  auto& seen = port.rtcp ? me.seen_rtcp : me.seen_rtp;
  if (!seen) {
    seen = from;
  } else if (*seen != from) {
    return drop(call, Drop::unexpected_source);
  }
  Side& other = stream.sides[1 - port.side];
  const bool rtcp = port.rtcp || kind == rtp::Kind::rtcp;  // rtcp-mux (RFC 5761 4)
  const bool on_rtcp_port = rtcp && !other.rtcp_mux;
  const auto& to = on_rtcp_port ? (other.seen_rtcp ? other.seen_rtcp : other.said_rtcp)
                                : (other.seen_rtp ? other.seen_rtp : other.said_rtp);
  if (!other.known || !to) return drop(call, Drop::no_destination);
  Port& out = on_rtcp_port ? *other.rtcp : *other.rtp;
  boost::system::error_code ec;
  out.socket.send_to(asio::buffer(data, size), *to, 0, ec);
  if (ec) return drop(call, Drop::send_failed);
  ++call.packets;
  call.bytes += size;
  call.last_packet = now_();
  ++relayed_;
}

void Relay::drop(Call& call, Drop why) {
  ++call.dropped;
  ++drops_[static_cast<std::size_t>(why)];
}

void Relay::close(Call& call) {
  for (auto& stream : call.streams) close_stream(*stream);
}

void Relay::close_stream(Stream& stream) {
  for (Side& side : stream.sides) {
    for (auto* port : {&side.rtp, &side.rtcp}) {
      if (*port) close_port(**port);
      port->reset();
    }
  }
}

void Relay::close_port(Port& port) {
  port.call = nullptr;
  boost::system::error_code ec;
  port.socket.close(ec);
  --ports_in_use_;
}

schema::RelayStats Relay::stats_of(const Call& call) const {
  schema::RelayStats s;
  s.set_packets(call.packets);
  s.set_bytes(call.bytes);
  s.set_dropped(call.dropped);
  return s;
}

}  // namespace parley::media
