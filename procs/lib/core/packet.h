// One record per packet over a SOCK_SEQPACKET socket: the control channel
// between parleyd and each process, and parleyctl's socket. Non-blocking
// descriptors are expected; nothing here waits.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"

namespace parley {

// The largest record either side accepts (a whole parley.conf fits).
inline constexpr std::size_t kMaxPacket = 4 * 1024 * 1024;

// Sends one packet. Errc::unavailable when the socket would block.
Status send_packet(int fd, std::string_view bytes);
// Receives one packet: value(bytes), value(nullopt) at end of stream,
// Errc::unavailable when nothing is waiting, Errc::limit when it was larger
// than kMaxPacket (and was dropped).
Result<std::optional<std::string>> recv_packet(int fd);

}  // namespace parley
