// [server] and [process.NAME]: the keys every process shares.
#include "config/common.h"

#include <cstdint>
#include <limits>

namespace parley::config {

namespace {

constexpr std::string_view kServer = "server";
constexpr std::string_view kProcess = "process.*";

constexpr std::int64_t kMaxLowPortOffset = 64000;  // offset + 1023 stays a port
constexpr std::int64_t kFirstUnprivilegedPort = 1024;
constexpr std::int64_t kMaxNofile = 1 << 20;  // Linux's default fs.nr_open

}  // namespace

const String kHostname{
    .section = kServer, .key = "hostname", .default_value = "",
    .doc = "The host name used in greetings and Received headers; empty: the machine's host name."};
const String kDataDir{
    .section = kServer, .key = "data_dir", .default_value = "/var/lib/parley",
    .doc = "All persistent state. Each process writes only its own subdirectory."};
const String kRuntimeDir{
    .section = kServer, .key = "runtime_dir", .default_value = "/run/parley",
    .doc = "IPC sockets and the control socket."};
const String kLogDir{
    .section = kServer, .key = "log_dir", .default_value = "/var/log/parley",
    .doc = "With log_target = \"file\": one subdirectory and file per process "
           "(log_dir/NAME/NAME.log), and log_dir/parleyd.log for parleyd."};
const String kLogTarget{
    .section = kServer, .key = "log_target", .default_value = "auto",
    .choices = {"auto", "file", "stdout"},
    .doc = "auto: stdout when started by systemd (JOURNAL_STREAM is set), file otherwise."};
const String kLogFormat{
    .section = kServer, .key = "log_format", .default_value = "human",
    .choices = {"human", "json"},
    .doc = "human: one readable line per event; json: one JSON object per line."};
const String kLogLevel{
    .section = kServer, .key = "log_level", .default_value = "info",
    .choices = {"trace", "debug", "info", "warn", "error", "critical", "off"},
    .doc = "The least severe level logged, for every process that does not set its own."};
const String kMapLowPorts{
    .section = kServer, .key = "map_low_ports", .default_value = "auto",
    .choices = {"auto", "on", "off"},
    .doc = "on: a listener port n below 1024 becomes low_port_offset + n; "
           "auto: on when parleyd is not started as root."};
const Integer kLowPortOffset{
    .section = kServer, .key = "low_port_offset", .default_value = 8000,
    .min = kFirstUnprivilegedPort, .max = kMaxLowPortOffset,
    .doc = "Added to ports below 1024 when map_low_ports is on (smtp 25 becomes 8025)."};

const String kProcessBinary{
    .section = kProcess, .key = "binary", .default_value = "",
    .doc = "The program to run; empty: the program named after the process, in parleyd's own "
           "directory."};
const List kProcessArgs{
    .section = kProcess, .key = "args", .default_value = {},
    .doc = "Extra command-line arguments."};
const Boolean kProcessEnabled{
    .section = kProcess, .key = "enabled", .default_value = true,
    .doc = "false: keep the table but do not start the process."};
const List kProcessListen{
    .section = kProcess, .key = "listen", .default_value = {},
    .doc = "Listening sockets parleyd binds and hands to the process: \"NAME=tcp:HOST:PORT\" or "
           "\"NAME=udp:HOST:PORT\"; HOST is a numeric IPv4 address, \"*\" (all IPv4), or an "
           "IPv6 address in brackets (\"smtp=tcp:[::1]:25\", \"[::]\" for all IPv6).",
    .check = Check::listen};
const String kProcessUser{
    .section = kProcess, .key = "user", .default_value = "",
    .doc = "The user the process runs as; empty: parley-NAME. Ignored when parleyd is not root."};
const String kProcessSeccomp{
    .section = kProcess, .key = "seccomp", .default_value = "enforce",
    .choices = {"enforce", "log", "off"},
    .doc = "The system call filter: enforce applies it, log only logs the calls it would "
           "block, off disables it."};
const String kProcessLogLevel{
    .section = kProcess, .key = "log_level", .default_value = "",
    .choices = {"", "trace", "debug", "info", "warn", "error", "critical", "off"},
    .doc = "This process's log level; empty: server.log_level."};
const Integer kProcessRlimitNofile{
    .section = kProcess, .key = "rlimit_nofile", .default_value = 65536,
    .min = 64, .max = kMaxNofile,
    .doc = "The limit on open files (RLIMIT_NOFILE)."};
const Integer kProcessRlimitCoreBytes{
    .section = kProcess, .key = "rlimit_core_bytes", .default_value = 0,
    .min = 0, .max = std::numeric_limits<std::int64_t>::max(),
    .doc = "The largest core dump (RLIMIT_CORE); 0: none, since a core holds mail and passwords."};

SectionDecl server_section() {
  return {.name = std::string(kServer),
          .doc = "Settings every process shares.",
          .keys = {kHostname, kDataDir, kRuntimeDir, kLogDir, kLogTarget, kLogFormat, kLogLevel, kMapLowPorts,
                   kLowPortOffset}};
}

SectionDecl process_section() {
  return {.name = std::string(kProcess),
          .doc = "One table per process that parleyd starts, named after the process: "
                 "[process.smtpd] runs the program smtpd, [process.directory] the "
                 "program directory. A process without a table is not started.",
          .keys = {kProcessBinary, kProcessArgs, kProcessEnabled, kProcessListen, kProcessUser, kProcessSeccomp,
                   kProcessLogLevel, kProcessRlimitNofile, kProcessRlimitCoreBytes}};
}

}  // namespace parley::config
