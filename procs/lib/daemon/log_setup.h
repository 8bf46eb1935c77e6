// How a process's log is set up from parley.conf; shared by parleyd and the
// processes so that both read the same keys the same way.
#pragma once

#include <string_view>

#include "config/config.h"
#include "core/result.h"
#include "log/log.h"
#include "schema/control.pb.h"

namespace parley::daemon {

// server.log_target / log_format / log_level (and process.NAME.log_level
// when `proc` names a process section). With target "auto": stdout when
// JOURNAL_STREAM is set (started by systemd), the file otherwise:
// LOG_DIR/NAME/NAME.log for a process, LOG_DIR/parleyd.log for parleyd.
Result<log::Options> log_options(const config::Config& config, std::string_view proc);

log::Level from_schema(schema::LogLevel level);
schema::LogLevel to_schema(log::Level level);

}  // namespace parley::daemon
