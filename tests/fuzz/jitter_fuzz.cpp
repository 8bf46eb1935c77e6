// parley::audio::JitterBuffer under an arbitrary sequence of put() and
// take(), decoded from the input: two octets choose the depth and the frame
// size, then each operation is one octet, with a put's sequence-number step,
// timestamp (a step in frames, or a raw 32-bit value) and length following.
// It must never crash; take() gives nothing or exactly one frame, and every
// packet put is counted once, as received or as a reason it was not.
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "audio/audio.h"

namespace {

namespace audio = parley::audio;

class Input {
 public:
  Input(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
  bool empty() const { return at_ == size_; }
  std::uint8_t byte() { return at_ < size_ ? data_[at_++] : 0; }
  std::uint32_t u32() {
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v = v << 8 | byte();
    return v;
  }

 private:
  const std::uint8_t* data_;
  std::size_t size_;
  std::size_t at_ = 0;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Input in(data, size);
  const std::chrono::milliseconds depth(in.byte());
  const std::size_t frame = 1 + in.byte() % 200;
  audio::JitterBuffer jb(depth, frame);
  if (jb.frame_samples() != frame) std::abort();

  std::uint16_t seq = 0;
  std::uint32_t ts = 0;
  std::uint64_t puts = 0;
  std::vector<std::int16_t> samples;
  while (!in.empty()) {
    const std::uint8_t op = in.byte();
    if ((op & 1) == 0) {
      const auto out = jb.take();
      if (!out.empty() && out.size() != frame) std::abort();
      continue;
    }
    seq = static_cast<std::uint16_t>(seq + static_cast<std::int8_t>(in.byte()));
    if (op & 2) {
      ts = in.u32();
    } else {
      ts += static_cast<std::uint32_t>(static_cast<std::int8_t>(in.byte()) * static_cast<std::int64_t>(frame));
    }
    // Mostly whole frames, sometimes any length up to past the maximum.
    const std::size_t length = (op & 4) ? in.byte() * 8 : frame * (op >> 3 & 7);
    samples.assign(length, static_cast<std::int16_t>(seq));
    jb.put(seq, ts, samples);
    ++puts;
  }
  const auto& s = jb.stats();
  if (s.received + s.duplicates + s.late + s.dropped != puts) std::abort();
  return 0;
}
