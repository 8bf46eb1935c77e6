#include "lmdb/lmdb.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace parley::lmdb {
namespace {

Error lmdb_error(std::string_view what, int rc) {
  if (rc == MDB_MAP_FULL) return fail(Errc::limit, std::string(what) + ": database full (raise the map size)");
  return fail(Errc::io, std::string(what) + ": " + mdb_strerror(rc));
}

MDB_val val(std::string_view s) { return MDB_val{s.size(), const_cast<char*>(s.data())}; }
std::string_view view(const MDB_val& v) { return {static_cast<const char*>(v.mv_data), v.mv_size}; }

}  // namespace

Result<Env> Env::open(const std::string& dir, const EnvOptions& options) {
  // The directory: the files' mode with search permission where they are readable.
  const mode_t dir_mode = options.file_mode | ((options.file_mode & 0444) >> 2);
  if (::mkdir(dir.c_str(), dir_mode) != 0 && errno != EEXIST) {
    return fail(Errc::io, "mkdir " + dir + ": " + std::strerror(errno));
  }
  MDB_env* env = nullptr;
  if (int rc = mdb_env_create(&env); rc != 0) return lmdb_error("mdb_env_create", rc);
  Env owned(env);
  if (int rc = mdb_env_set_mapsize(env, options.map_size); rc != 0) return lmdb_error("mdb_env_set_mapsize", rc);
  if (int rc = mdb_env_set_maxdbs(env, options.max_dbs); rc != 0) return lmdb_error("mdb_env_set_maxdbs", rc);
  if (int rc = mdb_env_set_maxreaders(env, options.max_readers); rc != 0) return lmdb_error("mdb_env_set_maxreaders", rc);
  // MDB_NOTLS: read transactions are not tied to threads (coroutines move).
  const unsigned flags = MDB_NOTLS | (options.sync_commits ? 0u : static_cast<unsigned>(MDB_NOSYNC));
  if (int rc = mdb_env_open(env, dir.c_str(), flags, options.file_mode); rc != 0) return lmdb_error("open " + dir, rc);
  // The process umask (027) takes group write off a shared environment's
  // files; their creator puts it back. Others opening it later cannot, and
  // need not.
  if (options.file_mode & 0020) {
    for (const char* file : {"/data.mdb", "/lock.mdb"}) {
      struct stat st{};
      std::string path = dir + file;
      if (::stat(path.c_str(), &st) == 0 && st.st_uid == ::geteuid()) ::chmod(path.c_str(), options.file_mode);
    }
    struct stat st{};
    if (::stat(dir.c_str(), &st) == 0 && st.st_uid == ::geteuid()) ::chmod(dir.c_str(), dir_mode);
  }
  return owned;
}

Status Env::sync() {
  if (int rc = mdb_env_sync(env_, 1); rc != 0) return lmdb_error("mdb_env_sync", rc);
  return {};
}

Env::Env(Env&& o) noexcept : env_(std::exchange(o.env_, nullptr)) {}
Env& Env::operator=(Env&& o) noexcept {
  if (this != &o) {
    if (env_) mdb_env_close(env_);
    env_ = std::exchange(o.env_, nullptr);
  }
  return *this;
}
Env::~Env() {
  if (env_) mdb_env_close(env_);
}

Result<MDB_dbi> Env::dbi(std::string_view name) {
  MDB_txn* txn = nullptr;
  if (int rc = mdb_txn_begin(env_, nullptr, 0, &txn); rc != 0) return lmdb_error("mdb_txn_begin", rc);
  MDB_dbi dbi = 0;
  std::string n(name);
  if (int rc = mdb_dbi_open(txn, n.c_str(), MDB_CREATE, &dbi); rc != 0) {
    mdb_txn_abort(txn);
    return lmdb_error("mdb_dbi_open " + n, rc);
  }
  if (int rc = mdb_txn_commit(txn); rc != 0) return lmdb_error("mdb_txn_commit", rc);
  return dbi;
}

Result<Txn> Env::read() const {
  MDB_txn* txn = nullptr;
  if (int rc = mdb_txn_begin(env_, nullptr, MDB_RDONLY, &txn); rc != 0) return lmdb_error("mdb_txn_begin", rc);
  return Txn(txn);
}

