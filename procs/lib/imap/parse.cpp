// The IMAP command grammar (RFC 9051 9 and the extensions listed in
// command.h) over one complete command as CommandReader assembles it.
// Recursive descent; every "(" and every NOT/OR recursion counts against
// Limits::max_depth so that the stack stays bounded.
#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/utf8.h"
#include "imap/command.h"
#include "imap/encoding.h"
#include "mail/date.h"

namespace parley::imap {

namespace {

constexpr std::uint64_t kMaxNumber64 = 9223372036854775807ull;  // RFC 9051 number64: 63 bits

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alpha(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }
char upper(char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 32) : c; }

std::string to_upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = upper(c);
  return out;
}

bool atom_char(char ch) {
  const auto c = static_cast<unsigned char>(ch);
  if (c <= 0x20 || c >= 0x7F) return false;
  switch (c) {
    case '(': case ')': case '{': case '%': case '*': case '"': case '\\': case ']':
      return false;
    default:
      return true;
  }
}
bool astring_char(char c) { return atom_char(c) || c == ']'; }
bool tag_char(char c) { return astring_char(c) && c != '+'; }
bool list_char(char c) { return atom_char(c) || c == '%' || c == '*' || c == ']'; }

struct VerbName {
  std::string_view name;
  Verb verb;
};
constexpr VerbName kVerbs[] = {
    {"CAPABILITY", Verb::capability}, {"NOOP", Verb::noop}, {"LOGOUT", Verb::logout},
    {"STARTTLS", Verb::starttls}, {"AUTHENTICATE", Verb::authenticate}, {"LOGIN", Verb::login},
    {"ENABLE", Verb::enable}, {"SELECT", Verb::select}, {"EXAMINE", Verb::examine},
    {"CREATE", Verb::create}, {"DELETE", Verb::delete_}, {"RENAME", Verb::rename},
    {"SUBSCRIBE", Verb::subscribe}, {"UNSUBSCRIBE", Verb::unsubscribe}, {"LIST", Verb::list},
    {"LSUB", Verb::lsub}, {"NAMESPACE", Verb::namespace_}, {"STATUS", Verb::status},
    {"APPEND", Verb::append}, {"IDLE", Verb::idle}, {"CHECK", Verb::check}, {"CLOSE", Verb::close},
    {"UNSELECT", Verb::unselect}, {"EXPUNGE", Verb::expunge}, {"SEARCH", Verb::search},
    {"FETCH", Verb::fetch}, {"STORE", Verb::store}, {"COPY", Verb::copy}, {"MOVE", Verb::move},
    {"ID", Verb::id}, {"GETQUOTA", Verb::getquota}, {"GETQUOTAROOT", Verb::getquotaroot},
    {"SETQUOTA", Verb::setquota}, {"SETACL", Verb::setacl}, {"DELETEACL", Verb::deleteacl},
    {"GETACL", Verb::getacl}, {"LISTRIGHTS", Verb::listrights}, {"MYRIGHTS", Verb::myrights},
    {"SORT", Verb::sort}, {"THREAD", Verb::thread}, {"COMPRESS", Verb::compress},
};

std::optional<Verb> find_verb(std::string_view upper_name) {
  for (const auto& v : kVerbs) {
    if (v.name == upper_name) return v.verb;
  }
  return std::nullopt;
}

bool uid_allowed(Verb v) {
  switch (v) {
    case Verb::copy: case Verb::move: case Verb::fetch: case Verb::store: case Verb::search:
    case Verb::expunge: case Verb::sort: case Verb::thread:
      return true;
    default:
      return false;
  }
}

class Parser {
 public:
  Parser(std::string_view s, const Limits& limits, bool utf8) : s_(s), limits_(limits), utf8_(utf8) {}

  Result<Command> run(Hint* hint) {
    Command cmd;
    const bool ok = command(cmd);
    if (ok && p_ != s_.size()) (void)fail("unexpected characters after the command");
    cmd.invalid_name = invalid_name_;
    if (!failed_) return cmd;
    if (hint) *hint = hint_;
    return parley::fail(code_, detail_ + " at offset " + std::to_string(p_));
  }

  // Tag, command name and UID prefix only (CommandReader's early check).
  Result<Verb> prefix(Hint* hint) {
    Command cmd;
    if (tag_and_verb(cmd)) return cmd.verb;
    if (hint) *hint = hint_;
    return parley::fail(code_, detail_);
  }

 private:
  // ---- primitives ----
  bool fail(std::string detail, Errc code = Errc::syntax, Hint hint = Hint::none) {
    if (!failed_) {
      failed_ = true;
      code_ = code;
      hint_ = hint;
      detail_ = std::move(detail);
    }
    return false;
  }
  bool eof() const { return p_ >= s_.size(); }
  char peek(std::size_t ahead = 0) const { return p_ + ahead < s_.size() ? s_[p_ + ahead] : '\0'; }
  bool at(char c) const { return !eof() && s_[p_] == c; }
  bool consume(char c) {
    if (!at(c)) return false;
    ++p_;
    return true;
  }
  bool expect(char c) { return consume(c) || fail(std::string("expected '") + c + "'"); }
  bool sp() { return expect(' '); }

