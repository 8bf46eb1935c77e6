// A TCP acceptor over one of the listening sockets parleyd passed. The
// descriptor stays the skeleton's; the acceptor works on its own duplicate.
// A Unix stream listener ("NAME=unix:PATH") is accepted through the same
// type: accept, recv and send are the same system calls for it, only
// endpoints differ (a session asks such a peer for SO_PEERCRED instead).
#pragma once

#include <memory>

#include <boost/asio/ip/tcp.hpp>

#include "core/result.h"
#include "daemon/daemon.h"

namespace parley::daemon {

Result<std::unique_ptr<asio::ip::tcp::acceptor>> make_acceptor(asio::io_context& io, const Listener& listener);

}  // namespace parley::daemon
