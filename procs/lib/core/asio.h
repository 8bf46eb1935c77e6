// The one header through which Parley code includes Boost.Asio.
// Boost 1.74's awaitable.hpp uses std::exchange without including <utility>
// under g++ 12, so <utility> comes first. Keep this out of widely included
// headers: it is heavy (see the precompiled header in core/CMakeLists.txt).
#pragma once

#include <utility>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace parley {
namespace asio = boost::asio;
template <class T = void>
using awaitable = boost::asio::awaitable<T>;
}  // namespace parley
