#include "sip/uri.h"

#include <arpa/inet.h>

#include <algorithm>
#include <utility>

#include "core/ascii.h"

namespace parley::sip {
namespace {

Error syntax(std::string detail) { return fail(Errc::syntax, std::move(detail)); }

bool alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool digit(char c) { return c >= '0' && c <= '9'; }
bool alnum(char c) { return alpha(c) || digit(c); }
bool hex(char c) { return digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
int hex_value(char c) {
  if (digit(c)) return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return c - 'A' + 10;
}

// RFC 3261 25.1: unreserved = alphanum / mark.
bool unreserved(char c) { return alnum(c) || std::string_view("-_.!~*'()").find(c) != std::string_view::npos; }

// The characters each component may hold unescaped, besides unreserved.
constexpr std::string_view kUserExtra = "&=+$,;?/";  // user-unreserved
constexpr std::string_view kPasswordExtra = "&=+$,";
constexpr std::string_view kParamExtra = "[]/:&+$";   // param-unreserved
constexpr std::string_view kHeaderExtra = "[]/?:+$";  // hnv-unreserved

bool allowed(char c, std::string_view extra) { return unreserved(c) || extra.find(c) != std::string_view::npos; }

// Unescapes `s`, whose bytes must each be allowed or part of a %XX escape.
Result<std::string> unescape(std::string_view s, std::string_view extra, std::string_view what) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '%') {
      if (i + 2 >= s.size()) return syntax(std::string("truncated escape in ") + std::string(what));
      if (!hex(s[i + 1]) || !hex(s[i + 2])) return syntax(std::string("bad escape in ") + std::string(what));
      out.push_back(static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2])));
      i += 2;
    } else if (allowed(c, extra)) {
      out.push_back(c);
    } else {
      return syntax(std::string("character not allowed in ") + std::string(what));
    }
  }
  return out;
}

void escape(std::string& out, std::string_view s, std::string_view extra) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (char c : s) {
    if (allowed(c, extra)) {
      out.push_back(c);
    } else {
      const auto b = static_cast<unsigned char>(c);
      out.push_back('%');
      out.push_back(kHex[b >> 4]);
      out.push_back(kHex[b & 15]);
    }
  }
}

}  // namespace

bool valid_host(std::string_view h) {
  if (h.empty()) return false;
  if (h.front() == '[') {
    if (h.size() < 3 || h.back() != ']') return false;
    const std::string inner(h.substr(1, h.size() - 2));
    in6_addr a6{};
    return inet_pton(AF_INET6, inner.c_str(), &a6) == 1;
  }
  // A hostname: labels of alphanum and '-', not starting or ending with
  // '-', a trailing dot allowed; the last label starts with a letter unless
  // the whole is an IPv4 address (all digits and dots).
  std::string_view body = h.back() == '.' ? h.substr(0, h.size() - 1) : h;
  if (body.empty()) return false;
  bool all_numeric = true;
  std::size_t start = 0;
  std::string_view last;
  while (start <= body.size()) {
    auto dot = body.find('.', start);
    if (dot == std::string_view::npos) dot = body.size();
    const std::string_view label = body.substr(start, dot - start);
    if (label.empty() || label.front() == '-' || label.back() == '-') return false;
    for (char c : label) {
      if (!alnum(c) && c != '-') return false;
      if (!digit(c)) all_numeric = false;
    }
    last = label;
    start = dot + 1;
  }
  if (all_numeric) {
    const std::string s(h);
    in_addr a4{};
    return inet_pton(AF_INET, s.c_str(), &a4) == 1;
  }
  return alpha(last.front());
}

