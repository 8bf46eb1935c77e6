// parley_mail: header lookup (table-driven; the table seeds
// tests/fuzz/corpus/mail_headers_fuzz/), dates, Received lines, DSNs
// checked by taking them apart again, xtext, Date: field parsing, and
// dot-stuffing.
#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "mail/date.h"
#include "mail/dot_stuff.h"
#include "mail/dsn.h"
#include "mail/headers.h"
#include "mail/trace.h"
#include "mail/xtext.h"

namespace parley::mail {
namespace {

using namespace std::string_literals;
using Clock = std::chrono::system_clock;

Clock::time_point at(std::int64_t unix_seconds) { return Clock::time_point(std::chrono::seconds(unix_seconds)); }

constexpr std::int64_t kNov22 = 1795321151;  // Sun, 22 Nov 2026 04:19:11 +0000

struct Lookup {
  std::string message;
  std::string name;
  std::optional<std::string> expect;
};

const Lookup kLookups[] = {
    {"Subject: hello\r\n\r\nbody", "Subject", "hello"},
    {"SUBJECT: shout\r\n\r\n", "subject", "shout"},
    {"sUbJeCt: mixed\r\n\r\n", "SUBJECT", "mixed"},
    {"Subject: a\r\n b\r\n\tc\r\n\r\n", "Subject", "a b\tc"},
    {"Subject: one\r\n  two  \r\nX: y\r\n\r\n", "Subject", "one  two"},
    {"Subject: bare\n lf\n\nSubject: body\n", "Subject", "bare lf"},
    {"X: 1\r\n\r\nSubject: in the body\r\n", "Subject", std::nullopt},
    {"X: 1\n\nSubject: in the body\n", "Subject", std::nullopt},
    {"A: 1\r\nSubject: no blank line", "Subject", "no blank line"},
    {"Subject:   padded \t \r\n\r\n", "Subject", "padded"},
    {"Subject : obsolete\r\n\r\n", "Subject", "obsolete"},
    {"Subject:\r\n\r\n", "Subject", ""},
    {"Subject:\r\n folded only\r\n\r\n", "Subject", "folded only"},
    {"junk line\r\n continued junk\r\nSubject: after junk\r\n\r\n", "Subject", "after junk"},
    {"  leading fold\r\nSubject: s\r\n\r\n", "Subject", "s"},
    {"Subjects: longer name\r\n\r\n", "Subject", std::nullopt},
    {"Sub ject: space in name\r\n\r\n", "Sub ject", std::nullopt},
    {"Subject: first\r\nSubject: second\r\n\r\n", "Subject", "first"},
    {"From x@y Mon Jan 1 00:00:00 2026\r\nSubject: mbox\r\n\r\n", "Subject", "mbox"},
    {"\r\nSubject: all body\r\n", "Subject", std::nullopt},
    {"", "Subject", std::nullopt},
    {"Subject: cr\rinside\r\n\r\n", "Subject", "cr\rinside"},
};

TEST(MailHeaders, Lookup) {
  for (const Lookup& c : kLookups) {
    EXPECT_EQ(header(c.message, c.name), c.expect) << c.message;
    const std::vector<std::string> all = headers(c.message, c.name);
    EXPECT_EQ(static_cast<int>(all.size()), count_headers(c.message, c.name)) << c.message;
    if (c.expect) {
      ASSERT_FALSE(all.empty()) << c.message;
      EXPECT_EQ(all.front(), *c.expect);
    } else {
      EXPECT_TRUE(all.empty()) << c.message;
    }
  }
}

TEST(MailHeaders, AllOccurrencesAndHopCount) {
  const std::string m =
      "Received: from a by b; Sun, 22 Nov 2026 04:19:11 +0000\r\n"
      "Subject: x\r\n"
      "received: from c\r\n\tby d; Sun, 22 Nov 2026 04:19:12 +0000\r\n"
      "RECEIVED: from e by f; Sun, 22 Nov 2026 04:19:13 +0000\r\n"
      "\r\n"
      "Received: in the body\r\n";
  EXPECT_EQ(count_headers(m, "Received"), 3);
  EXPECT_EQ(headers(m, "received"),
            (std::vector<std::string>{"from a by b; Sun, 22 Nov 2026 04:19:11 +0000",
                                      "from c\tby d; Sun, 22 Nov 2026 04:19:12 +0000",
                                      "from e by f; Sun, 22 Nov 2026 04:19:13 +0000"}));
  EXPECT_EQ(count_headers(m, "X-Missing"), 0);
}

TEST(MailHeaders, HeaderEnd) {
  EXPECT_EQ(header_end("A: 1\r\n\r\nbody"), 8u);
  EXPECT_EQ(header_end("A: 1\n\nbody"), 6u);
  EXPECT_EQ(header_end("A: 1\r\n"), 6u);
  EXPECT_EQ(header_end("A: 1"), 4u);
  EXPECT_EQ(header_end("\r\nbody"), 2u);
  EXPECT_EQ(header_end("\nbody"), 1u);
  EXPECT_EQ(header_end(""), 0u);
  EXPECT_EQ(header_end("A: 1\r\n \r\nB: 2\r\n\r\n"), 17u);  // a line of WSP is a continuation, not the end
}

TEST(MailHeaders, Bounded) {
  std::string m;
  while (m.size() < kMaxHeaderBytes + 10) m += "X-Filler: " + std::string(100, 'f') + "\r\n";
  m += "Subject: too late\r\n\r\nbody\r\n";
  EXPECT_EQ(header(m, "Subject"), std::nullopt);
  EXPECT_EQ(header_end(m), m.size());
  EXPECT_GT(count_headers(m, "X-Filler"), 1000);
  EXPECT_LE(static_cast<std::size_t>(count_headers(m, "X-Filler")), kMaxHeaderBytes / 100);
  // One field folded forever is cut at the bound too.
  std::string folded = "Subject: x";
  while (folded.size() < 2 * kMaxHeaderBytes) folded += "\r\n y";
  const std::optional<std::string> v = header(folded, "Subject");
  ASSERT_TRUE(v);
  EXPECT_LT(v->size(), kMaxHeaderBytes);
}

TEST(MailTrace, Rfc5322Date) {
  EXPECT_EQ(rfc5322_date(at(kNov22)), "Sun, 22 Nov 2026 04:19:11 +0000");
  EXPECT_EQ(rfc5322_date(at(951868805) + std::chrono::milliseconds(999)), "Wed, 1 Mar 2000 00:00:05 +0000");
  EXPECT_EQ(rfc5322_date(at(0)), "Thu, 1 Jan 1970 00:00:00 +0000");
}

// Every line ends in CRLF, no bare CR or LF, none longer than `max`.
void expect_lines(const std::string& text, std::size_t max) {
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t crlf = text.find("\r\n", start);
    ASSERT_NE(crlf, std::string::npos) << "unterminated last line";
    const std::string line = text.substr(start, crlf - start);
    EXPECT_EQ(line.find_first_of("\r\n"), std::string::npos) << "bare CR or LF in: " << line;
    EXPECT_LE(line.size(), max) << line;
    start = crlf + 2;
  }
}

std::string unfold(std::string s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s.compare(i, 2, "\r\n") == 0 && i + 2 < s.size() && (s[i + 2] == ' ' || s[i + 2] == '\t')) {
      ++i;
      continue;
    }
    out += s[i];
  }
  return out;
}

