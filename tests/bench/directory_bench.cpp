// directory_bench: the directory process under load, through a real parleyd.
//   directory_bench [--accounts N (1000000)] [--resolve-requests N (20000)]
//                   [--resolve-seconds S (3)] [--auth-seconds S (5)] [--keep]
// Writes a parley.conf with only [process.directory] into a fresh temporary
// directory, starts parleyd (and parleyctl, directory) from this program's
// own directory, and measures:
//   - parleyctl import of N accounts with one alias each (no passwords:
//     argon2 for every row would take days), in accounts/s;
//   - the LMDB file size, and the directory's RSS after loading;
//   - directory.resolve over ipc, one address a request (80% accounts, 20%
//     aliases, a quarter of them with a +detail): latency with 1 request
//     in flight, throughput and latency with 64 in flight;
//   - directory.auth (SASL PLAIN, right passwords) with the default
//     argon2id parameters and the credentials cache off, 1 and 4 requests
//     in flight.
// Every reply is checked. Stops parleyd and removes the directory at the
// end (--keep leaves the directory for inspection).
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "config/config.h"
#include "core/asio.h"
#include "daemon/daemon.h"
#include "ipc/contracts/directory.h"
#include "ipc/ipc.h"
#include "lmdb/lmdb.h"
#include "schema/directory.pb.h"
#include "load.h"
#include "procs/directory/process_settings.h"