  bool open() {
    if (!expect('(')) return false;
    return enter();
  }
  bool close() {
    if (!expect(')')) return false;
    --depth_;
    return true;
  }
  bool enter() {
    if (++depth_ > limits_.max_depth) return fail("nesting too deep", Errc::limit);
    return true;
  }

  // Letters, digits, '.', '-' uppercased: command names, keywords, fetch
  // items (stops before '[' and '<').
  bool keyword(std::string& out) {
    const std::size_t start = p_;
    while (!eof() && (is_alpha(s_[p_]) || is_digit(s_[p_]) || s_[p_] == '.' || s_[p_] == '-' || s_[p_] == '_')) ++p_;
    if (p_ == start) return fail("expected a keyword");
    out = to_upper(s_.substr(start, p_ - start));
    return true;
  }
  // Tries a keyword; restores the position when it is not `word`.
  bool try_keyword(std::string_view word) {
    const std::size_t save = p_;
    std::string w;
    const bool was_failed = failed_;
    if (keyword(w) && w == word && (eof() || !atom_char(peek()) || peek() == '(')) return true;
    p_ = save;
    failed_ = was_failed;
    return false;
  }

  bool atom(std::string& out) {
    const std::size_t start = p_;
    while (!eof() && atom_char(s_[p_])) ++p_;
    if (p_ == start) return fail("expected an atom");
    out.assign(s_.substr(start, p_ - start));
    return true;
  }

  bool number64(std::uint64_t& out, bool nonzero = false) {
    if (!is_digit(peek())) return fail("expected a number");
    std::uint64_t v = 0;
    const std::size_t start = p_;
    while (is_digit(peek())) {
      const auto d = static_cast<std::uint64_t>(s_[p_] - '0');
      if (v > (kMaxNumber64 - d) / 10) return fail("number too large");
      v = v * 10 + d;
      ++p_;
    }
    if (nonzero && (v == 0 || s_[start] == '0')) return fail("expected a non-zero number");
    out = v;
    return true;
  }
  bool number32(std::uint32_t& out, bool nonzero) {
    std::uint64_t v = 0;
    if (!number64(v, nonzero)) return false;
    if (v > 0xFFFFFFFFull) return fail("number too large");
    out = static_cast<std::uint32_t>(v);
    return true;
  }

  bool quoted(std::string& out) {
    if (!expect('"')) return false;
    out.clear();
    while (!eof()) {
      char c = s_[p_++];
      if (c == '"') {
        if (!valid_utf8(out)) return fail("quoted string is not UTF-8");
        return true;
      }
      if (c == '\\') {
        if (eof() || (s_[p_] != '"' && s_[p_] != '\\')) return fail("bad escape in quoted string");
        c = s_[p_++];
      } else if (c == '\r' || c == '\n' || c == '\0') {
        return fail("CR, LF or NUL in quoted string");
      }
      out += c;
    }
    return fail("unterminated quoted string");
  }

  // "{n}" / "{n+}" CRLF data; with allow8 also "~{n}". *was8 tells which.
  bool literal(std::string& out, bool allow8 = false, bool* was8 = nullptr) {
    bool lit8 = false;
    if (consume('~')) {
      if (!allow8) return fail("literal8 not allowed here");
      lit8 = true;
    }
    if (!expect('{')) return false;
    std::uint64_t n = 0;
    if (!number64(n)) return false;
    (void)consume('+');
    if (!expect('}') || !expect('\r') || !expect('\n')) return false;
    if (n > s_.size() - p_) return fail("literal data missing");
    out.assign(s_.substr(p_, n));
    p_ += n;
    if (!lit8 && out.find('\0') != std::string::npos) return fail("NUL in literal");
    if (was8) *was8 = lit8;
    return true;
  }

  bool string(std::string& out) {
    if (at('"')) return quoted(out);
    if (at('{')) return literal(out);
    return fail("expected a string");
  }

  bool astring(std::string& out) {
    if (at('"') || at('{')) return string(out);
    const std::size_t start = p_;
    while (!eof() && astring_char(s_[p_])) ++p_;
    if (p_ == start) return fail("expected an astring");
    out.assign(s_.substr(start, p_ - start));
    return true;
  }

  bool nstring(std::optional<std::string>& out) {
    if (try_keyword("NIL")) {
      out.reset();
      return true;
    }
    std::string s;
    if (!string(s)) return false;
    out = std::move(s);
    return true;
  }

  bool mailbox(std::string& out, bool normalize = true) {
    std::string raw;
    if (!astring(raw)) return false;
    auto name = decode_mailbox(raw, utf8_, normalize);
    if (!name) return invalid_name(raw, out);
    out = std::move(*name);
    return true;
  }

  // A well-formed astring that is no valid mailbox name (bad modified
  // UTF-7, control characters): the command parses, and the session
  // answers NO (RFC 9051 7.1: BAD is for syntax).
  bool invalid_name(std::string_view raw, std::string& out) {
    invalid_name_ = true;
    out.assign(raw);
    return true;
  }

