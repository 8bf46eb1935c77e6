#include "tests/support/process.h"

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <utility>

extern char** environ;

namespace parley::testkit {

Process Process::spawn(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  const int rc = ::posix_spawn(&pid, args[0], nullptr, nullptr, args.data(), environ);
  if (rc != 0) throw std::runtime_error("spawn " + argv.at(0) + ": " + std::strerror(rc));
  return Process(pid);
}

Process Process::fork(const std::function<int()>& body) {
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) ::_exit(body());
  return Process(pid);
}

Process::Process(Process&& other) noexcept : pid_(std::exchange(other.pid_, -1)) {}

Process& Process::operator=(Process&& other) noexcept {
  if (this != &other) {
    reap();
    pid_ = std::exchange(other.pid_, -1);
  }
  return *this;
}

Process::~Process() { reap(); }

int Process::wait() {
  if (pid_ <= 0) throw std::runtime_error("wait: no process");
  int status = 0;
  const bool waited = wait_for(pid_, status);
  pid_ = -1;
  if (!waited) throw std::runtime_error(std::string("waitpid: ") + std::strerror(errno));
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int Process::kill() {
  if (pid_ > 0) ::kill(pid_, SIGKILL);
  return wait();
}

int Process::terminate() {
  if (pid_ > 0) ::kill(pid_, SIGTERM);
  return wait();
}

void Process::reap() noexcept {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  (void)wait_for(pid_, status);
  pid_ = -1;
}

bool Process::wait_for(pid_t pid, int& status) {
  pid_t waited;
  do {
    waited = ::waitpid(pid, &status, 0);
  } while (waited < 0 && errno == EINTR);
  return waited == pid;
}

}  // namespace parley::testkit
