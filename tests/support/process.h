// A child process for a test: a program started from its path, or a fork
// running a function. Reaped when the Process goes (killed first with
// SIGKILL if it still runs), so a failed assertion leaves no child behind.
//   auto server = Process::spawn({IPC_COUNTER_SERVER, endpoint, db});
//   ...
//   EXPECT_EQ(server.terminate(), 0);  // SIGTERM, then its exit status
// Failing to start one throws std::runtime_error.
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>
#include <vector>

namespace parley::testkit {

class Process {
 public:
  // argv[0] is the program's path; the test's environment is passed on.
  static Process spawn(const std::vector<std::string>& argv);
  // A copy of this process running `body`, whose result is its exit
  // status (the child never returns into the test). Fork before anything
  // that does not survive fork (threads, ZeroMQ contexts) is in use.
  static Process fork(const std::function<int()>& body);

  Process(Process&& other) noexcept;
  Process& operator=(Process&& other) noexcept;
  ~Process();

  pid_t pid() const { return pid_; }
  // Waits for it to end: its exit status, or 128 + the signal that ended it.
  int wait();
  // SIGKILL, then wait().
  int kill();
  // SIGTERM, then wait().
  int terminate();

 private:
  explicit Process(pid_t pid) : pid_(pid) {}
  // SIGKILL and wait, whatever fails (for the destructor).
  void reap() noexcept;
  static bool wait_for(pid_t pid, int& status);

  pid_t pid_ = -1;  // -1 once reaped
};

}  // namespace parley::testkit
