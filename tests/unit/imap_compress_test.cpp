// parley_imap COMPRESS=DEFLATE (RFC 4978): every compress() output decodes
// at once, round trips small and large, input fed one byte at a time, the
// per-call output bound (a 1 GiB bomb taken 1 MiB at a time), corrupt and
// trailing data, empty input.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "imap/compress.h"

namespace parley::imap {
namespace {

constexpr std::size_t kMiB = std::size_t{1} << 20;

// Deterministic filler: `text` gives compressible protocol-like lines,
// otherwise bytes that do not compress.
std::string filler(std::size_t n, bool text, std::uint32_t seed = 1) {
  std::string s;
  s.reserve(n);
  std::uint32_t x = seed;
  while (s.size() < n) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    if (text) {
      s += "* " + std::to_string(x % 5000) + " FETCH (FLAGS (\\Seen) UID " + std::to_string(x % 977) + ")\r\n";
    } else {
      s += static_cast<char>(x & 0xFF);
    }
  }
  s.resize(n);
  return s;
}

std::string compress_all(const std::string& data, int level = -1) {
  Deflater d(level);
  std::string wire;
  EXPECT_TRUE(d.compress(data, wire).ok());
  return wire;
}

// Inflates `wire` (in chunks of `chunk` bytes, 0: all at once), taking at
// most `max_out` per call, checking the bound and the results.
std::string inflate_all(Inflater& inf, std::string_view wire, std::size_t max_out, std::size_t chunk = 0) {
  std::string all;
  std::size_t pos = 0;
  do {
    const std::size_t n = chunk == 0 ? wire.size() : std::min(chunk, wire.size() - pos);
    std::string out;
    Status st = inf.inflate(wire.substr(pos, n), out, max_out);
    pos += n;
    for (;;) {
      EXPECT_LE(out.size(), max_out);
      all += out;
      out.clear();
      if (st.ok()) break;
      EXPECT_EQ(st.code(), Errc::limit) << st.error().detail;
      if (st.code() != Errc::limit) return all;
      EXPECT_TRUE(inf.pending());
      st = inf.inflate({}, out, max_out);
    }
    EXPECT_FALSE(inf.pending());
  } while (pos < wire.size());
  return all;
}

TEST(Compress, ManySmallWritesEachDecodableAtOnce) {
  Deflater d;
  Inflater inf;
  for (int k = 0; k < 3000; ++k) {
    const std::string line = "* " + std::to_string(k) + " FETCH (UID " + std::to_string(k * 7) + " FLAGS (\\Seen))\r\n";
    std::string wire;
    ASSERT_TRUE(d.compress(line, wire).ok());
    ASSERT_FALSE(wire.empty());
    std::string out = "kept:";  // output is appended
    ASSERT_TRUE(inf.inflate(wire, out, kMiB).ok());
    ASSERT_EQ(out, "kept:" + line);
    ASSERT_FALSE(inf.pending());
  }
}

TEST(Compress, LargeWrite) {
  const std::string text = filler(8 * kMiB, true);
  const std::string wire = compress_all(text);
  EXPECT_LT(wire.size(), text.size() / 4);
  Inflater one;
  std::string out;
  ASSERT_TRUE(one.inflate(wire, out, text.size() + 1).ok());  // == size would be Errc::limit (more may follow)
  EXPECT_EQ(out, text);
  Inflater stepped;  // the same stream taken 100,000 bytes at a time
  EXPECT_EQ(inflate_all(stepped, wire, 100000), text);
}

TEST(Compress, IncompressibleData) {
  const std::string noise = filler(3 * kMiB, false);
  const std::string wire = compress_all(noise);
  EXPECT_GE(wire.size(), noise.size());
  Inflater inf;
  EXPECT_EQ(inflate_all(inf, wire, 4 * kMiB, 65536), noise);
}

TEST(Compress, Levels) {
  const std::string text = filler(200000, true);
  for (int level : {0, 1, 6, 9}) {
    Inflater inf;
    EXPECT_EQ(inflate_all(inf, compress_all(text, level), kMiB), text) << level;
  }
  Deflater bad(42);
  std::string wire;
  EXPECT_EQ(bad.compress("x", wire).code(), Errc::internal);
  EXPECT_TRUE(wire.empty());
}

TEST(Compress, ByteAtATime) {
  Deflater d;
  std::string wire, expected;
  for (int k = 0; k < 50; ++k) {
    const std::string part = filler(static_cast<std::size_t>(k) * 97 + 1, k % 2 == 0, static_cast<std::uint32_t>(k + 1));
    ASSERT_TRUE(d.compress(part, wire).ok());
    expected += part;
  }
  Inflater in_bytes;
  EXPECT_EQ(inflate_all(in_bytes, wire, kMiB, 1), expected);
  Inflater out_bytes;  // one input byte and at most one output byte at a time
  EXPECT_EQ(inflate_all(out_bytes, wire, 1, 1), expected);
}

TEST(Compress, EmptyInput) {
  Deflater d;
  Inflater inf;
  std::string wire, out;
  ASSERT_TRUE(d.compress("", wire).ok());
  EXPECT_TRUE(wire.empty());
  EXPECT_TRUE(inf.inflate("", out, 100).ok());
  EXPECT_TRUE(out.empty());
  EXPECT_TRUE(inf.inflate("", out, 0).ok());
  // Empty writes between real ones leave the stream intact.
  ASSERT_TRUE(d.compress("a", wire).ok());
  ASSERT_TRUE(d.compress("", wire).ok());
  ASSERT_TRUE(d.compress("b", wire).ok());
  EXPECT_EQ(inflate_all(inf, wire, 10), "ab");
}

TEST(Compress, LimitKeepsInput) {
  const std::string text = filler(5000, true);
  const std::string wire = compress_all(text);
  Inflater inf;
  std::string out;
  {
    std::string transient = wire;  // the input need not outlive the call
    EXPECT_EQ(inf.inflate(transient, out, 0).code(), Errc::limit);
  }
  EXPECT_TRUE(out.empty());
  EXPECT_TRUE(inf.pending());
  EXPECT_EQ(inf.inflate({}, out, 1000).code(), Errc::limit);
  EXPECT_EQ(out.size(), 1000u);
  Status st = inf.inflate({}, out, 1 << 20);
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(out, text);
  EXPECT_FALSE(inf.pending());
}

TEST(Compress, ExactLimitThenNothing) {
  const std::string text = filler(4096, true);
  Inflater inf;
  std::string out;
  // The output fills the space exactly: more may follow, so Errc::limit;
  // the next call finds only the flush marker and gives ok with nothing.
  EXPECT_EQ(inf.inflate(compress_all(text), out, text.size()).code(), Errc::limit);
  EXPECT_EQ(out, text);
  EXPECT_TRUE(inf.inflate({}, out, text.size()).ok());
  EXPECT_EQ(out, text);
  EXPECT_FALSE(inf.pending());
}

TEST(Compress, MoreInputWhileInputIsKept) {
  Deflater d;
  std::string first, second;
  const std::string a = filler(3000, true, 7), b = filler(3000, true, 8);
  ASSERT_TRUE(d.compress(a, first).ok());
  ASSERT_TRUE(d.compress(b, second).ok());
  Inflater inf;
  std::string out;
  EXPECT_EQ(inf.inflate(first, out, 100).code(), Errc::limit);
  Status st = inf.inflate(second, out, 1 << 20);  // appended after the kept bytes
  ASSERT_TRUE(st.ok()) << st.error().detail;
  EXPECT_EQ(out, a + b);
}

TEST(Compress, BombIsBounded) {
  // 1 MiB of zeros, then the same again: the second piece decodes to 1 MiB
  // of zeros after any output ending in 32 KiB of zeros (it only looks back
  // into the window, and ends on a byte boundary), so repeating it gives a
  // valid stream of 1 GiB from about 1 MiB of input.
  Deflater d;
  const std::string zeros(kMiB, '\0');
  std::string head, piece;
  ASSERT_TRUE(d.compress(zeros, head).ok());
  ASSERT_TRUE(d.compress(zeros, piece).ok());
  std::string bomb = head;
  for (int i = 1; i < 1024; ++i) bomb += piece;
  EXPECT_LT(bomb.size(), 2 * kMiB);

  Inflater inf;
  std::string out;
  Status st = inf.inflate(bomb, out, kMiB);
  std::size_t total = 0, calls = 0;
  for (;;) {
    ASSERT_LE(out.size(), kMiB);
    ASSERT_EQ(std::string_view(out), std::string_view(zeros).substr(0, out.size()));
    total += out.size();
    out.clear();
    ++calls;
    if (st.ok()) break;
    ASSERT_EQ(st.code(), Errc::limit);
    st = inf.inflate({}, out, kMiB);
  }
  EXPECT_EQ(total, 1024 * kMiB);
  EXPECT_GE(calls, 1024u);
}

TEST(Compress, CorruptInput) {
  struct Case {
    std::string name;
    std::string wire;
  };
  const std::vector<Case> cases = {
      {"reserved block type", std::string("\xff\xff\xff\xff", 4)},
      {"stored block lengths", std::string("\x00\x05\x00\x00\x00", 5)},
      // Fixed-Huffman block whose first code is a match: distance beyond
      // the (empty) output.
      {"distance too far", std::string("\x02\x02\x00\x00", 4)},
  };
  for (const Case& c : cases) {
    Inflater inf;
    std::string out;
    Status st = inf.inflate(c.wire, out, kMiB);
    EXPECT_EQ(st.code(), Errc::invalid) << c.name;
    // Broken for good: valid data afterwards is refused the same way.
    EXPECT_EQ(inf.inflate(compress_all("hello"), out, kMiB).code(), Errc::invalid) << c.name;
    EXPECT_FALSE(inf.pending());
  }
  // Corruption after good data: the good part is delivered first.
  Inflater inf;
  std::string out;
  std::string wire = compress_all("good data");
  wire += std::string("\xff\xff\xff", 3);
  EXPECT_EQ(inf.inflate(wire, out, kMiB).code(), Errc::invalid);
  EXPECT_EQ(out, "good data");
}

TEST(Compress, DataAfterFinalBlock) {
  // "\x03\x00": an empty final fixed-Huffman block. RFC 4978 streams never
  // end, but the end itself is not an error; bytes after it are.
  {
    Inflater inf;
    std::string out;
    EXPECT_TRUE(inf.inflate(std::string("\x03\x00", 2), out, 10).ok());
    EXPECT_TRUE(inf.inflate({}, out, 10).ok());
    EXPECT_EQ(inf.inflate("x", out, 10).code(), Errc::invalid);
  }
  {
    Inflater inf;
    std::string out;
    EXPECT_EQ(inf.inflate(std::string("\x03\x00x", 3), out, 10).code(), Errc::invalid);
  }
}

}  // namespace
}  // namespace parley::imap
