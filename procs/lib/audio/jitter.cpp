// The jitter buffer: packets kept by unwrapped timestamp, played out one
// frame per take().
#include <algorithm>

#include "audio/audio.h"

namespace parley::audio {

JitterBuffer::JitterBuffer(std::chrono::milliseconds depth, std::size_t frame_samples)
    : frame_(std::clamp<std::size_t>(frame_samples, 1, kMaxFrameSamples)) {
  const auto period = std::chrono::milliseconds(kFramePeriod).count();
  const auto d = std::clamp(depth, std::chrono::milliseconds(kFramePeriod), kMaxDepth);
  const auto frame = static_cast<std::int64_t>(frame_);
  depth_ = d.count() * frame / period;
  max_ahead_ = 2 * depth_ + frame;
  resync_ = std::chrono::milliseconds(kResyncAfter).count() / period * frame;
}

void JitterBuffer::restart() {
  packets_.clear();
  have_reference_ = false;
  playing_ = false;
  idle_ = 0;
}

std::int64_t JitterBuffer::buffered_end() const {
  std::int64_t end = next_;
  for (const auto& [start, p] : packets_) end = std::max(end, start + static_cast<std::int64_t>(p.samples.size()));
  return end;
}

void JitterBuffer::put(std::uint16_t seq, std::uint32_t timestamp, std::span<const std::int16_t> samples) {
  if (samples.empty() || samples.size() > kMaxPacketFrames * frame_) {
    ++stats_.dropped;
    return;
  }
  // Unwrap the timestamp against the newest one seen: the difference
  // modulo 2^32, taken as signed, is the true one while it stays under
  // 2^31 (kResyncAfter keeps it far below).
  if (have_reference_) {
    const auto delta = static_cast<std::int32_t>(timestamp - reference_);
    if (delta > resync_ || delta < -resync_) {
      restart();
      ++stats_.resyncs;
    } else if (delta > 0) {
      reference_ = timestamp;
      reference_ext_ += delta;
    }
  }
  if (!have_reference_) {
    have_reference_ = true;
    reference_ = timestamp;
    reference_ext_ = timestamp;
  }
  const std::int64_t at = reference_ext_ + static_cast<std::int32_t>(timestamp - reference_);
  const auto size = static_cast<std::int64_t>(samples.size());

  if (playing_ && at + size <= next_) {
    ++stats_.late;
    return;
  }
  const bool same_seq =
      std::any_of(packets_.begin(), packets_.end(), [&](const auto& e) { return e.second.seq == seq; });
  if (same_seq || packets_.contains(at)) {
    ++stats_.duplicates;
    return;
  }
  if (packets_.size() >= kMaxPackets) {
    ++stats_.dropped;
    return;
  }
  packets_.emplace(at, Packet{seq, std::vector<std::int16_t>(samples.begin(), samples.end())});
  ++stats_.received;
}

std::vector<std::int16_t> JitterBuffer::take() {
  if (!playing_) {
    if (packets_.empty()) return {};
    const std::int64_t first = packets_.begin()->first;
    next_ = first;
    if (buffered_end() - first < depth_) return {};
    playing_ = true;
    idle_ = 0;
  }
  // Too far behind the sender: drop the oldest audio, keep `depth`.
  if (const auto end = buffered_end(); end - next_ > max_ahead_) {
    stats_.skipped += static_cast<std::uint64_t>(end - depth_ - next_);
    next_ = end - depth_;
  }

  std::vector<std::int16_t> out(frame_, 0);
  const std::int64_t frame_end = next_ + static_cast<std::int64_t>(frame_);
  bool heard = false;
  for (auto it = packets_.begin(); it != packets_.end() && it->first < frame_end;) {
    const std::int64_t start = it->first;
    const auto& samples = it->second.samples;
    const std::int64_t stop = start + static_cast<std::int64_t>(samples.size());
    const std::int64_t from = std::max(start, next_);
    const std::int64_t to = std::min(stop, frame_end);
    if (from < to) {
      std::copy(samples.begin() + (from - start), samples.begin() + (to - start), out.begin() + (from - next_));
      heard = true;
    }
    it = stop <= frame_end ? packets_.erase(it) : std::next(it);
  }
  next_ = frame_end;

  if (heard) {
    idle_ = 0;
  } else {
    ++stats_.concealed;
    // Depth worth of nothing: the sender stopped, or restarted its clock
    // behind us. Wait for a full buffer again rather than drop all it sends.
    if (packets_.empty() && ++idle_ * static_cast<std::int64_t>(frame_) >= depth_) playing_ = false;
  }
  return out;
}

}  // namespace parley::audio
