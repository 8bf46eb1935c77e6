// build_dsn: everything Parley writes is built line by line through two
// folding helpers, so no line can pass kMaxLine; text from peers and from
// the original is cleaned of control characters (and, unless utf8, of
// 8-bit octets) before it is placed.
#include "mail/dsn.h"

#include <algorithm>
#include <cstdint>
#include <random>

#include "core/utf8.h"
#include "mail/headers.h"
#include "mail/trace.h"
#include "mail/xtext.h"

namespace parley::mail {

namespace {

constexpr std::size_t kFoldWidth = 78;   // RFC 5322 2.1.1 SHOULD
constexpr std::size_t kHardChunk = 900;  // a word longer than a line is cut into pieces this long
constexpr std::size_t kMaxField = 4096;  // longest text copied from one DsnRecipient field

std::mt19937_64& rng() {
  thread_local std::mt19937_64 gen{std::random_device{}()};
  return gen;
}

std::string random_hex(int n) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < n; ++i) out += kHex[rng()() & 15];
  return out;
}

bool is_ascii(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

// Control characters become spaces (line breaks included); 8-bit octets
// stay only when utf8 allows and they form well-formed UTF-8, else '?'.
std::string clean(std::string_view in, bool utf8) {
  in = in.substr(0, kMaxField);
  std::string out;
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size();) {
    const auto c = static_cast<unsigned char>(in[i]);
    if (c < 0x80) {
      out += (c < 0x20 || c == 0x7f) ? ' ' : in[i];
      ++i;
      continue;
    }
    const std::size_t len = utf8 ? utf8_length(in, i) : 0;
    if (len == 0) {
      out += '?';
      ++i;
    } else {
      out.append(in.substr(i, len));
      i += len;
    }
  }
  return out;
}

// RFC 6533 3: utf-8-addr-xtext, for a UTF-8 address in a 7bit
// message/delivery-status: '+', '=', '\' , controls and non-ASCII
// characters as "\x{HEX}" code points.
std::string utf8_addr_xtext(std::string_view in) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  const auto put = [&](std::string& out, std::uint32_t cp) {
    std::string hex;
    do {
      hex.insert(hex.begin(), kHex[cp & 15]);
      cp >>= 4;
    } while (cp != 0);
    out += "\\x{" + hex + "}";
  };
  std::string out;
  for (std::size_t i = 0; i < in.size();) {
    const auto c = static_cast<unsigned char>(in[i]);
    if (c < 0x80) {
      if (c > 0x20 && c < 0x7f && c != '+' && c != '=' && c != '\\') {
        out += static_cast<char>(c);
      } else {
        put(out, c);
      }
      ++i;
      continue;
    }
    const std::size_t len = utf8_length(in, i);
    if (len == 0) {
      put(out, 0xFFFD);
      ++i;
      continue;
    }
    std::uint32_t cp = c & (0xFF >> (len + 1));
    for (std::size_t k = 1; k < len; ++k) cp = (cp << 6) | (static_cast<unsigned char>(in[i + k]) & 0x3F);
    put(out, cp);
    i += len;
  }
  return out;
}

// "type; address" for Final-Recipient and Original-Recipient.
std::string typed_address(std::string_view type, std::string_view address, bool utf8) {
  address = address.substr(0, kMaxField);
  if (is_ascii(address)) return std::string(type) + "; " + clean(address, false);
  if (utf8) return "utf-8; " + clean(address, true);
  return "utf-8; " + utf8_addr_xtext(address);
}

// Appends `line` + CRLF, broken at spaces into lines of at most kFoldWidth
// where a word allows, never more than kMaxLine. Each further line starts
// with `prefix` in place of the space it was broken at (" " keeps a
// header field's unfolded value unchanged).
void put_folded(std::string& out, std::string_view line, std::string_view prefix) {
  std::string current;
  const auto emit = [&] {
    out += current;
    out += "\r\n";
    current = prefix;
  };
  bool first_word = true;
  std::size_t pos = 0;
  while (pos <= line.size()) {
    std::size_t space = line.find(' ', pos);
    if (space == std::string_view::npos) space = line.size();
    std::string_view word = line.substr(pos, space - pos);
    pos = space + 1;
    const bool at_start = first_word || current == prefix;
    if (!at_start && current.size() + 1 + word.size() > kFoldWidth) emit();
    if (!first_word && current != prefix) current += ' ';
    first_word = false;
    // A word too long for any line: cut it.
    while (current.size() + word.size() > kMaxLine) {
      const std::size_t take = std::min(word.size(), std::max<std::size_t>(1, kMaxLine - current.size()));
      const std::size_t piece = std::min(take, kHardChunk);
      current.append(word.substr(0, piece));
      word.remove_prefix(piece);
      emit();
    }
    current.append(word);
  }
  out += current;
  out += "\r\n";
}

