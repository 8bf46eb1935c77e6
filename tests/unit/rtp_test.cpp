// rtp: the port demultiplexer on every first-octet range, RTP headers built
// by hand (CSRCs, extension, padding, marker) and every malformed one, RTCP
// compounds (tiling, first packet, versions, padding, per-type sizes), the
// SRTCP header check, RFC 4733 events, sequence arithmetic and reception
// statistics across the wrap, and the writers' round trips.
//
// A datagram arrives whole, so there is no byte-at-a-time case; every prefix
// of every valid packet is parsed instead (a cut packet must fail cleanly
// or, without padding, be the same header with a shorter payload).
// The tables match the seeds in tests/fuzz/corpus/rtp_fuzz/.
#include <gtest/gtest.h>

#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include "rtp/rtp.h"
#include "tests/support/result_assert.h"

namespace parley::rtp {
namespace {

using testkit::Fails;
using testkit::Ok;

using Octets = std::vector<std::uint8_t>;

Octets cat(std::initializer_list<Octets> parts) {
  Octets out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

bool starts_with(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

// ---- Demultiplexing ----------------------------------------------------------

TEST(RtpClassify, EveryFirstOctetRange) {
  struct Case {
    Octets bytes;
    Kind kind;
  };
  const Case cases[] = {
      {{}, Kind::unknown},
      {{0x00, 0x01}, Kind::stun},          // Binding request
      {{0x01, 0x01}, Kind::stun},          // Binding success
      {{0x03, 0x00}, Kind::stun},
      {{0x04, 0x00}, Kind::unknown},
      {{0x0f, 0x00}, Kind::unknown},
      {{0x10, 0x00}, Kind::zrtp},
      {{0x13, 0x00}, Kind::zrtp},
      {{0x14, 0xfe}, Kind::dtls},          // change_cipher_spec
      {{0x16, 0xfe}, Kind::dtls},          // handshake
      {{0x17, 0xfe}, Kind::dtls},          // application data
      {{0x3f, 0x00}, Kind::dtls},
      {{0x40, 0x00}, Kind::turn_channel},  // channel 0x4000
      {{0x4f, 0xff}, Kind::turn_channel},
      {{0x50, 0x00}, Kind::unknown},
      {{0x7f, 0x00}, Kind::unknown},
      {{0x80}, Kind::unknown},             // no second octet
      {{0x80, 0x00}, Kind::rtp},           // PT 0
      {{0x80, 0x80}, Kind::rtp},           // PT 0 with marker
      {{0x80, 0xbf}, Kind::rtp},           // PT 63 with marker
      {{0x80, 0xc0}, Kind::rtcp},          // 192, first of RFC 5761's range
      {{0x80, 0xc8}, Kind::rtcp},          // SR (or PT 72 with marker)
      {{0x81, 0xc9}, Kind::rtcp},          // RR
      {{0x80, 0xdf}, Kind::rtcp},          // 223, last of the range
      {{0x80, 0xe0}, Kind::rtp},           // PT 96 with marker
      {{0x80, 0x60}, Kind::rtp},           // PT 96
      {{0xbf, 0x00}, Kind::rtp},
      {{0xbf, 0xc8}, Kind::rtcp},
      {{0xc0, 0x00}, Kind::unknown},
      {{0xff, 0xc8}, Kind::unknown},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(testing::PrintToString(c.bytes));
    EXPECT_EQ(kind_name(classify(c.bytes)), kind_name(c.kind));
  }
}

// ---- RTP -------------------------------------------------------------------

struct ValidRtp {
  const char* name;
  Octets bytes;
  Header header;
  Octets payload;
};

const std::vector<ValidRtp>& valid_rtp() {
  static const std::vector<ValidRtp> cases = {
      {"pcmu",
       {0x80, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0xa0, 0xde, 0xad, 0xbe, 0xef, 0xff, 0x7f, 0xfe, 0x7e},
       {.payload_type = 0, .sequence = 1, .timestamp = 160, .ssrc = 0xdeadbeef, .payload_offset = 12,
        .payload_size = 4},
       {0xff, 0x7f, 0xfe, 0x7e}},
      {"header_only",
       {0x80, 0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00},
       {.payload_type = 8, .sequence = 0xffff, .timestamp = 0xffffffff, .ssrc = 0, .payload_offset = 12,
        .payload_size = 0},
       {}},
      {"marker_two_csrcs",
       {0x82, 0xef, 0xff, 0xfe, 0x01, 0x02, 0x03, 0x04, 0x11, 0x22, 0x33, 0x44,
        0xaa, 0xaa, 0xaa, 0xaa, 0xbb, 0xbb, 0xbb, 0xbb, 0x01, 0x02, 0x03},
       {.marker = true, .payload_type = 111, .sequence = 0xfffe, .timestamp = 0x01020304, .ssrc = 0x11223344,
        .csrc_count = 2, .csrcs = {0xaaaaaaaa, 0xbbbbbbbb}, .payload_offset = 20, .payload_size = 3},
       {0x01, 0x02, 0x03}},
      // RFC 8285 one-byte header extension: ID 1, one octet, then padding.
      {"extension",
       {0x90, 0x60, 0x12, 0x34, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
        0xbe, 0xde, 0x00, 0x01, 0x10, 0xff, 0x00, 0x00, 0xaa, 0xbb},
       {.extension = true, .payload_type = 96, .sequence = 0x1234, .timestamp = 0, .ssrc = 1,
        .extension_profile = 0xbede, .extension_offset = 16, .extension_size = 4, .payload_offset = 20,
        .payload_size = 2},
       {0xaa, 0xbb}},
      {"extension_empty",
       {0x90, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x10, 0x00, 0x00, 0x00, 0x55},
       {.extension = true, .payload_type = 0, .sequence = 2, .ssrc = 2, .extension_profile = 0x1000,
        .extension_offset = 16, .extension_size = 0, .payload_offset = 16, .payload_size = 1},
       {0x55}},
      {"padding",
       {0xa0, 0x08, 0x00, 0x07, 0x00, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00, 0x09, 0x01, 0x02, 0x03, 0x00, 0x00, 0x03},
       {.padding = true, .payload_type = 8, .sequence = 7, .timestamp = 8, .ssrc = 9, .payload_offset = 12,
        .payload_size = 3, .padding_size = 3},
       {0x01, 0x02, 0x03}},
      {"all_padding",
       {0xa0, 0x00, 0x00, 0x07, 0x00, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00, 0x09, 0x00, 0x00, 0x00, 0x04},
       {.padding = true, .payload_type = 0, .sequence = 7, .timestamp = 8, .ssrc = 9, .payload_offset = 12,
        .payload_size = 0, .padding_size = 4},
       {}},
      {"everything",
       {0xb1, 0xe5, 0x80, 0x00, 0x00, 0x00, 0x03, 0x20, 0x0a, 0x0b, 0x0c, 0x0d, 0x01, 0x02, 0x03, 0x04,
        0x00, 0x01, 0x00, 0x01, 0x12, 0x34, 0x56, 0x78, 0x05, 0x8a, 0x03, 0x20, 0x00, 0x02},
       {.padding = true, .extension = true, .marker = true, .payload_type = 101, .sequence = 0x8000,
        .timestamp = 800, .ssrc = 0x0a0b0c0d, .csrc_count = 1, .csrcs = {0x01020304}, .extension_profile = 1,
        .extension_offset = 20, .extension_size = 4, .payload_offset = 24, .payload_size = 4, .padding_size = 2},
       {0x05, 0x8a, 0x03, 0x20}},
      {"fifteen_csrcs",
       cat({{0x8f, 0x12, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03},
            Octets(60, 0x07), {0x42}}),
       {.payload_type = 18, .ssrc = 3, .csrc_count = 15,
        .csrcs = {0x07070707, 0x07070707, 0x07070707, 0x07070707, 0x07070707, 0x07070707, 0x07070707, 0x07070707,
                  0x07070707, 0x07070707, 0x07070707, 0x07070707, 0x07070707, 0x07070707, 0x07070707},
        .payload_offset = 72, .payload_size = 1},
       {0x42}},
  };
  return cases;
}

TEST(RtpParse, Valid) {
  for (const auto& v : valid_rtp()) {
    SCOPED_TRACE(v.name);
    const auto h = parse_rtp(v.bytes);
    ASSERT_TRUE(Ok(h));
    EXPECT_EQ(h->padding, v.header.padding);
    EXPECT_EQ(h->extension, v.header.extension);
    EXPECT_EQ(h->marker, v.header.marker);
    EXPECT_EQ(h->payload_type, v.header.payload_type);
    EXPECT_EQ(h->sequence, v.header.sequence);
    EXPECT_EQ(h->timestamp, v.header.timestamp);
    EXPECT_EQ(h->ssrc, v.header.ssrc);
    EXPECT_EQ(h->csrc_count, v.header.csrc_count);
    EXPECT_EQ(h->extension_profile, v.header.extension_profile);
    EXPECT_EQ(h->extension_offset, v.header.extension_offset);
    EXPECT_EQ(h->extension_size, v.header.extension_size);
    EXPECT_EQ(h->payload_offset, v.header.payload_offset);
    EXPECT_EQ(h->payload_size, v.header.payload_size);
    EXPECT_EQ(h->padding_size, v.header.padding_size);
    EXPECT_TRUE(*h == v.header);  // the CSRCs too, unused ones zero
    const auto body = payload(v.bytes, *h);
    EXPECT_EQ(Octets(body.begin(), body.end()), v.payload);
  }
}

TEST(RtpParse, CsrcList) {
  const auto h = parse_rtp(valid_rtp()[2].bytes);
  ASSERT_TRUE(Ok(h));
  const auto list = h->csrc_list();
  EXPECT_EQ(std::vector<std::uint32_t>(list.begin(), list.end()),
            (std::vector<std::uint32_t>{0xaaaaaaaa, 0xbbbbbbbb}));
}

TEST(RtpParse, EveryPrefixFailsCleanlyOrIsShorter) {
  for (const auto& v : valid_rtp()) {
    SCOPED_TRACE(v.name);
    for (std::size_t n = 0; n < v.bytes.size(); ++n) {
      const auto h = parse_rtp(Bytes(v.bytes).first(n));
      if (v.header.padding) {
        if (!h) {
          EXPECT_EQ(h.code(), Errc::syntax) << n;
        }
        continue;
      }
      if (n < v.header.payload_offset) {
        EXPECT_TRUE(Fails(h, Errc::syntax)) << n;
      } else {
        ASSERT_TRUE(Ok(h)) << n;
        EXPECT_EQ(h->payload_size, n - v.header.payload_offset);
        EXPECT_EQ(h->ssrc, v.header.ssrc);
        EXPECT_EQ(h->csrc_count, v.header.csrc_count);
      }
    }
  }
}

struct Malformed {
  const char* name;
  Octets bytes;
  const char* detail;  // the detail starts with this
};

// A 12-octet header with this first octet (PT 0, sequence 1, timestamp 2,
// SSRC 3), then `rest`.
Octets rtp_with(std::uint8_t first, const Octets& rest = {}) {
  return cat({{first, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x03}, rest});
}

const std::vector<Malformed>& malformed_rtp() {
  static const std::vector<Malformed> cases = {
      {"empty", {}, "shorter than the 12-octet RTP header"},
      {"one_octet", {0x80}, "shorter than the 12-octet RTP header"},
      {"eleven_octets", {0x80, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00},
       "shorter than the 12-octet RTP header"},
      {"version_0", rtp_with(0x00, {0x01}), "RTP version is not 2"},
      {"version_1", rtp_with(0x40, {0x01}), "RTP version is not 2"},
      {"version_3", rtp_with(0xc0, {0x01}), "RTP version is not 2"},
      {"csrc_overrun_by_one", rtp_with(0x82, {0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00}),
       "CSRC list overruns the packet"},
      {"csrc_fifteen_none_there", rtp_with(0x8f), "CSRC list overruns the packet"},
      {"extension_header_cut", rtp_with(0x90, {0xbe, 0xde}), "header extension overruns the packet"},
      {"extension_header_missing", rtp_with(0x90), "header extension overruns the packet"},
      {"extension_overrun", rtp_with(0x90, {0xbe, 0xde, 0x00, 0x02, 0x10, 0xff, 0x00, 0x00}),
       "header extension overruns the packet"},
      {"extension_length_max", rtp_with(0x90, {0xbe, 0xde, 0xff, 0xff, 0x00}), "header extension overruns the packet"},
      {"extension_after_csrcs_overrun", rtp_with(0x91, {0x00, 0x00, 0x00, 0x01, 0xbe, 0xde, 0x00, 0x01}),
       "header extension overruns the packet"},
      {"padding_nothing_after_header", rtp_with(0xa0), "padding set but nothing follows the header"},
      {"padding_count_0", rtp_with(0xa0, {0x01, 0x02, 0x00}), "padding count is 0"},
      {"padding_overrun", rtp_with(0xa0, {0x01, 0x05}), "padding overruns the payload"},
      {"padding_overrun_by_one", rtp_with(0xa0, {0x01, 0x02, 0x04}), "padding overruns the payload"},
      {"padding_into_extension", rtp_with(0xb0, {0xbe, 0xde, 0x00, 0x01, 0x10, 0xff, 0x00, 0x00, 0x00, 0x03}),
       "padding overruns the payload"},
      {"padding_into_csrcs", rtp_with(0xa1, {0x00, 0x00, 0x00, 0x01, 0x05}), "padding overruns the payload"},
  };
  return cases;
}

TEST(RtpParse, Malformed) {
  for (const auto& m : malformed_rtp()) {
    SCOPED_TRACE(m.name);
    const auto h = parse_rtp(m.bytes);
    ASSERT_TRUE(Fails(h, Errc::syntax));
    EXPECT_TRUE(starts_with(h.error().detail, m.detail)) << h.error().detail;
  }
}

TEST(RtpWrite, ExactBytes) {
  const Header h{.marker = true, .payload_type = 101, .sequence = 0xabcd, .timestamp = 0x01020304, .ssrc = 0xcafebabe,
           .csrc_count = 2, .csrcs = {0x11111111, 0x22222222}};
  const Octets body = {0x05, 0x8a, 0x03, 0x20};
  Octets out = {0x99};  // appended to, not replaced
  write_rtp(h, body, out);
  EXPECT_EQ(out, (Octets{0x99, 0x82, 0xe5, 0xab, 0xcd, 0x01, 0x02, 0x03, 0x04, 0xca, 0xfe, 0xba, 0xbe,
                         0x11, 0x11, 0x11, 0x11, 0x22, 0x22, 0x22, 0x22, 0x05, 0x8a, 0x03, 0x20}));
}

TEST(RtpWrite, RoundTripsWithoutExtensionOrPadding) {
  for (const auto& v : valid_rtp()) {
    SCOPED_TRACE(v.name);
    const auto h = parse_rtp(v.bytes);
    ASSERT_TRUE(Ok(h));
    Octets out;
    write_rtp(*h, payload(v.bytes, *h), out);
    const auto again = parse_rtp(out);
    ASSERT_TRUE(Ok(again));
    EXPECT_FALSE(again->padding);
    EXPECT_FALSE(again->extension);
    EXPECT_EQ(again->marker, h->marker);
    EXPECT_EQ(again->payload_type, h->payload_type);
    EXPECT_EQ(again->sequence, h->sequence);
    EXPECT_EQ(again->timestamp, h->timestamp);
    EXPECT_EQ(again->ssrc, h->ssrc);
    EXPECT_EQ(again->csrcs, h->csrcs);
    EXPECT_EQ(again->csrc_count, h->csrc_count);
    const auto body = payload(out, *again);
    EXPECT_EQ(Octets(body.begin(), body.end()), v.payload);
    if (!h->padding && !h->extension) {
      EXPECT_EQ(out, v.bytes);
    }
  }
}

TEST(RtpWrite, PayloadTypeAndCsrcCountAreCut) {
  const Header h{.payload_type = 0xff, .csrc_count = 20};
  Octets out;
  write_rtp(h, {}, out);
  ASSERT_EQ(out.size(), kFixedHeader + 4 * kMaxCsrcs);
  EXPECT_EQ(out[0], 0x8f);
  EXPECT_EQ(out[1], 0x7f);
}

// ---- RTCP ------------------------------------------------------------------

const Octets kSr = {0x80, 0xc8, 0x00, 0x06, 0x11, 0x22, 0x33, 0x44,   // SR, RC 0, length 6, SSRC
                    0xe8, 0x00, 0x00, 0x00, 0x80, 0x00, 0x00, 0x00,   // NTP timestamp
                    0x00, 0x00, 0x03, 0x20, 0x00, 0x00, 0x00, 0x0a,   // RTP timestamp, packet count
                    0x00, 0x00, 0x06, 0x40};                          // octet count
const Octets kRr = {0x81, 0xc9, 0x00, 0x07, 0x55, 0x66, 0x77, 0x88,   // RR, RC 1, length 7, SSRC
                    0x11, 0x22, 0x33, 0x44, 0x01, 0x00, 0x00, 0x02,   // source, fraction lost, cumulative
                    0x00, 0x01, 0x00, 0x10, 0x00, 0x00, 0x00, 0x20,   // extended highest, jitter
                    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};  // LSR, DLSR
const Octets kEmptyRr = {0x80, 0xc9, 0x00, 0x01, 0x55, 0x66, 0x77, 0x88};
const Octets kSdes = {0x81, 0xca, 0x00, 0x03, 0x55, 0x66, 0x77, 0x88,   // SDES, SC 1, length 3, SSRC
                      0x01, 0x04, 'a', 'b', 'c', 'd', 0x00, 0x00};      // CNAME "abcd", end, pad
const Octets kBye = {0x81, 0xcb, 0x00, 0x01, 0x55, 0x66, 0x77, 0x88};
const Octets kPli = {0x81, 0xce, 0x00, 0x02, 0x55, 0x66, 0x77, 0x88, 0x11, 0x22, 0x33, 0x44};  // PSFB FMT 1
const Octets kNack = {0x81, 0xcd, 0x00, 0x03, 0x55, 0x66, 0x77, 0x88, 0x11, 0x22, 0x33, 0x44,
                      0x00, 0x10, 0x00, 0x00};  // RTPFB FMT 1: PID 16, BLP 0
const Octets kXr = {0x80, 0xcf, 0x00, 0x01, 0x55, 0x66, 0x77, 0x88};
const Octets kApp = {0x80, 0xcc, 0x00, 0x02, 0x55, 0x66, 0x77, 0x88, 'P', 'R', 'L', 'Y'};
const Octets kUnknown210 = {0x80, 0xd2, 0x00, 0x00};
const Octets kPaddedBye = {0xa1, 0xcb, 0x00, 0x02, 0x55, 0x66, 0x77, 0x88, 0x00, 0x00, 0x00, 0x04};

TEST(RtcpCompound, SenderReportAlone) {
  const auto c = parse_rtcp_compound(kSr);
  ASSERT_TRUE(Ok(c));
  ASSERT_EQ(c->size(), 1u);
  EXPECT_EQ((*c)[0], (RtcpPacket{RtcpType::sr, 0, false, 0, 28, 0x11223344}));
}

TEST(RtcpCompound, ReceiverReportSdesBye) {
  const Octets d = cat({kRr, kSdes, kBye});
  const auto c = parse_rtcp_compound(d);
  ASSERT_TRUE(Ok(c));
  ASSERT_EQ(c->size(), 3u);
  EXPECT_EQ((*c)[0], (RtcpPacket{RtcpType::rr, 1, false, 0, 32, 0x55667788}));
  EXPECT_EQ((*c)[1], (RtcpPacket{RtcpType::sdes, 1, false, 32, 16, 0x55667788}));
  EXPECT_EQ((*c)[2], (RtcpPacket{RtcpType::bye, 1, false, 48, 8, 0x55667788}));
}

TEST(RtcpCompound, EveryKnownTypeAndAnUnknownOne) {
  const Octets d = cat({kSr, kRr, kSdes, kBye, kApp, kNack, kPli, kXr, kUnknown210});
  const auto c = parse_rtcp_compound(d);
  ASSERT_TRUE(Ok(c));
  ASSERT_EQ(c->size(), 9u);
  const RtcpType types[] = {RtcpType::sr,  RtcpType::rr,    RtcpType::sdes, RtcpType::bye,
                            RtcpType::app, RtcpType::rtpfb, RtcpType::psfb, RtcpType::xr};
  std::size_t at = 0;
  for (std::size_t i = 0; i < c->size(); ++i) {
    EXPECT_EQ((*c)[i].offset, at) << i;
    at += (*c)[i].size;
    if (i < 8) {
      EXPECT_EQ((*c)[i].type, types[i]) << i;
    }
  }
  EXPECT_EQ(at, d.size());
  EXPECT_EQ(static_cast<int>((*c)[8].type), 210);
  EXPECT_EQ((*c)[8].size, 4u);
  EXPECT_EQ((*c)[8].ssrc, 0u);
  EXPECT_EQ((*c)[6].count, 1);  // PLI's FMT
}

TEST(RtcpCompound, PaddingInTheLastPacket) {
  const auto c = parse_rtcp_compound(cat({kEmptyRr, kPaddedBye}));
  ASSERT_TRUE(Ok(c));
  ASSERT_EQ(c->size(), 2u);
  EXPECT_FALSE((*c)[0].padding);
  EXPECT_TRUE((*c)[1].padding);
  EXPECT_EQ((*c)[1].size, 12u);
}

TEST(RtcpCompound, ReducedSizeAllowsAnyFirstPacket) {
  EXPECT_TRUE(Fails(parse_rtcp_compound(kPli), Errc::syntax));
  const auto c = parse_rtcp_compound(kPli, RtcpSize::reduced);
  ASSERT_TRUE(Ok(c));
  ASSERT_EQ(c->size(), 1u);
  EXPECT_EQ((*c)[0], (RtcpPacket{RtcpType::psfb, 1, false, 0, 12, 0x55667788}));
  const auto two = parse_rtcp_compound(cat({kNack, kPli}), RtcpSize::reduced);
  ASSERT_TRUE(Ok(two));
  EXPECT_EQ(two->size(), 2u);
}

struct MalformedRtcp {
  const char* name;
  Octets bytes;
  RtcpSize rules;
  const char* detail;
};

const std::vector<MalformedRtcp>& malformed_rtcp() {
  static const std::vector<MalformedRtcp> cases = {
      {"empty", {}, RtcpSize::compound, "packet 1: shorter than the 4-octet RTCP header"},
      {"three_octets", {0x80, 0xc9, 0x00}, RtcpSize::compound, "packet 1: shorter than the 4-octet RTCP header"},
      {"first_sdes", cat({kSdes, kRr}), RtcpSize::compound, "packet 1: the first packet is not an SR or an RR"},
      {"first_bye", kBye, RtcpSize::compound, "packet 1: the first packet is not an SR or an RR"},
      {"first_unknown", cat({kUnknown210, kRr}), RtcpSize::compound,
       "packet 1: the first packet is not an SR or an RR"},
      {"version_1", {0x40, 0xc9, 0x00, 0x01, 0x55, 0x66, 0x77, 0x88}, RtcpSize::compound,
       "packet 1: RTCP version is not 2"},
      {"version_0_in_second", cat({kRr, {0x01, 0xca, 0x00, 0x03}, Octets(kSdes.begin() + 4, kSdes.end())}),
       RtcpSize::compound, "packet 2: RTCP version is not 2"},
      {"version_3_in_second", cat({kRr, {0xc1, 0xcb, 0x00, 0x01, 0x55, 0x66, 0x77, 0x88}}), RtcpSize::compound,
       "packet 2: RTCP version is not 2"},
      {"length_overrun", {0x80, 0xc9, 0x00, 0x02, 0x55, 0x66, 0x77, 0x88}, RtcpSize::compound,
       "packet 1: length overruns the datagram"},
      {"length_max", {0x80, 0xc9, 0xff, 0xff, 0x55, 0x66, 0x77, 0x88}, RtcpSize::compound,
       "packet 1: length overruns the datagram"},
      {"trailing_two_octets", cat({kRr, {0x00, 0x00}}), RtcpSize::compound,
       "packet 2: shorter than the 4-octet RTCP header"},
      {"trailing_half_packet", cat({kRr, {0x81, 0xcb, 0x00, 0x01}}), RtcpSize::compound,
       "packet 2: length overruns the datagram"},
      {"length_short_leaves_garbage", cat({{0x80, 0xc9, 0x00, 0x00}, Octets(kEmptyRr.begin() + 4, kEmptyRr.end())}),
       RtcpSize::compound, "packet 1: too short for its type and count"},
      {"type_96_in_second", cat({kRr, {0x80, 0x60, 0x00, 0x00}}), RtcpSize::compound,
       "packet 2: type 96 is not RTCP (192..223)"},
      {"type_224_in_second", cat({kRr, {0x80, 0xe0, 0x00, 0x00}}), RtcpSize::compound,
       "packet 2: type 224 is not RTCP (192..223)"},
      {"type_191_first_reduced", {0x80, 0xbf, 0x00, 0x00}, RtcpSize::reduced,
       "packet 1: type 191 is not RTCP (192..223)"},
      {"sr_without_sender_info", {0x80, 0xc8, 0x00, 0x01, 0x11, 0x22, 0x33, 0x44}, RtcpSize::compound,
       "packet 1: too short for its type and count"},
      {"rr_count_without_block", {0x81, 0xc9, 0x00, 0x01, 0x55, 0x66, 0x77, 0x88}, RtcpSize::compound,
       "packet 1: too short for its type and count"},
      {"sdes_count_without_chunk", cat({kEmptyRr, {0x82, 0xca, 0x00, 0x02, 0x55, 0x66, 0x77, 0x88, 0x00, 0x00, 0x00, 0x00}}),
       RtcpSize::compound, "packet 2: too short for its type and count"},
      {"bye_count_overrun", cat({kEmptyRr, {0x82, 0xcb, 0x00, 0x01, 0x55, 0x66, 0x77, 0x88}}), RtcpSize::compound,
       "packet 2: too short for its type and count"},
      {"feedback_without_media_ssrc", {0x81, 0xcd, 0x00, 0x01, 0x55, 0x66, 0x77, 0x88}, RtcpSize::reduced,
       "packet 1: too short for its type and count"},
      {"app_without_name", cat({kEmptyRr, {0x80, 0xcc, 0x00, 0x01, 0x55, 0x66, 0x77, 0x88}}), RtcpSize::compound,
       "packet 2: too short for its type and count"},
      {"xr_without_ssrc", cat({kEmptyRr, {0x80, 0xcf, 0x00, 0x00}}), RtcpSize::compound,
       "packet 2: too short for its type and count"},
      {"padding_not_last", cat({{0xa0, 0xc9, 0x00, 0x01, 0x55, 0x66, 0x77, 0x88}, kBye}), RtcpSize::compound,
       "packet 1: padding in a packet that is not the last"},
      {"padding_count_0", cat({kEmptyRr, {0xa1, 0xcb, 0x00, 0x02, 0x55, 0x66, 0x77, 0x88, 0x00, 0x00, 0x00, 0x00}}),
       RtcpSize::compound, "packet 2: padding count is 0"},
      {"padding_overrun", cat({kEmptyRr, {0xa1, 0xcb, 0x00, 0x02, 0x55, 0x66, 0x77, 0x88, 0x00, 0x00, 0x00, 0x09}}),
       RtcpSize::compound, "packet 2: padding overruns the packet"},
  };
  return cases;
}

TEST(RtcpCompound, Malformed) {
  for (const auto& m : malformed_rtcp()) {
    SCOPED_TRACE(m.name);
    const auto c = parse_rtcp_compound(m.bytes, m.rules);
    ASSERT_TRUE(Fails(c, Errc::syntax));
    EXPECT_TRUE(starts_with(c.error().detail, m.detail)) << c.error().detail;
  }
}

TEST(RtcpCompound, EveryPrefixFailsCleanlyOrEndsAtAPacket) {
  const Octets d = cat({kRr, kSdes, kBye, kPli});
  for (std::size_t n = 0; n < d.size(); ++n) {
    const auto c = parse_rtcp_compound(Bytes(d).first(n));
    const bool at_boundary = n == 32 || n == 48 || n == 56;
    if (at_boundary) {
      EXPECT_TRUE(Ok(c)) << n;
    } else {
      EXPECT_TRUE(Fails(c, Errc::syntax)) << n;
    }
  }
}

// SRTCP (RFC 3711 3.4): the first 8 octets are clear, the rest of the
// compound is encrypted and the E flag with the index, then the tag follow.
TEST(RtcpHeader, SrtcpPassesOnlyTheHeaderCheck) {
  const Octets srtcp = cat({{0x81, 0xc9, 0x00, 0x07, 0x55, 0x66, 0x77, 0x88}, Octets(24, 0xf3),  // RR, encrypted block
                      Octets(16, 0xe1),                                                     // encrypted SDES
                      {0x80, 0x00, 0x00, 0x01},                                             // E, index 1
                      Octets(10, 0x5a)});                                                   // HMAC-SHA1-80 tag
  EXPECT_TRUE(Fails(parse_rtcp_compound(srtcp), Errc::syntax));
  const auto h = parse_rtcp_header(srtcp);
  ASSERT_TRUE(Ok(h));
  EXPECT_EQ(*h, (RtcpPacket{RtcpType::rr, 1, false, 0, 32, 0x55667788}));
}

TEST(RtcpHeader, ChecksTheFirstPacket) {
  EXPECT_TRUE(Ok(parse_rtcp_header(kSr)));
  EXPECT_TRUE(Ok(parse_rtcp_header(cat({kEmptyRr, {0xff, 0xff}}))));  // the rest is not read
  EXPECT_TRUE(Fails(parse_rtcp_header({}), Errc::syntax));
  EXPECT_TRUE(Fails(parse_rtcp_header(kSdes), Errc::syntax));
  EXPECT_TRUE(Ok(parse_rtcp_header(kSdes, RtcpSize::reduced)));
  EXPECT_TRUE(Fails(parse_rtcp_header(Bytes(kSr).first(27)), Errc::syntax));
  EXPECT_TRUE(Fails(parse_rtcp_header(Octets{0x40, 0xc8, 0x00, 0x00}), Errc::syntax));
  const auto padded = parse_rtcp_header(Octets{0xa0, 0xc9, 0x00, 0x01, 0x01, 0x02, 0x03, 0x00});
  ASSERT_TRUE(Ok(padded));  // the padding count may be encrypted: not read
  EXPECT_TRUE(padded->padding);
  EXPECT_EQ(padded->ssrc, 0x01020300u);
}

// ---- Telephone events ------------------------------------------------------

TEST(RtpTelephoneEvent, Parse) {
  const auto e = parse_telephone_event(Octets{0x05, 0x8a, 0x03, 0x20});
  ASSERT_TRUE(Ok(e));
  EXPECT_EQ(*e, (TelephoneEvent{5, true, 10, 800}));
  // R is ignored.
  EXPECT_EQ(*parse_telephone_event(Octets{0x05, 0xca, 0x03, 0x20}), (TelephoneEvent{5, true, 10, 800}));
  EXPECT_EQ(*parse_telephone_event(Octets{0x0b, 0x3f, 0xff, 0xff}), (TelephoneEvent{11, false, 63, 0xffff}));
  EXPECT_EQ(*parse_telephone_event(Octets{0x10, 0x00, 0x00, 0x00}), (TelephoneEvent{16, false, 0, 0}));
}

TEST(RtpTelephoneEvent, SeveralEventsGiveTheLast) {
  const auto e = parse_telephone_event(Octets{0x01, 0x8a, 0x06, 0x40, 0x02, 0x0a, 0x01, 0x40});
  ASSERT_TRUE(Ok(e));
  EXPECT_EQ(*e, (TelephoneEvent{2, false, 10, 320}));
  const auto three = parse_telephone_event(Octets{0x01, 0x8a, 0x06, 0x40, 0x02, 0x8a, 0x06, 0x40, 0x03, 0x0a, 0x00, 0xa0});
  ASSERT_TRUE(Ok(three));
  EXPECT_EQ(*three, (TelephoneEvent{3, false, 10, 160}));
}

TEST(RtpTelephoneEvent, BadSizes) {
  for (std::size_t n : {0u, 1u, 3u, 5u, 6u, 7u, 9u}) {
    SCOPED_TRACE(n);
    const auto e = parse_telephone_event(Octets(n, 0x01));
    ASSERT_TRUE(Fails(e, Errc::syntax));
    EXPECT_TRUE(starts_with(e.error().detail, "telephone-event payload of")) << e.error().detail;
  }
}

TEST(RtpTelephoneEvent, WriteRoundTrips) {
  const TelephoneEvent events[] = {{0, false, 0, 0}, {11, true, 63, 0xffff}, {16, false, 7, 1234}, {255, true, 1, 1}};
  for (const auto& e : events) {
    Octets out;
    write_telephone_event(e, out);
    ASSERT_EQ(out.size(), kTelephoneEventSize);
    const auto back = parse_telephone_event(out);
    ASSERT_TRUE(Ok(back));
    EXPECT_EQ(*back, e);
  }
  Octets out = {0xaa};
  write_telephone_event({9, true, 10, 800}, out);
  EXPECT_EQ(out, (Octets{0xaa, 0x09, 0x8a, 0x03, 0x20}));
  out.clear();
  write_telephone_event({1, false, 0xff, 2}, out);  // volume cut to 6 bits, R stays 0
  EXPECT_EQ(out, (Octets{0x01, 0x3f, 0x00, 0x02}));
}

TEST(RtpTelephoneEvent, DtmfDigits) {
  const std::string digits = "0123456789*#ABCD";
  for (std::uint8_t e = 0; e < 16; ++e) {
    EXPECT_EQ(dtmf_digit(e), digits[e]);
    EXPECT_EQ(dtmf_event(digits[e]), e);
  }
  EXPECT_EQ(dtmf_digit(16), '\0');  // flash
  EXPECT_EQ(dtmf_digit(255), '\0');
  EXPECT_EQ(dtmf_event('a'), 12);
  EXPECT_EQ(dtmf_event('d'), 15);
  EXPECT_FALSE(dtmf_event('e'));
  EXPECT_FALSE(dtmf_event('E'));
  EXPECT_FALSE(dtmf_event('\0'));
  EXPECT_FALSE(dtmf_event(' '));
}

// ---- Sequence numbers ------------------------------------------------------

TEST(RtpSequence, Delta) {
  EXPECT_EQ(sequence_delta(65535, 0), 1);
  EXPECT_EQ(sequence_delta(0, 65535), -1);
  EXPECT_EQ(sequence_delta(65530, 5), 11);
  EXPECT_EQ(sequence_delta(7, 7), 0);
  EXPECT_EQ(sequence_delta(1000, 900), -100);
  EXPECT_EQ(sequence_delta(0, 32767), 32767);
  EXPECT_EQ(sequence_delta(0, 32768), -32768);
}

ReceptionStats fed(std::initializer_list<std::uint16_t> seqs) {
  ReceptionStats s;
  for (auto q : seqs) s.on_packet(q);
  return s;
}

TEST(RtpReceptionStats, Nothing) {
  const ReceptionStats s;
  EXPECT_EQ(s.received(), 0u);
  EXPECT_EQ(s.expected(), 0u);
  EXPECT_EQ(s.lost(), 0);
}

TEST(RtpReceptionStats, InOrderAcrossTheWrap) {
  const auto s = fed({65534, 65535, 0, 1});
  EXPECT_EQ(s.received(), 4u);
  EXPECT_EQ(s.extended_highest(), 65537u);
  EXPECT_EQ(s.expected(), 4u);
  EXPECT_EQ(s.lost(), 0);
}

TEST(RtpReceptionStats, LossAcrossTheWrap) {
  const auto s = fed({65530, 65531, 2, 3});
  EXPECT_EQ(s.received(), 4u);
  EXPECT_EQ(s.extended_highest(), 65539u);
  EXPECT_EQ(s.expected(), 10u);
  EXPECT_EQ(s.lost(), 6);
}

TEST(RtpReceptionStats, ThreeCycles) {
  ReceptionStats s;
  for (std::uint32_t i = 0; i <= 200000; i += 1000) s.on_packet(static_cast<std::uint16_t>(i));
  EXPECT_EQ(s.extended_highest(), 200000u);
  EXPECT_EQ(s.expected(), 200001u);
  EXPECT_EQ(s.received(), 201u);
  EXPECT_EQ(s.lost(), 200001 - 201);
}

TEST(RtpReceptionStats, LateAndDuplicate) {
  const auto late = fed({10, 12, 11});
  EXPECT_EQ(late.extended_highest(), 12u);
  EXPECT_EQ(late.expected(), 3u);
  EXPECT_EQ(late.lost(), 0);
  const auto dup = fed({10, 10, 11});
  EXPECT_EQ(dup.received(), 3u);
  EXPECT_EQ(dup.expected(), 2u);
  EXPECT_EQ(dup.lost(), -1);
}

TEST(RtpReceptionStats, ALoneJumpIsIgnored) {
  const auto s = fed({10, 11, 5000, 12});
  EXPECT_EQ(s.received(), 3u);
  EXPECT_EQ(s.extended_highest(), 12u);
  EXPECT_EQ(s.lost(), 0);
}

TEST(RtpReceptionStats, AJumpConfirmedRestarts) {
  const auto s = fed({10, 11, 5000, 5001, 5002});
  EXPECT_EQ(s.received(), 2u);
  EXPECT_EQ(s.extended_highest(), 5002u);
  EXPECT_EQ(s.expected(), 2u);
  EXPECT_EQ(s.lost(), 0);
}

}  // namespace
}  // namespace parley::rtp
