// ipc_call: one request to a Parley ipc service, as JSON, from the shell.
//   ipc_call ENDPOINT METHOD REQUEST_TYPE REPLY_TYPE < request.json
// Reads one JSON object per line of standard input (protobuf's JSON
// mapping; bytes are base64), sends each as REQUEST_TYPE, and prints each
// reply as one JSON line of REPLY_TYPE. Errors print {"error": "...",
// "code": "..."} and the exit status is 1. Test-only: the integration tests
// drive the directory's resolve and auth services with it, as the front
// ends will.
#include <google/protobuf/descriptor.h>
#include <google/protobuf/dynamic_message.h>
#include <google/protobuf/util/json_util.h>

#include <iostream>
#include <memory>
#include <string>

#include "core/asio.h"
#include "ipc/ipc.h"
#include "log/log.h"
#include "schema/control.pb.h"
#include "schema/directory.pb.h"
#include "schema/envelope.pb.h"

namespace {

using namespace parley;
namespace pb = google::protobuf;

std::unique_ptr<pb::Message> make(const std::string& type) {
  // Naming the generated types keeps their descriptors linked in.
  (void)schema::AuthRequest::descriptor();
  (void)schema::Envelope::descriptor();
  (void)schema::AdminRequest::descriptor();
  const pb::Descriptor* d = pb::DescriptorPool::generated_pool()->FindMessageTypeByName("parley.schema." + type);
  if (d == nullptr) return nullptr;
  return std::unique_ptr<pb::Message>(pb::MessageFactory::generated_factory()->GetPrototype(d)->New());
}

awaitable<int> run(asio::io_context& io, std::string endpoint, std::string method, std::string req_type, std::string rep_type) {
  ipc::Client client(io, endpoint);
  int status = 0;
  std::string line;
  while (std::getline(std::cin, line)) {
    if (line.empty()) continue;
    auto request = make(req_type);
    auto reply = make(rep_type);
    if (!request || !reply) {
      std::cout << "{\"error\":\"unknown message type\"}" << std::endl;
      co_return 2;
    }
    if (!pb::util::JsonStringToMessage(line, request.get()).ok()) {
      std::cout << "{\"error\":\"bad JSON request\"}" << std::endl;
      status = 1;
      continue;
    }
    std::string payload = request->SerializeAsString();
    ipc::CallOptions options(std::chrono::seconds(30));
    auto raw = co_await client.call(method, std::move(payload), options);
    if (!raw) {
      std::cout << "{\"error\":" << log::json_quote(raw.error().detail) << ",\"code\":\"" << errc_name(raw.code()) << "\"}"
                << std::endl;
      status = 1;
      continue;
    }
    reply->ParseFromString(raw.value());
    std::string json;
    pb::util::JsonPrintOptions print;
    print.always_print_primitive_fields = true;
    (void)pb::util::MessageToJsonString(*reply, &json, print);
    std::cout << json << std::endl;
  }
  co_return status;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5) {
    std::cerr << "usage: ipc_call ENDPOINT METHOD REQUEST_TYPE REPLY_TYPE < requests.jsonl\n";
    return 2;
  }
  asio::io_context io;
  int status = 0;
  asio::co_spawn(io, [&]() -> awaitable<void> {
    status = co_await run(io, argv[1], argv[2], argv[3], argv[4]);
  }, asio::detached);
  io.run();
  return status;
}
