// Generated tones and silence, and the RMS level meter the tests use.
#include <algorithm>
#include <cmath>
#include <numbers>

#include "audio/audio.h"

namespace parley::audio {
namespace {

constexpr std::chrono::milliseconds kFade{5};  // linear ramp at each end of a tone
constexpr double kFullScale = 32767;

std::size_t samples_for(int rate, std::chrono::milliseconds length) {
  if (rate <= 0 || length.count() <= 0) return 0;
  return static_cast<std::size_t>(static_cast<std::int64_t>(rate) * length.count() / 1000);
}

}  // namespace

std::vector<std::int16_t> tone(int rate, double hz, std::chrono::milliseconds length, double amplitude_dbfs) {
  const std::size_t n = samples_for(rate, length);
  if (n == 0 || !(hz > 0)) return {};
  const double peak = kFullScale * std::pow(10.0, std::min(amplitude_dbfs, 0.0) / 20);
  const double fade = std::max<double>(1, static_cast<double>(samples_for(rate, kFade)));
  const double w = 2 * std::numbers::pi * hz / rate;
  std::vector<std::int16_t> out(n);
  for (std::size_t i = 0; i < n; ++i) {
    const double edge = static_cast<double>(std::min(i, n - 1 - i));
    const double gain = std::min(1.0, edge / fade);
    out[i] = static_cast<std::int16_t>(std::lrint(peak * gain * std::sin(w * static_cast<double>(i))));
  }
  return out;
}

std::vector<std::int16_t> silence(int rate, std::chrono::milliseconds length) {
  return std::vector<std::int16_t>(samples_for(rate, length), 0);
}

double rms_dbfs(std::span<const std::int16_t> samples) {
  if (samples.empty()) return kSilenceDbfs;
  double sum = 0;
  for (const auto s : samples) sum += static_cast<double>(s) * s;
  const double rms = std::sqrt(sum / static_cast<double>(samples.size()));
  if (rms == 0) return kSilenceDbfs;
  // AES17: a full-scale sine, whose RMS is its peak over sqrt(2), is 0 dBFS.
  return std::max(kSilenceDbfs, 20 * std::log10(rms * std::numbers::sqrt2 / kFullScale));
}

}  // namespace parley::audio
