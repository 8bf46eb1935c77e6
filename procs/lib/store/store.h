// The mail store: per-account mailboxes and messages in one LMDB
// environment, message bodies as immutable files beside it. Shared by
// local-delivery (deliver) and imapd (everything else); both processes open
// the same directory and write it at once (LMDB's multi-process locking:
// one writer at a time, readers never block and are never blocked).
//
// Layout (docs/store.md):
//   <dir>/data.mdb, lock.mdb    the index (records from schema/store.proto)
//   <bodies_dir>/ab/<body id>   bodies, 32 hex digits, sharded by the first two
// bodies_dir defaults to <dir>/../bodies (DATA_DIR/store/index ->
// DATA_DIR/store/bodies).
//
// Durability: a body is written to a temp name, fsync'd, renamed and its
// directory fsync'd before the LMDB transaction that refers to it commits;
// a body is unlinked only after the transaction that drops its last
// reference has committed. A crash between the two leaves an orphan file,
// never a dangling reference; sweep_bodies() removes orphans.
//
// Every write operation is one LMDB transaction, and every write that
// changes a mailbox bumps its HIGHESTMODSEQ once (RFC 7162); the messages
// it changes get that modseq.
//
// Errors are values: Errc::not_found (account's mailbox, UID, body),
// Errc::exists (mailbox name taken), Errc::limit (quota, UID space, LMDB map
// full), Errc::invalid (bad name, key, flag, operation on INBOX),
// Errc::io (file system, LMDB), Errc::internal (a corrupt record).
//
// Accounts are named by their canonical address ("demo@example.test"); the
// store trusts its caller on that (the directory resolved it) and creates an
// account's default mailboxes on first use. One more account exists:
// "#public" (kPublicAccount) holds the public namespace's mailboxes and has
// no default mailboxes and no INBOX. Other names starting with "#", and
// "anyone"/"authenticated", are refused (Errc::invalid).
//
// Access control (RFC 4314): each mailbox may carry an ACL, identifier ->
// rights, that lets other accounts see and use it. The store keeps the
// lists and computes effective rights; enforcing them is the caller's
// job, through store/access.h (names, a viewer's rights, the checks):
// every other operation here acts as the owner.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"

