// A thin RAII layer over LMDB for the processes that keep state in it
// (directory, queue, mail store). Values are bytes (serialized records from
// schema/); keys are bytes compared by LMDB's default order.
//
// One Env per data directory, opened by its owning process only. Write
// transactions commit durably (LMDB syncs on commit unless told not to),
// so a commit is the moment a record is "durable" in the hand-off rule.
// Read transactions see a snapshot and never block writers.
//
// Errors are values: Errc::not_found for a missing key, Errc::io for LMDB
// failures (with mdb_strerror in the detail), Errc::limit when the map is
// full (raise the map size).
#pragma once

#include <lmdb.h>

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"

namespace parley::lmdb {

struct EnvOptions {
  std::size_t map_size = std::size_t{1} << 34;  // 16 GiB of address space; the file grows as used
  unsigned max_dbs = 16;
  unsigned max_readers = 126;
  // The data and lock files' mode: 0600 for a process's own environment,
  // 0660 for one shared by the processes of one group (the mail store).
  unsigned file_mode = 0600;
  // true: every commit reaches the disk before it returns. false
  // (MDB_NOSYNC): a commit is in the page cache when it returns, so a
  // crash of the process loses nothing but a crash of the machine may
  // lose what sync() did not yet write; for state that is rebuilt anyway
  // (registrations).
  bool sync_commits = true;
};

class Txn;

class Env {
 public:
  // Opens (creating if needed) the environment in directory `dir`.
  static Result<Env> open(const std::string& dir, const EnvOptions& options = {});
  Env(Env&& o) noexcept;
  Env& operator=(Env&& o) noexcept;
  Env(const Env&) = delete;
  ~Env();

  // Opens (creating) a named database; call once at start-up.
  Result<MDB_dbi> dbi(std::string_view name);

  Result<Txn> read() const;
  Result<Txn> write();
  // Writes committed data to the disk (for sync_commits = false).
  Status sync();

  // A consistent copy into `dir` (which must exist and be empty), while
  // others keep reading and writing: LMDB's copy API, compacting.
  Status copy_to(const std::string& dir) const;

  MDB_env* raw() const { return env_; }

 private:
  explicit Env(MDB_env* env) : env_(env) {}
  MDB_env* env_ = nullptr;
};

class Txn {
 public:
  Txn(Txn&& o) noexcept;
  Txn& operator=(Txn&& o) noexcept;
  Txn(const Txn&) = delete;
  ~Txn();  // aborts unless committed

  // The value for `key`, valid until the transaction ends.
  Result<std::string_view> get(MDB_dbi dbi, std::string_view key) const;
  bool contains(MDB_dbi dbi, std::string_view key) const;
  Status put(MDB_dbi dbi, std::string_view key, std::string_view value);
  // Errc::exists when the key is there already.
  Status insert(MDB_dbi dbi, std::string_view key, std::string_view value);
  // Errc::not_found when the key is not there.
  Status del(MDB_dbi dbi, std::string_view key);
  Result<std::size_t> count(MDB_dbi dbi) const;

  // Calls f(key, value) for each entry whose key starts with `prefix`, in
  // key order, from `start` (or the prefix) on; f returns false to stop.
  Status scan(MDB_dbi dbi, std::string_view prefix,
              const std::function<bool(std::string_view key, std::string_view value)>& f,
              std::string_view start = {}) const;

  Status commit();

 private:
  friend class Env;
  explicit Txn(MDB_txn* txn) : txn_(txn) {}
  MDB_txn* txn_ = nullptr;
};

}  // namespace parley::lmdb