// Unfolded, with the folding tabs as spaces.
std::string flat(const std::string& s) {
  std::string out = unfold(s);
  for (char& c : out) c = c == '\t' ? ' ' : c;
  return out;
}

TEST(MailTrace, ReceivedHeader) {
  ReceivedInfo info;
  info.from_helo = "mail.example.com";
  info.from_host = "host.example.net";
  info.from_ip = "192.0.2.1";
  info.by_host = "mx.example.org";
  info.protocol = "ESMTPS";
  info.id = "4ZfXq2";
  info.for_address = "bob@example.org";
  info.tls = "TLSv1.3:TLS_AES_256_GCM_SHA384";
  info.when = at(kNov22);
  const std::string h = received_header(info);
  expect_lines(h, 77);
  ASSERT_TRUE(h.ends_with("\r\n"));
  EXPECT_TRUE(h.starts_with("Received: from mail.example.com (host.example.net [192.0.2.1])"));
  EXPECT_EQ(flat(h),
            "Received: from mail.example.com (host.example.net [192.0.2.1]) (using TLSv1.3 with cipher "
            "TLS_AES_256_GCM_SHA384) by mx.example.org with ESMTPS id 4ZfXq2 for <bob@example.org>; "
            "Sun, 22 Nov 2026 04:19:11 +0000\r\n");
  // The header parser reads it back.
  EXPECT_EQ(count_headers(h + "\r\n", "Received"), 1);

  ReceivedInfo minimal;
  minimal.from_helo = "[IPv6:2001:db8::1]";
  minimal.from_ip = "2001:db8::1";
  minimal.by_host = "mx.example.org";
  minimal.protocol = "ESMTP";
  minimal.when = at(kNov22);
  EXPECT_EQ(flat(received_header(minimal)),
            "Received: from [IPv6:2001:db8::1] ([IPv6:2001:db8::1]) by mx.example.org with ESMTP; "
            "Sun, 22 Nov 2026 04:19:11 +0000\r\n");
}

TEST(MailTrace, ReceivedHeaderResistsInjection) {
  ReceivedInfo info;
  info.from_helo = "evil\r\nX-Injected: 1";
  info.from_ip = "192.0.2.66";
  info.by_host = "mx.example.org";
  info.protocol = "ESMTP";
  info.for_address = "a@b\r\nBcc: x@y";
  info.when = at(kNov22);
  const std::string h = received_header(info);
  expect_lines(h, 998);
  const std::string m = h + "\r\n";
  EXPECT_EQ(count_headers(m, "X-Injected"), 0);
  EXPECT_EQ(count_headers(m, "Bcc"), 0);
  const std::string v = *header(m, "Received");
  EXPECT_NE(v.find("from unknown"), std::string::npos) << v;
  EXPECT_NE(v.find("(helo=evil??X-Injected:?1)"), std::string::npos) << v;
}

