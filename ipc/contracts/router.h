// The router's service (procs/router). Records: schema/envelope.proto,
// schema/signal.proto.
#pragma once

#include "ipc/contract.h"
#include "schema/envelope.pb.h"
#include "schema/signal.pb.h"

namespace parley::contracts {

// Endpoint "router": smtpd, the dequeuer (its reports) and sipd.
// A message queued durably before the reply.
inline constexpr ipc::Method<schema::EnqueueRequest, schema::EnqueueReply> kRouterEnqueue{"router.enqueue"};
// smtpd's RCPT check: each address as the router would route it.
inline constexpr ipc::Method<schema::VerifyRequest, schema::VerifyReply> kRouterVerify{"router.verify"};
// sipd: where a SIP request for an address goes (procs/router/signal.h).
inline constexpr ipc::Method<schema::RouteSignalRequest, schema::RouteSignalReply> kRouterRouteSignal{
    "router.route_signal"};

}  // namespace parley::contracts
