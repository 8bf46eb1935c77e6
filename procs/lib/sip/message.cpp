#include "sip/message.h"

#include <array>
#include <utility>

#include "core/ascii.h"
#include "core/quoted.h"

namespace parley::sip {
namespace {

Error syntax(std::string detail) { return fail(Errc::syntax, std::move(detail)); }

bool digit(char c) { return c >= '0' && c <= '9'; }
bool ws(char c) { return c == ' ' || c == '\t'; }

// RFC 3261 25.1: token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" /
// "+" / "`" / "'" / "~").
bool token_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || digit(c) ||
         std::string_view("-.!%*_+`'~").find(c) != std::string_view::npos;
}
bool token(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!token_char(c)) return false;
  }
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && ws(s.front())) s.remove_prefix(1);
  while (!s.empty() && ws(s.back())) s.remove_suffix(1);
  return s;
}

// 1*DIGIT no greater than `max`.
std::optional<std::uint64_t> number(std::string_view s, std::uint64_t max) {
  if (s.empty() || s.size() > 19) return std::nullopt;
  std::uint64_t n = 0;
  for (char c : s) {
    if (!digit(c)) return std::nullopt;
    n = n * 10 + static_cast<std::uint64_t>(c - '0');
  }
  if (n > max) return std::nullopt;
  return n;
}

// Long and compact names (RFC 3261 7.3.3, 20; RFC 3841, 3892, 3515, 6665,
// 4028, 8224).
constexpr std::array<std::pair<std::string_view, std::string_view>, 17> kCompact = {{
    {"Accept-Contact", "a"},
    {"Referred-By", "b"},
    {"Content-Type", "c"},
    {"Content-Encoding", "e"},
    {"From", "f"},
    {"Call-ID", "i"},
    {"Supported", "k"},
    {"Content-Length", "l"},
    {"Contact", "m"},
    {"Event", "o"},
    {"Refer-To", "r"},
    {"Subject", "s"},
    {"To", "t"},
    {"Allow-Events", "u"},
    {"Via", "v"},
    {"Session-Expires", "x"},
    {"Identity", "y"},
}};

std::string_view canonical(std::string_view name) {
  for (const auto& [full, compact] : kCompact) {
    if (ascii_iequal(name, full) || ascii_iequal(name, compact)) return full;
  }
  return name;
}

// Headers whose grammar holds commas inside one value.
constexpr std::array<std::string_view, 11> kUnsplit = {
    "Date",    "Authorization",       "Proxy-Authorization", "WWW-Authenticate", "Proxy-Authenticate",
    "Subject", "Authentication-Info", "Organization",        "Server",           "User-Agent",
    "Identity"};

// A quoted-string starting at s[0] == '"': its length with both quotes, or
// npos when it does not end.
std::size_t quoted_length(std::string_view s) {
  for (std::size_t i = 1; i < s.size(); ++i) {
    if (s[i] == '\\') {
      ++i;
    } else if (s[i] == '"') {
      return i + 1;
    }
  }
  return std::string_view::npos;
}

// generic-param list: *( SEMI name [ EQUAL gen-value ] ), gen-value = token /
// host / quoted-string.
Result<std::vector<Param>> parse_params(std::string_view s) {
  std::vector<Param> out;
  s = trim(s);
  while (!s.empty()) {
    if (s.front() != ';') return syntax("expected ';' before a parameter");
    s = trim(s.substr(1));
    std::size_t n = 0;
    while (n < s.size() && token_char(s[n])) ++n;
    if (n == 0) return syntax("empty parameter name");
    Param p;
    p.name = s.substr(0, n);
    s = trim(s.substr(n));
    if (!s.empty() && s.front() == '=') {
      s = trim(s.substr(1));
      std::size_t v = 0;
      if (!s.empty() && s.front() == '"') {
        v = quoted_length(s);
        if (v == std::string_view::npos) return syntax("unterminated quoted string in a parameter");
      } else {
        while (v < s.size() && (token_char(s[v]) || s[v] == '[' || s[v] == ']' || s[v] == ':')) ++v;
        if (v == 0) return syntax("empty parameter value");
      }
      p.value = s.substr(0, v);
      p.has_value = true;
      s = trim(s.substr(v));
    }
    out.push_back(p);
  }
  return out;
}

