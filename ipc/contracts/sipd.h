// sipd's services (procs/sipd). Records: schema/sip.proto.
#pragma once

#include "ipc/contract.h"
#include "schema/sip.pb.h"

namespace parley::contracts {

// Endpoint "admin" (mode 0600): parleyd only, for `parleyctl sip`.
inline constexpr ipc::Method<schema::SipAdminRequest, schema::SipAdminReply> kSipAdmin{"sip.admin"};

}  // namespace parley::contracts
