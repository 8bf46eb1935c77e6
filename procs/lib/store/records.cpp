// Keys, names, flags and record validation for the mail store.
#include <algorithm>
#include <cctype>

#include "core/utf8.h"
#include "store/internal.h"

namespace parley::store {
namespace {

bool iequals_ascii(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

bool has_control(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7f;
  });
}

// RFC 9051 atom-specials and the flag prefix: what a keyword may not hold.
bool valid_keyword(std::string_view k) {
  if (k.empty() || k.size() > kMaxKeyword) return false;
  for (char c : k) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f) return false;
    if (std::string_view("(){%*\"\\]").find(c) != std::string_view::npos) return false;
  }
  return true;
}

bool contains_keyword(const std::vector<std::string>& list, std::string_view k) {
  return std::any_of(list.begin(), list.end(), [&](const std::string& x) { return iequals_ascii(x, k); });
}

Error corrupt(std::string_view what) { return fail(Errc::internal, "corrupt " + std::string(what) + " record"); }

template <class R>
Result<R> parse(std::string_view value, std::string_view what) {
  R r;
  if (!r.ParseFromArray(value.data(), static_cast<int>(value.size()))) return corrupt(what);
  return r;
}

}  // namespace

std::string be64(std::uint64_t v) {
  std::string s(8, '\0');
  for (int i = 7; i >= 0; --i, v >>= 8) s[static_cast<std::size_t>(i)] = static_cast<char>(v & 0xff);
  return s;
}

std::string be32(std::uint32_t v) {
  std::string s(4, '\0');
  for (int i = 3; i >= 0; --i, v >>= 8) s[static_cast<std::size_t>(i)] = static_cast<char>(v & 0xff);
  return s;
}

std::uint64_t read_be64(std::string_view s) {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(s[static_cast<std::size_t>(i)]);
  return v;
}

std::uint32_t read_be32(std::string_view s) {
  std::uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<unsigned char>(s[static_cast<std::size_t>(i)]);
  return v;
}

std::string name_key(std::string_view account, std::string_view name) {
  std::string k;
  k.reserve(account.size() + 1 + name.size());
  k.append(account);
  k.push_back('\0');
  k.append(name);
  return k;
}

std::string_view special_use_name(SpecialUse use) {
  switch (use) {
    case SpecialUse::none: return "";
    case SpecialUse::drafts: return "\\Drafts";
    case SpecialUse::sent: return "\\Sent";
    case SpecialUse::trash: return "\\Trash";
    case SpecialUse::junk: return "\\Junk";
    case SpecialUse::archive: return "\\Archive";
  }
  return "";
}

Status check_account(std::string_view account) {
  if (account.empty() || account.size() > kMaxAccount) return fail(Errc::invalid, "account name length");
  if (has_control(account) || !valid_utf8(account)) return fail(Errc::invalid, "account name characters");
  // Accounts are addresses; "#..." is reserved for the store's own
  // accounts, of which "#public" (the public namespace) is the only one,
  // and the ACL's special identifiers name no account.
  if (account.front() == '#' && account != kPublicAccount) return fail(Errc::invalid, "reserved account name");
  if (iequals_ascii(account, kAnyone) || iequals_ascii(account, kAuthenticated)) {
    return fail(Errc::invalid, "reserved account name");
  }
  return {};
}

Status check_user(std::string_view user) {
  if (auto s = check_account(user); !s) return s;
  // "#public" never logs in; a leading "-" would read as a negative right.
  if (user == kPublicAccount || user.front() == '-') return fail(Errc::invalid, "ACL identifier");
  return {};
}

Result<std::string> normalize_identifier(std::string_view identifier) {
  std::string out;
  std::string_view rest = identifier;
  if (rest.starts_with('-')) {
    out.push_back('-');
    rest.remove_prefix(1);
  }
  if (iequals_ascii(rest, kAnyone)) return out.append(kAnyone);
  if (iequals_ascii(rest, kAuthenticated)) return out.append(kAuthenticated);
  if (rest.empty()) return fail(Errc::invalid, "ACL identifier");
  if (auto s = check_user(rest); !s) return s.error();
  return out.append(rest);
}

