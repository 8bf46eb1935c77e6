// RFC 5322 3.4 address lists (with the obsolete forms of section 4.4:
// empty list elements, routes, phrases with dots) and the IMAP envelope
// (RFC 9051 7.5.2).
#include "mime/internal.h"

namespace parley::mime {
namespace {

using namespace detail;

constexpr std::string_view kMissingHost = ".MISSING-HOST-NAME.";  // the customary IMAP placeholder

enum class Kind { word, quoted, literal, special };

struct Token {
  Kind kind;
  char special = 0;
  std::string text;      // quoted: unescaped content
  std::string_view raw;  // as written
  std::string comment;   // a comment right after this token, without its parentheses
};

bool is_special(char c) { return c == '<' || c == '>' || c == '@' || c == ',' || c == ';' || c == ':'; }

std::vector<Token> tokenize(std::string_view s) {
  std::vector<Token> out;
  std::size_t i = 0;
  while (i < s.size()) {
    const char c = s[i];
    if (is_wsp(c) || c == '\r' || c == '\n') {
      ++i;
    } else if (c == '(') {
      const std::size_t begin = i;
      int depth = 0;
      while (i < s.size()) {
        if (s[i] == '\\') {
          ++i;
        } else if (s[i] == '(') {
          ++depth;
        } else if (s[i] == ')' && --depth == 0) {
          ++i;
          break;
        }
        ++i;
      }
      // "user@host (Real Name)": the old way to give a display name.
      if (!out.empty() && i - begin >= 2) {
        std::string_view inner = s.substr(begin + 1, i - begin - 2 + (s[i - 1] == ')' ? 0 : 1));
        out.back().comment.clear();
        for (std::size_t k = 0; k < inner.size(); ++k) {
          if (inner[k] == '\\' && k + 1 < inner.size()) ++k;
          if (inner[k] != '\r' && inner[k] != '\n') out.back().comment += inner[k];
        }
      }
    } else if (c == '"') {
      const std::size_t begin = i++;
      Token t{Kind::quoted};
      while (i < s.size() && s[i] != '"') {
        if (s[i] == '\\' && i + 1 < s.size()) ++i;
        if (s[i] != '\r' && s[i] != '\n') t.text += s[i];
        ++i;
      }
      if (i < s.size()) ++i;
      t.raw = s.substr(begin, i - begin);
      out.push_back(std::move(t));
    } else if (c == '[') {
      const std::size_t begin = i;
      while (i < s.size() && s[i] != ']') ++i;
      if (i < s.size()) ++i;
      Token t{Kind::literal};
      t.raw = s.substr(begin, i - begin);
      t.text = std::string(t.raw);
      out.push_back(std::move(t));
    } else if (is_special(c)) {
      Token t{Kind::special, c};
      t.raw = s.substr(i, 1);
      t.text = std::string(1, c);
      out.push_back(std::move(t));
      ++i;
    } else {
      const std::size_t begin = i;
      while (i < s.size() && !is_wsp(s[i]) && s[i] != '\r' && s[i] != '\n' && s[i] != '(' && s[i] != '"' &&
             s[i] != '[' && !is_special(s[i])) {
        ++i;
      }
      Token t{Kind::word};
      t.raw = s.substr(begin, i - begin);
      t.text = std::string(t.raw);
      out.push_back(std::move(t));
    }
  }
  return out;
}

bool is(const Token& t, char special) { return t.kind == Kind::special && t.special == special; }

std::string phrase(const std::vector<Token>& toks, std::size_t a, std::size_t b) {
  std::string out;
  for (std::size_t i = a; i < b; ++i) {
    if (!out.empty()) out += ' ';
    out += toks[i].text;
  }
  return out;
}

std::string raw_join(const std::vector<Token>& toks, std::size_t a, std::size_t b) {
  std::string out;
  for (std::size_t i = a; i < b; ++i) out += toks[i].raw;
  return out;
}

// Mailbox and host of an addr-spec in toks[a, b).
void addr_spec(const std::vector<Token>& toks, std::size_t a, std::size_t b, Address& addr) {
  std::size_t at = a;
  while (at < b && !is(toks[at], '@')) ++at;
  addr.mailbox = raw_join(toks, a, at);
  if (at < b) {
    addr.host = raw_join(toks, at + 1, b);
  } else {
    addr.host = addr.mailbox->empty() ? std::string() : std::string(kMissingHost);
  }
}

void set_name(Address& addr, std::string name) {
  if (name.empty()) return;
  addr.name_utf8 = decode_words(name);
  addr.name = std::move(name);
}

}  // namespace

std::vector<Address> parse_addresses(std::string_view value) {
  const std::vector<Token> toks = tokenize(value);
  const std::size_t n = toks.size();
  std::vector<Address> out;
  bool in_group = false;
  std::size_t i = 0;
  while (i < n) {
    if (is(toks[i], ',') || (is(toks[i], ';') && !in_group)) {
      ++i;
      continue;
    }
    if (is(toks[i], ';')) {
      out.push_back(Address{});
      in_group = false;
      ++i;
      continue;
    }
    std::size_t j = i;
    while (j < n && !is(toks[j], '<') && !is(toks[j], ':') && !is(toks[j], ',') && !is(toks[j], ';')) ++j;
    if (j < n && is(toks[j], ':')) {
      if (!in_group) {
        Address start;
        start.mailbox = phrase(toks, i, j);
        out.push_back(std::move(start));
        in_group = true;
      }
      i = j + 1;  // a nested group's name is dropped
      continue;
    }
    if (j < n && is(toks[j], '<')) {
      Address addr;
      set_name(addr, phrase(toks, i, j));
      std::size_t k = j + 1;
      std::size_t close = k;
      while (close < n && !is(toks[close], '>')) ++close;
      // Obsolete route "@a,@b:" before the addr-spec (RFC 5322 4.4).
      if (k < close && is(toks[k], '@')) {
        std::size_t colon = k;
        while (colon < close && !is(toks[colon], ':')) ++colon;
        if (colon < close) {
          addr.adl = raw_join(toks, k, colon);
          k = colon + 1;
        }
      }
      addr_spec(toks, k, close, addr);
      out.push_back(std::move(addr));
      i = close < n ? close + 1 : n;
      while (i < n && !is(toks[i], ',') && !is(toks[i], ';')) ++i;  // junk after '>'
      continue;
    }
    if (i < j) {
      Address addr;
      addr_spec(toks, i, j, addr);
      // A bare addr-spec's trailing comment stands for its display name
      // (RFC 822 practice; as Dovecot reads it).
      set_name(addr, std::string(trim(toks[j - 1].comment)));
      out.push_back(std::move(addr));
    }
    i = j;
  }
  if (in_group) out.push_back(Address{});
  return out;
}

Envelope parse_envelope(std::string_view header, std::size_t max_header_bytes) {
  Envelope env;
  bool have_from = false, have_sender = false, have_reply_to = false, have_to = false, have_cc = false,
       have_bcc = false;
  const auto list = [](bool& seen, std::vector<Address>& dest, std::string_view value) {
    if (seen) return;
    seen = true;
    dest = parse_addresses(value);
  };
  const auto text = [](std::optional<std::string>& dest, std::string_view value) {
    if (!dest) dest = unfold(value);
  };
  FieldReader reader(header, max_header_bytes);
  Field f;
  while (reader.next(f)) {
    if (iequals(f.name, "date")) {
      text(env.date, f.value);
    } else if (iequals(f.name, "subject")) {
      if (!env.subject) {
        env.subject = unfold(f.value);
        env.subject_utf8 = decode_words(*env.subject);
      }
    } else if (iequals(f.name, "from")) {
      list(have_from, env.from, f.value);
    } else if (iequals(f.name, "sender")) {
      list(have_sender, env.sender, f.value);
    } else if (iequals(f.name, "reply-to")) {
      list(have_reply_to, env.reply_to, f.value);
    } else if (iequals(f.name, "to")) {
      list(have_to, env.to, f.value);
    } else if (iequals(f.name, "cc")) {
      list(have_cc, env.cc, f.value);
    } else if (iequals(f.name, "bcc")) {
      list(have_bcc, env.bcc, f.value);
    } else if (iequals(f.name, "in-reply-to")) {
      text(env.in_reply_to, f.value);
    } else if (iequals(f.name, "message-id")) {
      text(env.message_id, f.value);
    }
  }
  // RFC 9051 7.5.2: the server fills sender and reply-to from from.
  if (env.sender.empty()) env.sender = env.from;
  if (env.reply_to.empty()) env.reply_to = env.from;
  return env;
}

}  // namespace parley::mime
