// SEARCH evaluation (see search.h for the contract).
#include "imap/search.h"

#include <string.h>  // memmem (glibc: linear time, constant space)

#include <algorithm>
#include <cstddef>
#include <optional>
#include <string_view>

#include "core/utf8.h"
#include "mail/date.h"
#include "mail/headers.h"

namespace parley::imap {

namespace {

using Kind = SearchKey::Kind;

// ---- case folding (the mappings search.h lists) ----

char32_t fold(char32_t c) {
  if (c == 0x00B5) return 0x03BC;                                           // micro sign -> mu
  if (c >= 0x00C0 && c <= 0x00DE && c != 0x00D7) return c + 0x20;           // Latin-1 capitals
  if (c == 0x0130) return U'i';                                             // I with dot above
  if ((c >= 0x0100 && c <= 0x012F) || (c >= 0x0132 && c <= 0x0137) || (c >= 0x014A && c <= 0x0177)) {
    return c | 1;                                                           // even capital, odd small
  }
  if ((c >= 0x0139 && c <= 0x0148) || (c >= 0x0179 && c <= 0x017E)) return (c & 1) ? c + 1 : c;
  if (c == 0x0178) return 0x00FF;                                           // Y diaeresis
  if (c == 0x017F) return U's';                                             // long s
  if (c == 0x0386) return 0x03AC;
  if (c >= 0x0388 && c <= 0x038A) return c + 37;
  if (c == 0x038C) return 0x03CC;
  if (c == 0x038E || c == 0x038F) return c + 63;
  if (c >= 0x0391 && c <= 0x03AB && c != 0x03A2) return c + 0x20;           // Greek capitals
  if (c == 0x03C2) return 0x03C3;                                           // final sigma
  if (c >= 0x0400 && c <= 0x040F) return c + 0x50;                          // Cyrillic capitals
  if (c >= 0x0410 && c <= 0x042F) return c + 0x20;
  return c;
}

// `s` case-folded. Every mapped code point has a 2-byte UTF-8 form, so
// only those are decoded; other sequences and invalid bytes are copied.
std::string folded(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  std::size_t i = 0;
  while (i < s.size()) {
    const auto b = static_cast<unsigned char>(s[i]);
    if (b < 0x80) {
      out += (b >= 'A' && b <= 'Z') ? static_cast<char>(b + 0x20) : static_cast<char>(b);
      ++i;
      continue;
    }
    const std::size_t n = utf8_length(s, i);
    if (n == 0) {
      out += s[i++];
      continue;
    }
    if (n == 2) {
      const char32_t cp = (static_cast<char32_t>(b & 0x1F) << 6) | (static_cast<unsigned char>(s[i + 1]) & 0x3F);
      const char32_t f = fold(cp);
      if (f != cp) {
        append_utf8(out, f);
        i += 2;
        continue;
      }
    }
    out.append(s.substr(i, n));
    i += n;
  }
  return out;
}

bool contains(std::string_view folded_haystack, std::string_view folded_needle) {
  if (folded_needle.empty()) return true;
  if (folded_needle.size() > folded_haystack.size()) return false;
  return ::memmem(folded_haystack.data(), folded_haystack.size(), folded_needle.data(), folded_needle.size()) != nullptr;
}

bool ascii_iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           const auto lo = [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; };
           return lo(x) == lo(y);
         });
}

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  if (a % b != 0 && ((a < 0) != (b < 0))) --q;
  return q;
}

std::int64_t day_of(std::int64_t unix_time, int zone_minutes) {
  return floor_div(unix_time + static_cast<std::int64_t>(zone_minutes) * 60, 86400);
}

// Each field of a header block, unfolded, words decoded, folded. Lines
// that do not start a field (no colon) are kept too: TEXT searches bytes.
void append_header_fields(std::vector<std::string>& out, std::string_view header) {
  std::string field;
  const auto flush = [&] {
    if (!field.empty()) out.push_back(folded(mime::decode_words(field)));
    field.clear();
  };
  std::size_t pos = 0;
  while (pos < header.size()) {
    const std::size_t lf = header.find('\n', pos);
    const std::size_t next = lf == std::string_view::npos ? header.size() : lf + 1;
    std::size_t end = lf == std::string_view::npos ? header.size() : lf;
    if (end > pos && header[end - 1] == '\r') --end;
    const std::string_view line = header.substr(pos, end - pos);
    if (line.empty()) break;
    if (line[0] != ' ' && line[0] != '\t') flush();
    field.append(line);
    pos = next;
  }
  flush();
}

bool is_ascii_charset(std::string_view cs) { return ascii_iequals(cs, "us-ascii") || ascii_iequals(cs, "ascii"); }

