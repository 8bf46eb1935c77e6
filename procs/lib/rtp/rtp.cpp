// RTP and RTCP (RFC 3550): the port demultiplexer, the RTP header reader
// and writer, the RTCP compound walk, RFC 4733 events, sequence arithmetic.
#include "rtp/rtp.h"

#include <algorithm>
#include <string>

namespace parley::rtp {
namespace {

std::uint16_t be16(Bytes b, std::size_t at) {
  return static_cast<std::uint16_t>(b[at] << 8 | b[at + 1]);
}

std::uint32_t be32(Bytes b, std::size_t at) {
  return static_cast<std::uint32_t>(b[at]) << 24 | static_cast<std::uint32_t>(b[at + 1]) << 16 |
         static_cast<std::uint32_t>(b[at + 2]) << 8 | static_cast<std::uint32_t>(b[at + 3]);
}

void put16(std::vector<std::uint8_t>& out, std::uint16_t v) {
  out.push_back(static_cast<std::uint8_t>(v >> 8));
  out.push_back(static_cast<std::uint8_t>(v));
}

void put32(std::vector<std::uint8_t>& out, std::uint32_t v) {
  put16(out, static_cast<std::uint16_t>(v >> 16));
  put16(out, static_cast<std::uint16_t>(v));
}

std::uint8_t version(std::uint8_t first_octet) { return static_cast<std::uint8_t>(first_octet >> 6); }

constexpr std::uint8_t kFirstRtcpType = 192;  // RFC 5761 4: RTCP packet types are 192..223
constexpr std::uint8_t kLastRtcpType = 223;
constexpr char kDtmfDigits[] = "0123456789*#ABCD";  // RFC 4733 3.2, events 0..15

Error packet_error(std::size_t index, std::string_view why) {
  return fail(Errc::syntax, "packet " + std::to_string(index) + ": " + std::string(why));
}

// The fewest octets a packet of a known type holds for its 5-bit count
// (header included): the fixed part and the count's blocks.
std::size_t min_rtcp_size(RtcpType type, std::uint8_t count) {
  switch (type) {
    case RtcpType::sr: return 28 + 24 * std::size_t{count};   // RFC 3550 6.4.1: sender info, report blocks
    case RtcpType::rr: return 8 + 24 * std::size_t{count};    // RFC 3550 6.4.2
    case RtcpType::sdes: return 4 + 8 * std::size_t{count};   // RFC 3550 6.5: SSRC and a null octet, padded
    case RtcpType::bye: return 4 + 4 * std::size_t{count};    // RFC 3550 6.6: the SSRC/CSRC list
    case RtcpType::app: return 12;                            // RFC 3550 6.7: SSRC and name
    case RtcpType::rtpfb:
    case RtcpType::psfb: return 12;                           // RFC 4585 6.1: sender and media SSRC
    case RtcpType::xr: return 8;                              // RFC 3611 2: SSRC
  }
  return kRtcpHeader;
}

// The header of the packet at `at`, the `index`th (from 1) of the datagram.
Result<RtcpPacket> rtcp_packet(Bytes d, std::size_t at, std::size_t index, RtcpSize rules) {
  const std::size_t rest = d.size() - at;
  if (rest < kRtcpHeader) return packet_error(index, "shorter than the 4-octet RTCP header");
  if (version(d[at]) != kVersion) return packet_error(index, "RTCP version is not 2");
  const std::uint8_t type = d[at + 1];
  if (type < kFirstRtcpType || type > kLastRtcpType) {
    return packet_error(index, "type " + std::to_string(type) + " is not RTCP (192..223)");
  }
  RtcpPacket p;
  p.type = static_cast<RtcpType>(type);
  p.count = static_cast<std::uint8_t>(d[at] & 0x1f);
  p.padding = (d[at] & 0x20) != 0;
  p.offset = at;
  p.size = (std::size_t{be16(d, at + 2)} + 1) * 4;
  if (index == 1 && rules == RtcpSize::compound && p.type != RtcpType::sr && p.type != RtcpType::rr) {
    return packet_error(index, "the first packet is not an SR or an RR");
  }
  if (p.size > rest) return packet_error(index, "length overruns the datagram");
  if (p.size < min_rtcp_size(p.type, p.count)) return packet_error(index, "too short for its type and count");
  if (p.size >= 8) p.ssrc = be32(d, at + 4);
  return p;
}

}  // namespace

// ---- Demultiplexing ----------------------------------------------------------

std::string_view kind_name(Kind kind) {
  switch (kind) {
    case Kind::stun: return "stun";
    case Kind::zrtp: return "zrtp";
    case Kind::dtls: return "dtls";
    case Kind::turn_channel: return "turn_channel";
    case Kind::rtp: return "rtp";
    case Kind::rtcp: return "rtcp";
    case Kind::unknown: return "unknown";
  }
  return "unknown";
}

Kind classify(Bytes d) {
  if (d.empty()) return Kind::unknown;
  const std::uint8_t b = d[0];
  if (b <= 3) return Kind::stun;
  if (b >= 16 && b <= 19) return Kind::zrtp;
  if (b >= 20 && b <= 63) return Kind::dtls;
  if (b >= 64 && b <= 79) return Kind::turn_channel;
  if (b >= 128 && b <= 191) {
    if (d.size() < 2) return Kind::unknown;
    return d[1] >= kFirstRtcpType && d[1] <= kLastRtcpType ? Kind::rtcp : Kind::rtp;
  }
  return Kind::unknown;
}

// ---- RTP -------------------------------------------------------------------

Result<Header> parse_rtp(Bytes p) {
  if (p.size() < kFixedHeader) return fail(Errc::syntax, "shorter than the 12-octet RTP header");
  if (version(p[0]) != kVersion) return fail(Errc::syntax, "RTP version is not 2");
  Header h;
  h.padding = (p[0] & 0x20) != 0;
  h.extension = (p[0] & 0x10) != 0;
  h.csrc_count = static_cast<std::uint8_t>(p[0] & 0x0f);
  h.marker = (p[1] & 0x80) != 0;
  h.payload_type = static_cast<std::uint8_t>(p[1] & 0x7f);
  h.sequence = be16(p, 2);
  h.timestamp = be32(p, 4);
  h.ssrc = be32(p, 8);

  std::size_t at = kFixedHeader;
  if (p.size() - at < 4 * std::size_t{h.csrc_count}) return fail(Errc::syntax, "CSRC list overruns the packet");
  for (std::size_t i = 0; i < h.csrc_count; ++i, at += 4) h.csrcs[i] = be32(p, at);

  if (h.extension) {
    if (p.size() - at < 4) return fail(Errc::syntax, "header extension overruns the packet");
    h.extension_profile = be16(p, at);
    const std::size_t size = 4 * std::size_t{be16(p, at + 2)};
    at += 4;
    if (p.size() - at < size) return fail(Errc::syntax, "header extension overruns the packet");
    h.extension_offset = at;
    h.extension_size = size;
    at += size;
  }

  // The padding count is the last octet, so it must lie after the header.
  std::size_t end = p.size();
  if (h.padding) {
    if (at == p.size()) return fail(Errc::syntax, "padding set but nothing follows the header");
    const std::uint8_t count = p.back();
    if (count == 0) return fail(Errc::syntax, "padding count is 0");
    if (count > p.size() - at) return fail(Errc::syntax, "padding overruns the payload");
    h.padding_size = count;
    end -= count;
  }
  h.payload_offset = at;
  h.payload_size = end - at;
  return h;
}

Bytes payload(Bytes packet, const Header& header) { return packet.subspan(header.payload_offset, header.payload_size); }

void write_rtp(const Header& h, Bytes payload, std::vector<std::uint8_t>& out) {
  const std::size_t cc = std::min<std::size_t>(h.csrc_count, kMaxCsrcs);
  out.reserve(out.size() + kFixedHeader + 4 * cc + payload.size());
  out.push_back(static_cast<std::uint8_t>(kVersion << 6 | cc));
  out.push_back(static_cast<std::uint8_t>((h.marker ? 0x80 : 0) | (h.payload_type & 0x7f)));
  put16(out, h.sequence);
  put32(out, h.timestamp);
  put32(out, h.ssrc);
  for (std::size_t i = 0; i < cc; ++i) put32(out, h.csrcs[i]);
  out.insert(out.end(), payload.begin(), payload.end());
}

// ---- RTCP ------------------------------------------------------------------

Result<std::vector<RtcpPacket>> parse_rtcp_compound(Bytes d, RtcpSize rules) {
  std::vector<RtcpPacket> packets;
  std::size_t at = 0;
  do {
    auto p = rtcp_packet(d, at, packets.size() + 1, rules);
    if (!p) return p.error();
    // RFC 3550 6.4.1 and A.2: only the last packet is padded, and its
    // padding count (itself included) lies after its header.
    if (p->padding) {
      if (at + p->size != d.size()) return packet_error(packets.size() + 1, "padding in a packet that is not the last");
      const std::uint8_t count = d[at + p->size - 1];
      if (count == 0) return packet_error(packets.size() + 1, "padding count is 0");
      if (count > p->size - kRtcpHeader) return packet_error(packets.size() + 1, "padding overruns the packet");
    }
    at += p->size;
    packets.push_back(*p);
  } while (at < d.size());
  return packets;
}

Result<RtcpPacket> parse_rtcp_header(Bytes d, RtcpSize rules) { return rtcp_packet(d, 0, 1, rules); }

// ---- Telephone events ------------------------------------------------------

Result<TelephoneEvent> parse_telephone_event(Bytes p) {
  if (p.empty() || p.size() % kTelephoneEventSize != 0) {
    return fail(Errc::syntax, "telephone-event payload of " + std::to_string(p.size()) +
                                  " octets is not a positive multiple of 4");
  }
  const Bytes last = p.subspan(p.size() - kTelephoneEventSize);
  TelephoneEvent e;
  e.event = last[0];
  e.end = (last[1] & 0x80) != 0;
  e.volume = static_cast<std::uint8_t>(last[1] & kMaxVolume);
  e.duration = be16(last, 2);
  return e;
}

void write_telephone_event(const TelephoneEvent& e, std::vector<std::uint8_t>& out) {
  out.push_back(e.event);
  out.push_back(static_cast<std::uint8_t>((e.end ? 0x80 : 0) | (e.volume & kMaxVolume)));
  put16(out, e.duration);
}

char dtmf_digit(std::uint8_t event) { return event < 16 ? kDtmfDigits[event] : '\0'; }

std::optional<std::uint8_t> dtmf_event(char digit) {
  if (digit >= 'a' && digit <= 'd') digit = static_cast<char>(digit - 'a' + 'A');
  for (std::uint8_t e = 0; e < 16; ++e) {
    if (kDtmfDigits[e] == digit) return e;
  }
  return std::nullopt;
}

// ---- Sequence numbers ------------------------------------------------------

std::int32_t sequence_delta(std::uint16_t from, std::uint16_t to) {
  return static_cast<std::int16_t>(static_cast<std::uint16_t>(to - from));
}

void ReceptionStats::restart(std::uint16_t sequence) {
  started_ = true;
  base_seq_ = sequence;
  max_seq_ = sequence;
  cycles_ = 0;
  bad_seq_ = 0x10001;
  received_ = 0;
}

// RFC 3550 A.1's update_seq() without the probation.
void ReceptionStats::on_packet(std::uint16_t sequence) {
  if (!started_) {
    restart(sequence);
    ++received_;
    return;
  }
  const auto ahead = static_cast<std::uint16_t>(sequence - max_seq_);
  if (ahead < kMaxDropout) {
    if (sequence < max_seq_) cycles_ += 0x10000;  // wrapped
    max_seq_ = sequence;
  } else if (ahead <= 0x10000 - kMaxMisorder) {
    // A big jump: a restarted source if the next packet follows it.
    if (std::uint32_t{sequence} != bad_seq_) {
      bad_seq_ = (sequence + 1u) & 0xffffu;
      return;
    }
    restart(sequence);
  }
  // Otherwise late or a duplicate: counted, the highest stays.
  ++received_;
}

std::uint64_t ReceptionStats::expected() const {
  if (!started_) return 0;
  return extended_highest() - base_seq_ + 1;
}

}  // namespace parley::rtp
