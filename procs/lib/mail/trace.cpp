#include "mail/trace.h"

#include <cstdio>
#include <ctime>
#include <string_view>
#include <vector>

namespace parley::mail {

namespace {

constexpr std::size_t kFoldAt = 78;        // RFC 5322 2.1.1 SHOULD
constexpr std::size_t kMaxClause = 200;    // longest peer-supplied text we copy into a clause

// Peer text made safe for a header: no control characters (so no line
// breaks); for comments also no parentheses or backslashes. Bytes >= 0x80
// pass (SMTPUTF8 names).
std::string sanitize(std::string_view in, bool comment) {
  std::string out;
  for (char ch : in.substr(0, kMaxClause)) {
    const auto c = static_cast<unsigned char>(ch);
    const bool bad = c < 0x20 || c == 0x7f || c == ' ' || (comment && (c == '(' || c == ')' || c == '\\'));
    out += bad ? '?' : ch;
  }
  return out;
}

// A dot-separated host name (letters, digits, '-', '_', UTF-8) or an
// address literal "[...]" (RFC 5321 4.1.3).
bool plausible_helo(std::string_view h) {
  if (h.empty() || h.size() > 255) return false;
  if (h.front() == '[') {
    if (h.back() != ']' || h.size() < 3) return false;
    for (char c : h.substr(1, h.size() - 2)) {
      const bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == '.' ||
                      c == ':' || c == 'I' || c == 'P' || c == 'v' || c == 'V';
      if (!ok) return false;
    }
    return true;
  }
  for (char ch : h) {
    const auto c = static_cast<unsigned char>(ch);
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                    c == '_' || c == '.' || c >= 0x80;
    if (!ok) return false;
  }
  return h.front() != '.';
}

std::string address_literal(std::string_view ip) {
  return ip.find(':') != std::string_view::npos ? "[IPv6:" + std::string(ip) + "]" : "[" + std::string(ip) + "]";
}

// Joins clauses with spaces, starting a new line (CRLF TAB) before a clause
// that would pass kFoldAt columns.
std::string fold(const std::vector<std::string>& clauses) {
  std::string out;
  std::size_t column = 0;
  for (const std::string& clause : clauses) {
    if (out.empty()) {
      out = clause;
      column = clause.size();
    } else if (column + 1 + clause.size() > kFoldAt) {
      out += "\r\n\t" + clause;
      column = 8 + clause.size();  // a tab counts as up to 8 columns
    } else {
      out += ' ' + clause;
      column += 1 + clause.size();
    }
  }
  return out + "\r\n";
}

}  // namespace

std::string rfc5322_date(std::chrono::system_clock::time_point t) {
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const std::time_t secs = std::chrono::system_clock::to_time_t(std::chrono::floor<std::chrono::seconds>(t));
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %d %s %04d %02d:%02d:%02d +0000", kDays[tm.tm_wday % 7], tm.tm_mday,
                kMonths[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buf;
}

std::string received_header(const ReceivedInfo& info) {
  std::vector<std::string> clauses{"Received:"};
  const bool helo_ok = plausible_helo(info.from_helo);
  clauses.push_back("from " + (helo_ok ? info.from_helo : std::string("unknown")));
  // TCP-info (RFC 5321 4.4): "(host [ip])", "([ip])".
  std::string tcp_info;
  if (!info.from_host.empty()) tcp_info = sanitize(info.from_host, true);
  if (!info.from_ip.empty()) {
    if (!tcp_info.empty()) tcp_info += ' ';
    tcp_info += address_literal(sanitize(info.from_ip, true));
  }
  if (!tcp_info.empty()) clauses.push_back("(" + tcp_info + ")");
  if (!helo_ok && !info.from_helo.empty()) clauses.push_back("(helo=" + sanitize(info.from_helo, true) + ")");
  if (!info.tls.empty()) {
    const std::string tls = sanitize(info.tls, true);
    const std::size_t colon = tls.find(':');
    clauses.push_back(colon == std::string::npos
                          ? "(using " + tls + ")"
                          : "(using " + tls.substr(0, colon) + " with cipher " + tls.substr(colon + 1) + ")");
  }
  clauses.push_back("by " + sanitize(info.by_host, false));
  if (!info.protocol.empty()) clauses.push_back("with " + sanitize(info.protocol, false));
  if (!info.id.empty()) clauses.push_back("id " + sanitize(info.id, false));
  if (!info.for_address.empty()) clauses.push_back("for <" + sanitize(info.for_address, false) + ">");
  clauses.back() += ';';
  clauses.push_back(rfc5322_date(info.when));
  return fold(clauses);
}

}  // namespace parley::mail
