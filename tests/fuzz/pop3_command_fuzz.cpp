// POP3 command lines on arbitrary bytes: never crashes; a parsed command's
// message number, when present, is a valid one.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "pop3/command.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view line(reinterpret_cast<const char*>(data), size);
  auto cmd = parley::pop3::parse_command(line);
  if (cmd && cmd->msg && *cmd->msg == 0) std::abort();
  return 0;
}
