// The process logger: which sink, which format, which level. The line is
// built by format_line (format.cpp); spdlog only hands it to the LineSink.
#include "log/log.h"

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <utility>

#include <unistd.h>

#include <spdlog/logger.h>

#include "log/line_sink.h"

namespace parley::log {

namespace {

// Everything init() sets but the level. Replaced whole, never changed in
// place, so a writer holding one sees a consistent set.
struct State {
  std::shared_ptr<LineSink> sink;
  std::shared_ptr<spdlog::logger> logger;
  std::string proc;
  int pid;  // 0 before init: ask getpid() on each line
  Format format;
};

std::shared_ptr<const State> make_state(std::shared_ptr<LineSink> sink, std::string proc, int pid,
                                        Format format) {
  auto logger = std::make_shared<spdlog::logger>(proc, sink);
  // Filtering happened before the line was built.
  logger->set_level(spdlog::level::trace);
  logger->set_pattern("%v");
  return std::make_shared<const State>(State{std::move(sink), std::move(logger), std::move(proc), pid, format});
}

// Before init(), lines go to stderr in the human format as proc "parley",
// so errors during start-up are not lost. A function-local static so that
// logging from another file's static initializer finds it ready.
std::atomic<std::shared_ptr<const State>>& current() {
  static std::atomic<std::shared_ptr<const State>> state{
      make_state(std::make_shared<LineSink>(STDERR_FILENO), "parley", 0, Format::human)};
  return state;
}

std::atomic<Level> g_level{Level::info};

spdlog::level::level_enum to_spdlog(Level level) {
  switch (level) {
    case Level::trace: return spdlog::level::trace;
    case Level::debug: return spdlog::level::debug;
    case Level::info: return spdlog::level::info;
    case Level::warn: return spdlog::level::warn;
    case Level::error: return spdlog::level::err;
    case Level::critical: return spdlog::level::critical;
    case Level::off: return spdlog::level::off;
  }
  return spdlog::level::off;
}

}  // namespace

Status init(const Options& options) {
  if (options.proc.empty()) return fail(Errc::invalid, "log: empty proc name");
  std::shared_ptr<LineSink> sink;
  switch (options.target) {
    case Target::stdout_: sink = std::make_shared<LineSink>(STDOUT_FILENO); break;
    case Target::stderr_: sink = std::make_shared<LineSink>(STDERR_FILENO); break;
    case Target::file: {
      if (options.path.empty()) return fail(Errc::invalid, "log: target file without a path");
      auto opened = LineSink::open_file(options.path);
      if (!opened) return opened.error();
      sink = std::move(*opened);
      break;
    }
  }
  g_level.store(options.level, std::memory_order_relaxed);
  current().store(make_state(std::move(sink), options.proc, static_cast<int>(::getpid()), options.format));
  return {};
}

Status reopen() { return current().load()->sink->reopen(); }

void set_level(Level level) { g_level.store(level, std::memory_order_relaxed); }

Level level() { return g_level.load(std::memory_order_relaxed); }

bool enabled(Level level) { return level != Level::off && level >= g_level.load(std::memory_order_relaxed); }

void write(Level level, std::string_view event, std::string_view msg, Fields fields) {
  if (!enabled(level)) return;
  using namespace std::chrono;
  std::int64_t now = duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
  std::shared_ptr<const State> state = current().load();
  int pid = state->pid != 0 ? state->pid : static_cast<int>(::getpid());
  std::string line = format_line(state->format, state->proc, pid, now, level, event, msg, fields);
  state->logger->log(to_spdlog(level), spdlog::string_view_t(line.data(), line.size()));
}

}  // namespace parley::log
