// ACL (RFC 4314): SETACL, DELETEACL, GETACL, LISTRIGHTS, MYRIGHTS. The
// store keeps the entries and says who holds which rights (store/access.h):
// the owner of a mailbox implicitly holds every right, and so do the
// public namespace's administrators (imapd.public_admins) on #public/.
#include "core/ascii.h"
#include "imap/encoding.h"
#include "imap_session.h"
#include "log/log.h"

namespace parley::imapd {
namespace {

constexpr std::string_view kAllRights = store::kAllRights;

// The obsolete RFC 2086 letters (RFC 4314 2.1.1): c -> k x, d -> e t x.
std::string canonical_letters(std::string_view rights) {
  std::string out;
  for (char c : rights) {
    if (c == 'c') out += "kx";
    else if (c == 'd') out += "etx";
    else out += c;
  }
  return out;
}

}  // namespace

Reply ImapSession::cmd_acl(const imap::Command& cmd) {
  using imap::Verb;
  auto ref = resolve(cmd.mailbox);
  if (!ref) return Reply::no("[NONEXISTENT] " + ref.error().detail);
  auto snap = server_.store().snapshot();
  if (!snap) return Reply::no("[UNAVAILABLE] Mail store unavailable");
  auto found = store::find(*snap, viewer(), *ref);
  if (!found) return Reply::no("[NONEXISTENT] No such mailbox");
  const std::string& mine = found->rights;
  // Without "l" or any right, the mailbox does not exist for this user.
  if (mine.empty()) return Reply::no("[NONEXISTENT] No such mailbox");
  const std::string name = imap::format_mailbox(ref->client, utf8());

  if (cmd.verb == Verb::myrights) {
    untagged("MYRIGHTS " + name + " " + imap::encode_astring(mine));
    return Reply::ok();
  }
  if (!store::has_right(mine, store::right::administer)) return Reply::no("[NOPERM] You may not administer this mailbox");
  std::string identifier = cmd.identifier;
  if (identifier.find('@') != std::string::npos) identifier = ascii_lower(identifier);

  if (cmd.verb == Verb::listrights) {
    if (identifier == ref->owner) {
      untagged("LISTRIGHTS " + name + " " + imap::encode_astring(identifier) + " " + std::string(kAllRights));
    } else {
      std::string optional;
      for (char c : kAllRights) optional += std::string(" ") + c;
      untagged("LISTRIGHTS " + name + " " + imap::encode_astring(identifier) + " \"\"" + optional);
    }
    return Reply::ok();
  }
  if (cmd.verb == Verb::getacl) {
    auto acl = snap->acl(ref->owner, found->box.id);
    if (!acl) return Reply::no("[UNAVAILABLE] Mail store unavailable");
    std::string line = "ACL " + name + " " + imap::encode_astring(ref->owner) + " " + std::string(kAllRights);
    for (const auto& e : acl.value()) line += " " + imap::encode_astring(e.identifier) + " " + imap::encode_astring(e.rights);
    untagged(line);
    return Reply::ok();
  }
  if (identifier == ref->owner) return Reply::no("[CANNOT] The owner's rights cannot be changed");
  // SETACL's "+"/"-" are applied by the store in the same transaction that
  // reads the entry; DELETEACL is an empty replacement.
  std::string rights;
  if (cmd.verb == Verb::setacl) {
    std::string_view change = cmd.rights;
    if (!change.empty() && (change.front() == '+' || change.front() == '-')) {
      rights = change.front();
      change.remove_prefix(1);
    }
    std::string letters = canonical_letters(change);
    if (letters.find_first_not_of(kAllRights) != std::string::npos) return Reply::bad("Unknown right");
    rights += letters;
  }
  auto done = server_.store().set_acl(ref->owner, ref->name, identifier, rights);
  if (!done) {
    if (done.code() == Errc::invalid) return Reply::bad("Invalid identifier or rights");
    return Reply::no("[UNAVAILABLE] Mail store unavailable");
  }
  log::info("imap.acl.changed", "access rights changed",
            {{"sid", sid_}, {"user", account_}, {"mailbox", ref->client}, {"identifier", identifier}, {"rights", rights}});
  return Reply::ok();
}

}  // namespace parley::imapd
