// RTP and RTCP (RFC 3550) as the media process meets them on the wire:
// one UDP port's demultiplexing, the RTP fixed header, the headers of a
// compound RTCP packet, RFC 4733 telephone events and the sequence-number
// arithmetic of reception statistics. Pure: no I/O, no sockets; every input
// is one untrusted UDP datagram, whole, as a span of octets. Nothing here
// decrypts: for SRTP and SRTCP only the clear headers are read.
//
// classify() sorts a datagram by its first octet (RFC 7983, which updates
// RFC 5764 5.1.2) and, for 128..191, by the second octet (RFC 5761 4):
//   0..3 STUN, 16..19 ZRTP, 20..63 DTLS, 64..79 TURN channel data,
//   128..191 RTCP when the whole second octet (marker bit and payload type)
//   is 192..223, else RTP. A datagram of 128..191 with no second octet, an
//   empty one and every other first octet are Kind::unknown.
//
// parse_rtp() reads the fixed header (RFC 3550 5.1). It accepts:
//   - version 2, at least 12 octets and the CC CSRC identifiers;
//   - with X, a header extension (16-bit profile, 16-bit length in 32-bit
//     words, then the words) that fits in the datagram;
//   - with P, a last octet (the padding count, itself included) of at least
//     1 that fits in what follows the header (and the extension).
// Anything else is Errc::syntax with a short reason. The payload type is not
// checked against 72..76 (classify() sends those to RTCP) nor against a
// session's formats: that is the caller's business. An empty payload is
// valid (a keep-alive, or all padding).
//
// parse_rtcp_compound() walks a plain RTCP compound packet (RFC 3550 6.1,
// 6.4, A.2): every packet has version 2 and a type 192..223 (types other
// than the eight named below are kept, by number); each length field
// ((length + 1) * 4 octets) fits, and the packets tile the datagram exactly;
// only the last packet may have P, its padding count at least 1 and within
// the packet after its 4-octet header; the first packet is an SR or an RR,
// unless RtcpSize::reduced (RFC 5506: a=rtcp-rsize was negotiated) lets it
// be any. Packets of known types must hold what their count announces:
// SR 28 + 24 * RC octets, RR 8 + 24 * RC, SDES 4 + 8 * SC, BYE 4 + 4 * SC,
// APP 12, RTPFB and PSFB 12 (RFC 4585 6.1), XR 8 (RFC 3611 2). What the
// packets carry (report blocks, SDES items, feedback) is not read.
//
// parse_rtcp_header() checks only the first packet: version, type, its
// length within the datagram and its size for its count, as above; not its
// padding count, nor anything after it. That is all a relay can check of
// SRTCP (RFC 3711 3.4), whose rest is encrypted and followed by the E flag,
// the index, the MKI and the tag.
//
// The writers produce what the media process sends on its own streams:
// write_rtp() has no extension and no padding; they append to a buffer the
// caller reuses, and never fail.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace parley::rtp {

using Bytes = std::span<const std::uint8_t>;

constexpr std::uint8_t kVersion = 2;             // RFC 3550 5.1
constexpr std::size_t kFixedHeader = 12;         // RFC 3550 5.1: octets before the CSRC list
constexpr std::size_t kMaxCsrcs = 15;            // RFC 3550 5.1: CC is 4 bits
constexpr std::size_t kRtcpHeader = 4;           // RFC 3550 6.4.1: V P count PT length
constexpr std::size_t kTelephoneEventSize = 4;   // RFC 4733 2.3
constexpr std::uint8_t kMaxVolume = 63;          // RFC 4733 2.3.4: 0 to -63 dBm0

// ---- Demultiplexing one port ---------------------------------------------

enum class Kind { stun, zrtp, dtls, turn_channel, rtp, rtcp, unknown };
std::string_view kind_name(Kind kind);
Kind classify(Bytes datagram);

// ---- RTP -----------------------------------------------------------------

struct Header {
  bool padding = false;
  bool extension = false;
  bool marker = false;
  std::uint8_t payload_type = 0;  // 0..127
  std::uint16_t sequence = 0;
  std::uint32_t timestamp = 0;
  std::uint32_t ssrc = 0;
  std::uint8_t csrc_count = 0;  // 0..kMaxCsrcs; parse_rtp() zeroes the unused entries
  std::array<std::uint32_t, kMaxCsrcs> csrcs{};
  // Filled in by parse_rtp(), ignored by write_rtp():
  std::uint16_t extension_profile = 0;  // with X: the 16 bits "defined by profile"
  std::size_t extension_offset = 0;     // with X: where the extension's words start
  std::size_t extension_size = 0;       // with X: octets of those words (length * 4)
  std::size_t payload_offset = 0;
  std::size_t payload_size = 0;         // padding excluded
  std::uint8_t padding_size = 0;        // with P: the padding count

  std::span<const std::uint32_t> csrc_list() const { return {csrcs.data(), csrc_count}; }
  bool operator==(const Header&) const = default;
};

[[nodiscard]] Result<Header> parse_rtp(Bytes packet);

// The payload parse_rtp() found in `packet` (the same bytes).
Bytes payload(Bytes packet, const Header& header);

