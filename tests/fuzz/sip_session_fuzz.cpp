// Fuzzes a whole SIP stream connection of sipd (procs/sipd/connection.cpp
// and the Core behind it: framing, parsing, transactions, registrar, proxy)
// over a fresh server for every input: arbitrary client bytes through a
// net::MemoryStream, the directory and the router faked over real ipc
// (tests/support/sipd_rig.h). kUser is registered on the fuzzer's own
// connection, so requests routed to it come back and the fuzzer's answers
// travel through the proxy. A crash, a sanitizer report, a session that
// hangs, or output that is not SIP messages and keep-alive CRLFs is a
// finding. The first byte chooses the listener (bit 0: TLS, bit 1:
// WebSocket: sip, sips, sip-ws, sip-wss), one byte per read, and refused
// TLS; turns are cut at "\n~~\n". On WebSocket the output is frames, not
// checked as SIP.
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>

#include "procs/sipd/connection.h"
#include "tests/support/sipd_rig.h"

namespace {

using namespace parley;

// What the server writes is whole SIP messages (each starting with a
// request or status line and parsing again) or bare CRLFs.
bool well_formed(std::string out) {
  sip::Framer framer;
  framer.feed(out);
  for (;;) {
    auto frame = framer.next();
    if (!frame) return false;
    // A last lone CRLF (the answer to a ping) waits in the framer for what
    // may follow.
    if (!*frame) return framer.buffered() == 0 || (framer.buffered() == 2 && out.ends_with("\r\n"));
    if ((*frame)->kind != sip::Frame::Kind::message) continue;
    if (!sip::parse_message(std::move((*frame)->bytes))) return false;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static testkit::SipdRig* rig = new testkit::SipdRig;  // lives as long as the process, like sipd's server
  auto input = testkit::split_fuzz_input(data, size);
  sipd::Server& server = rig->fresh_server();
  static const char* const kListeners[] = {"sip", "sips", "sip-ws", "sip-wss"};
  const std::string listener = kListeners[input.selector & 3];
  auto stream = std::make_unique<net::MemoryStream>(rig->io);
  net::MemoryStream& client = *stream;
  if (input.selector & 4) client.set_read_chunk(1);
  if (input.selector & 8) client.refuse_tls();
  auto session = std::make_shared<sipd::Connection>(server, std::move(stream), listener, server.front().next_sid("sip"));
  bool done = false;
  testkit::spawn_flagged(rig->io, sipd::Connection::run(session), done);
  if (!testkit::drive_sip(rig->io, client, server, input.turns, done, testkit::kFuzzHang)) std::abort();
  if (!(input.selector & 2) && !well_formed(client.output())) std::abort();
  return 0;
}
