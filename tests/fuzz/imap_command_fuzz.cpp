// CommandReader on arbitrary bytes fed in chunks whose sizes come from the
// input itself, looping as a session would until need_more: must never
// crash, loop or grow without bound. Also: the grammar alone on the whole
// input, and mailbox names through decode/encode (a decoded name must
// survive encode+decode unchanged), with tight and default limits.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "imap/command.h"
#include "imap/encoding.h"

namespace {

using namespace parley::imap;

void drive(std::string_view input, const Limits& limits, bool utf8) {
  CommandReader reader(limits);
  reader.set_utf8(utf8);
  std::size_t seed = input.empty() ? 1 : static_cast<unsigned char>(input[0]) + 1;
  std::size_t pos = 0;
  while (pos < input.size()) {
    seed = seed * 1103515245 + 12345;
    const std::size_t n = std::min<std::size_t>(input.size() - pos, 1 + (seed >> 16) % 64);
    reader.feed(input.substr(pos, n));
    pos += n;
    for (std::size_t steps = 0;; ++steps) {
      if (steps > input.size() + 16) std::abort();  // each step must consume input or stop
      const Step s = reader.next();
      if (s.kind == Step::Kind::need_more) break;
      if (s.kind == Step::Kind::failure) (void)failure_response(s.failure);
      if (s.kind == Step::Kind::command && s.command.tag.empty()) std::abort();
      if (s.kind == Step::Kind::command && s.command.verb == Verb::idle) reader.set_mode(CommandReader::Mode::line);
      if (s.kind == Step::Kind::line) reader.set_mode(CommandReader::Mode::command);
    }
  }
}

void names(std::string_view input, bool utf8) {
  auto name = decode_mailbox(input, utf8);
  if (!name) return;
  auto again = decode_mailbox(encode_mailbox(*name, utf8), utf8);
  if (!again || *again != *name) std::abort();
  (void)format_mailbox(*name, utf8);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  drive(input, Limits{}, false);
  drive(input, Limits{.max_line = 64, .max_literal = 100, .max_command = 300, .max_depth = 4, .literal_minus = true},
        true);
  (void)parse_command(input, Limits{}, false);
  names(input, false);
  names(input, true);
  (void)encode_astring(input);
  (void)encode_string(input, true);
  return 0;
}
