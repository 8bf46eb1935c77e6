#include "smtp/data.h"

#include <algorithm>
#include <string>

#include "mail/dot_stuff.h"

namespace parley::smtp {
namespace {

constexpr std::size_t kFlushAt = 64 * 1024;  // sink call granularity
// Octets the fast path stops at: line ends, and NUL when it is refused.
constexpr std::string_view kLineEnds("\r\n", 2);
constexpr std::string_view kLineEndsAndNul("\r\n\0", 3);

}  // namespace

void DataReader::flag(DataVerdict verdict) {
  switch (verdict) {
    case DataVerdict::bare_line_ending: bare_ = true; break;
    case DataVerdict::nul: has_nul_ = true; break;
    case DataVerdict::too_big: big_ = true; break;
    case DataVerdict::line_too_long: long_ = true; break;
    case DataVerdict::ok: break;
  }
  verdict_ = bare_ ? DataVerdict::bare_line_ending
             : has_nul_ ? DataVerdict::nul
             : big_ ? DataVerdict::too_big
             : long_ ? DataVerdict::line_too_long
                     : DataVerdict::ok;
}

// Body octets: counted against the size limit, passed on while all is well.
void DataReader::emit(std::string& out, std::string_view bytes) {
  // Exactly the octets up to the limit go out, however the input is cut.
  const std::uint64_t room = max_size_ - std::min(max_size_, size_);
  if (bytes.size() > room) {
    if (verdict_ == DataVerdict::ok) out.append(bytes.substr(0, static_cast<std::size_t>(room)));
    flag(DataVerdict::too_big);
  } else if (verdict_ == DataVerdict::ok) {
    out.append(bytes);
  }
  size_ += bytes.size();
}

// One wire byte. Line length counts every byte of a line up to its CRLF;
// only CRLF starts a new line, so a bare CR/LF never opens a "." line.
void DataReader::step(char c, std::string& out) {
  if (++line_ > max_line_) flag(DataVerdict::line_too_long);
  switch (state_) {
    case State::line_start:
      if (c == '.') {
        state_ = State::dot;
        return;
      }
      state_ = State::mid;
      break;
    case State::dot:
      if (c == '\r') {
        state_ = State::dot_cr;
        return;
      }
      state_ = State::mid;  // the stuffing dot is dropped
      break;
    case State::dot_cr:
      if (c == '\n') {
        state_ = State::done;
        return;
      }
      flag(DataVerdict::bare_line_ending);  // ".\r" then not LF
      emit(out, "\r");
      state_ = State::mid;
      break;
    case State::cr:
      if (c == '\n') {
        emit(out, "\r\n");
        state_ = State::line_start;
        line_ = 0;
        return;
      }
      flag(DataVerdict::bare_line_ending);
      emit(out, "\r");
      state_ = State::mid;
      break;
    case State::mid:
    case State::done:
      break;
  }
  // State::mid with `c` still to handle.
  if (c == '\r') {
    state_ = State::cr;
    return;
  }
  if (c == '\n') flag(DataVerdict::bare_line_ending);
  if (c == '\0' && nul_ == Nul::refuse) flag(DataVerdict::nul);
  emit(out, std::string_view(&c, 1));
}

std::size_t DataReader::feed(std::string_view in, const Sink& sink) {
  std::string out;
  std::size_t i = 0;
  const std::string_view stops = nul_ == Nul::refuse ? kLineEndsAndNul : kLineEnds;
  while (i < in.size() && state_ != State::done) {
    if (state_ == State::mid) {
      // Fast path: a run of ordinary bytes inside a line.
      const auto stop = in.find_first_of(stops, i);
      const std::size_t end = stop == std::string_view::npos ? in.size() : stop;
      // Up to the line limit only, so the byte that crosses it goes through
      // step() exactly as it would when fed alone.
      const std::size_t room = long_ ? in.size() : max_line_ - std::min(max_line_, line_);
      const std::size_t n = std::min(end - i, room);
      if (n > 0) {
        line_ += n;
        emit(out, in.substr(i, n));
        i += n;
        if (out.size() >= kFlushAt) {
          sink(out);
          out.clear();
        }
        continue;
      }
    }
    step(in[i++], out);
    if (out.size() >= kFlushAt) {
      sink(out);
      out.clear();
    }
  }
  if (!out.empty()) sink(out);
  return i;
}

Status DataReader::status() const {
  switch (verdict_) {
    case DataVerdict::ok: return {};
    case DataVerdict::bare_line_ending: return fail(Errc::syntax, "bare CR or LF in message");
    case DataVerdict::nul: return fail(Errc::syntax, "NUL in message");
    case DataVerdict::too_big: return fail(Errc::limit, "message too big");
    case DataVerdict::line_too_long: return fail(Errc::limit, "line too long in message");
  }
  return fail(Errc::internal, "bad verdict");
}

std::string_view BdatChunk::take(std::string_view buf) {
  const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, buf.size()));
  remaining_ -= n;
  return buf.substr(0, n);
}

bool has_bare_line_ending(std::string_view body) {
  for (std::size_t i = body.find_first_of("\r\n"); i != std::string_view::npos; i = body.find_first_of("\r\n", i + 1)) {
    if (body[i] == '\r' && (i + 1 == body.size() || body[i + 1] != '\n')) return true;
    if (body[i] == '\n' && (i == 0 || body[i - 1] != '\r')) return true;
  }
  return false;
}

bool has_nul(std::string_view body) { return body.find('\0') != std::string_view::npos; }

Result<std::string> dot_stuff(std::string_view body) {
  // Refused before stuffing, which would make line ends of them.
  if (has_bare_line_ending(body)) return fail(Errc::syntax, "bare CR or LF");
  std::string without_nul;
  if (has_nul(body)) {
    without_nul = body;
    std::erase(without_nul, '\0');
    body = without_nul;
  }
  if (!body.empty() && !body.ends_with("\r\n")) return fail(Errc::invalid, "body does not end with CRLF");
  return mail::dot_stuff(body);
}

}  // namespace parley::smtp