namespace parley::store {

// System flags (RFC 9051 2.3.2) as bits; \Recent is not kept (IMAP4rev2).
constexpr std::uint32_t kSeen = 1u << 0;
constexpr std::uint32_t kAnswered = 1u << 1;
constexpr std::uint32_t kFlagged = 1u << 2;
constexpr std::uint32_t kDeleted = 1u << 3;
constexpr std::uint32_t kDraft = 1u << 4;
constexpr std::uint32_t kAllSystemFlags = kSeen | kAnswered | kFlagged | kDeleted | kDraft;

constexpr std::size_t kMaxAccount = 254;      // RFC 5321 4.5.3.1.3: a path of 256 octets, minus "<>"
constexpr std::size_t kMaxMailboxName = 255;  // account + NUL + name fit LMDB's 511-byte key
constexpr std::size_t kMaxDedupKey = 400;     // "queue-id/account" fits; 8-byte time + key fit LMDB's 511-byte key
constexpr std::size_t kMaxKeyword = 64;       // bytes per keyword; a store limit
constexpr std::size_t kMaxKeywords = 64;      // keywords per message; a store limit

// RFC 4314 access control.
constexpr std::string_view kAllRights = "lrswipkxtea";  // RFC 4314 2.1, in the store's canonical order
constexpr std::string_view kAnyone = "anyone";          // RFC 4314 2: every user
constexpr std::string_view kAuthenticated = "authenticated";  // every logged-in user (all of imapd's)
constexpr std::string_view kPublicAccount = "#public";  // owner of the public namespace's mailboxes
constexpr std::size_t kMaxIdentifier = kMaxAccount + 1; // "-" + account

// RFC 6154 special-use attributes.
enum class SpecialUse { none, drafts, sent, trash, junk, archive };
// "\Drafts", ...; "" for none.
std::string_view special_use_name(SpecialUse use);

struct Flags {
  std::uint32_t system = 0;            // kSeen | ...
  std::vector<std::string> keywords;   // atoms, compared ASCII case-insensitively, first spelling kept
  bool operator==(const Flags&) const = default;
};

struct Mailbox {
  std::uint64_t id = 0;                // never reused; stable across renames
  std::string name;                    // "/"-hierarchy, UTF-8 (not modified UTF-7); "INBOX"
  std::uint32_t uidvalidity = 0;
  std::uint32_t uidnext = 1;
  std::uint64_t highestmodseq = 1;
  std::uint32_t messages = 0;
  std::uint32_t unseen = 0;
  std::uint64_t size = 0;              // sum of RFC822.SIZE
  SpecialUse special_use = SpecialUse::none;
  bool subscribed = false;
  std::uint32_t recent_uid = 0;        // UIDs above this are \Recent: no session has claimed them yet
};

struct Message {
  std::uint32_t uid = 0;
  std::string body_id;
  std::uint64_t size = 0;              // RFC822.SIZE
  std::int64_t internal_date_ms = 0;
  Flags flags;
  std::uint64_t modseq = 0;
};

// An account's usage.
struct Quota {
  std::uint64_t bytes = 0;
  std::uint64_t messages = 0;
};
// Limits to check an addition against; 0: unlimited.
struct QuotaLimits {
  std::uint64_t bytes = 0;
  std::uint64_t messages = 0;
};

// Inclusive UID ranges; {5, 2} means 2:5; last = UINT32_MAX stands for "*".
struct UidRange {
  std::uint32_t first = 1;
  std::uint32_t last = 1;
};
using UidSet = std::vector<UidRange>;

// A message to add (deliver or append).
struct NewMessage {
  std::string account;
  std::string mailbox = "INBOX";
  std::string_view body;               // the whole message; RFC822.SIZE is its length
  Flags flags;
  std::int64_t internal_date_ms = 0;   // 0: now (the clock)
  QuotaLimits limits;
  bool create_mailbox = false;         // create `mailbox` when missing (else Errc::not_found)
};

// Where a message landed.
struct Placed {
  std::uint64_t mailbox_id = 0;
  std::string mailbox;                 // the name at the time
  std::uint32_t uidvalidity = 0;
  std::uint32_t uid = 0;
  std::string body_id;
  std::uint64_t size = 0;
  std::uint64_t modseq = 0;
  bool duplicate = false;              // deliver(): the dedup key was seen; nothing written
};

enum class FlagOp { add, remove, replace };

struct FlagsChanged {
  std::uint64_t modseq = 0;            // the mailbox's new HIGHESTMODSEQ (unchanged if nothing changed)
  std::vector<Message> messages;       // those whose flags changed, in UID order
};

struct Expunged {
  std::uint64_t modseq = 0;
  std::vector<std::uint32_t> uids;     // in UID order; UIDs that were not there are skipped
};

struct Copied {
  std::uint32_t uidvalidity = 0;       // the target's (COPYUID)
  std::uint64_t modseq = 0;            // the target's new HIGHESTMODSEQ
  std::uint64_t source_modseq = 0;     // move(): the source's new HIGHESTMODSEQ
  std::vector<std::pair<std::uint32_t, std::uint32_t>> uids;  // source UID -> target UID, source order
};

// One entry of a mailbox's ACL. identifier: an account, "anyone",
// "authenticated", or one of these after "-" (negative rights, which take
// rights away); rights: letters of kAllRights in that order, never empty.
struct AclEntry {
  std::string identifier;
  std::string rights;
  bool operator==(const AclEntry&) const = default;
};

// Another account's mailbox that a user may see (Snapshot::granted).
struct Grant {
  std::string owner;                   // an account, or kPublicAccount
  Mailbox mailbox;
  std::string rights;                  // the user's effective rights; always include "l"
};

// The rights `user` has on a mailbox of `owner` with this ACL (RFC 4314
// 2.2), in canonical order. The owner has every right, whatever the ACL
// says (RFC 4314 leaves the owner's implicit rights to the server; listing
// or refusing them is the caller's choice). Anyone else: the union of the
// entries for `user`, "anyone" and "authenticated" (every caller has
// logged in), minus the union of "-user", "-anyone" and "-authenticated".
std::string effective_rights(const std::vector<AclEntry>& acl, std::string_view user, std::string_view owner);

struct Options {
  std::string bodies_dir;              // empty: <dir>/../bodies
  bool durable = true;                 // LMDB commits sync; bodies and directories fsync'd
  unsigned dir_mode = 02770;           // directories created (setgid: the store group inherits)
  unsigned file_mode = 0640;           // body files (immutable: read-only for the group)
  unsigned index_mode = 0660;          // data.mdb and lock.mdb: both processes write them
  std::size_t map_size = std::size_t{1} << 34;  // LMDB address space; every opener should agree
  std::function<std::int64_t()> clock; // ms since the epoch; empty: the system clock
};

struct Shared;     // internal: the environment and its databases
struct BodyFiles;  // internal: the body file writer

// A consistent read-only view (one LMDB read transaction). Holding one
// never blocks a writer, in this process or another; keep it short all
// the same, since pages it can see are not reused while it lives.
class Snapshot {
 public:
  Snapshot(Snapshot&&) noexcept;
  Snapshot& operator=(Snapshot&&) noexcept;
  ~Snapshot();

