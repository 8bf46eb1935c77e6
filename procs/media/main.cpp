// media: the RTP/RTCP relay for calls through NAT, and the audio of the
// server's own applications (voicemail: apps.h). sipd asks it for port
// pairs for a call's streams (media.relay.update, at each SDP) and frees
// them at the call's end (media.relay.release); packets from one side go
// to the other, latched to where each side really sends from. A call with
// no media for media.timeout_s is ended here and announced on "events"
// (relay.ended), and sipd ends the dialog. For a call sipd answered for an
// application (media.app.start) media is the other end of the audio.
// media never parses SIP or SDP.
// Untrusted input: every datagram on its ports (relayed untouched or
// dropped, never parsed beyond the first octets; an application's RTP and
// telephone-events are decoded); RelayUpdate and AppStart records from
// sipd (checked: call key, stream count, addresses, formats, limits).
// Privileges: user parley-media; binds its own UDP ports above 1024
// (media.port_min..port_max) on media.address; no data directory, nothing
// durable; reads its prompts (media.prompts); calls the router (a
// voicemail message is queued as mail).
#include "daemon/daemon.h"
#include "server.h"
#include "settings.h"

int main(int argc, char** argv) {
  return parley::daemon::run(argc, argv, {
      .name = "media",
      .serves = {"relay", "admin", "events"},
      .uses = {"router"},
      .settings = {parley::media::settings_section()},
      .start = &parley::media::start,
  });
}
