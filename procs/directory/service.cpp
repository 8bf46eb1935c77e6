#include "service.h"

#include "admin.h"
#include "authenticator.h"
#include "ipc/contracts/directory.h"
#include "ipc/ipc.h"
#include "log/log.h"
#include "store.h"

namespace parley::directory {
namespace {

constexpr int kMaxBatch = 1000;  // addresses in one resolve request

AuthPolicy policy_from(const config::Config& c) {
  AuthPolicy p;
  p.argon2.memory_kib = static_cast<std::uint32_t>(c.integer("directory", "argon2_memory_kib"));
  p.argon2.iterations = static_cast<std::uint32_t>(c.integer("directory", "argon2_iterations"));
  p.argon2.parallelism = static_cast<std::uint32_t>(c.integer("directory", "argon2_parallelism"));
  p.scram_iterations = static_cast<std::uint32_t>(c.integer("directory", "scram_iterations"));
  p.window = std::chrono::seconds(c.integer("directory", "auth_window_s"));
  p.max_failures_per_ip = static_cast<int>(c.integer("directory", "auth_max_failures_per_ip"));
  p.max_failures_per_account = static_cast<int>(c.integer("directory", "auth_max_failures_per_account"));
  p.cache.ttl = std::chrono::seconds(c.integer("directory", "auth_cache_ttl_s"));
  p.cache.max_entries = static_cast<std::size_t>(c.integer("directory", "auth_cache_max_entries"));
  return p;
}

class Directory final : public daemon::Service {
 public:
  Directory(daemon::Context& ctx, std::unique_ptr<Store> store)
      : store_(std::move(store)),
        auth_(ctx.io(), *store_, policy_from(ctx.config())),
        admin_(*store_, auth_, ctx.data_dir() + "/backups"),
        public_(ctx.io(), ctx.endpoint("directory")),
        private_(ctx.io(), ctx.endpoint("admin"), ipc::ServerOptions{.socket_mode = 0600}) {}

  Status start() {
    public_.handle(
        contracts::kDirectoryResolve, [this](const ipc::RequestInfo&, schema::ResolveRequest req) -> awaitable<Result<schema::ResolveReply>> {
          if (req.addresses_size() > kMaxBatch) co_return fail(Errc::limit, "too many addresses in one request");
          schema::ResolveReply reply;
          for (const auto& a : req.addresses()) *reply.add_results() = store_->resolve(a);
          co_return reply;
        });
    public_.handle(
        contracts::kDirectoryAuth, [this](const ipc::RequestInfo&, schema::AuthRequest req) -> awaitable<Result<schema::AuthReply>> {
          co_return co_await auth_.step(req);
        });
    public_.handle(
        contracts::kDirectoryDigest, [this](const ipc::RequestInfo&, schema::DigestRequest req) -> awaitable<Result<schema::AuthReply>> {
          co_return co_await auth_.digest(req);
        });
    private_.handle(
        contracts::kDirectoryAdmin,
        [this](const ipc::RequestInfo&, schema::DirectoryAdminRequest req) -> awaitable<Result<schema::DirectoryAdminReply>> {
          co_return co_await admin_.handle(req);
        });
    if (auto s = public_.start(); !s) return s;
    return private_.start();
  }

  awaitable<void> drain() override {
    public_.stop();
    private_.stop();
    co_return;
  }

  Status reload(const config::Config& config) override {
    auth_.set_policy(policy_from(config));
    return {};
  }

 private:
  std::unique_ptr<Store> store_;
  Authenticator auth_;
  Admin admin_;
  ipc::Server public_;
  ipc::Server private_;
};

}  // namespace

Result<std::unique_ptr<daemon::Service>> start(daemon::Context& ctx) {
  const std::string& sep = ctx.config().string("directory", "detail_separator");
  auto store = Store::open(ctx.data_dir() + "/db", sep.empty() ? '\0' : sep[0]);
  if (!store) return fail(store.code(), "directory store: " + store.error().detail);
  return daemon::launch<Directory>(ctx, std::move(store.value()));
}

}  // namespace parley::directory
