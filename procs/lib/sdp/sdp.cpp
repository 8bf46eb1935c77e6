// SDP (RFC 8866): the line splitter, the order checker, the per-letter
// field parsers, the writer, the attribute helpers and the relay's edits.
#include "sdp/sdp.h"

#include <algorithm>
#include <charconv>
#include <string>
#include <utility>

#include "core/ascii.h"

namespace parley::sdp {
namespace {

// RFC 8866 9: token-char = %x21 / %x23-27 / %x2A-2B / %x2D-2E / %x30-39 / %x41-5A / %x5E-7E
bool token_char(char c) {
  const auto u = static_cast<unsigned char>(c);
  if (u < 0x21 || u > 0x7e) return false;
  return c != '"' && c != '(' && c != ')' && c != ',' && c != '/' && c != ':' && c != ';' && c != '<' &&
         c != '=' && c != '>' && c != '?' && c != '@' && c != '[' && c != '\\' && c != ']';
}

bool is_token(std::string_view s) { return !s.empty() && std::all_of(s.begin(), s.end(), token_char); }

// Non-empty and no space: one field of a space-separated line.
bool is_field(std::string_view s) {
  return !s.empty() && std::none_of(s.begin(), s.end(), [](char c) { return c == ' ' || c == '\t'; });
}

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

template <class T>
std::optional<T> number(std::string_view s) {
  if (!all_digits(s)) return std::nullopt;
  T v{};
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || end != s.data() + s.size()) return std::nullopt;
  return v;
}

std::optional<std::uint16_t> port_number(std::string_view s) { return number<std::uint16_t>(s); }

// Splits at single spaces; an empty field (two spaces, a leading or a
// trailing one) makes the whole split fail.
std::optional<std::vector<std::string_view>> fields(std::string_view s) {
  std::vector<std::string_view> out;
  while (true) {
    const auto sp = s.find(' ');
    const auto f = s.substr(0, sp);
    if (!is_field(f)) return std::nullopt;
    out.push_back(f);
    if (sp == std::string_view::npos) return out;
    s.remove_prefix(sp + 1);
  }
}

Error line_error(Errc code, std::size_t line, std::string_view why) {
  return fail(code, "line " + std::to_string(line) + ": " + std::string(why));
}

Result<Connection> parse_connection(std::string_view v) {
  const auto f = fields(v);
  if (!f || f->size() != 3) return fail(Errc::syntax, "c= needs <nettype> <addrtype> <address>");
  if (!is_token((*f)[0]) || !is_token((*f)[1])) return fail(Errc::syntax, "c= nettype or addrtype is not a token");
  return Connection{std::string((*f)[0]), std::string((*f)[1]), std::string((*f)[2])};
}

Result<Origin> parse_origin(std::string_view v) {
  const auto f = fields(v);
  if (!f || f->size() != 6) return fail(Errc::syntax, "o= needs six fields separated by one space");
  if (!all_digits((*f)[1]) || !all_digits((*f)[2])) return fail(Errc::syntax, "o= session id and version must be numbers");
  if (!is_token((*f)[3]) || !is_token((*f)[4])) return fail(Errc::syntax, "o= nettype or addrtype is not a token");
  return Origin{std::string((*f)[0]), std::string((*f)[1]), std::string((*f)[2]),
                std::string((*f)[3]), std::string((*f)[4]), std::string((*f)[5])};
}

Result<Bandwidth> parse_bandwidth(std::string_view v) {
  const auto colon = v.find(':');
  if (colon == std::string_view::npos) return fail(Errc::syntax, "b= needs <bwtype>:<bandwidth>");
  const auto type = v.substr(0, colon);
  const auto value = number<std::uint64_t>(v.substr(colon + 1));
  if (!is_token(type)) return fail(Errc::syntax, "b= type is not a token");
  if (!value) return fail(Errc::syntax, "b= bandwidth is not a number");
  return Bandwidth{std::string(type), *value};
}

Result<Timing> parse_timing(std::string_view v) {
  const auto f = fields(v);
  if (!f || f->size() != 2) return fail(Errc::syntax, "t= needs <start> <stop>");
  const auto start = number<std::uint64_t>((*f)[0]);
  const auto stop = number<std::uint64_t>((*f)[1]);
  if (!start || !stop) return fail(Errc::syntax, "t= times must be numbers");
  return Timing{*start, *stop, {}, {}};
}

Result<Media> parse_media(std::string_view v) {
  const auto f = fields(v);
  if (!f || f->size() < 4) return fail(Errc::syntax, "m= needs <media> <port> <proto> <fmt>...");
  Media m;
  if (!is_token((*f)[0])) return fail(Errc::syntax, "m= media type is not a token");
  m.type = std::string((*f)[0]);
  std::string_view port = (*f)[1];
  if (const auto slash = port.find('/'); slash != std::string_view::npos) {
    const auto count = number<std::uint32_t>(port.substr(slash + 1));
    if (!count || *count == 0) return fail(Errc::syntax, "m= port count must be a number above 0");
    m.port_count = *count;
    port = port.substr(0, slash);
  }
  const auto p = port_number(port);
  if (!p) return fail(Errc::syntax, "m= port must be a number 0..65535");
  m.port = *p;
  // proto = token *("/" token)
  const std::string_view proto = (*f)[2];
  std::size_t start = 0;
  while (true) {
    const auto slash = proto.find('/', start);
    if (!is_token(proto.substr(start, slash - start))) return fail(Errc::syntax, "m= proto is not tokens joined by '/'");
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  m.proto = std::string(proto);
  for (std::size_t i = 3; i < f->size(); ++i) m.formats.emplace_back((*f)[i]);
  return m;
}

Result<Attribute> parse_attribute(std::string_view v) {
  const auto colon = v.find(':');
  const auto name = v.substr(0, colon);
  if (!is_token(name)) return fail(Errc::syntax, "a= name is not a token");
  Attribute a{std::string(name), std::nullopt};
  if (colon != std::string_view::npos) a.value = std::string(v.substr(colon + 1));
  return a;
}

// RFC 8866 5: the place of each letter in the session part; t, r and z
// share one (a time description), checked apart.
int session_rank(char c) {
  switch (c) {
    case 'v': return 0;
    case 'o': return 1;
    case 's': return 2;
    case 'i': return 3;
    case 'u': return 4;
    case 'e': return 5;
    case 'p': return 6;
    case 'c': return 7;
    case 'b': return 8;
    case 't': case 'r': case 'z': return 9;
    case 'k': return 10;
    case 'a': return 11;
    default: return -1;
  }
}

int media_rank(char c) {
  switch (c) {
    case 'i': return 0;
    case 'c': return 1;
    case 'b': return 2;
    case 'k': return 3;
    case 'a': return 4;
    default: return -1;
  }
}

bool known_letter(char c) { return session_rank(c) >= 0 || c == 'm'; }

void put(std::string& out, char type, std::string_view value) {
  out += type;
  out += '=';
  out += value;
  out += "\r\n";
}

void put_connection(std::string& out, const Connection& c) {
  put(out, 'c', c.net_type + " " + c.addr_type + " " + c.address);
}

void put_bandwidth(std::string& out, const Bandwidth& b) { put(out, 'b', b.type + ":" + std::to_string(b.value)); }

void put_attribute(std::string& out, const Attribute& a) {
  put(out, 'a', a.value ? a.name + ":" + *a.value : a.name);
}

std::optional<Direction> direction_of(std::string_view name) {
  if (name == "sendrecv") return Direction::sendrecv;
  if (name == "sendonly") return Direction::sendonly;
  if (name == "recvonly") return Direction::recvonly;
  if (name == "inactive") return Direction::inactive;
  return std::nullopt;
}

std::optional<Direction> last_direction(std::span<const Attribute> attrs) {
  std::optional<Direction> d;
  for (const auto& a : attrs) {
    if (a.value) continue;
    if (const auto x = direction_of(a.name)) d = x;
  }
  return d;
}

// "<fmt> <rest>": the rest of an rtpmap or fmtp value after its format.
std::optional<std::pair<std::string_view, std::string_view>> format_and_rest(std::string_view value) {
  const auto sp = value.find(' ');
  if (sp == std::string_view::npos || sp == 0) return std::nullopt;
  return std::pair{value.substr(0, sp), value.substr(sp + 1)};
}

}  // namespace

Result<Session> parse(std::string_view text) {
  if (text.size() > kMaxSize) {
    return fail(Errc::limit, "description of " + std::to_string(text.size()) + " bytes, at most " +
                                 std::to_string(kMaxSize));
  }
  Session s;
  Media* media = nullptr;   // the section being read, or nullptr in the session part
  int rank = -1;            // the place of the last line read (session_rank or media_rank)
  bool seen_info = false, seen_uri = false, seen_key = false, seen_name = false, seen_origin = false;
  bool media_info = false, media_key = false;
  std::size_t line_no = 0;
  std::size_t pos = 0;
  bool trailing_blank = false;
  while (pos < text.size()) {
    ++line_no;
    if (line_no > kMaxLines) return line_error(Errc::limit, line_no, "more than " + std::to_string(kMaxLines) + " lines");
    auto end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.size() > kMaxLine) {
      return line_error(Errc::limit, line_no, "line of " + std::to_string(line.size()) + " bytes, at most " +
                                                  std::to_string(kMaxLine));
    }
    if (line.empty()) {
      trailing_blank = true;  // allowed only if nothing follows
      continue;
    }
    if (trailing_blank) return line_error(Errc::syntax, line_no - 1, "empty line");
    if (line.find('\0') != std::string_view::npos) return line_error(Errc::syntax, line_no, "NUL byte");
    if (line.find('\r') != std::string_view::npos) return line_error(Errc::syntax, line_no, "CR not before LF");
    if (line.size() < 2 || line[1] != '=') return line_error(Errc::syntax, line_no, "not <letter>=<value>");
    const char type = line[0];
    const std::string_view value = line.substr(2);
    if (!known_letter(type)) return line_error(Errc::syntax, line_no, std::string("unknown line type '") + type + "'");

    // The first three lines are v, o, s in that order.
    if (line_no == 1 && type != 'v') return line_error(Errc::syntax, line_no, "the description must start with v=");
    if (!seen_name && line_no > 1) {
      const char want = seen_origin ? 's' : 'o';
      if (type != want) return line_error(Errc::syntax, line_no, std::string("expected ") + want + "= here");
    }

    if (type == 'm') {
      if (s.timings.empty()) return line_error(Errc::syntax, line_no, "m= before any t=");
      if (s.media.size() == kMaxMedia) {
        return line_error(Errc::limit, line_no, "more than " + std::to_string(kMaxMedia) + " media sections");
      }
      auto m = parse_media(value);
      if (!m) return line_error(Errc::syntax, line_no, m.error().detail);
      s.media.push_back(std::move(*m));
      media = &s.media.back();
      rank = -1;
      media_info = media_key = false;
      continue;
    }

    if (media) {
      const int r = media_rank(type);
      if (r < 0) return line_error(Errc::syntax, line_no, std::string(1, type) + "= is not allowed in a media section");
      if (r < rank) return line_error(Errc::syntax, line_no, std::string(1, type) + "= out of order in a media section");
      rank = r;
      switch (type) {
        case 'i':
          if (media_info) return line_error(Errc::syntax, line_no, "second i= in a media section");
          media_info = true;
          media->title = std::string(value);
          break;
        case 'c': {
          auto c = parse_connection(value);
          if (!c) return line_error(Errc::syntax, line_no, c.error().detail);
          media->connections.push_back(std::move(*c));
          break;
        }
        case 'b': {
          auto b = parse_bandwidth(value);
          if (!b) return line_error(Errc::syntax, line_no, b.error().detail);
          media->bandwidths.push_back(std::move(*b));
          break;
        }
        case 'k':
          if (media_key) return line_error(Errc::syntax, line_no, "second k= in a media section");
          media_key = true;
          media->key = std::string(value);
          break;
        default: {  // 'a'
          auto a = parse_attribute(value);
          if (!a) return line_error(Errc::syntax, line_no, a.error().detail);
          media->attributes.push_back(std::move(*a));
          break;
        }
      }
      continue;
    }

    const int r = session_rank(type);
    if (r < rank) return line_error(Errc::syntax, line_no, std::string(1, type) + "= out of order");
    const bool repeatable = type == 'e' || type == 'p' || type == 'b' || type == 'a' || r == 9;
    if (r == rank && !repeatable) return line_error(Errc::syntax, line_no, std::string("second ") + type + "=");
    rank = r;
    switch (type) {
      case 'v':
        if (value != "0") return line_error(Errc::syntax, line_no, "v= must be 0");
        break;
      case 'o': {
        auto o = parse_origin(value);
        if (!o) return line_error(Errc::syntax, line_no, o.error().detail);
        s.origin = std::move(*o);
        seen_origin = true;
        break;
      }
      case 's':
        s.name = std::string(value);
        seen_name = true;
        break;
      case 'i':
        if (seen_info) return line_error(Errc::syntax, line_no, "second i=");
        seen_info = true;
        s.info = std::string(value);
        break;
      case 'u':
        if (seen_uri) return line_error(Errc::syntax, line_no, "second u=");
        seen_uri = true;
        s.uri = std::string(value);
        break;
      case 'e': s.emails.emplace_back(value); break;
      case 'p': s.phones.emplace_back(value); break;
      case 'c': {
        auto c = parse_connection(value);
        if (!c) return line_error(Errc::syntax, line_no, c.error().detail);
        s.connection = std::move(*c);
        break;
      }
      case 'b': {
        auto b = parse_bandwidth(value);
        if (!b) return line_error(Errc::syntax, line_no, b.error().detail);
        s.bandwidths.push_back(std::move(*b));
        break;
      }
      case 't': {
        auto t = parse_timing(value);
        if (!t) return line_error(Errc::syntax, line_no, t.error().detail);
        s.timings.push_back(std::move(*t));
        break;
      }
      case 'r':
        if (s.timings.empty()) return line_error(Errc::syntax, line_no, "r= before any t=");
        if (s.timings.back().zones) return line_error(Errc::syntax, line_no, "r= after z=");
        if (value.empty()) return line_error(Errc::syntax, line_no, "empty r=");
        s.timings.back().repeats.emplace_back(value);
        break;
      case 'z':
        if (s.timings.empty()) return line_error(Errc::syntax, line_no, "z= before any t=");
        if (s.timings.back().zones) return line_error(Errc::syntax, line_no, "second z=");
        if (value.empty()) return line_error(Errc::syntax, line_no, "empty z=");
        s.timings.back().zones = std::string(value);
        break;
      case 'k':
        if (seen_key) return line_error(Errc::syntax, line_no, "second k=");
        seen_key = true;
        s.key = std::string(value);
        break;
      default: {  // 'a'
        auto a = parse_attribute(value);
        if (!a) return line_error(Errc::syntax, line_no, a.error().detail);
        s.attributes.push_back(std::move(*a));
        break;
      }
    }
  }
  if (line_no == 0 || text.empty()) return fail(Errc::syntax, "empty description");
  if (!seen_name) return fail(Errc::syntax, "line " + std::to_string(line_no) + ": description ends before s=");
  if (s.timings.empty()) return fail(Errc::syntax, "no t= line");
  if (!s.connection) {
    for (std::size_t i = 0; i < s.media.size(); ++i) {
      if (s.media[i].connections.empty()) {
        return fail(Errc::syntax, "media section " + std::to_string(i + 1) + " has no c= and the session has none");
      }
    }
  }
  return s;
}