Result<NameAddr> parse_name_addr(std::string_view s, bool name_addr_only) {
  s = trim(s);
  if (s.empty()) return syntax("empty address");
  NameAddr na;
  std::string_view rest;
  std::size_t open = std::string_view::npos;
  if (s.front() == '"') {
    const std::size_t q = quoted_length(s);
    if (q == std::string_view::npos) return syntax("unterminated quoted display name");
    na.display = s.substr(1, q - 2);
    na.display_quoted = true;
    const std::string_view after = trim(s.substr(q));
    if (after.empty() || after.front() != '<') return syntax("display name without <URI>");
    open = s.size() - after.size();
  } else {
    open = s.find('<');
    if (open != std::string_view::npos) {
      na.display = trim(s.substr(0, open));
      for (char c : na.display) {
        if (!token_char(c) && !ws(c)) return syntax("display name needs quotes");
      }
    }
  }
  if (open != std::string_view::npos) {
    const auto close = s.find('>', open);
    if (close == std::string_view::npos) return syntax("'<' without '>'");
    na.angle = true;
    na.uri_text = s.substr(open + 1, close - open - 1);
    rest = s.substr(close + 1);
  } else {
    if (name_addr_only) return syntax("URI not in <...>");
    // addr-spec: the URI ends at the first ';' (its parameters would be
    // the header's, RFC 3261 20.10) and holds no '?' or ','.
    const auto semi = s.find(';');
    na.uri_text = trim(s.substr(0, semi));
    if (na.uri_text.find_first_of("?,") != std::string_view::npos) return syntax("URI with '?' or ',' needs <...>");
    rest = semi == std::string_view::npos ? std::string_view{} : s.substr(semi);
  }
  auto uri = parse_uri(na.uri_text);
  if (!uri) return Error{uri.code(), "bad URI: " + uri.error().detail};
  na.uri = std::move(*uri);
  auto params = parse_params(rest);
  if (!params) return params.error();
  na.params = std::move(*params);
  return na;
}

// via-parm = sent-protocol LWS sent-by *( SEMI via-params ), with SWS
// around '/' and ':'.
Result<Via> parse_via(std::string_view s) {
  Via via;
  std::array<std::string_view, 3> parts;
  s = trim(s);
  for (std::size_t i = 0; i < 3; ++i) {
    std::size_t n = 0;
    while (n < s.size() && token_char(s[n])) ++n;
    if (n == 0) return syntax("bad Via sent-protocol");
    parts[i] = s.substr(0, n);
    s = s.substr(n);
    if (i < 2) {
      s = trim(s);
      if (s.empty() || s.front() != '/') return syntax("bad Via sent-protocol");
      s = trim(s.substr(1));
    }
  }
  via.protocol = parts[0];
  via.version = parts[1];
  via.transport = parts[2];
  if (s.empty() || !ws(s.front())) return syntax("no space after Via sent-protocol");
  s = trim(s);
  std::size_t n = 0;
  if (!s.empty() && s.front() == '[') {
    n = s.find(']');
    if (n == std::string_view::npos) return syntax("bad Via host");
    ++n;
  } else {
    while (n < s.size() && (token_char(s[n]) && s[n] != '%')) ++n;
  }
  via.host = s.substr(0, n);
  if (!valid_host(via.host)) return syntax("bad Via host");
  s = trim(s.substr(n));
  if (!s.empty() && s.front() == ':') {
    s = trim(s.substr(1));
    std::size_t d = 0;
    while (d < s.size() && digit(s[d])) ++d;
    const auto port = number(s.substr(0, d), 65535);
    if (!port) return syntax("bad Via port");
    via.port = static_cast<std::uint16_t>(*port);
    s = s.substr(d);
  }
  auto params = parse_params(s);
  if (!params) return params.error();
  via.params = std::move(*params);
  if (const Param* rport = find_param(via.params, "rport"); rport && rport->has_value) {
    if (!number(rport->value, 65535)) return syntax("bad Via rport");
  }
  if (const Param* branch = find_param(via.params, "branch"); branch && (!branch->has_value || !token(branch->value))) {
    return syntax("bad Via branch");
  }
  if (const Param* received = find_param(via.params, "received"); received) {
    if (!received->has_value) return syntax("bad Via received");
    std::string_view ip = received->value;
    const bool v6 = ip.find(':') != std::string_view::npos;
    const std::string host = v6 && ip.front() != '[' ? "[" + std::string(ip) + "]" : std::string(ip);
    if (!valid_host(host) || (!v6 && !digit(ip.back()))) return syntax("bad Via received");
  }
  return via;
}

