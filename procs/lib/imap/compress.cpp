#include "imap/compress.h"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <optional>
#include <string>
#include <utility>

namespace parley::imap {
namespace {

constexpr int kRawDeflate = -15;                       // RFC 4978 4: raw, 32 KiB window
constexpr std::size_t kMaxZlibIn = std::size_t{1} << 30;  // avail_in is a 32-bit uInt
// zlib writes into a buffer of this size in each direction's state; only
// what it produced is appended to the caller's string, which therefore
// never grows (or is zero-filled) beyond the real output.
constexpr std::size_t kBuffer = 16384;

Bytef* bytes(const char* p) { return reinterpret_cast<Bytef*>(const_cast<char*>(p)); }

std::string zlib_detail(const char* what, int rc, const z_stream& z) {
  std::string d = what;
  d += ": ";
  d += z.msg != nullptr ? z.msg : std::to_string(rc);
  return d;
}

}  // namespace

// ---- Deflater ----

struct Deflater::State {
  z_stream z{};
  std::array<Bytef, kBuffer> buffer;
  bool initialized = false;
  bool broken = false;
};

Deflater::Deflater(int level) : state_(std::make_unique<State>()) {
  State& s = *state_;
  s.initialized = deflateInit2(&s.z, level, Z_DEFLATED, kRawDeflate, 8, Z_DEFAULT_STRATEGY) == Z_OK;
  s.broken = !s.initialized;
}

Deflater::~Deflater() {
  if (state_->initialized) deflateEnd(&state_->z);
}

Status Deflater::compress(std::string_view data, std::string& out) {
  State& s = *state_;
  if (s.broken) return fail(Errc::internal, "deflate stream unusable");
  if (data.empty()) return {};  // a second flush in a row would only be refused
  const std::size_t start = out.size();
  // Input beyond what one zlib call takes goes in pieces; only the last
  // piece flushes, so no empty blocks are added between them.
  while (!data.empty()) {
    const std::size_t piece = std::min(data.size(), kMaxZlibIn);
    s.z.next_in = bytes(data.data());
    s.z.avail_in = static_cast<uInt>(piece);
    data.remove_prefix(piece);
    const int flush = data.empty() ? Z_SYNC_FLUSH : Z_NO_FLUSH;
    // zlib stops only when the input is used up (and flushed) or the
    // output space is full; full space means call again.
    do {
      s.z.next_out = s.buffer.data();
      s.z.avail_out = static_cast<uInt>(s.buffer.size());
      const int rc = deflate(&s.z, flush);
      out.append(reinterpret_cast<const char*>(s.buffer.data()), s.buffer.size() - s.z.avail_out);
      if (rc != Z_OK && rc != Z_BUF_ERROR) {
        s.broken = true;
        out.resize(start);
        return fail(Errc::internal, zlib_detail("deflate", rc, s.z));
      }
    } while (s.z.avail_out == 0);
    if (s.z.avail_in != 0) {
      s.broken = true;
      out.resize(start);
      return fail(Errc::internal, "deflate left input unconsumed");
    }
  }
  s.z.next_in = nullptr;
  return {};
}

// ---- Inflater ----

struct Inflater::State {
  z_stream z{};
  std::array<Bytef, kBuffer> buffer;
  bool initialized = false;
  std::optional<Error> broken;  // set once; every later call returns it
  bool ended = false;           // the final block was seen
  bool maybe_more = false;      // the last zlib call filled its output space
  std::string held;             // unconsumed input from Errc::limit calls,
  std::size_t held_pos = 0;     // from held_pos on
};

Inflater::Inflater() : state_(std::make_unique<State>()) {
  State& s = *state_;
  s.initialized = inflateInit2(&s.z, kRawDeflate) == Z_OK;
  if (!s.initialized) s.broken = fail(Errc::internal, "inflateInit2 failed");
}

Inflater::~Inflater() {
  if (state_->initialized) inflateEnd(&state_->z);
}

bool Inflater::pending() const { return state_->held_pos < state_->held.size() || state_->maybe_more; }

Status Inflater::inflate(std::string_view data, std::string& out, std::size_t max_out) {
  State& s = *state_;
  if (s.broken) return *s.broken;
  const auto breaks = [&](Errc code, std::string detail) {
    s.broken = fail(code, std::move(detail));
    s.held.clear();
    s.held_pos = 0;
    s.maybe_more = false;
    return *s.broken;
  };

  // The input: kept bytes then `data`, read in place when nothing is kept.
  const bool from_held = s.held_pos < s.held.size();
  if (from_held && !data.empty()) {
    s.held.erase(0, s.held_pos);
    s.held_pos = 0;
    s.held.append(data);
  }
  std::string_view in = from_held ? std::string_view(s.held).substr(s.held_pos) : data;
  if (s.ended && !in.empty()) return breaks(Errc::invalid, "data after the final deflate block");

  std::size_t produced = 0;
  Status result;
  for (;;) {
    if (in.empty() && !s.maybe_more) break;  // all consumed, all output given
    if (produced == max_out) {
      result = fail(Errc::limit, "inflate output limit");
      break;
    }
    const std::size_t in_now = std::min(in.size(), kMaxZlibIn);
    const std::size_t room = std::min(max_out - produced, s.buffer.size());
    s.z.next_in = bytes(in.data());
    s.z.avail_in = static_cast<uInt>(in_now);
    s.z.next_out = s.buffer.data();
    s.z.avail_out = static_cast<uInt>(room);
    const int rc = ::inflate(&s.z, Z_SYNC_FLUSH);
    const std::size_t consumed = in_now - s.z.avail_in;
    const std::size_t got = room - s.z.avail_out;
    out.append(reinterpret_cast<const char*>(s.buffer.data()), got);
    in.remove_prefix(consumed);
    produced += got;
    s.maybe_more = s.z.avail_out == 0;
    s.z.next_in = nullptr;
    if (rc == Z_STREAM_END) {
      s.ended = true;
      s.maybe_more = false;
      if (!in.empty()) return breaks(Errc::invalid, "data after the final deflate block");
      break;
    }
    if (rc == Z_DATA_ERROR || rc == Z_NEED_DICT) return breaks(Errc::invalid, zlib_detail("inflate", rc, s.z));
    if (rc != Z_OK && rc != Z_BUF_ERROR) return breaks(Errc::internal, zlib_detail("inflate", rc, s.z));
    // Z_BUF_ERROR is "no progress possible": with output space, that means
    // the input is used up. Anything else without progress would spin.
    if (consumed == 0 && got == 0 && !in.empty()) return breaks(Errc::internal, "inflate made no progress");
  }

  if (from_held) {
    s.held_pos = s.held.size() - in.size();
    if (s.held_pos == s.held.size()) {
      s.held.clear();
      s.held_pos = 0;
    }
  } else {
    s.held.assign(in);
    s.held_pos = 0;
  }
  return result;
}

}  // namespace parley::imap
