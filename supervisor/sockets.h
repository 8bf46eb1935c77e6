// The listening sockets parleyd binds for its children, while it still may
// (ports below 1024). They stay open in parleyd across child restarts, so a
// restart never refuses a connection: the kernel queues it for the next
// child.
#pragma once

#include <map>
#include <set>
#include <string>

#include "config/listen.h"
#include "core/fd.h"
#include "core/result.h"

namespace parley::supervisor {

class Sockets {
 public:
  // Returns the bound socket for `spec`, binding it the first time.
  Result<int> get(const config::ListenSpec& spec);
  // Closes every socket not in `keep` (keys from key()), after a reload.
  void retain(const std::set<std::string>& keep);
  static std::string key(const config::ListenSpec& spec);

 private:
  std::map<std::string, UniqueFd> bound_;
};

}  // namespace parley::supervisor
