// audio: the jitter buffer. Frames are numbered by their first sample's
// value so each test can say which frame played: in order, reordered within
// the depth, lost (silence), duplicated, late (after its slot played), across
// the 16-bit sequence and 32-bit timestamp wraps, after a timestamp jump (a
// restart), after the sender stops, and when the sender runs ahead.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <vector>

#include "audio/audio.h"

namespace parley::audio {
namespace {

using std::chrono::milliseconds;

constexpr std::size_t kFrame = 160;

// Frame n: 160 samples of value n (n > 0), so silence is 0.
std::vector<std::int16_t> frame(int n) { return std::vector<std::int16_t>(kFrame, static_cast<std::int16_t>(n)); }

// What take() played, as frame numbers: -1 nothing (not playing), 0 silence.
int played(const std::vector<std::int16_t>& out) {
  if (out.empty()) return -1;
  EXPECT_EQ(out.size(), kFrame);
  return out.front();
}

struct Stream {
  std::uint16_t seq0;
  std::uint32_t ts0;
  // Puts frame n (n >= 1) as its packet: sequence seq0 + n, timestamp ts0 + n * 160.
  void put(JitterBuffer& jb, int n) const {
    jb.put(static_cast<std::uint16_t>(seq0 + n), static_cast<std::uint32_t>(ts0 + n * kFrame), frame(n));
  }
};

std::vector<int> take(JitterBuffer& jb, int count) {
  std::vector<int> out;
  for (int i = 0; i < count; ++i) out.push_back(played(jb.take()));
  return out;
}

TEST(AudioJitter, WaitsForTheDepthThenPlaysInOrder) {
  JitterBuffer jb(milliseconds(60), kFrame);
  const Stream s{1000, 5000};
  EXPECT_EQ(played(jb.take()), -1);  // empty before start
  s.put(jb, 1);
  EXPECT_EQ(played(jb.take()), -1);
  s.put(jb, 2);
  EXPECT_EQ(played(jb.take()), -1);
  s.put(jb, 3);  // 60 ms buffered
  EXPECT_FALSE(jb.playing());
  EXPECT_EQ(take(jb, 1), (std::vector<int>{1}));
  for (int n = 4; n <= 10; ++n) {
    s.put(jb, n);
    EXPECT_EQ(played(jb.take()), n - 2);
  }
  EXPECT_EQ(jb.stats().received, 10u);
  EXPECT_EQ(jb.stats().concealed, 0u);
}

TEST(AudioJitter, ReordersWithinTheDepth) {
  JitterBuffer jb(milliseconds(60), kFrame);
  const Stream s{1, 1};
  for (int n : {2, 1, 3}) s.put(jb, n);
  EXPECT_EQ(take(jb, 1), (std::vector<int>{1}));
  for (int n : {5, 4}) s.put(jb, n);
  EXPECT_EQ(take(jb, 2), (std::vector<int>{2, 3}));
  for (int n : {8, 7, 6}) s.put(jb, n);
  EXPECT_EQ(take(jb, 4), (std::vector<int>{4, 5, 6, 7}));
  // The start waits for the earliest: a packet before the first one put
  // still plays first if it comes before playing begins.
  JitterBuffer jb2(milliseconds(60), kFrame);
  for (int n : {3, 2}) s.put(jb2, n);
  EXPECT_EQ(played(jb2.take()), -1);
  s.put(jb2, 1);
  EXPECT_EQ(take(jb2, 3), (std::vector<int>{1, 2, 3}));
}

TEST(AudioJitter, LossPlaysSilence) {
  JitterBuffer jb(milliseconds(60), kFrame);
  const Stream s{7, 7};
  for (int n : {1, 2, 4, 5}) s.put(jb, n);  // 3 lost
  EXPECT_EQ(take(jb, 5), (std::vector<int>{1, 2, 0, 4, 5}));
  EXPECT_EQ(jb.stats().concealed, 1u);
}

TEST(AudioJitter, DuplicatesDropped) {
  JitterBuffer jb(milliseconds(60), kFrame);
  const Stream s{50, 50};
  for (int n : {1, 2, 2, 3, 1}) s.put(jb, n);
  // Same sequence number, other timestamp, and the reverse.
  jb.put(static_cast<std::uint16_t>(s.seq0 + 3), s.ts0 + 9 * kFrame, frame(9));
  jb.put(static_cast<std::uint16_t>(s.seq0 + 9), s.ts0 + 3 * kFrame, frame(9));
  EXPECT_EQ(jb.stats().duplicates, 4u);
  EXPECT_EQ(take(jb, 3), (std::vector<int>{1, 2, 3}));
}

TEST(AudioJitter, LatePacketsDropped) {
  JitterBuffer jb(milliseconds(60), kFrame);
  const Stream s{0, 0};
  for (int n : {1, 3, 4}) s.put(jb, n);  // spans 1..4: 80 ms, playing
  EXPECT_EQ(take(jb, 2), (std::vector<int>{1, 0}));
  s.put(jb, 2);  // its slot was played as silence
  s.put(jb, 1);  // played already
  EXPECT_EQ(jb.stats().late, 2u);
  s.put(jb, 5);
  EXPECT_EQ(take(jb, 3), (std::vector<int>{3, 4, 5}));
}

TEST(AudioJitter, SequenceAndTimestampWrap) {
  JitterBuffer jb(milliseconds(60), kFrame);
  // Frame 3's sequence number is 65535 and its timestamp 2^32 - 160:
  // frame 4 wraps both to 0.
  const Stream s{static_cast<std::uint16_t>(65532), static_cast<std::uint32_t>(0u - 4 * kFrame)};
  for (int n : {1, 2, 4, 3}) s.put(jb, n);
  std::vector<int> got = take(jb, 1);
  for (int n = 5; n <= 8; ++n) {
    s.put(jb, n);
    got.push_back(played(jb.take()));
  }
  got.push_back(played(jb.take()));
  EXPECT_EQ(got, (std::vector<int>{1, 2, 3, 4, 5, 6}));
  // A late packet from before the wrap is still late, not far ahead.
  s.put(jb, 2);
  EXPECT_EQ(jb.stats().late, 1u);
  EXPECT_EQ(jb.stats().resyncs, 0u);
}

TEST(AudioJitter, TimestampJumpRestarts) {
  JitterBuffer jb(milliseconds(60), kFrame);
  const Stream s{100, 100000};
  for (int n = 1; n <= 4; ++n) s.put(jb, n);
  EXPECT_EQ(take(jb, 2), (std::vector<int>{1, 2}));
  // A new stream 20 s of timestamps away (and a new sequence): the old
  // frames are dropped and the new one waits for its own depth.
  const Stream t{9, s.ts0 + 20 * 8000};
  t.put(jb, 11);
  EXPECT_EQ(jb.stats().resyncs, 1u);
  EXPECT_EQ(played(jb.take()), -1);
  t.put(jb, 12);
  t.put(jb, 13);
  EXPECT_EQ(take(jb, 3), (std::vector<int>{11, 12, 13}));

  // Backwards by more than 10 s too.
  const Stream u{500, t.ts0 - 15 * 8000};
  for (int n = 21; n <= 23; ++n) u.put(jb, n);
  EXPECT_EQ(jb.stats().resyncs, 2u);
  EXPECT_EQ(take(jb, 3), (std::vector<int>{21, 22, 23}));
}

TEST(AudioJitter, StopsWhenTheSenderStops) {
  JitterBuffer jb(milliseconds(60), kFrame);
  const Stream s{1, 1};
  for (int n = 1; n <= 3; ++n) s.put(jb, n);
  // Three frames, then three of silence (the depth), then nothing.
  EXPECT_EQ(take(jb, 8), (std::vector<int>{1, 2, 3, 0, 0, 0, -1, -1}));
  EXPECT_FALSE(jb.playing());
  // The sender resumes 2 s later (silence suppression): a fresh start, with
  // the same timestamps' clock.
  for (int n = 104; n <= 106; ++n) s.put(jb, n);
  EXPECT_EQ(take(jb, 3), (std::vector<int>{104, 105, 106}));
  // The sender's clock resets behind where playing is (within 10 s): its
  // packets are late until depth worth of silence has played, then the
  // next ones start afresh.
  for (int n = 4; n <= 6; ++n) s.put(jb, n);
  EXPECT_EQ(jb.stats().late, 3u);
  EXPECT_EQ(take(jb, 4), (std::vector<int>{0, 0, 0, -1}));
  for (int n = 7; n <= 9; ++n) s.put(jb, n);
  EXPECT_EQ(take(jb, 3), (std::vector<int>{7, 8, 9}));
  EXPECT_EQ(jb.stats().resyncs, 0u);
}

TEST(AudioJitter, ShedsLatencyWhenTheSenderRunsAhead) {
  JitterBuffer jb(milliseconds(60), kFrame);
  const Stream s{1, 1};
  for (int n = 1; n <= 3; ++n) s.put(jb, n);
  EXPECT_EQ(take(jb, 1), (std::vector<int>{1}));
  // A burst of 10 frames at once: 2..13 is more than 2 * depth + a frame
  // ahead, so playing skips 2..10 to keep the last depth worth.
  for (int n = 4; n <= 13; ++n) s.put(jb, n);
  EXPECT_EQ(take(jb, 3), (std::vector<int>{11, 12, 13}));
  EXPECT_EQ(jb.stats().skipped, 9 * kFrame);
  // A jump forward of 5 s (under the resync threshold) is as far ahead:
  // playing skips to the last depth worth of it.
  for (int n = 264; n <= 267; ++n) s.put(jb, n);
  EXPECT_EQ(take(jb, 3), (std::vector<int>{265, 266, 267}));
}

TEST(AudioJitter, OtherPacketSizes) {
  // 10 ms packets into 20 ms frames, and a 40 ms one.
  JitterBuffer jb(milliseconds(40), kFrame);
  std::uint16_t seq = 0;
  std::uint32_t ts = 0;
  const auto put = [&](int value, std::size_t samples) {
    jb.put(seq++, ts, std::vector<std::int16_t>(samples, static_cast<std::int16_t>(value)));
    ts += static_cast<std::uint32_t>(samples);
  };
  put(1, 80);
  put(2, 80);
  put(3, 320);
  auto f = jb.take();
  ASSERT_EQ(f.size(), kFrame);
  EXPECT_EQ(f[0], 1);
  EXPECT_EQ(f[79], 1);
  EXPECT_EQ(f[80], 2);
  EXPECT_EQ(played(jb.take()), 3);
  EXPECT_EQ(played(jb.take()), 3);
  // Empty and over-long packets are dropped.
  jb.put(seq++, ts, {});
  jb.put(seq++, ts, std::vector<std::int16_t>(JitterBuffer::kMaxPacketFrames * kFrame + 1, 9));
  EXPECT_EQ(jb.stats().dropped, 2u);
}

TEST(AudioJitter, Wideband) {
  JitterBuffer jb(milliseconds(60), 960);  // 48 kHz
  for (std::uint16_t n = 1; n <= 3; ++n) {
    jb.put(n, n * 960u, std::vector<std::int16_t>(960, static_cast<std::int16_t>(n)));
  }
  const auto f = jb.take();
  ASSERT_EQ(f.size(), 960u);
  EXPECT_EQ(f[959], 1);
}

}  // namespace
}  // namespace parley::audio
