// FETCH and UID FETCH (RFC 9051 6.4.5): flags, dates, sizes, ENVELOPE,
// BODY/BODYSTRUCTURE, BODY[section]<partial>, BINARY (RFC 3516), MODSEQ
// with CHANGEDSINCE and VANISHED (RFC 7162). Message text comes from the
// server's parsed-message cache; sections are served from the stored bytes.
#include <algorithm>

#include "imap/encoding.h"
#include "imap_session.h"
#include "log/log.h"
#include "mime/mime.h"

namespace parley::imapd {
namespace {

constexpr std::size_t kFlushAt = 1u << 20;  // send what we have past this many bytes

// The section text between the brackets, as the client wrote it (and as
// mime::find_section reads it).
std::string section_spec(const imap::Section& s) {
  std::string out;
  for (std::uint32_t n : s.part) {
    if (!out.empty()) out += '.';
    out += std::to_string(n);
  }
  auto text = [&](std::string_view t) {
    if (!out.empty()) out += '.';
    out += t;
  };
  using T = imap::Section::Text;
  switch (s.text) {
    case T::none: break;
    case T::header: text("HEADER"); break;
    case T::text: text("TEXT"); break;
    case T::mime: text("MIME"); break;
    case T::header_fields:
    case T::header_fields_not: {
      text(s.text == T::header_fields ? "HEADER.FIELDS (" : "HEADER.FIELDS.NOT (");
      for (std::size_t i = 0; i < s.fields.size(); ++i) out += (i ? " " : "") + imap::encode_astring(s.fields[i]);
      out += ')';
      break;
    }
  }
  return out;
}

std::string_view partial(std::string_view data, const std::optional<imap::Partial>& p) {
  if (!p) return data;
  if (p->offset >= data.size()) return {};
  return data.substr(p->offset, p->length);
}

std::string origin(const std::optional<imap::Partial>& p) { return p ? "<" + std::to_string(p->offset) + ">" : ""; }

// The part that numbers `nums` name (RFC 9051 6.4.5 section numbers).
const mime::Part* find_part(const mime::Part& root, const std::vector<std::uint32_t>& nums) {
  const mime::Part* p = &root;
  for (std::size_t i = 0; i < nums.size(); ++i) {
    if (p->multipart()) {
      if (nums[i] < 1 || nums[i] > p->children.size()) return nullptr;
      p = &p->children[nums[i] - 1];
    } else if (nums[i] != 1) {
      return nullptr;
    }
    if (i + 1 < nums.size() && p->message()) p = &p->children[0];
  }
  return p;
}

bool sets_seen(const imap::FetchAtt& a) {
  using I = imap::FetchAtt::Item;
  return ((a.item == I::body_section || a.item == I::binary) && !a.peek) || a.item == I::rfc822 || a.item == I::rfc822_text;
}

bool needs_text(const imap::FetchAtt& a) {
  using I = imap::FetchAtt::Item;
  switch (a.item) {
    case I::flags:
    case I::internaldate:
    case I::rfc822_size:
    case I::uid:
    case I::modseq: return false;
    default: return true;
  }
}

}  // namespace

std::shared_ptr<CachedMessage> ImapSession::load(const store::Message& m) {
  auto cached = server_.message(m.body_id);
  if (!cached) {
    log::error("imap.fetch.unreadable", "cannot read a message", {{"sid", sid_}, {"user", account_}, {"uid", m.uid}, {"error", cached.error().detail}});
    return nullptr;
  }
  return cached.value();
}

Result<std::string> ImapSession::fetch_items(const imap::Command& cmd, std::uint32_t seq, const store::Message& m, bool& unknown_cte) {
  using I = imap::FetchAtt::Item;
  std::string out = std::to_string(seq) + " FETCH (";
  bool first = true;
  auto key = [&](std::string_view k) {
    if (!first) out += ' ';
    first = false;
    out += k;
  };
  bool uid_sent = false, modseq_sent = false, flags_sent = false;
  std::shared_ptr<CachedMessage> msg;
  const mime::Part* tree = nullptr;
  if (std::any_of(cmd.fetch.begin(), cmd.fetch.end(), needs_text)) {
    msg = load(m);
    if (!msg) return fail(Errc::io, "unreadable");
    tree = msg->tree();
    if (!tree) return fail(Errc::limit, "message too complex to parse");
  }
  for (const auto& a : cmd.fetch) {
    switch (a.item) {
      case I::uid:
        if (uid_sent) break;
        key("UID " + std::to_string(m.uid));
        uid_sent = true;
        break;
      case I::flags:
        key("FLAGS " + flags_of(m));
        flags_sent = true;
        break;
      case I::internaldate: key("INTERNALDATE " + imap::format_date_time(m.internal_date_ms / 1000)); break;
      case I::rfc822_size: key("RFC822.SIZE " + std::to_string(m.size)); break;
      case I::modseq:
        if (modseq_sent) break;
        key("MODSEQ (" + std::to_string(m.modseq) + ")");
        modseq_sent = true;
        break;
      case I::envelope: key("ENVELOPE " + mime::envelope(tree->envelope.value_or(mime::Envelope{}), utf8())); break;
      case I::body: key("BODY " + mime::bodystructure(*tree, false, utf8())); break;
      case I::bodystructure: key("BODYSTRUCTURE " + mime::bodystructure(*tree, true, utf8())); break;
      case I::rfc822:
        key("RFC822 ");
        literal(out, msg->raw);
        break;
      case I::rfc822_header:
        key("RFC822.HEADER ");
        literal(out, std::string_view(msg->raw).substr(tree->header.offset, tree->header.length));
        break;
      case I::rfc822_text:
        key("RFC822.TEXT ");
        literal(out, std::string_view(msg->raw).substr(tree->body.offset, tree->body.length));
        break;
      case I::body_section: {
        std::string spec = section_spec(a.section);
        auto found = mime::find_section(*tree, spec);
        std::string data;
        if (found) {
          std::string_view bytes = std::string_view(msg->raw).substr(found->range.offset, found->range.length);
          data = found->header_fields ? mime::header_fields(bytes, found->fields, found->fields_not) : std::string(bytes);
        } else if (found.code() != Errc::not_found) {
          return found.error();
        }  // a part that does not exist is empty (RFC 9051 6.4.5)
        key("BODY[" + spec + "]" + origin(a.partial) + " ");
        literal(out, partial(data, a.partial));
        break;
      }
      case I::binary:
      case I::binary_size: {
        const mime::Part* part = find_part(*tree, a.section.part);
        std::string data;
        if (a.section.part.empty()) {
          data = msg->raw;  // BINARY[]: the whole message (RFC 3516 4.2)
        } else if (part) {
          auto decoded = mime::decode_body(*part, msg->raw);
          if (!decoded) {
            unknown_cte = decoded.code() == Errc::invalid;
            return decoded.error();
          }
          data = std::move(decoded.value());
        }
        std::string spec = section_spec(a.section);
        if (a.item == I::binary_size) {
          key("BINARY.SIZE[" + spec + "] " + std::to_string(data.size()));
        } else {
          key("BINARY[" + spec + "]" + origin(a.partial) + " ");
          literal(out, partial(data, a.partial), true);
        }
        break;
      }
    }
  }
  // UID FETCH always names the UID, and so does every FETCH once QRESYNC is on.
  if ((cmd.uid || qresync_) && !uid_sent) key("UID " + std::to_string(m.uid));
  // With CONDSTORE on, FLAGS come with MODSEQ (RFC 7162 3.1.4.1).
  if ((cmd.fetch_modifiers.changedsince || (condstore() && flags_sent)) && !modseq_sent) {
    key("MODSEQ (" + std::to_string(m.modseq) + ")");
  }
  out += ')';
  return out;
}

awaitable<Reply> ImapSession::cmd_fetch(const imap::Command& cmd) {
  if (cmd.fetch_modifiers.changedsince ||
      std::any_of(cmd.fetch.begin(), cmd.fetch.end(), [](const auto& a) { return a.item == imap::FetchAtt::Item::modseq; })) {
    enable_condstore();
  }
  if (!valid_sequence(cmd.sequence, cmd.uid)) co_return Reply::bad("Invalid message sequence number");
  if (cmd.fetch_modifiers.vanished && (!qresync_ || !cmd.uid || !cmd.fetch_modifiers.changedsince)) {
    co_return Reply::bad("VANISHED needs QRESYNC, UID FETCH and CHANGEDSINCE");
  }
  auto wanted = targets(cmd.sequence, cmd.uid);
  auto snap = server_.store().snapshot();
  if (!snap) co_return Reply::no("[UNAVAILABLE] Mail store unavailable");
  const std::string owner = view_->box.owner;
  const std::uint64_t id = view_->id;

  if (cmd.fetch_modifiers.vanished) {
    auto vanished = snap->vanished(owner, id, *cmd.fetch_modifiers.changedsince);
    if (vanished) {
      std::vector<std::uint32_t> gone;
      std::uint32_t max_uid = view_->uids.empty() ? 0 : view_->uids.back();
      for (std::uint32_t uid : vanished.value()) {
        if (cmd.sequence.contains(uid, max_uid)) gone.push_back(uid);
      }
      if (!gone.empty()) untagged("VANISHED (EARLIER) " + imap::format_sequence_set(gone));
    }
  }

  // The messages' records (UID order, as `wanted`), in one scan when many
  // are asked for; CHANGEDSINCE keeps those changed since.
  std::vector<store::Message> records;
  std::vector<std::uint32_t> seqs;
  bool expunged = false;
  auto take = [&](std::uint32_t seq, store::Message m) {
    if (cmd.fetch_modifiers.changedsince && m.modseq <= *cmd.fetch_modifiers.changedsince) return;
    records.push_back(std::move(m));
    seqs.push_back(seq);
  };
  if (wanted.size() > 32) {
    auto list = snap->messages(owner, id, wanted.front().second);
    if (!list) co_return Reply::no("[UNAVAILABLE] Mail store unavailable");
    std::size_t j = 0;
    for (auto [seq, uid] : wanted) {
      while (j < list->size() && (*list)[j].uid < uid) ++j;
      if (j < list->size() && (*list)[j].uid == uid) take(seq, std::move((*list)[j]));
      else expunged = true;
    }
  } else {
    for (auto [seq, uid] : wanted) {
      auto m = snap->message(owner, id, uid);
      if (m) take(seq, std::move(m.value()));
      else expunged = true;
    }
  }

  // Reading a body sets \Seen (RFC 9051 6.4.5), unless read-only.
  std::vector<bool> flags_changed(records.size(), false);
  if (!view_->read_only && store::has_right(view_->rights, store::right::seen) &&
      std::any_of(cmd.fetch.begin(), cmd.fetch.end(), sets_seen)) {
    std::vector<std::uint32_t> unseen;
    for (const auto& m : records) {
      if (!(m.flags.system & store::kSeen)) unseen.push_back(m.uid);
    }
    auto done = unseen.empty() ? Result<store::FlagsChanged>(store::FlagsChanged{})
                               : server_.store().store_flags(owner, id, to_uid_set(unseen), store::FlagOp::add,
                                                             store::Flags{store::kSeen, {}});
    if (done && !done->messages.empty()) {
      // Both in UID order: one walk.
      std::size_t i = 0;
      for (const auto& changed : done->messages) {
        view_->own[changed.uid] = changed.modseq;
        while (i < records.size() && records[i].uid < changed.uid) ++i;
        if (i == records.size() || records[i].uid != changed.uid) continue;
        records[i].flags = changed.flags;
        records[i].modseq = changed.modseq;
        flags_changed[i] = true;
      }
      notify(owner, id);
    }
  }

  std::vector<std::string> keywords;
  for (const auto& m : records) keywords.insert(keywords.end(), m.flags.keywords.begin(), m.flags.keywords.end());
  announce_keywords(keywords);  // a keyword is in FLAGS before a FETCH shows it (RFC 9051 7.3.5)

  const bool flags_asked = std::any_of(cmd.fetch.begin(), cmd.fetch.end(), [](const auto& a) { return a.item == imap::FetchAtt::Item::flags; });
  bool failed = false, unknown_cte = false;
  for (std::size_t i = 0; i < records.size(); ++i) {
    auto line = fetch_items(cmd, seqs[i], records[i], unknown_cte);
    if (!line) {
      failed = true;
      if (unknown_cte) break;
      continue;
    }
    if (flags_changed[i] && !flags_asked) {
      line->pop_back();
      *line += " FLAGS " + flags_of(records[i]) + ")";
    }
    untagged(*line);
    // The client has these flags now: sync need not repeat them.
    if (flags_asked || flags_changed[i]) view_->own[records[i].uid] = records[i].modseq;
    if (out_.size() > kFlushAt) {
      bool sent = co_await flush();
      if (!sent) {
        state_ = State::logout;
        co_return Reply::no("Connection lost");
      }
    }
  }
  (void)sync(cmd.uid);
  if (unknown_cte) co_return Reply::no("[UNKNOWN-CTE] Cannot decode this part's Content-Transfer-Encoding");
  if (failed) co_return Reply::no("[SERVERBUG] Some messages could not be read");
  // RFC 2180 4.1.2: the others are answered; the client learns of the expunge soon.
  if (expunged) co_return Reply::ok("[EXPUNGEISSUED] Some messages were expunged");
  co_return Reply::ok();
}

}  // namespace parley::imapd