namespace {

Result<std::vector<UriParam>> parse_params(std::string_view s, char separator, std::string_view extra,
                                           std::string_view what, bool value_required) {
  std::vector<UriParam> out;
  std::size_t pos = 0;
  while (pos <= s.size()) {
    auto end = s.find(separator, pos);
    if (end == std::string_view::npos) end = s.size();
    const std::string_view item = s.substr(pos, end - pos);
    const auto eq = item.find('=');
    UriParam p;
    auto name = unescape(item.substr(0, eq), extra, what);
    if (!name) return name.error();
    if (name->empty()) return syntax(std::string("empty name in ") + std::string(what));
    p.name = std::move(*name);
    if (eq != std::string_view::npos) {
      auto value = unescape(item.substr(eq + 1), extra, what);
      if (!value) return value.error();
      // ";name=" is not in the grammar for parameters (1*paramchar); a
      // header's value may be empty (hvalue = *( hnv-unreserved / ... )).
      if (value->empty() && value_required) return syntax(std::string("empty value in ") + std::string(what));
      p.value = std::move(*value);
      p.has_value = true;
    } else if (separator == '&') {
      return syntax("header without '='");
    }
    // A parameter appears once (RFC 3261 19.1.1); comparison relies on it.
    if (separator == ';') {
      for (const auto& seen : out) {
        if (ascii_lower(seen.name) == ascii_lower(p.name)) return syntax(std::string("repeated ") + std::string(what));
      }
    }
    out.push_back(std::move(p));
    pos = end + 1;
  }
  return out;
}

Result<Uri> parse_sip(Uri uri, std::string_view rest) {
  // userinfo ends at the first '@': neither user, password, host,
  // parameters nor headers may hold an unescaped '@'.
  const auto at = rest.find('@');
  if (at != std::string_view::npos) {
    const std::string_view userinfo = rest.substr(0, at);
    const auto colon = userinfo.find(':');
    auto user = unescape(userinfo.substr(0, colon), kUserExtra, "user");
    if (!user) return user.error();
    if (user->empty()) return syntax("empty user");
    uri.user = std::move(*user);
    if (colon != std::string_view::npos) {
      auto password = unescape(userinfo.substr(colon + 1), kPasswordExtra, "password");
      if (!password) return password.error();
      uri.password = std::move(*password);
    }
    rest.remove_prefix(at + 1);
  }
  const auto q = rest.find('?');
  std::string_view headers;
  if (q != std::string_view::npos) {
    headers = rest.substr(q + 1);
    rest = rest.substr(0, q);
    if (headers.empty()) return syntax("empty headers");
  }
  const auto semi = rest.find(';');
  std::string_view hostport = rest.substr(0, semi);
  if (semi != std::string_view::npos) {
    auto params = parse_params(rest.substr(semi + 1), ';', kParamExtra, "uri-parameter", true);
    if (!params) return params.error();
    uri.params = std::move(*params);
  }
  if (!headers.empty()) {
    auto hs = parse_params(headers, '&', kHeaderExtra, "header", false);
    if (!hs) return hs.error();
    uri.headers = std::move(*hs);
  }
  // The port follows the last ':' outside an IPv6 reference.
  const auto bracket = hostport.rfind(']');
  const auto colon = hostport.rfind(':');
  if (colon != std::string_view::npos && (bracket == std::string_view::npos || colon > bracket)) {
    const std::string_view port = hostport.substr(colon + 1);
    if (port.empty() || port.size() > 5) return syntax("bad port");
    unsigned n = 0;
    for (char c : port) {
      if (!digit(c)) return syntax("bad port");
      n = n * 10 + static_cast<unsigned>(c - '0');
    }
    if (n > 65535) return syntax("port above 65535");
    uri.port = static_cast<std::uint16_t>(n);
    hostport = hostport.substr(0, colon);
  }
  if (!valid_host(hostport)) return syntax("bad host");
  uri.host = std::string(hostport);
  return uri;
}

// RFC 3966: the number (global "+..." or local), then ";name=value"
// parameters; values are kept as written.
Result<Uri> parse_tel(Uri uri, std::string_view rest) {
  const auto semi = rest.find(';');
  const std::string_view number = rest.substr(0, semi);
  if (number.empty()) return syntax("empty telephone number");
  for (std::size_t i = 0; i < number.size(); ++i) {
    const char c = number[i];
    const bool ok =
        hex(c) || c == '*' || c == '#' || c == '-' || c == '.' || c == '(' || c == ')' || (c == '+' && i == 0);
    if (!ok) return syntax("character not allowed in telephone number");
  }
  uri.user = std::string(number);
  if (semi != std::string_view::npos) {
    auto params = parse_params(rest.substr(semi + 1), ';', kParamExtra, "tel parameter", true);
    if (!params) return params.error();
    uri.params = std::move(*params);
  }
  return uri;
}

bool iequal(std::string_view a, std::string_view b) { return ascii_lower(a) == ascii_lower(b); }

const UriParam* find(const std::vector<UriParam>& ps, std::string_view name) {
  for (const auto& p : ps) {
    if (iequal(p.name, name)) return &p;
  }
  return nullptr;
}

bool same_param(const UriParam& a, const UriParam& b) { return a.has_value == b.has_value && iequal(a.value, b.value); }

std::string tel_digits(std::string_view n) {
  std::string out;
  for (char c : n) {
    if (c != '-' && c != '.' && c != '(' && c != ')') out.push_back(c);
  }
  return ascii_lower(out);
}

}  // namespace

