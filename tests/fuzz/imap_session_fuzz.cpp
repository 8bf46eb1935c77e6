// Fuzzes a whole IMAP session (procs/imapd/imap_session.cpp and the
// cmd_*.cpp commands) over a fresh mail store for every input: arbitrary
// client bytes through a net::MemoryStream, the directory faked over real
// ipc. A crash, a sanitizer report or a session that hangs is a finding.
// The first byte chooses the listener (imap, imaps), one byte per read, and
// refused TLS; turns are cut at "\n~~\n" (IDLE ends at a turn's end too).
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>

#include "procs/imapd/imap_session.h"
#include "tests/support/imapd_rig.h"

using namespace parley;

// A session that neither ends nor asks for input for this long hangs
// (generous: the machine may be busy).
constexpr std::chrono::milliseconds kHang{60000};

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static testing::ImapdRig* rig = new testing::ImapdRig;
  auto input = testing::split_fuzz_input(data, size);
  imapd::Server& server = rig->fresh_server();
  std::string listener = (input.selector & 1) ? "imaps" : "imap";
  auto stream = std::make_unique<net::MemoryStream>(rig->io);
  net::MemoryStream& client = *stream;
  if (input.selector & 4) client.set_read_chunk(1);
  if (input.selector & 8) client.refuse_tls();
  auto session = std::make_shared<imapd::ImapSession>(server, std::move(stream), listener, "imap-" + server.next_sid());
  bool done = false;
  testing::spawn_flagged(rig->io, imapd::ImapSession::run(session), done);
  if (!testing::drive(rig->io, client, input.turns, done, kHang)) std::abort();  // hung
  return 0;
}
