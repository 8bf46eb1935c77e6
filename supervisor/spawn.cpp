#include "supervisor/spawn.h"

#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace parley::supervisor {
namespace {

// Environment variables passed through to children as they are; the rest
// of parleyd's environment is not theirs to see.
constexpr const char* kPassEnv[] = {"JOURNAL_STREAM", "ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS", "TZ"};

constexpr int kDescribeTimeoutMs = 5000;
constexpr std::size_t kMaxDescribe = 64 * 1024;

// Async-signal-safe helpers for the child side of fork().
void write_str(int fd, const char* s) {
  ssize_t rc = ::write(fd, s, std::strlen(s));
  (void)rc;
}

[[noreturn]] void die(const char* what) {
  int err = errno;
  write_str(2, "parleyd: child set-up failed: ");
  write_str(2, what);
  write_str(2, ": ");
  write_str(2, strerrordesc_np(err) ? strerrordesc_np(err) : "?");
  write_str(2, "\n");
  ::_exit(127);
}

void format_uint(char* out, unsigned long v) {
  char tmp[24];
  int n = 0;
  do {
    tmp[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  for (int i = 0; i < n; ++i) out[i] = tmp[n - 1 - i];
  out[n] = '\0';
}

}  // namespace

Result<pid_t> spawn(const Launch& launch) {
  const ProcessSpec& spec = *launch.spec;
  const std::size_t n = launch.listeners.size();

  // Everything the child needs, built before the fork.
  std::vector<std::string> env;
  env.push_back("PATH=/usr/local/bin:/usr/bin:/bin");
  for (const char* name : kPassEnv) {
    if (const char* v = std::getenv(name)) env.push_back(std::string(name) + "=" + v);
  }
  if (n > 0) {
    env.push_back("LISTEN_FDS=" + std::to_string(n));
    std::string names = "LISTEN_FDNAMES=";
    for (std::size_t i = 0; i < n; ++i) names += (i ? ":" : "") + launch.listeners[i].name;
    env.push_back(names);
  }
  if (launch.control_fd >= 0) env.push_back("PARLEY_CONTROL_FD=" + std::to_string(3 + n));
  std::string listen_pid = "LISTEN_PID=";
  listen_pid.resize(listen_pid.size() + 24, '\0');  // filled in by the child
  std::vector<char*> envp;
  for (auto& e : env) envp.push_back(e.data());
  if (n > 0) envp.push_back(listen_pid.data());
  envp.push_back(nullptr);

  std::vector<std::string> args = launch.argv;
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  std::vector<int> sources;
  for (const auto& l : launch.listeners) sources.push_back(l.fd);
  if (launch.control_fd >= 0) sources.push_back(launch.control_fd);

  UniqueFd devnull(::open("/dev/null", O_RDWR | O_CLOEXEC));
  if (!devnull.valid()) return fail(Errc::io, std::string("/dev/null: ") + std::strerror(errno));
  const pid_t parent = ::getpid();
  const bool drop = launch.privileged;
  const uid_t uid = spec.uid;
  const gid_t gid = spec.gid;
  const std::vector<gid_t>& groups = spec.groups;
  rlimit nofile{static_cast<rlim_t>(spec.rlimit_nofile), static_cast<rlim_t>(spec.rlimit_nofile)};
  rlimit core{static_cast<rlim_t>(spec.rlimit_core), static_cast<rlim_t>(spec.rlimit_core)};

  pid_t pid = ::fork();
  if (pid < 0) return fail(Errc::io, std::string("fork: ") + std::strerror(errno));
  if (pid > 0) return pid;

  // --- child: async-signal-safe calls only from here on ---
  ::setpgid(0, 0);  // a terminal's ^C reaches parleyd, which stops children in order
  if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) die("PR_SET_PDEATHSIG");
  if (::getppid() != parent) ::_exit(0);  // parleyd died before the line above

  // Signal dispositions and mask are inherited; give the child defaults.
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sig != SIGKILL && sig != SIGSTOP) ::signal(sig, SIG_DFL);
  }

  // Move the passed descriptors above every target slot first, then down
  // into 3.., so that no move overwrites a descriptor still to be moved.
  const int high = 3 + static_cast<int>(sources.size()) + 64;
  std::vector<int>::size_type count = sources.size();
  int moved[256];
  if (count > 256) die("too many descriptors");
  for (std::size_t i = 0; i < count; ++i) {
    moved[i] = ::fcntl(sources[i], F_DUPFD_CLOEXEC, high);
    if (moved[i] < 0) die("dup");
  }
  for (std::size_t i = 0; i < count; ++i) {
    if (::dup2(moved[i], 3 + static_cast<int>(i)) < 0) die("dup2");  // dup2 clears CLOEXEC
  }
  if (::dup2(devnull.get(), 0) < 0) die("stdin");
  if (launch.stdout_fd >= 0 && ::dup2(launch.stdout_fd, 1) < 0) die("stdout");
  ::close_range(3 + static_cast<unsigned>(count), ~0U, 0);

  if (n > 0) format_uint(listen_pid.data() + 11, static_cast<unsigned long>(::getpid()));

  if (::setrlimit(RLIMIT_NOFILE, &nofile) != 0) die("RLIMIT_NOFILE");
  if (::setrlimit(RLIMIT_CORE, &core) != 0) die("RLIMIT_CORE");

  if (drop) {
    if (::setgroups(groups.size(), groups.data()) != 0) die("setgroups");
    if (::setresgid(gid, gid, gid) != 0) die("setresgid");
    // Empty the bounding set while we still hold CAP_SETPCAP, so nothing
    // exec'd later (even a setuid binary) can regain a capability.
    for (int cap = 0; cap <= CAP_LAST_CAP; ++cap) {
      if (::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL) die("PR_CAPBSET_DROP");
    }
    ::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
    // Leaving uid 0 clears the permitted and effective sets (no KEEP_CAPS).
    if (::setresuid(uid, uid, uid) != 0) die("setresuid");
    if (::setuid(0) == 0) die("root could be regained");
  }
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) die("PR_SET_NO_NEW_PRIVS");
  ::umask(027);
  ::execve(argv[0], argv.data(), envp.data());
  die(argv[0]);
}

