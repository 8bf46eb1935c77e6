// parley::audio::load_wav_bytes on arbitrary bytes, as an upload: it must
// never crash, fail only with Errc::invalid or Errc::limit and a detail,
// return no more than the time limit allows, and what it returns must
// write with wav_bytes() and read back the same.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "audio/audio.h"

namespace {

namespace audio = parley::audio;

constexpr int kRate = audio::kG711Rate;
constexpr int kSeconds = 2;  // keeps each run short whatever the header says
constexpr std::size_t kSlack = 64;  // the resampler's rounding at the end

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const auto samples = audio::load_wav_bytes(bytes, kRate, kSeconds);
  if (!samples) {
    const auto code = samples.code();
    if (code != parley::Errc::invalid && code != parley::Errc::limit) std::abort();
    if (samples.error().detail.empty()) std::abort();
    return 0;
  }
  if (samples->size() > std::size_t{kSeconds} * kRate + kSlack) std::abort();
  // One second more: the resampler may round the length up past the limit.
  const auto again = audio::load_wav_bytes(audio::wav_bytes(*samples, kRate), kRate, kSeconds + 1);
  if (!again || *again != *samples) std::abort();
  return 0;
}
