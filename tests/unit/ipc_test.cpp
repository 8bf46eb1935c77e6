// ipc: Client/Server and Publisher/Subscriber over ipc:// in a fresh temp
// directory. No sleeps: each test runs the io_context until the coroutine
// under test finishes; waits are on events (replies, handler starts).
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <zmq.h>

#include <chrono>
#include <cstddef>
#include <cstring>
#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/asio.h"
#include "ipc/ipc.h"
#include "ipc/socket.h"
#include "schema/ipc.pb.h"
#include "tests/support/run.h"
#include "tests/support/temp_dir.h"

namespace parley::ipc {
namespace {

using namespace std::chrono_literals;
using boost::system::error_code;

// A temporary directory for the tests' sockets.
class TempDir : public testkit::TempDir {
 public:
  TempDir() : testkit::TempDir("parley-ipc") {}
  std::string endpoint(std::string_view name) const { return "ipc://" + file(std::string(name) + ".sock"); }
};

using testkit::run;

// Wakes coroutines waiting for a condition. The timer never expires; a
// notify() cancels every wait and each waiter checks its condition again.
class Signal {
 public:
  explicit Signal(asio::io_context& io) : timer_(io, asio::steady_timer::time_point::max()) {}
  void notify() { timer_.cancel(); }
  awaitable<void> until(std::function<bool()> condition) {
    while (!condition()) {
      error_code ec;
      co_await timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
  }

 private:
  asio::steady_timer timer_;
};

awaitable<void> yield() { co_await asio::post(co_await asio::this_coro::executor, asio::use_awaitable); }

// A bare DEALER speaking the wire format directly, to repeat ids and to
// send frames no Client would.
class RawDealer {
 public:
  RawDealer(asio::io_context& io, const std::string& endpoint, Signal& signal) {
    auto socket = detail::Socket::open(io, ZMQ_DEALER);
    if (!socket) throw std::runtime_error(socket.error().detail);
    socket_ = std::move(socket.value());
    if (!socket_->connect(endpoint)) throw std::runtime_error("connect");
    socket_->start_reading([this, &signal](detail::Message& m) {
      schema::ReplyHeader header;
      EXPECT_EQ(m.frames.size(), 2u);
      EXPECT_TRUE(header.ParseFromString(m.frames.at(0)));
      replies.emplace_back(header, m.frames.at(1));
      signal.notify();
    });
  }
  void send(std::initializer_list<std::string_view> frames) { ASSERT_TRUE(socket_->send(frames)); }
  template <class Request, class Reply>
  void request(std::uint64_t seq, Method<Request, Reply> method, std::string_view payload) {
    schema::RequestHeader header;
    header.set_client_id(kClientId);
    header.set_seq(seq);
    header.set_method(std::string(method.name()));
    header.set_types(detail::signature<Request, Reply>());
    header.set_deadline_unix_ms(detail::unix_ms(std::chrono::system_clock::now() + 60s));
    send({header.SerializeAsString(), payload});
  }
  std::size_t replies_for(std::uint64_t seq) const {
    std::size_t n = 0;
    for (const auto& [header, payload] : replies) n += header.seq() == seq;
    return n;
  }

  static constexpr std::uint64_t kClientId = 0x1234;
  std::vector<std::pair<schema::ReplyHeader, std::string>> replies;