// A DSN taken apart: its header, the boundary and the three parts.
struct Parsed {
  std::string head;
  std::string boundary;
  std::vector<std::string> parts;  // each with its own header
};

Parsed parse_dsn(const std::string& msg) {
  Parsed p;
  const std::size_t body = header_end(msg);
  p.head = msg.substr(0, body);
  const std::string type = header(msg, "Content-Type").value_or("");
  const std::size_t b = type.find("boundary=\"");
  if (b == std::string::npos) return p;
  p.boundary = type.substr(b + 10, type.find('"', b + 10) - (b + 10));
  const std::string delimiter = "\r\n--" + p.boundary;
  std::size_t pos = msg.find(delimiter, body - 2);
  while (pos != std::string::npos) {
    const std::size_t start = pos + delimiter.size();
    if (msg.compare(start, 2, "--") == 0) break;
    const std::size_t next = msg.find(delimiter, start);
    if (next == std::string::npos) break;
    p.parts.push_back(msg.substr(start + 2, next - start - 2));
    pos = next;
  }
  return p;
}

// The blocks of a delivery-status body, split at empty lines.
std::vector<std::string> blocks(const std::string& part) {
  const std::string body = part.substr(header_end(part));
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos < body.size()) {
    std::size_t end = body.find("\r\n\r\n", pos);
    if (end == std::string::npos) end = body.size();
    if (end > pos) out.push_back(body.substr(pos, end - pos) + "\r\n");
    pos = end + 4;
  }
  return out;
}

std::size_t occurrences(const std::string& s, const std::string& what) {
  std::size_t n = 0;
  for (std::size_t pos = s.find(what); pos != std::string::npos; pos = s.find(what, pos + 1)) ++n;
  return n;
}

const std::string kOriginal =
    "Received: from client (client [192.0.2.9]) by mx.example.org; Sun, 22 Nov 2026 04:00:00 +0000\r\n"
    "From: Alice <alice@example.org>\r\n"
    "To: bob@example.net, carol@example.net\r\n"
    "Subject: Quarterly figures\r\n"
    "Message-ID: <abc@example.org>\r\n"
    "\r\n"
    "Hello Bob,\r\n"
    "the figures are attached.\r\n";

Dsn failed_dsn() {
  Dsn dsn;
  dsn.reporting_mta = "mx.example.org";
  dsn.from = "MAILER-DAEMON@mx.example.org";
  dsn.to = "alice@example.org";
  dsn.envid = "QQ314159";
  dsn.queue_id = "4ZfXq2";
  dsn.arrival = at(kNov22 - 3600);
  dsn.now = at(kNov22);
  dsn.original = kOriginal;
  DsnRecipient bob;
  bob.final_recipient = "bob@example.net";
  bob.original_recipient = "rfc822;Bob@Example.NET";
  bob.action = "failed";
  bob.status = "5.1.1";
  bob.remote_mta = "mx.example.net";
  bob.diagnostic = "550 5.1.1 <bob@example.net>: no such user";
  bob.last_attempt = at(kNov22 - 10);
  DsnRecipient carol;
  carol.final_recipient = "carol@example.net";
  carol.action = "failed";
  carol.status = "5.2.2";
  carol.remote_mta = "mx.example.net";
  carol.diagnostic = "552-5.2.2 mailbox full\r\n552 5.2.2 try again later";
  carol.last_attempt = at(kNov22 - 10);
  dsn.recipients = {bob, carol};
  return dsn;
}

