// Queue ids: smtpd makes them, the router and the dequeuer check them on
// every record from another process. A library of its own (parley_queue_id,
// no LMDB) so that smtpd need not link the queue.
#pragma once

#include <string>
#include <string_view>

namespace parley::queue {

// 8 hex digits of seconds (arrival order), then 12 random hex digits;
// lowercase, 20 characters, safe as a file name.
bool valid_id(std::string_view id);
std::string new_id();

}  // namespace parley::queue