 private:
  std::unique_ptr<detail::Socket> socket_;
};

// Methods of the tests' servers; raw bytes unless typed.
using Raw = Method<std::string, std::string>;
constexpr Raw kPing{"ping"};
constexpr Raw kCount{"count"};
constexpr Raw kSlow{"slow"};
constexpr Method<schema::RequestHeader, schema::EventHeader> kTyped{"echo.typed"};

awaitable<Result<std::string>> pong(const RequestInfo&, std::string) { co_return std::string("pong"); }

// A kTyped handler that counts its runs.
Handler<schema::RequestHeader, schema::EventHeader> counted(int& runs) {
  return [&runs](const RequestInfo&, schema::RequestHeader) -> awaitable<Result<schema::EventHeader>> {
    ++runs;
    co_return schema::EventHeader();
  };
}

// Handlers and arguments that do not fit kTyped are refused at compile time.
using WrongReply = awaitable<Result<schema::ReplyHeader>> (*)(const RequestInfo&, schema::RequestHeader);
using WrongRequest = awaitable<Result<schema::EventHeader>> (*)(const RequestInfo&, schema::ReplyHeader);
template <class M, class F>
concept Serves = requires(Server& server, M method, F handler) { server.handle(method, handler); };
template <class M, class R>
concept Calls = requires(Client& client, M method, R request) { client.call(method, request); };
static_assert(Serves<decltype(kTyped), decltype(&pong)> == false);
static_assert(Serves<decltype(kTyped), WrongReply> == false);
static_assert(Serves<decltype(kTyped), WrongRequest> == false);
static_assert(Serves<Raw, decltype(&pong)>);
static_assert(Calls<decltype(kTyped), schema::RequestHeader>);
static_assert(Calls<decltype(kTyped), schema::ReplyHeader> == false);
static_assert(Calls<decltype(kTyped), std::string> == false);

TEST(IpcEndpoint, Helpers) {
  EXPECT_EQ(endpoint("/run/parley", "directory", "directory"), "ipc:///run/parley/directory/directory.sock");
  EXPECT_EQ(endpoint("/run/parley/", "router", "enqueue"), "ipc:///run/parley/router/enqueue.sock");
  EXPECT_EQ(endpoint_path("ipc:///run/parley/directory/directory.sock"), "/run/parley/directory/directory.sock");
  EXPECT_EQ(endpoint_path("tcp://127.0.0.1:5555"), "");
  EXPECT_EQ(endpoint_path("ipc://@abstract"), "");
  EXPECT_EQ(endpoint_path("ipc://"), "");
}

TEST(IpcRequest, TypedRoundTrip) {
  TempDir dir;
  asio::io_context io;
  Server server(io, dir.endpoint("typed"));
  int runs = 0;
  server.handle(kTyped, [&](const RequestInfo& info, schema::RequestHeader request) -> awaitable<Result<schema::EventHeader>> {
        ++runs;
        schema::EventHeader reply;
        reply.set_topic(request.method() + "!");
        reply.set_seq(request.seq() + 1);
        reply.set_sid(info.sid);
        reply.set_unix_ms(static_cast<std::int64_t>(info.seq));
        co_return reply;
      });
  ASSERT_TRUE(server.start());
  Client client(io, dir.endpoint("typed"));
  schema::RequestHeader request;
  request.set_method("inner");
  request.set_seq(41);
  auto reply = run(io, client.call(kTyped, request, {0ms, "sess-1"}));
  ASSERT_TRUE(reply) << reply.error().detail;
  EXPECT_EQ(reply->topic(), "inner!");
  EXPECT_EQ(reply->seq(), 42u);
  EXPECT_EQ(reply->sid(), "sess-1");
  EXPECT_EQ(reply->unix_ms(), 1);  // the first request of this client

  EXPECT_EQ(runs, 1);
}

TEST(IpcRequest, UnparsableRequestIsRefused) {
  TempDir dir;
  asio::io_context io;
  Signal signal(io);
  Server server(io, dir.endpoint("unparsable"));
  int runs = 0;
  server.handle(kTyped, counted(runs));
  ASSERT_TRUE(server.start());
  RawDealer raw(io, dir.endpoint("unparsable"), signal);
  run(io, [&]() -> awaitable<int> {
    raw.request(1, kTyped, std::string("\xff\xff", 2));  // the right types named, bytes that are not one
    auto replied = [&] { return raw.replies_for(1) == 1; };
    co_await signal.until(replied);
    co_return 0;
  }());
  EXPECT_EQ(raw.replies.at(0).first.status(), schema::STATUS_SYNTAX);
  EXPECT_EQ(runs, 0);
}

// Two ends that declare one method with different types (two builds that
// disagree): refused by the server before the handler runs, either way.
TEST(IpcRequest, OtherTypesAreRefused) {
  TempDir dir;
  asio::io_context io;
  Server server(io, dir.endpoint("types"));
  int runs = 0;
  server.handle(kTyped, counted(runs));
  ASSERT_TRUE(server.start());
  Client client(io, dir.endpoint("types"));

  constexpr Method<schema::RequestHeader, schema::ReplyHeader> kOtherReply{"echo.typed"};
  schema::RequestHeader request;
  request.set_method("inner");
  auto other_reply = run(io, client.call(kOtherReply, request));
  ASSERT_FALSE(other_reply);
  EXPECT_EQ(other_reply.code(), Errc::invalid);
  EXPECT_EQ(other_reply.error().detail,
            "types differ: echo.typed: caller parley.schema.RequestHeader parley.schema.ReplyHeader, "
            "server parley.schema.RequestHeader parley.schema.EventHeader");

  constexpr Method<std::string, schema::EventHeader> kOtherRequest{"echo.typed"};
  const std::string bytes = request.SerializeAsString();  // even when the bytes would parse
  auto other_request = run(io, client.call(kOtherRequest, bytes));
  ASSERT_FALSE(other_request);
  EXPECT_EQ(other_request.code(), Errc::invalid);
  EXPECT_EQ(runs, 0);

  auto right = run(io, client.call(kTyped, request));
  EXPECT_TRUE(right);
  EXPECT_EQ(runs, 1);
}

TEST(IpcRequest, ThousandRequestsSixtyFourInFlight) {
  TempDir dir;
  asio::io_context io;
  Server server(io, dir.endpoint("many"));
  std::size_t max_active = 0;
  constexpr Raw kDouble{"math.double"};
  server.handle(kDouble, [&](const RequestInfo&, std::string payload) -> awaitable<Result<std::string>> {
    max_active = std::max(max_active, server.active());
    co_await yield();  // be in flight together with the others
    co_return std::to_string(2 * std::stoll(payload));
  });
  ASSERT_TRUE(server.start());
  Client client(io, dir.endpoint("many"));

  constexpr int kRequests = 1000;
  constexpr int kWorkers = 64;
  int next = 0;
  int done = 0;
  int good = 0;
  std::size_t max_in_flight = 0;
  Signal finished(io);
  auto worker = [&]() -> awaitable<void> {
    while (next < kRequests) {
      const int n = next++;
      const std::string number = std::to_string(n);
      auto reply = co_await client.call(kDouble, number);
      max_in_flight = std::max(max_in_flight, client.in_flight() + 1);
      if (reply && reply.value() == std::to_string(2 * n)) ++good;
      ++done;
    }
    finished.notify();
  };
  for (int i = 0; i < kWorkers; ++i) asio::co_spawn(io, worker(), asio::detached);
  run(io, [&]() -> awaitable<int> {
    auto all_done = [&] { return done == kRequests; };
    co_await finished.until(all_done);
    co_return 0;
  }());
  EXPECT_EQ(good, kRequests);
  EXPECT_GT(max_active, 1u);
  EXPECT_GT(max_in_flight, 1u);
  EXPECT_EQ(client.in_flight(), 0u);
  EXPECT_EQ(server.active(), 0u);
}

TEST(IpcRequest, UnknownMethod) {
  TempDir dir;
  asio::io_context io;
  Server server(io, dir.endpoint("nomethod"));
  server.handle(kPing, pong);
  ASSERT_TRUE(server.start());
  Client client(io, dir.endpoint("nomethod"));
  constexpr Raw kNoSuch{"no.such"};
  auto reply = run(io, client.call(kNoSuch, "x"));
  ASSERT_FALSE(reply);
  EXPECT_EQ(reply.code(), Errc::not_found);
  EXPECT_NE(reply.error().detail.find("no.such"), std::string::npos);
  auto ok = run(io, client.call(kPing, ""));
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok.value(), "pong");
}

TEST(IpcRequest, HandlerErrorIsReturned) {
  TempDir dir;
  asio::io_context io;
  Server server(io, dir.endpoint("error"));
  constexpr Raw kDeny{"deny"};
  constexpr Raw kThrow{"throw"};
  server.handle(kDeny, [](const RequestInfo&, std::string) -> awaitable<Result<std::string>> {
    co_return fail(Errc::denied, "not yours");
  });
  server.handle(kThrow, [](const RequestInfo&, std::string) -> awaitable<Result<std::string>> {
    throw std::runtime_error("bug");
    co_return std::string();
  });
  ASSERT_TRUE(server.start());
  Client client(io, dir.endpoint("error"));
  auto denied = run(io, client.call(kDeny, ""));
  ASSERT_FALSE(denied);
  EXPECT_EQ(denied.code(), Errc::denied);
  EXPECT_EQ(denied.error().detail, "not yours");
  auto thrown = run(io, client.call(kThrow, ""));
  ASSERT_FALSE(thrown);
  EXPECT_EQ(thrown.code(), Errc::internal);
}

TEST(IpcRequest, DeadlineGivesTimeout) {
  TempDir dir;
  asio::io_context io;
  Server server(io, dir.endpoint("slow"));
  int started = 0;
  server.handle(kSlow, [&](const RequestInfo&, std::string) -> awaitable<Result<std::string>> {
    ++started;
    asio::steady_timer never(co_await asio::this_coro::executor, 1h);
    error_code ec;
    co_await never.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    co_return std::string("late");
  });
  ASSERT_TRUE(server.start());
  Client client(io, dir.endpoint("slow"), {.resend_after = 20ms});
  const auto begin = std::chrono::steady_clock::now();
  auto reply = run(io, client.call(kSlow, "", {150ms}));
  const auto elapsed = std::chrono::steady_clock::now() - begin;
  ASSERT_FALSE(reply);
  EXPECT_EQ(reply.code(), Errc::timeout);
  EXPECT_GE(elapsed, 150ms);
  EXPECT_GT(client.resent(), 0u);  // resent while the handler ran...
  EXPECT_EQ(started, 1);           // ...and every repeat was ignored
  EXPECT_EQ(client.in_flight(), 0u);
  EXPECT_EQ(server.active(), 1u);
}

TEST(IpcRequest, DestroyingClientCancelsCalls) {
  TempDir dir;
  asio::io_context io;
  Signal signal(io);
  Server server(io, dir.endpoint("cancel"));
  int started = 0;
  server.handle(kSlow, [&](const RequestInfo&, std::string) -> awaitable<Result<std::string>> {
    ++started;
    signal.notify();
    asio::steady_timer never(co_await asio::this_coro::executor, 1h);
    error_code ec;
    co_await never.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    co_return std::string("late");
  });
  ASSERT_TRUE(server.start());
  auto client = std::make_unique<Client>(io, dir.endpoint("cancel"));
  std::optional<Result<std::string>> result;
  asio::co_spawn(
      io,
      [&]() -> awaitable<void> {
        ipc::CallOptions slow_call(30s);
        const std::string empty;
        result = co_await client->call(kSlow, empty, slow_call);
        signal.notify();
      },
      asio::detached);
  auto code = run(io, [&]() -> awaitable<Errc> {
    auto started_once = [&] { return started == 1; };
    co_await signal.until(started_once);
    client.reset();
    auto has_result = [&] { return result.has_value(); };
    co_await signal.until(has_result);
    co_return result->ok() ? Errc::internal : result->code();
  }());
  EXPECT_EQ(code, Errc::cancelled);
}

TEST(IpcRequest, RepeatedIdAnsweredFromCache) {
  TempDir dir;
  asio::io_context io;
  Signal signal(io);
  Server server(io, dir.endpoint("dedup"));
  int runs = 0;
  bool open_gate = false;
  server.handle(kCount, [&](const RequestInfo& info, std::string payload) -> awaitable<Result<std::string>> {
    ++runs;
    EXPECT_EQ(info.client_id, RawDealer::kClientId);
    signal.notify();
    auto gate_open = [&] { return open_gate; };
    co_await signal.until(gate_open);
    co_return "counted " + payload;
  });
  server.handle(kPing, pong);
  ASSERT_TRUE(server.start());
  RawDealer raw(io, dir.endpoint("dedup"), signal);
  run(io, [&]() -> awaitable<int> {
    raw.request(1, kCount, "a");
    auto ran_once = [&] { return runs == 1; };
    co_await signal.until(ran_once);
    // A repeat while the first copy runs is ignored. The ping behind it on
    // the same connection proves the server has seen the repeat.
    raw.request(1, kCount, "a");
    raw.request(2, kPing, "");
    auto reply2_sent = [&] { return raw.replies_for(2) == 1; };
    co_await signal.until(reply2_sent);
    open_gate = true;
    signal.notify();
    auto reply1_sent = [&] { return raw.replies_for(1) == 1; };
    co_await signal.until(reply1_sent);
    // A repeat after it finished gets the stored reply.
    raw.request(1, kCount, "a");
    raw.request(3, kPing, "");
    auto reply3_sent = [&] { return raw.replies_for(3) == 1; };
    co_await signal.until(reply3_sent);
    co_return 0;
  }());
  EXPECT_EQ(runs, 1);
  ASSERT_EQ(raw.replies_for(1), 2u);
  for (const auto& [header, payload] : raw.replies) {
    if (header.seq() != 1) continue;
    EXPECT_EQ(header.status(), schema::STATUS_OK);
    EXPECT_EQ(header.client_id(), RawDealer::kClientId);
    EXPECT_EQ(payload, "counted a");
  }
}

TEST(IpcRequest, ReplyCacheIsBounded) {
  TempDir dir;
  asio::io_context io;
  Signal signal(io);
  Server server(io, dir.endpoint("lru"), {.reply_cache = 2});
  int runs = 0;
  server.handle(kCount, [&](const RequestInfo&, std::string) -> awaitable<Result<std::string>> {
    co_return std::to_string(++runs);
  });
  ASSERT_TRUE(server.start());
  RawDealer raw(io, dir.endpoint("lru"), signal);
  run(io, [&]() -> awaitable<int> {
    for (std::uint64_t seq = 1; seq <= 3; ++seq) raw.request(seq, kCount, "");
    auto replies3_sent = [&] { return raw.replies.size() == 3; };
    co_await signal.until(replies3_sent);
    raw.request(3, kCount, "");  // cached: still one run
    raw.request(1, kCount, "");  // evicted: runs again
    auto replies5_sent = [&] { return raw.replies.size() == 5; };
    co_await signal.until(replies5_sent);
    co_return 0;
  }());
  EXPECT_EQ(runs, 4);
}

TEST(IpcRequest, MalformedFramesAreDropped) {
  TempDir dir;
  asio::io_context io;
  Signal signal(io);
  Server server(io, dir.endpoint("malformed"));
  server.handle(kPing, pong);
  ASSERT_TRUE(server.start());
  RawDealer raw(io, dir.endpoint("malformed"), signal);
  schema::RequestHeader good;
  good.set_client_id(7);
  good.set_seq(1);
  good.set_method(std::string(kPing.name()));
  schema::RequestHeader no_method = good;
  no_method.clear_method();
  schema::RequestHeader long_method = good;
  long_method.set_method(std::string(1000, 'm'));
  std::vector<std::string> frames(12, "f");
  run(io, [&]() -> awaitable<int> {
    raw.send({"only one frame"});
    raw.send({std::string("\xff\xff", 2), "payload"});  // unparsable header
    raw.send({std::string("\x0a\x7f", 2), "payload"});  // string field longer than the frame
    raw.send({good.SerializeAsString(), "payload", "extra"});
    raw.send({no_method.SerializeAsString(), ""});
    raw.send({long_method.SerializeAsString(), ""});
    raw.send({frames[0], frames[1], frames[2], frames[3], frames[4], frames[5], frames[6], frames[7], frames[8],
              frames[9], frames[10], frames[11]});
    raw.request(1, kPing, "");
    auto reply1_sent = [&] { return raw.replies_for(1) == 1; };
    co_await signal.until(reply1_sent);
    co_return 0;
  }());
  EXPECT_EQ(server.malformed(), 7u);
  ASSERT_EQ(raw.replies.size(), 1u);
  EXPECT_EQ(raw.replies[0].second, "pong");

  Client client(io, dir.endpoint("malformed"));
  auto reply = run(io, client.call(kPing, ""));
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply.value(), "pong");
}

TEST(IpcRequest, ExpiredRequestIsNotRun) {
  TempDir dir;
  asio::io_context io;
  Signal signal(io);
  Server server(io, dir.endpoint("expired"));
  int runs = 0;
  server.handle(kCount, [&](const RequestInfo&, std::string) -> awaitable<Result<std::string>> {
    co_return std::to_string(++runs);
  });
  server.handle(kPing, pong);
  ASSERT_TRUE(server.start());
  RawDealer raw(io, dir.endpoint("expired"), signal);
  schema::RequestHeader old;
  old.set_client_id(9);
  old.set_seq(1);
  old.set_method(std::string(kCount.name()));
  old.set_deadline_unix_ms(detail::unix_ms(std::chrono::system_clock::now() - 1s));
  run(io, [&]() -> awaitable<int> {
    raw.send({old.SerializeAsString(), ""});
    raw.request(2, kPing, "");
    auto reply2_sent = [&] { return raw.replies_for(2) == 1; };
    co_await signal.until(reply2_sent);
    co_return 0;
  }());
  EXPECT_EQ(runs, 0);
  EXPECT_EQ(server.expired(), 1u);
  EXPECT_EQ(raw.replies.size(), 1u);
}

unsigned file_mode(const std::string& endpoint) {
  struct stat st {};
  if (::stat(endpoint_path(endpoint).c_str(), &st) != 0) return 0;
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  return st.st_mode & 07777;
}

TEST(IpcEndpointFile, ModeFollowsOptions) {
  TempDir dir;
  asio::io_context io;
  Server server(io, dir.endpoint("mode"), {.socket_mode = 0640});
  ASSERT_TRUE(server.start());
  EXPECT_EQ(file_mode(dir.endpoint("mode")), 0640u);
  Server defaults(io, dir.endpoint("default"));
  ASSERT_TRUE(defaults.start());
  EXPECT_EQ(file_mode(dir.endpoint("default")), 0660u);
  Publisher publisher(io, dir.endpoint("events"), 0600);
  ASSERT_TRUE(publisher.start());
  EXPECT_EQ(file_mode(dir.endpoint("events")), 0600u);
}

TEST(IpcEndpointFile, StaleSocketReplacedLiveOneRefused) {
  TempDir dir;
  asio::io_context io;
  // A crashed predecessor leaves its socket file behind: bound, never
  // unlinked, nobody listening.
  const std::string path = endpoint_path(dir.endpoint("stale"));
  int s = ::socket(AF_UNIX, SOCK_STREAM, 0);
  ASSERT_GE(s, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.c_str(), path.size());
  ASSERT_EQ(::bind(s, reinterpret_cast<const sockaddr*>(&addr), sizeof addr), 0);
  ::close(s);
  Server server(io, dir.endpoint("stale"));
  server.handle(kPing, pong);
  ASSERT_TRUE(server.start());
  Client client(io, dir.endpoint("stale"));
  auto reply = run(io, client.call(kPing, ""));
  ASSERT_TRUE(reply);

  Server second(io, dir.endpoint("stale"));
  auto started = second.start();
  ASSERT_FALSE(started);
  EXPECT_EQ(started.code(), Errc::exists);
  reply = run(io, client.call(kPing, ""));  // the first server still serves
  ASSERT_TRUE(reply);

  // Not a socket: someone else's file, left alone.
  const std::string plain = endpoint_path(dir.endpoint("plain"));
  ASSERT_TRUE(std::filesystem::create_directory(plain));
  Server third(io, dir.endpoint("plain"));
  auto refused = third.start();
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.code(), Errc::exists);
  EXPECT_TRUE(std::filesystem::is_directory(plain));
}

