// ipc.restart: with the server process killed (SIGKILL) and restarted
// mid-stream, twice, 10,000 requests from one Client, 64 in flight, all
// complete, and each request id is applied exactly once.
//
// How exactly-once is checked: ipc_counter_server increments one counter
// per new request id and replies with the counter's new value. If every
// id were applied once, the replies are exactly 1..10000 (a double apply
// would skip a value, a lost one would leave a call failed), and the
// store holds 10,000 ids, all of this client, seq 1..10000, and count 10000.
#include <gtest/gtest.h>
#include <lmdb.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "core/asio.h"
#include "ipc/ipc.h"
#include "tests/ipc/counter_store.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace parley::ipc {
namespace {

using namespace std::chrono_literals;

constexpr int kRequests = 10000;
constexpr int kInFlight = 64;
constexpr int kKillAfter[] = {3000, 7000};  // replies seen before each kill

TEST(IpcRestart, TenThousandRequestsExactlyOnceAcrossKills) {
  testkit::TempDir dir("parley-ipc-restart");
  const std::string endpoint = "ipc://" + dir.file("counter.sock");
  const std::string db = dir.file("db");
  ASSERT_EQ(::mkdir(db.c_str(), 0700), 0);
  auto start_server = [&] { return testkit::Process::spawn({IPC_COUNTER_SERVER, endpoint, db}); };
  testkit::Process server = start_server();

  asio::io_context io;
  ClientOptions options;
  options.resend_after = 250ms;
  options.default_timeout = 30s;  // generous: the server restarts twice
  Client client(io, endpoint, options);

  std::vector<std::optional<Result<std::string>>> results(kRequests);
  int next = 0;
  int done = 0;
  int kills = 0;
  std::vector<int> replies_at_kill;
  const std::string counter = "k";
  auto worker = [&]() -> awaitable<void> {
    while (next < kRequests) {
      const int n = next++;
      results[n] = co_await client.call(test::kCounterApply, counter);
      ++done;
      if (kills < 2 && done >= kKillAfter[kills]) {
        replies_at_kill.push_back(done);
        ++kills;
        server.kill();
        server = start_server();
      }
    }
  };
  const auto begin = std::chrono::steady_clock::now();
  for (int i = 0; i < kInFlight; ++i) asio::co_spawn(io, worker(), asio::detached);
  // The Client's socket always has a wait pending, so the loop never runs
  // dry: run until every call has completed.
  while (done < kRequests && io.run_one() > 0) {
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
  std::printf("ipc.restart: %d requests in %.1f s, %d kills (after %d and %d replies), %llu resent\n", kRequests,
              seconds, kills, replies_at_kill.size() > 0 ? replies_at_kill[0] : 0,
              replies_at_kill.size() > 1 ? replies_at_kill[1] : 0,
              static_cast<unsigned long long>(client.resent()));
  ASSERT_EQ(done, kRequests);
  EXPECT_EQ(kills, 2);

  std::vector<long> values;
  int failed = 0;
  for (const auto& result : results) {
    ASSERT_TRUE(result.has_value());
    if (!result->ok()) {
      if (++failed <= 5) ADD_FAILURE() << "call failed: " << errc_name(result->code()) << " " << result->error().detail;
      continue;
    }
    values.push_back(std::stol(result->value()));
  }
  ASSERT_EQ(failed, 0);
  std::sort(values.begin(), values.end());
  for (int i = 0; i < kRequests; ++i) {
    ASSERT_EQ(values[i], i + 1) << "counter values must be exactly 1.." << kRequests;
  }

  ASSERT_EQ(server.terminate(), 0);

  // The store, read after the server is gone.
  MDB_env* env = nullptr;
  ASSERT_EQ(mdb_env_create(&env), 0);
  ASSERT_EQ(mdb_env_set_maxdbs(env, 2), 0);
  ASSERT_EQ(mdb_env_set_mapsize(env, test::kMapSize), 0);
  ASSERT_EQ(mdb_env_open(env, db.c_str(), MDB_RDONLY, 0600), 0);
  MDB_txn* txn = nullptr;
  ASSERT_EQ(mdb_txn_begin(env, nullptr, MDB_RDONLY, &txn), 0);
  MDB_dbi applied = 0;
  MDB_dbi counters = 0;
  ASSERT_EQ(mdb_dbi_open(txn, test::kAppliedDb, 0, &applied), 0);
  ASSERT_EQ(mdb_dbi_open(txn, test::kCountersDb, 0, &counters), 0);

  MDB_cursor* cursor = nullptr;
  ASSERT_EQ(mdb_cursor_open(txn, applied, &cursor), 0);
  std::vector<bool> seen(kRequests + 1, false);
  int ids = 0;
  MDB_val key{};
  MDB_val value{};
  for (int rc = mdb_cursor_get(cursor, &key, &value, MDB_FIRST); rc == 0;
       rc = mdb_cursor_get(cursor, &key, &value, MDB_NEXT)) {
    ++ids;
    ASSERT_EQ(key.mv_size, 16u);
    std::uint64_t client_id = 0;
    std::uint64_t seq = 0;
    test::split_request_key(std::string(static_cast<const char*>(key.mv_data), key.mv_size), client_id, seq);
    EXPECT_EQ(client_id, client.id());
    ASSERT_GE(seq, 1u);
    ASSERT_LE(seq, static_cast<std::uint64_t>(kRequests));
    EXPECT_FALSE(seen[seq]) << "id applied twice: seq " << seq;
    seen[seq] = true;
  }
  mdb_cursor_close(cursor);
  EXPECT_EQ(ids, kRequests);

  std::string name = "k";
  MDB_val name_val{name.size(), name.data()};
  ASSERT_EQ(mdb_get(txn, counters, &name_val, &value), 0);
  ASSERT_EQ(value.mv_size, sizeof(std::uint64_t));
  std::uint64_t count = 0;
  std::memcpy(&count, value.mv_data, sizeof count);
  EXPECT_EQ(count, static_cast<std::uint64_t>(kRequests));
  mdb_txn_abort(txn);
  mdb_env_close(env);
}

}  // namespace
}  // namespace parley::ipc