void put_field(std::string& out, std::string_view name, std::string_view value) {
  put_folded(out, std::string(name) + ": " + std::string(value), " ");
}

std::string status_for(const DsnRecipient& r) {
  const std::string_view s = r.status;
  // RFC 3463: class "." subject "." detail, digits.
  const bool ok = s.size() >= 5 && s.size() <= 11 && (s[0] == '2' || s[0] == '4' || s[0] == '5') &&
                  std::count(s.begin(), s.end(), '.') == 2 &&
                  std::all_of(s.begin(), s.end(), [](char c) { return c == '.' || (c >= '0' && c <= '9'); }) &&
                  s[1] == '.' && s.back() != '.' && s.find("..") == std::string_view::npos;
  if (ok) return std::string(s);
  if (r.action == "failed") return "5.0.0";
  if (r.action == "delayed") return "4.0.0";
  return "2.0.0";
}

std::string action_for(const DsnRecipient& r) {
  for (const char* a : {"failed", "delayed", "delivered", "relayed", "expanded"}) {
    if (r.action == a) return a;
  }
  return "failed";
}

// The lines of a (possibly multi-line) SMTP reply.
std::vector<std::string> reply_lines(std::string_view reply, bool utf8) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos < reply.size() && out.size() < 50) {
    std::size_t lf = reply.find('\n', pos);
    if (lf == std::string_view::npos) lf = reply.size();
    std::string line = clean(reply.substr(pos, lf - pos), utf8);
    while (!line.empty() && line.back() == ' ') line.pop_back();
    if (!line.empty()) out.push_back(std::move(line));
    pos = lf + 1;
  }
  return out;
}

std::string phrase(const std::string& action) {
  if (action == "failed") return "delivery failed permanently";
  if (action == "delayed") return "delivery is delayed; the mail system is still trying";
  if (action == "delivered") return "delivered";
  if (action == "relayed") return "relayed to a system that does not report delivery";
  return "delivered to a list or alias, which forwards it to its members";
}

// The original as it will be enclosed: CRLF line ends, header lines over
// kMaxLine folded, only the header when asked or needed.
struct Enclosed {
  std::string text;
  bool headers_only = false;
  bool eight_bit = false;
};

bool long_line(std::string_view s) {
  std::size_t start = 0;
  while (start < s.size()) {
    std::size_t lf = s.find('\n', start);
    if (lf == std::string_view::npos) lf = s.size();
    std::size_t len = lf - start;
    if (len > 0 && lf < s.size() && s[lf - 1] == '\r') --len;
    if (len > kMaxLine) return true;
    start = lf + 1;
  }
  return false;
}

Enclosed enclose(const Dsn& dsn, std::size_t max_original) {
  Enclosed e;
  const std::string_view original = dsn.original;
  const std::size_t body_at = header_end(original);
  e.headers_only = dsn.headers_only || original.size() > max_original || long_line(original.substr(body_at));
  std::string_view part = e.headers_only ? original.substr(0, body_at) : original;
  if (part.size() > max_original) {
    // Only a header this large: keep whole lines up to the cap.
    part = part.substr(0, max_original);
    const std::size_t lf = part.rfind('\n');
    part = lf == std::string_view::npos ? std::string_view() : part.substr(0, lf + 1);
  }
  e.text.reserve(part.size() + part.size() / 50);
  // Line by line: a bare CR or LF becomes CRLF; in the header a line over
  // kMaxLine is folded (CRLF SP), the body has none (checked above).
  std::size_t pos = 0;
  while (pos < part.size()) {
    std::size_t end = part.find_first_of("\r\n", pos);
    if (end == std::string_view::npos) end = part.size();
    std::string_view line = part.substr(pos, end - pos);
    while (line.size() > kMaxLine) {
      e.text.append(line.substr(0, kHardChunk));
      e.text += "\r\n ";
      line.remove_prefix(kHardChunk);
    }
    e.text.append(line);
    if (end < part.size()) {
      e.text += "\r\n";
      pos = (part[end] == '\r' && end + 1 < part.size() && part[end + 1] == '\n') ? end + 2 : end + 1;
    } else {
      pos = end;
    }
  }
  e.eight_bit = !is_ascii(e.text);
  return e;
}

