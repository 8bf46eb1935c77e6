// The relay's network side as a whole (procs/media/relay.h): a call is set
// up between two parties on loopback, then the input becomes datagrams
// that the caller, the callee or a stranger send to the relay's ports,
// through real UDP sockets. Each input record is a control octet (bits
// 0-1: who sends, 0 caller, 1 callee, 2 or 3 stranger; bit 2: to the RTCP
// port; bit 3: with the first record, the callee uses rtcp-mux), a length
// octet, then the datagram. Never crashes; a datagram is relayed or dropped
// once, never more; what the parties receive is byte for byte something
// that was sent; the call's release frees every port.
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <set>
#include <string>
#include <thread>

#include "procs/media/relay.h"

namespace {

namespace asio = boost::asio;
using asio::ip::udp;
using namespace std::chrono_literals;

struct World {
  asio::io_context io;
  parley::media::Relay relay{io,
                             parley::media::RelaySettings{.address = asio::ip::make_address("127.0.0.1"),
                                                          .advertised = "127.0.0.1",
                                                          .port_min = 48000,
                                                          .port_max = 48999,
                                                          .max_calls = 2,
                                                          .max_streams = 1,
                                                          .timeout = 60s,
                                                          .setup_timeout = 600s},
                             [] { return parley::media::Relay::Clock::now(); }};
  udp::socket parties[3] = {open(), open(), open()};  // caller, callee, stranger

  udp::socket open() {
    udp::socket s(io, udp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    s.non_blocking(true);
    return s;
  }
  std::uint16_t port(int who) { return parties[who].local_endpoint().port(); }
};

World& world() {
  static World w;
  return w;
}

parley::schema::RelayUpdateReply offer(World& w, parley::schema::RelaySide side, int who, bool mux) {
  parley::schema::RelayUpdate u;
  u.set_call("fuzzed");
  u.set_side(side);
  auto* s = u.add_streams();
  s->set_address("127.0.0.1");
  s->set_rtp_port(w.port(who));
  s->set_rtcp_mux(mux);
  auto reply = w.relay.update(u);
  if (!reply || reply->streams_size() != 1) std::abort();
  return reply.value();
}

// What reached the parties, each checked against what was sent.
std::size_t collect(World& w, std::multiset<std::string>& sent) {
  std::size_t got = 0;
  std::string buf(70000, '\0');
  for (auto& s : w.parties) {
    for (;;) {
      boost::system::error_code ec;
      const auto n = s.receive(asio::buffer(buf), 0, ec);
      if (ec) break;
      auto it = sent.find(buf.substr(0, n));
      if (it == sent.end()) std::abort();  // the relay made up or changed a datagram
      sent.erase(it);
      ++got;
    }
  }
  return got;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto& w = world();
  const bool mux = size > 0 && (data[0] & 8) != 0;
  // The callee sends to the ports the caller's offer got, the caller to the answer's.
  const auto to_callee_side = offer(w, parley::schema::RELAY_SIDE_CALLER, 0, false).streams(0);
  const auto to_caller_side = offer(w, parley::schema::RELAY_SIDE_CALLEE, 1, mux).streams(0);
  const auto before = w.relay.relayed();
  auto dropped = [&w] {
    using parley::media::Drop;
    return w.relay.dropped(Drop::malformed) + w.relay.dropped(Drop::unexpected_source) +
           w.relay.dropped(Drop::no_destination) + w.relay.dropped(Drop::send_failed);
  };
  const auto dropped_before = dropped();
  std::multiset<std::string> sent;
  std::size_t count = 0;
  for (std::size_t at = 0; at + 2 <= size;) {
    const int who = std::min(data[at] & 3, 2);
    const bool rtcp = (data[at] & 4) != 0;
    const std::size_t length = std::min<std::size_t>(data[at + 1], size - at - 2);
    const std::string datagram(reinterpret_cast<const char*>(data + at + 2), length);
    at += 2 + length;
    const auto& ports = who == 1 ? to_callee_side : to_caller_side;
    const auto port = static_cast<std::uint16_t>(rtcp ? ports.rtcp_port() : ports.rtp_port());
    boost::system::error_code ec;
    w.parties[who].send_to(asio::buffer(datagram), udp::endpoint(asio::ip::make_address("127.0.0.1"), port), 0, ec);
    if (ec) continue;
    sent.insert(datagram);
    ++count;
  }
  // Loopback delivers at once; the relay reads what is ready.
  std::size_t received = 0;
  for (int round = 0; round < 50; ++round) {
    w.io.restart();
    w.io.poll();
    received += collect(w, sent);
    if ((w.relay.relayed() - before) + (dropped() - dropped_before) >= count) break;
    std::this_thread::sleep_for(100us);
  }
  const auto relayed = w.relay.relayed() - before;
  if (relayed + (dropped() - dropped_before) > count) std::abort();  // one datagram counted twice
  received += collect(w, sent);
  if (received > relayed) std::abort();
  if (!w.relay.release("fuzzed") || w.relay.list().ports_in_use() != 0) std::abort();
  // The released ports' pending waits end.
  w.io.restart();
  w.io.poll();
  return 0;
}