std::string serialize(const Session& s) {
  std::string out;
  out.reserve(512);
  put(out, 'v', "0");
  const Origin& o = s.origin;
  put(out, 'o', o.username + " " + o.session_id + " " + o.session_version + " " + o.net_type + " " + o.addr_type + " " +
                    o.address);
  put(out, 's', s.name);
  if (s.info) put(out, 'i', *s.info);
  if (s.uri) put(out, 'u', *s.uri);
  for (const auto& e : s.emails) put(out, 'e', e);
  for (const auto& p : s.phones) put(out, 'p', p);
  if (s.connection) put_connection(out, *s.connection);
  for (const auto& b : s.bandwidths) put_bandwidth(out, b);
  for (const auto& t : s.timings) {
    put(out, 't', std::to_string(t.start) + " " + std::to_string(t.stop));
    for (const auto& r : t.repeats) put(out, 'r', r);
    if (t.zones) put(out, 'z', *t.zones);
  }
  if (s.key) put(out, 'k', *s.key);
  for (const auto& a : s.attributes) put_attribute(out, a);
  for (const auto& m : s.media) {
    std::string line = m.type + " " + std::to_string(m.port);
    if (m.port_count) line += "/" + std::to_string(*m.port_count);
    line += " " + m.proto;
    for (const auto& f : m.formats) line += " " + f;
    put(out, 'm', line);
    if (m.title) put(out, 'i', *m.title);
    for (const auto& c : m.connections) put_connection(out, c);
    for (const auto& b : m.bandwidths) put_bandwidth(out, b);
    if (m.key) put(out, 'k', *m.key);
    for (const auto& a : m.attributes) put_attribute(out, a);
  }
  return out;
}

