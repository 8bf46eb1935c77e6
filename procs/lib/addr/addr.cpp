#include "addr/addr.h"
#include "core/utf8.h"

#include <arpa/inet.h>
#include <idn2.h>

#include <cstdint>
#include <cstdio>
#include <memory>

namespace parley::addr {
namespace {

constexpr std::size_t kMaxLabel = 63;  // RFC 1035 2.3.4
constexpr int kIdnaFlags = IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL;

bool is_alpha(unsigned char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }
char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string lowercase(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = lower(c);
  return out;
}

// RFC 5322 3.2.3 atext, ASCII part.
bool is_atext(unsigned char c) {
  if (is_alpha(c) || is_digit(c)) return true;
  switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*':
    case '+': case '-': case '/': case '=': case '?': case '^': case '_':
    case '`': case '{': case '|': case '}': case '~':
      return true;
    default:
      return false;
  }
}

// RFC 5321 4.1.2 qtextSMTP, ASCII part: %d32-33 / %d35-91 / %d93-126.
bool is_qtext(unsigned char c) { return c >= 32 && c <= 126 && c != '"' && c != '\\'; }

bool is_ldh(unsigned char c) { return is_alpha(c) || is_digit(c) || c == '-'; }

bool has_non_ascii(std::string_view s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) >= 0x80) return true;
  }
  return false;
}

// How a byte is shown in a detail: printable ASCII as is, the rest as hex,
// so the log never receives raw control or broken UTF-8 bytes.
std::string show_byte(unsigned char c) {
  if (c >= 33 && c <= 126) return std::string("'") + static_cast<char>(c) + "'";
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%02X", c);
  return buf;
}

std::string at(std::size_t offset) { return " at offset " + std::to_string(offset); }

// Every non-ASCII byte of `s` belongs to a well-formed UTF-8 sequence.
Status check_utf8(std::string_view s, std::string_view what) {
  for (std::size_t i = 0; i < s.size();) {
    if (static_cast<unsigned char>(s[i]) < 0x80) {
      ++i;
      continue;
    }
    const std::size_t n = utf8_length(s, i);
    if (n == 0) return fail(Errc::syntax, std::string(what) + ": invalid UTF-8" + at(i));
    i += n;
  }
  return {};
}

struct IdnFree {
  void operator()(void* p) const { idn2_free(p); }
};

Error idn_error(int rc, std::string_view what) {
  // Over-long names and labels are limits, as elsewhere in this library.
  const bool too_big = rc == IDN2_TOO_BIG_DOMAIN || rc == IDN2_TOO_BIG_LABEL || rc == IDN2_PUNYCODE_BIG_OUTPUT;
  const Errc code = too_big ? Errc::limit : Errc::syntax;
  return fail(code, std::string(what) + ": " + idn2_strerror_name(rc) + " (" + idn2_strerror(rc) + ")");
}

// U-label(s) to A-label form with IDNA2008 + UTS#46 non-transitional
// mapping and NFC, as stored.
Result<std::string> idna_lookup(const std::string& name, std::string_view what) {
  std::uint8_t* out = nullptr;
  const int rc = idn2_lookup_u8(reinterpret_cast<const std::uint8_t*>(name.c_str()), &out, kIdnaFlags);
  const std::unique_ptr<std::uint8_t, IdnFree> owned(out);
  if (rc != IDN2_OK) return idn_error(rc, what);
  return std::string(reinterpret_cast<const char*>(out));
}

// An A-label is valid when it decodes and the decoded U-label encodes back
// to exactly the same (lowercase) A-label: that refuses bad punycode,
// disallowed code points and non-canonical spellings alike.
Status check_a_label(const std::string& label) {
  const std::string what = "A-label \"" + label + "\"";
  char* uni = nullptr;
  const int rc = idn2_to_unicode_8z8z(label.c_str(), &uni, 0);
  const std::unique_ptr<char, IdnFree> owned(uni);
  if (rc != IDN2_OK) return idn_error(rc, what);
  if (uni == nullptr || *uni == '\0') return fail(Errc::syntax, what + " decodes to nothing");
  auto back = idna_lookup(uni, what);
  if (!back) return back.error();
  if (*back != label) return fail(Errc::syntax, what + " is not canonical (expected \"" + *back + "\")");
  return {};
}

