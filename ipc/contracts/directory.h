// The directory's services (procs/directory). Records: schema/directory.proto.
#pragma once

#include "ipc/contract.h"
#include "schema/directory.pb.h"

namespace parley::contracts {

// Endpoint "directory": the front ends, the router and local-delivery.
// Many addresses in one request, resolved as delivery would.
inline constexpr ipc::Method<schema::ResolveRequest, schema::ResolveReply> kDirectoryResolve{"directory.resolve"};
// One step of a SASL exchange.
inline constexpr ipc::Method<schema::AuthRequest, schema::AuthReply> kDirectoryAuth{"directory.auth"};
// A SIP/HTTP Digest response checked against the stored HA1.
inline constexpr ipc::Method<schema::DigestRequest, schema::AuthReply> kDirectoryDigest{"directory.digest"};

// Endpoint "admin" (mode 0600): parleyd only, for parleyctl.
inline constexpr ipc::Method<schema::DirectoryAdminRequest, schema::DirectoryAdminReply> kDirectoryAdmin{
    "directory.admin"};

}  // namespace parley::contracts
