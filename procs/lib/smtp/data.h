// The message body on the wire: the DATA reader (RFC 5321 4.1.1.4, 4.5.2),
// BDAT chunks (RFC 3030) and outbound dot-stuffing. Pure: no I/O.
//
// Untrusted input: every byte fed to DataReader comes from the peer.
//
// Policy (SMTP smuggling defence): Parley refuses any message that contains
// a bare CR or a bare LF. End of data is recognized ONLY at CRLF "." CRLF;
// "\n.\n", "\n.\r\n", "\r.\r\n", "\r\n.\n" and the like are ordinary (bad)
// bytes. The reader keeps reading to the real end and then reports
// DataVerdict::bare_line_ending: the session answers kBareLineEnding
// (550 5.6.0, reply.h) after the dot and discards the message.
//
// NUL octets: RFC 5321 2.3.8 and 4.1.1.4 (message text is US-ASCII or, with
// 8BITMIME, 8-bit octets other than NUL) and RFC 5322 leave no room for a
// NUL outside BINARYMIME, which Parley does not offer; probes like
// smtpsmug's "nullbefore"/"nullafter" hide one next to the final dot. By
// default the reader refuses them (DataVerdict::nul, kNulInMessage 554
// 5.6.0) and has_nul() finds them in BDAT data; Nul::allow takes them as
// ordinary octets. dot_stuff() never sends one.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "core/result.h"

namespace parley::smtp {

constexpr std::size_t kMaxTextLine = 1000;  // RFC 5321 4.5.3.1.6, CRLF included

// What was wrong with a message, reported once the end of data is seen.
// When several apply, the first in this order wins: bare_line_ending, nul,
// too_big, line_too_long.
enum class DataVerdict {
  ok,
  bare_line_ending,  // a bare CR or LF: kBareLineEnding (550 5.6.0)
  nul,               // a NUL octet (with Nul::refuse): kNulInMessage (554 5.6.0)
  too_big,           // more than max_size body octets: kTooBig (552 5.3.4)
  line_too_long,     // a line over max_line octets on the wire: kDataLineTooLong (550 5.6.0)
};

// Whether a NUL octet in message text is refused (the default) or kept.
enum class Nul { refuse, allow };

// Reads the body after "354" until CRLF "." CRLF, in chunks of any size.
//   - dot-unstuffing: a line's leading "." is removed ("..x" -> ".x",
//     ".\0" -> "\0"); only CRLF "." CRLF ends the data, so "\0." or ".\0"
//     on a line of its own is text (refused with Nul::refuse);
//   - the body passed to the sink is the unstuffed text with its CRLFs,
//     without the final "." CRLF; the CRLF before the dot belongs to the
//     body (the last line's line ending);
//   - size: unstuffed body octets; line length: octets of a wire line,
//     CRLF and stuffing dot included;
//   - once the verdict is not ok, the sink is not called any more (the
//     message will be refused) but reading continues to the end;
//   - any chunking of the same input gives the same sink output (as a
//     concatenation), the same total consumed and the same verdict.
class DataReader {
 public:
  using Sink = std::function<void(std::string_view)>;

  explicit DataReader(std::uint64_t max_size, std::size_t max_line = kMaxTextLine, Nul nul = Nul::refuse)
      : max_size_(max_size), max_line_(max_line), nul_(nul) {}

  // Consumes bytes of `in` up to and including the end of data; returns
  // how many. Bytes after the end (pipelined commands) are not consumed.
  // After done(), consumes nothing.
  std::size_t feed(std::string_view in, const Sink& sink);

  bool done() const { return state_ == State::done; }
  DataVerdict verdict() const { return verdict_; }
  // After done(): ok, or Errc::syntax (bare_line_ending, nul) / Errc::limit.
  Status status() const;
  std::uint64_t size() const { return size_; }  // body octets counted so far

 private:
  enum class State { line_start, mid, cr, dot, dot_cr, done };

  void flag(DataVerdict verdict);
  void emit(std::string& out, std::string_view bytes);
  void step(char c, std::string& out);

  std::uint64_t max_size_;
  std::size_t max_line_;
  Nul nul_;
  State state_ = State::line_start;
  DataVerdict verdict_ = DataVerdict::ok;
  bool bare_ = false, has_nul_ = false, big_ = false, long_ = false;
  std::uint64_t size_ = 0;
  std::size_t line_ = 0;
};

// One BDAT chunk (RFC 3030): exactly `size` octets follow the command,
// binary, with no dot handling.
class BdatChunk {
 public:
  BdatChunk(std::uint64_t size, bool last) : remaining_(size), last_(last) {}
  // The prefix of `buf` that belongs to the chunk (possibly empty); counts
  // it as taken. The rest of `buf` is the next command.
  std::string_view take(std::string_view buf);
  bool done() const { return remaining_ == 0; }
  bool last() const { return last_; }
  std::uint64_t remaining() const { return remaining_; }

 private:
  std::uint64_t remaining_;
  bool last_;
};

// Whether `body` holds a CR not followed by LF or an LF not preceded by CR
// (the BDAT counterpart of DataVerdict::bare_line_ending).
bool has_bare_line_ending(std::string_view body);

// Whether `body` holds a NUL octet (the BDAT counterpart of DataVerdict::nul).
bool has_nul(std::string_view body);

constexpr std::string_view kEndOfData = ".\r\n";  // sent after a dot-stuffed body

// Outbound DATA: mail::dot_stuff (mail/dot_stuff.h), strict. The body
// must be empty or end with CRLF and must contain no bare CR or bare LF
// (so the result can never hold a smuggling sequence): Errc::syntax for a
// bare CR/LF, Errc::invalid for a missing final CRLF. NUL octets are
// dropped (SMTP text cannot carry them, see above), and a line is stuffed
// by what is left of it ("\0.\r\n" goes out as "..\r\n"), so no NUL is
// ever sent and none can hide an end of data. The result does not include
// kEndOfData. Nothing else is changed (line lengths are the caller's
// affair).
Result<std::string> dot_stuff(std::string_view body);

}  // namespace parley::smtp
