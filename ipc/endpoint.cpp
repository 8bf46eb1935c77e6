#include <string>
#include <string_view>

#include "ipc/ipc.h"

namespace parley::ipc {

std::string endpoint(std::string_view runtime_dir, std::string_view proc, std::string_view service) {
  // "/run/parley/" and "/run/parley" name the same directory; "/" adds none.
  while (!runtime_dir.empty() && runtime_dir.back() == '/') runtime_dir.remove_suffix(1);
  std::string out = "ipc://";
  out.append(runtime_dir).append("/").append(proc).append("/").append(service).append(".sock");
  return out;
}

std::string endpoint_path(std::string_view endpoint) {
  constexpr std::string_view kIpc = "ipc://";
  if (!endpoint.starts_with(kIpc)) return {};
  std::string_view path = endpoint.substr(kIpc.size());
  // "@name" is Linux's abstract namespace and "*" a ZeroMQ-chosen name:
  // neither is a file we could check, remove or chmod.
  if (path.empty() || path.front() == '@' || path == "*") return {};
  return std::string(path);
}

}  // namespace parley::ipc