TEST(MailDsn, Structure) {
  const std::string msg = build_dsn(failed_dsn());
  expect_lines(msg, kMaxLine);
  for (char c : msg) ASSERT_LT(static_cast<unsigned char>(c), 0x80);  // 7bit

  const Parsed p = parse_dsn(msg);
  ASSERT_FALSE(p.boundary.empty());
  EXPECT_EQ(header(msg, "MIME-Version"), "1.0");
  const std::string type = *header(msg, "Content-Type");
  EXPECT_TRUE(type.starts_with("multipart/report; report-type=delivery-status;")) << type;
  EXPECT_EQ(header(msg, "Subject"), "Undelivered Mail Returned to Sender");
  EXPECT_EQ(header(msg, "Auto-Submitted"), "auto-replied");
  EXPECT_EQ(header(msg, "Date"), "Sun, 22 Nov 2026 04:19:11 +0000");
  EXPECT_EQ(header(msg, "To"), "<alice@example.org>");
  EXPECT_EQ(header(msg, "From"), "Mail Delivery System <MAILER-DAEMON@mx.example.org>");
  EXPECT_EQ(header(msg, "Content-Transfer-Encoding"), "7bit");
  const std::string id = *header(msg, "Message-ID");
  EXPECT_TRUE(id.starts_with("<") && id.ends_with("@mx.example.org>")) << id;

  // The boundary exactly as declared: three delimiters and one close.
  EXPECT_EQ(occurrences(msg, "\r\n--" + p.boundary + "\r\n"), 3u);
  EXPECT_EQ(occurrences(msg, "\r\n--" + p.boundary + "--\r\n"), 1u);
  EXPECT_TRUE(msg.ends_with("\r\n--" + p.boundary + "--\r\n"));
  EXPECT_EQ(occurrences(msg, p.boundary), 5u);  // the declaration too
  ASSERT_EQ(p.parts.size(), 3u);

  EXPECT_EQ(header(p.parts[0], "Content-Type"), "text/plain; charset=us-ascii");
  const std::string text = p.parts[0].substr(header_end(p.parts[0]));
  EXPECT_NE(text.find("<bob@example.net>"), std::string::npos) << text;
  EXPECT_NE(text.find("no such user"), std::string::npos);
  EXPECT_NE(text.find("mailbox full"), std::string::npos);
  EXPECT_NE(text.find("try again later"), std::string::npos);

  EXPECT_EQ(header(p.parts[1], "Content-Type"), "message/delivery-status");
  const std::vector<std::string> fields = blocks(p.parts[1]);
  ASSERT_EQ(fields.size(), 3u);
  EXPECT_EQ(header(fields[0], "Reporting-MTA"), "dns; mx.example.org");
  EXPECT_EQ(header(fields[0], "Original-Envelope-Id"), "QQ314159");
  EXPECT_EQ(header(fields[0], "Arrival-Date"), "Sun, 22 Nov 2026 03:19:11 +0000");
  EXPECT_EQ(header(fields[0], "X-Parley-Queue-ID"), "4ZfXq2");
  EXPECT_EQ(header(fields[1], "Final-Recipient"), "rfc822; bob@example.net");
  EXPECT_EQ(header(fields[1], "Original-Recipient"), "rfc822; Bob@Example.NET");
  EXPECT_EQ(header(fields[1], "Action"), "failed");
  EXPECT_EQ(header(fields[1], "Status"), "5.1.1");
  EXPECT_EQ(header(fields[1], "Remote-MTA"), "dns; mx.example.net");
  EXPECT_EQ(header(fields[1], "Diagnostic-Code"), "smtp; 550 5.1.1 <bob@example.net>: no such user");
  EXPECT_EQ(header(fields[1], "Last-Attempt-Date"), "Sun, 22 Nov 2026 04:19:01 +0000");
  EXPECT_EQ(header(fields[1], "Will-Retry-Until"), std::nullopt);
  EXPECT_EQ(header(fields[2], "Final-Recipient"), "rfc822; carol@example.net");
  EXPECT_EQ(header(fields[2], "Original-Recipient"), std::nullopt);
  EXPECT_EQ(header(fields[2], "Status"), "5.2.2");
  EXPECT_EQ(header(fields[2], "Diagnostic-Code"), "smtp; 552-5.2.2 mailbox full 552 5.2.2 try again later");

  EXPECT_EQ(header(p.parts[2], "Content-Type"), "message/rfc822");
  const std::string enclosed = p.parts[2].substr(header_end(p.parts[2]));
  EXPECT_EQ(enclosed, kOriginal);
  EXPECT_EQ(header(enclosed, "Subject"), "Quarterly figures");
  EXPECT_EQ(header(enclosed, "Message-ID"), "<abc@example.org>");

  // Another build: a new Message-ID and boundary.
  const std::string again = build_dsn(failed_dsn());
  EXPECT_NE(header(again, "Message-ID"), header(msg, "Message-ID"));
  EXPECT_NE(parse_dsn(again).boundary, p.boundary);
}

TEST(MailDsn, SubjectsByAction) {
  Dsn dsn = failed_dsn();
  dsn.recipients[0].action = "delayed";
  dsn.recipients[0].status = "4.4.1";
  dsn.recipients[0].will_retry_until = at(kNov22 + 5 * 86400);
  EXPECT_EQ(header(build_dsn(dsn), "Subject"), "Undelivered Mail Returned to Sender");  // carol still failed
  dsn.recipients.pop_back();
  const std::string delayed = build_dsn(dsn);
  EXPECT_EQ(header(delayed, "Subject"), "Delayed Mail (still being retried)");
  const Parsed p = parse_dsn(delayed);
  ASSERT_EQ(p.parts.size(), 3u);
  const std::vector<std::string> fields = blocks(p.parts[1]);
  ASSERT_EQ(fields.size(), 2u);
  EXPECT_EQ(header(fields[1], "Action"), "delayed");
  EXPECT_EQ(header(fields[1], "Will-Retry-Until"), "Fri, 27 Nov 2026 04:19:11 +0000");

  dsn.recipients[0].action = "delivered";
  dsn.recipients[0].status = "2.0.0";
  dsn.recipients[0].diagnostic = "250 2.0.0 ok";
  EXPECT_EQ(header(build_dsn(dsn), "Subject"), "Successful Mail Delivery Report");
  dsn.recipients[0].action = "relayed";
  dsn.recipients[0].status = "";
  const std::string relayed = build_dsn(dsn);
  EXPECT_EQ(header(relayed, "Subject"), "Successful Mail Delivery Report");
  EXPECT_EQ(header(blocks(parse_dsn(relayed).parts[1])[1], "Status"), "2.0.0");
}