Result<Txn> Env::write() {
  MDB_txn* txn = nullptr;
  if (int rc = mdb_txn_begin(env_, nullptr, 0, &txn); rc != 0) return lmdb_error("mdb_txn_begin", rc);
  return Txn(txn);
}

Status Env::copy_to(const std::string& dir) const {
  if (int rc = mdb_env_copy2(env_, dir.c_str(), MDB_CP_COMPACT); rc != 0) return lmdb_error("copy to " + dir, rc);
  return {};
}

Txn::Txn(Txn&& o) noexcept : txn_(std::exchange(o.txn_, nullptr)) {}
Txn& Txn::operator=(Txn&& o) noexcept {
  if (this != &o) {
    if (txn_) mdb_txn_abort(txn_);
    txn_ = std::exchange(o.txn_, nullptr);
  }
  return *this;
}
Txn::~Txn() {
  if (txn_) mdb_txn_abort(txn_);
}

Result<std::string_view> Txn::get(MDB_dbi dbi, std::string_view key) const {
  MDB_val k = val(key), v{};
  int rc = mdb_get(txn_, dbi, &k, &v);
  if (rc == MDB_NOTFOUND) return fail(Errc::not_found);
  if (rc != 0) return lmdb_error("mdb_get", rc);
  return view(v);
}

bool Txn::contains(MDB_dbi dbi, std::string_view key) const { return get(dbi, key).ok(); }

Status Txn::put(MDB_dbi dbi, std::string_view key, std::string_view value) {
  MDB_val k = val(key), v = val(value);
  if (int rc = mdb_put(txn_, dbi, &k, &v, 0); rc != 0) return lmdb_error("mdb_put", rc);
  return {};
}

Status Txn::insert(MDB_dbi dbi, std::string_view key, std::string_view value) {
  MDB_val k = val(key), v = val(value);
  int rc = mdb_put(txn_, dbi, &k, &v, MDB_NOOVERWRITE);
  if (rc == MDB_KEYEXIST) return fail(Errc::exists);
  if (rc != 0) return lmdb_error("mdb_put", rc);
  return {};
}

Status Txn::del(MDB_dbi dbi, std::string_view key) {
  MDB_val k = val(key);
  int rc = mdb_del(txn_, dbi, &k, nullptr);
  if (rc == MDB_NOTFOUND) return fail(Errc::not_found);
  if (rc != 0) return lmdb_error("mdb_del", rc);
  return {};
}

Result<std::size_t> Txn::count(MDB_dbi dbi) const {
  MDB_stat st{};
  if (int rc = mdb_stat(txn_, dbi, &st); rc != 0) return lmdb_error("mdb_stat", rc);
  return st.ms_entries;
}

Status Txn::scan(MDB_dbi dbi, std::string_view prefix,
                 const std::function<bool(std::string_view, std::string_view)>& f, std::string_view start) const {
  MDB_cursor* cursor = nullptr;
  if (int rc = mdb_cursor_open(txn_, dbi, &cursor); rc != 0) return lmdb_error("mdb_cursor_open", rc);
  std::string_view from = start.empty() ? prefix : start;
  MDB_val k = val(from), v{};
  int rc = from.empty() ? mdb_cursor_get(cursor, &k, &v, MDB_FIRST) : mdb_cursor_get(cursor, &k, &v, MDB_SET_RANGE);
  while (rc == 0) {
    std::string_view key = view(k);
    if (!key.starts_with(prefix) || !f(key, view(v))) break;
    rc = mdb_cursor_get(cursor, &k, &v, MDB_NEXT);
  }
  mdb_cursor_close(cursor);
  if (rc != 0 && rc != MDB_NOTFOUND) return lmdb_error("mdb_cursor_get", rc);
  return {};
}

Status Txn::commit() {
  int rc = mdb_txn_commit(std::exchange(txn_, nullptr));
  if (rc != 0) return lmdb_error("mdb_txn_commit", rc);
  return {};
}

}  // namespace parley::lmdb
