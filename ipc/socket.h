// ipc internals: one ZeroMQ socket joined to an Asio loop, and the wire
// helpers shared by Client, Server, Publisher and Subscriber. Not part of
// the ipc interface; only ipc/*.cpp and the ipc tests include it.
//
// How a socket joins the loop: ZeroMQ exposes ZMQ_FD, a descriptor that
// becomes readable when the socket's state *may* have changed. It is edge
// triggered: once it fired, it fires again only after someone looked at
// ZMQ_EVENTS (which every send and receive does too). So the loop is
//   drain while ZMQ_EVENTS has POLLIN -> wait for ZMQ_FD -> drain ...
// and after every send we check ZMQ_EVENTS again (the send may have taken
// the edge) and schedule a drain if messages are waiting. No thread, no
// timer, no busy loop.
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/asio.h"
#include "core/result.h"
#include "ipc/ipc.h"
#include "schema/ipc.pb.h"

namespace parley::ipc::detail {

// Limits on what we accept from a peer (STYLE.md: never trust a record).
constexpr std::int64_t kMaxMessage = static_cast<std::int64_t>(kMaxMessageBytes);  // ZMQ_MAXMSGSIZE (ipc.h)
constexpr std::size_t kMaxFrames = 8;                    // frames kept per message; more marks it malformed
constexpr std::size_t kMaxMethod = 128;                  // bytes of a method name
constexpr std::size_t kMaxTypes = 256;                   // bytes of a request's type names
constexpr std::size_t kMaxSid = 256;                     // bytes of a session id
constexpr std::size_t kMaxTopic = 256;                   // bytes of a pub/sub topic
constexpr std::size_t kDrainBatch = 256;                 // messages per turn before yielding to other work

// The process's one ZeroMQ context, created on first use and kept until
// exit (function-local static). Null if ZeroMQ could not create it.
void* context();

// One received message. `truncated` is set when it had more than
// kMaxFrames frames (the rest were read and dropped).
struct Message {
  std::vector<std::string> frames;
  bool truncated = false;
};

class Socket {
 public:
  using OnMessage = std::function<void(Message&)>;

  // A socket of ZeroMQ `type` (ZMQ_DEALER, ...) with LINGER 0, on `io`.
  static Result<std::unique_ptr<Socket>> open(asio::io_context& io, int type);
  ~Socket();  // stops reading, releases (never closes) ZMQ_FD, closes the socket
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;

  Status set(int option, int value);
  Status set(int option, std::int64_t value);
  Status set(int option, std::string_view value);
  Status connect(const std::string& endpoint);
  // Binds an ipc:// (or other) endpoint. For ipc:// it first removes a
  // socket file left by a crashed predecessor (one nobody answers on),
  // refuses (Errc::exists) when a live process is bound there, and after
  // binding sets the file's mode to `mode`.
  Status bind(const std::string& endpoint, unsigned mode);

  // Calls `on_message` for every whole message, from the loop, until
  // stop_reading() or destruction. The callback may send on this socket and
  // may destroy the socket's owner.
  void start_reading(OnMessage on_message);
  void stop_reading();

  // Sends one message without blocking. Errc::unavailable when ZeroMQ
  // would block (high-water mark reached, or no peer for a DEALER), the
  // message is then not sent at all.
  Status send(std::initializer_list<std::string_view> frames);

  // Call after something other than send() touched the socket (a
  // setsockopt that talks to peers): schedules a drain if messages wait.
  void kick();

 private:
  Socket(asio::io_context& io, void* zsock, int fd);
  bool readable();
  bool receive(Message& m);  // one whole message, if one is queued
  void arm();
  void drain();
  void post_drain();

  asio::io_context& io_;
  void* zsock_;
  asio::posix::stream_descriptor fd_;
  std::shared_ptr<OnMessage> on_message_;
  bool reading_ = false;
  bool waiting_ = false;      // an async_wait on fd_ is outstanding
  bool drain_posted_ = false;  // a drain is queued on io_
  Message message_;
  // Handlers queued on io_ hold a weak_ptr to this; it dies with the socket.
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

// Errc <-> wire status (schema/ipc.proto), in one place.
schema::Status to_status(Errc code);
// A reply as the Client returns it: the payload on STATUS_OK, else the
// error; STATUS_NO_METHOD becomes Errc::not_found, unknown values internal.
Result<std::string> from_reply(const schema::ReplyHeader& header, std::string payload);

std::int64_t unix_ms(std::chrono::system_clock::time_point t);

}  // namespace parley::ipc::detail
