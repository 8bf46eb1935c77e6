// Mailbox names and rights as IMAP words them, and the commands that
// change mailboxes: CREATE (with USE, RFC 6154), DELETE, RENAME, SUBSCRIBE,
// UNSUBSCRIBE, APPEND (UIDPLUS APPENDUID, RFC 4315).
//
// Names (docs/access.md): the personal namespace is "" with "/" as the
// hierarchy delimiter; "~OWNER/NAME" is OWNER's mailbox NAME (other users'
// namespace, RFC 2342), "#public/NAME" a public mailbox (owner "#public").
// Resolving them and the rights checks are the store's (store/access.h);
// this file turns their outcomes into replies.
#include "core/ascii.h"
#include "imap_session.h"
#include "log/log.h"

namespace parley::imapd {
namespace {

// What a client reads for a name store::resolve() does not parse.
constexpr std::string_view kBadName = "Use ~user/mailbox for another user's mailbox";

Reply store_error(const Error& e, std::string_view what) {
  switch (e.code) {
    case Errc::not_found: return Reply::no("[NONEXISTENT] No such mailbox");
    case Errc::exists: return Reply::no("[ALREADYEXISTS] Mailbox exists");
    case Errc::invalid: return Reply::no("[CANNOT] " + std::string(what) + ": " + e.detail);
    case Errc::limit: return Reply::no("[LIMIT] " + std::string(what) + ": " + e.detail);
    default: return Reply::no("[UNAVAILABLE] Mail store unavailable");
  }
}

std::optional<store::SpecialUse> special_use(std::string_view flag) {
  std::string f = ascii_lower(flag);
  if (f == "\\drafts") return store::SpecialUse::drafts;
  if (f == "\\sent") return store::SpecialUse::sent;
  if (f == "\\trash") return store::SpecialUse::trash;
  if (f == "\\junk") return store::SpecialUse::junk;
  if (f == "\\archive") return store::SpecialUse::archive;
  return std::nullopt;
}

}  // namespace

store::Viewer ImapSession::viewer() const { return store::viewer_of(account_, settings_->public_admins); }

Result<MailboxRef> ImapSession::resolve(std::string_view client) const {
  auto ref = store::resolve(viewer(), client);
  if (!ref) return fail(ref.code(), std::string(kBadName));
  return ref;
}

store::QuotaLimits ImapSession::limits_for(const std::string& owner) const {
  // Only the logged-in account's quota is known here; a shared mailbox's
  // owner is checked by the store's own accounting at delivery.
  store::QuotaLimits limits;
  if (owner == account_) limits.bytes = quota_bytes_;
  return limits;
}

std::optional<Reply> ImapSession::open_readable(const store::Snapshot& snap, std::string_view name, Readable& out) const {
  auto found = store::open(snap, viewer(), name, store::right::read);
  if (!found) {
    switch (found.code()) {
      case Errc::syntax: return Reply::no("[NONEXISTENT] " + std::string(kBadName));
      // Without "l" the mailbox is not there for this user (RFC 4314 6).
      case Errc::not_found: return Reply::no("[NONEXISTENT] No such mailbox");
      case Errc::denied: return Reply::no("[NOPERM] You may not read this mailbox");
      default: return Reply::no("[UNAVAILABLE] Mail store unavailable");
    }
  }
  out = std::move(found.value());
  return std::nullopt;
}

void ImapSession::notify(const std::string& owner, std::uint64_t mailbox_id) { server_.changed(owner, mailbox_id); }

Reply ImapSession::cmd_create(const imap::Command& cmd) {
  std::string name = cmd.mailbox;
  while (!name.empty() && name.back() == '/') name.pop_back();  // "a/b/" asks for a parent to be
  auto ref = resolve(name);
  if (!ref) return Reply::no("[CANNOT] " + ref.error().detail);
  store::SpecialUse use = store::SpecialUse::none;
  for (const auto& flag : cmd.flags) {
    auto u = special_use(flag);
    if (!u || use != store::SpecialUse::none) return Reply::no("[USEATTR] Unsupported special-use attribute");
    use = *u;
  }
  if (!store::may_create(server_.store(), viewer(), *ref)) return Reply::no("[NOPERM] You may not create mailboxes there");
  // Superior names are created too (RFC 3501 6.3.3), those that exist left alone.
  for (auto slash = ref->name.find('/'); slash != std::string::npos; slash = ref->name.find('/', slash + 1)) {
    auto parent = server_.store().create_mailbox(ref->owner, ref->name.substr(0, slash));
    if (!parent && parent.code() != Errc::exists) return store_error(parent.error(), "CREATE");
  }
  auto made = server_.store().create_mailbox(ref->owner, ref->name, use);
  if (!made) {
    if (made.code() == Errc::exists) return Reply::no("[ALREADYEXISTS] Mailbox exists");
    return store_error(made.error(), "CREATE");
  }
  log::info("imap.mailbox.created", "mailbox created", {{"sid", sid_}, {"user", account_}, {"mailbox", ref->client}});
  return Reply::ok();
}

Reply ImapSession::cmd_delete(const imap::Command& cmd) {
  auto ref = resolve(cmd.mailbox);
  if (!ref) return Reply::no("[NONEXISTENT] " + ref.error().detail);
  auto found = store::find(server_.store(), viewer(), *ref);
  if (!found) return store_error(found.error(), "DELETE");
  if (!store::has_right(found->rights, store::right::delete_mailbox)) return Reply::no("[NOPERM] You may not delete this mailbox");
  if (ref->name == "INBOX") return Reply::no("[CANNOT] INBOX cannot be deleted");
  auto done = server_.store().delete_mailbox(ref->owner, ref->name);
  if (!done) return store_error(done.error(), "DELETE");
  notify(ref->owner, found->box.id);
  log::info("imap.mailbox.deleted", "mailbox deleted", {{"sid", sid_}, {"user", account_}, {"mailbox", ref->client}});
  return Reply::ok();
}

Reply ImapSession::cmd_rename(const imap::Command& cmd) {
  auto from = resolve(cmd.mailbox);
  auto to = resolve(cmd.new_name);
  if (!from || !to) return Reply::no("[NONEXISTENT] Bad mailbox name");
  if (from->owner != to->owner) return Reply::no("[CANNOT] Mailboxes cannot move between accounts");
  auto found = store::find(server_.store(), viewer(), *from);
  if (!found) return store_error(found.error(), "RENAME");
  if (!store::has_right(found->rights, store::right::delete_mailbox)) return Reply::no("[NOPERM] You may not rename this mailbox");
  auto done = server_.store().rename_mailbox(from->owner, from->name, to->name);
  if (!done) return store_error(done.error(), "RENAME");
  const std::uint64_t id = found->box.id;
  if (view_ && view_->id == id) view_->box = *to;
  notify(from->owner, id);
  // Renaming INBOX leaves a new, empty one: its watchers (message-summary)
  // hear of it too.
  if (found->box.name == "INBOX") {
    if (auto inbox = server_.store().mailbox(from->owner, "INBOX")) notify(from->owner, inbox->id);
  }
  log::info("imap.mailbox.renamed", "mailbox renamed", {{"sid", sid_}, {"user", account_}, {"mailbox", from->client}, {"to", to->client}});
  return Reply::ok();
}

Reply ImapSession::cmd_subscribe(const imap::Command& cmd, bool subscribe) {
  auto ref = resolve(cmd.mailbox);
  if (!ref) return Reply::no("[NONEXISTENT] " + ref.error().detail);
  if (!ref->personal()) return Reply::no("[CANNOT] Only your own mailboxes can be subscribed");
  auto done = server_.store().subscribe(ref->owner, ref->name, subscribe);
  if (!done) return store_error(done.error(), subscribe ? "SUBSCRIBE" : "UNSUBSCRIBE");
  return Reply::ok();
}

Result<store::Flags> parse_flags(const std::vector<std::string>& flags) {
  store::Flags out;
  for (const auto& f : flags) {
    if (!f.starts_with('\\')) {
      out.keywords.push_back(f);
      continue;
    }
    std::string l = ascii_lower(f);
    if (l == "\\seen") out.system |= store::kSeen;
    else if (l == "\\answered") out.system |= store::kAnswered;
    else if (l == "\\flagged") out.system |= store::kFlagged;
    else if (l == "\\deleted") out.system |= store::kDeleted;
    else if (l == "\\draft") out.system |= store::kDraft;
    else if (l == "\\recent") continue;  // not kept (IMAP4rev2); a rev1 client may still name it
    else return fail(Errc::invalid, "unknown system flag " + f);
  }
  return out;
}

Reply ImapSession::cmd_append(const imap::Command& cmd) {
  auto ref = resolve(cmd.mailbox);
  if (!ref) return Reply::no("[TRYCREATE] " + ref.error().detail);
  auto found = store::find(server_.store(), viewer(), *ref);
  if (!found) return found.code() == Errc::not_found ? Reply::no("[TRYCREATE] No such mailbox") : store_error(found.error(), "APPEND");
  if (!store::has_right(found->rights, store::right::insert)) return Reply::no("[NOPERM] You may not append here");
  auto flags = parse_flags(cmd.flags);
  if (!flags) return Reply::bad(flags.error().detail);
  if (cmd.message.empty()) return Reply::no("[CANNOT] Empty message");
  store::NewMessage m;
  m.account = ref->owner;
  m.mailbox = ref->name;
  m.body = cmd.message;
  m.flags = std::move(flags.value());
  if (cmd.internal_date) m.internal_date_ms = cmd.internal_date->unix_time * 1000;
  m.limits = limits_for(ref->owner);
  auto placed = server_.store().append(m);
  if (!placed) {
    if (placed.code() == Errc::limit) return Reply::no("[OVERQUOTA] Quota exceeded");
    if (placed.code() == Errc::not_found) return Reply::no("[TRYCREATE] No such mailbox");
    return store_error(placed.error(), "APPEND");
  }
  notify(ref->owner, placed->mailbox_id);
  return Reply::ok("[APPENDUID " + std::to_string(placed->uidvalidity) + " " + std::to_string(placed->uid) + "] APPEND completed");
}

}  // namespace parley::imapd
