// COMPRESS=DEFLATE (RFC 4978): the two directions of one connection's
// compression layer, raw deflate (RFC 1951, no zlib or gzip header), as
// zlib does it with windowBits -15. Pure: bytes in, bytes out, no I/O.
// One object per direction per connection; not thread-safe.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "core/result.h"

namespace parley::imap {

// Outgoing data. Each compress() ends with a sync flush (RFC 4978 4: the
// peer must be able to decode a whole response without waiting for more),
// so its output, appended to everything before it, decodes to all the
// input given so far. The stream is never finished: COMPRESS lasts until
// the connection closes.
class Deflater {
 public:
  // `level`: zlib's 0 (store) .. 9 (best), -1 its default (6).
  explicit Deflater(int level = -1);
  ~Deflater();
  Deflater(const Deflater&) = delete;
  Deflater& operator=(const Deflater&) = delete;

  // Appends the compressed, flushed form of `data` to `out` (empty `data`
  // appends nothing). Errc::internal if zlib fails (out of memory at
  // construction, a broken stream); the stream is then unusable and every
  // later call fails the same way.
  Status compress(std::string_view data, std::string& out);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// Incoming data, with its output bounded per call so that a small input
// that expands enormously (a "decompression bomb": deflate reaches about
// 1:1000) costs the caller only what it chooses to take at a time.
class Inflater {
 public:
  Inflater();
  ~Inflater();
  Inflater(const Inflater&) = delete;
  Inflater& operator=(const Inflater&) = delete;

  // Decompresses the input kept from earlier calls followed by `data`,
  // appending at most `max_out` bytes to `out` (which is otherwise left
  // as it was).
  //   ok: all input is consumed and all of its output appended; nothing is
  //     kept (pending() is false).
  //   Errc::limit: `max_out` bytes were appended and more may follow; the
  //     unconsumed input is kept (copied: `data` need not outlive the
  //     call). Use the output, then call again, with empty `data` or with
  //     more, until the result is ok. Kept input grows only by what the
  //     caller passes: a reader should stop reading from the peer while
  //     pending(). `max_out` == 0 always gives this (when there is input).
  //   Errc::invalid: the stream is corrupt, or bytes follow its final
  //     block (RFC 4978 streams never end). Output appended before the
  //     corrupt point is kept in `out`; the stream is unusable and every
  //     later call fails the same way.
  //   Errc::internal: zlib failed (out of memory); unusable, as above.
  Status inflate(std::string_view data, std::string& out, std::size_t max_out);

  // Input is kept, or output may be waiting, from a call that gave Errc::limit.
  bool pending() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace parley::imap