  bool list_mailbox(std::string& out) {
    std::string raw;
    if (at('"') || at('{')) {
      if (!string(raw)) return false;
    } else {
      const std::size_t start = p_;
      while (!eof() && list_char(s_[p_])) ++p_;
      if (p_ == start) return fail("expected a mailbox pattern");
      raw.assign(s_.substr(start, p_ - start));
    }
    auto name = decode_mailbox(raw, utf8_, false);
    if (!name) return invalid_name(raw, out);
    out = std::move(*name);
    return true;
  }

  bool seq_number(std::uint32_t& out) {
    if (consume('*')) {
      out = SequenceSet::kStar;
      return true;
    }
    return number32(out, true);
  }

  bool sequence_set(SequenceSet& set, bool allow_saved = true, bool allow_star = true) {
    set = {};
    if (at('$')) {
      if (!allow_saved) return fail("\"$\" not allowed here");
      ++p_;
      set.saved = true;
      return true;
    }
    for (;;) {
      SequenceSet::Range r;
      if (!seq_number(r.first)) return false;
      r.last = r.first;
      if (consume(':') && !seq_number(r.last)) return false;
      if (!allow_star && (r.first == SequenceSet::kStar || r.last == SequenceSet::kStar)) {
        return fail("\"*\" not allowed here");
      }
      set.ranges.push_back(r);
      if (!consume(',')) return true;
    }
  }

  bool flag(std::string& out) {
    std::string a;
    if (consume('\\')) {
      if (!atom(a)) return false;
      out = "\\" + a;
      return true;
    }
    if (!atom(out)) return false;
    return true;
  }

  bool flag_list(std::vector<std::string>& out) {
    if (!open()) return false;
    while (!at(')')) {
      if (!out.empty() && !sp()) return false;
      std::string f;
      if (!flag(f)) return false;
      out.push_back(std::move(f));
    }
    return close();
  }

  bool date_text(Date& d) {
    std::uint64_t day = 0;
    const std::size_t start = p_;
    if (!number64(day)) return false;
    if (p_ - start > 2) return fail("bad day");
    if (!expect('-')) return false;
    if (!month(d.month) || !expect('-')) return false;
    return year(d.year) && set_day(d, static_cast<int>(day));
  }
  bool month(int& m) {
    static constexpr std::string_view kMonths[] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                                   "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
    if (s_.size() - p_ < 3) return fail("bad month");
    const std::string mon = to_upper(s_.substr(p_, 3));
    for (int i = 0; i < 12; ++i) {
      if (kMonths[i] == mon) {
        m = i + 1;
        p_ += 3;
        return true;
      }
    }
    return fail("bad month");
  }
  bool year(int& y) {
    y = 0;
    for (int i = 0; i < 4; ++i) {
      if (!is_digit(peek())) return fail("bad year");
      y = y * 10 + (s_[p_++] - '0');
    }
    return true;
  }
  bool set_day(Date& d, int day) {
    static constexpr int kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    const bool leap = (d.year % 4 == 0 && d.year % 100 != 0) || d.year % 400 == 0;
    const int max = d.month == 2 && !leap ? 28 : kDays[d.month - 1];
    if (day < 1 || day > max) return fail("bad day");
    d.day = day;
    return true;
  }
  bool date(Date& d) {
    if (consume('"')) return date_text(d) && expect('"');
    return date_text(d);
  }
  bool two_digits(int& v, int max) {
    if (!is_digit(peek()) || !is_digit(peek(1))) return fail("bad time");
    v = (s_[p_] - '0') * 10 + (s_[p_ + 1] - '0');
    p_ += 2;
    if (v > max) return fail("bad time");
    return true;
  }
  bool date_time(DateTime& out) {
    if (!expect('"')) return false;
    int day = 0;
    if (consume(' ')) {
      if (!is_digit(peek())) return fail("bad day");
      day = s_[p_++] - '0';
    } else if (!two_digits(day, 31)) {
      return false;
    }
    Date d;
    int hh = 0, mm = 0, ss = 0, zh = 0, zm = 0;
    if (!expect('-') || !month(d.month) || !expect('-') || !year(d.year) || !set_day(d, day)) return false;
    if (!sp() || !two_digits(hh, 23) || !expect(':') || !two_digits(mm, 59) || !expect(':') || !two_digits(ss, 60)) {
      return false;
    }
    if (!sp()) return false;
    const char sign = peek();
    if (sign != '+' && sign != '-') return fail("bad zone");
    ++p_;
    if (!two_digits(zh, 99) || !two_digits(zm, 59) || !expect('"')) return false;
    out.zone_minutes = (sign == '-' ? -1 : 1) * (zh * 60 + zm);
    const std::int64_t days = mail::days_from_civil(d.year, d.month, d.day);
    out.unix_time = days * 86400 + hh * 3600 + mm * 60 + ss - static_cast<std::int64_t>(out.zone_minutes) * 60;
    return true;
  }

  bool charset(std::string& out) {
    if (!astring(out)) return false;
    const std::string u = to_upper(out);
    if (u != "UTF-8" && u != "US-ASCII") return fail("unsupported charset", Errc::invalid, Hint::bad_charset);
    return true;
  }