const Connection* connection_for(const Session& session, const Media& media) {
  if (!media.connections.empty()) return &media.connections.front();
  return session.connection ? &*session.connection : nullptr;
}

// ---- Attributes -------------------------------------------------------

const Attribute* find_attribute(std::span<const Attribute> attrs, std::string_view name) {
  for (const auto& a : attrs) {
    if (a.name == name) return &a;
  }
  return nullptr;
}

bool has_attribute(std::span<const Attribute> attrs, std::string_view name) {
  return find_attribute(attrs, name) != nullptr;
}

std::vector<std::string_view> attribute_values(std::span<const Attribute> attrs, std::string_view name) {
  std::vector<std::string_view> out;
  for (const auto& a : attrs) {
    if (a.name == name) out.push_back(a.value ? std::string_view(*a.value) : std::string_view());
  }
  return out;
}

Result<RtpMap> parse_rtpmap(std::string_view value) {
  const auto fr = format_and_rest(value);
  if (!fr) return fail(Errc::syntax, "rtpmap needs <payload type> <encoding>/<clock rate>");
  const auto pt = number<unsigned>(fr->first);
  if (!pt || *pt > 127) return fail(Errc::syntax, "rtpmap payload type must be 0..127");
  const std::string_view rest = fr->second;
  const auto slash = rest.find('/');
  if (slash == std::string_view::npos) return fail(Errc::syntax, "rtpmap needs <encoding>/<clock rate>");
  RtpMap r;
  r.payload_type = *pt;
  const auto name = rest.substr(0, slash);
  if (!is_token(name)) return fail(Errc::syntax, "rtpmap encoding name is not a token");
  r.encoding = std::string(name);
  std::string_view clock = rest.substr(slash + 1);
  if (const auto s2 = clock.find('/'); s2 != std::string_view::npos) {
    const auto params = clock.substr(s2 + 1);
    if (!is_field(params)) return fail(Errc::syntax, "rtpmap encoding parameters are empty");
    r.parameters = std::string(params);
    clock = clock.substr(0, s2);
  }
  const auto rate = number<std::uint32_t>(clock);
  if (!rate) return fail(Errc::syntax, "rtpmap clock rate is not a number");
  r.clock_rate = *rate;
  return r;
}

