// The process logger: one structured stream per process, written by spdlog.
//
//   log::init({.proc = "smtpd", .format = Format::json, .target = Target::file,
//              .path = "/var/log/parley/smtpd/smtpd.log"});
//   log::info("smtp.auth.ok", "authenticated", {{"sid", sid}, {"user", login}});
//
// JSON lines carry the fixed fields ts (RFC 3339 UTC, milliseconds), level,
// proc, pid, sid (when a "sid" field is given: the first one moves here),
// event, msg and then the other given fields in order; keys come from one
// registered list (kKeys below), checked at compile time. A key given twice
// is written twice. The human format shows the same facts on one line, the
// sid's value right after proc[pid]:
//   2026-11-22T10:00:00.123Z info smtpd[812] smtp-1 smtp.auth.ok: authenticated user=a@x
// Values are escaped (JSON, RFC 8259; invalid UTF-8 becomes U+FFFD) or
// quoted and escaped (human: when empty or holding spaces, quotes, '=',
// backslashes, control bytes or invalid UTF-8, as \" \\ \n \r \t \xNN), so
// one event is always one line of valid UTF-8.
//
// Each line is written with one write(2) as it is logged: nothing is lost
// in a crash, and lines from processes sharing a file or pipe do not
// interleave. Before init(), lines go to stderr, human format, proc
// "parley". The pid is taken at init(); a forked child that logs calls
// init() again.
//
// Secrets never go in a field. Trace level is for protocol traces only.
// Thread-safe; a disabled level costs one atomic load. reopen() is what
// SIGUSR1 calls (logrotate): from the daemon's signal handling loop, not
// from an async signal handler (it opens a file and takes a lock).
#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <variant>

#include "core/result.h"

namespace parley::log {

enum class Level { trace, debug, info, warn, error, critical, off };
enum class Format { human, json };
enum class Target { stdout_, stderr_, file };

Result<Level> parse_level(std::string_view name);
std::string_view level_name(Level level);
Result<Format> parse_format(std::string_view name);

// The registered field keys. Add a key here, once, before using it.
inline constexpr std::array<std::string_view, 45> kKeys = {
    "sid",    "peer",    "user",      "domain",  "msg_id", "queue_id", "rcpt",   "reply",
    "elapsed_ms", "bytes", "child",   "child_pid", "uid",    "signal",   "status", "restarts",
    "delay_ms", "path",  "endpoint",  "method",  "request_id", "error", "new_level", "generation",
    "count",  "listener", "address",  "reason",  "file",   "line",     "key",    "value",
    "tls",    "cipher",  "host",      "attempts", "mailbox", "from",   "account", "actor",
    "to",     "identifier", "rights", "call_id", "flow",
};

// A field key; consteval so that an unregistered key fails to compile.
struct Key {
  consteval Key(const char* k) : name(k) {  // NOLINT: implicit by design
    bool known = false;
    for (auto r : kKeys) known = known || r == name;
    if (!known) throw "log key not in parley::log::kKeys";
  }
  std::string_view name;
};

struct Field {
  using Value = std::variant<std::string_view, std::int64_t, std::uint64_t, double, bool>;
  Field(Key k, std::string_view v) : key(k.name), value(v) {}
  Field(Key k, const std::string& v) : key(k.name), value(std::string_view(v)) {}
  Field(Key k, const char* v) : key(k.name), value(std::string_view(v)) {}
  Field(Key k, bool v) : key(k.name), value(v) {}
  Field(Key k, double v) : key(k.name), value(v) {}
  Field(Key k, int v) : key(k.name), value(std::int64_t{v}) {}
  Field(Key k, long v) : key(k.name), value(std::int64_t{v}) {}
  Field(Key k, long long v) : key(k.name), value(std::int64_t{v}) {}
  Field(Key k, unsigned v) : key(k.name), value(std::uint64_t{v}) {}
  Field(Key k, unsigned long v) : key(k.name), value(std::uint64_t{v}) {}
  Field(Key k, unsigned long long v) : key(k.name), value(std::uint64_t{v}) {}
  std::string_view key;
  Value value;
};
using Fields = std::initializer_list<Field>;

struct Options {
  std::string proc;  // the process name: the `proc` field
  Format format = Format::human;
  Target target = Target::stderr_;
  std::string path;  // with Target::file
  Level level = Level::info;
};

// Sets up the process logger (again, if called twice). Fails with
// Errc::invalid for an empty proc or a file target without a path, and with
// Errc::io when the file cannot be opened (created 0640, O_APPEND); the
// logger is then unchanged.
Status init(const Options& options);
// Opens the log file again by its path (after logrotate moved it); a no-op
// for stdout and stderr. On failure (Errc::io) lines keep going to the old
// file.
Status reopen();
void set_level(Level level);
Level level();
// Whether a line at `level` would be written; never for Level::off.
bool enabled(Level level);

void write(Level level, std::string_view event, std::string_view msg, Fields fields = {});
inline void trace(std::string_view e, std::string_view m, Fields f = {}) { write(Level::trace, e, m, f); }
inline void debug(std::string_view e, std::string_view m, Fields f = {}) { write(Level::debug, e, m, f); }
inline void info(std::string_view e, std::string_view m, Fields f = {}) { write(Level::info, e, m, f); }
inline void warn(std::string_view e, std::string_view m, Fields f = {}) { write(Level::warn, e, m, f); }
inline void error(std::string_view e, std::string_view m, Fields f = {}) { write(Level::error, e, m, f); }
inline void critical(std::string_view e, std::string_view m, Fields f = {}) { write(Level::critical, e, m, f); }

// `s` as a JSON string literal, quotes included, escaped as log lines are
// (valid UTF-8 out, whatever comes in); for other JSON that Parley prints.
std::string json_quote(std::string_view s);

// The line as it would be written (no trailing newline); for tests.
// unix_ms is milliseconds since the epoch (UTC).
std::string format_line(Format format, std::string_view proc, int pid, std::int64_t unix_ms, Level level,
                        std::string_view event, std::string_view msg, Fields fields);

}  // namespace parley::log
