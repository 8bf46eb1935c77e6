// Who may watch whom (RFC 6665 5.2 authorization of presence and dialog
// subscriptions), beyond what sipd allows by itself (watchers of the
// watched account's own domain): the watchers an account allowed
// (`parleyctl sip allow ACCOUNT WATCHER`), kept in sipd's own LMDB
// environment (DATA_DIR/sipd/watchers). Every write commits before it
// returns.
//
// Names are addresses ("user@domain"), compared in lower case.
// Errors: Errc::invalid for an empty or too long name; Errc::io from LMDB.
#pragma once

#include <string>
#include <string_view>

#include "core/result.h"
#include "lmdb/lmdb.h"

namespace parley::sip {

class PresenceRules {
 public:
  static Result<PresenceRules> open(const std::string& dir);
  PresenceRules(PresenceRules&&) noexcept = default;
  PresenceRules& operator=(PresenceRules&&) noexcept = default;

  Status allow(std::string_view account, std::string_view watcher);
  // Errc::not_found when the watcher was not allowed.
  Status deny(std::string_view account, std::string_view watcher);
  Result<bool> allowed(std::string_view account, std::string_view watcher) const;

 private:
  PresenceRules(lmdb::Env env, MDB_dbi dbi) : env_(std::move(env)), dbi_(dbi) {}
  lmdb::Env env_;
  MDB_dbi dbi_ = 0;
};

}  // namespace parley::sip