  // ---- SEARCH ----
  bool search_key(SearchKey& k) {
    if (!enter()) return false;
    const bool ok = search_key_inner(k);
    --depth_;
    return ok;
  }

  bool search_key_inner(SearchKey& k) {
    using K = SearchKey::Kind;
    const char c = peek();
    if (c == '(') {  // search_key has counted this level already
      ++p_;
      k.kind = K::and_;
      for (;;) {
        SearchKey child;
        if (!search_key(child)) return false;
        k.children.push_back(std::move(child));
        if (at(')')) break;
        if (!sp()) return false;
      }
      return expect(')');
    }
    if (is_digit(c) || c == '*' || c == '$') {
      k.kind = K::sequence;
      return sequence_set(k.set);
    }
    std::string w;
    if (!keyword(w)) return false;
    struct Simple {
      std::string_view name;
      K kind;
    };
    static constexpr Simple kSimple[] = {
        {"ALL", K::all}, {"ANSWERED", K::answered}, {"DELETED", K::deleted}, {"DRAFT", K::draft},
        {"FLAGGED", K::flagged}, {"NEW", K::new_}, {"OLD", K::old}, {"RECENT", K::recent},
        {"SEEN", K::seen}, {"UNANSWERED", K::unanswered}, {"UNDELETED", K::undeleted},
        {"UNDRAFT", K::undraft}, {"UNFLAGGED", K::unflagged}, {"UNSEEN", K::unseen},
    };
    for (const auto& s : kSimple) {
      if (s.name == w) {
        k.kind = s.kind;
        return true;
      }
    }
    static constexpr Simple kString[] = {
        {"BCC", K::bcc}, {"BODY", K::body}, {"CC", K::cc}, {"FROM", K::from},
        {"SUBJECT", K::subject}, {"TEXT", K::text}, {"TO", K::to},
    };
    for (const auto& s : kString) {
      if (s.name == w) {
        k.kind = s.kind;
        return sp() && astring(k.value);
      }
    }
    static constexpr Simple kDate[] = {
        {"BEFORE", K::before}, {"ON", K::on}, {"SINCE", K::since}, {"SENTBEFORE", K::sentbefore},
        {"SENTON", K::senton}, {"SENTSINCE", K::sentsince},
    };
    for (const auto& s : kDate) {
      if (s.name == w) {
        k.kind = s.kind;
        return sp() && date(k.date);
      }
    }
    if (w == "KEYWORD" || w == "UNKEYWORD") {
      k.kind = w == "KEYWORD" ? K::keyword : K::unkeyword;
      return sp() && atom(k.value);
    }
    if (w == "HEADER") {
      k.kind = K::header;
      return sp() && astring(k.field) && sp() && astring(k.value);
    }
    if (w == "LARGER" || w == "SMALLER") {
      k.kind = w == "LARGER" ? K::larger : K::smaller;
      return sp() && number64(k.number);
    }
    if (w == "OLDER" || w == "YOUNGER") {
      k.kind = w == "OLDER" ? K::older : K::younger;
      return sp() && number64(k.number, true);
    }
    if (w == "UID") {
      k.kind = K::uid;
      return sp() && sequence_set(k.set);
    }
    if (w == "NOT") {
      k.kind = K::not_;
      k.children.resize(1);
      return sp() && search_key(k.children[0]);
    }
    if (w == "OR") {
      k.kind = K::or_;
      k.children.resize(2);
      return sp() && search_key(k.children[0]) && sp() && search_key(k.children[1]);
    }
    if (w == "MODSEQ") {
      k.kind = K::modseq;
      if (!sp()) return false;
      if (at('"')) {
        std::string type;
        if (!quoted(k.field) || !sp() || !keyword(type) || !sp()) return false;
        if (type != "PRIV" && type != "SHARED" && type != "ALL") return fail("bad MODSEQ entry type");
        k.value = to_upper(type) == "PRIV" ? "priv" : type == "SHARED" ? "shared" : "all";
      }
      return number64(k.number);
    }
    return fail("unknown search key");
  }

  // ["CHARSET" SP charset SP] search-key *(SP search-key); charset required for SORT/THREAD.
  bool search_program(Command& cmd, bool charset_required) {
    if (charset_required) {
      if (!charset(cmd.charset) || !sp()) return false;
    } else if (try_keyword("CHARSET")) {
      if (!sp() || !charset(cmd.charset) || !sp()) return false;
    }
    cmd.search.kind = SearchKey::Kind::and_;
    for (;;) {
      SearchKey k;
      if (!search_key(k)) return false;
      cmd.search.children.push_back(std::move(k));
      if (eof()) return true;
      if (!sp()) return false;
    }
  }