Result<Fmtp> parse_fmtp(std::string_view value) {
  const auto fr = format_and_rest(value);
  if (!fr || !is_field(fr->first)) return fail(Errc::syntax, "fmtp needs <format> <parameters>");
  return Fmtp{std::string(fr->first), std::string(fr->second)};
}

std::optional<RtpMap> rtpmap(const Media& media, std::string_view format) {
  for (const auto& a : media.attributes) {
    if (a.name != "rtpmap" || !a.value) continue;
    const auto fr = format_and_rest(*a.value);
    if (!fr || fr->first != format) continue;
    auto r = parse_rtpmap(*a.value);
    if (r) return std::move(*r);
  }
  return std::nullopt;
}

std::optional<Fmtp> fmtp(const Media& media, std::string_view format) {
  for (const auto& a : media.attributes) {
    if (a.name != "fmtp" || !a.value) continue;
    auto f = parse_fmtp(*a.value);
    if (f && f->format == format) return std::move(*f);
  }
  return std::nullopt;
}

std::optional<std::uint32_t> ptime(const Media& media) {
  const Attribute* a = find_attribute(media.attributes, "ptime");
  if (!a || !a->value) return std::nullopt;
  return number<std::uint32_t>(*a->value);
}

std::string_view direction_name(Direction d) {
  switch (d) {
    case Direction::sendrecv: return "sendrecv";
    case Direction::sendonly: return "sendonly";
    case Direction::recvonly: return "recvonly";
    case Direction::inactive: return "inactive";
  }
  return "sendrecv";
}

