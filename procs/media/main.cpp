// media: the RTP/RTCP relay for calls through NAT. sipd asks it for port
// pairs for a call's streams (media.relay.update, at each SDP) and frees
// them at the call's end (media.relay.release); packets from one side go
// to the other, latched to where each side really sends from. A call with
// no media for media.timeout_s is ended here and announced on "events"
// (relay.ended), and sipd ends the dialog. media never parses SIP or SDP.
// Untrusted input: every datagram on its ports (relayed untouched or
// dropped, never parsed beyond the first octets); RelayUpdate records from
// sipd (checked: call key, stream count, addresses, limits).
// Privileges: user parley-media; binds its own UDP ports above 1024
// (media.port_min..port_max) on media.address; no data directory, nothing
// durable; calls no other process.
#include "daemon/daemon.h"
#include "server.h"
#include "settings.h"

int main(int argc, char** argv) {
  return parley::daemon::run(argc, argv, {
      .name = "media",
      .serves = {"relay", "admin", "events"},
      .settings = {parley::media::settings_section()},
      .start = &parley::media::start,
  });
}