// delta-seconds no greater than 2^32-1.
std::optional<std::uint32_t> delta_seconds(std::string_view s) {
  const auto n = number(s, 0xffffffffu);
  if (!n) return std::nullopt;
  return static_cast<std::uint32_t>(*n);
}

void append_crlf(std::string& out) { out += "\r\n"; }

}  // namespace

const Param* find_param(const std::vector<Param>& params, std::string_view name) {
  for (const auto& p : params) {
    if (ascii_iequal(p.name, name)) return &p;
  }
  return nullptr;
}

std::optional<std::string_view> NameAddr::tag() const {
  const Param* p = find_param(params, "tag");
  if (!p || !p->has_value) return std::nullopt;
  return p->value;
}

std::optional<std::string_view> Via::branch() const {
  const Param* p = find_param(params, "branch");
  if (!p || !p->has_value) return std::nullopt;
  return p->value;
}

std::optional<std::string_view> Via::received() const {
  const Param* p = find_param(params, "received");
  if (!p || !p->has_value) return std::nullopt;
  return p->value;
}

bool Via::has_rport() const { return find_param(params, "rport") != nullptr; }

std::optional<std::uint16_t> Via::rport() const {
  const Param* p = find_param(params, "rport");
  if (!p || !p->has_value) return std::nullopt;
  const auto n = number(p->value, 65535);
  if (!n) return std::nullopt;
  return static_cast<std::uint16_t>(*n);
}

std::string unquote(std::string_view value) {
  if (value.size() < 2 || value.front() != '"' || value.back() != '"') return std::string(value);
  value = value.substr(1, value.size() - 2);
  std::string out;
  out.reserve(value.size());
  for (std::size_t i = 0; i < value.size(); ++i) {
    if (value[i] == '\\' && i + 1 < value.size()) ++i;
    out.push_back(value[i]);
  }
  return out;
}

std::vector<std::string_view> split_list(std::string_view value) {
  std::vector<std::string_view> out;
  bool angle = false;
  std::size_t start = 0;
  constexpr std::string_view kStops = "<>,";
  for (std::size_t i = find_unquoted(value, kStops); i != std::string_view::npos; i = find_unquoted(value, kStops, i + 1)) {
    if (value[i] == '<') {
      angle = true;
    } else if (value[i] == '>') {
      angle = false;
    } else if (!angle) {
      out.push_back(trim(value.substr(start, i - start)));
      start = i + 1;
    }
  }
  out.push_back(trim(value.substr(start)));
  return out;
}

std::optional<std::string_view> Message::header(std::string_view name) const {
  const std::string_view want = canonical(name);
  for (const auto& h : headers_) {
    if (ascii_iequal(h.name, want)) return h.value;
  }
  return std::nullopt;
}

std::vector<std::string_view> Message::values(std::string_view name) const {
  const std::string_view want = canonical(name);
  bool split = true;
  for (std::string_view u : kUnsplit) {
    if (ascii_iequal(u, want)) split = false;
  }
  std::vector<std::string_view> out;
  for (const auto& h : headers_) {
    if (!ascii_iequal(h.name, want)) continue;
    if (!split) {
      out.push_back(h.value);
      continue;
    }
    for (std::string_view v : split_list(h.value)) out.push_back(v);
  }
  return out;
}

