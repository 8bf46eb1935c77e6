// LIST (RFC 9051 6.3.9 with LIST-EXTENDED RFC 5258, SPECIAL-USE RFC 6154,
// LIST-STATUS RFC 5819, CHILDREN), LSUB, STATUS (with SIZE RFC 8438,
// HIGHESTMODSEQ RFC 7162, APPENDLIMIT RFC 7889) and NAMESPACE (RFC 2342).
#include <algorithm>
#include <map>

#include "core/ascii.h"
#include "imap/encoding.h"
#include "imap_session.h"

namespace parley::imapd {
namespace {

// One name LIST may show.
struct Entry {
  bool exists = false;
  bool subscribed = false;
  bool children = false;
  bool subscribed_child = false;  // a descendant is subscribed (RECURSIVEMATCH)
  store::SpecialUse use = store::SpecialUse::none;
  MailboxRef ref;
  store::Mailbox box;
};

// "*" matches anything, "%" anything but the delimiter (RFC 9051 6.3.9).
// Dynamic programming over (pattern, name): no exponential backtracking.
bool wildcard_match(std::string_view pattern, std::string_view name) {
  std::vector<char> row(name.size() + 1, 0), next(name.size() + 1, 0);
  row[0] = 1;
  for (char p : pattern) {
    std::fill(next.begin(), next.end(), 0);
    if (p == '*' || p == '%') {
      char reach = 0;
      for (std::size_t j = 0; j <= name.size(); ++j) {
        reach = reach || row[j];
        next[j] = reach;
        if (j < name.size() && p == '%' && name[j] == '/') reach = 0;
      }
    } else {
      for (std::size_t j = 0; j < name.size(); ++j) next[j + 1] = row[j] && name[j] == p;
    }
    row.swap(next);
  }
  return row[name.size()];
}

// "inbox/x" patterns match "INBOX/x": INBOX is case-insensitive.
std::string normalize_pattern(std::string pattern) {
  if (pattern.size() >= 5 && ascii_lower(pattern.substr(0, 5)) == "inbox" && (pattern.size() == 5 || pattern[5] == '/')) {
    pattern.replace(0, 5, "INBOX");
  }
  return pattern;
}

}  // namespace

Reply ImapSession::cmd_namespace() {
  // Personal, other users', shared (RFC 2342): the store's namespaces (store/access.h).
  auto space = [](std::string_view prefix) {
    return "((\"" + std::string(prefix) + "\" \"" + std::string(1, store::kDelimiter) + "\"))";
  };
  untagged("NAMESPACE " + space("") + " " + space(store::kOtherUsersPrefix) + " " + space(store::kPublicPrefix));
  return Reply::ok();
}

Reply ImapSession::cmd_list(const imap::Command& cmd, bool lsub) {
  const imap::ListOptions& o = cmd.list;
  const bool extended = o.extended || rev2_;
  if (cmd.patterns.size() == 1 && cmd.patterns[0].empty() && !o.extended) {
    // The hierarchy delimiter and root (RFC 9051 6.3.9).
    untagged(std::string(lsub ? "LSUB" : "LIST") + " (\\Noselect) \"/\" \"\"");
    return Reply::ok();
  }
  auto snap = server_.store().snapshot();
  if (!snap) return Reply::no("[UNAVAILABLE] Mail store unavailable");
  auto own = snap->mailboxes(account_);
  if (!own) return Reply::no("[UNAVAILABLE] Mail store unavailable");

  std::map<std::string, Entry> names;  // client name -> entry (sorted)
  auto add = [&](MailboxRef ref, const store::Mailbox& box) {
    std::string client = ref.client;
    Entry& e = names[client];
    e.exists = true;
    e.subscribed = box.subscribed && ref.personal();
    e.use = box.special_use;
    e.ref = std::move(ref);
    e.box = box;
  };
  const store::Viewer me = viewer();
  for (const auto& box : own.value()) add(store::ref_for(me, account_, box.name), box);
  // Others' mailboxes this user may see ("l"), by the names it knows them by.
  auto granted = snap->granted(account_);
  if (granted) {
    for (const auto& g : granted.value()) add(store::ref_for(me, g.owner, g.mailbox.name), g.mailbox);
  }
  // Subscribed names without a mailbox (deleted, or never made).
  auto orphans = snap->orphan_subscriptions(account_);
  if (orphans) {
    for (const auto& name : orphans.value()) names[name].subscribed = true;
  }
  // Parents that do not exist themselves, and who has children.
  std::vector<std::string> existing;
  for (const auto& [name, e] : names) existing.push_back(name);
  for (const auto& name : existing) {
    const bool sub = names[name].subscribed;
    const bool real = names[name].exists;
    for (auto slash = name.rfind('/'); slash != std::string::npos && slash > 0; slash = name.rfind('/', slash - 1)) {
      Entry& parent = names[name.substr(0, slash)];
      if (real) parent.children = true;
      if (sub) parent.subscribed_child = true;
    }
  }

  std::vector<std::string> patterns;
  for (const auto& p : cmd.patterns) patterns.push_back(normalize_pattern(cmd.reference + p));
  const bool want_subscribed = lsub || o.select_subscribed;
  for (const auto& entry : names) {
    // Not a structured binding: clang 14 cannot capture one in the lambda.
    const std::string& name = entry.first;
    const Entry& e = entry.second;
    bool matched = std::any_of(patterns.begin(), patterns.end(), [&](const auto& p) { return wildcard_match(p, name); });
    if (!matched) continue;
    // Names that stand only for subscriptions are for subscription listings.
    if (!e.exists && !e.children && !want_subscribed) continue;
    bool childinfo = false;
    if (want_subscribed && !e.subscribed) {
      // RECURSIVEMATCH (RFC 5258 3.5) and LSUB's "%" parents: show a parent
      // of subscribed mailboxes as such.
      if (!e.subscribed_child) continue;
      if (lsub) {
        untagged("LSUB (\\Noselect) \"/\" " + imap::format_mailbox(name, utf8()));
        continue;
      }
      if (!o.select_recursivematch) continue;
      // Not when a subscribed descendant is listed through another pattern
      // the client gave (as Dovecot answers imaptest's listext).
      const std::string prefix = name + "/";
      bool elsewhere = false;
      for (auto it = names.upper_bound(prefix); it != names.end() && it->first.starts_with(prefix) && !elsewhere; ++it) {
        if (!it->second.subscribed) continue;
        for (const auto& p : patterns) {
          if (wildcard_match(p, it->first) && !wildcard_match(p, name)) elsewhere = true;
        }
      }
      if (elsewhere) continue;
      childinfo = true;
    }
    if (o.select_special_use && e.use == store::SpecialUse::none) continue;
    if (lsub) {
      untagged("LSUB () \"/\" " + imap::format_mailbox(name, utf8()));
      continue;
    }
    std::vector<std::string> attrs;
    if (!e.exists) attrs.push_back(extended ? "\\NonExistent" : "\\Noselect");
    if (e.exists || e.children) attrs.push_back(e.children ? "\\HasChildren" : "\\HasNoChildren");
    if (e.use != store::SpecialUse::none) attrs.emplace_back(store::special_use_name(e.use));
    if (e.subscribed && (o.return_subscribed || o.select_subscribed)) attrs.push_back("\\Subscribed");
    std::string line = "LIST (";
    for (std::size_t i = 0; i < attrs.size(); ++i) line += (i ? " " : "") + attrs[i];
    line += ") \"/\" " + imap::format_mailbox(name, utf8());
    if (childinfo) line += " (\"CHILDINFO\" (\"SUBSCRIBED\"))";
    untagged(line);
    if (o.return_status && e.exists) {
      auto items = status_items(*snap, e.ref, e.box, *o.return_status);
      if (items) untagged("STATUS " + imap::format_mailbox(name, utf8()) + " (" + *items + ")");
    }
  }
  return Reply::ok();
}

Result<std::string> ImapSession::status_items(const store::Snapshot& snap, const MailboxRef& ref, const store::Mailbox& box,
                                              const std::vector<imap::StatusItem>& items) const {
  std::string out;
  std::optional<std::uint32_t> deleted;
  for (auto item : items) {
    if (!out.empty()) out += ' ';
    using imap::StatusItem;
    switch (item) {
      case StatusItem::messages: out += "MESSAGES " + std::to_string(box.messages); break;
      case StatusItem::uidnext: out += "UIDNEXT " + std::to_string(box.uidnext); break;
      case StatusItem::uidvalidity: out += "UIDVALIDITY " + std::to_string(box.uidvalidity); break;
      case StatusItem::unseen: out += "UNSEEN " + std::to_string(box.unseen); break;
      case StatusItem::size: out += "SIZE " + std::to_string(box.size); break;
      case StatusItem::recent: {
        // What no session has had yet (IMAP4rev1 \Recent).
        auto fresh = snap.messages(ref.owner, box.id, box.recent_uid + 1);
        if (!fresh) return fresh.error();
        out += "RECENT " + std::to_string(fresh->size());
        break;
      }
      case StatusItem::highestmodseq: out += "HIGHESTMODSEQ " + std::to_string(box.highestmodseq); break;
      case StatusItem::appendlimit: out += "APPENDLIMIT " + std::to_string(imap::kMaxLiteral); break;
      case StatusItem::deleted:
        if (!deleted) {
          auto list = snap.messages(ref.owner, box.id);
          if (!list) return list.error();
          deleted = static_cast<std::uint32_t>(std::count_if(list->begin(), list->end(),
                                                             [](const auto& m) { return (m.flags.system & store::kDeleted) != 0; }));
        }
        out += "DELETED " + std::to_string(*deleted);
        break;
    }
  }
  return out;
}

Reply ImapSession::cmd_status(const imap::Command& cmd) {
  auto snap = server_.store().snapshot();
  if (!snap) return Reply::no("[UNAVAILABLE] Mail store unavailable");
  Readable r;
  if (auto refused = open_readable(*snap, cmd.mailbox, r)) return *refused;
  auto items = status_items(*snap, r.ref, r.box, cmd.status_items);
  if (!items) return Reply::no("[UNAVAILABLE] Mail store unavailable");
  untagged("STATUS " + imap::format_mailbox(r.ref.client, utf8()) + " (" + *items + ")");
  return Reply::ok();
}

}  // namespace parley::imapd
