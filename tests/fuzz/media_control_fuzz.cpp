// The relay's control records (procs/media/relay.h) as a compromised sipd
// could send them: the input is a sequence of RelayUpdate records, each
// prefixed by its length (one octet); each is applied, then the calls are
// released. Never crashes; the port count stays within what the limits
// allow, and every port comes back.
#include <chrono>
#include <cstdint>
#include <cstdlib>

#include "procs/media/relay.h"

namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

parley::media::Relay& relay() {
  static asio::io_context io;
  static parley::media::Relay r(
      io,
      parley::media::RelaySettings{.address = asio::ip::make_address("127.0.0.1"),
                                   .advertised = "127.0.0.1",
                                   .port_min = 47000,
                                   .port_max = 47999,
                                   .max_calls = 3,
                                   .max_streams = 4,
                                   .timeout = 60s,
                                   .setup_timeout = 600s},
      [] { return parley::media::Relay::Clock::now(); });
  return r;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto& r = relay();
  std::vector<std::string> calls;
  std::size_t at = 0;
  while (at < size) {
    const std::size_t length = std::min<std::size_t>(data[at], size - at - 1);
    parley::schema::RelayUpdate update;
    if (update.ParseFromArray(data + at + 1, static_cast<int>(length))) {
      auto reply = r.update(update);
      if (reply) {
        if (reply->streams_size() != update.streams_size()) std::abort();
        calls.push_back(update.call());
      }
    }
    at += 1 + length;
  }
  if (r.list().ports_in_use() > 3u * 4u * 4u) std::abort();
  for (const auto& call : calls) r.release(call);
  if (r.calls() != 0 || r.list().ports_in_use() != 0) std::abort();
  return 0;
}