// A lowercase ASCII name, no trailing dot: RFC 5321 sub-domains (Let-dig,
// Ldh-str, each label <= 63) and every "xn--" label a valid A-label.
Status check_ascii_name(const std::string& name) {
  if (name.size() > kMaxDomain) {
    return fail(Errc::limit, "domain is " + std::to_string(name.size()) + " octets, over " +
                                 std::to_string(kMaxDomain));
  }
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = name.find('.', start);
    const std::size_t end = dot == std::string::npos ? name.size() : dot;
    const std::string label = name.substr(start, end - start);
    if (label.empty()) return fail(Errc::syntax, "domain has an empty label" + at(start));
    if (label.size() > kMaxLabel) {
      return fail(Errc::syntax, "domain label \"" + label.substr(0, 16) + "...\" is " +
                                    std::to_string(label.size()) + " octets, over 63");
    }
    for (std::size_t i = 0; i < label.size(); ++i) {
      const auto c = static_cast<unsigned char>(label[i]);
      if (!is_ldh(c)) {
        return fail(Errc::syntax, "domain has character " + show_byte(c) + at(start + i) +
                                      " (letters, digits and '-' only)");
      }
    }
    if (label.front() == '-' || label.back() == '-') {
      return fail(Errc::syntax, "domain label \"" + label + "\" starts or ends with '-'");
    }
    if (label.size() >= 4 && label.compare(0, 4, "xn--") == 0) {
      if (auto st = check_a_label(label); !st) return st;
    }
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return {};
}

// "[192.0.2.1]" or "[IPv6:2001:db8::1]" (RFC 5321 4.1.3), brackets included.
Status check_literal(std::string_view lit) {
  if (lit.size() < 2 || lit.back() != ']') return fail(Errc::syntax, "address literal has no closing ']'");
  const std::string inner(lit.substr(1, lit.size() - 2));
  // dcontent (RFC 5321 4.1.3): also keeps NUL away from inet_pton's C string.
  for (std::size_t i = 0; i < inner.size(); ++i) {
    const auto c = static_cast<unsigned char>(inner[i]);
    if (c < 33 || c > 126 || c == '[' || c == '\\' || c == ']') {
      return fail(Errc::syntax, "address literal has character " + show_byte(c) + at(i + 1));
    }
  }
  if (inner.size() >= 5 && lowercase(inner.substr(0, 5)) == "ipv6:") {
    in6_addr a6{};
    if (inet_pton(AF_INET6, inner.c_str() + 5, &a6) != 1) {
      return fail(Errc::syntax, "bad IPv6 address literal \"" + inner.substr(5) + "\"");
    }
    return {};
  }
  if (inner.find(':') != std::string::npos) {
    return fail(Errc::syntax, "general address literals are not supported (only IPv4 and IPv6:)");
  }
  in_addr a4{};
  if (inet_pton(AF_INET, inner.c_str(), &a4) != 1) {
    return fail(Errc::syntax, "bad IPv4 address literal \"" + inner + "\"");
  }
  return {};
}