// A leaf part's body as UTF-8 (see search.h BODY).
std::optional<std::string> part_text(const mime::Part& p, std::string_view raw) {
  std::string bytes;
  if (Result<std::string> d = mime::decode_body(p, raw)) {
    bytes = std::move(*d);
  } else if (d.code() == Errc::invalid && p.body.end() <= raw.size()) {
    bytes = std::string(raw.substr(p.body.offset, p.body.length));  // unknown encoding: as stored
  } else {
    return std::nullopt;
  }
  const mime::Param* cs = p.param("charset");
  std::optional<std::string> text;
  if (cs && !cs->value.empty() && !is_ascii_charset(cs->value)) text = mime::detail::to_utf8(bytes, cs->value);
  if (!text) text = mime::detail::to_utf8(bytes, "utf-8");
  return text;
}

void append_body_texts(std::vector<std::string>& out, const mime::Part& p, std::string_view raw, bool top) {
  if (p.multipart()) {
    for (const mime::Part& c : p.children) append_body_texts(out, c, raw, false);
  } else if (p.message()) {
    append_body_texts(out, p.children.front(), raw, false);
  } else if (top || p.type == "text") {
    if (std::optional<std::string> t = part_text(p, raw)) out.push_back(folded(*t));
  }
}

void append_all_headers(std::vector<std::string>& out, const mime::Part& p, std::string_view raw) {
  if (p.header.end() <= raw.size()) append_header_fields(out, raw.substr(p.header.offset, p.header.length));
  for (const mime::Part& c : p.children) append_all_headers(out, c, raw);
}

// A message's texts of one kind (headers or body parts), decoded once.
// Outside Evaluator: clang cannot default-construct a nested class with
// member initializers inside its enclosing class's own member functions.
struct Texts {
  bool readable = false;
  std::vector<std::string> items;
};

// One evaluation: the message, and what was derived from it so far.
class Evaluator {
 public:
  Evaluator(SearchMessage& message, const SearchContext& ctx) : m_(message), ctx_(ctx) {}

  bool eval(const SearchKey& k) {
    switch (k.kind) {
      case Kind::all: return true;
      case Kind::and_:
        return std::all_of(k.children.begin(), k.children.end(), [&](const SearchKey& c) { return eval(c); });
      case Kind::or_: return k.children.size() == 2 && (eval(k.children[0]) || eval(k.children[1]));
      case Kind::not_: return k.children.size() == 1 && !eval(k.children[0]);

      case Kind::answered: return flag(SearchMessage::kAnswered);
      case Kind::deleted: return flag(SearchMessage::kDeleted);
      case Kind::draft: return flag(SearchMessage::kDraft);
      case Kind::flagged: return flag(SearchMessage::kFlagged);
      case Kind::seen: return flag(SearchMessage::kSeen);
      case Kind::unanswered: return !flag(SearchMessage::kAnswered);
      case Kind::undeleted: return !flag(SearchMessage::kDeleted);
      case Kind::undraft: return !flag(SearchMessage::kDraft);
      case Kind::unflagged: return !flag(SearchMessage::kFlagged);
      case Kind::unseen: return !flag(SearchMessage::kSeen);
      case Kind::keyword: return has_keyword(k.value);
      case Kind::unkeyword: return !has_keyword(k.value);
      case Kind::new_: return m_.recent() && !(m_.system_flags() & SearchMessage::kSeen);
      case Kind::recent: return m_.recent();
      case Kind::old: return !m_.recent();

      case Kind::larger: return m_.size() > k.number;
      case Kind::smaller: return m_.size() < k.number;
      case Kind::modseq: return m_.modseq() >= k.number;
      case Kind::sequence: return k.set.saved ? in_saved() : k.set.contains(m_.seq(), ctx_.max_seq);
      case Kind::uid: return k.set.saved ? in_saved() : k.set.contains(m_.uid(), ctx_.max_uid);

      case Kind::before: return internal_day() < key_day(k.date);
      case Kind::on: return internal_day() == key_day(k.date);
      case Kind::since: return internal_day() >= key_day(k.date);
      case Kind::sentbefore: return sent_day() < key_day(k.date);
      case Kind::senton: return sent_day() == key_day(k.date);
      case Kind::sentsince: return sent_day() >= key_day(k.date);
      case Kind::older: return !younger(k.number);
      case Kind::younger: return younger(k.number);

      case Kind::from: return address_has("From", k.value);
      case Kind::to: return address_has("To", k.value);
      case Kind::cc: return address_has("Cc", k.value);
      case Kind::bcc: return address_has("Bcc", k.value);
      case Kind::subject: return header_has("Subject", k.value);
      case Kind::header: return header_has(k.field, k.value);
      case Kind::body: return body_has(folded(k.value));
      case Kind::text: {
        const std::string needle = folded(k.value);
        return body_has(needle) || any_has(all_headers(), needle);
      }
    }
    return false;
  }

