// Audio for the media process's own endpoints (voicemail, prompts): the
// G.711 codecs, WAV files in and out, generated tones, a level meter and a
// jitter buffer for one incoming RTP stream. Pure: no sockets, no clocks;
// the only I/O is load_wav() reading the file it is given. Samples are
// 16-bit signed linear PCM, mono, at a rate the caller names.
//
// G.711 (ITU-T G.711, 1988): one octet per sample, 8000 Hz. PCMU is µ-law
// (RTP payload type 0), PCMA is A-law (payload type 8; RFC 3551 4.5.14).
// The encoders take the whole 16-bit range (µ-law clips above 32635 in
// magnitude, where its scale ends) and never fail; every octet decodes.
// encode() and decode() append to the caller's buffer, which it may reuse.
//
// WAV (libsndfile, libsamplerate): load_wav() and load_wav_bytes() read
// anything libsndfile reads (WAV of any rate, 8/16/24/32-bit or float, mono
// or more channels; also AIFF, FLAC, ...), mix the channels down to mono
// (their mean), resample to `rate` (libsamplerate, SRC_SINC_FASTEST) and
// round to 16 bits, clipping. Input rates from kMinRate to kMaxRate and
// up to kMaxChannels channels are accepted. Errors:
//   Errc::not_found  no such file (load_wav only);
//   Errc::invalid    not a regular file, not audio libsndfile reads, a bad
//                    `rate`, or a rate or channel count out of range;
//   Errc::limit      longer than `max_seconds` (refused from the header
//                    when it says so, else when reading passes it);
//   Errc::io         the file could not be opened (permissions).
// Memory is bounded by the output (max_seconds * rate samples), whatever
// the input's rate or channels. An uploaded file is untrusted: the limits
// are what make it safe to read.
// wav_bytes() writes 16-bit PCM mono WAV in memory; it returns an empty
// string only for a rate not in 1..kMaxRate.
//
// Levels: dBFS as in AES17, where a full-scale sine is 0 dBFS, so a tone()
// of -12 dBFS measures -12 with rms_dbfs() (less its fades).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace parley::audio {

constexpr int kG711Rate = 8000;             // ITU-T G.711; RFC 3551 4.5.14
constexpr int kMinRate = 1000;              // a file below this is not speech
constexpr int kMaxRate = 384000;            // the highest rate studio files use
constexpr int kMaxChannels = 16;            // more is not a prompt or a greeting
constexpr int kDefaultMaxSeconds = 600;     // a greeting or prompt of 10 min
constexpr double kSilenceDbfs = -120;       // what rms_dbfs() says of silence

// ---- G.711 -----------------------------------------------------------------

enum class Codec { pcmu, pcma };
std::uint8_t payload_type(Codec codec);  // RFC 3551 6: 0 and 8
std::string_view codec_name(Codec codec);  // "PCMU", "PCMA" (as in SDP rtpmap)

std::uint8_t ulaw_encode(std::int16_t sample);
std::int16_t ulaw_decode(std::uint8_t code);
std::uint8_t alaw_encode(std::int16_t sample);
std::int16_t alaw_decode(std::uint8_t code);

// One octet per sample appended to `out`.
void encode(Codec codec, std::span<const std::int16_t> samples, std::string& out);
// One sample per octet appended to `out`.
void decode(Codec codec, std::span<const std::uint8_t> octets, std::vector<std::int16_t>& out);

// ---- WAV files ---------------------------------------------------------------

[[nodiscard]] Result<std::vector<std::int16_t>> load_wav(const std::string& path, int rate,
                                                         int max_seconds = kDefaultMaxSeconds);
[[nodiscard]] Result<std::vector<std::int16_t>> load_wav_bytes(std::string_view bytes, int rate,
                                                               int max_seconds = kDefaultMaxSeconds);
std::string wav_bytes(std::span<const std::int16_t> samples, int rate);

// ---- Tones and levels ----------------------------------------------------------

// A sine of `hz` for `length`, its peak `amplitude_dbfs` below full scale
// (at most 0), faded in and out over 5 ms each to spare the ear a click.
// Empty for a rate or a frequency not above 0, or a length not above 0.
std::vector<std::int16_t> tone(int rate, double hz, std::chrono::milliseconds length,
                               double amplitude_dbfs = -12);
