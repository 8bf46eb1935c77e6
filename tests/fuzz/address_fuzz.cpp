// parse_mailbox (both SMTPUTF8 modes) and normalize on arbitrary bytes:
// must never crash. An accepted mailbox must survive to_string: parsing
// the text form again gives the same local part and domain, and the text
// form is a fixed point.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "addr/addr.h"

namespace {

void round_trip(std::string_view text, bool utf8) {
  const auto parsed = parley::addr::parse_mailbox(text, utf8);
  if (!parsed) return;
  const std::string shown = parley::addr::to_string(*parsed);
  if (shown.size() > text.size()) std::abort();
  const auto again = parley::addr::parse_mailbox(shown, utf8);
  if (!again || again->local != parsed->local || again->domain != parsed->domain ||
      again->literal != parsed->literal || parley::addr::to_string(*again) != shown) {
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  round_trip(text, true);
  round_trip(text, false);
  // ASCII-only acceptance implies UTF-8 acceptance of the same text.
  if (parley::addr::parse_mailbox(text, false) && !parley::addr::parse_mailbox(text, true)) std::abort();

  const auto normalized = parley::addr::normalize(text);
  if (normalized) {
    // The stored form, written out, normalizes to itself. Only a limit may
    // get in the way: A-labels and quoting can be longer than the input.
    const parley::addr::Address stored{normalized->local, normalized->domain, false,
                                       normalized->domain.front() == '['};
    const auto again = parley::addr::normalize(parley::addr::to_string(stored), '\0');
    if (again ? again->key() != normalized->key() || !again->detail.empty()
              : again.code() != parley::Errc::limit) {
      std::abort();
    }
  }
  (void)parley::addr::normalize_domain(text);
  return 0;
}