Direction direction(const Session& session, const Media& media) {
  if (const auto d = last_direction(media.attributes)) return *d;
  if (const auto d = last_direction(session.attributes)) return *d;
  return Direction::sendrecv;
}

Result<Rtcp> parse_rtcp(std::string_view value) {
  const auto f = fields(value);
  if (!f || (f->size() != 1 && f->size() != 4)) return fail(Errc::syntax, "rtcp needs <port> [<nettype> <addrtype> <address>]");
  const auto port = port_number((*f)[0]);
  if (!port) return fail(Errc::syntax, "rtcp port must be a number 0..65535");
  Rtcp r{*port, std::nullopt};
  if (f->size() == 4) r.connection = Connection{std::string((*f)[1]), std::string((*f)[2]), std::string((*f)[3])};
  return r;
}

std::optional<Rtcp> rtcp(const Media& media) {
  const Attribute* a = find_attribute(media.attributes, "rtcp");
  if (!a || !a->value) return std::nullopt;
  auto r = parse_rtcp(*a->value);
  if (!r) return std::nullopt;
  return std::move(*r);
}

bool rtcp_mux(const Media& media) { return has_attribute(media.attributes, "rtcp-mux"); }

std::optional<std::string_view> mid(const Media& media) {
  const Attribute* a = find_attribute(media.attributes, "mid");
  if (!a || !a->value) return std::nullopt;
  return std::string_view(*a->value);
}

