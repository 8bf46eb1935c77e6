// ipc_counter_server: the test server of ipc.restart. Not a Parley process.
//   ipc_counter_server <endpoint> <lmdb directory>
// Serves kCounterApply (counter_store.h). Exactly once per request
// id across crashes: one LMDB write transaction looks the id up, and if it
// is new records it with its reply and increments the counter; the reply is
// sent only after the commit (default LMDB sync: durable). A repeated id,
// even after a restart, gets the stored reply and changes nothing.
// Untrusted input: requests on the endpoint (the test). Privileges: none.
#include <lmdb.h>

#include <csignal>
#include <cstdio>
#include <cstring>
#include <string>

#include "core/asio.h"
#include "ipc/ipc.h"
#include "tests/ipc/counter_store.h"

namespace {

using parley::Errc;
using parley::Result;
using parley::fail;
namespace ipc = parley::ipc;
namespace test = parley::ipc::test;

constexpr std::size_t kMaxKey = 511;  // LMDB's default maximum key size

struct Store {
  MDB_env* env = nullptr;
  MDB_dbi applied = 0;
  MDB_dbi counters = 0;
};

Result<std::string> apply(Store& store, const ipc::RequestInfo& info, const std::string& name) {
  if (name.empty() || name.size() > kMaxKey) return fail(Errc::invalid, "counter name length");
  MDB_txn* txn = nullptr;
  if (int rc = mdb_txn_begin(store.env, nullptr, 0, &txn); rc != 0) return fail(Errc::io, mdb_strerror(rc));
  std::string id = test::request_key(info.client_id, info.seq);
  MDB_val id_val{id.size(), id.data()};
  MDB_val value{};
  int rc = mdb_get(txn, store.applied, &id_val, &value);
  if (rc == 0) {
    std::string reply(static_cast<const char*>(value.mv_data), value.mv_size);
    mdb_txn_abort(txn);
    return reply;
  }
  if (rc != MDB_NOTFOUND) {
    mdb_txn_abort(txn);
    return fail(Errc::io, mdb_strerror(rc));
  }
  std::uint64_t count = 0;
  MDB_val name_val{name.size(), const_cast<char*>(name.data())};
  rc = mdb_get(txn, store.counters, &name_val, &value);
  if (rc == 0 && value.mv_size == sizeof count) std::memcpy(&count, value.mv_data, sizeof count);
  ++count;
  std::string reply = std::to_string(count);
  MDB_val count_val{sizeof count, &count};
  MDB_val reply_val{reply.size(), reply.data()};
  if ((rc = mdb_put(txn, store.counters, &name_val, &count_val, 0)) != 0 ||
      (rc = mdb_put(txn, store.applied, &id_val, &reply_val, 0)) != 0) {
    mdb_txn_abort(txn);
    return fail(Errc::io, mdb_strerror(rc));
  }
  if ((rc = mdb_txn_commit(txn)) != 0) return fail(Errc::io, mdb_strerror(rc));
  return reply;
}

int open_store(Store& store, const char* dir) {
  MDB_txn* txn = nullptr;
  int rc = mdb_env_create(&store.env);
  if (rc == 0) rc = mdb_env_set_maxdbs(store.env, 2);
  if (rc == 0) rc = mdb_env_set_mapsize(store.env, test::kMapSize);
  if (rc == 0) rc = mdb_env_open(store.env, dir, 0, 0600);
  if (rc == 0) rc = mdb_txn_begin(store.env, nullptr, 0, &txn);
  if (rc == 0) rc = mdb_dbi_open(txn, test::kAppliedDb, MDB_CREATE, &store.applied);
  if (rc == 0) rc = mdb_dbi_open(txn, test::kCountersDb, MDB_CREATE, &store.counters);
  if (rc == 0) {
    rc = mdb_txn_commit(txn);
  } else if (txn != nullptr) {
    mdb_txn_abort(txn);
  }
  return rc;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s <endpoint> <lmdb directory>\n", argv[0]);
    return 2;
  }
  Store store;
  if (int rc = open_store(store, argv[2]); rc != 0) {
    std::fprintf(stderr, "ipc_counter_server: lmdb %s: %s\n", argv[2], mdb_strerror(rc));
    return 1;
  }
  parley::asio::io_context io;
  ipc::Server server(io, argv[1]);
  server.handle(ipc::test::kCounterApply,
                [&store](const ipc::RequestInfo& info, std::string name) -> parley::awaitable<Result<std::string>> {
                  co_return apply(store, info, name);
                });
  if (auto started = server.start(); !started) {
    std::fprintf(stderr, "ipc_counter_server: %s\n", started.error().detail.c_str());
    return 1;
  }
  parley::asio::signal_set signals(io, SIGTERM, SIGINT);
  signals.async_wait([&](const boost::system::error_code&, int) {
    server.stop();
    io.stop();
  });
  io.run();
  mdb_env_close(store.env);
  return 0;
}
