// parley_mail on arbitrary messages: header lookup, header_end, xtext and
// build_dsn. The first line of the input names the field to look up; the
// rest is the message. Invariants (abort() when broken): header() is the
// first of headers(), count_headers() their number, values carry no line
// feed, header_end() is within the message; xtext round-trips; a DSN has
// only CRLF line ends and no line over 998 octets.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "mail/dsn.h"
#include "mail/headers.h"
#include "mail/xtext.h"

namespace {

void check_lines(const std::string& text) {
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t crlf = text.find("\r\n", start);
    if (crlf == std::string::npos) std::abort();
    const std::string_view line(text.data() + start, crlf - start);
    if (line.size() > parley::mail::kMaxLine || line.find_first_of("\r\n") != std::string_view::npos) std::abort();
    start = crlf + 2;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace parley::mail;
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  const std::size_t lf = in.find('\n');
  const std::string_view name = lf == std::string_view::npos ? std::string_view("Subject") : in.substr(0, lf);
  const std::string_view message = lf == std::string_view::npos ? in : in.substr(lf + 1);

  const auto first = header(message, name);
  const auto all = headers(message, name);
  if (static_cast<int>(all.size()) != count_headers(message, name)) std::abort();
  if (first.has_value() != !all.empty()) std::abort();
  if (first && *first != all.front()) std::abort();
  for (const std::string& v : all) {
    if (v.find('\n') != std::string::npos) std::abort();
  }
  if (header_end(message) > message.size()) std::abort();

  const std::string encoded = xtext_encode(message.substr(0, 4096));
  const auto decoded = xtext_decode(encoded);
  if (!decoded || *decoded != message.substr(0, 4096)) std::abort();
  (void)xtext_decode(message.substr(0, 4096));

  Dsn dsn;
  dsn.reporting_mta = "mx.example.org";
  dsn.from = "MAILER-DAEMON@mx.example.org";
  dsn.to = std::string(name);
  dsn.envid = std::string(name);
  dsn.original = message;
  dsn.utf8 = size > 0 && (data[0] & 1);
  DsnRecipient r;
  r.final_recipient = std::string(name);
  r.original_recipient = "rfc822;" + std::string(name);
  r.action = size > 1 && (data[1] & 1) ? "delayed" : "failed";
  r.diagnostic = std::string(message.substr(0, 2000));
  dsn.recipients.push_back(r);
  check_lines(build_dsn(dsn, size > 2 && (data[2] & 1) ? 64 : kMaxDsnOriginal));
  return 0;
}
