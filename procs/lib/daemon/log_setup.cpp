#include "daemon/log_setup.h"

#include <cstdlib>
#include <string>

#include "config/common.h"

namespace parley::daemon {

Result<log::Options> log_options(const config::Config& config, std::string_view proc) {
  log::Options options;
  options.proc = std::string(proc);
  auto format = log::parse_format(config.get(config::kLogFormat));
  if (!format) return format.error();
  options.format = *format;

  std::string level_name = config.get(config::kLogLevel);
  if (config.has_section("process." + std::string(proc)) && !config.get(config::kProcessLogLevel, proc).empty()) {
    level_name = config.get(config::kProcessLogLevel, proc);
  }
  auto level = log::parse_level(level_name);
  if (!level) return level.error();
  options.level = *level;

  const std::string& target = config.get(config::kLogTarget);
  bool to_stdout = target == "stdout" || (target == "auto" && std::getenv("JOURNAL_STREAM") != nullptr);
  if (to_stdout) {
    options.target = log::Target::stdout_;
  } else {
    options.target = log::Target::file;
    const std::string& dir = config.get(config::kLogDir);
    options.path = proc == "parleyd" ? dir + "/parleyd.log" : dir + "/" + std::string(proc) + "/" + std::string(proc) + ".log";
  }
  return options;
}

log::Level from_schema(schema::LogLevel level) {
  switch (level) {
    case schema::LOG_TRACE: return log::Level::trace;
    case schema::LOG_DEBUG: return log::Level::debug;
    case schema::LOG_WARN: return log::Level::warn;
    case schema::LOG_ERROR: return log::Level::error;
    case schema::LOG_CRITICAL: return log::Level::critical;
    case schema::LOG_OFF: return log::Level::off;
    default: return log::Level::info;
  }
}

schema::LogLevel to_schema(log::Level level) {
  switch (level) {
    case log::Level::trace: return schema::LOG_TRACE;
    case log::Level::debug: return schema::LOG_DEBUG;
    case log::Level::info: return schema::LOG_INFO;
    case log::Level::warn: return schema::LOG_WARN;
    case log::Level::error: return schema::LOG_ERROR;
    case log::Level::critical: return schema::LOG_CRITICAL;
    case log::Level::off: return schema::LOG_OFF;
  }
  return schema::LOG_INFO;
}

}  // namespace parley::daemon
