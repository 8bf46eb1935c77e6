// Directory administration: what `parleyctl domain|account|forwarder|group|
// resolve|import|export|cos|defaults ...` asks, forwarded by parleyd to the
// directory's admin endpoint (mode 0600: only parleyd reaches it). Every
// change is an audit event (directory.admin.changed: who, what, which
// object); refusals are directory.admin.refused. Secrets are never logged.
#pragma once

#include "authenticator.h"
#include "core/asio.h"
#include "schema/directory.pb.h"
#include "store.h"

namespace parley::directory {

struct FirstRun {
  std::string domain;                  // empty: the host name
  std::vector<std::string> accounts;   // local parts
};

class Admin {
 public:
  // `backup_dir`: where `parleyctl backup` puts consistent copies of the store.
  Admin(Store& store, Authenticator& authenticator, std::string backup_dir)
      : store_(store), auth_(authenticator), backup_dir_(std::move(backup_dir)) {}
  awaitable<Result<schema::DirectoryAdminReply>> handle(const schema::DirectoryAdminRequest& request);

 private:
  awaitable<Result<schema::DirectoryAdminReply>> dispatch(const schema::DirectoryAdminRequest& request);
  awaitable<Result<schema::DirectoryAdminReply>> bootstrap(const schema::DirectoryAdminRequest& request);
  awaitable<Result<schema::DirectoryAdminReply>> import(const schema::DirectoryAdminRequest& request);
  Result<schema::DirectoryAdminReply> export_accounts(std::string_view domain);
  Result<schema::DirectoryAdminReply> backup();
  Store& store_;
  Authenticator& auth_;
  std::string backup_dir_;
};

}  // namespace parley::directory
