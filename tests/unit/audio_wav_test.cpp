// audio: WAV in and out. Our own files round-trip exactly at their rate and
// keep level, length and pitch through resampling; files made by sox (other
// rates, stereo, 8/24-bit, float) and by espeak-ng (the prompts) load with
// the same checks, and sox reads what wav_bytes() writes; garbage, cut
// headers, bad rates, missing files and over-long files fail with their code.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "audio/audio.h"
#include "tests/support/process.h"
#include "tests/support/result_assert.h"
#include "tests/support/temp_dir.h"

namespace parley::audio {
namespace {

using std::chrono::milliseconds;
using testkit::Fails;
using testkit::Ok;

constexpr const char* kSox = "/usr/bin/sox";
constexpr const char* kEspeak = "/usr/bin/espeak-ng";

int zero_crossings(const std::vector<std::int16_t>& s) {
  int n = 0;
  for (std::size_t i = 1; i < s.size(); ++i) n += (s[i - 1] < 0) != (s[i] < 0);
  return n;
}

bool run(const std::vector<std::string>& argv) { return testkit::Process::spawn(argv).wait() == 0; }

void write_file(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void le(std::string& out, std::uint32_t v, int octets) {
  for (int i = 0; i < octets; ++i) out.push_back(static_cast<char>(v >> (8 * i)));
}

// A 16-bit PCM WAV written by hand (RIFF, fmt, data), frames interleaved.
std::string pcm16_wav(int rate, int channels, const std::vector<std::int16_t>& interleaved) {
  const auto data = static_cast<std::uint32_t>(interleaved.size() * 2);
  std::string w = "RIFF";
  le(w, 36 + data, 4);
  w += "WAVEfmt ";
  le(w, 16, 4);
  le(w, 1, 2);  // PCM
  le(w, static_cast<std::uint32_t>(channels), 2);
  le(w, static_cast<std::uint32_t>(rate), 4);
  le(w, static_cast<std::uint32_t>(rate * channels * 2), 4);
  le(w, static_cast<std::uint32_t>(channels * 2), 2);
  le(w, 16, 2);
  w += "data";
  le(w, data, 4);
  for (const auto s : interleaved) le(w, static_cast<std::uint16_t>(s), 2);
  return w;
}

TEST(AudioWav, OwnFileRoundTripsExactly) {
  const auto t = tone(8000, 440, milliseconds(500));
  const auto bytes = wav_bytes(t, 8000);
  ASSERT_EQ(bytes.size(), 44 + 2 * t.size());
  EXPECT_EQ(bytes.substr(0, 4), "RIFF");
  EXPECT_EQ(bytes.substr(8, 8), "WAVEfmt ");
  EXPECT_EQ(bytes, pcm16_wav(8000, 1, t));  // the canonical 44-octet header
  const auto back = load_wav_bytes(bytes, 8000);
  ASSERT_TRUE(Ok(back));
  EXPECT_EQ(*back, t);

  const auto empty = load_wav_bytes(wav_bytes({}, 8000), 8000);
  ASSERT_TRUE(Ok(empty));
  EXPECT_TRUE(empty->empty());
  EXPECT_TRUE(wav_bytes(t, 0).empty());
}

TEST(AudioWav, ResamplingKeepsLengthLevelAndPitch) {
  const auto wide = tone(48000, 1000, milliseconds(1000), -12);
  const auto narrow = load_wav_bytes(wav_bytes(wide, 48000), 8000);
  ASSERT_TRUE(Ok(narrow));
  EXPECT_NEAR(static_cast<double>(narrow->size()), 8000, 2);
  EXPECT_NEAR(rms_dbfs(*narrow), -12, 0.2);
  EXPECT_NEAR(zero_crossings(*narrow), 2000, 4);

  const auto up = load_wav_bytes(wav_bytes(tone(8000, 400, milliseconds(500)), 8000), 48000);
  ASSERT_TRUE(Ok(up));
  EXPECT_NEAR(static_cast<double>(up->size()), 24000, 6);
  EXPECT_NEAR(rms_dbfs(*up), -12, 0.2);
  EXPECT_NEAR(zero_crossings(*up), 400, 4);

  // A tone above the new Nyquist frequency (4 kHz) is filtered out, not
  // folded back into the band (6 kHz would alias to 2 kHz).
  const auto high = load_wav_bytes(wav_bytes(tone(48000, 6000, milliseconds(500), -6), 48000), 8000);
  ASSERT_TRUE(Ok(high));
  EXPECT_LT(rms_dbfs(*high), -50);
}

TEST(AudioWav, StereoMixesDownToTheMean) {
  std::vector<std::int16_t> frames;
  for (int i = 0; i < 800; ++i) {
    frames.push_back(1000);
    frames.push_back(3000);
  }
  const auto mixed = load_wav_bytes(pcm16_wav(8000, 2, frames), 8000);
  ASSERT_TRUE(Ok(mixed));
  EXPECT_EQ(*mixed, std::vector<std::int16_t>(800, 2000));

  // Opposite channels cancel.
  const auto t = tone(8000, 440, milliseconds(100));
  frames.clear();
  for (const auto s : t) {
    frames.push_back(s);
    frames.push_back(static_cast<std::int16_t>(-s));
  }
  const auto cancelled = load_wav_bytes(pcm16_wav(8000, 2, frames), 8000);
  ASSERT_TRUE(Ok(cancelled));
  EXPECT_EQ(rms_dbfs(*cancelled), kSilenceDbfs);
}

TEST(AudioWav, FilesFromSox) {
  if (!std::filesystem::exists(kSox)) GTEST_SKIP() << "no sox (scripts/setup installs it)";
  testkit::TempDir dir("audio-wav");
  struct Case {
    const char* name;
    std::vector<std::string> format;  // sox's output options
  } cases[] = {
      {"22050 Hz stereo 24-bit", {"-r", "22050", "-c", "2", "-b", "24"}},
      {"44100 Hz mono float", {"-r", "44100", "-c", "1", "-b", "32", "-e", "floating-point"}},
      {"11025 Hz mono 8-bit", {"-r", "11025", "-c", "1", "-b", "8"}},
      {"8000 Hz mono 16-bit", {"-r", "8000", "-c", "1", "-b", "16"}},
      {"48000 Hz 4 channels 32-bit", {"-r", "48000", "-c", "4", "-b", "32"}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const auto path = dir.file("sox.wav");
    std::vector<std::string> argv{kSox, "-n"};
    argv.insert(argv.end(), c.format.begin(), c.format.end());
    argv.push_back(path);
    for (const char* arg : {"synth", "1", "sine", "440", "vol", "0.5"}) argv.emplace_back(arg);
    ASSERT_TRUE(run(argv));
    const auto samples = load_wav(path, 8000);
    ASSERT_TRUE(Ok(samples));
    EXPECT_NEAR(static_cast<double>(samples->size()), 8000, 2);
    EXPECT_NEAR(zero_crossings(*samples), 880, 6);
    EXPECT_NEAR(rms_dbfs(*samples), -6.02, 0.5);  // half of full scale
    // The same bytes, uploaded.
    const auto uploaded = load_wav_bytes(read_file(path), 8000);
    ASSERT_TRUE(Ok(uploaded));
    EXPECT_EQ(*uploaded, *samples);
  }
}

TEST(AudioWav, SoxReadsOurs) {
  if (!std::filesystem::exists(kSox)) GTEST_SKIP() << "no sox (scripts/setup installs it)";
  testkit::TempDir dir("audio-wav");
  const auto t = tone(8000, 697, milliseconds(800), -9);
  write_file(dir.file("ours.wav"), wav_bytes(t, 8000));
  // sox converts ours to 16 kHz; we read that back at 8 kHz.
  ASSERT_TRUE(run({kSox, dir.file("ours.wav"), "-r", "16000", dir.file("theirs.wav")}));
  const auto back = load_wav(dir.file("theirs.wav"), 8000);
  ASSERT_TRUE(Ok(back));
  EXPECT_NEAR(static_cast<double>(back->size()), static_cast<double>(t.size()), 2);
  EXPECT_NEAR(rms_dbfs(*back), rms_dbfs(t), 0.3);
}

TEST(AudioWav, PromptFromEspeak) {
  if (!std::filesystem::exists(kEspeak)) GTEST_SKIP() << "no espeak-ng (scripts/setup installs it)";
  testkit::TempDir dir("audio-wav");
  const auto path = dir.file("prompt.wav");
  ASSERT_TRUE(run({kEspeak, "-w", path, "Please leave a message after the tone."}));
  const auto prompt = load_wav(path, 8000);
  ASSERT_TRUE(Ok(prompt));
  EXPECT_GT(prompt->size(), 8000u);       // more than a second
  EXPECT_LT(prompt->size(), 8000u * 10);  // and less than ten
  EXPECT_GT(rms_dbfs(*prompt), -40);
}

TEST(AudioWav, GarbageIsInvalid) {
  const auto good = wav_bytes(tone(8000, 440, milliseconds(100)), 8000);
  for (const std::string& bytes : {std::string(), std::string("hello, world"), std::string(1000, '\0'),
                                   std::string(1000, '\xff'), good.substr(0, 20),
                                   std::string("RIFF\x24\0\0\0WAVEfmt \x10\0\0\0", 20) + std::string(16, 'x')}) {
    const auto r = load_wav_bytes(bytes, 8000);
    EXPECT_TRUE(Fails(r, Errc::invalid)) << bytes.size();
    if (!r) {
      EXPECT_FALSE(r.error().detail.empty());
    }
  }
}

TEST(AudioWav, RatesOutOfRange) {
  const auto good = wav_bytes(tone(8000, 440, milliseconds(100)), 8000);
  EXPECT_TRUE(Fails(load_wav_bytes(good, 0), Errc::invalid));
  EXPECT_TRUE(Fails(load_wav_bytes(good, -8000), Errc::invalid));
  EXPECT_TRUE(Fails(load_wav_bytes(good, kMaxRate + 1), Errc::invalid));
  EXPECT_TRUE(Fails(load_wav_bytes(pcm16_wav(100, 1, {1, 2, 3}), 8000), Errc::invalid));
  EXPECT_TRUE(Fails(load_wav_bytes(pcm16_wav(8000, 17, std::vector<std::int16_t>(17)), 8000), Errc::invalid));
}

TEST(AudioWav, LongerThanTheLimit) {
  const auto three = wav_bytes(silence(8000, milliseconds(3000)), 8000);
  EXPECT_TRUE(Fails(load_wav_bytes(three, 8000, 2), Errc::limit));
  EXPECT_TRUE(Ok(load_wav_bytes(three, 8000, 3)));
  EXPECT_TRUE(Fails(load_wav_bytes(three, 8000, 0), Errc::limit));
  // A header claiming less than the data holds: the limit holds as read.
  auto lying = pcm16_wav(8000, 1, std::vector<std::int16_t>(3 * 8000));
  lying[40] = 0x10;  // data size 16 octets
  lying[41] = lying[42] = lying[43] = 0;
  const auto r = load_wav_bytes(lying, 8000, 2);
  EXPECT_TRUE(r.ok() ? r->size() <= 2u * 8000 : r.code() == Errc::limit);
}

TEST(AudioWav, Files) {
  testkit::TempDir dir("audio-wav");
  EXPECT_TRUE(Fails(load_wav(dir.file("absent.wav"), 8000), Errc::not_found));
  EXPECT_TRUE(Fails(load_wav(dir.path(), 8000), Errc::invalid));
  write_file(dir.file("junk.wav"), "not a wave file at all");
  EXPECT_TRUE(Fails(load_wav(dir.file("junk.wav"), 8000), Errc::invalid));
  const auto t = tone(16000, 440, milliseconds(200));
  write_file(dir.file("ok.wav"), wav_bytes(t, 16000));
  const auto r = load_wav(dir.file("ok.wav"), 16000);
  ASSERT_TRUE(Ok(r));
  EXPECT_EQ(*r, t);
}

}  // namespace
}  // namespace parley::audio