// Appends the header and the payload: V=2, P=0, X=0, CC = csrc_count (more
// than kMaxCsrcs writes the first kMaxCsrcs), M, PT (low 7 bits), sequence,
// timestamp, SSRC, CSRCs.
void write_rtp(const Header& header, Bytes payload, std::vector<std::uint8_t>& out);

// ---- RTCP ----------------------------------------------------------------

// RFC 3550 12.1, RFC 4585 6.1, RFC 3611 2. Other values of 192..223 are kept
// by number: static_cast<std::uint8_t>(type) gives them.
enum class RtcpType : std::uint8_t {
  sr = 200,
  rr = 201,
  sdes = 202,
  bye = 203,
  app = 204,
  rtpfb = 205,
  psfb = 206,
  xr = 207,
};

// One packet of a compound; offset and size locate it in the datagram
// (size = (length + 1) * 4, header and padding included).
struct RtcpPacket {
  RtcpType type = RtcpType::sr;
  std::uint8_t count = 0;  // the 5-bit RC / SC / FMT / subtype field
  bool padding = false;
  std::size_t offset = 0;
  std::size_t size = 0;
  // Octets 4..7: the sender's SSRC in SR, RR, APP, RTPFB, PSFB and XR; the
  // first source's in SDES and BYE; 0 in a packet of only its 4-octet header.
  std::uint32_t ssrc = 0;
  bool operator==(const RtcpPacket&) const = default;
};

enum class RtcpSize {
  compound,  // RFC 3550 6.1: the first packet is an SR or an RR
  reduced,   // RFC 5506: any packet may come first (a=rtcp-rsize)
};

[[nodiscard]] Result<std::vector<RtcpPacket>> parse_rtcp_compound(Bytes datagram,
                                                                  RtcpSize size = RtcpSize::compound);
// The first packet only (for SRTCP, which a relay passes on unread).
[[nodiscard]] Result<RtcpPacket> parse_rtcp_header(Bytes datagram, RtcpSize size = RtcpSize::compound);

// ---- Telephone events (RFC 4733) -------------------------------------------

struct TelephoneEvent {
  std::uint8_t event = 0;      // RFC 4733 3.2: 0-9 * # A-D are 0..15; 16 flash
  bool end = false;            // E: the last packets of the event
  std::uint8_t volume = 0;     // 0..63, -dBm0
  std::uint16_t duration = 0;  // in timestamp units since the event began
  bool operator==(const TelephoneEvent&) const = default;
};

// A payload of one or more 4-octet events (RFC 4733 lets a sender pack the
// end of earlier events before the current one); the last is the current
// one and is returned. The R bit is ignored. A size that is 0 or not
// a multiple of 4 is Errc::syntax.
[[nodiscard]] Result<TelephoneEvent> parse_telephone_event(Bytes payload);
// Appends the 4 octets, R = 0; volume is cut to its low 6 bits.
void write_telephone_event(const TelephoneEvent& event, std::vector<std::uint8_t>& out);

// Events 0..15 as DTMF digits ('0'-'9', '*', '#', 'A'-'D'), else '\0'.
char dtmf_digit(std::uint8_t event);
// The inverse; 'a'-'d' are taken as 'A'-'D' (SIP INFO bodies write both).
std::optional<std::uint8_t> dtmf_event(char digit);

// ---- Sequence numbers ------------------------------------------------------

// How far `to` is ahead of `from` on the 16-bit circle: -32768..32767
// (65535 -> 0 is +1, 0 -> 65535 is -1).
std::int32_t sequence_delta(std::uint16_t from, std::uint16_t to);

// Receive statistics of one source, RFC 3550 A.1 and A.3, without A.1's
// probation: the first packet starts the count. A packet no more than
// kMaxDropout ahead of the highest so far advances it (counting a wrap as a
// new cycle); one up to kMaxMisorder behind is late or a duplicate and only
// counted; any other jump is taken as the source's restart only when the
// next packet follows it (then counting starts afresh from that packet),
// else both are ignored.
class ReceptionStats {
 public:
  static constexpr std::uint16_t kMaxDropout = 3000;  // RFC 3550 A.1
  static constexpr std::uint16_t kMaxMisorder = 100;  // RFC 3550 A.1

  void on_packet(std::uint16_t sequence);

  std::uint64_t received() const { return received_; }  // packets counted, late and duplicates included
  // The extended highest sequence number: cycles * 65536 + highest (the RR field).
  std::uint64_t extended_highest() const { return cycles_ + max_seq_; }
  std::uint64_t expected() const;  // extended highest - first + 1; 0 before any packet
  // expected() - received(): negative when duplicates outnumber losses.
  std::int64_t lost() const { return static_cast<std::int64_t>(expected()) - static_cast<std::int64_t>(received_); }

 private:
  void restart(std::uint16_t sequence);

  bool started_ = false;
  std::uint16_t base_seq_ = 0;
  std::uint16_t max_seq_ = 0;
  std::uint64_t cycles_ = 0;  // shifted: a multiple of 65536
  std::uint32_t bad_seq_ = 0x10001;  // the sequence that confirms a restart; none yet
  std::uint64_t received_ = 0;
};

}  // namespace parley::rtp