Result<std::string> normalize_rights(std::string_view rights) {
  std::string out;
  for (char c : rights) {
    if (kAllRights.find(c) == std::string_view::npos) return fail(Errc::invalid, "ACL right");
  }
  for (char c : kAllRights) {
    if (rights.find(c) != std::string_view::npos) out.push_back(c);
  }
  return out;
}

Result<std::string> normalize_mailbox(std::string_view name) {
  if (name.empty() || name.size() > kMaxMailboxName) return fail(Errc::invalid, "mailbox name length");
  if (has_control(name) || !valid_utf8(name)) return fail(Errc::invalid, "mailbox name characters");
  // LIST wildcards never name a mailbox; empty hierarchy levels are refused.
  if (name.find_first_of("*%") != std::string_view::npos) return fail(Errc::invalid, "wildcard in mailbox name");
  if (name.front() == '/' || name.back() == '/' || name.find("//") != std::string_view::npos) {
    return fail(Errc::invalid, "empty mailbox name level");
  }
  std::string out(name);
  std::size_t first_end = std::min(out.find('/'), out.size());
  if (iequals_ascii(std::string_view(out).substr(0, first_end), "INBOX")) out.replace(0, first_end, "INBOX");
  return out;
}

Status check_dedup_key(std::string_view key) {
  if (key.empty() || key.size() > kMaxDedupKey) return fail(Errc::invalid, "dedup key length");
  return {};
}

Result<Flags> normalize_flags(const Flags& flags) {
  if ((flags.system & ~kAllSystemFlags) != 0) return fail(Errc::invalid, "unknown system flag");
  Flags out;
  out.system = flags.system;
  for (const auto& k : flags.keywords) {
    if (!valid_keyword(k)) return fail(Errc::invalid, "keyword");
    if (!contains_keyword(out.keywords, k)) out.keywords.push_back(k);
  }
  if (out.keywords.size() > kMaxKeywords) return fail(Errc::limit, "too many keywords");
  return out;
}

bool same_flags(const Flags& a, const Flags& b) {
  if (a.system != b.system || a.keywords.size() != b.keywords.size()) return false;
  return std::all_of(a.keywords.begin(), a.keywords.end(),
                     [&](const std::string& k) { return contains_keyword(b.keywords, k); });
}

Flags apply_flags(const Flags& current, FlagOp op, const Flags& change) {
  switch (op) {
    case FlagOp::replace: return change;
    case FlagOp::add: {
      Flags out = current;
      out.system |= change.system;
      for (const auto& k : change.keywords) {
        if (!contains_keyword(out.keywords, k)) out.keywords.push_back(k);
      }
      return out;
    }
    case FlagOp::remove: {
      Flags out;
      out.system = current.system & ~change.system;
      for (const auto& k : current.keywords) {
        if (!contains_keyword(change.keywords, k)) out.keywords.push_back(k);
      }
      return out;
    }
  }
  return current;
}

Result<UidSet> normalize_uids(const UidSet& uids) {
  UidSet sorted;
  sorted.reserve(uids.size());
  for (auto r : uids) {
    if (r.first > r.last) std::swap(r.first, r.last);
    if (r.first == 0) return fail(Errc::invalid, "UID 0");
    sorted.push_back(r);
  }
  std::sort(sorted.begin(), sorted.end(), [](const UidRange& a, const UidRange& b) { return a.first < b.first; });
  UidSet merged;
  for (const auto& r : sorted) {
    if (!merged.empty() && (merged.back().last == UINT32_MAX || r.first <= merged.back().last + 1)) {
      merged.back().last = std::max(merged.back().last, r.last);
    } else {
      merged.push_back(r);
    }
  }
  return merged;
}

