// Fuzzes the sipd.trunks entry parser (procs/sipd/settings.h). A crash, a
// sanitizer report, or an accepted entry without the fields it must have
// is a finding.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "procs/sipd/settings.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  if (auto trunk = parley::sipd::parse_trunk(input)) {
    if (trunk->name.empty() || trunk->registrar.empty() || trunk->proxy.empty() || trunk->domain.empty() ||
        trunk->username.empty() || trunk->password_file.empty() || !trunk->password.empty()) {
      std::abort();
    }
  }
  return 0;
}