namespace {

using namespace std::chrono_literals;
using parley::bench::Clock;
using parley::bench::Load;
using parley::bench::drive;
using parley::bench::seconds_since;
namespace ipc = parley::ipc;
namespace asio = parley::asio;
namespace schema = parley::schema;
namespace fs = std::filesystem;
using parley::awaitable;

constexpr const char* kDomain = "bench.test";
constexpr int kAuthAccounts = 4;

struct Args {
  long accounts = 1'000'000;
  long resolve_requests = 20'000;
  double resolve_seconds = 3.0;
  double auth_seconds = 5.0;
  bool keep = false;
};

// "95 us", "1.1 ms", "105 ms".
std::string human(Clock::duration d) {
  const double us = std::chrono::duration<double, std::micro>(d).count();
  char buf[32];
  if (us < 1000) std::snprintf(buf, sizeof buf, "%.0f us", us);
  else if (us < 100'000) std::snprintf(buf, sizeof buf, "%.1f ms", us / 1000);
  else std::snprintf(buf, sizeof buf, "%.0f ms", us / 1000);
  return buf;
}

// "3.2 MiB", "16.0 GiB".
std::string mib(std::uint64_t bytes) {
  char buf[32];
  const double m = static_cast<double>(bytes) / (1024.0 * 1024.0);
  if (m < 1024) std::snprintf(buf, sizeof buf, "%.1f MiB", m);
  else std::snprintf(buf, sizeof buf, "%.1f GiB", m / 1024);
  return buf;
}

// --- child processes ----------------------------------------------------

struct Ran {
  int status = -1;  // exit code, or 128 + signal
  std::string out, err;
};

int exit_code(int wstatus) { return WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus); }

// Runs argv[0] (a path) in `cwd` with `input` on its standard input, and
// collects its standard output and error.
Ran run(const std::vector<std::string>& argv, const std::string& cwd, const std::string& input = {}) {
  Ran ran;
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  int in[2], out[2], err[2];
  if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0) {
    ran.err = std::string("pipe: ") + std::strerror(errno);
    return ran;
  }
  const pid_t pid = ::fork();
  if (pid < 0) {
    ran.err = std::string("fork: ") + std::strerror(errno);
    return ran;
  }
  if (pid == 0) {
    ::signal(SIGPIPE, SIG_DFL);
    if (::dup2(in[0], 0) < 0 || ::dup2(out[1], 1) < 0 || ::dup2(err[1], 2) < 0 || ::chdir(cwd.c_str()) != 0) ::_exit(127);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  ::close(in[0]);
  ::close(out[1]);
  ::close(err[1]);
  // Inputs here are a password line: far below a pipe's capacity.
  if (!input.empty() && ::write(in[1], input.data(), input.size()) != static_cast<ssize_t>(input.size())) {
    ran.err = "short write to the child's standard input; ";
  }
  ::close(in[1]);
  pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
  std::string* sinks[2] = {&ran.out, &ran.err};
  int open_fds = 2;
  while (open_fds > 0) {
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      char buf[65536];
      const ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
      if (n > 0) {
        sinks[i]->append(buf, static_cast<std::size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        ::close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      }
    }
  }
  int wstatus = 0;
  while (::waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {
  }
  ran.status = exit_code(wstatus);
  return ran;
}

struct Server {
  std::string dir, bin, conf;
  pid_t parleyd = -1;

  Ran ctl(std::vector<std::string> words, const std::string& input = {}) const {
    words.insert(words.begin(), {bin + "/parleyctl", "--config", conf});
    return run(words, dir, input);
  }

  std::string output() const {
    std::ifstream in(dir + "/parleyd.out");
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

  bool start() {
    const std::string out_path = dir + "/parleyd.out";
    const std::string exe = bin + "/parleyd";
    char* args[] = {const_cast<char*>(exe.c_str()), const_cast<char*>("--config"), const_cast<char*>(conf.c_str()), nullptr};
    parleyd = ::fork();
    if (parleyd < 0) return false;
    if (parleyd == 0) {
      ::signal(SIGPIPE, SIG_DFL);
      const int fd = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      const int null = ::open("/dev/null", O_RDONLY);
      if (fd < 0 || null < 0 || ::dup2(null, 0) < 0 || ::dup2(fd, 1) < 0 || ::dup2(fd, 2) < 0 || ::chdir(dir.c_str()) != 0) {
        ::_exit(127);
      }
      ::execv(args[0], args);
      ::_exit(127);
    }
    return true;
  }

  bool running() {
    if (parleyd <= 0) return false;
    int wstatus = 0;
    if (::waitpid(parleyd, &wstatus, WNOHANG) == parleyd) {
      std::fprintf(stderr, "directory_bench: parleyd exited (%d):\n%s\n", exit_code(wstatus), output().c_str());
      parleyd = -1;
      return false;
    }
    return true;
  }

  // Polls `done` until it holds, parleyd exits, or `timeout` passes.
  bool wait_until(const std::function<bool()>& done, Clock::duration timeout, const char* what) {
    const auto deadline = Clock::now() + timeout;
    while (running()) {
      if (done()) return true;
      if (Clock::now() > deadline) {
        std::fprintf(stderr, "directory_bench: timed out waiting for %s\n", what);
        return false;
      }
      std::this_thread::sleep_for(50ms);
    }
    return false;
  }

  // SIGTERM, then waits (SIGKILL after a minute). Returns parleyd's exit code.
  int stop() {
    if (parleyd <= 0) return -1;
    ::kill(parleyd, SIGTERM);
    int wstatus = 0;
    const auto deadline = Clock::now() + 60s;
    for (;;) {
      const pid_t r = ::waitpid(parleyd, &wstatus, WNOHANG);
      if (r == parleyd || (r < 0 && errno != EINTR)) break;
      if (Clock::now() > deadline) {
        std::fprintf(stderr, "directory_bench: parleyd did not stop within 60 s; killing it\n");
        ::kill(parleyd, SIGKILL);
        ::waitpid(parleyd, &wstatus, 0);
        break;
      }
      std::this_thread::sleep_for(20ms);
    }
    parleyd = -1;
    return exit_code(wstatus);
  }
};

// From `parleyctl --json status`: a number field of the process `name`.
std::uint64_t status_field(const std::string& json, const std::string& name, const std::string& field) {
  auto at = json.find("{\"name\":\"" + name + "\"");
  if (at == std::string::npos) return 0;
  at = json.find("\"" + field + "\":", at);
  if (at == std::string::npos) return 0;
  return std::strtoull(json.c_str() + at + field.size() + 3, nullptr, 10);
}

// A "VmRSS:"-style line of /proc/PID/status, in bytes.
std::uint64_t proc_kib_field(long pid, const std::string& key) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key + ":", 0) == 0) return std::strtoull(line.c_str() + key.size() + 1, nullptr, 10) * 1024;
  }
  return 0;
}