// The local part up to the "@": returns the offset of the "@".
Result<std::size_t> parse_local(std::string_view text, bool utf8, Address& out) {
  const auto bad_byte = [&](std::size_t i) -> Error {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x80 && !utf8) {
      return fail(Errc::syntax, "local part: non-ASCII byte" + at(i) + " without SMTPUTF8");
    }
    return fail(Errc::syntax, "local part: character " + show_byte(c) + at(i) + " is not allowed");
  };
  // A UTF-8 sequence at i: its length, or an error.
  const auto utf8_at = [&](std::size_t i) -> Result<std::size_t> {
    if (!utf8) return bad_byte(i);
    const std::size_t n = utf8_length(text, i);
    if (n == 0) return fail(Errc::syntax, "local part: invalid UTF-8" + at(i));
    return n;
  };

  if (!text.empty() && text.front() == '"') {
    out.quoted = true;
    std::size_t i = 1;
    while (true) {
      if (i >= text.size()) return fail(Errc::syntax, "local part: unterminated quoted string");
      const auto c = static_cast<unsigned char>(text[i]);
      if (c == '"') break;
      if (c == '\\') {
        if (i + 1 >= text.size()) return fail(Errc::syntax, "local part: unterminated quoted string");
        const auto q = static_cast<unsigned char>(text[i + 1]);
        if (q < 32 || q > 126) {
          return fail(Errc::syntax, "local part: quoted-pair \\" + show_byte(q) + at(i) + " is not allowed");
        }
        out.local.push_back(static_cast<char>(q));
        i += 2;
      } else if (c >= 0x80) {
        auto n = utf8_at(i);
        if (!n) return n.error();
        out.local.append(text.substr(i, *n));
        i += *n;
      } else if (is_qtext(c)) {
        out.local.push_back(static_cast<char>(c));
        ++i;
      } else {
        return bad_byte(i);
      }
    }
    ++i;  // closing quote
    if (i > kMaxLocalPart) {
      return fail(Errc::limit, "local part is over " + std::to_string(kMaxLocalPart) + " octets");
    }
    if (i >= text.size()) return fail(Errc::syntax, "missing \"@\" after the local part");
    if (text[i] != '@') return fail(Errc::syntax, "expected \"@\" after the quoted string" + at(i));
    return i;
  }

  // Dot-string: atoms of atext joined by single dots.
  std::size_t i = 0;
  bool atom_empty = true;
  while (i < text.size() && text[i] != '@') {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == '.') {
      if (i == 0) return fail(Errc::syntax, "local part starts with '.'");
      if (atom_empty) return fail(Errc::syntax, "local part has '..'" + at(i - 1));
      atom_empty = true;
      ++i;
    } else if (c >= 0x80) {
      auto n = utf8_at(i);
      if (!n) return n.error();
      atom_empty = false;
      i += *n;
    } else if (is_atext(c)) {
      atom_empty = false;
      ++i;
    } else {
      return bad_byte(i);
    }
  }
  if (i == text.size()) {
    return fail(Errc::syntax, text.empty() ? "empty address" : "missing \"@\"");
  }
  if (i == 0) return fail(Errc::syntax, "empty local part");
  if (atom_empty) return fail(Errc::syntax, "local part ends with '.'");
  if (i > kMaxLocalPart) {
    return fail(Errc::limit, "local part is " + std::to_string(i) + " octets, over " +
                                 std::to_string(kMaxLocalPart));
  }
  out.local.assign(text.substr(0, i));
  return i;
}

// Checks the domain of a mailbox; for a name, also returns its stored form
// (normalize_domain's result), so normalize() need not compute it twice.
Result<std::string> check_domain(std::string_view domain, bool utf8) {
  if (domain.empty()) return fail(Errc::syntax, "empty domain");
  if (domain.size() > kMaxDomain) {
    return fail(Errc::limit, "domain is " + std::to_string(domain.size()) + " octets, over " +
                                 std::to_string(kMaxDomain));
  }
  if (domain.front() == '[') {
    if (auto st = check_literal(domain); !st) return st.error();
    return lowercase(domain);
  }
  // Name a stray byte precisely before libidn2 gives its generic answer.
  for (std::size_t i = 0; i < domain.size(); ++i) {
    const auto c = static_cast<unsigned char>(domain[i]);
    if (c >= 0x80) {
      if (!utf8) return fail(Errc::syntax, "domain: non-ASCII byte" + at(i) + " without SMTPUTF8");
      continue;
    }
    if (!is_ldh(c) && c != '.') {
      return fail(Errc::syntax, "domain has character " + show_byte(c) + at(i) +
                                    " (letters, digits, '-' and '.' only)");
    }
  }
  return normalize_domain(domain);
}

