// Fuzzes a whole IMAP session (procs/imapd/imap_session.cpp and the
// cmd_*.cpp commands) over a fresh mail store for every input: arbitrary
// client bytes through a net::MemoryStream, the directory faked over real
// ipc (tests/support/imapd_rig.h). A crash, a sanitizer report or a session
// that hangs is a finding. The first byte chooses the listener (imap,
// imaps), one byte per read, and refused TLS; turns are cut at "\n~~\n"
// (IDLE ends at a turn's end too).
#include <cstdint>
#include <cstdlib>

#include "procs/imapd/imap_session.h"
#include "tests/support/imapd_rig.h"

using namespace parley;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static testkit::ImapdRig* rig = new testkit::ImapdRig;
  (void)testkit::fuzz_session<imapd::ImapSession>(*rig, data, size, "imap", "imaps");
  return 0;
}
