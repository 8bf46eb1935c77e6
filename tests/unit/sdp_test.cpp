// sdp: parse / serialize on descriptions shaped like real ones (a desk
// phone, a WebRTC offer, SRTP with SDES, hold, IPv6, multicast with every
// session line), malformed ones asserting the error code and the line the
// detail names, the attribute helpers and the media relay's edits.
//
// parse() takes a whole body (its length is known from Content-Length), so
// there is no byte-at-a-time case; every prefix of every valid case is
// parsed instead (a cut description must fail cleanly or be a description).
// The tables seed tests/fuzz/corpus/sdp_fuzz/: PARLEY_WRITE_SEEDS=DIR
// writes them there (SdpSeeds.Write).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "sdp/sdp.h"
#include "tests/support/result_assert.h"

namespace parley::sdp {
namespace {

using testkit::Fails;
using testkit::Ok;

const std::string kDeskPhone =
    "v=0\r\n"
    "o=- 20518 0 IN IP4 198.51.100.10\r\n"
    "s=SDP Data\r\n"
    "c=IN IP4 198.51.100.10\r\n"
    "t=0 0\r\n"
    "m=audio 11780 RTP/AVP 0 8 101\r\n"
    "a=rtpmap:0 PCMU/8000\r\n"
    "a=rtpmap:8 PCMA/8000\r\n"
    "a=rtpmap:101 telephone-event/8000\r\n"
    "a=fmtp:101 0-15\r\n"
    "a=ptime:20\r\n"
    "a=sendrecv\r\n";

const std::string kWebRtc =
    "v=0\r\n"
    "o=- 4611731400430051336 2 IN IP4 127.0.0.1\r\n"
    "s=-\r\n"
    "t=0 0\r\n"
    "a=group:BUNDLE 0 1 2\r\n"
    "a=extmap-allow-mixed\r\n"
    "a=msid-semantic: WMS stream1\r\n"
    "m=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8 110\r\n"
    "c=IN IP4 0.0.0.0\r\n"
    "a=rtcp:9 IN IP4 0.0.0.0\r\n"
    "a=candidate:1467250027 1 udp 2122260223 192.0.2.10 46243 typ host generation 0 network-id 1\r\n"
    "a=candidate:2169522962 1 udp 1686052607 203.0.113.5 46243 typ srflx raddr 192.0.2.10 rport 46243 generation 0\r\n"
    "a=candidate:3 1 udp 2113937151 4e3a0f12-8c1b-4a9f-9d4e-0a1b2c3d4e5f.local 51234 typ host generation 0\r\n"
    "a=candidate:4 1 tcp 1518280447 192.0.2.10 9 typ host tcptype active generation 0\r\n"
    "a=ice-ufrag:EsAw\r\n"
    "a=ice-pwd:P2uYro0UCOQ4zxjKXaWCBui1\r\n"
    "a=ice-options:trickle\r\n"
    "a=fingerprint:sha-256 D2:FA:0E:C3:22:59:5E:14:95:69:92:3D:13:B4:84:24:2C:C2:A2:C0:3E:FD:34:8E:5E:EA:6F:AF:52:CE:E6:0F\r\n"
    "a=setup:actpass\r\n"
    "a=mid:0\r\n"
    "a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n"
    "a=sendrecv\r\n"
    "a=msid:stream1 track1\r\n"
    "a=rtcp-mux\r\n"
    "a=rtpmap:111 opus/48000/2\r\n"
    "a=rtcp-fb:111 transport-cc\r\n"
    "a=fmtp:111 minptime=10;useinbandfec=1\r\n"
    "a=rtpmap:63 red/48000/2\r\n"
    "a=fmtp:63 111/111\r\n"
    "a=rtpmap:9 G722/8000\r\n"
    "a=rtpmap:0 PCMU/8000\r\n"
    "a=rtpmap:8 PCMA/8000\r\n"
    "a=rtpmap:110 telephone-event/48000\r\n"
    "a=ssrc:3735928559 cname:4TOk42mSjXCkVIa6\r\n"
    "m=video 9 UDP/TLS/RTP/SAVPF 96 97\r\n"
    "c=IN IP4 0.0.0.0\r\n"
    "a=rtcp:9 IN IP4 0.0.0.0\r\n"
    "a=ice-ufrag:EsAw\r\n"
    "a=ice-pwd:P2uYro0UCOQ4zxjKXaWCBui1\r\n"
    "a=fingerprint:sha-256 D2:FA:0E:C3:22:59:5E:14:95:69:92:3D:13:B4:84:24:2C:C2:A2:C0:3E:FD:34:8E:5E:EA:6F:AF:52:CE:E6:0F\r\n"
    "a=setup:actpass\r\n"
    "a=mid:1\r\n"
    "a=recvonly\r\n"
    "a=rtcp-mux\r\n"
    "a=rtcp-rsize\r\n"
    "a=rtpmap:96 VP8/90000\r\n"
    "a=rtcp-fb:96 nack pli\r\n"
    "a=rtpmap:97 rtx/90000\r\n"
    "a=fmtp:97 apt=96\r\n"
    "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n"
    "c=IN IP4 0.0.0.0\r\n"
    "a=ice-ufrag:EsAw\r\n"
    "a=ice-pwd:P2uYro0UCOQ4zxjKXaWCBui1\r\n"
    "a=fingerprint:sha-256 D2:FA:0E:C3:22:59:5E:14:95:69:92:3D:13:B4:84:24:2C:C2:A2:C0:3E:FD:34:8E:5E:EA:6F:AF:52:CE:E6:0F\r\n"
    "a=setup:actpass\r\n"
    "a=mid:2\r\n"
    "a=sctp-port:5000\r\n"
    "a=max-message-size:262144\r\n";

// RFC 4568's example keys.
const std::string kSrtp =
    "v=0\r\n"
    "o=alice 2890844526 2890844526 IN IP4 192.0.2.20\r\n"
    "s=-\r\n"
    "c=IN IP4 192.0.2.20\r\n"
    "t=0 0\r\n"
    "m=audio 49170 RTP/SAVP 0 101\r\n"
    "a=rtpmap:0 PCMU/8000\r\n"
    "a=rtpmap:101 telephone-event/8000\r\n"
    "a=fmtp:101 0-16\r\n"
    "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:4\r\n"
    "a=crypto:2 AES_CM_128_HMAC_SHA1_32 "
    "inline:NzB4d1BINUAvLEw6UzF3WSJ+PSdFcGdUJShpX1Zj|2^20|1:4;inline:QUJjZGVmMTIzNDU2Nzg5QUJDREUwMTIzNDU2Nzg5|2^20|2:4 "
    "FEC_ORDER=FEC_SRTP\r\n";

// Hold (RFC 3264 8.4): the session says sendonly, video is inactive.
const std::string kHold =
    "v=0\r\n"
    "o=bob 2808844564 2808844565 IN IP4 198.51.100.30\r\n"
    "s= \r\n"
    "c=IN IP4 198.51.100.30\r\n"
    "t=0 0\r\n"
    "a=sendonly\r\n"
    "m=audio 49172 RTP/AVP 0\r\n"
    "a=rtpmap:0 PCMU/8000\r\n"
    "m=video 0 RTP/AVP 31\r\n"
    "a=inactive\r\n";

const std::string kIpv6 =
    "v=0\r\n"
    "o=- 1 1 IN IP6 2001:db8::1\r\n"
    "s=-\r\n"
    "c=IN IP6 2001:db8::1\r\n"
    "t=0 0\r\n"
    "m=audio 5004 RTP/AVP 9\r\n"
    "a=rtpmap:9 G722/8000\r\n"
    "a=rtcp:5005 IN IP6 2001:db8::1\r\n";

// Every session line, multicast suffixes, a port count, r= and z= lines,
// two time descriptions, media-level c= twice, i=, b=, k=.
const std::string kEveryLine =
    "v=0\r\n"
    "o=jdoe 3724394400 3724394405 IN IP4 198.51.100.1\r\n"
    "s=Seminar\r\n"
    "i=A Seminar on the session description protocol\r\n"
    "u=http://www.example.com/seminars/sdp.pdf\r\n"
    "e=j.doe@example.com (Jane Doe)\r\n"
    "e=Jane Doe <jane@jdoe.example.com>\r\n"
    "p=+1 617 555-6011\r\n"
    "c=IN IP4 233.252.0.1/127\r\n"
    "b=CT:256\r\n"
    "t=2873397496 2873404696\r\n"
    "r=7d 1h 0 25h\r\n"
    "r=604800 3600 0 90000\r\n"
    "z=2882844526 -1h 2898848070 0\r\n"
    "t=3034423619 3042462419\r\n"
    "k=prompt\r\n"
    "a=recvonly\r\n"
    "a=tool:x:y\r\n"
    "a=empty:\r\n"
    "m=video 51372/2 RTP/AVP 99\r\n"
    "b=AS:128\r\n"
    "a=rtpmap:99 h263-1998/90000\r\n"
    "m=audio 49230 RTP/AVP 96\r\n"
    "i=main audio\r\n"
    "c=IN IP4 233.252.0.1/127\r\n"
    "c=IN IP4 233.252.0.2/127\r\n"
    "b=AS:64\r\n"
    "k=clear:secret\r\n"
    "a=rtpmap:96 L16/16000/2\r\n";

struct Named {
  const char* name;
  const std::string* text;
};
const Named kValid[] = {{"desk_phone", &kDeskPhone}, {"webrtc", &kWebRtc}, {"srtp", &kSrtp},
                        {"hold", &kHold},            {"ipv6", &kIpv6},     {"every_line", &kEveryLine}};

std::string bare_lf(std::string s) {
  std::string out;
  for (char c : s) {
    if (c != '\r') out += c;
  }
  return out;
}

TEST(SdpParse, ValidRoundTripExactly) {
  for (const auto& v : kValid) {
    SCOPED_TRACE(v.name);
    const auto s = parse(*v.text);
    ASSERT_TRUE(Ok(s));
    EXPECT_EQ(serialize(*s), *v.text);
    // Bare LF reads the same, a missing last line ending and trailing
    // empty lines too; the output is CRLF.
    const auto lf = parse(bare_lf(*v.text));
    ASSERT_TRUE(Ok(lf));
    EXPECT_TRUE(*lf == *s);
    EXPECT_EQ(serialize(*lf), *v.text);
    const std::string unended = v.text->substr(0, v.text->size() - 2);
    const auto u = parse(unended);
    ASSERT_TRUE(Ok(u));
    EXPECT_TRUE(*u == *s);
    const auto trailing = parse(*v.text + "\r\n\n");
    ASSERT_TRUE(Ok(trailing));
    EXPECT_TRUE(*trailing == *s);
  }
}

TEST(SdpParse, EveryPrefixFailsCleanlyOrParses) {
  for (const auto& v : kValid) {
    SCOPED_TRACE(v.name);
    for (std::size_t n = 0; n < v.text->size(); ++n) {
      const auto s = parse(std::string_view(*v.text).substr(0, n));
      if (!s) {
        EXPECT_EQ(s.code(), Errc::syntax) << n << ": " << s.error().detail;
      }
    }
  }
}

TEST(SdpParse, NonCanonicalIsNormalized) {
  const auto s = parse("v=0\no=- 1 1 IN IP4 192.0.2.1\ns=-\nc=IN IP4 192.0.2.1\nb=AS:064\nt=00 0\nm=audio 0049170 RTP/AVP 0\n");
  ASSERT_TRUE(Ok(s));
  EXPECT_EQ(s->media[0].port, 49170);
  EXPECT_EQ(serialize(*s),
            "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nb=AS:64\r\nt=0 0\r\nm=audio 49170 RTP/AVP 0\r\n");
}

TEST(SdpParse, DeskPhone) {
  const auto s = parse(kDeskPhone);
  ASSERT_TRUE(Ok(s));
  EXPECT_EQ(s->origin, (Origin{"-", "20518", "0", "IN", "IP4", "198.51.100.10"}));
  EXPECT_EQ(s->name, "SDP Data");
  ASSERT_TRUE(s->connection);
  EXPECT_EQ(*s->connection, (Connection{"IN", "IP4", "198.51.100.10"}));
  ASSERT_EQ(s->timings.size(), 1u);
  EXPECT_EQ(s->timings[0].start, 0u);
  ASSERT_EQ(s->media.size(), 1u);
  const Media& m = s->media[0];
  EXPECT_EQ(m.type, "audio");
  EXPECT_EQ(m.port, 11780);
  EXPECT_FALSE(m.port_count);
  EXPECT_EQ(m.proto, "RTP/AVP");
  EXPECT_EQ(m.formats, (std::vector<std::string>{"0", "8", "101"}));
  EXPECT_EQ(rtpmap(m, "0"), (RtpMap{0, "PCMU", 8000, std::nullopt}));
  EXPECT_EQ(rtpmap(m, "8"), (RtpMap{8, "PCMA", 8000, std::nullopt}));
  EXPECT_EQ(rtpmap(m, "101"), (RtpMap{101, "telephone-event", 8000, std::nullopt}));
  EXPECT_FALSE(rtpmap(m, "18"));
  EXPECT_EQ(fmtp(m, "101"), (Fmtp{"101", "0-15"}));
  EXPECT_FALSE(fmtp(m, "0"));
  EXPECT_EQ(ptime(m), 20u);
  EXPECT_EQ(direction(*s, m), Direction::sendrecv);
  EXPECT_FALSE(rtcp(m));
  EXPECT_FALSE(rtcp_mux(m));
  EXPECT_FALSE(mid(m));
  EXPECT_TRUE(candidates(m).empty());
  EXPECT_FALSE(setup(*s, m));
}

TEST(SdpParse, WebRtcOffer) {
  const auto s = parse(kWebRtc);
  ASSERT_TRUE(Ok(s));
  EXPECT_FALSE(s->connection);
  EXPECT_EQ(attribute_values(s->attributes, "group"), (std::vector<std::string_view>{"BUNDLE 0 1 2"}));
  EXPECT_EQ(attribute_values(s->attributes, "msid-semantic"), (std::vector<std::string_view>{" WMS stream1"}));
  EXPECT_EQ(attribute_values(s->attributes, "extmap-allow-mixed"), (std::vector<std::string_view>{""}));
  ASSERT_EQ(s->media.size(), 3u);
  const Media& audio = s->media[0];
  EXPECT_EQ(audio.proto, "UDP/TLS/RTP/SAVPF");
  EXPECT_EQ(mid(audio), "0");
  EXPECT_TRUE(rtcp_mux(audio));
  EXPECT_EQ(rtcp(audio), (Rtcp{9, Connection{"IN", "IP4", "0.0.0.0"}}));
  EXPECT_EQ(rtpmap(audio, "111"), (RtpMap{111, "opus", 48000, "2"}));
  EXPECT_EQ(fmtp(audio, "111"), (Fmtp{"111", "minptime=10;useinbandfec=1"}));
  EXPECT_EQ(direction(*s, audio), Direction::sendrecv);
  EXPECT_EQ(setup(*s, audio), Setup::actpass);

  const auto cands = candidates(audio);
  ASSERT_EQ(cands.size(), 4u);
  EXPECT_EQ(cands[0], (Candidate{"1467250027", 1, "udp", 2122260223u, "192.0.2.10", 46243, "host", std::nullopt,
                                 std::nullopt, {{"generation", "0"}, {"network-id", "1"}}}));
  EXPECT_EQ(cands[1].type, "srflx");
  EXPECT_EQ(cands[1].related_address, "192.0.2.10");
  EXPECT_EQ(cands[1].related_port, 46243);
  EXPECT_EQ(cands[2].address, "4e3a0f12-8c1b-4a9f-9d4e-0a1b2c3d4e5f.local");
  EXPECT_EQ(cands[3].transport, "tcp");
  EXPECT_EQ(cands[3].extensions[0], (std::pair<std::string, std::string>{"tcptype", "active"}));

  const auto fps = fingerprints(*s, audio);
  ASSERT_EQ(fps.size(), 1u);
  EXPECT_EQ(fps[0].hash, "sha-256");
  EXPECT_EQ(fps[0].value.size(), 32u * 3 - 1);

  const Media& video = s->media[1];
  EXPECT_EQ(direction(*s, video), Direction::recvonly);
  EXPECT_EQ(rtpmap(video, "97"), (RtpMap{97, "rtx", 90000, std::nullopt}));
  EXPECT_EQ(fmtp(video, "97"), (Fmtp{"97", "apt=96"}));

  const Media& data = s->media[2];
  EXPECT_EQ(data.type, "application");
  EXPECT_EQ(data.formats, (std::vector<std::string>{"webrtc-datachannel"}));
  EXPECT_EQ(attribute_values(data.attributes, "sctp-port"), (std::vector<std::string_view>{"5000"}));
}

TEST(SdpParse, SrtpSdes) {
  const auto s = parse(kSrtp);
  ASSERT_TRUE(Ok(s));
  const auto c = cryptos(s->media[0]);
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[0], (Crypto{1, "AES_CM_128_HMAC_SHA1_80", {"inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:4"}, {}}));
  EXPECT_EQ(c[1].tag, 2u);
  EXPECT_EQ(c[1].suite, "AES_CM_128_HMAC_SHA1_32");
  ASSERT_EQ(c[1].key_params.size(), 2u);
  EXPECT_EQ(c[1].key_params[1], "inline:QUJjZGVmMTIzNDU2Nzg5QUJDREUwMTIzNDU2Nzg5|2^20|2:4");
  EXPECT_EQ(c[1].session_params, (std::vector<std::string>{"FEC_ORDER=FEC_SRTP"}));
}

TEST(SdpParse, Hold) {
  const auto s = parse(kHold);
  ASSERT_TRUE(Ok(s));
  EXPECT_EQ(s->name, " ");
  EXPECT_EQ(direction(*s, s->media[0]), Direction::sendonly);  // from the session
  EXPECT_EQ(direction(*s, s->media[1]), Direction::inactive);
  EXPECT_EQ(s->media[1].port, 0);
}

TEST(SdpParse, Ipv6) {
  const auto s = parse(kIpv6);
  ASSERT_TRUE(Ok(s));
  EXPECT_EQ(s->origin.addr_type, "IP6");
  EXPECT_EQ(*s->connection, (Connection{"IN", "IP6", "2001:db8::1"}));
  EXPECT_EQ(rtcp(s->media[0]), (Rtcp{5005, Connection{"IN", "IP6", "2001:db8::1"}}));
}

TEST(SdpParse, EveryLine) {
  const auto s = parse(kEveryLine);
  ASSERT_TRUE(Ok(s));
  EXPECT_EQ(s->info, "A Seminar on the session description protocol");
  EXPECT_EQ(s->uri, "http://www.example.com/seminars/sdp.pdf");
  EXPECT_EQ(s->emails.size(), 2u);
  EXPECT_EQ(s->phones, (std::vector<std::string>{"+1 617 555-6011"}));
  EXPECT_EQ(s->connection->address, "233.252.0.1/127");
  EXPECT_EQ(s->bandwidths, (std::vector<Bandwidth>{{"CT", 256}}));
  ASSERT_EQ(s->timings.size(), 2u);
  EXPECT_EQ(s->timings[0].start, 2873397496u);
  EXPECT_EQ(s->timings[0].repeats.size(), 2u);
  EXPECT_EQ(s->timings[0].zones, "2882844526 -1h 2898848070 0");
  EXPECT_FALSE(s->timings[1].zones);
  EXPECT_EQ(s->key, "prompt");
  EXPECT_EQ(find_attribute(s->attributes, "tool")->value, "x:y");
  EXPECT_EQ(find_attribute(s->attributes, "empty")->value, "");
  EXPECT_FALSE(find_attribute(s->attributes, "recvonly")->value);
  EXPECT_EQ(s->media[0].port_count, 2u);
  EXPECT_EQ(s->media[0].bandwidths, (std::vector<Bandwidth>{{"AS", 128}}));
  EXPECT_EQ(s->media[1].title, "main audio");
  EXPECT_EQ(s->media[1].connections.size(), 2u);
  EXPECT_EQ(s->media[1].key, "clear:secret");
  EXPECT_EQ(rtpmap(s->media[1], "96"), (RtpMap{96, "L16", 16000, "2"}));
  EXPECT_EQ(connection_for(*s, s->media[0]), &*s->connection);
  EXPECT_EQ(connection_for(*s, s->media[1]), &s->media[1].connections[0]);
  Session bare;
  EXPECT_EQ(connection_for(bare, Media{}), nullptr);
}

TEST(SdpParse, ZoneAfterAllTimesAsRfc4566Wrote) {
  const auto s = parse("v=0\r\no=- 1 1 IN IP4 a\r\ns=-\r\nc=IN IP4 a\r\nt=1 2\r\nt=3 4\r\nz=5 -1h\r\n");
  ASSERT_TRUE(Ok(s));
  EXPECT_EQ(s->timings[1].zones, "5 -1h");
}

struct Malformed {
  const char* name;
  std::string text;
  Errc code;
  const char* detail;  // the detail starts with this
};

const std::string kHead = "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n";

std::string repeated(const std::string& line, std::size_t n) {
  std::string out;
  for (std::size_t i = 0; i < n; ++i) out += line;
  return out;
}

const std::vector<Malformed>& malformed() {
  static const std::vector<Malformed> cases = {
      {"empty", "", Errc::syntax, "empty description"},
      {"only_blank", "\r\n", Errc::syntax, "line 1: description ends before s="},
      {"missing_v", "o=- 1 1 IN IP4 a\r\ns=-\r\nt=0 0\r\n", Errc::syntax, "line 1: the description must start"},
      {"v_not_0", "v=1\r\no=- 1 1 IN IP4 a\r\ns=-\r\nt=0 0\r\n", Errc::syntax, "line 1: v= must be 0"},
      {"s_before_o", "v=0\r\ns=-\r\no=- 1 1 IN IP4 a\r\nt=0 0\r\n", Errc::syntax, "line 2: expected o="},
      {"second_v", "v=0\r\nv=0\r\n", Errc::syntax, "line 2: expected o="},
      {"missing_s", "v=0\r\no=- 1 1 IN IP4 a\r\nt=0 0\r\n", Errc::syntax, "line 3: expected s="},
      {"ends_before_s", "v=0\r\no=- 1 1 IN IP4 a\r\n", Errc::syntax, "line 2: description ends before s="},
      {"origin_five_fields", "v=0\r\no=- 1 1 IN IP4\r\ns=-\r\nt=0 0\r\n", Errc::syntax, "line 2: o= needs six"},
      {"origin_double_space", "v=0\r\no=-  1 1 IN IP4 a\r\ns=-\r\nt=0 0\r\n", Errc::syntax, "line 2: o= needs six"},
      {"origin_id_not_numeric", "v=0\r\no=- abc 1 IN IP4 a\r\ns=-\r\nt=0 0\r\n", Errc::syntax, "line 2: o= session id"},
      {"no_t", "v=0\r\no=- 1 1 IN IP4 a\r\ns=-\r\nc=IN IP4 a\r\n", Errc::syntax, "no t= line"},
      {"m_before_t", "v=0\r\no=- 1 1 IN IP4 a\r\ns=-\r\nc=IN IP4 a\r\nm=audio 1 RTP/AVP 0\r\n", Errc::syntax,
       "line 5: m= before any t="},
      {"c_after_t", "v=0\r\no=- 1 1 IN IP4 a\r\ns=-\r\nt=0 0\r\nc=IN IP4 a\r\n", Errc::syntax, "line 5: c= out of order"},
      {"a_before_b", kHead + "a=x\r\nb=AS:1\r\n", Errc::syntax, "line 7: b= out of order"},
      {"second_session_c", "v=0\r\no=- 1 1 IN IP4 a\r\ns=-\r\nc=IN IP4 a\r\nc=IN IP4 b\r\nt=0 0\r\n", Errc::syntax,
       "line 5: second c="},
      {"r_before_t", "v=0\r\no=- 1 1 IN IP4 a\r\ns=-\r\nr=1 2 3\r\n", Errc::syntax, "line 4: r= before any t="},
      {"r_after_z", kHead + "z=1 -1h\r\nr=1 2 3\r\n", Errc::syntax, "line 7: r= after z="},
      {"second_z", kHead + "z=1 -1h\r\nz=1 -1h\r\n", Errc::syntax, "line 7: second z="},
      {"t_not_numeric", "v=0\r\no=- 1 1 IN IP4 a\r\ns=-\r\nt=now 0\r\n", Errc::syntax, "line 4: t= times"},
      {"t_one_field", "v=0\r\no=- 1 1 IN IP4 a\r\ns=-\r\nt=0\r\n", Errc::syntax, "line 4: t= needs"},
      {"b_not_numeric", kHead + "m=audio 1 RTP/AVP 0\r\nb=AS:lots\r\n", Errc::syntax, "line 7: b= bandwidth"},
      {"b_no_colon", kHead + "m=audio 1 RTP/AVP 0\r\nb=AS\r\n", Errc::syntax, "line 7: b= needs"},
      {"c_two_fields", kHead + "m=audio 1 RTP/AVP 0\r\nc=IN IP4\r\n", Errc::syntax, "line 7: c= needs"},
      {"port_too_big", kHead + "m=audio 65536 RTP/AVP 0\r\n", Errc::syntax, "line 6: m= port must be"},
      {"port_negative", kHead + "m=audio -1 RTP/AVP 0\r\n", Errc::syntax, "line 6: m= port must be"},
      {"port_not_numeric", kHead + "m=audio http RTP/AVP 0\r\n", Errc::syntax, "line 6: m= port must be"},
      {"port_count_zero", kHead + "m=audio 5000/0 RTP/AVP 0\r\n", Errc::syntax, "line 6: m= port count"},
      {"m_no_format", kHead + "m=audio 5000 RTP/AVP\r\n", Errc::syntax, "line 6: m= needs"},
      {"m_trailing_space", kHead + "m=audio 5000 RTP/AVP 0 \r\n", Errc::syntax, "line 6: m= needs"},
      {"m_bad_proto", kHead + "m=audio 5000 RTP//AVP 0\r\n", Errc::syntax, "line 6: m= proto"},
      {"media_order", kHead + "m=audio 1 RTP/AVP 0\r\na=sendrecv\r\nc=IN IP4 a\r\n", Errc::syntax,
       "line 8: c= out of order in a media section"},
      {"media_second_i", kHead + "m=audio 1 RTP/AVP 0\r\ni=a\r\ni=b\r\n", Errc::syntax, "line 8: second i="},
      {"session_line_in_media", kHead + "m=audio 1 RTP/AVP 0\r\nu=http://x\r\n", Errc::syntax,
       "line 7: u= is not allowed in a media section"},
      {"media_without_connection", "v=0\r\no=- 1 1 IN IP4 a\r\ns=-\r\nt=0 0\r\nm=audio 1 RTP/AVP 0\r\nc=IN IP4 a\r\n"
                                   "m=video 2 RTP/AVP 31\r\n",
       Errc::syntax, "media section 2 has no c="},
      {"attribute_no_name", kHead + "a=:x\r\n", Errc::syntax, "line 6: a= name"},
      {"attribute_name_space", kHead + "a=send recv\r\n", Errc::syntax, "line 6: a= name"},
      {"unknown_letter", kHead + "x=1\r\n", Errc::syntax, "line 6: unknown line type 'x'"},
      {"uppercase_letter", kHead + "A=1\r\n", Errc::syntax, "line 6: unknown line type 'A'"},
      {"no_equals", kHead + "a sendrecv\r\n", Errc::syntax, "line 6: not <letter>=<value>"},
      {"space_before_equals", kHead + "a =sendrecv\r\n", Errc::syntax, "line 6: not <letter>=<value>"},
      {"nul_byte", kHead + std::string("a=x\0y\r\n", 7), Errc::syntax, "line 6: NUL byte"},
      {"lone_cr", kHead + "a=x\ry\r\n", Errc::syntax, "line 6: CR not before LF"},
      {"empty_line_inside", kHead + "\r\na=x\r\n", Errc::syntax, "line 6: empty line"},
      {"too_big", kHead + "a=x:" + std::string(1024 * 1024, 'y') + "\r\n", Errc::limit, "description of"},
      {"line_too_long", kHead + "a=x:" + std::string(kMaxLine, 'y') + "\r\n", Errc::limit, "line 6: line of"},
      {"too_many_lines", kHead + repeated("a=x\r\n", kMaxLines), Errc::limit, "line 4097: more than 4096 lines"},
      {"too_many_media", kHead + repeated("m=audio 0 RTP/AVP 0\r\n", kMaxMedia + 1), Errc::limit,
       "line 134: more than 128 media sections"},
  };
  return cases;
}

TEST(SdpParse, Malformed) {
  for (const auto& m : malformed()) {
    SCOPED_TRACE(m.name);
    const auto s = parse(m.text);
    ASSERT_TRUE(Fails(s, m.code));
    EXPECT_EQ(s.error().detail.rfind(m.detail, 0), 0u) << s.error().detail;
  }
}

TEST(SdpAttributes, RtpMapAndFmtp) {
  EXPECT_TRUE(Ok(parse_rtpmap("0 PCMU/8000")));
  EXPECT_TRUE(Fails(parse_rtpmap("128 x/8000"), Errc::syntax));
  EXPECT_TRUE(Fails(parse_rtpmap("0 PCMU"), Errc::syntax));
  EXPECT_TRUE(Fails(parse_rtpmap("0 PCMU/fast"), Errc::syntax));
  EXPECT_TRUE(Fails(parse_rtpmap("0 PCMU/8000/"), Errc::syntax));
  EXPECT_TRUE(Fails(parse_rtpmap("x PCMU/8000"), Errc::syntax));
  EXPECT_TRUE(Fails(parse_rtpmap(" PCMU/8000"), Errc::syntax));
  EXPECT_EQ(*parse_fmtp("101 0-16"), (Fmtp{"101", "0-16"}));
  EXPECT_TRUE(Fails(parse_fmtp("101"), Errc::syntax));
}

TEST(SdpAttributes, Candidate) {
  EXPECT_TRUE(Ok(parse_candidate("1 1 UDP 2130706431 10.0.1.1 8998 typ host")));
  EXPECT_TRUE(Fails(parse_candidate("1 1 UDP 2130706431 10.0.1.1 8998 host"), Errc::syntax));
  EXPECT_TRUE(Fails(parse_candidate("1 0 UDP 2130706431 10.0.1.1 8998 typ host"), Errc::syntax));
  EXPECT_TRUE(Fails(parse_candidate("1 1 UDP 4294967296 10.0.1.1 8998 typ host"), Errc::syntax));
  EXPECT_TRUE(Fails(parse_candidate("1 1 UDP 1 10.0.1.1 99999 typ host"), Errc::syntax));
  EXPECT_TRUE(Fails(parse_candidate("1 1 UDP 1 10.0.1.1 9 typ relay raddr 1.2.3.4 rport x"), Errc::syntax));
  EXPECT_TRUE(Fails(parse_candidate("1 1 UDP 1 10.0.1.1 9 typ host generation"), Errc::syntax));
}

TEST(SdpAttributes, CryptoFingerprintRtcp) {
  EXPECT_TRUE(Fails(parse_crypto("1 AES_CM_128_HMAC_SHA1_80"), Errc::syntax));
  EXPECT_TRUE(Fails(parse_crypto("x AES_CM_128_HMAC_SHA1_80 inline:abc"), Errc::syntax));
  EXPECT_TRUE(Fails(parse_crypto("1234567890 AES_CM_128_HMAC_SHA1_80 inline:abc"), Errc::syntax));
  EXPECT_TRUE(Fails(parse_crypto("1 AES_CM_128_HMAC_SHA1_80 inline"), Errc::syntax));
  EXPECT_TRUE(Fails(parse_crypto("1 AES_CM_128_HMAC_SHA1_80 inline:a;"), Errc::syntax));
  EXPECT_EQ(parse_fingerprint("SHA-1 4A:AD:B9:B1:3F:82:18:3B:54:02:12:DF:3E:5D:49:6B:19:E5:7C:AB")->hash, "sha-1");
  EXPECT_TRUE(Fails(parse_fingerprint("sha-256 4A:AD:B"), Errc::syntax));
  EXPECT_TRUE(Fails(parse_fingerprint("sha-256 4A-AD"), Errc::syntax));
  EXPECT_TRUE(Fails(parse_fingerprint("sha-256"), Errc::syntax));
  EXPECT_EQ(*parse_rtcp("53020"), (Rtcp{53020, std::nullopt}));
  EXPECT_TRUE(Fails(parse_rtcp("53020 IN IP4"), Errc::syntax));
  EXPECT_TRUE(Fails(parse_rtcp("70000"), Errc::syntax));
}

TEST(SdpAttributes, DirectionLastOneCounts) {
  auto s = parse(kHead + "a=sendonly\r\nm=audio 1 RTP/AVP 0\r\na=recvonly\r\na=inactive\r\nm=audio 2 RTP/AVP 0\r\n");
  ASSERT_TRUE(Ok(s));
  EXPECT_EQ(direction(*s, s->media[0]), Direction::inactive);
  EXPECT_EQ(direction(*s, s->media[1]), Direction::sendonly);
}

// ---- Edits ----------------------------------------------------------------

TEST(SdpEdit, AnchorDeskPhone) {
  auto s = parse(kDeskPhone);
  ASSERT_TRUE(Ok(s));
  set_connection_address(*s, "IP4", "203.0.113.1");
  set_port(s->media[0], 30000);
  set_direction(s->media[0], Direction::sendonly);
  bump_version(s->origin);
  EXPECT_EQ(serialize(*s),
            "v=0\r\n"
            "o=- 20518 1 IN IP4 198.51.100.10\r\n"
            "s=SDP Data\r\n"
            "c=IN IP4 203.0.113.1\r\n"
            "t=0 0\r\n"
            "m=audio 30000 RTP/AVP 0 8 101\r\n"
            "a=rtpmap:0 PCMU/8000\r\n"
            "a=rtpmap:8 PCMA/8000\r\n"
            "a=rtpmap:101 telephone-event/8000\r\n"
            "a=fmtp:101 0-15\r\n"
            "a=ptime:20\r\n"
            "a=sendonly\r\n");
}

TEST(SdpEdit, AnchorWebRtcMediaConnections) {
  auto s = parse(kWebRtc);
  ASSERT_TRUE(Ok(s));
  set_connection_address(*s, "IP6", "2001:db8::7");
  EXPECT_EQ(*s->connection, (Connection{"IN", "IP6", "2001:db8::7"}));
  for (auto& m : s->media) {
    EXPECT_EQ(m.connections, (std::vector<Connection>{{"IN", "IP6", "2001:db8::7"}}));
    EXPECT_EQ(remove_attributes(m.attributes, "candidate"), m.type == "audio" ? 4u : 0u);
    replace_attribute(m.attributes, "rtcp", "40001 IN IP6 2001:db8::7");
  }
  EXPECT_TRUE(candidates(s->media[0]).empty());
  EXPECT_EQ(rtcp(s->media[0]), (Rtcp{40001, Connection{"IN", "IP6", "2001:db8::7"}}));
  EXPECT_EQ(attribute_values(s->media[2].attributes, "rtcp"), (std::vector<std::string_view>{"40001 IN IP6 2001:db8::7"}));
  const auto again = parse(serialize(*s));
  ASSERT_TRUE(Ok(again));
  EXPECT_TRUE(*again == *s);
}

TEST(SdpEdit, MulticastConnectionsBecomeOne) {
  auto s = parse(kEveryLine);
  ASSERT_TRUE(Ok(s));
  set_connection_address(*s, "IP4", "192.0.2.9");
  EXPECT_EQ(s->connection->address, "192.0.2.9");
  EXPECT_TRUE(s->media[0].connections.empty());  // it had none: the session's applies
  EXPECT_EQ(s->media[1].connections.size(), 1u);
  set_connection(s->media[0], Connection{"IN", "IP4", "192.0.2.10"});
  EXPECT_EQ(s->media[0].connections.size(), 1u);
  set_port(s->media[0], 7000);
  EXPECT_EQ(s->media[0].port_count, 2u);
}

TEST(SdpEdit, SetDirectionReplacesAllInPlace) {
  Media m;
  m.attributes = {{"rtpmap", "0 PCMU/8000"}, {"sendrecv", std::nullopt}, {"ptime", "20"}, {"recvonly", std::nullopt}};
  set_direction(m, Direction::inactive);
  EXPECT_EQ(m.attributes, (std::vector<Attribute>{{"rtpmap", "0 PCMU/8000"}, {"inactive", std::nullopt}, {"ptime", "20"}}));
  Media bare;
  set_direction(bare, Direction::sendonly);
  EXPECT_EQ(bare.attributes, (std::vector<Attribute>{{"sendonly", std::nullopt}}));
}

TEST(SdpEdit, ReplaceAndRemoveAttributes) {
  std::vector<Attribute> a = {{"x", "1"}, {"y", std::nullopt}, {"x", "2"}, {"z", "3"}};
  replace_attribute(a, "x", "9");
  EXPECT_EQ(a, (std::vector<Attribute>{{"x", "9"}, {"y", std::nullopt}, {"z", "3"}}));
  replace_attribute(a, "w", std::nullopt);
  EXPECT_EQ(a.back(), (Attribute{"w", std::nullopt}));
  EXPECT_EQ(remove_attributes(a, "y"), 1u);
  EXPECT_EQ(remove_attributes(a, "y"), 0u);
  EXPECT_EQ(a.size(), 3u);
}

TEST(SdpEdit, BumpVersion) {
  Origin o{"-", "1", "0", "IN", "IP4", "a"};
  bump_version(o);
  EXPECT_EQ(o.session_version, "1");
  o.session_version = "1999";
  bump_version(o);
  EXPECT_EQ(o.session_version, "2000");
  o.session_version = "99";
  bump_version(o);
  EXPECT_EQ(o.session_version, "100");
  o.session_version = "18446744073709551615";
  bump_version(o);
  EXPECT_EQ(o.session_version, "18446744073709551616");
}

// Writes the tables as fuzz seeds when PARLEY_WRITE_SEEDS names a folder.
TEST(SdpSeeds, Write) {
  const char* dir = std::getenv("PARLEY_WRITE_SEEDS");
  if (!dir) GTEST_SKIP() << "PARLEY_WRITE_SEEDS not set";
  const auto write = [&](const std::string& name, const std::string& text) {
    std::ofstream(std::filesystem::path(dir) / name, std::ios::binary) << text;
  };
  for (const auto& v : kValid) {
    write(std::string("valid_") + v.name, *v.text);
    write(std::string("valid_lf_") + v.name, bare_lf(*v.text));
  }
  for (const auto& m : malformed()) {
    if (m.text.size() <= 64 * 1024) write(std::string("bad_") + m.name, m.text);
  }
}

}  // namespace
}  // namespace parley::sdp
