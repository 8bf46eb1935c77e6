// G.711 (ITU-T G.711, 1988) between 16-bit linear PCM and one octet.
//
// Both laws cut the magnitude into 8 segments, each twice as wide as the
// one below, and keep a 3-bit segment number and a 4-bit position inside
// it; the eighth bit is the sign. The octet is sent with bits inverted
// (µ-law: all of them; A-law: the even ones, 0x55) so that silence is not a
// run of zeros on the line. A decoder returns the middle of the interval the
// code stands for, so the error is at most half a step.
//
// µ-law (G.711 table 2a) works on 14-bit magnitudes to which 33 is added,
// so every segment starts at a power of two, and end at 8158: in 16-bit
// terms a bias of 33 * 4 = 132 and a top of 8158 * 4 + 3 = 32635.
// A-law (G.711 table 1a) works on 13-bit magnitudes; its first two
// segments share a step, so it has no bias.
#include <algorithm>
#include <bit>
#include <cstdint>

#include "audio/audio.h"

namespace parley::audio {
namespace {

constexpr int kUlawBias = 132;        // 33, scaled from 14 to 16 bits
constexpr int kUlawClip = 32635;      // 8158 * 4 + 3: the last magnitude µ-law codes
constexpr std::uint8_t kUlawInvert = 0xFF;
constexpr std::uint8_t kAlawInvert = 0x55;
// On the line both laws set the top bit for positive samples; µ-law's
// inversion flips it, so before inversion µ-law sets it for negative ones.
constexpr std::uint8_t kSign = 0x80;

// The position of the highest set bit (value > 0).
int top_bit(unsigned value) { return std::bit_width(value) - 1; }

}  // namespace

std::uint8_t payload_type(Codec codec) { return codec == Codec::pcmu ? 0 : 8; }

std::string_view codec_name(Codec codec) { return codec == Codec::pcmu ? "PCMU" : "PCMA"; }

std::uint8_t ulaw_encode(std::int16_t sample) {
  const int value = sample;
  const std::uint8_t sign = value >= 0 ? 0 : kSign;
  const int magnitude = std::min(value >= 0 ? value : -value, kUlawClip) + kUlawBias;
  // With the bias, segment s holds magnitudes 2^(s+7) .. 2^(s+8) - 1 and
  // steps of 2^(s+3).
  const int segment = top_bit(static_cast<unsigned>(magnitude)) - 7;
  const int step = (magnitude >> (segment + 3)) & 0x0F;
  const auto code = static_cast<std::uint8_t>(sign | segment << 4 | step);
  return static_cast<std::uint8_t>(code ^ kUlawInvert);
}

std::int16_t ulaw_decode(std::uint8_t code) {
  const std::uint8_t c = code ^ kUlawInvert;
  const int segment = (c >> 4) & 0x07;
  const int step = c & 0x0F;
  // The middle of the step: half a step (4 << segment) above its start.
  const int magnitude = (((step << 3) + kUlawBias) << segment) - kUlawBias;
  return static_cast<std::int16_t>((c & kSign) ? -magnitude : magnitude);
}

std::uint8_t alaw_encode(std::int16_t sample) {
  const int value = sample;
  const std::uint8_t sign = value >= 0 ? kSign : 0;
  // Negative samples are coded by their ones' complement, so -1 falls in
  // the first step like 0 and -32768 in the last like 32767.
  const int magnitude = (value >= 0 ? value : -value - 1) >> 3;  // 13-bit scale: 0 .. 4095
  int segment = 0;
  int step = 0;
  if (magnitude < 32) {
    step = magnitude >> 1;  // segments 0 and 1 both step by 2
  } else {
    segment = top_bit(static_cast<unsigned>(magnitude)) - 4;  // 32..63 is segment 1
    step = (magnitude >> segment) & 0x0F;
  }
  const auto code = static_cast<std::uint8_t>(sign | segment << 4 | step);
  return static_cast<std::uint8_t>(code ^ kAlawInvert);
}

std::int16_t alaw_decode(std::uint8_t code) {
  const std::uint8_t c = code ^ kAlawInvert;
  const int segment = (c >> 4) & 0x07;
  const int step = c & 0x0F;
  // In 16-bit terms segment 0 steps by 16 from 0; segment s >= 1 starts at
  // 256 << (s - 1) and steps by 16 << (s - 1). Each adds half a step.
  const int magnitude = segment == 0 ? (step << 4) + 8 : ((step << 4) + 256 + 8) << (segment - 1);
  return static_cast<std::int16_t>((c & kSign) ? magnitude : -magnitude);
}

void encode(Codec codec, std::span<const std::int16_t> samples, std::string& out) {
  out.reserve(out.size() + samples.size());
  for (const auto s : samples) {
    out.push_back(static_cast<char>(codec == Codec::pcmu ? ulaw_encode(s) : alaw_encode(s)));
  }
}

void decode(Codec codec, std::span<const std::uint8_t> octets, std::vector<std::int16_t>& out) {
  out.reserve(out.size() + octets.size());
  for (const auto o : octets) out.push_back(codec == Codec::pcmu ? ulaw_decode(o) : alaw_decode(o));
}

}  // namespace parley::audio
