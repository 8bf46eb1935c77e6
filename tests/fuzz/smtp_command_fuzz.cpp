// parse_command on arbitrary bytes, looping as a session would (with
// skip_line after Errc::limit) until the buffer is empty or more input is
// needed: must never crash or loop forever. Each step must consume bytes
// or stop. Run with both the default and the minimum line limit.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "smtp/command.h"
#include "smtp/reply.h"

namespace {

void drive(std::string buf, std::size_t max_line) {
  const parley::smtp::Limits limits{.max_command_line = max_line};
  while (!buf.empty()) {
    const std::size_t before = buf.size();
    auto cmd = parley::smtp::parse_command(buf, limits);
    if (cmd && !*cmd) return;  // need more input
    if (!cmd) {
      (void)parley::smtp::to_wire(parley::smtp::command_error_reply(cmd.error()));
      if (cmd.code() == parley::Errc::limit) {
        if (buf.size() != before) std::abort();  // limit leaves buf alone
        if (!parley::smtp::skip_line(buf)) return;
      }
    }
    if (buf.size() >= before) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  drive(input, parley::smtp::kMaxExtendedCommandLine);
  drive(input, parley::smtp::kMaxCommandLine);
  return 0;
}