TEST(MailDsn, HeadersOnly) {
  for (int variant = 0; variant < 3; ++variant) {
    Dsn dsn = failed_dsn();
    std::string big;
    std::size_t max = kMaxDsnOriginal;
    if (variant == 0) dsn.headers_only = true;
    if (variant == 1) max = header_end(kOriginal) + 1;  // the original is larger
    if (variant == 2) {
      big = kOriginal + std::string(2000, 'x') + "\r\n";  // a body line over 998
      dsn.original = big;
    }
    const std::string msg = build_dsn(dsn, max);
    expect_lines(msg, kMaxLine);
    const Parsed p = parse_dsn(msg);
    ASSERT_EQ(p.parts.size(), 3u) << variant;
    EXPECT_EQ(header(p.parts[2], "Content-Type"), "text/rfc822-headers") << variant;
    const std::string enclosed = p.parts[2].substr(header_end(p.parts[2]));
    EXPECT_EQ(header(enclosed, "Subject"), "Quarterly figures") << variant;
    EXPECT_EQ(msg.find("the figures are attached"), std::string::npos) << variant;
  }
}

TEST(MailDsn, OriginalIsNormalized) {
  Dsn dsn = failed_dsn();
  const std::string original = "Subject: bare\nX-Long: " + std::string(3000, 'y') + "\n\nline one\rline two\nend";
  dsn.original = original;
  const std::string msg = build_dsn(dsn);
  expect_lines(msg, kMaxLine);
  const Parsed p = parse_dsn(msg);
  ASSERT_EQ(p.parts.size(), 3u);
  EXPECT_EQ(header(p.parts[2], "Content-Type"), "message/rfc822");
  const std::string enclosed = p.parts[2].substr(header_end(p.parts[2]));
  EXPECT_EQ(header(enclosed, "Subject"), "bare");
  EXPECT_EQ(header(enclosed, "X-Long").value_or("").size(), 3000u + 3 /* folds: CRLF SP keeps the SP */);
  EXPECT_TRUE(enclosed.ends_with("\r\n\r\nline one\r\nline two\r\nend")) << enclosed;
}

TEST(MailDsn, EightBitAndUtf8) {
  Dsn dsn = failed_dsn();
  dsn.recipients[0].final_recipient = "bj\xc3\xb6rn@example.net";
  dsn.recipients[0].diagnostic = "550 5.1.1 unknown user bj\xc3\xb6rn";
  const std::string seven = build_dsn(dsn);
  for (char c : seven) ASSERT_LT(static_cast<unsigned char>(c), 0x80);
  Parsed p = parse_dsn(seven);
  ASSERT_EQ(p.parts.size(), 3u);
  EXPECT_EQ(header(blocks(p.parts[1])[1], "Final-Recipient"), "utf-8; bj\\x{F6}rn@example.net");

  dsn.utf8 = true;
  const std::string original = "Subject: caf\xc3\xa9\r\n\r\nbody \xe2\x82\xac\r\n";
  dsn.original = original;
  const std::string global = build_dsn(dsn);
  expect_lines(global, kMaxLine);
  EXPECT_EQ(header(global, "Content-Transfer-Encoding"), "8bit");
  p = parse_dsn(global);
  ASSERT_EQ(p.parts.size(), 3u);
  EXPECT_EQ(header(p.parts[0], "Content-Type"), "text/plain; charset=utf-8");
  EXPECT_EQ(header(p.parts[1], "Content-Type"), "message/global-delivery-status");
  EXPECT_EQ(header(p.parts[2], "Content-Type"), "message/global");
  EXPECT_EQ(header(blocks(p.parts[1])[1], "Final-Recipient"), "utf-8; bj\xc3\xb6rn@example.net");
  EXPECT_EQ(header(blocks(p.parts[1])[2], "Final-Recipient"), "rfc822; carol@example.net");

  // An 8-bit original in a non-UTF8 DSN: declared 8bit.
  dsn.utf8 = false;
  const std::string eight = build_dsn(dsn);
  EXPECT_EQ(header(eight, "Content-Transfer-Encoding"), "8bit");
  p = parse_dsn(eight);
  ASSERT_EQ(p.parts.size(), 3u);
  EXPECT_EQ(header(p.parts[2], "Content-Transfer-Encoding"), "8bit");
}