Result<Candidate> parse_candidate(std::string_view value) {
  const auto f = fields(value);
  if (!f || f->size() < 8 || (*f)[6] != "typ") {
    return fail(Errc::syntax, "candidate needs <foundation> <component> <transport> <priority> <address> <port> typ <type>");
  }
  Candidate c;
  c.foundation = std::string((*f)[0]);
  const auto component = number<std::uint32_t>((*f)[1]);
  const auto priority = number<std::uint32_t>((*f)[3]);
  const auto port = port_number((*f)[5]);
  if (!component || *component == 0 || *component > 256) return fail(Errc::syntax, "candidate component must be 1..256");
  if (!priority) return fail(Errc::syntax, "candidate priority is not a 32-bit number");
  if (!port) return fail(Errc::syntax, "candidate port must be a number 0..65535");
  if (!is_token((*f)[2]) || !is_token((*f)[7])) return fail(Errc::syntax, "candidate transport or type is not a token");
  c.component = *component;
  c.transport = std::string((*f)[2]);
  c.priority = *priority;
  c.address = std::string((*f)[4]);
  c.port = *port;
  c.type = std::string((*f)[7]);
  std::size_t i = 8;
  if (i + 1 < f->size() && (*f)[i] == "raddr") {
    c.related_address = std::string((*f)[i + 1]);
    i += 2;
  }
  if (i + 1 < f->size() && (*f)[i] == "rport") {
    const auto rport = port_number((*f)[i + 1]);
    if (!rport) return fail(Errc::syntax, "candidate rport must be a number 0..65535");
    c.related_port = *rport;
    i += 2;
  }
  for (; i < f->size(); i += 2) {
    if (i + 1 == f->size()) return fail(Errc::syntax, "candidate extension without a value");
    c.extensions.emplace_back(std::string((*f)[i]), std::string((*f)[i + 1]));
  }
  return c;
}

std::vector<Candidate> candidates(const Media& media) {
  std::vector<Candidate> out;
  for (const auto& a : media.attributes) {
    if (a.name != "candidate" || !a.value) continue;
    if (auto c = parse_candidate(*a.value)) out.push_back(std::move(*c));
  }
  return out;
}

Result<Crypto> parse_crypto(std::string_view value) {
  const auto f = fields(value);
  if (!f || f->size() < 3) return fail(Errc::syntax, "crypto needs <tag> <suite> <key-params>");
  const auto tag = number<std::uint32_t>((*f)[0]);
  if (!tag || (*f)[0].size() > 9) return fail(Errc::syntax, "crypto tag must be 1 to 9 digits");
  Crypto c;
  c.tag = *tag;
  c.suite = std::string((*f)[1]);
  std::string_view keys = (*f)[2];
  while (true) {
    const auto semi = keys.find(';');
    const auto k = keys.substr(0, semi);
    const auto colon = k.find(':');
    if (colon == std::string_view::npos || colon == 0 || colon + 1 == k.size()) {
      return fail(Errc::syntax, "crypto key-param must be <method>:<info>");
    }
    c.key_params.emplace_back(k);
    if (semi == std::string_view::npos) break;
    keys.remove_prefix(semi + 1);
  }
  for (std::size_t i = 3; i < f->size(); ++i) c.session_params.emplace_back((*f)[i]);
  return c;
}

