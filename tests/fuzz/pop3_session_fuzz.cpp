// Fuzzes a whole POP3 session (procs/imapd/pop3.cpp) over a fresh mail
// store for every input: arbitrary client bytes through a net::MemoryStream,
// the directory faked over real ipc. A crash, a sanitizer report, a session
// that hangs, or a status line that is neither "+OK", "-ERR" nor a "+ "
// continuation is a finding. The first byte chooses the listener (pop3,
// pop3s), one byte per read, and refused TLS; turns are cut at "\n~~\n".
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>

#include "procs/imapd/pop3.h"
#include "tests/support/imapd_rig.h"

using namespace parley;

// A session that neither ends nor asks for input for this long hangs
// (generous: the machine may be busy).
constexpr std::chrono::milliseconds kHang{60000};

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static testing::ImapdRig* rig = new testing::ImapdRig;
  auto input = testing::split_fuzz_input(data, size);
  imapd::Server& server = rig->fresh_server();
  std::string listener = (input.selector & 1) ? "pop3s" : "pop3";
  auto stream = std::make_unique<net::MemoryStream>(rig->io);
  net::MemoryStream& client = *stream;
  if (input.selector & 4) client.set_read_chunk(1);
  if (input.selector & 8) client.refuse_tls();
  auto session = std::make_shared<imapd::Pop3Session>(server, std::move(stream), listener, "pop-" + server.next_sid());
  bool done = false;
  testing::spawn_flagged(rig->io, imapd::Pop3Session::run(session), done);
  if (!testing::drive(rig->io, client, input.turns, done, kHang)) std::abort();  // hung
  const std::string& out = client.output();
  if (!out.empty() && !out.starts_with("+OK") && !out.starts_with("-ERR")) std::abort();
  return 0;
}