std::string Message::serialize() const {
  std::string out;
  out.reserve(buffer_->size() + 64);
  if (is_request()) {
    out.append(method_).append(" ").append(request_uri_text_).append(" ").append(version_);
  } else {
    out.append(version_).append(" ").append(std::to_string(status_)).append(" ").append(reason_);
  }
  append_crlf(out);
  for (const auto& h : headers_) {
    out.append(h.name).append(": ").append(h.value);
    append_crlf(out);
  }
  if (!content_length_) out.append("Content-Length: ").append(std::to_string(body_.size())).append("\r\n");
  append_crlf(out);
  out.append(body_);
  return out;
}

Result<Message> parse_message(std::string buffer) {
  if (buffer.size() > kMaxMessageSize) return fail(Errc::limit, "message larger than kMaxMessageSize");
  Message m;
  m.buffer_ = std::make_unique<std::string>(std::move(buffer));
  std::string& b = *m.buffer_;
  std::size_t pos = 0;
  while (b.compare(pos, 2, "\r\n") == 0) pos += 2;
  const std::size_t end = b.find("\r\n\r\n", pos);
  if (end == std::string::npos) return syntax("no empty line after the headers");
  const std::size_t head_end = end + 2;  // one past the last header line's CRLF

  // Only CRLF breaks lines; no other control but HTAB in the headers.
  for (std::size_t i = pos; i < head_end; ++i) {
    const auto c = static_cast<unsigned char>(b[i]);
    if (c == '\r') {
      if (b[i + 1] != '\n') return syntax("bare CR in the headers");
      ++i;
    } else if (c == '\n') {
      return syntax("bare LF in the headers");
    } else if (((c < 0x20 && c != '\t') || c == 0x7f) && (i == pos || b[i - 1] != '\\')) {
      // Only a quoted-pair may hold one (RFC 3261 25.1).
      return syntax("control character in the headers");
    }
  }

  // The start line.
  const std::size_t line_end = b.find("\r\n", pos);
  const std::string_view start(b.data() + pos, line_end - pos);
  if (start.empty() || ws(start.front())) return syntax("start line begins with whitespace");
  const auto valid_version = [](std::string_view v) {
    if (v.size() < 7 || !ascii_iequal(v.substr(0, 4), "SIP/")) return false;
    const std::string_view nums = v.substr(4);
    const auto dot = nums.find('.');
    if (dot == std::string_view::npos) return false;
    return number(nums.substr(0, dot), 999999).has_value() && number(nums.substr(dot + 1), 999999).has_value();
  };
  if (start.size() >= 4 && ascii_iequal(start.substr(0, 4), "SIP/")) {
    const auto sp1 = start.find(' ');
    if (sp1 == std::string_view::npos) return syntax("status line without a status code");
    m.version_ = start.substr(0, sp1);
    if (!valid_version(m.version_)) return syntax("bad SIP version");
    const std::string_view code = start.substr(sp1 + 1, 3);
    const auto status = number(code, 699);
    if (code.size() != 3 || !status || *status < 100) return syntax("bad status code");
    m.status_ = static_cast<int>(*status);
    const std::string_view after = start.substr(sp1 + 4);
    if (!after.empty()) {
      if (after.front() != ' ') return syntax("bad status code");
      m.reason_ = after.substr(1);
    }
  } else {
    const auto sp1 = start.find(' ');
    const auto sp2 = sp1 == std::string_view::npos ? sp1 : start.find(' ', sp1 + 1);
    if (sp2 == std::string_view::npos || start.find(' ', sp2 + 1) != std::string_view::npos ||
        start.find('\t') != std::string_view::npos) {
      return syntax("request line is not Method SP Request-URI SP SIP-Version");
    }
    m.method_ = start.substr(0, sp1);
    if (!token(m.method_)) return syntax("bad method");
    m.request_uri_text_ = start.substr(sp1 + 1, sp2 - sp1 - 1);
    m.version_ = start.substr(sp2 + 1);
    if (!valid_version(m.version_)) return syntax("bad SIP version");
    auto uri = parse_uri(m.request_uri_text_);
    if (!uri) return Error{uri.code(), "bad Request-URI: " + uri.error().detail};
    if (!uri->headers.empty()) return syntax("Request-URI with headers");  // RFC 3261 19.1.1, table 1
    m.request_uri_ = std::move(*uri);
  }

  // Unfold: a CRLF followed by SP or HTAB is part of the value (RFC 3261
  // 7.3.1); two spaces in its place keep every offset.
  for (std::size_t i = line_end + 2; i + 2 < head_end; ++i) {
    if (b[i] == '\r' && ws(b[i + 2])) {
      b[i] = ' ';
      b[i + 1] = ' ';
    }
  }

  // The header lines.
  std::size_t at = line_end + 2;
  while (at < head_end) {
    const std::size_t eol = b.find("\r\n", at);
    const std::string_view line(b.data() + at, eol - at);
    at = eol + 2;
    if (line.size() > kMaxHeaderLine) return fail(Errc::limit, "header line longer than kMaxHeaderLine");
    if (m.headers_.size() == kMaxHeaders) return fail(Errc::limit, "more than kMaxHeaders header fields");
    if (ws(line.front())) return syntax("continuation line after the start line");
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) return syntax("header line without ':'");
    const std::string_view name = trim(line.substr(0, colon));
    if (!token(name)) return syntax("bad header name");
    m.headers_.push_back(Header{canonical(name), trim(line.substr(colon + 1))});
  }

  // The headers every message needs, and those with a grammar to check.
  bool have_from = false, have_to = false, have_call_id = false, have_cseq = false;
  for (const auto& h : m.headers_) {
    const std::string_view n = h.name;
    const auto once = [&](bool& seen) -> Status {
      if (seen) return syntax("more than one " + std::string(n));
      seen = true;
      return {};
    };
    if (n == "Via") {
      for (std::string_view part : split_list(h.value)) {
        auto via = parse_via(part);
        if (!via) return via.error();
        m.vias_.push_back(std::move(*via));
      }
    } else if (n == "From" || n == "To") {
      if (auto s = once(n == "From" ? have_from : have_to); !s) return s.error();
      const auto parts = split_list(h.value);
      if (parts.size() != 1) return syntax(std::string(n) + " with more than one address");
      auto na = parse_name_addr(parts[0], false);
      if (!na) return Error{na.code(), std::string(n) + ": " + na.error().detail};
      (n == "From" ? m.from_ : m.to_) = std::move(*na);
    } else if (n == "Call-ID") {
      if (auto s = once(have_call_id); !s) return s.error();
      if (h.value.empty() || h.value.find_first_of(" \t") != std::string_view::npos) return syntax("bad Call-ID");
      m.call_id_ = h.value;
    } else if (ascii_iequal(n, "CSeq")) {
      if (auto s = once(have_cseq); !s) return s.error();
      std::size_t d = 0;
      while (d < h.value.size() && digit(h.value[d])) ++d;
      const auto seq = number(h.value.substr(0, d), 0x7fffffffu);  // RFC 3261 8.1.1.5
      const std::string_view method = trim(h.value.substr(d));
      if (!seq || method.size() == h.value.size() - d || !token(method)) return syntax("bad CSeq");
      m.cseq_ = CSeq{static_cast<std::uint32_t>(*seq), method};
    } else if (ascii_iequal(n, "Max-Forwards")) {
      if (m.max_forwards_) return syntax("more than one Max-Forwards");
      const auto mf = number(h.value, 255);
      if (!mf) return syntax("bad Max-Forwards");
      m.max_forwards_ = static_cast<std::uint32_t>(*mf);
    } else if (n == "Content-Length") {
      if (m.content_length_) return syntax("more than one Content-Length");
      const auto cl = number(h.value, kMaxMessageSize);
      if (!cl) return syntax("bad Content-Length");
      m.content_length_ = static_cast<std::size_t>(*cl);
    } else if (ascii_iequal(n, "Expires")) {
      if (m.expires_) return syntax("more than one Expires");
      m.expires_ = delta_seconds(h.value);
      if (!m.expires_) return syntax("bad Expires");
    } else if (n == "Contact") {
      if (h.value == "*") {
        if (m.contact_star_ || !m.contacts_.empty()) return syntax("Contact * with other contacts");
        m.contact_star_ = true;
        continue;
      }
      if (m.contact_star_) return syntax("Contact * with other contacts");
      for (std::string_view part : split_list(h.value)) {
        auto na = parse_name_addr(part, false);
        if (!na) return Error{na.code(), "Contact: " + na.error().detail};
        if (const Param* e = find_param(na->params, "expires"); e && (!e->has_value || !delta_seconds(e->value))) {
          return syntax("bad Contact expires");
        }
        m.contacts_.push_back(std::move(*na));
      }
    } else if (ascii_iequal(n, "Route") || ascii_iequal(n, "Record-Route")) {
      auto& list = ascii_iequal(n, "Route") ? m.routes_ : m.record_routes_;
      for (std::string_view part : split_list(h.value)) {
        auto na = parse_name_addr(part, true);
        if (!na) return Error{na.code(), std::string(n) + ": " + na.error().detail};
        list.push_back(std::move(*na));
      }
    }
  }
  if (m.vias_.empty()) return syntax("no Via");
  if (!have_from) return syntax("no From");
  if (!have_to) return syntax("no To");
  if (!have_call_id) return syntax("no Call-ID");
  if (!have_cseq) return syntax("no CSeq");
  if (m.is_request() && m.cseq_.method != m.method_) return syntax("CSeq method differs from the request's");

  // The body: Content-Length octets (extra octets in a datagram are
  // discarded, RFC 3261 18.3), or the rest without it.
  const std::size_t body_at = end + 4;
  const std::size_t available = b.size() - body_at;
  if (m.content_length_) {
    if (*m.content_length_ > available) return syntax("body shorter than Content-Length");
    m.body_ = std::string_view(b.data() + body_at, *m.content_length_);
  } else {
    m.body_ = std::string_view(b.data() + body_at, available);
  }
  return m;
}

