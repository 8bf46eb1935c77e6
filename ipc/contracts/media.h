// media's services (procs/media). Records: schema/media.proto.
#pragma once

#include "ipc/contract.h"
#include "schema/media.pb.h"

namespace parley::contracts {

// Endpoint "relay": sipd. A side's streams went through sipd in an SDP; the
// answer is where the other side must send to reach it.
inline constexpr ipc::Method<schema::RelayUpdate, schema::RelayUpdateReply> kRelayUpdate{"media.relay.update"};
// Endpoint "relay": sipd. The call ended; its ports go back to the pool.
inline constexpr ipc::Method<schema::RelayRelease, schema::RelayReleaseReply> kRelayRelease{"media.relay.release"};

// Endpoint "relay": sipd. A call answered for one of the server's own
// applications (voicemail): media's end of its audio and the application.
inline constexpr ipc::Method<schema::AppStart, schema::AppStartReply> kAppStart{"media.app.start"};
// Endpoint "relay": sipd. The caller hung up.
inline constexpr ipc::Method<schema::AppStop, schema::AppStopReply> kAppStop{"media.app.stop"};
// Endpoint "relay": sipd. DTMF from the caller's SIP INFO.
inline constexpr ipc::Method<schema::AppDigits, schema::AppDigitsReply> kAppDigits{"media.app.digits"};

// Endpoint "admin" (mode 0600): parleyd only, for `parleyctl media calls`.
inline constexpr ipc::Method<schema::RelayListRequest, schema::RelayListReply> kRelayList{"media.calls"};

// Endpoint "events": "relay.ended." + call: the relay ended a call by
// itself (no media for media.timeout_s).
inline constexpr ipc::Topic<schema::RelayEnded> kRelayEnded{"relay.ended."};
// Endpoint "events": "app.ended." + call: an application ended its call;
// sipd sends the BYE.
inline constexpr ipc::Topic<schema::AppEnded> kAppEnded{"app.ended."};

}  // namespace parley::contracts
