#include "service.h"

#include "admin.h"
#include "authenticator.h"
#include "ipc/contracts/directory.h"
#include "ipc/ipc.h"
#include "log/log.h"
#include "process_settings.h"
#include "store.h"

namespace parley::directory {
namespace {

constexpr int kMaxBatch = 1000;  // addresses in one resolve request

class Directory final : public daemon::Service {
 public:
  Directory(daemon::Context& ctx, std::unique_ptr<Store> store)
      : store_(std::move(store)),
        auth_(ctx.io(), *store_, load_settings(ctx.config()).policy),
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
    auth_.set_policy(load_settings(config).policy);
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
  auto store = Store::open(ctx.data_dir() + "/db", load_settings(ctx.config()).detail_separator);
  if (!store) return fail(store.code(), "directory store: " + store.error().detail);
  return daemon::launch<Directory>(ctx, std::move(store.value()));
}

}  // namespace parley::directory
