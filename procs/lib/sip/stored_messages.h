// Instant messages (RFC 3428 MESSAGE) waiting for an account's first
// device to register, kept in sipd's LMDB environment beside nothing else
// (DATA_DIR/sipd/messages), so that a restart loses none. Every write
// commits before it returns: sipd answers 202 Accepted once store()
// returned.
//
// Limits per account (the account's share of sipd's disk): at most
// `max_messages` messages of at most `max_bytes` in all; beyond,
// Errc::limit and nothing is stored (sipd answers 480, as if it kept none).
//
// Errors: Errc::invalid for a bad account name; Errc::io from LMDB;
// Errc::internal for a stored record that does not parse or validate.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "lmdb/lmdb.h"

namespace parley::sip {

struct StoredMessage {
  std::uint64_t id = 0;
  std::string from;
  std::string content_type;
  std::string body;
  std::string date;
};

struct StoreLimits {
  std::size_t max_messages = 100;
  std::size_t max_bytes = 1 << 20;
};

class StoredMessages {
 public:
  static Result<StoredMessages> open(const std::string& dir);
  StoredMessages(StoredMessages&&) noexcept = default;
  StoredMessages& operator=(StoredMessages&&) noexcept = default;

  // Keeps `message` (its id is assigned here) for `account`.
  Result<std::uint64_t> store(std::string_view account, StoredMessage message, const StoreLimits& limits);
  // The account's messages, oldest first.
  Result<std::vector<StoredMessage>> pending(std::string_view account) const;
  // Drops one once delivered; Errc::not_found when it is not there.
  Status remove(std::string_view account, std::uint64_t id);

 private:
  StoredMessages(lmdb::Env env, MDB_dbi dbi) : env_(std::move(env)), dbi_(dbi) {}
  lmdb::Env env_;
  MDB_dbi dbi_ = 0;
};

}  // namespace parley::sip
