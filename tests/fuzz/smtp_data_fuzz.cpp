// DataReader on arbitrary bytes. The first byte picks the chunk sizes
// (a small PRNG seed) and the limits; the rest is fed once whole and once
// in chunks: consumed count, verdict, size and body must match, or abort().
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "smtp/data.h"

namespace {

struct Run {
  std::string body;
  std::size_t consumed = 0;
  bool done = false;
  parley::smtp::DataVerdict verdict{};
  std::uint64_t size = 0;
};

Run run(std::string_view in, std::uint64_t max_size, std::size_t max_line, std::uint32_t seed) {
  parley::smtp::DataReader reader(max_size, max_line);
  Run out;
  const auto sink = [&](std::string_view bytes) { out.body.append(bytes); };
  std::size_t pos = 0;
  while (pos < in.size() && !reader.done()) {
    std::size_t chunk = in.size() - pos;
    if (seed != 0) {
      seed = seed * 1103515245u + 12345u;
      chunk = std::min<std::size_t>(chunk, 1 + (seed >> 16) % 17);
    }
    const std::size_t used = reader.feed(in.substr(pos, chunk), sink);
    if (used > chunk || (used < chunk && !reader.done())) std::abort();
    pos += used;
  }
  out.consumed = pos;
  out.done = reader.done();
  out.verdict = reader.verdict();
  out.size = reader.size();
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  const std::uint8_t knob = data[0];
  const std::uint64_t max_size = (knob & 0x80) ? 64 : 1 << 20;
  const std::size_t max_line = (knob & 0x40) ? 16 : 1000;
  const Run whole = run(in, max_size, max_line, 0);
  const Run chunked = run(in, max_size, max_line, knob | 1u);
  if (whole.body != chunked.body || whole.consumed != chunked.consumed || whole.done != chunked.done ||
      whole.verdict != chunked.verdict || whole.size != chunked.size) {
    std::abort();
  }
  if (whole.verdict == parley::smtp::DataVerdict::ok && whole.body.size() != whole.size) std::abort();
  return 0;
}
