// SELECT, EXAMINE (with CONDSTORE and QRESYNC, RFC 7162), CLOSE, UNSELECT,
// EXPUNGE / UID EXPUNGE, and the selected mailbox's view: sequence
// numbers and sync (see imap_session.h).
#include <algorithm>

#include "core/ascii.h"
#include "imap/encoding.h"
#include "imap_session.h"
#include "log/log.h"

namespace parley::imapd {
namespace {

constexpr std::string_view kSystemFlags = "\\Answered \\Flagged \\Deleted \\Seen \\Draft";

bool same_keyword(std::string_view a, std::string_view b) { return ascii_lower(a) == ascii_lower(b); }

}  // namespace

store::UidSet to_uid_set(const std::vector<std::uint32_t>& uids) {
  store::UidSet set;
  for (std::uint32_t uid : uids) {
    if (!set.empty() && set.back().last + 1 == uid) set.back().last = uid;
    else set.push_back({uid, uid});
  }
  return set;
}

std::string ImapSession::flags_list(const store::Flags& flags, bool recent) const {
  std::string out = "(";
  auto add = [&](std::string_view f) {
    if (out.size() > 1) out += ' ';
    out += f;
  };
  if (recent) add("\\Recent");
  if (flags.system & store::kSeen) add("\\Seen");
  if (flags.system & store::kAnswered) add("\\Answered");
  if (flags.system & store::kFlagged) add("\\Flagged");
  if (flags.system & store::kDeleted) add("\\Deleted");
  if (flags.system & store::kDraft) add("\\Draft");
  for (const auto& k : flags.keywords) add(k);
  return out + ")";
}

void ImapSession::announce_keywords(const std::vector<std::string>& keywords) {
  bool fresh = false;
  for (const auto& k : keywords) {
    bool known = std::any_of(view_->keywords.begin(), view_->keywords.end(), [&](const auto& x) { return same_keyword(x, k); });
    if (!known) {
      view_->keywords.push_back(k);
      fresh = true;
    }
  }
  if (!fresh) return;
  std::string list;
  for (const auto& k : view_->keywords) list += " " + k;
  untagged("FLAGS (" + std::string(kSystemFlags) + list + ")");
  if (!view_->read_only) untagged("OK [PERMANENTFLAGS (" + std::string(kSystemFlags) + list + " \\*)] Flags permitted");
}

void ImapSession::claim_recent(std::uint32_t recent_uid) {
  if (view_->read_only) {
    // EXAMINE takes nothing: what no session has had yet shows as recent.
    view_->recent.assign(1, {recent_uid, UINT32_MAX});
    return;
  }
  auto claim = server_.store().claim_recent(view_->box.owner, view_->id);
  if (claim && claim->last > claim->first) view_->recent.emplace_back(claim->first, claim->last);
}

std::size_t ImapSession::recent_count() const {
  return static_cast<std::size_t>(std::count_if(view_->uids.begin(), view_->uids.end(), [&](std::uint32_t uid) { return view_->is_recent(uid); }));
}

std::uint32_t ImapSession::seq_of(std::uint32_t uid) const {
  auto it = std::lower_bound(view_->uids.begin(), view_->uids.end(), uid);
  if (it == view_->uids.end() || *it != uid) return 0;
  return static_cast<std::uint32_t>(it - view_->uids.begin()) + 1;
}

std::vector<std::pair<std::uint32_t, std::uint32_t>> ImapSession::targets(const imap::SequenceSet& set, bool uid) const {
  std::vector<std::pair<std::uint32_t, std::uint32_t>> out;
  const auto& uids = view_->uids;
  if (uids.empty()) return out;
  if (set.saved) {
    for (std::uint32_t u : view_->saved) {
      if (std::uint32_t seq = seq_of(u)) out.emplace_back(seq, u);
    }
    return out;
  }
  if (uid) {
    for (auto [first, last] : set.intervals(uids.back())) {
      auto it = std::lower_bound(uids.begin(), uids.end(), first);
      for (; it != uids.end() && *it <= last; ++it) out.emplace_back(static_cast<std::uint32_t>(it - uids.begin()) + 1, *it);
    }
  } else {
    auto max = static_cast<std::uint32_t>(uids.size());
    for (auto [first, last] : set.intervals(max)) {
      for (std::uint32_t seq = first; seq <= std::min(last, max); ++seq) out.emplace_back(seq, uids[seq - 1]);
    }
  }
  return out;
}

void ImapSession::enable_condstore() {
  if (condstore()) return;
  condstore_ = true;
  if (!view_) return;
  auto box = server_.store().snapshot();
  auto mb = box ? box->mailbox_by_id(view_->box.owner, view_->id) : Result<store::Mailbox>(box.error());
  if (mb) untagged("OK [HIGHESTMODSEQ " + std::to_string(mb->highestmodseq) + "] Highest");
}

bool ImapSession::valid_sequence(const imap::SequenceSet& set, bool uid) const {
  if (uid || set.saved) return true;
  const auto max = view_->uids.size();
  return std::all_of(set.ranges.begin(), set.ranges.end(), [&](const auto& r) {
    return (r.first == imap::SequenceSet::kStar || r.first <= max) && (r.last == imap::SequenceSet::kStar || r.last <= max);
  });
}

Status ImapSession::sync(bool allow_expunge) {
  if (!view_) return {};
  View& v = *view_;
  auto snap = server_.store().snapshot();
  if (!snap) return snap.error();
  auto box = snap->mailbox_by_id(v.box.owner, v.id);
  std::vector<store::Message> now;
  if (box) {
    if (box->highestmodseq == v.modseq && !v.expunge_pending) return {};
    auto list = snap->messages(v.box.owner, v.id);
    if (!list) return list.error();
    now = std::move(list.value());
  } else if (box.code() != Errc::not_found) {
    return box.error();
  }
  // Walk the view and the store together (both in UID order).
  std::vector<std::uint32_t> gone;                  // UIDs
  std::vector<const store::Message*> flag_changes;  // in the view, changed since v.modseq
  std::size_t j = 0;
  for (std::uint32_t uid : v.uids) {
    while (j < now.size() && now[j].uid < uid) ++j;
    if (j == now.size() || now[j].uid != uid) {
      gone.push_back(uid);
      continue;
    }
    const auto& m = now[j];
    if (m.modseq > v.modseq) {
      auto own = v.own.find(uid);
      if (own == v.own.end() || own->second != m.modseq) flag_changes.push_back(&m);
    }
  }
  v.own.clear();
  // Expunges first, so the FETCH numbers below are the new ones.
  if (!gone.empty() && allow_expunge) {
    if (qresync_) {
      untagged("VANISHED " + imap::format_sequence_set(gone));
    } else {
      // Highest first: each EXPUNGE leaves the lower numbers valid.
      for (auto it = gone.rbegin(); it != gone.rend(); ++it) untagged(std::to_string(seq_of(*it)) + " EXPUNGE");
    }
    std::vector<std::uint32_t> kept;
    kept.reserve(v.uids.size() - gone.size());
    std::set_difference(v.uids.begin(), v.uids.end(), gone.begin(), gone.end(), std::back_inserter(kept));
    v.uids = std::move(kept);
    v.expunge_pending = false;
  } else {
    v.expunge_pending = !gone.empty();
  }
  // New messages.
  std::uint32_t last = v.uids.empty() ? 0 : v.uids.back();
  std::size_t before = v.uids.size();
  std::vector<std::string> keywords;
  for (const auto& m : now) {
    if (m.uid > last) {
      v.uids.push_back(m.uid);
      keywords.insert(keywords.end(), m.flags.keywords.begin(), m.flags.keywords.end());
    }
  }
  if (v.uids.size() != before && !v.read_only) claim_recent(0);
  for (const auto* m : flag_changes) keywords.insert(keywords.end(), m->flags.keywords.begin(), m->flags.keywords.end());
  announce_keywords(keywords);
  // EXISTS only grows (an EXPUNGE already lowered the count).
  if (v.uids.size() != before) {
    untagged(std::to_string(v.uids.size()) + " EXISTS");
    if (!rev2_) untagged(std::to_string(recent_count()) + " RECENT");
  }
  for (const auto* m : flag_changes) {
    std::string line = std::to_string(seq_of(m->uid)) + " FETCH (UID " + std::to_string(m->uid) + " FLAGS " + flags_of(*m);
    if (condstore()) line += " MODSEQ (" + std::to_string(m->modseq) + ")";
    untagged(line + ")");
  }
  if (box) v.modseq = box->highestmodseq;
  return {};
}

Reply ImapSession::cmd_select(const imap::Command& cmd) {
  const bool examine = cmd.verb == imap::Verb::examine;
  if (view_) {
    view_.reset();
    state_ = State::authenticated;
    untagged("OK [CLOSED] Previous mailbox closed");
  }
  if (cmd.select.condstore) condstore_ = true;  // SELECT's own HIGHESTMODSEQ line follows
  if (cmd.select.qresync && !qresync_) return Reply::bad("QRESYNC is not enabled");
  auto snap = server_.store().snapshot();
  if (!snap) return Reply::no("[UNAVAILABLE] Mail store unavailable");
  Readable r;
  if (auto refused = open_readable(*snap, cmd.mailbox, r)) return *refused;
  const store::Mailbox* box = &r.box;
  const std::string& rights = r.rights;
  auto list = snap->messages(r.ref.owner, box->id);
  if (!list) return Reply::no("[UNAVAILABLE] Mail store unavailable");

  View v;
  v.box = r.ref;
  v.id = box->id;
  v.rights = rights;
  // Read-only when examined, or when the ACL allows no change at all.
  v.read_only = examine || !store::may_modify(rights);
  v.uidvalidity = box->uidvalidity;
  v.modseq = box->highestmodseq;
  std::uint32_t first_unseen = 0;
  for (const auto& m : list.value()) {
    v.uids.push_back(m.uid);
    if (!first_unseen && !(m.flags.system & store::kSeen)) first_unseen = static_cast<std::uint32_t>(v.uids.size());
    for (const auto& k : m.flags.keywords) {
      if (std::none_of(v.keywords.begin(), v.keywords.end(), [&](const auto& x) { return same_keyword(x, k); })) v.keywords.push_back(k);
    }
  }
  std::string keywords;
  for (const auto& k : v.keywords) keywords += " " + k;
  untagged("FLAGS (" + std::string(kSystemFlags) + keywords + ")");
  if (v.read_only) untagged("OK [PERMANENTFLAGS ()] No permanent flags permitted");
  else untagged("OK [PERMANENTFLAGS (" + std::string(kSystemFlags) + keywords + " \\*)] Flags permitted");
  untagged(std::to_string(v.uids.size()) + " EXISTS");
  view_ = std::move(v);
  claim_recent(box->recent_uid);
  if (!rev2_) {
    untagged(std::to_string(recent_count()) + " RECENT");
    if (first_unseen) untagged("OK [UNSEEN " + std::to_string(first_unseen) + "] First unseen");
  }
  const View& sel = *view_;
  untagged("OK [UIDVALIDITY " + std::to_string(box->uidvalidity) + "] UIDs valid");
  untagged("OK [UIDNEXT " + std::to_string(box->uidnext) + "] Predicted next UID");
  untagged("OK [HIGHESTMODSEQ " + std::to_string(box->highestmodseq) + "] Highest");
  if (rev2_) untagged("LIST () \"/\" " + imap::format_mailbox(sel.box.client, true));

  // QRESYNC (RFC 7162 3.2.5): what changed since the client's modseq.
  if (cmd.select.qresync && cmd.select.qresync->uidvalidity == box->uidvalidity) {
    const auto& q = *cmd.select.qresync;
    auto known = [&](std::uint32_t uid) { return !q.known_uids || q.known_uids->contains(uid, box->uidnext - 1); };
    auto vanished = snap->vanished(sel.box.owner, sel.id, q.modseq);
    if (vanished) {
      std::vector<std::uint32_t> gone;
      for (std::uint32_t uid : vanished.value()) {
        if (known(uid)) gone.push_back(uid);
      }
      if (!gone.empty()) untagged("VANISHED (EARLIER) " + imap::format_sequence_set(gone));
    }
    std::uint32_t seq = 0;
    for (const auto& m : list.value()) {
      ++seq;
      if (m.modseq <= q.modseq || !known(m.uid)) continue;
      untagged(std::to_string(seq) + " FETCH (UID " + std::to_string(m.uid) + " FLAGS " + flags_of(m) + " MODSEQ (" +
               std::to_string(m.modseq) + "))");
    }
  }
  state_ = State::selected;
  log::debug("imap.select.ok", "mailbox selected", {{"sid", sid_}, {"mailbox", view_->box.client}, {"count", view_->uids.size()}});
  return Reply::ok(view_->read_only ? "[READ-ONLY] EXAMINE completed" : "[READ-WRITE] SELECT completed");
}

Reply ImapSession::cmd_close(bool expunge) {
  if (expunge && !view_->read_only && store::has_right(view_->rights, store::right::expunge)) {
    // CLOSE expunges silently (RFC 9051 6.4.1).
    auto list = server_.store().messages(view_->box.owner, view_->id);
    std::vector<std::uint32_t> deleted;
    if (list) {
      for (const auto& m : list.value()) {
        if (m.flags.system & store::kDeleted) deleted.push_back(m.uid);
      }
    }
    if (!deleted.empty()) {
      auto done = server_.store().expunge(view_->box.owner, view_->id, to_uid_set(deleted));
      if (done) notify(view_->box.owner, view_->id);
    }
  }
  view_.reset();
  state_ = State::authenticated;
  return Reply::ok();
}

Reply ImapSession::cmd_expunge(const imap::Command& cmd) {
  if (view_->read_only) return Reply::no("[READ-ONLY] Mailbox is read-only");
  if (!store::has_right(view_->rights, store::right::expunge)) return Reply::no("[NOPERM] You may not expunge here");
  auto snap = server_.store().snapshot();
  if (!snap) return Reply::no("[UNAVAILABLE] Mail store unavailable");
  auto list = snap->messages(view_->box.owner, view_->id);
  if (!list) return Reply::no("[UNAVAILABLE] Mail store unavailable");
  std::vector<std::uint32_t> deleted;
  std::uint32_t max_uid = view_->uids.empty() ? 0 : view_->uids.back();
  for (const auto& m : list.value()) {
    if (!(m.flags.system & store::kDeleted)) continue;
    if (cmd.uid && !(cmd.sequence.saved ? std::binary_search(view_->saved.begin(), view_->saved.end(), m.uid)
                                        : cmd.sequence.contains(m.uid, max_uid))) {
      continue;
    }
    deleted.push_back(m.uid);
  }
  std::uint64_t modseq = 0;
  if (!deleted.empty()) {
    auto done = server_.store().expunge(view_->box.owner, view_->id, to_uid_set(deleted));
    if (!done) return Reply::no("[UNAVAILABLE] Cannot expunge now");
    modseq = done->modseq;
    notify(view_->box.owner, view_->id);
  }
  (void)sync(true);
  if (condstore() && modseq) return Reply::ok("[HIGHESTMODSEQ " + std::to_string(modseq) + "] EXPUNGE completed");
  return Reply::ok();
}

}  // namespace parley::imapd
