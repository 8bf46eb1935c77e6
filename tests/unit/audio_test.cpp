// audio: G.711 against values from ITU-T G.711 (tables 1a and 2a: the
// codes of zero, of the ends of scale, of each segment's start) and over
// every 16-bit sample (error within half a step, monotonic, every code
// back to itself); tones and the level meter.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <string>
#include <vector>

#include "audio/audio.h"

namespace parley::audio {
namespace {

using std::chrono::milliseconds;

constexpr int kMin = std::numeric_limits<std::int16_t>::min();
constexpr int kMax = std::numeric_limits<std::int16_t>::max();

TEST(AudioCodec, NamesAndPayloadTypes) {
  EXPECT_EQ(payload_type(Codec::pcmu), 0);
  EXPECT_EQ(payload_type(Codec::pcma), 8);
  EXPECT_EQ(codec_name(Codec::pcmu), "PCMU");
  EXPECT_EQ(codec_name(Codec::pcma), "PCMA");
}

TEST(AudioUlaw, KnownValues) {
  // Zero: all bits set on the line (positive zero), 0x7F is negative zero.
  EXPECT_EQ(ulaw_encode(0), 0xFF);
  EXPECT_EQ(ulaw_decode(0xFF), 0);
  EXPECT_EQ(ulaw_decode(0x7F), 0);
  // The ends of scale: 8031 in 14 bits, 32124 in 16.
  EXPECT_EQ(ulaw_decode(0x80), 32124);
  EXPECT_EQ(ulaw_decode(0x00), -32124);
  EXPECT_EQ(ulaw_encode(kMax), 0x80);
  EXPECT_EQ(ulaw_encode(kMin), 0x00);
  EXPECT_EQ(ulaw_encode(32635), 0x80);  // the top of the scale
  // The first step of each sign, and the segment boundaries (segment s
  // starts at (2^(s+5) - 33) * 4 in 16 bits).
  EXPECT_EQ(ulaw_decode(0xFE), 8);
  EXPECT_EQ(ulaw_decode(0x7E), -8);
  EXPECT_EQ(ulaw_encode(124), 0xEF);  // 31 * 4: segment 1 step 0
  EXPECT_EQ(ulaw_encode(123), 0xF0);  // the last step of segment 0
  EXPECT_EQ(ulaw_decode(0xEF), 132);
  EXPECT_EQ(ulaw_decode(0x8F), 16764);  // segment 7, step 0
}

TEST(AudioAlaw, KnownValues) {
  // Zero codes as 0xD5 (0x80 with the even bits inverted): the first step,
  // whose middle is 8 in 16 bits (1 in 13); -1 falls in the negative one.
  EXPECT_EQ(alaw_encode(0), 0xD5);
  EXPECT_EQ(alaw_decode(0xD5), 8);
  EXPECT_EQ(alaw_encode(-1), 0x55);
  EXPECT_EQ(alaw_decode(0x55), -8);
  // The ends of scale: 4032 in 13 bits, 32256 in 16.
  EXPECT_EQ(alaw_decode(0xAA), 32256);
  EXPECT_EQ(alaw_decode(0x2A), -32256);
  EXPECT_EQ(alaw_encode(kMax), 0xAA);
  EXPECT_EQ(alaw_encode(kMin), 0x2A);
  // Segment 1 starts at 32 in 13 bits (256 in 16), segment 7 at 2048.
  EXPECT_EQ(alaw_encode(255), 0xDA);  // segment 0, last step (0x8F ^ 0x55)
  EXPECT_EQ(alaw_encode(256), 0xC5);  // segment 1, step 0 (0x90 ^ 0x55)
  EXPECT_EQ(alaw_decode(0xC5), 264);
  EXPECT_EQ(alaw_decode(0xA5), 16896);  // segment 7, step 0: (2048 + 64) * 8
}

// Half the step of the segment `value` falls in, in 16-bit terms.
int ulaw_half_step(int magnitude) {
  const int biased = std::min(magnitude, 32635) + 132;
  int segment = 0;
  while (segment < 7 && biased >= (256 << segment)) ++segment;
  return 4 << segment;
}

int alaw_half_step(int magnitude) {
  const int scaled = magnitude >> 3;
  int segment = 0;
  while (segment < 7 && scaled >= (32 << segment)) ++segment;
  return segment <= 1 ? 8 : 4 << segment;
}

TEST(AudioUlaw, WholeRangeWithinHalfAStep) {
  int previous = kMin;
  for (int x = kMin; x <= kMax; ++x) {
    const auto s = static_cast<std::int16_t>(x);
    const int back = ulaw_decode(ulaw_encode(s));
    ASSERT_GE(back, previous) << x;  // monotonic
    previous = back;
    const int magnitude = std::abs(x);
    if (magnitude > 32635) {
      ASSERT_EQ(back, x > 0 ? 32124 : -32124) << x;  // clipped to the end of scale
    } else {
      ASSERT_LE(std::abs(back - x), ulaw_half_step(magnitude)) << x;
    }
  }
}

TEST(AudioAlaw, WholeRangeWithinHalfAStep) {
  int previous = kMin;
  for (int x = kMin; x <= kMax; ++x) {
    const auto s = static_cast<std::int16_t>(x);
    const int back = alaw_decode(alaw_encode(s));
    ASSERT_GE(back, previous) << x;
    previous = back;
    const int magnitude = x >= 0 ? x : -x - 1;  // ones' complement for negatives
    ASSERT_LE(std::abs(back - x), alaw_half_step(magnitude) + 1) << x;
  }
}

TEST(AudioG711, EveryCodeDecodesToItself) {
  for (int c = 0; c < 256; ++c) {
    const auto code = static_cast<std::uint8_t>(c);
    if (c != 0x7F) {
      EXPECT_EQ(ulaw_encode(ulaw_decode(code)), code) << c;  // -0 encodes as +0
    }
    EXPECT_EQ(alaw_encode(alaw_decode(code)), code) << c;
  }
  EXPECT_EQ(ulaw_encode(ulaw_decode(0x7F)), 0xFF);
}

TEST(AudioG711, SpansAppend) {
  const std::vector<std::int16_t> samples{0, 1000, -1000, kMax, kMin};
  for (const auto codec : {Codec::pcmu, Codec::pcma}) {
    std::string wire = "x";
    encode(codec, samples, wire);
    ASSERT_EQ(wire.size(), 1 + samples.size());
    EXPECT_EQ(wire[0], 'x');
    const auto* octets = reinterpret_cast<const std::uint8_t*>(wire.data()) + 1;
    std::vector<std::int16_t> back{7};
    decode(codec, std::span(octets, samples.size()), back);
    ASSERT_EQ(back.size(), 1 + samples.size());
    EXPECT_EQ(back[0], 7);
    for (std::size_t i = 0; i < samples.size(); ++i) {
      const auto expect = codec == Codec::pcmu ? ulaw_decode(ulaw_encode(samples[i]))
                                               : alaw_decode(alaw_encode(samples[i]));
      EXPECT_EQ(back[i + 1], expect);
      EXPECT_EQ(octets[i], codec == Codec::pcmu ? ulaw_encode(samples[i]) : alaw_encode(samples[i]));
    }
  }
}

// A 1 kHz tone through either law keeps its level: G.711's quantization
// noise is some 38 dB below a signal at this level.
TEST(AudioG711, ToneSurvivesTheCodec) {
  const auto t = tone(kG711Rate, 1000, milliseconds(200), -12);
  for (const auto codec : {Codec::pcmu, Codec::pcma}) {
    std::string wire;
    encode(codec, t, wire);
    std::vector<std::int16_t> back;
    decode(codec, std::span(reinterpret_cast<const std::uint8_t*>(wire.data()), wire.size()), back);
    EXPECT_NEAR(rms_dbfs(back), rms_dbfs(t), 0.2);
    std::vector<std::int16_t> noise(t.size());
    for (std::size_t i = 0; i < t.size(); ++i) noise[i] = static_cast<std::int16_t>(back[i] - t[i]);
    EXPECT_LT(rms_dbfs(noise), rms_dbfs(t) - 30);
  }
}

TEST(AudioTone, LengthLevelAndFades) {
  const auto t = tone(8000, 440, milliseconds(1000), -12);
  ASSERT_EQ(t.size(), 8000u);
  EXPECT_NEAR(rms_dbfs(t), -12, 0.1);
  EXPECT_EQ(t.front(), 0);
  EXPECT_EQ(t.back(), 0);
  // Within the 5 ms fade-in (40 samples) nothing reaches the full peak.
  const double peak = 32767 * std::pow(10.0, -12.0 / 20);
  for (std::size_t i = 0; i < 20; ++i) EXPECT_LE(std::abs(t[i]), peak / 2 + 1) << i;
  int max = 0;
  for (const auto s : t) max = std::max(max, std::abs(int{s}));
  EXPECT_NEAR(max, peak, 2);
  // 440 Hz: 880 zero crossings in one second.
  int crossings = 0;
  for (std::size_t i = 1; i < t.size(); ++i) crossings += (t[i - 1] < 0) != (t[i] < 0);
  EXPECT_NEAR(crossings, 880, 4);

  EXPECT_EQ(tone(48000, 1000, milliseconds(20)).size(), 960u);
  EXPECT_NEAR(rms_dbfs(tone(48000, 1000, milliseconds(500), 0)), 0, 0.1);
  EXPECT_NEAR(rms_dbfs(tone(48000, 1000, milliseconds(500), 6)), 0, 0.1);  // capped at full scale
  EXPECT_TRUE(tone(0, 440, milliseconds(100)).empty());
  EXPECT_TRUE(tone(8000, 0, milliseconds(100)).empty());
  EXPECT_TRUE(tone(8000, 440, milliseconds(0)).empty());
  EXPECT_TRUE(tone(8000, std::nan(""), milliseconds(10)).empty());
}

TEST(AudioTone, Silence) {
  const auto s = silence(8000, milliseconds(20));
  EXPECT_EQ(s, std::vector<std::int16_t>(160, 0));
  EXPECT_TRUE(silence(8000, milliseconds(-5)).empty());
}

TEST(AudioLevel, RmsDbfs) {
  EXPECT_EQ(rms_dbfs({}), kSilenceDbfs);
  EXPECT_EQ(rms_dbfs(silence(8000, milliseconds(100))), kSilenceDbfs);
  // A full-scale square wave is 3 dB above a full-scale sine.
  std::vector<std::int16_t> square(800);
  for (std::size_t i = 0; i < square.size(); ++i) square[i] = (i / 10) % 2 ? kMax : -kMax;
  EXPECT_NEAR(rms_dbfs(square), 3.01, 0.01);
  // One LSB of DC is about -87 dBFS; never below the floor.
  EXPECT_NEAR(rms_dbfs(std::vector<std::int16_t>(100, 1)), -87.3, 0.1);
  EXPECT_GE(rms_dbfs(std::vector<std::int16_t>(1000000, 0)), kSilenceDbfs);
}

}  // namespace
}  // namespace parley::audio
