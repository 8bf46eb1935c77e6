// PIDF (sip/presence.h) on arbitrary bytes: never crashes; a parsed
// document built back parses again (or is over the size limit, as
// escaping may make it) with the same tuples and statuses, alone and
// aggregated with itself.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "sip/presence.h"

namespace {

void check_round_trip(const parley::sip::Presence& p) {
  auto again = parley::sip::parse_pidf(parley::sip::build_pidf(p));
  if (!again) {
    if (again.code() != parley::Errc::limit) std::abort();
    return;
  }
  if (again->tuples.size() != p.tuples.size()) std::abort();
  for (std::size_t i = 0; i < p.tuples.size(); ++i) {
    if (again->tuples[i].open != p.tuples[i].open) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto p = parley::sip::parse_pidf(text);
  if (!p) return 0;
  check_round_trip(*p);
  if (p->tuples.size() <= parley::sip::kMaxPidfTuples / 2) {
    check_round_trip(parley::sip::aggregate(p->entity, {*p, *p}));
  }
  return 0;
}
