// One IMAP session (RFC 9051 IMAP4rev2, RFC 3501 IMAP4rev1): the states
// (not authenticated, authenticated, selected, logout), the command loop
// over imap::CommandReader, and the selected mailbox's view: the sequence
// number map and what this client has been told.
//
// Concurrency: many sessions (in this process and others) and
// local-delivery change a mailbox at once. The store is the truth; a
// session compares its view with it (sync) before each tagged reply and
// when woken in IDLE, and reports the difference: EXPUNGE (or VANISHED
// with QRESYNC), EXISTS, and FETCH FLAGS. Expunges are held back while a
// FETCH, STORE or SEARCH by sequence number runs (RFC 9051 7.5.1), so the
// client's numbers stay valid; such messages stay in the view until the
// next command that may report them.
//
// Commands live one group per file (cmd_*.cpp); this file's .cpp has the
// loop, I/O, authentication, STARTTLS, COMPRESS, IDLE and the small
// commands.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/asio.h"
#include "imap/command.h"
#include "imap/compress.h"
#include "front/session.h"
#include "server.h"
#include "store/access.h"
#include "store/store.h"

namespace parley::imapd {

// The tagged result of a command. `text` may begin with a response code
// ("[TRYCREATE] ...").
struct Reply {
  enum class Kind { ok, no, bad };
  Kind kind = Kind::ok;
  std::string text = "done";
  static Reply ok(std::string text = "done") { return {Kind::ok, std::move(text)}; }
  static Reply no(std::string text) { return {Kind::no, std::move(text)}; }
  static Reply bad(std::string text) { return {Kind::bad, std::move(text)}; }
};

// A mailbox as the client names it, resolved to the store: whose account
// holds it and its name there (store/access.h).
using MailboxRef = store::MailboxRef;

// The selected mailbox as this client knows it.
struct View {
  MailboxRef box;
  std::uint64_t id = 0;
  bool read_only = false;
  std::string rights;                   // effective ACL rights (all for one's own)
  std::uint32_t uidvalidity = 0;
  std::vector<std::uint32_t> uids;      // sequence number - 1 -> UID, ascending
  std::uint64_t modseq = 0;             // the HIGHESTMODSEQ the client has been brought up to
  bool expunge_pending = false;         // some UIDs in `uids` are gone but not yet reported
  std::vector<std::string> keywords;    // announced in FLAGS
  std::vector<std::uint32_t> saved;     // SEARCHRES "$" (UIDs, ascending)
  // \Recent (IMAP4rev1): UID ranges (first, last] this session claimed.
  std::vector<std::pair<std::uint32_t, std::uint32_t>> recent;
  bool is_recent(std::uint32_t uid) const {
    for (auto [first, last] : recent) {
      if (uid > first && uid <= last) return true;
    }
    return false;
  }
  std::unordered_map<std::uint32_t, std::uint64_t> own;  // STORE results already sent: UID -> modseq
};

// "\\Seen", "$Junk", ... as the store keeps them; \Recent is dropped.
Result<store::Flags> parse_flags(const std::vector<std::string>& flags);
// Ascending UIDs as store ranges (runs joined).
store::UidSet to_uid_set(const std::vector<std::uint32_t>& uids);

class ImapSession final : public front::Session, public std::enable_shared_from_this<ImapSession> {
 public:
  ImapSession(Server& server, std::unique_ptr<net::Stream> stream, std::string listener, std::string sid);
  ~ImapSession();

  static awaitable<void> run(std::shared_ptr<ImapSession> self);
  // A mailbox changed (another session, local-delivery): wakes this one if
  // it idles on it.
  void changed(std::string_view owner, std::uint64_t mailbox_id);

 private:
  enum class State { not_authenticated, authenticated, selected, logout };

  // --- I/O (imap_session.cpp) ---
  awaitable<void> serve();
  awaitable<bool> flush();                         // sends out_ (compressed when on)
  enum class Got { data, tick, closed };  // tick: an IDLE keepalive timeout or wake-up
  awaitable<Got> read_more(std::chrono::seconds timeout);   // feeds the reader
  Status take_input(std::string_view bytes);                // inflates if compressing, feeds the reader
  awaitable<std::optional<std::string>> read_line();        // AUTHENTICATE and IDLE lines
  void untagged(std::string_view line);            // "* " line CRLF into out_
  void literal(std::string& out, std::string_view data, bool binary = false) const;

  // --- the command loop ---
  awaitable<Reply> dispatch(imap::Command& cmd);
  std::string capabilities() const;
  bool utf8() const { return rev2_; }

  // --- authentication (imap_session.cpp) ---
  awaitable<Reply> cmd_login(const imap::Command& cmd);
  awaitable<Reply> cmd_authenticate(const imap::Command& cmd);
  awaitable<Reply> logged_in(std::string account, std::string_view method);
  awaitable<Reply> cmd_starttls();
  awaitable<Reply> cmd_compress(const imap::Command& cmd);
  awaitable<Reply> cmd_idle(const imap::Command& cmd);
  Reply cmd_enable(const imap::Command& cmd);
  Reply cmd_id(const imap::Command& cmd);

