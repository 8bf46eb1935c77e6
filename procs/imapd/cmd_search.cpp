// SEARCH (RFC 9051 6.4.4, ESEARCH RFC 4731, SEARCHRES RFC 5182, MODSEQ
// RFC 7162), SORT and THREAD (RFC 5256, SORT=DISPLAY RFC 5957). Keys are
// evaluated by imap::matches over the store's records; bodies are read
// (through the server's cache) only for keys that need them.
#include <algorithm>
#include <ctime>

#include "imap/encoding.h"
#include "imap/search.h"
#include "imap/thread.h"
#include "imap_session.h"
#include "mail/date.h"
#include "mail/headers.h"
#include "mime/mime.h"

namespace parley::imapd {
namespace {

// One stored message as SEARCH sees it.
class Candidate final : public imap::SearchMessage {
 public:
  Candidate(Server& server, std::uint32_t seq, const store::Message& m, bool recent = false)
      : server_(server), seq_(seq), m_(m), recent_(recent) {}
  bool recent() const override { return recent_; }
  std::uint32_t seq() const override { return seq_; }
  std::uint32_t uid() const override { return m_.uid; }
  std::uint32_t system_flags() const override { return m_.flags.system; }
  const std::vector<std::string>& keywords() const override { return m_.flags.keywords; }
  std::uint64_t size() const override { return m_.size; }
  std::int64_t internal_date_ms() const override { return m_.internal_date_ms; }
  std::uint64_t modseq() const override { return m_.modseq; }
  const std::string* raw() override {
    load();
    return cached_ ? &cached_->raw : nullptr;
  }
  const mime::Part* part() override {
    load();
    return cached_ ? cached_->tree() : nullptr;
  }
  // The body was looked for and is no longer in the store.
  bool body_gone() const { return tried_ && !cached_ && missing_; }
  std::string_view header() {
    const mime::Part* p = part();
    return p ? std::string_view(cached_->raw).substr(p->header.offset, p->header.length) : std::string_view{};
  }

