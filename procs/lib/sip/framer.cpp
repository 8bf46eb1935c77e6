#include "sip/framer.h"

#include <algorithm>
#include <utility>

#include "core/ascii.h"

namespace parley::sip {
namespace {

bool ws(char c) { return c == ' ' || c == '\t'; }

// The Content-Length of a header block (start line, header lines with
// their CRLFs, no empty line): nullopt when there is none; -1 when it is
// not a number or there are two. The full check is parse_message's; this
// only finds where the message ends.
std::optional<long long> content_length(std::string_view head) {
  std::optional<long long> found;
  std::size_t at = head.find("\r\n");
  while (at != std::string_view::npos && at + 2 < head.size()) {
    at += 2;
    std::size_t eol = head.find("\r\n", at);
    if (eol == std::string_view::npos) eol = head.size();
    const std::string_view line = head.substr(at, eol - at);
    at = eol;
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view name = line.substr(0, colon);
    while (!name.empty() && ws(name.back())) name.remove_suffix(1);
    if (!ascii_iequal(name, "content-length") && !ascii_iequal(name, "l")) continue;
    // The value, with any continuation lines (folding) that follow.
    std::string value(line.substr(colon + 1));
    while (at + 2 < head.size() && ws(head[at + 2])) {
      eol = head.find("\r\n", at + 2);
      if (eol == std::string_view::npos) eol = head.size();
      value.push_back(' ');
      value.append(head.substr(at + 2, eol - at - 2));
      at = eol;
    }
    std::string_view digits(value);
    while (!digits.empty() && ws(digits.front())) digits.remove_prefix(1);
    while (!digits.empty() && ws(digits.back())) digits.remove_suffix(1);
    if (digits.empty() || found) return -1;
    long long n = 0;
    for (char c : digits) {
      if (c < '0' || c > '9') return -1;
      // Anything above a billion is over every limit: stop counting.
      if (n <= 1'000'000'000) n = n * 10 + (c - '0');
    }
    found = n;
  }
  return found;
}

}  // namespace

void Framer::feed(std::string_view bytes) {
  if (broken_) return;
  // Octets of an over-limit message's body are dropped as they come.
  const std::size_t drop = std::min(skip_, bytes.size());
  skip_ -= drop;
  bytes.remove_prefix(drop);
  buf_.append(bytes);
}

Result<std::optional<Frame>> Framer::broken_with(Errc code, std::string detail) {
  broken_ = true;
  buf_.clear();
  buf_.shrink_to_fit();
  return fail(code, std::move(detail));
}

Result<std::optional<Frame>> Framer::next() {
  if (broken_ || skip_ > 0) return std::optional<Frame>{};
  // Keep-alives between messages: CRLFCRLF a ping, a CRLF not followed by
  // another a pong; a message never starts with CR.
  if (!buf_.empty() && buf_[0] == '\r') {
    constexpr std::string_view kPing = "\r\n\r\n";
    const std::size_t n = std::min(buf_.size(), kPing.size());
    if (std::string_view(buf_).substr(0, n) != kPing.substr(0, n)) {
      if (buf_.size() >= 3 && buf_.compare(0, 2, "\r\n") == 0 && buf_[2] != '\r') {
        buf_.erase(0, 2);
        scanned_ = 0;
        return std::optional<Frame>{Frame{Frame::Kind::pong, {}}};
      }
      return broken_with(Errc::syntax, "stray CR between messages");
    }
    if (n < kPing.size()) return std::optional<Frame>{};
    buf_.erase(0, kPing.size());
    scanned_ = 0;
    return std::optional<Frame>{Frame{Frame::Kind::ping, {}}};
  }
  if (need_) return take(*need_);
  const std::size_t from = scanned_ >= 3 ? scanned_ - 3 : 0;
  const std::size_t end = buf_.find("\r\n\r\n", from);
  if (end == std::string::npos) {
    scanned_ = buf_.size();
    if (buf_.size() > max_) return broken_with(Errc::limit, "message headers larger than the limit");
    return std::optional<Frame>{};
  }
  const std::size_t head = end + 4;
  if (head > max_) return broken_with(Errc::limit, "message headers larger than the limit");
  const auto cl = content_length(std::string_view(buf_).substr(0, end + 2));
  if (!cl) return broken_with(Errc::syntax, "no Content-Length on a stream");
  if (*cl < 0) return broken_with(Errc::syntax, "bad Content-Length");
  const auto body = static_cast<std::size_t>(*cl);
  if (body > max_ - head) {
    // Too large. A body of up to max_ octets more is skipped so the
    // stream goes on; beyond that the peer is not worth waiting for.
    if (body > max_) return broken_with(Errc::limit, "message far larger than the limit");
    const std::size_t have = std::min(body, buf_.size() - head);
    skip_ = body - have;
    buf_.erase(0, head + have);
    scanned_ = 0;
    return fail(Errc::limit, "message larger than the limit");
  }
  return take(head + body);
}

Result<std::optional<Frame>> Framer::take(std::size_t size) {
  if (buf_.size() < size) {
    need_ = size;  // the headers are known; wait for the body
    return std::optional<Frame>{};
  }
  Frame frame{Frame::Kind::message, buf_.substr(0, size)};
  buf_.erase(0, size);
  scanned_ = 0;
  need_.reset();
  return std::optional<Frame>{std::move(frame)};
}

}  // namespace parley::sip
