// WAV (and whatever else libsndfile reads) to 16-bit mono at the caller's
// rate, and 16-bit mono WAV out, both in memory through libsndfile's
// virtual I/O. libsndfile and libsamplerate are C and never throw.
#include <sndfile.h>
#include <samplerate.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <limits>
#include <memory>
#include <string>
#include <system_error>

#include "audio/audio.h"

namespace parley::audio {
namespace {

constexpr sf_count_t kChunkFrames = 4096;  // read and resampled at a time

struct CloseSndfile {
  void operator()(SNDFILE* f) const { sf_close(f); }
};
using SndfilePtr = std::unique_ptr<SNDFILE, CloseSndfile>;

struct DeleteSrc {
  void operator()(SRC_STATE* s) const { src_delete(s); }
};
using SrcPtr = std::unique_ptr<SRC_STATE, DeleteSrc>;

// ---- Virtual I/O: a file read from a string_view, or written to a string --

struct MemoryFile {
  std::string_view in;  // read mode
  std::string out;      // write mode
  sf_count_t at = 0;

  sf_count_t size() const { return static_cast<sf_count_t>(in.empty() ? out.size() : in.size()); }
};

MemoryFile& self(void* user) { return *static_cast<MemoryFile*>(user); }

sf_count_t vio_length(void* user) { return self(user).size(); }

sf_count_t vio_seek(sf_count_t offset, int whence, void* user) {
  auto& f = self(user);
  sf_count_t base = 0;
  if (whence == SEEK_CUR) base = f.at;
  if (whence == SEEK_END) base = f.size();
  // Reading: stay inside the bytes. Writing: a seek past the end is allowed
  // (the gap is zero-filled by the next write).
  const sf_count_t limit = f.in.empty() ? std::numeric_limits<std::int32_t>::max() : f.size();
  if (offset < -base || offset > limit - base) return -1;
  f.at = base + offset;
  return f.at;
}

sf_count_t vio_read(void* ptr, sf_count_t count, void* user) {
  auto& f = self(user);
  const std::string_view bytes = f.in.empty() ? std::string_view(f.out) : f.in;
  if (count <= 0 || f.at >= static_cast<sf_count_t>(bytes.size())) return 0;
  const auto n = std::min(count, static_cast<sf_count_t>(bytes.size()) - f.at);
  std::memcpy(ptr, bytes.data() + f.at, static_cast<std::size_t>(n));
  f.at += n;
  return n;
}

sf_count_t vio_write(const void* ptr, sf_count_t count, void* user) {
  auto& f = self(user);
  if (!f.in.empty() || count <= 0) return 0;
  const auto end = static_cast<std::size_t>(f.at + count);
  if (end > f.out.size()) f.out.resize(end);
  std::memcpy(f.out.data() + f.at, ptr, static_cast<std::size_t>(count));
  f.at += count;
  return count;
}

sf_count_t vio_tell(void* user) { return self(user).at; }

SF_VIRTUAL_IO memory_io() { return SF_VIRTUAL_IO{vio_length, vio_seek, vio_read, vio_write, vio_tell}; }

// ---- Reading -------------------------------------------------------------------

std::int16_t to_int16(float v) {
  if (std::isnan(v)) return 0;
  const float scaled = std::clamp(v * 32768.0f, -32768.0f, 32767.0f);
  return static_cast<std::int16_t>(std::lrint(scaled));
}

Status check_rate(int rate, const char* what) {
  if (rate < kMinRate || rate > kMaxRate) {
    return fail(Errc::invalid, std::string(what) + " rate " + std::to_string(rate) + " Hz is outside " +
                                   std::to_string(kMinRate) + ".." + std::to_string(kMaxRate));
  }
  return {};
}

// Reads the whole of an opened file: mixed down chunk by chunk and
// resampled as it goes, so memory follows the output, not the input.
Result<std::vector<std::int16_t>> read_all(SNDFILE* file, const SF_INFO& info, int rate, int max_seconds) {
  if (auto ok = check_rate(info.samplerate, "input"); !ok) return ok.error();
  if (info.channels < 1 || info.channels > kMaxChannels) {
    return fail(Errc::invalid, std::to_string(info.channels) + " channels, at most " + std::to_string(kMaxChannels));
  }
  const sf_count_t max_frames = static_cast<sf_count_t>(std::max(max_seconds, 0)) * info.samplerate;
  const auto too_long = [&] {
    return fail(Errc::limit, "longer than " + std::to_string(max_seconds) + " s");
  };
  // libsndfile says SF_COUNT_MAX when the header does not tell.
  if (info.frames > max_frames && info.frames != SF_COUNT_MAX) return too_long();

  const double ratio = static_cast<double>(rate) / info.samplerate;
  SrcPtr src;
  if (rate != info.samplerate) {
    if (!src_is_valid_ratio(ratio)) {
      return fail(Errc::invalid, "cannot resample " + std::to_string(info.samplerate) + " Hz to " +
                                     std::to_string(rate) + " Hz");
    }
    int error = 0;
    src.reset(src_new(SRC_SINC_FASTEST, 1, &error));
    if (!src) return fail(Errc::internal, std::string("libsamplerate: ") + src_strerror(error));
  }

  std::vector<std::int16_t> out;
  std::vector<float> interleaved(static_cast<std::size_t>(kChunkFrames * info.channels));
  std::vector<float> mono(static_cast<std::size_t>(kChunkFrames));
  std::vector<float> resampled(static_cast<std::size_t>(kChunkFrames));
  const auto resample = [&](const float* in, long frames, bool last) -> Status {
    SRC_DATA d{};
    d.data_in = in;
    d.input_frames = frames;
    d.src_ratio = ratio;
    d.end_of_input = last ? 1 : 0;
    for (;;) {
      d.data_out = resampled.data();
      d.output_frames = static_cast<long>(resampled.size());
      if (const int error = src_process(src.get(), &d); error != 0) {
        return fail(Errc::internal, std::string("libsamplerate: ") + src_strerror(error));
      }
      for (long i = 0; i < d.output_frames_gen; ++i) out.push_back(to_int16(resampled[static_cast<std::size_t>(i)]));
      d.data_in += d.input_frames_used;
      d.input_frames -= d.input_frames_used;
      // Done when the input is used up and, at the end, the filter drained.
      if (d.input_frames_used == 0 && d.output_frames_gen == 0) return {};
      if (!last && d.input_frames == 0) return {};
    }
  };

  sf_count_t total = 0;
  for (;;) {
    const sf_count_t n = sf_readf_float(file, interleaved.data(), kChunkFrames);
    if (n <= 0) break;
    total += n;
    if (total > max_frames) return too_long();
    for (sf_count_t i = 0; i < n; ++i) {
      float sum = 0;
      for (int c = 0; c < info.channels; ++c) sum += interleaved[static_cast<std::size_t>(i * info.channels + c)];
      mono[static_cast<std::size_t>(i)] = sum / static_cast<float>(info.channels);
    }
    if (!src) {
      for (sf_count_t i = 0; i < n; ++i) out.push_back(to_int16(mono[static_cast<std::size_t>(i)]));
    } else if (auto ok = resample(mono.data(), static_cast<long>(n), false); !ok) {
      return ok.error();
    }
  }
  if (src) {
    if (auto ok = resample(mono.data(), 0, true); !ok) return ok.error();
  }
  return out;
}

Error unreadable() {
  return fail(Errc::invalid, std::string("not audio libsndfile reads: ") + sf_strerror(nullptr));
}

}  // namespace

Result<std::vector<std::int16_t>> load_wav(const std::string& path, int rate, int max_seconds) {
  if (auto ok = check_rate(rate, "output"); !ok) return ok.error();
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (status.type() == std::filesystem::file_type::not_found) return fail(Errc::not_found, "no file " + path);
  // Not a FIFO or a device: opening one could block or never end.
  if (status.type() != std::filesystem::file_type::regular) return fail(Errc::invalid, path + " is not a regular file");
  SF_INFO info{};
  SndfilePtr file(sf_open(path.c_str(), SFM_READ, &info));
  if (!file) {
    if (sf_error(nullptr) == SF_ERR_SYSTEM) return fail(Errc::io, path + ": " + sf_strerror(nullptr));
    return unreadable();
  }
  return read_all(file.get(), info, rate, max_seconds);
}

Result<std::vector<std::int16_t>> load_wav_bytes(std::string_view bytes, int rate, int max_seconds) {
  if (auto ok = check_rate(rate, "output"); !ok) return ok.error();
  if (bytes.empty()) return fail(Errc::invalid, "no bytes");
  MemoryFile memory{.in = bytes};
  auto io = memory_io();
  SF_INFO info{};
  SndfilePtr file(sf_open_virtual(&io, SFM_READ, &info, &memory));
  if (!file) return unreadable();
  return read_all(file.get(), info, rate, max_seconds);
}

std::string wav_bytes(std::span<const std::int16_t> samples, int rate) {
  if (rate < 1 || rate > kMaxRate) return {};
  MemoryFile memory;
  auto io = memory_io();
  SF_INFO info{};
  info.samplerate = rate;
  info.channels = 1;
  info.format = SF_FORMAT_WAV | SF_FORMAT_PCM_16;
  SndfilePtr file(sf_open_virtual(&io, SFM_WRITE, &info, &memory));
  if (!file) return {};
  sf_write_short(file.get(), samples.data(), static_cast<sf_count_t>(samples.size()));
  file.reset();  // sf_close writes the header's final sizes
  return std::move(memory.out);
}

}  // namespace parley::audio
