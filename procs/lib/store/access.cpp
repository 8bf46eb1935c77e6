// Mailbox names and a viewer's rights (access.h).
#include "store/access.h"

#include <algorithm>
#include <utility>

#include "core/ascii.h"

namespace parley::store {
namespace {

// "inbox/x" -> "INBOX/x": INBOX is case-insensitive in every namespace.
std::string with_inbox(std::string_view name) {
  if (ascii_lower(name.substr(0, name.find(kDelimiter))) == "inbox") return "INBOX" + std::string(name.substr(5));
  return std::string(name);
}

// Every right, whatever the ACL: one's own mailboxes, and the public ones
// for a public administrator.
bool holds_all(const Viewer& viewer, std::string_view owner) {
  return owner == viewer.account || (owner == kPublicAccount && viewer.public_admin);
}

bool has_any(std::string_view rights, std::string_view letters) {
  return rights.find_first_of(letters) != std::string_view::npos;
}

}  // namespace

Viewer viewer_of(std::string account, const std::vector<std::string>& public_admins) {
  const bool admin = std::find(public_admins.begin(), public_admins.end(), account) != public_admins.end();
  return Viewer{std::move(account), admin};
}

Result<MailboxRef> resolve(const Viewer& viewer, std::string_view client) {
  MailboxRef ref;
  ref.client = std::string(client);
  std::string_view rest;
  if (client.starts_with(kOtherUsersPrefix)) {
    const auto slash = client.find(kDelimiter);
    if (slash == std::string_view::npos || slash == kOtherUsersPrefix.size() || slash + 1 == client.size()) {
      return fail(Errc::syntax, "another user's mailbox is ~OWNER/NAME");
    }
    ref.owner = ascii_lower(client.substr(kOtherUsersPrefix.size(), slash - kOtherUsersPrefix.size()));
    rest = client.substr(slash + 1);
  } else if (client.starts_with(kPublicPrefix)) {
    ref.owner = std::string(kPublicAccount);
    rest = client.substr(kPublicPrefix.size());
  } else {
    ref.owner = viewer.account;
    ref.name = std::string(client);
    return ref;
  }
  ref.name = with_inbox(rest);
  if (ref.owner == viewer.account) ref.client = ref.name;  // "~me/x" is just "x"
  return ref;
}

MailboxRef ref_for(const Viewer& viewer, std::string owner, std::string name) {
  std::string client;
  if (owner == viewer.account) client = name;
  else if (owner == kPublicAccount) client = std::string(kPublicPrefix) + name;
  else client = std::string(kOtherUsersPrefix) + owner + kDelimiter + name;
  return MailboxRef{std::move(owner), std::move(name), std::move(client)};
}

std::string rights(const Snapshot& snap, const Viewer& viewer, std::string_view owner, std::uint64_t mailbox_id) {
  if (holds_all(viewer, owner)) return std::string(kAllRights);
  auto r = snap.rights(viewer.account, owner, mailbox_id);
  return r ? std::move(r.value()) : std::string();
}

bool may_modify(std::string_view rights) {
  constexpr char kModifying[] = {right::seen, right::write, right::insert, right::delete_message, right::expunge};
  return has_any(rights, std::string_view(kModifying, sizeof kModifying));
}

bool may_change_flags(std::string_view rights, const Flags& flags, bool replace) {
  if (replace) {
    constexpr char kFlagRights[] = {right::seen, right::write, right::delete_message};
    return has_any(rights, std::string_view(kFlagRights, sizeof kFlagRights));
  }
  const bool other = (flags.system & ~(kSeen | kDeleted)) != 0 || !flags.keywords.empty();
  return (!(flags.system & kSeen) || has_right(rights, right::seen)) &&
         (!(flags.system & kDeleted) || has_right(rights, right::delete_message)) &&
         (!other || has_right(rights, right::write));
}

bool may_move_out(std::string_view rights) {
  return has_right(rights, right::expunge) && has_right(rights, right::delete_message);
}

Result<Found> find(const Snapshot& snap, const Viewer& viewer, MailboxRef ref) {
  auto box = snap.mailbox(ref.owner, ref.name);
  if (!box) return box.error();
  std::string r = rights(snap, viewer, ref.owner, box->id);
  return Found{std::move(ref), std::move(box.value()), std::move(r)};
}

Result<Found> find(const Store& store, const Viewer& viewer, MailboxRef ref) {
  auto snap = store.snapshot();
  if (!snap) return snap.error();
  return find(*snap, viewer, std::move(ref));
}

Result<Found> open(const Snapshot& snap, const Viewer& viewer, std::string_view client_name, char right) {
  auto ref = resolve(viewer, client_name);
  if (!ref) return ref.error();
  auto found = find(snap, viewer, std::move(ref.value()));
  if (!found) return found;
  if (!has_right(found->rights, right::lookup)) return fail(Errc::not_found, "no such mailbox");
  if (!has_right(found->rights, right)) return fail(Errc::denied, std::string("right ") + right + " missing");
  return found;
}

bool may_create(const Store& store, const Viewer& viewer, const MailboxRef& ref) {
  if (holds_all(viewer, ref.owner)) return true;
  const auto slash = ref.name.rfind(kDelimiter);
  if (slash == std::string::npos) return false;
  auto snap = store.snapshot();
  if (!snap) return false;
  auto parent = snap->mailbox(ref.owner, ref.name.substr(0, slash));
  return parent && has_right(rights(*snap, viewer, ref.owner, parent->id), right::create);
}

}  // namespace parley::store
