// Server replies as the outbound SMTP client reads them: any bytes, fed in
// two pieces, must parse or fail cleanly and never consume what is not a
// whole reply.
#include <cstddef>
#include <cstdint>
#include <string>

#include "smtp/client.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string input(reinterpret_cast<const char*>(data), size);
  std::size_t split = size == 0 ? 0 : data[0] % (size + 1);
  std::string buf = input.substr(0, split);
  for (int round = 0; round < 2; ++round) {
    for (;;) {
      std::size_t before = buf.size();
      auto r = parley::smtp::parse_reply(buf);
      if (!r || !r.value()) break;
      if (buf.size() >= before) __builtin_trap();  // a reply consumed nothing
      (void)r.value()->text();
      (void)r.value()->enhanced();
      (void)parley::smtp::parse_ehlo(*r.value());
    }
    buf += input.substr(split);
    split = size;
  }
  return 0;
}
