// What ipc_counter_server and ipc_restart_test share: the method, and the
// LMDB layout the server writes and the test reads after it stopped.
//   "applied":  16-byte request id (client_id, seq; big-endian) -> reply
//   "counters": key (the request payload) -> uint64 count, native order
#pragma once

#include <cstdint>
#include <string>

#include "ipc/contract.h"

namespace parley::ipc::test {

// Payload: a counter name; reply: its new count, in decimal.
inline constexpr Method<std::string, std::string> kCounterApply{"counter.apply"};

inline constexpr const char* kAppliedDb = "applied";
inline constexpr const char* kCountersDb = "counters";
inline constexpr std::size_t kMapSize = std::size_t{256} << 20;

inline std::string request_key(std::uint64_t client_id, std::uint64_t seq) {
  std::string key(16, '\0');
  for (int i = 0; i < 8; ++i) {
    key[i] = static_cast<char>(client_id >> (56 - 8 * i));
    key[8 + i] = static_cast<char>(seq >> (56 - 8 * i));
  }
  return key;
}

inline void split_request_key(const std::string& key, std::uint64_t& client_id, std::uint64_t& seq) {
  client_id = 0;
  seq = 0;
  for (int i = 0; i < 8; ++i) {
    client_id = (client_id << 8) | static_cast<unsigned char>(key[i]);
    seq = (seq << 8) | static_cast<unsigned char>(key[8 + i]);
  }
}

}  // namespace parley::ipc::test
