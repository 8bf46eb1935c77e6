// media's applications as a whole (procs/media/apps.h, endpoint.h,
// voicemail.h): an AppStart record as a compromised sipd could send it,
// then datagrams a caller (or anyone) sends to the endpoint's port through
// real loopback sockets, with the 20 ms clock running between them, then
// the hang-up. Input: one octet of length and the AppStart record, then
// datagrams each prefixed by one octet of length (its top bit: from a
// stranger's socket instead of the caller's). Never crashes; a started
// call is gone after stop(); a delivered message is a WAV.
#include <chrono>
#include <cstdint>
#include <cstdlib>

#include <boost/asio/ip/udp.hpp>

#include "log/log.h"
#include "procs/media/apps.h"

namespace {

namespace asio = boost::asio;
using asio::ip::udp;
using namespace std::chrono_literals;

struct World {
  asio::io_context io;
  udp::socket caller{io, udp::endpoint(asio::ip::make_address("127.0.0.1"), 0)};
  udp::socket stranger{io, udp::endpoint(asio::ip::make_address("127.0.0.1"), 0)};
  std::size_t delivered = 0;
  parley::media::Apps apps{
      io,
      parley::media::RelaySettings{.address = asio::ip::make_address("127.0.0.1"), .advertised = "127.0.0.1",
                                   .port_min = 46000, .port_max = 46999, .max_calls = 2, .max_streams = 1,
                                   .timeout = 60s, .setup_timeout = 600s},
      parley::media::AppSettings{.prompts = "/nonexistent", .voicemail_max = 10s},
      parley::media::Apps::Hooks{.ended = [](const std::string&, const std::string&) {},
                                 .deliver = [this](parley::media::VoicemailMail mail, const std::string&) {
                                   if (mail.wav.size() < 44 || mail.wav.compare(0, 4, "RIFF") != 0) std::abort();
                                   ++delivered;
                                 }}};
  World() {
    parley::log::set_level(parley::log::Level::off);
    apps.load_prompts();
  }
};

World& world() {
  static World w;
  return w;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  auto& w = world();
  const std::size_t head = std::min<std::size_t>(data[0], size - 1);
  parley::schema::AppStart start;
  if (!start.ParseFromArray(data + 1, static_cast<int>(head))) return 0;
  // Where the caller receives: the fuzzer's caller socket, unless the
  // record names something else (any address goes: it is sipd's word).
  if (start.stream().rtp_port() == 0) {
    start.mutable_stream()->set_address("127.0.0.1");
    start.mutable_stream()->set_rtp_port(w.caller.local_endpoint().port());
  }
  auto reply = w.apps.start(start);
  if (!reply) return 0;
  if (reply->rtp_port() < 46000 || reply->rtp_port() > 46998) std::abort();
  const udp::endpoint media(asio::ip::make_address("127.0.0.1"), static_cast<std::uint16_t>(reply->rtp_port()));
  std::size_t at = 1 + head;
  while (at < size) {
    const bool stranger = (data[at] & 0x80) != 0;
    const std::size_t length = std::min<std::size_t>(data[at] & 0x7f, size - at - 1) * 2;
    const std::size_t take = std::min(length, size - at - 1);
    boost::system::error_code ec;
    (stranger ? w.stranger : w.caller).send_to(asio::buffer(data + at + 1, take), media, 0, ec);
    w.io.poll();  // loopback delivers at once: taken now, played at the next tick
    at += 1 + take;
  }
  w.io.run_for(45ms);  // two ticks: frames heard, digits taken
  w.apps.stop(start.call());
  if (w.apps.calls() != 0) std::abort();
  // What media sent the caller is read off and dropped.
  std::uint8_t buf[2048];
  for (auto* s : {&w.caller, &w.stranger}) {
    boost::system::error_code ec;
    s->non_blocking(true);
    while (!ec) s->receive(asio::buffer(buf), 0, ec);
  }
  return 0;
}