  // SP "RETURN" SP "(" [opt *(SP opt)] ")" when present; leaves the SP
  // before the next element unconsumed otherwise.
  bool search_return(SearchReturn& r) {
    const std::size_t save = p_;
    if (!consume(' ')) return true;
    if (!try_keyword("RETURN")) {
      p_ = save;
      return true;
    }
    r.requested = true;
    if (!sp() || !open()) return false;
    bool any = false;
    while (!at(')')) {
      if (any && !sp()) return false;
      std::string w;
      if (!keyword(w)) return false;
      if (w == "MIN") r.min = true;
      else if (w == "MAX") r.max = true;
      else if (w == "ALL") r.all = true;
      else if (w == "COUNT") r.count = true;
      else if (w == "SAVE") r.save = true;
      else return fail("unknown search return option");
      any = true;
    }
    if (!any) r.all = true;  // RFC 4731 3.1: "RETURN ()" means ALL
    return close();
  }

  bool sort_criteria(std::vector<SortCriterion>& out) {
    if (!open()) return false;
    for (;;) {
      SortCriterion c;
      std::string w;
      if (!keyword(w)) return false;
      if (w == "REVERSE") {
        c.reverse = true;
        if (!sp() || !keyword(w)) return false;
      }
      if (w == "ARRIVAL") c.key = SortKey::arrival;
      else if (w == "CC") c.key = SortKey::cc;
      else if (w == "DATE") c.key = SortKey::date;
      else if (w == "FROM") c.key = SortKey::from;
      else if (w == "SIZE") c.key = SortKey::size;
      else if (w == "SUBJECT") c.key = SortKey::subject;
      else if (w == "TO") c.key = SortKey::to;
      else if (w == "DISPLAYFROM") c.key = SortKey::display_from;
      else if (w == "DISPLAYTO") c.key = SortKey::display_to;
      else return fail("unknown sort key");
      out.push_back(c);
      if (at(')')) break;
      if (!sp()) return false;
    }
    return close();
  }

  // ---- FETCH ----
  bool section(Section& sec, bool binary) {
    if (!expect('[')) return false;
    if (consume(']')) return true;
    if (is_digit(peek())) {
      for (;;) {
        std::uint32_t n = 0;
        if (!number32(n, true)) return false;
        sec.part.push_back(n);
        if (at('.') && is_digit(peek(1))) {
          ++p_;
          continue;
        }
        break;
      }
      if (binary || at(']')) return expect(']');
      if (!expect('.')) return false;
    } else if (binary) {
      return fail("bad binary section");
    }
    std::string w;
    if (!keyword(w)) return false;
    if (w == "HEADER") sec.text = Section::Text::header;
    else if (w == "TEXT") sec.text = Section::Text::text;
    else if (w == "MIME" && !sec.part.empty()) sec.text = Section::Text::mime;
    else if (w == "HEADER.FIELDS" || w == "HEADER.FIELDS.NOT") {
      sec.text = w == "HEADER.FIELDS" ? Section::Text::header_fields : Section::Text::header_fields_not;
      if (!sp() || !open()) return false;
      for (;;) {
        std::string f;
        if (!astring(f)) return false;
        sec.fields.push_back(std::move(f));
        if (at(')')) break;
        if (!sp()) return false;
      }
      if (!close()) return false;
    } else {
      return fail("bad section");
    }
    return expect(']');
  }

  bool partial(std::optional<Partial>& out) {
    if (!consume('<')) return true;
    Partial p;
    if (!number64(p.offset) || !expect('.') || !number64(p.length, true) || !expect('>')) return false;
    out = p;
    return true;
  }

  bool fetch_att(std::vector<FetchAtt>& out) {
    using I = FetchAtt::Item;
    std::string w;
    if (!keyword(w)) return false;
    FetchAtt a;
    struct Plain {
      std::string_view name;
      I item;
    };
    static constexpr Plain kPlain[] = {
        {"ENVELOPE", I::envelope}, {"FLAGS", I::flags}, {"INTERNALDATE", I::internaldate},
        {"RFC822", I::rfc822}, {"RFC822.HEADER", I::rfc822_header}, {"RFC822.SIZE", I::rfc822_size},
        {"RFC822.TEXT", I::rfc822_text}, {"BODYSTRUCTURE", I::bodystructure}, {"UID", I::uid},
        {"MODSEQ", I::modseq},
    };
    for (const auto& p : kPlain) {
      if (p.name == w) {
        a.item = p.item;
        out.push_back(std::move(a));
        return true;
      }
    }
    if (w == "BODY" && !at('[')) {
      a.item = I::body;
    } else if (w == "BODY" || w == "BODY.PEEK") {
      a.item = I::body_section;
      a.peek = w == "BODY.PEEK";
      if (!section(a.section, false) || !partial(a.partial)) return false;
    } else if (w == "BINARY" || w == "BINARY.PEEK") {
      a.item = I::binary;
      a.peek = w == "BINARY.PEEK";
      if (!section(a.section, true) || !partial(a.partial)) return false;
    } else if (w == "BINARY.SIZE") {
      a.item = I::binary_size;
      if (!section(a.section, true)) return false;
    } else {
      return fail("unknown fetch item");
    }
    out.push_back(std::move(a));
    return true;
  }

