// LineSink: the spdlog sink under the process logger. It receives finished
// lines (the logger's pattern is "%v"; the line is built by format_line) and
// writes each one with its '\n' in a single write(2) to stdout, stderr or a
// file opened O_APPEND. One call per line means nothing sits in a buffer
// when the process crashes, and lines from several processes sharing a file
// or pipe do not interleave (O_APPEND; pipes up to PIPE_BUF).
//
// Write errors are dropped: there is nowhere left to report them. Internal
// to the log library.
#pragma once

#include <mutex>
#include <string>

#include <spdlog/sinks/base_sink.h>

#include "core/result.h"

namespace parley::log {

class LineSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  // Writes to an inherited descriptor (1 or 2); never closes it.
  explicit LineSink(int fd);
  ~LineSink() override;
  LineSink(const LineSink&) = delete;
  LineSink& operator=(const LineSink&) = delete;

  // A sink on the file at `path`, created with mode 0640 if absent.
  static Result<std::shared_ptr<LineSink>> open_file(const std::string& path);

  // Opens the file by its path again and switches to it; lines already
  // written stay in the old file. A no-op for stdout and stderr. On failure
  // the sink keeps writing to the old descriptor.
  Status reopen();

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override;
  void flush_() override {}

 private:
  LineSink(int fd, std::string path);

  int fd_;
  bool owned_;
  std::string path_;  // empty for stdout and stderr
};

}  // namespace parley::log