  // The account's mailboxes sorted by name (bytewise); empty if unknown.
  Result<std::vector<Mailbox>> mailboxes(std::string_view account) const;
  Result<Mailbox> mailbox(std::string_view account, std::string_view name) const;
  Result<Mailbox> mailbox_by_id(std::string_view account, std::uint64_t id) const;
  // Messages in UID order from `from_uid` on; limit 0: all.
  Result<std::vector<Message>> messages(std::string_view account, std::uint64_t mailbox_id,
                                        std::uint32_t from_uid = 1, std::size_t limit = 0) const;
  Result<Message> message(std::string_view account, std::uint64_t mailbox_id, std::uint32_t uid) const;
  // UIDs expunged with a modseq above `since_modseq`, in UID order (QRESYNC).
  Result<std::vector<std::uint32_t>> vanished(std::string_view account, std::uint64_t mailbox_id,
                                              std::uint64_t since_modseq) const;
  // Usage; zero for an account never used.
  Result<Quota> quota(std::string_view account) const;
  // Subscribed names that have no mailbox, sorted.
  Result<std::vector<std::string>> orphan_subscriptions(std::string_view account) const;

  // --- access control (RFC 4314) ---
  // The ACL of `owner`'s mailbox, sorted by identifier (bytewise); the
  // owner's implicit rights are not listed. Errc::not_found: no such
  // mailbox of `owner`.
  Result<std::vector<AclEntry>> acl(std::string_view owner, std::uint64_t mailbox_id) const;
  // effective_rights() of `user` on `owner`'s mailbox (MYRIGHTS, and what
  // imapd checks before acting for `user`). Errc::not_found as acl().
  Result<std::string> rights(std::string_view user, std::string_view owner, std::uint64_t mailbox_id) const;
  // Every mailbox of another account (kPublicAccount included) with an ACL
  // entry for `user`, "anyone" or "authenticated" on which `user`'s
  // effective rights include "l"; sorted by owner, then mailbox name.
  // Errc::invalid: `user` is not an account that can log in.
  Result<std::vector<Grant>> granted(std::string_view user) const;