Result<schema::ProcessDecl> describe(const ProcessSpec& spec, bool privileged) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return fail(Errc::io, std::string("pipe: ") + std::strerror(errno));
  UniqueFd read_end(fds[0]), write_end(fds[1]);
  Launch launch{.spec = &spec, .privileged = privileged, .argv = {spec.binary, "--describe"},
                .stdout_fd = write_end.get()};
  auto pid = spawn(launch);
  if (!pid) return pid.error();
  write_end.reset();

  std::string out;
  char buf[4096];
  bool timed_out = false;
  for (;;) {
    pollfd pfd{read_end.get(), POLLIN, 0};
    int rc = ::poll(&pfd, 1, kDescribeTimeoutMs);
    if (rc < 0 && errno == EINTR) continue;
    if (rc <= 0) {
      timed_out = true;
      break;
    }
    ssize_t got = ::read(read_end.get(), buf, sizeof buf);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;
    out.append(buf, static_cast<std::size_t>(got));
    if (out.size() > kMaxDescribe) break;
  }
  if (timed_out) ::kill(*pid, SIGKILL);
  int status = 0;
  while (::waitpid(*pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (timed_out) return fail(Errc::timeout, spec.binary + " --describe did not answer");
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return fail(Errc::invalid, spec.binary + " --describe failed (is it a Parley process binary?)");
  }
  schema::ProcessDecl decl;
  if (out.size() > kMaxDescribe || !decl.ParseFromString(out)) {
    return fail(Errc::syntax, spec.binary + " --describe gave no declaration");
  }
  if (decl.name() != spec.name) {
    return fail(Errc::invalid, spec.binary + " declares itself '" + decl.name() + "', not '" + spec.name + "'");
  }
  return decl;
}

}  // namespace parley::supervisor