// --- load ---------------------------------------------------------------

// The 1-minute load average: other work on the machine skews the figures.
std::string load_average() {
  std::ifstream in("/proc/loadavg");
  std::string one;
  in >> one;
  return one.empty() ? "?" : one;
}

bool write_accounts(const std::string& path, long n) {
  std::FILE* f = std::fopen(path.c_str(), "w");
  if (f == nullptr) return false;
  std::string buf = "account\treal_name\taliases\n";
  for (long i = 0; i < n; ++i) {
    const std::string s = std::to_string(i);
    buf += "u" + s + "@" + kDomain + "\tUser " + s + "\ta" + s + "@" + kDomain + "\n";
    if (buf.size() > (1 << 20)) {
      if (std::fwrite(buf.data(), 1, buf.size(), f) != buf.size()) break;
      buf.clear();
    }
  }
  const bool ok = std::fwrite(buf.data(), 1, buf.size(), f) == buf.size();
  return std::fclose(f) == 0 && ok;
}

bool parse_args(int argc, char** argv, Args& args) {
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const bool has_value = i + 1 < argc;
    if (a == "--keep") args.keep = true;
    else if (a == "--accounts" && has_value) args.accounts = std::atol(argv[++i]);
    else if (a == "--resolve-requests" && has_value) args.resolve_requests = std::atol(argv[++i]);
    else if (a == "--resolve-seconds" && has_value) args.resolve_seconds = std::atof(argv[++i]);
    else if (a == "--auth-seconds" && has_value) args.auth_seconds = std::atof(argv[++i]);
    else return false;
  }
  return args.accounts > 0 && args.resolve_requests > 0 && args.resolve_seconds > 0 && args.auth_seconds > 0;
}

Clock::duration seconds(double s) { return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s)); }

