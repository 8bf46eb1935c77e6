// Length-prefixed records over a stream socket: parleyctl <-> parleyd.
// A frame is a 4-byte big-endian length, then that many bytes. Unlike
// packets, frames can be large (an import of a million accounts), so the
// admin socket is a stream. These calls block; parleyd reads its side
// asynchronously with the same format.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"

namespace parley {

inline constexpr std::size_t kFrameHeader = 4;
inline constexpr std::size_t kMaxFrame = 512 * 1024 * 1024;

std::string frame_header(std::size_t size);
std::size_t frame_size(const unsigned char* header);

Status write_frame(int fd, std::string_view bytes);
// value(bytes), value(nullopt) at a clean end of stream before a header,
// Errc::limit for a frame over kMaxFrame, Errc::io otherwise. `timeout_ms`
// bounds each wait for data (-1: none); Errc::timeout when it passes.
Result<std::optional<std::string>> read_frame(int fd, int timeout_ms = -1);

}  // namespace parley