TEST(IpcPubSub, DeliversOnlySubscribedTopics) {
  TempDir dir;
  asio::io_context io;
  Signal signal(io);
  constexpr Topic<std::string> kMailbox{"mailbox."};
  constexpr Topic<std::string> kReload{"reload"};
  constexpr Topic<std::string> kRegistration{"registration."};
  constexpr Topic<std::string> kMail{"mail"};
  Publisher publisher(io, dir.endpoint("events"));
  ASSERT_TRUE(publisher.start());
  struct Event {
    std::string subscription, key, payload;
  };
  std::vector<Event> got;
  Subscriber subscriber(io, dir.endpoint("events"));
  subscriber.subscribe(kMailbox, [&](std::string_view key, std::string payload) {
    got.push_back({"mailbox", std::string(key), std::move(payload)});
    signal.notify();
  });
  subscriber.subscribe(kReload, [&](std::string_view key, std::string payload) {
    got.push_back({"reload", std::string(key), std::move(payload)});
    signal.notify();
  });
  ASSERT_TRUE(subscriber.start());
  auto seen = [&](std::string_view subscription) {
    return std::any_of(got.begin(), got.end(), [&](const auto& e) { return e.subscription == subscription; });
  };
  run(io, [&]() -> awaitable<int> {
    // A subscription reaches the publisher some time after connecting and
    // events before it are dropped (events are hints). So publish until one
    // arrives; it is a retry loop on a timer, not a wait for time to pass.
    asio::steady_timer tick(co_await asio::this_coro::executor);
    while (!seen("mailbox")) {
      publisher.publish(kRegistration, "changed", "r");
      publisher.publish(kMailbox, "alice@example.com", "m", "sess-9");
      tick.expires_after(5ms);
      error_code ec;
      co_await tick.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    // Delivery is in order on one connection: once "reload" arrives,
    // anything published before it that passed the filter has too.
    publisher.publish(kMail, "", "prefix of a subscription, not matching it");
    publisher.publish(kRegistration, "changed", "r");
    publisher.publish(kReload, "", "z");
    auto reload_seen = [&] { return seen("reload"); };
    co_await signal.until(reload_seen);
    co_return 0;
  }());
  for (const auto& e : got) {
    if (e.subscription == "mailbox") {
      EXPECT_EQ(e.key, "alice@example.com");
      EXPECT_EQ(e.payload, "m");
    } else {
      EXPECT_EQ(e.key, "");
      EXPECT_EQ(e.payload, "z");
    }
  }
  EXPECT_EQ(subscriber.malformed(), 0u);
}

// An event whose payload is not the topic's type never reaches the handler.
TEST(IpcPubSub, EventOfOtherTypeIsDropped) {
  TempDir dir;
  asio::io_context io;
  Signal signal(io);
  constexpr Topic<schema::EventHeader> kTypedTopic{"typed."};
  constexpr Topic<std::string> kSameTopicRaw{"typed."};
  Publisher publisher(io, dir.endpoint("events"));
  ASSERT_TRUE(publisher.start());
  std::vector<std::pair<std::string, schema::EventHeader>> got;
  Subscriber subscriber(io, dir.endpoint("events"));
  subscriber.subscribe(kTypedTopic, [&](std::string_view key, schema::EventHeader event) {
    got.emplace_back(std::string(key), std::move(event));
    signal.notify();
  });
  ASSERT_TRUE(subscriber.start());
  schema::EventHeader good;
  good.set_topic("inner");
  run(io, [&]() -> awaitable<int> {
    asio::steady_timer tick(co_await asio::this_coro::executor);
    while (got.empty()) {
      publisher.publish(kTypedTopic, "k", good);
      tick.expires_after(5ms);
      error_code ec;
      co_await tick.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    // Subscribed now; in order on one connection, so once the good event
    // after it arrives, the bad one has been seen.
    const std::size_t before = got.size();
    publisher.publish(kSameTopicRaw, "k", std::string("\xff\xff", 2));
    publisher.publish(kTypedTopic, "k", good);
    auto next_seen = [&] { return got.size() > before; };
    co_await signal.until(next_seen);
    co_return 0;
  }());
  ASSERT_GE(got.size(), 1u);
  for (const auto& [key, event] : got) {
    EXPECT_EQ(key, "k");
    EXPECT_EQ(event.topic(), "inner");
  }
  EXPECT_GE(subscriber.malformed(), 1u);
}

}  // namespace
}  // namespace parley::ipc