 private:
  void load() {
    if (tried_) return;
    tried_ = true;
    auto got = server_.message(m_.body_id);
    if (got) cached_ = got.value();
    else missing_ = got.code() == Errc::not_found;
  }
  Server& server_;
  std::uint32_t seq_;
  const store::Message& m_;
  bool recent_;
  bool tried_ = false;
  bool missing_ = false;
  std::shared_ptr<CachedMessage> cached_;
};

// Whether a sequence or UID set that `key` requires (itself, or one of the
// keys of an AND) leaves this message out: then its having been expunged
// does not change the answer.
bool ruled_out(const imap::SearchKey& key, std::uint32_t seq, std::uint32_t uid, const imap::SearchContext& ctx) {
  using Kind = imap::SearchKey::Kind;
  switch (key.kind) {
    case Kind::sequence:
    case Kind::uid: {
      if (key.set.saved) return !(ctx.saved && std::binary_search(ctx.saved->begin(), ctx.saved->end(), uid));
      if (key.kind == Kind::sequence) return !key.set.contains(seq, ctx.max_seq);
      return !key.set.contains(uid, ctx.max_uid);
    }
    case Kind::and_:
      return std::any_of(key.children.begin(), key.children.end(),
                         [&](const imap::SearchKey& k) { return ruled_out(k, seq, uid, ctx); });
    default:
      return false;
  }
}

bool uses_modseq(const imap::SearchKey& key) {
  if (key.kind == imap::SearchKey::Kind::modseq) return true;
  return std::any_of(key.children.begin(), key.children.end(), uses_modseq);
}

// The first address of a field: its local part, and its display form
// (RFC 5957: the decoded display name, else the address).
void first_address(std::string_view header, std::string_view field, std::string& mailbox, std::string* display) {
  auto value = mail::header(header, field);
  if (!value) return;
  // A group's name is its first address (RFC 5256 2.1: the envelope's).
  for (const auto& a : mime::parse_addresses(*value)) {
    if (a.group_end()) continue;
    mailbox = a.mailbox.value_or("");
    if (display) {
      if (a.name_utf8 && !a.name_utf8->empty()) *display = *a.name_utf8;
      else *display = mailbox + (a.host ? "@" + *a.host : "");
    }
    return;
  }
}

std::int64_t sent_date(std::string_view header, const store::Message& m) {
  auto value = mail::header(header, "Date");
  auto date = value ? mail::parse_rfc5322_date(*value) : std::nullopt;
  return date ? date->unix_time : m.internal_date_ms / 1000;
}

std::string decoded_subject(std::string_view header) {
  auto value = mail::header(header, "Subject");
  return value ? mime::decode_words(*value) : "";
}

}  // namespace

Reply ImapSession::cmd_search(const imap::Command& cmd) {
  const std::string owner = view_->box.owner;
  if (uses_modseq(cmd.search)) enable_condstore();
  auto snap = server_.store().snapshot();
  if (!snap) return Reply::no("[UNAVAILABLE] Mail store unavailable");
  auto list = snap->messages(owner, view_->id);
  if (!list) return Reply::no("[UNAVAILABLE] Mail store unavailable");

  imap::SearchContext ctx;
  ctx.max_seq = static_cast<std::uint32_t>(view_->uids.size());
  ctx.max_uid = view_->uids.empty() ? 0 : view_->uids.back();
  ctx.saved = &view_->saved;
  ctx.now = std::time(nullptr);

  // Matching messages, in mailbox order: (seq, record). A message the
  // client still numbers but another session expunged cannot be searched:
  // unless the key's sequence or UID set leaves it out, the answer ends
  // OK [EXPUNGEISSUED] (RFC 5530), as FETCH's does.
  std::vector<std::pair<std::uint32_t, const store::Message*>> hits;
  bool expunged = false;
  std::size_t j = 0;
  for (std::size_t i = 0; i < view_->uids.size(); ++i) {
    std::uint32_t uid = view_->uids[i];
    while (j < list->size() && (*list)[j].uid < uid) ++j;
    if (j == list->size() || (*list)[j].uid != uid) {  // expunged, not yet reported
      if (!ruled_out(cmd.search, static_cast<std::uint32_t>(i + 1), uid, ctx)) expunged = true;
      continue;
    }
    Candidate c(server_, static_cast<std::uint32_t>(i + 1), (*list)[j], !rev2_ && view_->is_recent(uid));
    if (imap::matches(cmd.search, c, ctx)) hits.emplace_back(static_cast<std::uint32_t>(i + 1), &(*list)[j]);
    // The body was removed after the snapshot was taken: expunged meanwhile.
    if (c.body_gone()) expunged = true;
  }
  const auto done = [&expunged] {
    return expunged ? Reply::ok("[EXPUNGEISSUED] Some messages were expunged") : Reply::ok();
  };
  auto id_of = [&](const auto& hit) { return cmd.uid ? hit.second->uid : hit.first; };
  std::uint64_t max_modseq = 0;
  for (const auto& h : hits) max_modseq = std::max(max_modseq, h.second->modseq);

  std::vector<std::uint32_t> ids;
  if (cmd.verb == imap::Verb::thread) {
    std::vector<imap::ThreadMessage> msgs;
    for (const auto& h : hits) {
      Candidate c(server_, h.first, *h.second);
      std::string_view header = c.header();
      if (c.body_gone()) expunged = true;
      imap::ThreadMessage t;
      t.id = id_of(h);
      t.uid = h.second->uid;
      t.sent = sent_date(header, *h.second);
      t.subject = decoded_subject(header);
      auto mid = mail::header(header, "Message-ID");
      auto ids_of = mid ? imap::parse_msg_ids(*mid) : std::vector<std::string>{};
      if (!ids_of.empty()) t.message_id = ids_of.front();
      auto refs = mail::header(header, "References");
      if (refs) t.references = imap::parse_msg_ids(*refs);
      if (t.references.empty()) {
        auto irt = mail::header(header, "In-Reply-To");
        auto parents = irt ? imap::parse_msg_ids(*irt) : std::vector<std::string>{};
        if (!parents.empty()) t.references.push_back(parents.front());
      }
      msgs.push_back(std::move(t));
    }
    auto forest = cmd.thread_algorithm == "REFERENCES" ? imap::thread_references(std::move(msgs))
                                                       : imap::thread_orderedsubject(std::move(msgs));
    std::string text = imap::format_threads(forest);
    untagged(text.empty() ? "THREAD" : "THREAD " + text);
    (void)sync(cmd.uid);
    return done();
  }
  if (cmd.verb == imap::Verb::sort) {
    std::vector<imap::SortMessage> msgs;
    auto needs = [&](imap::SortKey k) {
      return std::any_of(cmd.sort.begin(), cmd.sort.end(), [&](const auto& c) { return c.key == k; });
    };
    const bool headers = std::any_of(cmd.sort.begin(), cmd.sort.end(),
                                      [](const auto& c) { return c.key != imap::SortKey::arrival && c.key != imap::SortKey::size; });
    for (const auto& h : hits) {
      imap::SortMessage s;
      s.id = id_of(h);
      s.uid = h.second->uid;
      s.arrival_ms = h.second->internal_date_ms;
      s.size = h.second->size;
      s.sent = h.second->internal_date_ms / 1000;
      if (headers) {
        Candidate c(server_, h.first, *h.second);
        std::string_view header = c.header();
        if (c.body_gone()) expunged = true;
        if (needs(imap::SortKey::date)) s.sent = sent_date(header, *h.second);
        if (needs(imap::SortKey::subject)) s.subject = decoded_subject(header);
        first_address(header, "From", s.from, needs(imap::SortKey::display_from) ? &s.display_from : nullptr);
        first_address(header, "To", s.to, needs(imap::SortKey::display_to) ? &s.display_to : nullptr);
        first_address(header, "Cc", s.cc, nullptr);
      }
      msgs.push_back(std::move(s));
    }
    ids = imap::sort_messages(std::move(msgs), cmd.sort);
  } else {
    for (const auto& h : hits) ids.push_back(id_of(h));
  }

  const imap::SearchReturn& ret = cmd.search_return;
  if (ret.save) {
    view_->saved.clear();
    for (const auto& h : hits) view_->saved.push_back(h.second->uid);
  }
  const bool only_save = ret.save && !ret.min && !ret.max && !ret.all && !ret.count;
  if (ret.requested && !only_save) {
    // ESEARCH (RFC 4731); RETURN () means ALL.
    bool all = ret.all || (!ret.min && !ret.max && !ret.count);
    std::string line = "ESEARCH (TAG " + imap::encode_string(cmd.tag) + ")";
    if (cmd.uid) line += " UID";
    if (!ids.empty()) {
      auto [lo, hi] = std::minmax_element(ids.begin(), ids.end());
      if (ret.min) line += " MIN " + std::to_string(*lo);
      if (ret.max) line += " MAX " + std::to_string(*hi);
      if (all) line += " ALL " + imap::format_sequence_set(ids);
    }
    if (ret.count) line += " COUNT " + std::to_string(ids.size());
    if (!ids.empty() && uses_modseq(cmd.search)) {
      // With only MIN and/or MAX, MODSEQ is that of the messages returned (RFC 7162 3.1.5).
      if (!all && !ret.count) {
        auto [lo, hi] = std::minmax_element(ids.begin(), ids.end());
        max_modseq = 0;
        for (const auto& h : hits) {
          if ((ret.min && id_of(h) == *lo) || (ret.max && id_of(h) == *hi)) max_modseq = std::max(max_modseq, h.second->modseq);
        }
      }
      line += " MODSEQ " + std::to_string(max_modseq);
    }
    untagged(line);
  } else if (!ret.requested) {
    std::string line = cmd.verb == imap::Verb::sort ? "SORT" : "SEARCH";
    for (std::uint32_t id : ids) line += " " + std::to_string(id);
    if (!ids.empty() && uses_modseq(cmd.search)) line += " (MODSEQ " + std::to_string(max_modseq) + ")";
    untagged(line);
  }
  (void)sync(cmd.uid);
  return done();
}

}  // namespace parley::imapd