const UriParam* Uri::param(std::string_view name) const { return find(params, name); }

Result<Uri> parse_uri(std::string_view text) {
  if (text.size() > kMaxUri) return fail(Errc::limit, "URI too long");
  const auto colon = text.find(':');
  if (colon == std::string_view::npos || colon == 0) return syntax("URI without scheme");
  const std::string_view scheme = text.substr(0, colon);
  if (!alpha(scheme.front())) return syntax("bad URI scheme");
  for (char c : scheme) {
    if (!alnum(c) && c != '+' && c != '-' && c != '.') return syntax("bad URI scheme");
  }
  const std::string_view rest = text.substr(colon + 1);
  if (rest.empty()) return syntax("empty URI");
  Uri uri;
  uri.scheme_name = ascii_lower(scheme);
  if (uri.scheme_name == "sip" || uri.scheme_name == "sips") {
    uri.scheme = uri.scheme_name == "sip" ? Scheme::sip : Scheme::sips;
    return parse_sip(std::move(uri), rest);
  }
  if (uri.scheme_name == "tel") {
    uri.scheme = Scheme::tel;
    return parse_tel(std::move(uri), rest);
  }
  // absoluteURI (RFC 3261 25.1): no whitespace, controls, quotes or angle
  // brackets, so a URI always ends where a name-addr expects it to.
  for (char c : rest) {
    const auto b = static_cast<unsigned char>(c);
    if (b <= 0x20 || b >= 0x7f || c == '<' || c == '>' || c == '"') return syntax("character not allowed in URI");
  }
  uri.scheme = Scheme::other;
  uri.opaque = std::string(rest);
  return uri;
}

std::string to_string(const Uri& uri) {
  std::string out = uri.scheme_name;
  out.push_back(':');
  if (uri.scheme == Scheme::other) return out + uri.opaque;
  if (uri.scheme == Scheme::tel) {
    out += uri.user;
  } else {
    if (!uri.user.empty()) {
      escape(out, uri.user, kUserExtra);
      if (uri.password) {
        out.push_back(':');
        escape(out, *uri.password, kPasswordExtra);
      }
      out.push_back('@');
    }
    out += uri.host;
    if (uri.port) out += ":" + std::to_string(*uri.port);
  }
  for (const auto& p : uri.params) {
    out.push_back(';');
    escape(out, p.name, kParamExtra);
    if (p.has_value) {
      out.push_back('=');
      escape(out, p.value, kParamExtra);
    }
  }
  char sep = '?';
  for (const auto& h : uri.headers) {
    out.push_back(sep);
    sep = '&';
    escape(out, h.name, kHeaderExtra);
    out.push_back('=');
    escape(out, h.value, kHeaderExtra);
  }
  return out;
}

bool equivalent(const Uri& a, const Uri& b) {
  if (a.scheme != b.scheme || a.scheme_name != b.scheme_name) return false;
  if (a.scheme == Scheme::other) return a.opaque == b.opaque;
  if (a.scheme == Scheme::tel) {
    if (tel_digits(a.user) != tel_digits(b.user) || a.params.size() != b.params.size()) return false;
    for (const auto& p : a.params) {
      const UriParam* q = find(b.params, p.name);
      if (!q || !same_param(p, *q)) return false;
    }
    return true;
  }
  if (a.user != b.user || a.password != b.password) return false;
  if (!iequal(a.host, b.host) || a.port != b.port) return false;
  for (const auto& p : a.params) {
    const UriParam* q = find(b.params, p.name);
    if (q && !same_param(p, *q)) return false;
  }
  // RFC 3261 19.1.4 names user, ttl, method and maddr; its examples make
  // transport one of them too (sip:bob@biloxi.com differs from
  // sip:bob@biloxi.com;transport=udp).
  for (std::string_view must : {"user", "ttl", "method", "maddr", "transport"}) {
    if ((find(a.params, must) == nullptr) != (find(b.params, must) == nullptr)) return false;
  }
  // Headers may repeat: compared as sets of (name, value), in any order.
  if (a.headers.size() != b.headers.size()) return false;
  const auto sorted = [](const std::vector<UriParam>& hs) {
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& h : hs) out.emplace_back(ascii_lower(h.name), h.value);
    std::sort(out.begin(), out.end());
    return out;
  };
  return sorted(a.headers) == sorted(b.headers);
}

}  // namespace parley::sip