std::string subject_for(const Dsn& dsn) {
  const auto any = [&](std::string_view action) {
    return std::any_of(dsn.recipients.begin(), dsn.recipients.end(),
                       [&](const DsnRecipient& r) { return action_for(r) == action; });
  };
  if (any("failed")) return "Undelivered Mail Returned to Sender";
  if (any("delayed")) return "Delayed Mail (still being retried)";
  return "Successful Mail Delivery Report";
}

std::string angle(std::string_view address, bool utf8) {
  std::string a = clean(address, utf8);
  if (a.find('<') != std::string::npos) return a;
  return "<" + a + ">";
}

void human_part(std::string& out, const Dsn& dsn, const std::string& subject, bool headers_only) {
  const bool utf8 = dsn.utf8;
  const std::string mta = clean(dsn.reporting_mta, false);
  put_folded(out, "This is the mail delivery system at " + mta + ".", "");
  out += "\r\n";
  std::string intro;
  if (subject.starts_with("Undelivered")) {
    intro = "Your message could not be delivered to one or more of its recipients. The reasons are below.";
  } else if (subject.starts_with("Delayed")) {
    intro = "Your message has not yet been delivered to one or more of its recipients. The mail system keeps "
            "trying; you need not send it again. You will be told if it gives up.";
  } else {
    intro = "Your message was delivered as shown below; you asked to be told.";
  }
  intro += headers_only ? " The header of your message is attached." : " Your message is attached.";
  put_folded(out, intro, "");
  for (const DsnRecipient& r : dsn.recipients) {
    const std::string action = action_for(r);
    out += "\r\n";
    put_folded(out, angle(r.final_recipient, utf8) + ": " + phrase(action) + " (" + status_for(r) + ")", "    ");
    if (!r.remote_mta.empty()) put_folded(out, "    Remote server: " + clean(r.remote_mta, false), "      ");
    const std::vector<std::string> reply = reply_lines(r.diagnostic, utf8);
    if (!reply.empty()) {
      put_folded(out, "    It said:", "      ");
      for (const std::string& line : reply) put_folded(out, "      " + line, "      ");
    }
    if (action == "delayed" && r.will_retry_until) {
      put_folded(out, "    Still trying until: " + rfc5322_date(*r.will_retry_until), "      ");
    }
  }
}

void status_part(std::string& out, const Dsn& dsn) {
  const bool utf8 = dsn.utf8;
  if (!dsn.envid.empty()) {
    const std::string envid = dsn.envid.substr(0, kMaxField);
    const bool printable = std::all_of(envid.begin(), envid.end(), [](char c) { return c > ' ' && c < 127; });
    put_field(out, "Original-Envelope-Id", printable ? envid : xtext_encode(envid));
  }
  put_field(out, "Reporting-MTA", "dns; " + clean(dsn.reporting_mta, false));
  put_field(out, "Arrival-Date", rfc5322_date(dsn.arrival));
  if (!dsn.queue_id.empty()) put_field(out, "X-Parley-Queue-ID", clean(dsn.queue_id, false));
  for (const DsnRecipient& r : dsn.recipients) {
    out += "\r\n";
    if (!r.original_recipient.empty()) {
      const std::string_view orcpt = r.original_recipient;
      const std::size_t semi = orcpt.find(';');
      std::string_view type = semi == std::string_view::npos ? "rfc822" : orcpt.substr(0, semi);
      std::string_view address = semi == std::string_view::npos ? orcpt : orcpt.substr(semi + 1);
      while (!address.empty() && address.front() == ' ') address.remove_prefix(1);
      if (type.empty() || !std::all_of(type.begin(), type.end(), [](char c) {
            return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
          })) {
        type = "rfc822";
      }
      put_field(out, "Original-Recipient", typed_address(type, address, utf8));
    }
    put_field(out, "Final-Recipient", typed_address("rfc822", r.final_recipient, utf8));
    const std::string action = action_for(r);
    put_field(out, "Action", action);
    put_field(out, "Status", status_for(r));
    if (!r.remote_mta.empty()) put_field(out, "Remote-MTA", "dns; " + clean(r.remote_mta, false));
    const std::vector<std::string> reply = reply_lines(r.diagnostic, utf8);
    if (!reply.empty()) {
      std::string joined;
      for (const std::string& line : reply) joined += (joined.empty() ? "" : " ") + line;
      put_field(out, "Diagnostic-Code", "smtp; " + joined);
    }
    if (r.last_attempt.time_since_epoch().count() != 0) put_field(out, "Last-Attempt-Date", rfc5322_date(r.last_attempt));
    if (action == "delayed" && r.will_retry_until) put_field(out, "Will-Retry-Until", rfc5322_date(*r.will_retry_until));
  }
}

}  // namespace