// RFC 5321 Dot-string, with UTF-8 as atext (RFC 6531).
bool is_dot_string(std::string_view s) {
  if (s.empty() || s.front() == '.' || s.back() == '.') return false;
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == '.') {
      if (s[i + 1] == '.') return false;
      ++i;
    } else if (c >= 0x80) {
      const std::size_t n = utf8_length(s, i);
      if (n == 0) return false;
      i += n;
    } else if (is_atext(c)) {
      ++i;
    } else {
      return false;
    }
  }
  return true;
}

// parse_mailbox, plus the domain's stored form in `stored_domain`.
Result<Address> parse(std::string_view text, bool utf8, std::string& stored_domain) {
  Address out;
  auto at_sign = parse_local(text, utf8, out);
  if (!at_sign) return at_sign.error();
  const std::string_view domain = text.substr(*at_sign + 1);
  auto stored = check_domain(domain, utf8);
  if (!stored) return stored.error();
  if (text.size() + 2 > kMaxPath) {
    return fail(Errc::limit, "mailbox is " + std::to_string(text.size()) + " octets, over " +
                                 std::to_string(kMaxPath - 2) + " (path limit)");
  }
  out.domain.assign(domain);
  out.literal = domain.front() == '[';
  stored_domain = std::move(*stored);
  return out;
}

}  // namespace

Result<Address> parse_mailbox(std::string_view text, bool utf8) {
  std::string stored_domain;
  return parse(text, utf8, stored_domain);
}

Result<std::string> normalize_domain(std::string_view domain) {
  if (!domain.empty() && domain.back() == '.') domain.remove_suffix(1);
  if (domain.empty()) return fail(Errc::syntax, "empty domain");
  if (domain.size() > kMaxDomain) {
    return fail(Errc::limit, "domain is " + std::to_string(domain.size()) + " octets, over " +
                                 std::to_string(kMaxDomain));
  }
  if (domain.front() == '[') return fail(Errc::syntax, "address literal where a domain name is expected");
  std::string ascii;
  if (has_non_ascii(domain)) {
    if (domain.find('\0') != std::string_view::npos) return fail(Errc::syntax, "domain has a NUL byte");
    if (auto st = check_utf8(domain, "domain"); !st) return st.error();
    auto looked_up = idna_lookup(std::string(domain), "domain");
    if (!looked_up) return looked_up.error();
    ascii = std::move(*looked_up);
  } else {
    ascii = lowercase(domain);
  }
  // Also for libidn2's output: UTS#46 mapping can produce '.' (U+3002) or
  // characters outside LDH ('_'), which a stored domain must not have.
  if (auto st = check_ascii_name(ascii); !st) return st.error();
  return ascii;
}

std::string normalize_local(std::string_view local) { return lowercase(local); }

Result<Normalized> normalize(std::string_view text, char separator) {
  Normalized out;
  auto parsed = parse(text, true, out.domain);
  if (!parsed) return parsed.error();
  if (parsed->local.empty()) return fail(Errc::invalid, "empty local part");
  out.local = normalize_local(parsed->local);
  if (separator != '\0') {
    const std::size_t pos = out.local.find(separator);
    if (pos != std::string::npos && pos > 0) {
      out.detail = out.local.substr(pos + 1);
      out.local.resize(pos);
    }
  }
  return out;
}

std::string to_string(const Address& address) {
  std::string out;
  out.reserve(address.local.size() + address.domain.size() + 3);
  if (is_dot_string(address.local)) {
    out = address.local;
  } else {
    out.push_back('"');
    for (char c : address.local) {
      if (c == '"' || c == '\\') out.push_back('\\');
      out.push_back(c);
    }
    out.push_back('"');
  }
  out.push_back('@');
  out += address.domain;
  return out;
}

}  // namespace parley::addr
