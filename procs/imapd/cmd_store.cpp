// STORE (RFC 9051 6.4.6, UNCHANGEDSINCE RFC 7162 3.1.3), COPY (RFC 9051
// 6.4.7, COPYUID RFC 4315) and MOVE (RFC 6851).
#include <algorithm>
#include <unordered_set>

#include "imap/encoding.h"
#include "imap_session.h"
#include "log/log.h"

namespace parley::imapd {

Reply ImapSession::cmd_store(const imap::Command& cmd) {
  if (view_->read_only) return Reply::no("[READ-ONLY] Mailbox is read-only");
  auto flags = parse_flags(cmd.store.flags);
  if (!flags) return Reply::bad(flags.error().detail);
  if (!store::may_change_flags(view_->rights, flags.value(), cmd.store.op == imap::StoreAction::Op::replace)) {
    return Reply::no("[NOPERM] You may not change these flags");
  }
  if (cmd.store.unchangedsince) enable_condstore();
  if (!valid_sequence(cmd.sequence, cmd.uid)) return Reply::bad("Invalid message sequence number");

  auto wanted = targets(cmd.sequence, cmd.uid);
  auto snap = server_.store().snapshot();
  if (!snap) return Reply::no("[UNAVAILABLE] Mail store unavailable");
  const std::string owner = view_->box.owner;
  const std::uint64_t id = view_->id;

  // UNCHANGEDSINCE: messages changed since are left alone and named in
  // [MODIFIED]. The check and the write are separate transactions; a
  // change between the two by another writer is not caught.
  std::vector<std::uint32_t> modified;           // as the client numbers them
  std::unordered_set<std::uint32_t> left_alone;  // their UIDs
  std::vector<std::uint32_t> kept;
  for (auto [seq, uid] : wanted) {
    if (cmd.store.unchangedsince) {
      auto m = snap->message(owner, id, uid);
      if (m && m->modseq > *cmd.store.unchangedsince) {
        modified.push_back(cmd.uid ? uid : seq);
        left_alone.insert(uid);
        continue;
      }
    }
    kept.push_back(uid);
  }
  std::vector<store::Message> changed;
  if (!kept.empty()) {
    const store::UidSet uids = to_uid_set(kept);
    store::FlagOp op = cmd.store.op == imap::StoreAction::Op::add      ? store::FlagOp::add
                       : cmd.store.op == imap::StoreAction::Op::remove ? store::FlagOp::remove
                                                                       : store::FlagOp::replace;
    auto done = server_.store().store_flags(owner, id, uids, op, flags.value());
    if (!done) {
      if (done.code() == Errc::invalid || done.code() == Errc::limit) return Reply::no("[LIMIT] " + done.error().detail);
      return Reply::no("[UNAVAILABLE] Mail store unavailable");
    }
    changed = std::move(done->messages);
    if (!changed.empty()) notify(owner, id);
  }
  std::vector<std::string> keywords;
  std::unordered_set<std::uint32_t> changed_uids;
  for (const auto& m : changed) {
    view_->own[m.uid] = m.modseq;
    changed_uids.insert(m.uid);
    keywords.insert(keywords.end(), m.flags.keywords.begin(), m.flags.keywords.end());
  }
  announce_keywords(keywords);

  // The new flags of every message named (changed or not), unless .SILENT;
  // with CONDSTORE, .SILENT still reports the new MODSEQs (RFC 7162 3.1.3).
  auto snap_after = server_.store().snapshot();
  bool expunged = false;
  for (auto [seq, uid] : wanted) {
    if (cmd.store.silent && !(condstore() && changed_uids.contains(uid))) continue;
    if (left_alone.contains(uid)) continue;
    auto m = snap_after ? snap_after->message(owner, id, uid) : Result<store::Message>(snap_after.error());
    if (!m) {
      expunged = true;
      continue;
    }
    std::string line = std::to_string(seq) + " FETCH (";
    if (!cmd.store.silent) line += "FLAGS " + flags_of(*m) + " ";
    if (cmd.uid) line += "UID " + std::to_string(uid) + " ";
    if (condstore()) line += "MODSEQ (" + std::to_string(m->modseq) + ") ";
    line.pop_back();
    untagged(line + ")");
  }
  (void)sync(cmd.uid);
  if (!modified.empty()) return Reply::ok("[MODIFIED " + imap::format_sequence_set(modified) + "] Conditional STORE failed for some");
  if (expunged) return Reply::ok("[EXPUNGEISSUED] Some messages were expunged");
  return Reply::ok();
}

Reply ImapSession::cmd_copy(const imap::Command& cmd, bool move) {
  auto dest = resolve(cmd.mailbox);
  if (!dest) return Reply::no("[TRYCREATE] " + dest.error().detail);
  if (move && (view_->read_only || !store::may_move_out(view_->rights))) {
    return Reply::no("[NOPERM] You may not move messages out of this mailbox");
  }
  auto target = store::find(server_.store(), viewer(), *dest);
  if (!target) return Reply::no(target.code() == Errc::not_found ? "[TRYCREATE] No such mailbox" : "[UNAVAILABLE] Mail store unavailable");
  if (!store::has_right(target->rights, store::right::insert)) return Reply::no("[NOPERM] You may not add messages there");
  if (!valid_sequence(cmd.sequence, cmd.uid)) return Reply::bad("Invalid message sequence number");
  auto wanted = targets(cmd.sequence, cmd.uid);
  if (wanted.empty()) {
    (void)sync(true);
    return cmd.uid ? Reply::ok("No messages") : Reply::bad("No such messages");
  }
  std::vector<std::uint32_t> named;
  for (auto [seq, uid] : wanted) named.push_back(uid);
  const store::UidSet uids = to_uid_set(named);
  if (dest->owner != view_->box.owner) return Reply::no("[CANNOT] Messages cannot be copied between accounts yet");
  auto done = move ? server_.store().move(view_->box.owner, view_->id, uids, target->box.id)
                   : server_.store().copy(view_->box.owner, view_->id, uids, target->box.id, limits_for(dest->owner));
  if (!done) {
    if (done.code() == Errc::limit) return Reply::no("[OVERQUOTA] Quota exceeded");
    if (done.code() == Errc::not_found) return Reply::no("[TRYCREATE] No such mailbox");
    return Reply::no("[UNAVAILABLE] Mail store unavailable");
  }
  notify(dest->owner, target->box.id);
  if (move) notify(view_->box.owner, view_->id);
  std::string code;
  if (!done->uids.empty()) {
    // Runs where both sides go up by one are written as ranges.
    std::string from, to;
    const auto& p = done->uids;
    for (std::size_t i = 0; i < p.size();) {
      std::size_t j = i;
      while (j + 1 < p.size() && p[j + 1].first == p[j].first + 1 && p[j + 1].second == p[j].second + 1) ++j;
      auto range = [&](std::uint32_t a, std::uint32_t b) { return a == b ? std::to_string(a) : std::to_string(a) + ":" + std::to_string(b); };
      from += (from.empty() ? "" : ",") + range(p[i].first, p[j].first);
      to += (to.empty() ? "" : ",") + range(p[i].second, p[j].second);
      i = j + 1;
    }
    code = "[COPYUID " + std::to_string(done->uidvalidity) + " " + from + " " + to + "] ";
  }
  if (move) {
    // RFC 6851 4.3: COPYUID in an untagged OK before the expunges.
    if (!code.empty()) untagged("OK " + code + "Moved");
    (void)sync(true);
    return Reply::ok("MOVE completed");
  }
  (void)sync(true);
  return Reply::ok(code + "COPY completed");
}

}  // namespace parley::imapd
