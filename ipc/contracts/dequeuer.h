// The dequeuer's services (procs/dequeuer). Records: schema/envelope.proto.
#pragma once

#include "ipc/contract.h"
#include "schema/envelope.pb.h"

namespace parley::contracts {

// Endpoint "dequeuer": the router's hint that messages were queued.
inline constexpr ipc::Method<schema::QueueNotify, schema::QueueNotifyReply> kDequeuerNotify{"dequeuer.notify"};

// Endpoint "admin" (mode 0600): parleyd only, for parleyctl queue.
inline constexpr ipc::Method<schema::QueueAdminRequest, schema::QueueAdminReply> kQueueAdmin{"queue.admin"};

}  // namespace parley::contracts