 private:
  bool flag(std::uint32_t bit) const { return (m_.system_flags() & bit) != 0; }

  bool has_keyword(std::string_view kw) const {
    const std::vector<std::string>& all = m_.keywords();
    return std::any_of(all.begin(), all.end(), [&](const std::string& k) { return ascii_iequals(k, kw); });
  }

  bool in_saved() const {
    return ctx_.saved && std::binary_search(ctx_.saved->begin(), ctx_.saved->end(), m_.uid());
  }

  static std::int64_t key_day(const Date& d) { return mail::days_from_civil(d.year, d.month, d.day); }

  std::int64_t internal_day() const { return day_of(floor_div(m_.internal_date_ms(), 1000), ctx_.zone_minutes); }

  std::int64_t sent_day() {
    if (!sent_day_) {
      std::optional<mail::DateTime> d;
      if (const std::string* raw = m_.raw()) {
        if (std::optional<std::string> v = mail::header(*raw, "Date")) d = mail::parse_rfc5322_date(*v);
      }
      sent_day_ = d ? day_of(d->unix_time, d->zone_minutes) : internal_day();
    }
    return *sent_day_;
  }

  // At most n seconds old, or in the future. Unsigned arithmetic: any
  // int64 instants give the right answer.
  bool younger(std::uint64_t n) const {
    const std::int64_t then = floor_div(m_.internal_date_ms(), 1000);
    if (then >= ctx_.now) return true;
    const std::uint64_t age = static_cast<std::uint64_t>(ctx_.now) - static_cast<std::uint64_t>(then);
    return age <= n;
  }

  bool header_has(std::string_view name, std::string_view value) {
    const std::string* raw = m_.raw();
    if (!raw) return false;
    const std::string needle = folded(value);
    for (const std::string& v : mail::headers(*raw, name)) {
      if (contains(folded(mime::decode_words(v)), needle)) return true;
    }
    return false;
  }

  // Address fields: the field's text, or any of its addresses written
  // "name <mailbox@host>" as the ENVELOPE has them (comments, routes and
  // odd spacing gone: RFC 3501 6.4.4 searches the envelope's address).
  bool address_has(std::string_view name, std::string_view value) {
    if (header_has(name, value)) return true;
    const std::string* raw = m_.raw();
    if (!raw) return false;
    const std::string needle = folded(value);
    for (const std::string& v : mail::headers(*raw, name)) {
      for (const auto& a : mime::parse_addresses(v)) {
        std::string text = a.name_utf8.value_or("") + " <" + a.mailbox.value_or("") + (a.host ? "@" + *a.host : "") + ">";
        if (contains(folded(text), needle)) return true;
      }
    }
    return false;
  }

  // Folded texts derived from the message; `readable` is false when raw()
  // or part() gave nothing.
  static bool any_has(const Texts& texts, std::string_view needle) {
    if (!texts.readable) return false;
    return needle.empty() ||
           std::any_of(texts.items.begin(), texts.items.end(), [&](const std::string& t) { return contains(t, needle); });
  }

  bool body_has(std::string_view needle) { return any_has(body_texts(), needle); }

  // Calls f(raw, root) to fill `texts` the first time.
  template <class F>
  const Texts& load(std::optional<Texts>& texts, F&& f) {
    if (!texts) {
      texts.emplace();
      const std::string* raw = m_.raw();
      const mime::Part* root = raw ? m_.part() : nullptr;
      if (root) {
        texts->readable = true;
        f(texts->items, *raw, *root);
      }
    }
    return *texts;
  }

  const Texts& body_texts() {
    return load(body_, [](std::vector<std::string>& out, std::string_view raw, const mime::Part& root) {
      append_body_texts(out, root, raw, true);
    });
  }

  const Texts& all_headers() {
    return load(headers_, [](std::vector<std::string>& out, std::string_view raw, const mime::Part& root) {
      append_all_headers(out, root, raw);
    });
  }

  SearchMessage& m_;
  const SearchContext& ctx_;
  std::optional<std::int64_t> sent_day_;
  std::optional<Texts> body_;
  std::optional<Texts> headers_;
};

}  // namespace

bool matches(const SearchKey& key, SearchMessage& message, const SearchContext& ctx) {
  return Evaluator(message, ctx).eval(key);
}

bool needs_body(const SearchKey& key) {
  switch (key.kind) {
    case Kind::bcc: case Kind::body: case Kind::cc: case Kind::from: case Kind::header:
    case Kind::subject: case Kind::text: case Kind::to:
    case Kind::sentbefore: case Kind::senton: case Kind::sentsince:
      return true;
    default:
      return std::any_of(key.children.begin(), key.children.end(), [](const SearchKey& c) { return needs_body(c); });
  }
}

}  // namespace parley::imap