std::vector<Crypto> cryptos(const Media& media) {
  std::vector<Crypto> out;
  for (const auto& a : media.attributes) {
    if (a.name != "crypto" || !a.value) continue;
    if (auto c = parse_crypto(*a.value)) out.push_back(std::move(*c));
  }
  return out;
}

Result<Fingerprint> parse_fingerprint(std::string_view value) {
  const auto f = fields(value);
  if (!f || f->size() != 2 || !is_token((*f)[0])) return fail(Errc::syntax, "fingerprint needs <hash-func> <fingerprint>");
  // RFC 8122 5: 2UHEX *(":" 2UHEX); lowercase hex is seen in the wild too.
  const std::string_view fp = (*f)[1];
  const auto hex = [](char c) { return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F') || (c >= 'a' && c <= 'f'); };
  if ((fp.size() + 1) % 3 != 0) return fail(Errc::syntax, "fingerprint is not hex pairs joined by ':'");
  for (std::size_t i = 0; i < fp.size(); ++i) {
    const bool ok = i % 3 == 2 ? fp[i] == ':' : hex(fp[i]);
    if (!ok) return fail(Errc::syntax, "fingerprint is not hex pairs joined by ':'");
  }
  return Fingerprint{ascii_lower((*f)[0]), std::string(fp)};
}

std::vector<Fingerprint> fingerprints(const Session& session, const Media& media) {
  const auto collect = [](std::span<const Attribute> attrs) {
    std::vector<Fingerprint> out;
    for (const auto& a : attrs) {
      if (a.name != "fingerprint" || !a.value) continue;
      if (auto f = parse_fingerprint(*a.value)) out.push_back(std::move(*f));
    }
    return out;
  };
  auto own = collect(media.attributes);
  return own.empty() ? collect(session.attributes) : own;
}

std::optional<Setup> setup(const Session& session, const Media& media) {
  const Attribute* a = find_attribute(media.attributes, "setup");
  if (!a) a = find_attribute(session.attributes, "setup");
  if (!a || !a->value) return std::nullopt;
  const std::string_view v = *a->value;
  if (v == "active") return Setup::active;
  if (v == "passive") return Setup::passive;
  if (v == "actpass") return Setup::actpass;
  if (v == "holdconn") return Setup::holdconn;
  return std::nullopt;
}

// ---- Edits --------------------------------------------------------------

void set_connection_address(Session& session, std::string_view addr_type, std::string_view address) {
  const Connection c{"IN", std::string(addr_type), std::string(address)};
  session.connection = c;
  for (auto& m : session.media) {
    if (!m.connections.empty()) m.connections.assign(1, c);
  }
}

void set_connection(Media& media, Connection connection) { media.connections.assign(1, std::move(connection)); }

void set_port(Media& media, std::uint16_t port) { media.port = port; }

void set_direction(Media& media, Direction direction) {
  auto& attrs = media.attributes;
  const auto is_dir = [](const Attribute& a) { return !a.value && direction_of(a.name).has_value(); };
  const auto first = std::find_if(attrs.begin(), attrs.end(), is_dir);
  Attribute wanted{std::string(direction_name(direction)), std::nullopt};
  if (first == attrs.end()) {
    attrs.push_back(std::move(wanted));
    return;
  }
  *first = std::move(wanted);
  attrs.erase(std::remove_if(first + 1, attrs.end(), is_dir), attrs.end());
}

std::size_t remove_attributes(std::vector<Attribute>& attrs, std::string_view name) {
  return std::erase_if(attrs, [&](const Attribute& a) { return a.name == name; });
}

void replace_attribute(std::vector<Attribute>& attrs, std::string_view name, std::optional<std::string> value) {
  const auto named = [&](const Attribute& a) { return a.name == name; };
  const auto first = std::find_if(attrs.begin(), attrs.end(), named);
  if (first == attrs.end()) {
    attrs.push_back(Attribute{std::string(name), std::move(value)});
    return;
  }
  first->value = std::move(value);
  attrs.erase(std::remove_if(first + 1, attrs.end(), named), attrs.end());
}

void bump_version(Origin& origin) {
  std::string& v = origin.session_version;
  if (!all_digits(v)) {
    v = "1";
    return;
  }
  for (auto it = v.rbegin(); it != v.rend(); ++it) {
    if (*it != '9') {
      ++*it;
      return;
    }
    *it = '0';
  }
  v.insert(v.begin(), '1');
}

}  // namespace parley::sdp
