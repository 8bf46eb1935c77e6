// Starting a child: fork, then in the child only async-signal-safe calls:
// own process group, parent-death signal, the inherited descriptors moved
// to 3.. (listeners first, then the control channel), rlimits, and when
// parleyd is root: supplementary groups, gid, uid, every capability
// dropped from the bounding set; then NO_NEW_PRIVS and exec. Everything the
// child needs is prepared before the fork.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "core/fd.h"
#include "core/result.h"
#include "supervisor/settings.h"

namespace parley::supervisor {

struct PassedFd {
  int fd;            // parleyd's descriptor; stays open in parleyd
  std::string name;  // LISTEN_FDNAMES entry ("smtp", "sip/udp")
};

struct Launch {
  const ProcessSpec* spec;
  bool privileged;
  std::vector<std::string> argv;   // argv[0] is the binary
  std::vector<PassedFd> listeners;
  int control_fd = -1;             // the child's end; -1: none
  int stdout_fd = -1;              // -1: parleyd's own stdout
};

// Returns the child's pid.
Result<pid_t> spawn(const Launch& launch);

// Runs `binary --describe` as the process's user and parses its answer.
Result<schema::ProcessDecl> describe(const ProcessSpec& spec, bool privileged);

}  // namespace parley::supervisor