TEST(MailDsn, HostileFieldsStayOnTheirLines) {
  Dsn dsn = failed_dsn();
  dsn.recipients[0].diagnostic = "550 no\r\nAction: delivered\r\n" + std::string(5000, 'z');
  dsn.recipients[0].final_recipient = "x@y\r\nStatus: 2.0.0";
  dsn.envid = "id with\r\nspaces";
  dsn.recipients[0].status = "9.9.9";
  const std::string msg = build_dsn(dsn);
  expect_lines(msg, kMaxLine);
  const Parsed p = parse_dsn(msg);
  ASSERT_EQ(p.parts.size(), 3u);
  const std::vector<std::string> fields = blocks(p.parts[1]);
  ASSERT_EQ(fields.size(), 3u);
  EXPECT_EQ(headers(fields[1], "Action"), std::vector<std::string>{"failed"});
  EXPECT_EQ(headers(fields[1], "Status"), std::vector<std::string>{"5.0.0"});
  EXPECT_EQ(header(fields[0], "Original-Envelope-Id"), "id+20with+0D+0Aspaces");
}

TEST(MailXtext, RoundTrip) {
  std::string every;
  for (int c = 0; c < 256; ++c) every += static_cast<char>(c);
  for (const std::string& s : {""s, "plain"s, "a+b=c"s, "with space"s, "rfc822;bob@example.net"s, every}) {
    const std::string encoded = xtext_encode(s);
    for (char c : encoded) {
      EXPECT_TRUE(c >= '!' && c <= '~' && c != '=') << encoded;
    }
    Result<std::string> decoded = xtext_decode(encoded);
    ASSERT_TRUE(decoded.ok()) << encoded;
    EXPECT_EQ(*decoded, s);
  }
  EXPECT_EQ(xtext_encode("a+b=c d"), "a+2Bb+3Dc+20d");
  EXPECT_EQ(*xtext_decode("QQ314159+2B+3D"), "QQ314159+=");
  EXPECT_EQ(*xtext_decode("x+2by"), "x+y");  // lower-case hex accepted
}

TEST(MailXtext, Malformed) {
  for (const char* bad : {"+", "+4", "a+G1", "a+1G", "+-1", "a b", "a=b", "tab\there", "\x80", "a+"}) {
    Result<std::string> r = xtext_decode(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.code(), Errc::syntax) << bad;
  }
}

// ---- Date: values (RFC 5322 3.3, 4.3) ----

struct DateCase {
  std::string value;
  std::optional<DateTime> expect;
};

constexpr std::int64_t kFeb7 = 760657945;     // Mon, 7 Feb 1994 21:52:25 as if UTC
constexpr std::int64_t kJul1 = 1057056757;    // Tue, 1 Jul 2003 10:52:37 as if UTC
constexpr std::int64_t kDec31 = 946683000;    // Fri, 31 Dec 1999 23:30:00 +0000
constexpr std::int64_t kY2k = 946684800;      // Sat, 1 Jan 2000 00:00:00 +0000

DateTime dt(std::int64_t written_as_utc, int zone) { return DateTime{written_as_utc - zone * 60, zone}; }