Result<Message> make_response(const Message& request, int status, std::string_view reason, std::string_view to_tag,
                              const std::vector<Header>& extra, std::string_view body) {
  if (!request.is_request()) return fail(Errc::invalid, "not a request");
  if (status < 100 || status > 699) return fail(Errc::invalid, "status outside 100..699");
  const auto line_safe = [](std::string_view s) { return s.find_first_of("\r\n") == std::string_view::npos; };
  if (!line_safe(reason)) return fail(Errc::invalid, "CR or LF in the reason phrase");
  if (!to_tag.empty() && !token(to_tag)) return fail(Errc::invalid, "To tag is not a token");
  std::string out = "SIP/2.0 " + std::to_string(status) + " ";
  out.append(reason).append("\r\n");
  for (const auto& h : request.headers()) {
    if (h.name == "Via") out.append("Via: ").append(h.value).append("\r\n");
  }
  for (std::string_view name : {"From", "To", "Call-ID", "CSeq"}) {
    out.append(name).append(": ").append(*request.header(name));
    if (name == "To" && !to_tag.empty() && !request.to().tag()) out.append(";tag=").append(to_tag);
    out.append("\r\n");
  }
  for (const auto& h : extra) {
    if (!token(h.name) || !line_safe(h.value)) return fail(Errc::invalid, "bad extra header");
    out.append(h.name).append(": ").append(h.value).append("\r\n");
  }
  out.append("Content-Length: ").append(std::to_string(body.size())).append("\r\n\r\n").append(body);
  auto response = parse_message(std::move(out));
  if (!response) return Error{Errc::invalid, "response does not parse: " + response.error().detail};
  return response;
}

}  // namespace parley::sip
