#include "line_server.h"

#include "front/line_reader.h"
#include "front/server.h"
#include "front/session.h"
#include "log/log.h"

namespace parley::testkit {

namespace {

using namespace std::chrono_literals;

constexpr std::size_t kMaxLine = 4096;
constexpr std::size_t kReadChunk = 4096;
constexpr auto kTimeout = 300000ms;

// One client: a line in, the reply's line out, until QUIT or EOF.
class LineSession final : public front::Session {
 public:
  // Session ids carry the child's name ("relay-7D2F-1"), as the tests expect.
  LineSession(front::Server& server, std::unique_ptr<net::Stream> stream, std::string listener, const std::string& name,
              const LineServer::Reply& reply)
      : front::Session(server, std::move(stream), std::move(listener), server.next_sid(name), name),
        reply_(reply),
        lines_(kMaxLine) {}

  static awaitable<void> run(std::shared_ptr<LineSession> self) {
    log::info("test.session.open", "connected", {{"sid", self->sid_}, {"peer", self->peer_}});
    co_await self->serve();
    co_await self->stream_->shutdown(1000ms);
    log::info("test.session.close", "closed", {{"sid", self->sid_}});
  }

 private:
  awaitable<void> serve() {
    const Opened opened = co_await open(nullptr);
    if (opened != Opened::ready) co_return;
    for (;;) {
      auto line = lines_.next();
      std::string answer;
      if (line.kind == front::LineReader::Line::Kind::need_more) {
        char buf[kReadChunk];
        asio::mutable_buffer space(buf, sizeof buf);
        auto n = co_await receive(space, kTimeout);
        if (!n) co_return;
        lines_.feed(std::string_view(buf, *n));
        continue;
      }
      if (line.kind == front::LineReader::Line::Kind::too_long) {
        answer = "ERR line too long";
      } else if (line.text == "QUIT") {
        co_return;
      } else {
        answer = co_await reply_(std::move(line.text));
      }
      answer += "\r\n";
      auto written = co_await stream_->write(answer, kTimeout);
      if (!written) co_return;
    }
  }

  const LineServer::Reply& reply_;
  front::LineReader lines_;
};

}  // namespace

struct LineServer::Impl {
  Impl(daemon::Context& ctx, std::string l, Reply r)
      : server(ctx, "test"), name(ctx.name()), listener(std::move(l)), reply(std::move(r)) {
    server.set_limits({.max_connections = 1000, .max_connections_per_ip = 1000});
  }
  front::Server server;
  std::string name;
  std::string listener;
  Reply reply;
};

LineServer::LineServer(daemon::Context& ctx, std::string listener, Reply reply)
    : impl_(std::make_unique<Impl>(ctx, std::move(listener), std::move(reply))) {}

LineServer::~LineServer() = default;

Status LineServer::start() {
  Impl& impl = *impl_;
  return impl.server.listen({impl.listener}, [&impl](std::unique_ptr<net::Stream> stream, const std::string& listener) {
    auto session = std::make_shared<LineSession>(impl.server, std::move(stream), listener, impl.name, impl.reply);
    asio::co_spawn(impl.server.io(), LineSession::run(session), asio::detached);
  });
}

awaitable<void> LineServer::drain() { co_await impl_->server.drain(); }

}  // namespace parley::testkit