const DateCase kDates[] = {
    {"Mon, 7 Feb 1994 21:52:25 -0800", dt(kFeb7, -480)},
    {"Fri, 21 Nov 1997 09:55:06 -0600", dt(880106106, -360)},
    {"Sun, 22 Nov 2026 04:19:11 +0000", dt(kNov22, 0)},
    {"22 Nov 2026 04:19:11 +0000", dt(kNov22, 0)},                   // no day-of-week
    {"sun, 22 NOV 2026 04:19:11 +0000", dt(kNov22, 0)},              // any case
    {"Sunday, 22 November 2026 04:19:11 +0000", dt(kNov22, 0)},      // full names
    {"Sun 22 Nov 2026 04:19:11 +0000", dt(kNov22, 0)},               // no comma
    {"Mon, 22 Nov 2026 04:19:11 +0000", dt(kNov22, 0)},              // wrong day-of-week: not checked
    {"  Tue, 1 Jul 2003 10:52:37 +0200  ", dt(kJul1, 120)},
    {"Tue, 01 Jul 2003 10:52:37 +0200 (CEST)", dt(kJul1, 120)},
    {"Tue, 1 Jul 2003 10:52:37 +0200 CEST", dt(kJul1, 120)},          // after the zone: ignored
    {"Tue, 1 Jul 2003 10:52:37 +0200 trailing junk 123", dt(kJul1, 120)},
    {"Tue,\r\n 1 Jul 2003\r\n\t10:52:37 +0200", dt(kJul1, 120)},      // folded
    {"Tue,\n 1 Jul 2003\n 10:52:37 +0200", dt(kJul1, 120)},           // bare LF
    {"(a (nested \\) one)) Tue ,(x) 1 (y) Jul (z) 2003 10 : 52 : 37 (w) +0200", dt(kJul1, 120)},  // obs CFWS
    {"Tue, 1 Jul 2003 10:52:37 +0200 (unclosed", dt(kJul1, 120)},
    {"Mon, 07 Feb 94 21:52:25 EST", dt(kFeb7, -300)},                // 2-digit year
    {"1 Jan 49 00:00:00 GMT", dt(2493072000, 0)},                    // 49 -> 2049
    {"1 Jan 50 00:00:00 UT", dt(-631152000, 0)},                     // 50 -> 1950
    {"1 Jan 00 00:00:00 +0000", dt(kY2k, 0)},
    {"1 Jan 100 00:00:00 +0000", dt(kY2k, 0)},                       // 3-digit year: + 1900
    {"1 Jan 1900 00:00:00 +0000", dt(-2208988800, 0)},
    {"31 Dec 9999 23:59:59 +0000", dt(253402300799, 0)},
    {"Fri, 31 Dec 1999 23:30 +0000", dt(kDec31, 0)},                 // no seconds
    {"1 Jan 2000 1:02:03 +0000", dt(kY2k + 3723, 0)},                // 1-digit hour
    {"29 Feb 2000 23:59:60 +0000", dt(951868800, 0)},                // leap day, leap second
    {"31 Dec 1969 23:59:59 +0000", dt(-1, 0)},
    {"Sat, 1 Jan 2000 00:30:00 +0100", dt(kY2k + 1800, 60)},         // the previous day in UTC
    {"Fri, 31 Dec 1999 23:30:00 -0100", dt(kDec31, -60)},            // the next day in UTC
    {"31 Dec 1999 23:30:00 +0530", dt(kDec31, 330)},
    {"31 Dec 1999 23:30:00 -1130", dt(kDec31, -690)},
    {"31 Dec 1999 23:30:00 +2359", dt(kDec31, 1439)},
    {"31 Dec 1999 23:30:00 -0000", dt(kDec31, 0)},
    {"31 Dec 1999 23:30:00 EDT", dt(kDec31, -240)},
    {"31 Dec 1999 23:30:00 EST", dt(kDec31, -300)},
    {"31 Dec 1999 23:30:00 CDT", dt(kDec31, -300)},
    {"31 Dec 1999 23:30:00 CST", dt(kDec31, -360)},
    {"31 Dec 1999 23:30:00 MDT", dt(kDec31, -360)},
    {"31 Dec 1999 23:30:00 MST", dt(kDec31, -420)},
    {"31 Dec 1999 23:30:00 pdt", dt(kDec31, -420)},
    {"31 Dec 1999 23:30:00 PST", dt(kDec31, -480)},
    {"31 Dec 1999 23:30:00 UTC", dt(kDec31, 0)},
    {"31 Dec 1999 23:30:00 A", dt(kDec31, 0)},   // military letters: -0000 (RFC 5322 4.3)
    {"31 Dec 1999 23:30:00 z", dt(kDec31, 0)},
    {"31 Dec 1999 23:30:00 Y", dt(kDec31, 0)},
    {"31 Dec 1999 23:30:00 CET", dt(kDec31, 0)},  // unknown names: -0000
    {"31 Dec 1999 23:30:00", dt(kDec31, 0)},      // no zone
    {"31 Dec 1999 23:30:00 (no zone)", dt(kDec31, 0)},
    // Malformed.
    {"", std::nullopt},
    {"   ", std::nullopt},
    {"(only a comment)", std::nullopt},
    {"Mon, 7 Feb 1994", std::nullopt},                   // no time
    {"Mon, 7 Feb 1994 21", std::nullopt},
    {"Mon, 7 Feb 1994 21:", std::nullopt},
    {"Xyz, 7 Feb 1994 21:52:25 +0000", std::nullopt},    // not a day name
    {"Mon, Feb 7 21:52:25 1994", std::nullopt},          // asctime order
    {"7 Foo 1994 21:52:25 +0000", std::nullopt},
    {"7 1994 21:52:25 +0000", std::nullopt},
    {"32 Jan 2000 00:00:00 +0000", std::nullopt},
    {"0 Jan 2000 00:00:00 +0000", std::nullopt},
    {"123 Jan 2000 00:00:00 +0000", std::nullopt},
    {"30 Feb 2000 00:00:00 +0000", std::nullopt},
    {"29 Feb 1900 00:00:00 +0000", std::nullopt},        // 1900 is not a leap year
    {"29 Feb 2001 00:00:00 +0000", std::nullopt},
    {"31 Apr 2001 00:00:00 +0000", std::nullopt},
    {"7 Feb 1 21:52:25 +0000", std::nullopt},            // 1-digit year
    {"7 Feb 19945 21:52:25 +0000", std::nullopt},
    {"7 Feb 1994 24:00:00 +0000", std::nullopt},
    {"7 Feb 1994 21:60:00 +0000", std::nullopt},
    {"7 Feb 1994 21:52:61 +0000", std::nullopt},
    {"7 Feb 1994 211:52:25 +0000", std::nullopt},
    {"7 Feb 1994 21 52 25 +0000", std::nullopt},
    {"7 Feb 1994 21:52:25 +080", std::nullopt},
    {"7 Feb 1994 21:52:25 +08000", std::nullopt},
    {"7 Feb 1994 21:52:25 +08:00", std::nullopt},
    {"7 Feb 1994 21:52:25 + 0800", std::nullopt},
    {"7 Feb 1994 21:52:25 +2400", std::nullopt},
    {"7 Feb 1994 21:52:25 -0060", std::nullopt},
    {"7 Feb 1994 21:52:25 0800", std::nullopt},          // unsigned zone
    {"7 Feb 1994 21:52:25 *", std::nullopt},
    {"7-Feb-1994 21:52:25 +0000", std::nullopt},
    {"\xff\xfe", std::nullopt},
};

