#include "queue/queue.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>

#include "core/fd.h"

namespace parley::queue {
namespace {

constexpr mode_t kFileMode = 0660;  // group parley-queue: router and dequeuer
constexpr mode_t kDirMode = 02770;

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

Error os_error(const std::string& what) { return fail(Errc::io, what + ": " + std::strerror(errno)); }

// The umask (027) would take the group's write permission away; the group
// is the point (router and dequeuer both write here).
Status make_dir(const std::string& path) {
  if (::mkdir(path.c_str(), kDirMode) == 0) {
    if (::chmod(path.c_str(), kDirMode) != 0) return os_error("chmod " + path);
  } else if (errno != EEXIST) {
    return os_error("mkdir " + path);
  }
  return {};
}

Status sync_dir(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) return os_error("open " + path);
  if (::fsync(fd.get()) != 0) return os_error("fsync " + path);
  return {};
}

Status write_all(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return os_error("write " + path);
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

}  // namespace

Result<std::unique_ptr<Queue>> Queue::open(const std::string& dir, Options options) {
  if (auto s = make_dir(dir + "/spool"); !s) return s.error();
  lmdb::EnvOptions env_options;
  env_options.file_mode = kFileMode;
  auto env = lmdb::Env::open(dir + "/index", env_options);
  if (!env) return env.error();
  if (!options.durable) {
    if (int rc = mdb_env_set_flags(env->raw(), MDB_NOSYNC, 1); rc != 0) return fail(Errc::io, std::string("mdb_env_set_flags: ") + mdb_strerror(rc));
  }
  std::unique_ptr<Queue> q(new Queue(dir, std::move(env.value()), options));
  auto entries = q->env_.dbi("entries");
  if (!entries) return entries.error();
  auto seen = q->env_.dbi("seen");
  if (!seen) return seen.error();
  q->entries_ = *entries;
  q->seen_ = *seen;
  return q;
}

std::string Queue::body_path(std::string_view id) const {
  std::string shard(id.size() >= 2 ? id.substr(id.size() - 2) : "00");
  return dir_ + "/spool/" + shard + "/" + std::string(id);
}

Status Queue::write_body(std::string_view id, std::string_view body, std::vector<std::string>& dirs) {
  std::string path = body_path(id);
  std::string dir = path.substr(0, path.rfind('/'));
  if (auto s = make_dir(dir); !s) return s;
  std::string tmp = path + ".tmp";
  UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, kFileMode));
  if (!fd.valid()) return os_error("create " + tmp);
  if (auto s = write_all(fd.get(), body, tmp); !s) return s;
  if (options_.durable && ::fdatasync(fd.get()) != 0) return os_error("fdatasync " + tmp);
  fd.reset();
  if (::rename(tmp.c_str(), path.c_str()) != 0) return os_error("rename " + tmp);
  if (std::find(dirs.begin(), dirs.end(), dir) == dirs.end()) dirs.push_back(dir);
  return {};
}

Status Queue::add(std::vector<NewMessage>& batch) {
  std::vector<Change> changes(batch.size());
  for (std::size_t i = 0; i < batch.size(); ++i) changes[i].message = batch[i];
  return first_failure(changes);
}

Status Queue::first_failure(std::vector<Change>& changes) {
  apply(changes);
  for (auto& c : changes) {
    if (!c.result) return c.result;
  }
  return {};
}

void Queue::apply(std::vector<Change>& changes) {
  auto fail_all = [&changes](const Error& e) {
    for (auto& c : changes) c.result = e;
  };
  std::vector<std::string> dirs;
  for (auto& c : changes) {
    if (c.kind != Change::Kind::add) continue;
    if (auto s = write_body(c.message.entry.envelope().message_id(), c.message.body, dirs); !s) return fail_all(s.error());
  }
  if (options_.durable) {
    for (const auto& d : dirs) {
      if (auto s = sync_dir(d); !s) return fail_all(s.error());
    }
  }
  auto txn = env_.write();
  if (!txn) return fail_all(txn.error());
  std::string stamp = std::to_string(now_ms());
  for (auto& c : changes) {
    const std::string& id = c.message.entry.envelope().message_id();
    switch (c.kind) {
      case Change::Kind::add:
        if (auto s = txn->put(entries_, id, c.message.entry.SerializeAsString()); !s) return fail_all(s.error());
        if (auto s = txn->put(seen_, id, stamp); !s) return fail_all(s.error());
        break;
      case Change::Kind::update:
        if (!txn->contains(entries_, id)) {
          c.result = fail(Errc::not_found, "queue entry " + id);
        } else if (auto s = txn->put(entries_, id, c.message.entry.SerializeAsString()); !s) {
          return fail_all(s.error());
        }
        break;
      case Change::Kind::remove:
        if (auto s = txn->del(entries_, id); !s) c.result = s;
        break;
    }
  }
  if (auto s = txn->commit(); !s) return fail_all(s.error());
  for (auto& c : changes) {
    if (c.kind != Change::Kind::remove || !c.result) continue;
    std::string path = body_path(c.message.entry.envelope().message_id());
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) c.result = os_error("unlink " + path);
  }
}