bool valid_body_id(std::string_view id) {
  return id.size() == 32 &&
         std::all_of(id.begin(), id.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

Result<schema::StoreMailbox> parse_mailbox(std::string_view value, std::uint64_t id) {
  auto r = parse<schema::StoreMailbox>(value, "mailbox");
  if (!r) return r;
  const auto& m = *r;
  if (m.id() != id || m.name().empty() || m.name().size() > kMaxMailboxName || m.account().empty() ||
      m.uidnext() == 0 || m.uidvalidity() == 0 || !schema::SpecialUse_IsValid(m.special_use()) ||
      m.unseen() > m.messages()) {
    return corrupt("mailbox");
  }
  return r;
}

Result<schema::StoreMessage> parse_message(std::string_view value, std::uint32_t uid) {
  auto r = parse<schema::StoreMessage>(value, "message");
  if (!r) return r;
  const auto& m = *r;
  if (m.uid() != uid || !valid_body_id(m.body_id()) || (m.flags() & ~kAllSystemFlags) != 0 ||
      static_cast<std::size_t>(m.keywords_size()) > kMaxKeywords ||
      !std::all_of(m.keywords().begin(), m.keywords().end(), [](const std::string& k) { return valid_keyword(k); })) {
    return corrupt("message");
  }
  return r;
}

Result<schema::StoreAccount> parse_account(std::string_view value) {
  return parse<schema::StoreAccount>(value, "account");
}

Result<schema::StoreBody> parse_body(std::string_view value) {
  auto r = parse<schema::StoreBody>(value, "body");
  if (r && r->refs() == 0) return corrupt("body");
  return r;
}

Result<schema::StoreDedup> parse_dedup(std::string_view value) {
  auto r = parse<schema::StoreDedup>(value, "dedup");
  if (r && (r->uid() == 0 || !valid_body_id(r->body_id()))) return corrupt("dedup");
  return r;
}

Result<schema::StoreMeta> parse_meta(std::string_view value) {
  auto r = parse<schema::StoreMeta>(value, "meta");
  if (r && (r->version() != kLayoutVersion || r->next_mailbox_id() == 0)) return corrupt("meta");
  return r;
}

Result<schema::StoreExpunged> parse_expunged(std::string_view value) {
  return parse<schema::StoreExpunged>(value, "expunged");
}

Result<schema::StoreAcl> parse_acl(std::string_view value) {
  auto r = parse<schema::StoreAcl>(value, "ACL");
  if (!r) return r;
  // Stored rights are never empty (an empty entry is removed) and always
  // in canonical order.
  auto rights = normalize_rights(r->rights());
  if (!rights || rights->empty() || *rights != r->rights()) return corrupt("ACL");
  return r;
}

Mailbox to_mailbox(const schema::StoreMailbox& r) {
  Mailbox m;
  m.id = r.id();
  m.name = r.name();
  m.uidvalidity = r.uidvalidity();
  m.uidnext = r.uidnext();
  m.highestmodseq = r.highestmodseq();
  m.messages = r.messages();
  m.unseen = r.unseen();
  m.size = r.size();
  m.special_use = static_cast<SpecialUse>(r.special_use());
  m.subscribed = r.subscribed();
  m.recent_uid = r.recent_uid();
  return m;
}

Flags flags_of(const schema::StoreMessage& r) {
  Flags f;
  f.system = r.flags();
  f.keywords.assign(r.keywords().begin(), r.keywords().end());
  return f;
}

void set_flags(schema::StoreMessage& r, const Flags& flags) {
  r.set_flags(flags.system);
  r.clear_keywords();
  for (const auto& k : flags.keywords) r.add_keywords(k);
}

Message to_message(const schema::StoreMessage& r) {
  Message m;
  m.uid = r.uid();
  m.body_id = r.body_id();
  m.size = r.size();
  m.internal_date_ms = r.internal_date_ms();
  m.flags = flags_of(r);
  m.modseq = r.modseq();
  return m;
}

std::string serialize(const google::protobuf::MessageLite& record) {
  std::string out;
  record.SerializeToString(&out);
  return out;
}

}  // namespace parley::store
