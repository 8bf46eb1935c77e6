// Fuzzes a whole POP3 session (procs/imapd/pop3.cpp) over a fresh mail
// store for every input: arbitrary client bytes through a net::MemoryStream,
// the directory faked over real ipc (tests/support/imapd_rig.h). A crash, a
// sanitizer report, a session that hangs, or a first line that is neither
// "+OK" nor "-ERR" is a finding. The first byte chooses the listener (pop3,
// pop3s), one byte per read, and refused TLS; turns are cut at "\n~~\n".
#include <cstdint>
#include <cstdlib>
#include <string>

#include "procs/imapd/pop3.h"
#include "tests/support/imapd_rig.h"

using namespace parley;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static testkit::ImapdRig* rig = new testkit::ImapdRig;
  std::string out = testkit::fuzz_session<imapd::Pop3Session>(*rig, data, size, "pop3", "pop3s");
  if (!out.empty() && !out.starts_with("+OK") && !out.starts_with("-ERR")) std::abort();
  return 0;
}