  bool fetch(Command& cmd) {
    using I = FetchAtt::Item;
    if (!sp() || !sequence_set(cmd.sequence) || !sp()) return false;
    const auto add = [&](std::initializer_list<I> items) {
      for (I i : items) {
        FetchAtt a;
        a.item = i;
        cmd.fetch.push_back(a);
      }
      return true;
    };
    if (at('(')) {
      if (!open()) return false;
      for (;;) {
        if (!fetch_att(cmd.fetch)) return false;
        if (at(')')) break;
        if (!sp()) return false;
      }
      if (!close()) return false;
    } else if (try_keyword("ALL")) {
      add({I::flags, I::internaldate, I::rfc822_size, I::envelope});
    } else if (try_keyword("FAST")) {
      add({I::flags, I::internaldate, I::rfc822_size});
    } else if (try_keyword("FULL")) {
      add({I::flags, I::internaldate, I::rfc822_size, I::envelope, I::body});
    } else if (!fetch_att(cmd.fetch)) {
      return false;
    }
    if (!consume(' ')) return true;
    if (!open()) return false;
    for (;;) {
      std::string w;
      if (!keyword(w)) return false;
      if (w == "CHANGEDSINCE") {
        std::uint64_t n = 0;
        if (!sp() || !number64(n)) return false;
        cmd.fetch_modifiers.changedsince = n;
      } else if (w == "VANISHED") {
        cmd.fetch_modifiers.vanished = true;
      } else {
        return fail("unknown fetch modifier");
      }
      if (at(')')) break;
      if (!sp()) return false;
    }
    if (!close()) return false;
    if (cmd.fetch_modifiers.vanished && (!cmd.uid || !cmd.fetch_modifiers.changedsince)) {
      return fail("VANISHED needs UID FETCH and CHANGEDSINCE");  // RFC 7162 3.2.6
    }
    return true;
  }

  bool store(Command& cmd) {
    if (!sp() || !sequence_set(cmd.sequence) || !sp()) return false;
    if (at('(')) {
      std::string w;
      std::uint64_t n = 0;
      if (!open() || !keyword(w)) return false;
      if (w != "UNCHANGEDSINCE") return fail("unknown store modifier");
      if (!sp() || !number64(n) || !close() || !sp()) return false;
      cmd.store.unchangedsince = n;
    }
    if (consume('+')) cmd.store.op = StoreAction::Op::add;
    else if (consume('-')) cmd.store.op = StoreAction::Op::remove;
    std::string w;
    if (!keyword(w)) return false;
    if (w == "FLAGS.SILENT") cmd.store.silent = true;
    else if (w != "FLAGS") return fail("expected FLAGS");
    if (!sp()) return false;
    if (at('(')) return flag_list(cmd.store.flags);
    for (;;) {
      std::string f;
      if (!flag(f)) return false;
      cmd.store.flags.push_back(std::move(f));
      if (!consume(' ')) return true;
    }
  }

  // ---- LIST / STATUS ----
  bool status_item(StatusItem& out) {
    std::string w;
    if (!keyword(w)) return false;
    struct Item {
      std::string_view name;
      StatusItem item;
    };
    static constexpr Item kItems[] = {
        {"MESSAGES", StatusItem::messages}, {"UIDNEXT", StatusItem::uidnext},
        {"UIDVALIDITY", StatusItem::uidvalidity}, {"UNSEEN", StatusItem::unseen},
        {"DELETED", StatusItem::deleted}, {"SIZE", StatusItem::size}, {"RECENT", StatusItem::recent},
        {"HIGHESTMODSEQ", StatusItem::highestmodseq}, {"APPENDLIMIT", StatusItem::appendlimit},
    };
    for (const auto& i : kItems) {
      if (i.name == w) {
        out = i.item;
        return true;
      }
    }
    return fail("unknown status item");
  }
  bool status_items(std::vector<StatusItem>& out) {
    if (!open()) return false;
    for (;;) {
      StatusItem i{};
      if (!status_item(i)) return false;
      if (std::find(out.begin(), out.end(), i) == out.end()) out.push_back(i);
      if (at(')')) break;
      if (!sp()) return false;
    }
    return close();
  }

  bool list(Command& cmd) {
    ListOptions& o = cmd.list;
    if (!sp()) return false;
    if (at('(')) {
      o.extended = true;
      if (!open()) return false;
      bool any = false;
      while (!at(')')) {
        if (any && !sp()) return false;
        std::string w;
        if (!keyword(w)) return false;
        if (w == "SUBSCRIBED") o.select_subscribed = true;
        else if (w == "REMOTE") o.select_remote = true;
        else if (w == "RECURSIVEMATCH") o.select_recursivematch = true;
        else if (w == "SPECIAL-USE") o.select_special_use = true;
        else return fail("unknown list selection option");
        any = true;
      }
      if (!close() || !sp()) return false;
      // RFC 5258 3.1: RECURSIVEMATCH needs another selection option.
      if (o.select_recursivematch && !o.select_subscribed && !o.select_special_use) {
        return fail("RECURSIVEMATCH alone");
      }
    }
    if (!mailbox(cmd.reference, false) || !sp()) return false;
    if (at('(')) {
      o.extended = true;
      if (!open()) return false;
      for (;;) {
        std::string pat;
        if (!list_mailbox(pat)) return false;
        cmd.patterns.push_back(std::move(pat));
        if (at(')')) break;
        if (!sp()) return false;
      }
      if (!close()) return false;
    } else {
      std::string pat;
      if (!list_mailbox(pat)) return false;
      cmd.patterns.push_back(std::move(pat));
    }
    if (!consume(' ')) return true;
    if (!try_keyword("RETURN")) return fail("expected RETURN");
    o.extended = true;
    if (!sp() || !open()) return false;
    bool any = false;
    while (!at(')')) {
      if (any && !sp()) return false;
      std::string w;
      if (!keyword(w)) return false;
      if (w == "SUBSCRIBED") o.return_subscribed = true;
      else if (w == "CHILDREN") o.return_children = true;
      else if (w == "SPECIAL-USE") o.return_special_use = true;
      else if (w == "STATUS") {
        std::vector<StatusItem> items;
        if (!sp() || !status_items(items)) return false;
        o.return_status = std::move(items);
      } else {
        return fail("unknown list return option");
      }
      any = true;
    }
    return close();
  }

