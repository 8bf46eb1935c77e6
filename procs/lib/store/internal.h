// Inside the mail store: the shared environment, key encodings, record
// checks and body files. Not part of the library's interface.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "lmdb/lmdb.h"
#include "schema/store.pb.h"
#include "store/store.h"

namespace parley::store {

// One LMDB environment per directory per process, shared by every Store
// opened on it here (see Store::open).
struct Shared {
  lmdb::Env env;
  pid_t pid = 0;              // the opener; a forked child must open its own
  MDB_dbi meta = 0;           // "store" -> StoreMeta
  MDB_dbi accounts = 0;       // account -> StoreAccount
  MDB_dbi mailboxes = 0;      // id(8) -> StoreMailbox
  MDB_dbi names = 0;          // account NUL name -> id(8)
  MDB_dbi messages = 0;       // id(8) uid(4) -> StoreMessage
  MDB_dbi expunged = 0;       // id(8) uid(4) -> StoreExpunged
  MDB_dbi bodies = 0;         // body id -> StoreBody
  MDB_dbi dedup = 0;          // dedup key -> StoreDedup
  MDB_dbi dedup_time = 0;     // at_ms(8) dedup key -> ""
  MDB_dbi acl = 0;            // mailbox id(8) identifier -> StoreAcl
  MDB_dbi orphan_subscriptions = 0;  // account NUL name -> "": subscribed names with no mailbox (RFC 3501 6.3.6)
  MDB_dbi acl_grantees = 0;   // identifier NUL mailbox id(8) -> "": acl's index by identifier
};

struct Snapshot::Impl {
  std::shared_ptr<Shared> db;
  lmdb::Txn txn;  // after db: ends before the environment can close
};

// --- keys (big-endian numbers, so LMDB's order is numeric order) ---
std::string be64(std::uint64_t v);
std::string be32(std::uint32_t v);
std::uint64_t read_be64(std::string_view s);  // s.size() >= 8
std::uint32_t read_be32(std::string_view s);  // s.size() >= 4
inline std::string mailbox_key(std::uint64_t id) { return be64(id); }
inline std::string message_key(std::uint64_t mailbox, std::uint32_t uid) { return be64(mailbox) + be32(uid); }
std::string name_key(std::string_view account, std::string_view name);
inline std::string name_prefix(std::string_view account) { return name_key(account, {}); }
// Mailbox ids are never reused, so the id alone (without the owner) keys a
// mailbox's ACL; an identifier holds no NUL (check_account).
inline std::string acl_prefix(std::uint64_t mailbox) { return be64(mailbox); }
inline std::string acl_key(std::uint64_t mailbox, std::string_view identifier) {
  return be64(mailbox).append(identifier);
}
inline std::string grantee_prefix(std::string_view identifier) { return std::string(identifier).append(1, '\0'); }
inline std::string grantee_key(std::string_view identifier, std::uint64_t mailbox) {
  return grantee_prefix(identifier).append(be64(mailbox));
}
constexpr std::string_view kMetaKey = "store";
constexpr std::uint32_t kLayoutVersion = 1;

// --- names and values ---
Status check_account(std::string_view account);
// An account that can be an ACL's user: check_account, not "#public", no
// leading "-".
Status check_user(std::string_view user);
// The stored spelling of an ACL identifier: an optional "-", then a user
// (check_user) or "anyone"/"authenticated" (any case, stored lowercase).
Result<std::string> normalize_identifier(std::string_view identifier);
// RFC 4314 letters checked (kAllRights only), de-duplicated, in canonical
// order; "" stays "".
Result<std::string> normalize_rights(std::string_view rights);
// The stored spelling of a mailbox name: validated, with a leading "inbox"
// component in any case made "INBOX".
Result<std::string> normalize_mailbox(std::string_view name);
Status check_dedup_key(std::string_view key);
// Flags validated, keywords de-duplicated (case-insensitively).
Result<Flags> normalize_flags(const Flags& flags);
// Same system flags and the same keywords (as sets, case-insensitively).
bool same_flags(const Flags& a, const Flags& b);
Flags apply_flags(const Flags& current, FlagOp op, const Flags& change);
// Ranges checked (first >= 1), ordered, overlapping ones merged.
Result<UidSet> normalize_uids(const UidSet& uids);
bool valid_body_id(std::string_view id);

// --- records: parsed and checked as if written by an adversary ---
Result<schema::StoreMailbox> parse_mailbox(std::string_view value, std::uint64_t id);
Result<schema::StoreMessage> parse_message(std::string_view value, std::uint32_t uid);
Result<schema::StoreAccount> parse_account(std::string_view value);
Result<schema::StoreBody> parse_body(std::string_view value);
Result<schema::StoreDedup> parse_dedup(std::string_view value);
Result<schema::StoreMeta> parse_meta(std::string_view value);
Result<schema::StoreExpunged> parse_expunged(std::string_view value);
Result<schema::StoreAcl> parse_acl(std::string_view value);
Mailbox to_mailbox(const schema::StoreMailbox& r);
Message to_message(const schema::StoreMessage& r);
void set_flags(schema::StoreMessage& r, const Flags& flags);
Flags flags_of(const schema::StoreMessage& r);
std::string serialize(const google::protobuf::MessageLite& record);

// --- reads shared by Snapshot and the write transactions ---
// The mailbox `id` if it belongs to `account`, else Errc::not_found.
Result<schema::StoreMailbox> load_mailbox(const Shared& db, const lmdb::Txn& txn, std::string_view account,
                                          std::uint64_t id);
// The id of the (normalized) mailbox name, or Errc::not_found.
Result<std::uint64_t> lookup_name(const Shared& db, const lmdb::Txn& txn, std::string_view account,
                                  std::string_view name);
Result<schema::StoreAccount> load_account(const Shared& db, const lmdb::Txn& txn, std::string_view account);
// The messages of mailbox `id` whose UIDs are in `uids` (normalized), in UID order.
Result<std::vector<schema::StoreMessage>> collect_messages(const Shared& db, const lmdb::Txn& txn,
                                                           std::uint64_t id, const UidSet& uids);
// The ACL of mailbox `id`, sorted by identifier (no check of the owner).
Result<std::vector<AclEntry>> load_acl(const Shared& db, const lmdb::Txn& txn, std::uint64_t id);
// Removes every ACL entry of mailbox `id` and its index entries.
Status drop_acl(const Shared& db, lmdb::Txn& txn, std::uint64_t id);

// --- body files ---
struct BodyFiles {
  std::string dir;
  unsigned dir_mode = 02770;
  unsigned file_mode = 0640;
  bool durable = true;

  std::string path(std::string_view id) const;  // id must be valid
  // Writes `bytes` under a fresh id: temp file, fsync, rename, directory
  // fsync. The id, or Errc::io.
  Result<std::string> write(std::string_view bytes) const;
  Result<std::string> read(std::string_view id) const;
  void remove(std::string_view id) const;       // best effort
};

// mkdir -p, each directory created here given `mode` exactly (not umask's).
Status make_dirs(const std::string& path, unsigned mode);

}  // namespace parley::store
