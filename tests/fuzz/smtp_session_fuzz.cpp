// Fuzzes a whole SMTP session (procs/smtpd/session.cpp): arbitrary client
// bytes through a net::MemoryStream, with the directory and the router faked
// over real ipc (tests/support/session_rig.h). A crash, a sanitizer report,
// a session that hangs, or a reply line that is not "DDD " / "DDD-" is a
// finding. The first byte chooses the listener (smtp, submission, smtps,
// local), one byte per read, and refused TLS; turns are cut at "\n~~\n".
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>

#include "procs/smtpd/session.h"
#include "tests/support/smtpd_rig.h"

namespace {

using namespace parley;

// Every line the server writes is a reply line: three digits, then a space
// or a hyphen (RFC 5321 4.2), and the output ends with CRLF.
bool well_formed(std::string_view out) {
  while (!out.empty()) {
    auto end = out.find("\r\n");
    if (end == std::string_view::npos) return false;
    std::string_view line = out.substr(0, end);
    if (line.size() < 4 || line[0] < '2' || line[0] > '5' || line[1] < '0' || line[1] > '9' || line[2] < '0' ||
        line[2] > '9' || (line[3] != ' ' && line[3] != '-')) {
      return false;
    }
    out.remove_prefix(end + 2);
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static testkit::SmtpdRig* rig = new testkit::SmtpdRig;  // lives as long as the process, like smtpd's server
  auto input = testkit::split_fuzz_input(data, size);
  static const char* const kListeners[] = {"smtp", "submission", "smtps", "local"};
  std::string listener = kListeners[input.selector & 3];
  auto stream = std::make_unique<net::MemoryStream>(rig->io);
  net::MemoryStream& client = *stream;
  if (input.selector & 4) client.set_read_chunk(1);
  if (input.selector & 8) client.refuse_tls();
  auto session = std::make_shared<smtpd::Session>(rig->server(), std::move(stream), listener, rig->server().front().next_sid("smtp"));
  bool done = false;
  testkit::spawn_flagged(rig->io, smtpd::Session::run(session), done);
  if (!testkit::drive(rig->io, client, input.turns, done, testkit::kFuzzHang)) std::abort();  // hung
  if (!well_formed(client.output())) std::abort();
  return 0;
}