std::string build_dsn(const Dsn& dsn, std::size_t max_original) {
  const Enclosed original = enclose(dsn, max_original);
  std::string boundary;
  do {
    boundary = "=_parley_" + random_hex(24);
  } while (original.text.find(boundary) != std::string::npos);
  const std::string subject = subject_for(dsn);
  const bool eight_bit = dsn.utf8 || original.eight_bit;
  const std::string domain = clean(dsn.message_id_domain.empty() ? dsn.reporting_mta : dsn.message_id_domain, false);
  const auto since_epoch = std::chrono::duration_cast<std::chrono::seconds>(dsn.now.time_since_epoch()).count();

  std::string out;
  out.reserve(original.text.size() + 4096);
  put_field(out, "Date", rfc5322_date(dsn.now));
  std::string from = clean(dsn.from, false);
  put_field(out, "From", from.find('<') != std::string::npos ? from : "Mail Delivery System <" + from + ">");
  put_field(out, "Subject", subject);
  put_field(out, "To", angle(dsn.to, dsn.utf8));
  put_field(out, "Auto-Submitted", "auto-replied");
  put_field(out, "Message-ID", "<" + std::to_string(since_epoch) + "." + random_hex(20) + "@" + domain + ">");
  put_field(out, "MIME-Version", "1.0");
  put_field(out, "Content-Type", "multipart/report; report-type=delivery-status; boundary=\"" + boundary + "\"");
  put_field(out, "Content-Transfer-Encoding", eight_bit ? "8bit" : "7bit");
  out += "\r\n";
  out += "This is a MIME-encapsulated message.\r\n";

  out += "\r\n--" + boundary + "\r\n";
  put_field(out, "Content-Description", "Notification");
  put_field(out, "Content-Type", dsn.utf8 ? "text/plain; charset=utf-8" : "text/plain; charset=us-ascii");
  if (dsn.utf8) put_field(out, "Content-Transfer-Encoding", "8bit");
  out += "\r\n";
  human_part(out, dsn, subject, original.headers_only);

  out += "\r\n--" + boundary + "\r\n";
  put_field(out, "Content-Description", "Delivery report");
  put_field(out, "Content-Type", dsn.utf8 ? "message/global-delivery-status" : "message/delivery-status");
  if (dsn.utf8) put_field(out, "Content-Transfer-Encoding", "8bit");
  out += "\r\n";
  status_part(out, dsn);

  out += "\r\n--" + boundary + "\r\n";
  put_field(out, "Content-Description", original.headers_only ? "Original message header" : "Original message");
  const char* type = original.headers_only ? (dsn.utf8 ? "message/global-headers" : "text/rfc822-headers")
                                           : (dsn.utf8 ? "message/global" : "message/rfc822");
  put_field(out, "Content-Type", type);
  if (original.eight_bit) put_field(out, "Content-Transfer-Encoding", "8bit");
  out += "\r\n";
  out += original.text;
  out += "\r\n--" + boundary + "--\r\n";
  return out;
}

}  // namespace parley::mail
