// ipc_call: requests to a Parley ipc method, as JSON, from the shell.
//   ipc_call ENDPOINT METHOD < requests.jsonl
// METHOD is a method declared in ipc/contracts/ ("directory.resolve"); its
// request and reply types come from that declaration. Reads one JSON object
// per line of standard input (protobuf's JSON mapping; bytes are base64),
// sends each as the method's request, and prints each reply as one JSON
// line. Errors print {"error": "...", "code": "..."} and the exit status is
// 1; an unknown method exits 2. Test-only: the integration tests drive the
// directory's resolve and auth services with it, as the front ends do.
#include <google/protobuf/util/json_util.h>

#include <iostream>
#include <string>

#include "core/asio.h"
#include "ipc/contracts/dequeuer.h"
#include "ipc/contracts/directory.h"
#include "ipc/contracts/local_delivery.h"
#include "ipc/contracts/router.h"
#include "ipc/ipc.h"
#include "log/log.h"

namespace {

using namespace parley;
namespace pb = google::protobuf;

template <class Request, class Reply>
awaitable<int> run(ipc::Client& client, ipc::Method<Request, Reply> method) {
  int status = 0;
  std::string line;
  while (std::getline(std::cin, line)) {
    if (line.empty()) continue;
    Request request;
    if (!pb::util::JsonStringToMessage(line, &request).ok()) {
      std::cout << "{\"error\":\"bad JSON request\"}" << std::endl;
      status = 1;
      continue;
    }
    ipc::CallOptions options(std::chrono::seconds(30));
    auto reply = co_await client.call(method, request, options);
    if (!reply) {
      std::cout << "{\"error\":" << log::json_quote(reply.error().detail) << ",\"code\":\"" << errc_name(reply.code())
                << "\"}" << std::endl;
      status = 1;
      continue;
    }
    std::string json;
    pb::util::JsonPrintOptions print;
    print.always_print_primitive_fields = true;
    (void)pb::util::MessageToJsonString(reply.value(), &json, print);
    std::cout << json << std::endl;
  }
  co_return status;
}

// Every method declared in ipc/contracts/, found by its name. The client
// lives only as long as the calls, so io.run() returns after them.
awaitable<int> dispatch(asio::io_context& io, std::string endpoint, std::string name) {
  ipc::Client client(io, std::move(endpoint));
  if (name == contracts::kDirectoryResolve.name()) co_return co_await run(client, contracts::kDirectoryResolve);
  if (name == contracts::kDirectoryAuth.name()) co_return co_await run(client, contracts::kDirectoryAuth);
  if (name == contracts::kDirectoryDigest.name()) co_return co_await run(client, contracts::kDirectoryDigest);
  if (name == contracts::kDirectoryAdmin.name()) co_return co_await run(client, contracts::kDirectoryAdmin);
  if (name == contracts::kRouterEnqueue.name()) co_return co_await run(client, contracts::kRouterEnqueue);
  if (name == contracts::kRouterVerify.name()) co_return co_await run(client, contracts::kRouterVerify);
  if (name == contracts::kDequeuerNotify.name()) co_return co_await run(client, contracts::kDequeuerNotify);
  if (name == contracts::kQueueAdmin.name()) co_return co_await run(client, contracts::kQueueAdmin);
  if (name == contracts::kLocalDeliver.name()) co_return co_await run(client, contracts::kLocalDeliver);
  if (name == contracts::kMailboxStatus.name()) co_return co_await run(client, contracts::kMailboxStatus);
  std::cout << "{\"error\":\"unknown method\"}" << std::endl;
  co_return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: ipc_call ENDPOINT METHOD < requests.jsonl\n";
    return 2;
  }
  asio::io_context io;
  int status = 0;
  asio::co_spawn(io, [&]() -> awaitable<void> {
    status = co_await dispatch(io, argv[1], argv[2]);
  }, asio::detached);
  io.run();
  return status;
}