std::vector<std::int16_t> silence(int rate, std::chrono::milliseconds length);

// The RMS level in dBFS (AES17), never below kSilenceDbfs (empty input or
// digital silence).
double rms_dbfs(std::span<const std::int16_t> samples);

// ---- Jitter buffer ---------------------------------------------------------------

// Plays one incoming RTP stream's decoded frames at a steady pace. The
// caller put()s each packet's samples as it arrives and take()s one frame
// every kFramePeriod by its own clock; take() is the only notion of time.
// A frame is `frame_samples` samples (160 for G.711, 960 for 48 kHz), and
// the RTP timestamp is assumed to count samples (true of G.711 and Opus).
//
//   - Placement is by timestamp (RFC 3550 5.1): packets reorder freely
//     within the buffer, and packets of any length (10, 20, 30 ms) fill
//     the samples they cover.
//   - take() returns nothing until `depth` worth is buffered (the span from
//     the earliest buffered sample to the latest), then one frame per call
//     from the earliest timestamp on: what was received, silence where
//     nothing was (a lost packet).
//   - A packet whose timestamp or sequence number is already buffered is a
//     duplicate; one that ends before the next frame to play is late. Both
//     are dropped, as are empty packets, packets over kMaxPacketFrames and any
//     beyond kMaxPackets buffered.
//   - Sequence numbers and timestamps are compared modulo 2^16 and 2^32, so
//     wrap-around is seamless.
//   - A timestamp more than kResyncAfter from the newest (a restart, a new
//     SSRC behind the same port) empties the buffer and starts over with
//     that packet, as does depth worth of silence played with nothing
//     buffered (the sender stopped, or its clock jumped backwards).
//   - When more than twice the depth plus a frame is buffered ahead (a
//     sender's clock running fast, a burst, a jump forward within
//     kResyncAfter), playing skips ahead to leave `depth`.
class JitterBuffer {
 public:
  static constexpr std::chrono::milliseconds kFramePeriod{20};  // the caller's take() pace
  static constexpr std::chrono::seconds kResyncAfter{10};
  static constexpr std::chrono::milliseconds kMaxDepth{2000};
  static constexpr std::size_t kMaxPackets = 512;
  static constexpr std::size_t kMaxFrameSamples = 48000 / 50 * 6;  // 120 ms at 48 kHz
  static constexpr std::size_t kMaxPacketFrames = 6;  // 120 ms of 20 ms frames in one packet

  struct Stats {
    std::uint64_t received = 0;    // packets buffered
    std::uint64_t duplicates = 0;
    std::uint64_t late = 0;
    std::uint64_t dropped = 0;     // empty, too long, or the buffer full
    std::uint64_t concealed = 0;   // frames played as silence for want of packets
    std::uint64_t skipped = 0;     // samples skipped to shed latency
    std::uint64_t resyncs = 0;
  };

  // depth is clamped to one frame period .. kMaxDepth, frame_samples to
  // 1 .. kMaxFrameSamples.
  explicit JitterBuffer(std::chrono::milliseconds depth = std::chrono::milliseconds{60},
                        std::size_t frame_samples = 160);

  void put(std::uint16_t seq, std::uint32_t timestamp, std::span<const std::int16_t> samples);
  // The next frame of frame_samples(), or an empty vector while not playing.
  std::vector<std::int16_t> take();

  bool playing() const { return playing_; }
  std::size_t frame_samples() const { return frame_; }
  const Stats& stats() const { return stats_; }

 private:
  struct Packet {
    std::uint16_t seq;
    std::vector<std::int16_t> samples;
  };

  void restart();
  std::int64_t buffered_end() const;

  std::size_t frame_;
  std::int64_t depth_;       // samples
  std::int64_t max_ahead_;   // samples
  std::int64_t resync_;      // samples
  std::map<std::int64_t, Packet> packets_;  // by extended (unwrapped) timestamp
  bool have_reference_ = false;
  std::uint32_t reference_ = 0;     // the newest timestamp seen, as sent
  std::int64_t reference_ext_ = 0;  // the same, unwrapped
  bool playing_ = false;
  std::int64_t next_ = 0;           // the extended timestamp take() plays next
  std::int64_t idle_ = 0;           // silent frames played with nothing buffered
  Stats stats_;
};

}  // namespace parley::audio