bool Queue::seen(std::string_view id) const {
  auto txn = env_.read();
  return txn && txn->contains(seen_, id);
}

Result<schema::QueueEntry> Queue::get(std::string_view id) const {
  auto txn = env_.read();
  if (!txn) return txn.error();
  auto raw = txn->get(entries_, id);
  if (!raw) return raw.error();
  schema::QueueEntry entry;
  if (!entry.ParseFromArray(raw->data(), static_cast<int>(raw->size()))) return fail(Errc::internal, "unparsable queue entry " + std::string(id));
  return entry;
}

Status Queue::update(const schema::QueueEntry& entry) {
  std::vector<Change> changes(1);
  changes[0].kind = Change::Kind::update;
  changes[0].message.entry = entry;
  return first_failure(changes);
}

Status Queue::remove(std::string_view id) {
  std::vector<Change> changes(1);
  changes[0].kind = Change::Kind::remove;
  changes[0].message.entry.mutable_envelope()->set_message_id(std::string(id));
  return first_failure(changes);
}

Result<std::string> Queue::body(std::string_view id) const {
  std::string path = body_path(id);
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return errno == ENOENT ? fail(Errc::not_found, "body " + path) : os_error("open " + path);
  struct stat st{};
  if (::fstat(fd.get(), &st) != 0) return os_error("fstat " + path);
  std::string out(static_cast<std::size_t>(st.st_size), '\0');
  std::size_t got = 0;
  while (got < out.size()) {
    ssize_t n = ::read(fd.get(), out.data() + got, out.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return os_error("read " + path);
    got += static_cast<std::size_t>(n);
  }
  return out;
}

Status Queue::scan(const std::function<bool(const schema::QueueEntry&)>& f) const {
  auto txn = env_.read();
  if (!txn) return txn.error();
  return txn->scan(entries_, "", [&f](std::string_view, std::string_view value) {
    schema::QueueEntry entry;
    if (!entry.ParseFromArray(value.data(), static_cast<int>(value.size()))) return true;  // skipped; get() reports it
    return f(entry);
  });
}

Result<std::size_t> Queue::prune_seen(std::chrono::milliseconds age) {
  std::vector<std::string> old;
  const std::int64_t cutoff = now_ms() - age.count();
  {
    auto txn = env_.read();
    if (!txn) return txn.error();
    auto s = txn->scan(seen_, "", [&](std::string_view key, std::string_view value) {
      if (std::atoll(std::string(value).c_str()) < cutoff) old.emplace_back(key);
      return true;
    });
    if (!s) return s.error();
  }
  if (old.empty()) return std::size_t{0};
  auto txn = env_.write();
  if (!txn) return txn.error();
  for (const auto& k : old) (void)txn->del(seen_, k);
  if (auto s = txn->commit(); !s) return s.error();
  return old.size();
}

std::size_t Queue::sweep_orphans(std::chrono::seconds age) {
  std::size_t removed = 0;
  const auto cutoff = std::chrono::system_clock::now() - age;
  std::string spool = dir_ + "/spool";
  DIR* top = ::opendir(spool.c_str());
  if (top == nullptr) return 0;
  while (dirent* shard = ::readdir(top)) {
    if (shard->d_name[0] == '.') continue;
    std::string sub = spool + "/" + shard->d_name;
    DIR* d = ::opendir(sub.c_str());
    if (d == nullptr) continue;
    while (dirent* f = ::readdir(d)) {
      std::string name = f->d_name;
      if (name[0] == '.') continue;
      std::string id = name.ends_with(".tmp") ? name.substr(0, name.size() - 4) : name;
      std::string path = sub + "/" + name;
      struct stat st{};
      if (::stat(path.c_str(), &st) != 0) continue;
      if (std::chrono::system_clock::from_time_t(st.st_mtime) > cutoff) continue;
      if (!name.ends_with(".tmp") && get(id)) continue;
      if (::unlink(path.c_str()) == 0) ++removed;
    }
    ::closedir(d);
  }
  ::closedir(top);
  return removed;
}

}  // namespace parley::queue
