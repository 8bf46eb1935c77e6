// parley::rtp on arbitrary datagrams: classify, parse_rtp, parse_rtcp_header
// and parse_rtcp_compound must never crash and fail only with Errc::syntax.
// What they accept must hold together: an RTP header's parts lie inside the
// datagram and a header without extension or padding writes back to the same
// bytes; a compound's packets tile the datagram and begin with what
// parse_rtcp_header reads; both are what classify() calls them.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "rtp/rtp.h"

namespace {

namespace rtp = parley::rtp;

void check_rtcp(rtp::Bytes in, rtp::RtcpSize rules) {
  const auto header = rtp::parse_rtcp_header(in, rules);
  if (!header && header.code() != parley::Errc::syntax) std::abort();
  const auto packets = rtp::parse_rtcp_compound(in, rules);
  if (!packets) {
    if (packets.code() != parley::Errc::syntax) std::abort();
    return;
  }
  if (!header || packets->empty() || !(packets->front() == *header)) std::abort();
  if (rtp::classify(in) != rtp::Kind::rtcp) std::abort();
  std::size_t at = 0;
  for (const auto& p : *packets) {
    if (p.offset != at || p.size < rtp::kRtcpHeader || p.size % 4 != 0) std::abort();
    if (p.padding && at + p.size != in.size()) std::abort();
    at += p.size;
  }
  if (at != in.size()) std::abort();
  // Reduced-size rules are looser, never stricter.
  if (rules == rtp::RtcpSize::compound && !rtp::parse_rtcp_compound(in, rtp::RtcpSize::reduced)) std::abort();
}

void check_rtp(rtp::Bytes in) {
  const auto h = rtp::parse_rtp(in);
  if (!h) {
    if (h.code() != parley::Errc::syntax) std::abort();
    return;
  }
  const auto k = rtp::classify(in);
  if (k != rtp::Kind::rtp && k != rtp::Kind::rtcp) std::abort();
  if (h->csrc_count > rtp::kMaxCsrcs || h->payload_type > 127) std::abort();
  if (h->payload_offset < rtp::kFixedHeader + 4 * std::size_t{h->csrc_count}) std::abort();
  if (h->payload_offset + h->payload_size > in.size()) std::abort();
  if (h->payload_offset + h->payload_size + h->padding_size != in.size()) std::abort();
  if (h->extension && h->extension_offset + h->extension_size != h->payload_offset) std::abort();
  if (h->padding != (h->padding_size > 0)) std::abort();

  const auto body = rtp::payload(in, *h);
  std::vector<std::uint8_t> out;
  rtp::write_rtp(*h, body, out);
  const auto again = rtp::parse_rtp(out);
  if (!again) std::abort();
  if (!h->extension && !h->padding) {
    if (!(*again == *h) || !std::equal(out.begin(), out.end(), in.begin(), in.end())) std::abort();
    return;
  }
  // Written without them: the same fields, the payload right after the CSRCs.
  auto plain = *h;
  plain.padding = plain.extension = false;
  plain.extension_profile = 0;
  plain.extension_offset = plain.extension_size = 0;
  plain.padding_size = 0;
  plain.payload_offset = rtp::kFixedHeader + 4 * std::size_t{h->csrc_count};
  if (!(*again == plain)) std::abort();
  const auto written_body = rtp::payload(out, *again);
  if (!std::equal(written_body.begin(), written_body.end(), body.begin(), body.end())) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const rtp::Bytes in(data, size);
  (void)rtp::kind_name(rtp::classify(in));
  check_rtcp(in, rtp::RtcpSize::compound);
  check_rtcp(in, rtp::RtcpSize::reduced);
  check_rtp(in);
  return 0;
}