  // ---- SELECT / EXAMINE ----
  bool select_params(SelectParams& sp_out) {
    if (!consume(' ')) return true;
    if (!open()) return false;
    for (;;) {
      std::string w;
      if (!keyword(w)) return false;
      if (w == "CONDSTORE") {
        sp_out.condstore = true;
      } else if (w == "QRESYNC") {
        QresyncParams q;
        if (!sp() || !open() || !number32(q.uidvalidity, true) || !sp() || !number64(q.modseq, true)) return false;
        if (consume(' ')) {
          if (!at('(')) {
            SequenceSet known;
            if (!sequence_set(known, false, false)) return false;
            q.known_uids = std::move(known);
            if (consume(' ') && !at('(')) return fail("expected '('");
          }
          if (at('(')) {
            std::pair<SequenceSet, SequenceSet> m;
            if (!open() || !sequence_set(m.first, false, false) || !sp() || !sequence_set(m.second, false, false) ||
                !close()) {
              return false;
            }
            q.seq_match = std::move(m);
          }
        }
        if (!close()) return false;
        sp_out.qresync = std::move(q);
      } else {
        return fail("unknown select parameter");
      }
      if (at(')')) break;
      if (!sp()) return false;
    }
    return close();
  }

  // ---- the commands ----
  bool tag_and_verb(Command& cmd) {
    const std::size_t start = p_;
    while (!eof() && tag_char(s_[p_])) ++p_;
    if (p_ == start) return fail("missing or bad tag");
    if (p_ - start > kMaxTag) return fail("tag too long");
    cmd.tag.assign(s_.substr(start, p_ - start));
    if (!at(' ')) return fail("missing or bad tag");
    ++p_;
    std::string name;
    if (!command_name(name)) return false;
    if (name == "UID") {
      cmd.uid = true;
      if (!sp() || !command_name(name)) return false;
    }
    const auto verb = find_verb(name);
    if (!verb || (cmd.uid && !uid_allowed(*verb))) {
      return fail("unknown command " + name.substr(0, 20), Errc::invalid, Hint::unknown_command);
    }
    cmd.verb = *verb;
    return true;
  }

  bool command_name(std::string& out) {
    const std::size_t start = p_;
    while (!eof() && atom_char(s_[p_])) ++p_;
    if (p_ == start) return fail("missing command");
    out = to_upper(s_.substr(start, p_ - start));
    return true;
  }