TEST(MailDate, Table) {
  for (const DateCase& c : kDates) {
    const std::optional<DateTime> got = parse_rfc5322_date(c.value);
    ASSERT_EQ(got.has_value(), c.expect.has_value()) << c.value;
    if (got) {
      EXPECT_EQ(got->unix_time, c.expect->unix_time) << c.value;
      EXPECT_EQ(got->zone_minutes, c.expect->zone_minutes) << c.value;
    }
  }
}

TEST(MailDate, ReadsWhatWeWrite) {
  // Every 25 h 13 min 7 s from 1900 to 2030: all hours, through leap years and 1970.
  for (std::int64_t t = -2208988800; t < 1900000000; t += 25 * 3600 + 13 * 60 + 7) {
    const std::string s = rfc5322_date(at(t));
    const std::optional<DateTime> got = parse_rfc5322_date(s);
    ASSERT_TRUE(got) << s;
    ASSERT_EQ(got->unix_time, t) << s;
    ASSERT_EQ(got->zone_minutes, 0) << s;
  }
}

TEST(MailDate, DaysFromCivil) {
  EXPECT_EQ(days_from_civil(1970, 1, 1), 0);
  EXPECT_EQ(days_from_civil(1969, 12, 31), -1);
  EXPECT_EQ(days_from_civil(2000, 1, 1), kY2k / 86400);
  EXPECT_EQ(days_from_civil(2000, 3, 1), 951868800 / 86400);
  EXPECT_EQ(days_from_civil(2000, 2, 30), days_from_civil(2000, 3, 1));  // counts on
  EXPECT_EQ(days_from_civil(2000, 1, 0), days_from_civil(1999, 12, 31));
  EXPECT_EQ(days_from_civil(1900, 1, 1), -2208988800 / 86400);
  EXPECT_EQ(days_from_civil(1600, 1, 1), days_from_civil(1601, 1, 1) - 366);
}

struct Stuffing {
  std::string_view name;
  std::string_view text;
  std::string_view sent;
};

const Stuffing kStuffing[] = {
    {"empty", "", ""},
    {"CRLF lines", "a\r\nb\r\n", "a\r\nb\r\n"},
    {"bare LF", "a\nb\n", "a\r\nb\r\n"},
    {"mixed line ends", "a\r\nb\nc\r\n", "a\r\nb\r\nc\r\n"},
    {"no final line end", "a\r\nb", "a\r\nb\r\n"},
    {"final CR only", "a\r", "a\r\n"},
    {"empty lines kept", "\n\r\n\n", "\r\n\r\n\r\n"},
    {"lone dot", "a\r\n.\r\nb\r\n", "a\r\n..\r\nb\r\n"},
    {"lone dot, bare LF", "a\n.\nb\n", "a\r\n..\r\nb\r\n"},
    {"lone dot last, no line end", "a\n.", "a\r\n..\r\n"},
    {"leading dots", ".x\r\n..y\r\n", "..x\r\n...y\r\n"},
    {"first line", ".\r\n", "..\r\n"},
    {"dots inside a line", "a.b\r\n .\r\n", "a.b\r\n .\r\n"},
    {"CR inside a line passes", "a\rb\r\n", "a\rb\r\n"},
    {"CR dot inside a line", "a\r.\r\n", "a\r.\r\n"},
    {"NUL and 8-bit pass", std::string_view("\0.\xff\n", 4), std::string_view("\0.\xff\r\n", 5)},
};

TEST(MailDotStuff, Table) {
  for (const auto& c : kStuffing) {
    SCOPED_TRACE(std::string(c.name));
    EXPECT_EQ(dot_stuff(c.text), c.sent);
  }
}

// What it sends never ends early: every line of the result ends in CRLF,
// and none is a lone "." (the end of the message is the caller's).
TEST(MailDotStuff, NoEarlyEnd) {
  for (const auto& c : kStuffing) {
    const std::string sent = dot_stuff(c.text);
    SCOPED_TRACE(std::string(c.name));
    EXPECT_TRUE(sent.empty() || sent.ends_with("\r\n"));
    EXPECT_FALSE(sent.starts_with(".\r\n"));
    EXPECT_EQ(sent.find("\n.\r\n"), std::string::npos);
    EXPECT_EQ(sent.find("\n.\n"), std::string::npos);
  }
}

}  // namespace
}  // namespace parley::mail
