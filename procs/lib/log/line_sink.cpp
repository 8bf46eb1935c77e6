#include "log/line_sink.h"

#include <cerrno>
#include <cstring>
#include <utility>

#include <fcntl.h>
#include <unistd.h>

#include <spdlog/pattern_formatter.h>

namespace parley::log {

namespace {

constexpr mode_t kFileMode = 0640;

int open_log(const std::string& path) {
  int fd;
  do {
    fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, kFileMode);
  } while (fd < 0 && errno == EINTR);
  return fd;
}

Error open_error(const std::string& path) {
  return fail(Errc::io, "open " + path + ": " + std::strerror(errno));
}

}  // namespace

LineSink::LineSink(int fd) : LineSink(fd, {}) {}

LineSink::LineSink(int fd, std::string path) : fd_(fd), owned_(!path.empty()), path_(std::move(path)) {
  // The line arrives finished; the formatter only appends the newline.
  set_pattern("%v");
}

LineSink::~LineSink() {
  if (owned_) ::close(fd_);
}

Result<std::shared_ptr<LineSink>> LineSink::open_file(const std::string& path) {
  int fd = open_log(path);
  if (fd < 0) return open_error(path);
  return std::shared_ptr<LineSink>(new LineSink(fd, path));
}

Status LineSink::reopen() {
  if (path_.empty()) return {};
  // Open before taking the lock so a slow filesystem does not stall writers.
  int fd = open_log(path_);
  if (fd < 0) return open_error(path_);
  int old;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    old = std::exchange(fd_, fd);
  }
  ::close(old);
  return {};
}

void LineSink::sink_it_(const spdlog::details::log_msg& msg) {
  spdlog::memory_buf_t line;
  formatter_->format(msg, line);
  // One write(2) for the whole line; loop only if the kernel took part of it
  // (a full disk, a signal), so the rest is not lost.
  const char* p = line.data();
  size_t left = line.size();
  while (left > 0) {
    ssize_t n = ::write(fd_, p, left);
    if (n <= 0) {
      if (n < 0 && errno == EINTR) continue;
      return;
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
}

}  // namespace parley::log
