#include "daemon/seccomp.h"

#include <seccomp.h>

#include <array>
#include <cstring>
#include <string>

namespace parley::daemon {
namespace {

// Grouped by what needs them. Names, not numbers, so the list reads the
// same on every architecture libseccomp knows; names a kernel or libseccomp
// does not know are skipped.
constexpr std::array kCommon = {
    // memory
    "brk", "mmap", "munmap", "mprotect", "mremap", "madvise", "mincore", "msync",
    // files and descriptors
    "read", "write", "readv", "writev", "pread64", "pwrite64", "preadv", "pwritev", "close",
    "openat", "open", "fstat", "newfstatat", "stat", "lstat", "statx", "lseek", "fcntl", "ioctl",
    "dup", "dup2", "dup3", "pipe", "pipe2", "fsync", "fdatasync", "ftruncate", "fallocate",
    "getdents", "getdents64", "unlink", "unlinkat", "rename", "renameat", "renameat2", "mkdir", "mkdirat",
    "rmdir", "access", "faccessat", "faccessat2", "readlink", "readlinkat", "getcwd", "flock",
    "fchmod", "umask", "statfs", "fstatfs", "close_range", "sendfile",
    // event loop and time
    "epoll_create", "epoll_create1", "epoll_ctl", "epoll_wait", "epoll_pwait", "epoll_pwait2",
    "poll", "ppoll", "select", "pselect6", "eventfd", "eventfd2", "timerfd_create",
    "timerfd_settime", "timerfd_gettime", "clock_gettime", "clock_getres", "clock_nanosleep",
    "nanosleep", "gettimeofday", "time",
    // sockets (listeners are inherited; ipc and outbound connections are made here)
    "socket", "socketpair", "connect", "accept", "accept4", "bind", "listen", "getsockname",
    "getpeername", "setsockopt", "getsockopt", "sendto", "recvfrom", "sendmsg", "recvmsg",
    "sendmmsg", "recvmmsg", "shutdown",
    // threads (ZeroMQ's I/O thread, Asio's resolver) and signals
    "futex", "clone", "clone3", "set_robust_list", "get_robust_list", "rseq", "set_tid_address",
    "sched_yield", "sched_getaffinity", "sched_setaffinity", "sched_getparam", "sched_getscheduler",
    "rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "rt_sigtimedwait", "sigaltstack", "tgkill",
    "tkill", "restart_syscall", "exit", "exit_group", "prctl", "arch_prctl", "membarrier",
    // identity and limits (read only)
    "getpid", "gettid", "getppid", "getuid", "geteuid", "getgid", "getegid", "getresuid",
    "getresgid", "getgroups", "getrlimit", "prlimit64", "getrusage", "uname", "sysinfo",
    "getrandom", "getpriority",
};

#ifdef PARLEY_SANITIZE
// LeakSanitizer stops the world at exit with a ptrace-ing helper task;
// ASan reads /proc/self/maps and may call these as well.
constexpr std::array kSanitizer = {"ptrace", "wait4", "waitid", "kill", "process_vm_readv",
                                   "setrlimit", "mlock", "munlock", "personality"};
#endif

Status add_rules(scmp_filter_ctx ctx, const char* name) {
  int nr = seccomp_syscall_resolve_name(name);
  if (nr == __NR_SCMP_ERROR) return {};  // unknown here: nothing to allow
  int rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
  if (rc < 0) return fail(Errc::internal, std::string("seccomp rule ") + name + ": " + std::strerror(-rc));
  return {};
}

}  // namespace

Result<SeccompMode> parse_seccomp_mode(std::string_view name) {
  if (name == "enforce") return SeccompMode::enforce;
  if (name == "log") return SeccompMode::log;
  if (name == "off") return SeccompMode::off;
  return fail(Errc::invalid, "seccomp must be enforce, log or off");
}

Status install_seccomp(SeccompMode mode, const std::vector<std::string_view>& extra_syscalls) {
  if (mode == SeccompMode::off) return {};
  scmp_filter_ctx ctx = seccomp_init(mode == SeccompMode::enforce ? SCMP_ACT_KILL_PROCESS : SCMP_ACT_LOG);
  if (ctx == nullptr) return fail(Errc::internal, "seccomp_init failed");
  Status status;
  for (const char* name : kCommon) {
    if (status = add_rules(ctx, name); !status) break;
  }
#ifdef PARLEY_SANITIZE
  for (const char* name : kSanitizer) {
    if (!status) break;
    status = add_rules(ctx, name);
  }
#endif
  for (auto name : extra_syscalls) {
    if (!status) break;
    status = add_rules(ctx, std::string(name).c_str());
  }
  if (status) {
    // The skeleton already set NO_NEW_PRIVS (parleyd sets it too, before exec).
    int rc = seccomp_load(ctx);
    if (rc < 0) status = fail(Errc::internal, std::string("seccomp_load: ") + std::strerror(-rc));
  }
  seccomp_release(ctx);
  return status;
}

}  // namespace parley::daemon