// Everything between parleyd's start and its stop; false on a failure
// that makes the rest meaningless.
bool bench(Server& server, const Args& args) {
  // --- start -----------------------------------------------------------
  std::printf("directory_bench: %u cores, load average %s at start\n", std::thread::hardware_concurrency(),
              load_average().c_str());
  if (!server.start()) {
    std::perror("directory_bench: fork");
    return false;
  }
  if (!server.wait_until([&] { return server.ctl({"status"}).status == 0; }, 60s, "parleyd status")) return false;
  // The first run (the domain) happens once the directory is ready.
  if (!server.wait_until([&] { return server.ctl({"domain", "show", kDomain}).status == 0; }, 30s, "the first-run domain")) {
    return false;
  }

  // --- import ----------------------------------------------------------
  const std::string tsv = server.dir + "/accounts.tsv";
  if (!write_accounts(tsv, args.accounts)) {
    std::fprintf(stderr, "directory_bench: cannot write %s\n", tsv.c_str());
    return false;
  }
  const auto tsv_bytes = fs::file_size(tsv);
  // The whole table travels in one ipc message, parleyd -> directory.
  constexpr std::uint64_t kIpcMessageLimit = 64 * 1024 * 1024;  // ipc/socket.h: kMaxMessage
  if (tsv_bytes > kIpcMessageLimit) {
    std::printf("directory import: warning: %s of TSV is over the 64 MiB ipc message limit (ipc/socket.h kMaxMessage): "
                "the directory drops it and parleyd resends it until its 20-minute forward timeout\n",
                mib(tsv_bytes).c_str());
    std::fflush(stdout);
  }
  const Clock::time_point import_start = Clock::now();
  const Ran imported = server.ctl({"--json", "import", tsv});
  const double import_seconds = seconds_since(import_start);
  const std::string expect = "\"imported\":\"" + std::to_string(args.accounts) + "\"";
  if (imported.status != 0 || imported.out.find(expect) == std::string::npos) {
    std::printf("directory import: %ld accounts FAILED after %.1f s (parleyctl exit %d): %s%s\n", args.accounts,
                import_seconds, imported.status, imported.out.c_str(), imported.err.c_str());
    return false;
  }
  fs::remove(tsv);
  std::printf("directory import: %ld accounts in %.1f s (%.0f accounts/s; %s of TSV in one request)\n", args.accounts,
              import_seconds, static_cast<double>(args.accounts) / import_seconds, mib(tsv_bytes).c_str());
  std::fflush(stdout);

  // --- sizes -----------------------------------------------------------
  const std::string mdb = server.dir + "/data/directory/db/data.mdb";
  std::error_code ec;
  const auto mdb_bytes = fs::file_size(mdb, ec);
  const std::size_t map_size = parley::lmdb::EnvOptions{}.map_size;
  if (ec) {
    std::printf("directory LMDB: %s: %s\n", mdb.c_str(), ec.message().c_str());
  } else {
    std::printf("directory LMDB: data.mdb %s (%.0f bytes/account) of a %s map (%.2f%% used)\n", mib(mdb_bytes).c_str(),
                static_cast<double>(mdb_bytes) / static_cast<double>(args.accounts), mib(map_size).c_str(),
                100.0 * static_cast<double>(mdb_bytes) / static_cast<double>(map_size));
  }
  const Ran status = server.ctl({"--json", "status"});
  const std::uint64_t rss = status_field(status.out, "directory", "rss_bytes");
  const long directory_pid = static_cast<long>(status_field(status.out, "directory", "pid"));
  std::printf("directory RSS after loading: %s (anonymous %s, LMDB and other files %s; peak %s); parleyd RSS %s (peak %s)\n",
              mib(rss).c_str(), mib(proc_kib_field(directory_pid, "RssAnon")).c_str(),
              mib(proc_kib_field(directory_pid, "RssFile")).c_str(), mib(proc_kib_field(directory_pid, "VmHWM")).c_str(),
              mib(proc_kib_field(server.parleyd, "VmRSS")).c_str(), mib(proc_kib_field(server.parleyd, "VmHWM")).c_str());
  std::fflush(stdout);

  // --- accounts with passwords, for auth -------------------------------
  std::vector<std::string> users, passwords;
  for (int k = 0; k < kAuthAccounts; ++k) {
    users.push_back("p" + std::to_string(k) + "@" + kDomain);
    passwords.push_back("bench-password-" + std::to_string(k));
    const Ran added = server.ctl({"account", "add", users.back()}, passwords.back() + "\n");
    if (added.status != 0) {
      std::fprintf(stderr, "directory_bench: account add %s: exit %d: %s\n", users.back().c_str(), added.status, added.err.c_str());
      return false;
    }
  }

  // --- resolve ---------------------------------------------------------
  asio::io_context io;
  ipc::ClientOptions client_options;
  client_options.resend_after = 10s;  // no resends: they would distort the figures
  client_options.default_timeout = 30s;
  ipc::Client client(io, "ipc://" + server.dir + "/run/directory/directory.sock", client_options);
  const ipc::CallOptions call_options(30s);

  std::mt19937_64 rng(20240601);
  std::uniform_int_distribution<long> pick_account(0, args.accounts - 1);
  std::uniform_int_distribution<int> percent(0, 99);
  auto resolve_one = [&]() -> awaitable<std::string> {
    const std::string i = std::to_string(pick_account(rng));
    const bool alias = percent(rng) < 20;
    const bool with_detail = percent(rng) < 25;
    const std::string detail = with_detail ? "t" + std::to_string(percent(rng)) : "";
    const std::string account = "u" + i + "@" + kDomain;
    const std::string address = (alias ? "a" : "u") + i + (with_detail ? "+" + detail : "") + "@" + kDomain;
    schema::ResolveRequest request;
    request.add_addresses(address);
    auto reply = co_await client.call(parley::contracts::kDirectoryResolve, request, call_options);
    if (!reply) co_return address + ": " + reply.error().detail;
    if (reply->results_size() != 1) co_return address + ": " + std::to_string(reply->results_size()) + " results";
    const auto& r = reply->results(0);
    if (r.kind() != schema::Resolution::KIND_ACCOUNT || r.account() != account || r.detail() != detail) {
      co_return address + ": " + schema::Resolution::Kind_Name(r.kind()) + " account '" + r.account() + "' detail '" +
          r.detail() + "'";
    }
    co_return std::string();
  };

  Load warmup{.workers = 1, .requests = 2000};
  drive(io, warmup, resolve_one);  // also waits for the connection
  warmup.print_errors("directory resolve warm-up");

  Load latency{.workers = 1, .requests = args.resolve_requests};
  latency.latencies.reserve(static_cast<std::size_t>(args.resolve_requests));
  drive(io, latency, resolve_one);
  std::printf("directory resolve 1 in flight: p50 %s, p99 %s (%ld requests, %.0f req/s, %ld errors)\n",
              human(latency.at(0.50)).c_str(), human(latency.at(0.99)).c_str(), latency.completed + latency.failed,
              static_cast<double>(latency.completed) / latency.seconds, latency.failed);
  latency.print_errors("directory resolve 1 in flight");
  std::fflush(stdout);

  Load throughput{.workers = 64, .duration = seconds(args.resolve_seconds)};
  drive(io, throughput, resolve_one);
  std::printf("directory resolve 64 in flight: %.0f req/s, p50 %s, p99 %s (%ld requests in %.2f s, %ld errors)\n",
              static_cast<double>(throughput.completed) / throughput.seconds, human(throughput.at(0.50)).c_str(),
              human(throughput.at(0.99)).c_str(), throughput.completed + throughput.failed, throughput.seconds,
              throughput.failed);
  throughput.print_errors("directory resolve 64 in flight");
  std::fflush(stdout);

  // --- auth ------------------------------------------------------------
  auto config = parley::config::Config::load_file(
      server.conf, parley::daemon::process_schema({parley::directory::settings_section()}), parley::config::Unknown::skip);
  char params[96] = "argon2id";
  if (config) {
    const auto argon2 = parley::directory::load_settings(*config).policy.argon2;
    std::snprintf(params, sizeof params, "argon2id m=%u t=%u p=%u", argon2.memory_kib, argon2.iterations,
                  argon2.parallelism);
  }
  long auth_counter = 0;
  auto auth_one = [&]() -> awaitable<std::string> {
    const long n = auth_counter++;
    const std::size_t k = static_cast<std::size_t>(n % kAuthAccounts);
    // A different client address each time: labels for the rate limits only.
    const std::string ip = "10." + std::to_string((n >> 16) & 255) + "." + std::to_string((n >> 8) & 255) + "." +
                           std::to_string(n & 255);
    std::string response(1, '\0');
    response += users[k];
    response += '\0';
    response += passwords[k];
    schema::AuthRequest request;
    request.set_mechanism("PLAIN");
    request.set_response(response);
    request.set_service(schema::SERVICE_IMAP);
    request.set_client_address(ip);
    request.set_sid("bench-" + std::to_string(n));
    auto reply = co_await client.call(parley::contracts::kDirectoryAuth, request, call_options);
    if (!reply) co_return users[k] + " from " + ip + ": " + reply.error().detail;
    if (reply->outcome() != schema::AuthReply::OUTCOME_OK || reply->account() != users[k]) {
      co_return users[k] + " from " + ip + ": " + schema::AuthReply::Outcome_Name(reply->outcome()) + " account '" +
          reply->account() + "'";
    }
    co_return std::string();
  };
  Load auth_warmup{.workers = 1, .requests = kAuthAccounts};
  drive(io, auth_warmup, auth_one);
  auth_warmup.print_errors("directory auth warm-up");
  for (int workers : {1, 4}) {
    Load load{.workers = workers, .duration = seconds(args.auth_seconds)};
    drive(io, load, auth_one);
    std::printf("directory auth (%s) %d in flight: %.1f auths/s, p50 %s, p99 %s (%ld in %.2f s, %ld errors)\n", params,
                workers, static_cast<double>(load.completed) / load.seconds, human(load.at(0.50)).c_str(),
                human(load.at(0.99)).c_str(), load.completed + load.failed, load.seconds, load.failed);
    load.print_errors("directory auth");
    std::fflush(stdout);
  }
  std::printf("directory: no Debian peer for these measurements (no packaged server answers the same ipc requests), "
              "so no ratio\n");
  // The same data after a restart: what the import itself left behind.
  const Clock::time_point restart_start = Clock::now();
  const Ran restarted = server.ctl({"restart", "directory"});
  if (restarted.status == 0) {
    const double restart_seconds = seconds_since(restart_start);
    const Ran after = server.ctl({"--json", "status"});
    const long pid = static_cast<long>(status_field(after.out, "directory", "pid"));
    std::printf("directory RSS after a restart: %s (anonymous %s); the restart took %.1f s\n",
                mib(status_field(after.out, "directory", "rss_bytes")).c_str(), mib(proc_kib_field(pid, "RssAnon")).c_str(),
                restart_seconds);
  } else {
    std::printf("directory restart failed (parleyctl exit %d): %s\n", restarted.status, restarted.err.c_str());
  }
  std::printf("directory_bench: load average %s at the end\n", load_average().c_str());
  if (client.resent() != 0) std::printf("directory ipc resent: %llu\n", static_cast<unsigned long long>(client.resent()));
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  if (!parse_args(argc, argv, args)) {
    std::fprintf(stderr,
                 "usage: directory_bench [--accounts N] [--resolve-requests N] [--resolve-seconds S] "
                 "[--auth-seconds S] [--keep]\n");
    return 2;
  }
  ::signal(SIGPIPE, SIG_IGN);
  // parleyd must not report to a service manager of ours.
  ::unsetenv("NOTIFY_SOCKET");
  ::unsetenv("JOURNAL_STREAM");

  Server server;
  std::error_code ec;
  server.bin = fs::read_symlink("/proc/self/exe", ec).parent_path().string();
  if (ec) {
    std::fprintf(stderr, "directory_bench: /proc/self/exe: %s\n", ec.message().c_str());
    return 1;
  }
  for (const char* program : {"parleyd", "parleyctl", "directory"}) {
    if (::access((server.bin + "/" + program).c_str(), X_OK) != 0) {
      std::fprintf(stderr, "directory_bench: %s/%s is missing: build it too\n", server.bin.c_str(), program);
      return 1;
    }
  }
  server.dir = (fs::temp_directory_path() / "parley-directory-bench-XXXXXX").string();
  if (::mkdtemp(server.dir.data()) == nullptr) {
    std::perror("directory_bench: mkdtemp");
    return 1;
  }
  // The directory runs as its own user and must reach its directories inside.
  ::chmod(server.dir.c_str(), 0755);
  server.conf = server.dir + "/parley.conf";
  {
    std::ofstream conf(server.conf);
    conf << "[server]\n"
         << "data_dir = \"" << server.dir << "/data\"\n"
         << "runtime_dir = \"" << server.dir << "/run\"\n"
         << "log_dir = \"" << server.dir << "/log\"\n"
         << "log_target = \"file\"\n"
         << "log_level = \"warn\"\n"
         << "\n[directory]\n"
         << "first_run_domain = \"" << kDomain << "\"\n"
         << "first_run_accounts = []\n"
         // The auth phase logs the same four accounts in again and again: with
         // the credentials cache on, it would time HMACs, not argon2id.
         << "auth_cache_ttl_s = 0\n"
         << "\n[process.directory]\n"
         << "binary = \"" << server.bin << "/directory\"\n";
  }

  const bool ok = bench(server, args);
  const Clock::time_point stop_start = Clock::now();
  const int stopped = server.stop();
  if (stopped != 0 && stopped != -1) std::printf("directory_bench: parleyd exited %d\n", stopped);
  std::printf("parleyd stopped in %.1f s\n", seconds_since(stop_start));
  if (!ok) {
    const std::string log = server.dir + "/log/directory/directory.log";
    std::fprintf(stderr, "directory_bench: failed; parleyd output:\n%s\n(logs in %s)\n", server.output().c_str(), log.c_str());
  }
  if (args.keep || !ok) {
    std::printf("kept %s\n", server.dir.c_str());
  } else {
    fs::remove_all(server.dir, ec);
  }
  return ok ? 0 : 1;
}