  // --- mailboxes (cmd_mailbox.cpp); names and rights are the store's (store/access.h) ---
  // The logged-in account as the store's access checks see it.
  store::Viewer viewer() const;
  // store::resolve(), its error worded for the client.
  Result<MailboxRef> resolve(std::string_view client_name) const;
  store::QuotaLimits limits_for(const std::string& owner) const;
  void notify(const std::string& owner, std::uint64_t mailbox_id);
  // The mailbox `name` as a reader finds it: resolved, present, and with
  // the "l" and "r" rights (store::open); else the reply that says why not.
  using Readable = store::Found;
  std::optional<Reply> open_readable(const store::Snapshot& snap, std::string_view name, Readable& out) const;
  Reply cmd_create(const imap::Command& cmd);
  Reply cmd_delete(const imap::Command& cmd);
  Reply cmd_rename(const imap::Command& cmd);
  Reply cmd_subscribe(const imap::Command& cmd, bool subscribe);
  Reply cmd_append(const imap::Command& cmd);

  // --- LIST, LSUB, STATUS, NAMESPACE (cmd_list.cpp) ---
  Reply cmd_list(const imap::Command& cmd, bool lsub);
  Reply cmd_status(const imap::Command& cmd);
  Reply cmd_namespace();
  Result<std::string> status_items(const store::Snapshot& snap, const MailboxRef& ref, const store::Mailbox& box,
                                   const std::vector<imap::StatusItem>& items) const;

  // --- the selected mailbox (cmd_select.cpp) ---
  Reply cmd_select(const imap::Command& cmd);
  Reply cmd_close(bool expunge);
  Reply cmd_expunge(const imap::Command& cmd);
  // Brings the client up to date with the store (see above).
  Status sync(bool allow_expunge);
  // The messages a sequence set names: (sequence number, UID) pairs.
  std::vector<std::pair<std::uint32_t, std::uint32_t>> targets(const imap::SequenceSet& set, bool uid) const;
  std::uint32_t seq_of(std::uint32_t uid) const;  // 0: not in the view
  std::string flags_list(const store::Flags& flags, bool recent = false) const;
  // A message's FLAGS, with \Recent for IMAP4rev1 clients.
  std::string flags_of(const store::Message& m) const { return flags_list(m.flags, !rev2_ && view_ && view_->is_recent(m.uid)); }
  // Claims the mailbox's unclaimed messages as this session's \Recent ones.
  void claim_recent(std::uint32_t recent_uid);
  std::size_t recent_count() const;
  void announce_keywords(const std::vector<std::string>& keywords);
  bool condstore() const { return condstore_ || qresync_; }
  // A CONDSTORE-enabling command (RFC 7162 3.1): on while a mailbox is
  // selected, the client is told the HIGHESTMODSEQ.
  void enable_condstore();
  // Non-UID sets may not name a number past the last message (RFC 9051 9).
  bool valid_sequence(const imap::SequenceSet& set, bool uid) const;

  // --- FETCH (cmd_fetch.cpp) ---
  awaitable<Reply> cmd_fetch(const imap::Command& cmd);
  Result<std::string> fetch_items(const imap::Command& cmd, std::uint32_t seq, const store::Message& m,
                                  bool& unknown_cte);
  std::shared_ptr<CachedMessage> load(const store::Message& m);

  // --- STORE, COPY, MOVE (cmd_store.cpp) ---
  Reply cmd_store(const imap::Command& cmd);
  Reply cmd_copy(const imap::Command& cmd, bool move);

  // --- SEARCH, SORT, THREAD (cmd_search.cpp) ---
  Reply cmd_search(const imap::Command& cmd);

  // --- QUOTA, ACL (cmd_quota.cpp, cmd_acl.cpp) ---
  Reply cmd_quota(const imap::Command& cmd);
  Reply cmd_acl(const imap::Command& cmd);

  Server& server_;
  std::shared_ptr<const Settings> settings_;
  imap::CommandReader reader_;
  std::string out_;
  std::unique_ptr<imap::Deflater> deflate_;  // COMPRESS=DEFLATE on
  std::unique_ptr<imap::Inflater> inflate_;
  State state_ = State::not_authenticated;
  bool idling_ = false;        // in IDLE
  bool woken_ = false;         // IDLE: a change to report
  int errors_ = 0;
  bool rev2_ = false;          // ENABLE IMAP4rev2
  bool condstore_ = false;     // ENABLE CONDSTORE or a CONDSTORE-using command
  bool qresync_ = false;       // ENABLE QRESYNC
  std::string account_;
  std::uint64_t quota_bytes_ = 0;  // the account's quota (directory), 0: none
  std::optional<View> view_;
};

}  // namespace parley::imapd