 private:
  friend class Store;
  struct Impl;
  explicit Snapshot(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

class Store {
 public:
  // Opens (creating) the store whose index lives in `dir`. Within one
  // process, Stores opened on the same directory share one LMDB environment
  // (LMDB forbids opening one twice in a process); the first opener's
  // durable and map_size settings apply to it.
  static Result<Store> open(const std::string& dir, Options options = {});
  Store(Store&&) noexcept;
  Store& operator=(Store&&) noexcept;
  ~Store();

  const std::string& bodies_dir() const { return bodies_dir_; }

  // --- accounts and mailboxes ---
  // Creates INBOX, Drafts, Sent, Trash, Junk and Archive (with their
  // special-use, all subscribed) the first time; true if it did.
  Result<bool> ensure_account(std::string_view account);
  Result<Mailbox> create_mailbox(std::string_view account, std::string_view name,
                                 SpecialUse use = SpecialUse::none);
  // Removes the mailbox and its messages (children stay). INBOX: invalid.
  Status delete_mailbox(std::string_view account, std::string_view name);
  // Renames the mailbox and its children. Renaming INBOX moves its messages
  // (and id, UIDVALIDITY) to the new name and leaves a new empty INBOX;
  // INBOX's children stay (RFC 9051 6.3.6).
  Status rename_mailbox(std::string_view account, std::string_view from, std::string_view to);
  // A name without a mailbox may be subscribed too; deleting a subscribed
  // mailbox keeps the subscription, and creating the name again takes it
  // back (RFC 3501 6.3.6, 6.3.9).
  Status subscribe(std::string_view account, std::string_view name, bool subscribed = true);
  // IMAP4rev1's \Recent (RFC 3501 2.3.2): the session that calls this gets
  // the messages no session had yet, UIDs in (first, last]; recent_uid
  // becomes last (uidnext - 1). Writes only when that changes it; no
  // modseq change.
  struct RecentClaim {
    std::uint32_t first = 0;  // exclusive
    std::uint32_t last = 0;   // inclusive
  };
  Result<RecentClaim> claim_recent(std::string_view account, std::uint64_t mailbox_id);

  // --- access control (RFC 4314) ---
  // Sets `identifier`'s entry in the ACL of `owner`'s mailbox `mailbox`:
  // `rights` replaces the entry; with a leading "+" its letters are added
  // to it, with a leading "-" taken from it (RFC 4314 3.1 SETACL, done in
  // one transaction); an entry left empty is removed ("" removes it).
  // Letters are those of kAllRights, in any order, repeats allowed; the
  // obsolete RFC 2086 "c" and "d" are the caller's to map (RFC 4314
  // 2.1.1: c -> "kx" and d -> "te", or c -> "k" and d -> "xte"). Errc::not_found: no such
  // mailbox; Errc::invalid: a bad letter, identifier or owner. The ACL
  // follows the mailbox's id: a rename keeps it (a renamed INBOX takes its
  // ACL along; the new INBOX has none), a delete drops it.
  Status set_acl(std::string_view owner, std::string_view mailbox, std::string_view identifier,
                 std::string_view rights);

  // --- messages ---
  // Local delivery, exactly once per `dedup_key` (e.g. "queue-id/recipient"):
  // a key already delivered returns that delivery with duplicate = true and
  // writes nothing. Errc::limit when `limits` would be exceeded (nothing
  // written). Creates the account's default mailboxes on first delivery.
  Result<Placed> deliver(const NewMessage& message, std::string_view dedup_key);
  // IMAP APPEND: deliver() without deduplication.
  Result<Placed> append(const NewMessage& message);
  Result<FlagsChanged> store_flags(std::string_view account, std::uint64_t mailbox_id, const UidSet& uids,
                                   FlagOp op, const Flags& flags);
  Result<Expunged> expunge(std::string_view account, std::uint64_t mailbox_id, const UidSet& uids);
  // New UIDs in the target (flags and internal date kept), bodies shared.
  // Copying into the source mailbox itself is allowed.
  Result<Copied> copy(std::string_view account, std::uint64_t from_mailbox_id, const UidSet& uids,
                      std::uint64_t to_mailbox_id, const QuotaLimits& limits = {});
  // copy() and expunge() of the source in one transaction (RFC 6851); into
  // the source itself too (the messages get new UIDs).
  Result<Copied> move(std::string_view account, std::uint64_t from_mailbox_id, const UidSet& uids,
                      std::uint64_t to_mailbox_id);

  // --- bodies ---
  // The file of a body (whether or not it exists); "" for a malformed id.
  std::string body_path(std::string_view body_id) const;
  Result<std::string> read_body(std::string_view body_id) const;

  // --- reading ---
  Result<Snapshot> snapshot() const;
  // One-shot reads, each in its own snapshot.
  Result<std::vector<Mailbox>> mailboxes(std::string_view account) const;
  Result<Mailbox> mailbox(std::string_view account, std::string_view name) const;
  Result<std::vector<Message>> messages(std::string_view account, std::uint64_t mailbox_id,
                                        std::uint32_t from_uid = 1, std::size_t limit = 0) const;
  Result<Quota> quota(std::string_view account) const;
  Result<std::vector<AclEntry>> acl(std::string_view owner, std::uint64_t mailbox_id) const;
  Result<std::string> rights(std::string_view user, std::string_view owner, std::uint64_t mailbox_id) const;
  Result<std::vector<Grant>> granted(std::string_view user) const;

  // --- housekeeping ---
  // Forgets dedup keys recorded before `older_than_ms`; how many.
  Result<std::size_t> prune_dedup(std::int64_t older_than_ms);
  // Unlinks body files (and temp files) last modified before
  // `older_than_ms` that no record refers to: leftovers of a crash between
  // writing a body and committing, or between committing and unlinking.
  Result<std::size_t> sweep_bodies(std::int64_t older_than_ms);

 private:
  Store(std::shared_ptr<Shared> shared, Options options, std::string bodies_dir);
  std::int64_t now() const;
  BodyFiles files() const;
  Result<Placed> place(const NewMessage& message, std::string_view dedup_key);
  Result<Copied> transfer(std::string_view account, std::uint64_t from_mailbox_id, const UidSet& uids,
                          std::uint64_t to_mailbox_id, const QuotaLimits& limits, bool move);

  std::shared_ptr<Shared> shared_;
  Options options_;
  std::string bodies_dir_;
};

}  // namespace parley::store
