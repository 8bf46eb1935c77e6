// Body files: written once under a random id, never modified.
#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/fd.h"
#include "store/internal.h"

namespace parley::store {
namespace {

Error sys_error(std::string_view what, const std::string& path) {
  return fail(Errc::io, std::string(what) + " " + path + ": " + std::strerror(errno));
}

// 128 random bits: unique without coordination between the two writers.
Result<std::string> new_body_id() {
  unsigned char raw[16];
  std::size_t done = 0;
  while (done < sizeof raw) {
    ssize_t got = ::getrandom(raw + done, sizeof raw - done, 0);
    if (got < 0) {
      if (errno == EINTR) continue;
      return fail(Errc::io, std::string("getrandom: ") + std::strerror(errno));
    }
    done += static_cast<std::size_t>(got);
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id;
  id.reserve(32);
  for (unsigned char b : raw) {
    id.push_back(kHex[b >> 4]);
    id.push_back(kHex[b & 0xf]);
  }
  return id;
}

Status fsync_dir(const std::string& dir) {
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) return sys_error("open", dir);
  if (::fsync(fd.get()) != 0) return sys_error("fsync", dir);
  return {};
}

// Creates `dir` with exactly `mode`; true if it did, false if it was there.
Result<bool> make_dir(const std::string& dir, unsigned mode) {
  if (::mkdir(dir.c_str(), static_cast<mode_t>(mode & 07777)) != 0) {
    if (errno == EEXIST) return false;
    return sys_error("mkdir", dir);
  }
  // mkdir masks the mode with the umask and may drop setgid: set it whole.
  if (::chmod(dir.c_str(), static_cast<mode_t>(mode & 07777)) != 0) return sys_error("chmod", dir);
  return true;
}

}  // namespace

Status make_dirs(const std::string& path, unsigned mode) {
  for (std::size_t pos = 1; pos <= path.size(); ++pos) {
    if (pos != path.size() && path[pos] != '/') continue;
    std::string prefix = path.substr(0, pos);
    if (prefix.empty() || prefix.back() == '/') continue;
    auto made = make_dir(prefix, mode);
    if (!made) return made.error();
  }
  return {};
}

std::string BodyFiles::path(std::string_view id) const {
  std::string p = dir;
  p += '/';
  p.append(id.substr(0, 2));
  p += '/';
  p.append(id);
  return p;
}

Result<std::string> BodyFiles::write(std::string_view bytes) const {
  auto id = new_body_id();
  if (!id) return id;
  const std::string shard = dir + "/" + id->substr(0, 2);
  auto made = make_dir(shard, dir_mode);
  if (!made) return made.error();
  // A new shard's own entry must be durable too.
  if (*made && durable) {
    if (auto s = fsync_dir(dir); !s) return s.error();
  }
  const std::string tmp = shard + "/.tmp." + *id;
  const std::string final_path = shard + "/" + *id;
  UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, static_cast<mode_t>(file_mode & 0777)));
  if (!fd.valid()) return sys_error("create", tmp);
  auto failed = [&](std::string_view what) {
    Error e = sys_error(what, tmp);
    ::unlink(tmp.c_str());
    return e;
  };
  if (::fchmod(fd.get(), static_cast<mode_t>(file_mode & 0777)) != 0) return failed("fchmod");
  std::size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd.get(), bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return failed("write");
    }
    done += static_cast<std::size_t>(n);
  }
  if (durable && ::fsync(fd.get()) != 0) return failed("fsync");
  if (::close(fd.release()) != 0) return failed("close");
  if (::rename(tmp.c_str(), final_path.c_str()) != 0) return failed("rename");
  if (durable) {
    if (auto s = fsync_dir(shard); !s) {
      ::unlink(final_path.c_str());
      return s.error();
    }
  }
  return id;
}

Result<std::string> BodyFiles::read(std::string_view id) const {
  if (!valid_body_id(id)) return fail(Errc::invalid, "body id");
  const std::string p = path(id);
  UniqueFd fd(::open(p.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) {
    if (errno == ENOENT) return fail(Errc::not_found, "body " + std::string(id));
    return sys_error("open", p);
  }
  struct stat st{};
  if (::fstat(fd.get(), &st) != 0) return sys_error("fstat", p);
  std::string out(static_cast<std::size_t>(st.st_size), '\0');
  std::size_t done = 0;
  while (done < out.size()) {
    ssize_t n = ::read(fd.get(), out.data() + done, out.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return sys_error("read", p);
    }
    if (n == 0) break;  // immutable files do not shrink; be safe anyway
    done += static_cast<std::size_t>(n);
  }
  out.resize(done);
  return out;
}

void BodyFiles::remove(std::string_view id) const {
  if (valid_body_id(id)) ::unlink(path(id).c_str());
}

}  // namespace parley::store
