// Fuzzes sipd's flow names and flow tokens (procs/sipd/flow.h): a token is
// the user part of a Route URI the network sends back. A crash, a
// sanitizer report, a name that does not round-trip, or a token accepted
// under a key it was not made with is a finding.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "procs/sipd/flow.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace parley::sipd;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  if (auto flow = parse_flow(input)) {
    if (parse_flow(flow->name()) != flow) std::abort();
    if (parse_flow_token(flow_token(*flow, "key"), "key") != flow) std::abort();
    if (parse_flow_token(flow_token(*flow, "key"), "other")) std::abort();
  }
  (void)parse_flow_token(input, "key");
  return 0;
}