  bool command(Command& cmd) {
    if (!tag_and_verb(cmd)) return false;
    switch (cmd.verb) {
      case Verb::capability: case Verb::noop: case Verb::logout: case Verb::starttls:
      case Verb::namespace_: case Verb::idle: case Verb::check: case Verb::close: case Verb::unselect:
        return true;
      case Verb::expunge:
        if (cmd.uid) return sp() && sequence_set(cmd.sequence);
        return true;
      case Verb::authenticate: {
        std::string mech;
        if (!sp() || !atom(mech)) return false;
        cmd.mechanism = to_upper(mech);
        if (!consume(' ')) return true;
        std::string ir;
        if (!atom(ir)) return false;
        if (ir != "=" && !base64(ir)) return fail("bad initial response");
        cmd.initial_response = std::move(ir);
        return true;
      }
      case Verb::login:
        return sp() && astring(cmd.user) && sp() && astring(cmd.password);
      case Verb::enable:
        do {
          std::string cap;
          if (!sp() || !atom(cap)) return false;
          cmd.capabilities.push_back(to_upper(cap));
        } while (at(' '));
        return true;
      case Verb::select: case Verb::examine:
        return sp() && mailbox(cmd.mailbox) && select_params(cmd.select);
      case Verb::create:
        if (!sp() || !mailbox(cmd.mailbox)) return false;
        if (!consume(' ')) return true;
        // RFC 6154 3: CREATE name (USE (\Drafts))
        if (!open() || !try_keyword("USE") || !sp() || !flag_list(cmd.flags)) return fail("bad CREATE parameters");
        return close();
      case Verb::delete_: case Verb::subscribe: case Verb::unsubscribe: case Verb::getquotaroot:
      case Verb::getacl: case Verb::myrights:
        return sp() && mailbox(cmd.mailbox);
      case Verb::rename:
        return sp() && mailbox(cmd.mailbox) && sp() && mailbox(cmd.new_name);
      case Verb::list:
        return list(cmd);
      case Verb::lsub: {
        std::string pat;
        if (!sp() || !mailbox(cmd.reference, false) || !sp() || !list_mailbox(pat)) return false;
        cmd.patterns.push_back(std::move(pat));
        return true;
      }
      case Verb::status:
        return sp() && mailbox(cmd.mailbox) && sp() && status_items(cmd.status_items);
      case Verb::append:
        return append(cmd);
      case Verb::search:
        return search_return(cmd.search_return) && sp() && search_program(cmd, false);
      case Verb::sort:
        return search_return(cmd.search_return) && sp() && sort_criteria(cmd.sort) && sp() &&
               search_program(cmd, true);
      case Verb::thread: {
        std::string alg;
        if (!sp() || !atom(alg) || !sp()) return false;
        cmd.thread_algorithm = to_upper(alg);
        return search_program(cmd, true);
      }
      case Verb::fetch:
        return fetch(cmd);
      case Verb::store:
        return store(cmd);
      case Verb::copy: case Verb::move:
        return sp() && sequence_set(cmd.sequence) && sp() && mailbox(cmd.mailbox);
      case Verb::id:
        return sp() && id(cmd);
      case Verb::getquota:
        return sp() && astring(cmd.quota_root);
      case Verb::setquota: {
        if (!sp() || !astring(cmd.quota_root) || !sp() || !open()) return false;
        while (!at(')')) {
          if (!cmd.quota.empty() && !sp()) return false;
          std::string res;
          std::uint64_t n = 0;
          if (!atom(res) || !sp() || !number64(n)) return false;
          cmd.quota.emplace_back(to_upper(res), n);
        }
        return close();
      }
      case Verb::setacl:
        return sp() && mailbox(cmd.mailbox) && sp() && astring(cmd.identifier) && sp() && astring(cmd.rights);
      case Verb::deleteacl: case Verb::listrights:
        return sp() && mailbox(cmd.mailbox) && sp() && astring(cmd.identifier);
      case Verb::compress: {
        std::string mech;
        if (!sp() || !atom(mech)) return false;
        cmd.mechanism = to_upper(mech);
        return true;
      }
    }
    return fail("unhandled command");
  }

  bool base64(std::string_view s) {
    if (s.empty() || s.size() % 4 != 0) return false;
    std::size_t pad = 0;
    for (std::size_t i = 0; i < s.size(); ++i) {
      const char c = s[i];
      if (c == '=') {
        if (i + 2 < s.size()) return false;
        ++pad;
      } else if (pad || !(is_alpha(c) || is_digit(c) || c == '+' || c == '/')) {
        return false;
      }
    }
    return true;
  }

  bool append(Command& cmd) {
    if (!sp() || !mailbox(cmd.mailbox) || !sp()) return false;
    if (at('(')) {
      if (!flag_list(cmd.flags) || !sp()) return false;
    }
    if (at('"')) {
      DateTime dt;
      if (!date_time(dt) || !sp()) return false;
      cmd.internal_date = dt;
    }
    if (!at('{') && !at('~')) return fail("APPEND data must be a literal");
    return literal(cmd.message, true, &cmd.binary);
  }

  bool id(Command& cmd) {
    if (try_keyword("NIL")) return true;
    if (!open()) return false;
    cmd.id.emplace();
    while (!at(')')) {
      if (!cmd.id->empty() && !sp()) return false;
      std::string field;
      std::optional<std::string> value;
      if (!string(field) || !sp() || !nstring(value)) return false;
      if (cmd.id->size() >= kMaxIdPairs || field.size() > kMaxIdField || (value && value->size() > kMaxIdValue)) {
        return fail("ID parameters too large", Errc::limit);
      }
      cmd.id->emplace_back(std::move(field), std::move(value));
    }
    return close();
  }

  std::string_view s_;
  const Limits& limits_;
  bool utf8_;
  std::size_t p_ = 0;
  std::size_t depth_ = 0;
  bool failed_ = false;
  bool invalid_name_ = false;  // see invalid_name()
  Errc code_ = Errc::syntax;
  Hint hint_ = Hint::none;
  std::string detail_;
};

}  // namespace

std::string_view verb_name(Verb verb) {
  for (const auto& v : kVerbs) {
    if (v.verb == verb) return v.name;
  }
  return "?";
}

Result<Command> parse_command(std::string_view text, const Limits& limits, bool utf8, Hint* hint) {
  return Parser(text, limits, utf8).run(hint);
}

// Used by CommandReader before a synchronizing literal (reader.cpp).
Result<Verb> parse_command_prefix(std::string_view text, const Limits& limits, Hint* hint) {
  return Parser(text, limits, false).prefix(hint);
}

bool is_idle_done(std::string_view line) {
  return line.size() == 4 && upper(line[0]) == 'D' && upper(line[1]) == 'O' && upper(line[2]) == 'N' &&
         upper(line[3]) == 'E';
}

}  // namespace parley::imap
