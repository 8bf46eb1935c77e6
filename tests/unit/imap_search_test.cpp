// parley_imap_search: every SEARCH key against real-looking messages
// (multipart/alternative with quoted-printable ISO-8859-1 and base64 UTF-8
// parts, encoded-word and folded headers, an attached message, a message
// without Date:, one that cannot be read). Keys come from parse_command,
// so the trees are the ones the session gets.
#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "imap/command.h"
#include "imap/search.h"
#include "mime/mime.h"

namespace parley::imap {
namespace {

constexpr std::int64_t kNov22 = 1795321151;  // Sun, 22 Nov 2026 04:19:11 +0000

// A message as a session would present it. raw() and part() count their
// calls so tests can check that flag-only searches never load the body.
class TestMessage : public SearchMessage {
 public:
  std::uint32_t seq_ = 1, uid_ = 1, flags_ = 0;
  bool recent_ = false;
  std::vector<std::string> keywords_;
  std::int64_t internal_ms_ = kNov22 * 1000;
  std::uint64_t modseq_ = 1;
  std::optional<std::string> raw_;  // nullopt: unreadable
  int raw_calls = 0, part_calls = 0;

  explicit TestMessage(std::optional<std::string> raw = std::nullopt) : raw_(std::move(raw)) {}

  std::uint32_t seq() const override { return seq_; }
  std::uint32_t uid() const override { return uid_; }
  std::uint32_t system_flags() const override { return flags_; }
  const std::vector<std::string>& keywords() const override { return keywords_; }
  std::uint64_t size() const override { return raw_ ? raw_->size() : 0; }
  std::int64_t internal_date_ms() const override { return internal_ms_; }
  std::uint64_t modseq() const override { return modseq_; }
  bool recent() const override { return recent_; }
  const std::string* raw() override {
    ++raw_calls;
    return raw_ ? &*raw_ : nullptr;
  }
  const mime::Part* part() override {
    ++part_calls;
    if (!raw_) return nullptr;
    if (!part_) {
      Result<mime::Part> p = mime::parse(*raw_);
      if (!p) return nullptr;
      part_ = std::move(*p);
    }
    return &*part_;
  }

 private:
  std::optional<mime::Part> part_;
};

// The key tree of "a SEARCH <program>" (the session's own parser).
SearchKey keys(const std::string& program) {
  Result<Command> c = parse_command("a SEARCH " + program, Limits{}, false);
  EXPECT_TRUE(c.ok()) << program << ": " << (c.ok() ? "" : c.error().detail);
  return c.ok() ? c->search : SearchKey{};
}

// An IMAP literal holding `s` (for 8-bit search strings).
std::string lit(const std::string& s) { return "{" + std::to_string(s.size()) + "}\r\n" + s; }

bool match(const std::string& program, TestMessage& m, const SearchContext& ctx = {}) {
  return matches(keys(program), m, ctx);
}

// multipart/alternative; the plain part is ISO-8859-1 quoted-printable,
// the HTML part UTF-8 base64 ("<p>Ελληνικά: ΚΑΛΗΜΈΡΑ, Привет МИР</p>").
// Date: 23:52 on 7 Feb in -0800, which is 8 Feb in UTC.
const std::string kAlternative =
    "Return-Path: <pirard@example.be>\r\n"
    "Received: from mx1.example.org by mx2.example.org with ESMTPS id 1;\r\n"
    "\tMon, 7 Feb 1994 23:52:27 -0800\r\n"
    "Received: from client.example.be by mx1.example.org with ESMTP id 2;\r\n"
    "\tMon, 7 Feb 1994 23:52:26 -0800\r\n"
    "Date: Mon, 7 Feb 1994 23:52:25 -0800 (PST)\r\n"
    "From: =?ISO-8859-1?Q?Andr=E9_Pirard?= <pirard@example.be>\r\n"
    "To: Bob Smith <bob@example.org>,\r\n"
    " Carol <carol@example.net>\r\n"
    "Cc: dave@example.com\r\n"
    "Subject: =?utf-8?B?Q2Fmw6kgbWVldGluZw==?=\r\n"
    " =?utf-8?Q?_tomorrow?=\r\n"
    "Message-ID: <alt-1@example.com>\r\n"
    "MIME-Version: 1.0\r\n"
    "X-Mailer: Parley Test\r\n"
    "\tSuite 1.0\r\n"
    "Content-Type: multipart/alternative;\r\n"
    " boundary=\"=_alt_boundary\"\r\n"
    "\r\n"
    "This is a multi-part message in MIME format (PREAMBLE).\r\n"
    "--=_alt_boundary\r\n"
    "Content-Type: text/plain; charset=iso-8859-1\r\n"
    "Content-Transfer-Encoding: quoted-printable\r\n"
    "\r\n"
    "Bonjour =C0 tous, la r=E9union du caf=E9 est d=E9plac=E9e au lendemain, c=\r\n"
    "ar la salle est prise.\r\n"
    "Stra=DFe 12, =C9TAGE 3\r\n"
    "--=_alt_boundary\r\n"
    "Content-Type: text/html; charset=\"utf-8\"\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "\r\n"
    "PHA+zpXOu867zrfOvc65zrrOrDogzprOkc6bzpfOnM6IzqHOkSwg0J/RgNC40LLQtdGCINCc0Jj\r\n"
    "QoDwvcD4NCg==\r\n"
    "--=_alt_boundary--\r\n"
    "EPILOGUE\r\n";

// Single part, 8-bit UTF-8, no Date:, a Bcc, bare LF line ends.
const std::string kNoDate =
    "From: Zoë <zoe@example.com>\n"
    "To: team@example.com\n"
    "Bcc: hidden@example.net\n"
    "Subject: Grüße aus Köln\n"
    "Content-Type: text/plain; charset=UTF-8\n"
    "Content-Transfer-Encoding: 8bit\n"
    "\n"
    "ÜBER den Wolken. Ζωή.\n";

// multipart/mixed: a text part, an attached message, a PDF.
const std::string kMixed =
    "From: reports@example.com\r\n"
    "To: bob@example.org\r\n"
    "Subject: Weekly report\r\n"
    "Date: Sat, 1 Jan 2000 00:30:00 +0100\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: multipart/mixed; boundary=outer\r\n"
    "\r\n"
    "--outer\r\n"
    "Content-Type: text/plain\r\n"
    "\r\n"
    "See the forwarded message.\r\n"
    "--outer\r\n"
    "Content-Type: message/rfc822\r\n"
    "Content-Description: Forwarded\r\n"
    "\r\n"
    "From: inner@example.net\r\n"
    "Subject: inner secret header\r\n"
    "Content-Type: text/plain; charset=windows-1252\r\n"
    "Content-Transfer-Encoding: quoted-printable\r\n"
    "\r\n"
    "nested body words cost =8010\r\n"
    "--outer\r\n"
    "Content-Type: application/pdf; name=\"r.pdf\"\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "X-Attachment-Note: =?iso-8859-1?q?r=E9sum=E9?=\r\n"
    "\r\n"
    "JVBERi0xLjQgUERGU0VDUkVUIHN0cmVhbQ==\r\n"
    "--outer--\r\n";

SearchContext ctx_for(std::uint32_t max_seq = 10, std::uint32_t max_uid = 100) {
  SearchContext c;
  c.max_seq = max_seq;
  c.max_uid = max_uid;
  c.now = kNov22;
  return c;
}

TEST(ImapSearch, FlagsAndRecent) {
  TestMessage m(kAlternative);
  m.flags_ = SearchMessage::kSeen | SearchMessage::kFlagged;
  EXPECT_TRUE(match("ALL", m));
  EXPECT_TRUE(match("SEEN", m));
  EXPECT_TRUE(match("FLAGGED", m));
  EXPECT_FALSE(match("ANSWERED", m));
  EXPECT_FALSE(match("DELETED", m));
  EXPECT_FALSE(match("DRAFT", m));
  EXPECT_FALSE(match("UNSEEN", m));
  EXPECT_FALSE(match("UNFLAGGED", m));
  EXPECT_TRUE(match("UNANSWERED", m));
  EXPECT_TRUE(match("UNDELETED", m));
  EXPECT_TRUE(match("UNDRAFT", m));
  m.flags_ = SearchMessage::kAnswered | SearchMessage::kDeleted | SearchMessage::kDraft;
  EXPECT_TRUE(match("ANSWERED DELETED DRAFT UNSEEN UNFLAGGED", m));
  EXPECT_FALSE(match("UNANSWERED", m));
  EXPECT_FALSE(match("UNDELETED", m));
  EXPECT_FALSE(match("UNDRAFT", m));
  // \Recent is the session's (IMAP4rev1): RECENT, NEW = RECENT UNSEEN, OLD.
  EXPECT_FALSE(match("RECENT", m));
  EXPECT_FALSE(match("NEW", m));
  EXPECT_TRUE(match("OLD", m));
  EXPECT_TRUE(match("NOT RECENT", m));
  m.recent_ = true;
  EXPECT_TRUE(match("RECENT", m));
  EXPECT_TRUE(match("NEW", m));
  EXPECT_FALSE(match("OLD", m));
  m.flags_ |= SearchMessage::kSeen;
  EXPECT_FALSE(match("NEW", m));
  m.flags_ &= ~SearchMessage::kSeen;
  m.recent_ = false;
  // None of these needed the message.
  EXPECT_EQ(m.raw_calls, 0);
  EXPECT_EQ(m.part_calls, 0);
}

TEST(ImapSearch, Keywords) {
  TestMessage m(kAlternative);
  m.keywords_ = {"$Forwarded", "Project-X"};
  EXPECT_TRUE(match("KEYWORD $Forwarded", m));
  EXPECT_TRUE(match("KEYWORD $FORWARDED", m));
  EXPECT_TRUE(match("KEYWORD project-x", m));
  EXPECT_FALSE(match("KEYWORD project", m));  // whole keywords, not substrings
  EXPECT_FALSE(match("KEYWORD $Junk", m));
  EXPECT_TRUE(match("UNKEYWORD $Junk", m));
  EXPECT_FALSE(match("UNKEYWORD $forwarded", m));
  m.keywords_.clear();
  EXPECT_FALSE(match("KEYWORD $Forwarded", m));
  EXPECT_TRUE(match("UNKEYWORD $Forwarded", m));
}

TEST(ImapSearch, SizesAndModseq) {
  TestMessage m(std::string(1000, 'x'));
  EXPECT_TRUE(match("LARGER 999", m));
  EXPECT_FALSE(match("LARGER 1000", m));
  EXPECT_TRUE(match("SMALLER 1001", m));
  EXPECT_FALSE(match("SMALLER 1000", m));
  EXPECT_FALSE(match("LARGER 4294967296", m));
  EXPECT_TRUE(match("SMALLER 9223372036854775807", m));
  m.modseq_ = 7;
  EXPECT_TRUE(match("MODSEQ 7", m));
  EXPECT_TRUE(match("MODSEQ 1", m));
  EXPECT_FALSE(match("MODSEQ 8", m));
  EXPECT_TRUE(match("MODSEQ \"/flags/\\\\draft\" all 6", m));  // entry name and type ignored
  EXPECT_EQ(m.raw_calls, 0);
}

TEST(ImapSearch, SequenceAndUidSets) {
  TestMessage m;
  m.seq_ = 3;
  m.uid_ = 42;
  const SearchContext c = ctx_for(5, 50);
  EXPECT_TRUE(match("3", m, c));
  EXPECT_TRUE(match("1:3", m, c));
  EXPECT_TRUE(match("4:2", m, c));  // reversed ranges
  EXPECT_TRUE(match("1,3,5", m, c));
  EXPECT_FALSE(match("1,2,4:5", m, c));
  EXPECT_FALSE(match("*", m, c));  // * is 5
  EXPECT_TRUE(match("3:*", m, c));
  EXPECT_TRUE(match("*:2", m, c));
  EXPECT_FALSE(match("42", m, c));  // sequence numbers, not UIDs
  EXPECT_TRUE(match("UID 42", m, c));
  EXPECT_TRUE(match("UID 40:45", m, c));
  EXPECT_TRUE(match("UID 42:*", m, c));
  EXPECT_FALSE(match("UID 60:*", m, c));  // "60:*" is 50:60 when the largest UID is 50
  EXPECT_FALSE(match("UID 43:*", m, c));
  EXPECT_FALSE(match("UID *", m, c));
  EXPECT_FALSE(match("UID 3", m, c));
  m.seq_ = 5;
  m.uid_ = 50;
  EXPECT_TRUE(match("*", m, c));
  EXPECT_TRUE(match("UID *", m, c));
  EXPECT_TRUE(match("UID 60:*", m, c));
  // An empty mailbox: "*" is nothing.
  EXPECT_FALSE(match("*", m, ctx_for(0, 0)));
  EXPECT_FALSE(match("UID *", m, ctx_for(0, 0)));
  EXPECT_FALSE(match("1:*", m, ctx_for(0, 0)));
}

TEST(ImapSearch, SavedResult) {
  TestMessage m;
  m.seq_ = 2;
  m.uid_ = 20;
  SearchContext c = ctx_for(5, 50);
  EXPECT_FALSE(match("$", m, c));  // nothing saved
  EXPECT_FALSE(match("UID $", m, c));
  EXPECT_TRUE(match("NOT $", m, c));
  const std::vector<std::uint32_t> empty;
  c.saved = &empty;
  EXPECT_FALSE(match("$", m, c));
  const std::vector<std::uint32_t> saved = {3, 7, 20, 41};  // UIDs
  c.saved = &saved;
  EXPECT_TRUE(match("$", m, c));  // "$" holds UIDs even without UID
  EXPECT_TRUE(match("UID $", m, c));
  EXPECT_TRUE(match("$ UNSEEN", m, c));
  m.uid_ = 2;  // the sequence number is in no way the key
  EXPECT_FALSE(match("$", m, c));
  EXPECT_FALSE(match("UID $", m, c));
  EXPECT_TRUE(match("OR $ 2", m, c));
}

TEST(ImapSearch, InternalDate) {
  TestMessage m;
  m.internal_ms_ = kNov22 * 1000 + 500;  // 2026-11-22 04:19:11.5 UTC
  SearchContext utc = ctx_for();
  EXPECT_TRUE(match("ON 22-Nov-2026", m, utc));
  EXPECT_FALSE(match("ON 21-Nov-2026", m, utc));
  EXPECT_TRUE(match("SINCE 22-Nov-2026", m, utc));
  EXPECT_TRUE(match("SINCE 1-Jan-1970", m, utc));
  EXPECT_FALSE(match("SINCE 23-Nov-2026", m, utc));
  EXPECT_TRUE(match("BEFORE 23-Nov-2026", m, utc));
  EXPECT_FALSE(match("BEFORE 22-Nov-2026", m, utc));
  // The server's zone decides the day: at -0500 it is still the 21st.
  SearchContext est = utc;
  est.zone_minutes = -300;
  EXPECT_TRUE(match("ON 21-Nov-2026", m, est));
  EXPECT_TRUE(match("BEFORE 22-Nov-2026", m, est));
  EXPECT_FALSE(match("SINCE 22-Nov-2026", m, est));
  // At +1400 it is the 22nd until 10:00 UTC, then the 23rd.
  SearchContext kiribati = utc;
  kiribati.zone_minutes = 14 * 60;
  EXPECT_TRUE(match("ON 22-Nov-2026", m, kiribati));
  m.internal_ms_ = (kNov22 + 6 * 3600) * 1000;
  EXPECT_TRUE(match("ON 23-Nov-2026", m, kiribati));
  // Before 1970.
  m.internal_ms_ = -1;  // 1969-12-31 23:59:59.999
  EXPECT_TRUE(match("ON 31-Dec-1969", m, utc));
  EXPECT_TRUE(match("BEFORE 1-Jan-1970", m, utc));
  EXPECT_EQ(m.raw_calls, 0);
}

TEST(ImapSearch, OlderYounger) {
  TestMessage m;
  SearchContext c = ctx_for();
  m.internal_ms_ = (kNov22 - 3600) * 1000;  // an hour ago
  EXPECT_TRUE(match("OLDER 3599", m, c));
  EXPECT_FALSE(match("OLDER 3600", m, c));
  EXPECT_TRUE(match("YOUNGER 3600", m, c));
  EXPECT_FALSE(match("YOUNGER 3599", m, c));
  EXPECT_TRUE(match("YOUNGER 4294967295", m, c));
  m.internal_ms_ = (kNov22 + 60) * 1000;  // in the future (clock skew)
  EXPECT_TRUE(match("YOUNGER 1", m, c));
  EXPECT_FALSE(match("OLDER 1", m, c));
  m.internal_ms_ = INT64_MIN;  // absurd, but no overflow
  EXPECT_TRUE(match("OLDER 4294967295", m, c));
  EXPECT_FALSE(match("YOUNGER 4294967295", m, c));
}

TEST(ImapSearch, SentDates) {
  TestMessage alt(kAlternative);
  alt.internal_ms_ = kNov22 * 1000;
  const SearchContext c = ctx_for();
  // 23:52 on 7 Feb at -0800 (8 Feb in UTC): the day as written counts.
  EXPECT_TRUE(match("SENTON 7-Feb-1994", alt, c));
  EXPECT_FALSE(match("SENTON 8-Feb-1994", alt, c));
  EXPECT_TRUE(match("SENTBEFORE 8-Feb-1994", alt, c));
  EXPECT_FALSE(match("SENTBEFORE 7-Feb-1994", alt, c));
  EXPECT_TRUE(match("SENTSINCE 7-Feb-1994", alt, c));
  EXPECT_FALSE(match("SENTSINCE 8-Feb-1994", alt, c));
  EXPECT_FALSE(match("ON 7-Feb-1994", alt, c));  // the internal date is 2026

  // 00:30 on 1 Jan 2000 at +0100 (still 1999 in UTC).
  TestMessage mixed(kMixed);
  EXPECT_TRUE(match("SENTON 1-Jan-2000", mixed, c));
  EXPECT_FALSE(match("SENTON 31-Dec-1999", mixed, c));
  EXPECT_TRUE(match("SENTSINCE 1-Jan-2000 SENTBEFORE 2-Jan-2000", mixed, c));

  // No Date: the internal date stands in, in the server's zone.
  TestMessage nodate(kNoDate);
  nodate.internal_ms_ = kNov22 * 1000;
  EXPECT_TRUE(match("SENTON 22-Nov-2026", nodate, c));
  SearchContext est = c;
  est.zone_minutes = -300;
  EXPECT_TRUE(match("SENTON 21-Nov-2026", nodate, est));

  // A Date: that does not parse: likewise.
  TestMessage bad("Date: sometime last week\r\nSubject: x\r\n\r\nbody\r\n");
  bad.internal_ms_ = kNov22 * 1000;
  EXPECT_TRUE(match("SENTON 22-Nov-2026", bad, c));

  // Unreadable: likewise.
  TestMessage gone;
  gone.internal_ms_ = kNov22 * 1000;
  EXPECT_TRUE(match("SENTON 22-Nov-2026", gone, c));
  EXPECT_FALSE(match("SENTBEFORE 22-Nov-2026", gone, c));
}

TEST(ImapSearch, AddressAndSubjectFields) {
  TestMessage m(kAlternative);
  EXPECT_TRUE(match("FROM pirard@example.be", m));
  EXPECT_TRUE(match("FROM " + lit("André"), m));  // encoded word decoded
  EXPECT_TRUE(match("FROM " + lit("ANDRÉ PIRARD"), m));  // É folds to é
  EXPECT_FALSE(match("FROM \"andre\"", m));  // é is not e
  EXPECT_FALSE(match("FROM =E9", m));        // the encoded form is gone
  EXPECT_FALSE(match("FROM bob", m));
  EXPECT_TRUE(match("TO bob@EXAMPLE.org", m));
  EXPECT_TRUE(match("TO carol", m));  // on the folded continuation line
  EXPECT_TRUE(match("TO \"org>, carol\"", m));  // unfolded: the break became the space
  EXPECT_FALSE(match("TO dave", m));
  EXPECT_TRUE(match("CC dave", m));
  EXPECT_FALSE(match("CC bob", m));
  EXPECT_FALSE(match("BCC bob", m));  // no Bcc field
  EXPECT_TRUE(match("SUBJECT " + lit("café meeting tomorrow"), m));  // two words joined, space from the Q word
  EXPECT_TRUE(match("SUBJECT " + lit("CAFÉ"), m));
  EXPECT_FALSE(match("SUBJECT Q2Fmw6k", m));
  EXPECT_FALSE(match("SUBJECT Pirard", m));
  EXPECT_FALSE(match("SUBJECT \"\" SUBJECT elsewhere", m));
  EXPECT_TRUE(match("SUBJECT \"\"", m));  // has a Subject

  TestMessage plain(kNoDate);
  EXPECT_TRUE(match("BCC hidden", plain));
  EXPECT_TRUE(match("FROM " + lit("ZOË"), plain));
  EXPECT_FALSE(match("SUBJECT " + lit("grüsse"), plain));  // ß does not fold to ss
  EXPECT_TRUE(match("SUBJECT " + lit("GRÜßE AUS KÖLN"), plain));
  EXPECT_FALSE(match("CC anyone", plain));
  EXPECT_FALSE(match("CC \"\"", plain));  // no Cc field at all
}

TEST(ImapSearch, HeaderKey) {
  TestMessage m(kAlternative);
  EXPECT_TRUE(match("HEADER Message-ID <alt-1@example.com>", m));
  EXPECT_TRUE(match("HEADER message-id ALT-1", m));  // name and value case-insensitive
  EXPECT_FALSE(match("HEADER X-Mailer \"test suite\"", m));  // the fold is a tab
  EXPECT_TRUE(match("HEADER X-Mailer " + lit("test\tsuite"), m));
  EXPECT_TRUE(match("HEADER X-Mailer \"Suite 1.0\"", m));
  // Every occurrence counts: the first Received has mx2, the second client.
  EXPECT_TRUE(match("HEADER Received mx2.example.org", m));
  EXPECT_TRUE(match("HEADER Received client.example.be", m));
  EXPECT_FALSE(match("HEADER Received mx3", m));
  // An empty string: any message having the field.
  EXPECT_TRUE(match("HEADER MIME-Version \"\"", m));
  EXPECT_TRUE(match("HEADER Return-Path \"\"", m));
  EXPECT_FALSE(match("HEADER X-Spam-Flag \"\"", m));
  EXPECT_FALSE(match("HEADER Resent-From \"\"", m));
  // Header fields of the parts are not the message's.
  EXPECT_FALSE(match("HEADER Content-Transfer-Encoding \"\"", m));
  EXPECT_FALSE(match("HEADER Content-Type text/plain", m));
  EXPECT_TRUE(match("HEADER Content-Type multipart/alternative", m));
  // Nothing from the body.
  EXPECT_FALSE(match("HEADER Content-Type base64", m));

  TestMessage mixed(kMixed);
  EXPECT_FALSE(match("SUBJECT inner", mixed));  // the attached message's header
  EXPECT_FALSE(match("HEADER X-Attachment-Note \"\"", mixed));
}

TEST(ImapSearch, BodyText) {
  TestMessage m(kAlternative);
  // Quoted-printable ISO-8859-1: soft line breaks joined, bytes converted.
  EXPECT_TRUE(match("BODY " + lit("réunion du café"), m));
  EXPECT_TRUE(match("BODY " + lit("à TOUS"), m));        // À folds to à
  EXPECT_TRUE(match("BODY " + lit("étage 3"), m));
  EXPECT_TRUE(match("BODY \"car la salle\"", m));         // "c=\r\nar": a soft break
  EXPECT_FALSE(match("BODY strasse", m));                  // no ß -> ss
  EXPECT_TRUE(match("BODY " + lit("STRAßE"), m));
  EXPECT_FALSE(match("BODY =E9", m));
  // Base64 UTF-8: Greek and Cyrillic capitals fold.
  EXPECT_TRUE(match("BODY " + lit("καλημέρα"), m));
  EXPECT_TRUE(match("BODY " + lit("ελληνικά"), m));
  EXPECT_TRUE(match("BODY " + lit("привет мир"), m));
  EXPECT_TRUE(match("BODY " + lit("<P>"), m));
  EXPECT_FALSE(match("BODY zpXOu867", m));  // the encoded form is gone
  // Not the preamble, the epilogue, the headers.
  EXPECT_FALSE(match("BODY PREAMBLE", m));
  EXPECT_FALSE(match("BODY epilogue", m));
  EXPECT_FALSE(match("BODY Pirard", m));
  EXPECT_FALSE(match("BODY quoted-printable", m));
  // Parts are separate texts.
  EXPECT_FALSE(match("BODY " + lit("3<p>"), m));
  EXPECT_TRUE(match("BODY \"\"", m));

  TestMessage plain(kNoDate);
  EXPECT_TRUE(match("BODY " + lit("über den wolken"), plain));
  EXPECT_TRUE(match("BODY " + lit("ΖΩΉ"), plain));
  EXPECT_FALSE(match("BODY " + lit("Grüße"), plain));

  TestMessage mixed(kMixed);
  EXPECT_TRUE(match("BODY forwarded", mixed));
  // The attached message's body, windows-1252 quoted-printable (=80 is €).
  EXPECT_TRUE(match("BODY \"nested body words\"", mixed));
  EXPECT_TRUE(match("BODY " + lit("cost €10"), mixed));
  EXPECT_FALSE(match("BODY \"inner secret\"", mixed));  // its header is not body text
  EXPECT_FALSE(match("BODY PDFSECRET", mixed));         // not a text part
  EXPECT_FALSE(match("BODY JVBERi0", mixed));
}

TEST(ImapSearch, TextSearchesHeadersToo) {
  TestMessage m(kAlternative);
  EXPECT_TRUE(match("TEXT " + lit("réunion"), m));
  EXPECT_TRUE(match("TEXT " + lit("café MEETING"), m));  // the Subject, decoded
  EXPECT_TRUE(match("TEXT pirard", m));
  EXPECT_TRUE(match("TEXT \"Message-ID: <alt-1\"", m));  // whole fields, names included
  EXPECT_TRUE(match("TEXT \"charset=iso-8859-1\"", m));  // MIME header fields
  EXPECT_TRUE(match("TEXT " + lit("Parley Test\tSuite"), m));  // unfolded
  EXPECT_FALSE(match("TEXT nowhere", m));
  EXPECT_FALSE(match("TEXT PREAMBLE", m));

  TestMessage mixed(kMixed);
  EXPECT_TRUE(match("TEXT \"inner secret header\"", mixed));  // the attached message's header
  EXPECT_TRUE(match("TEXT " + lit("résumé"), mixed));         // a part's header, decoded
  EXPECT_TRUE(match("TEXT \"nested body\"", mixed));
  EXPECT_FALSE(match("TEXT PDFSECRET", mixed));
}

TEST(ImapSearch, UnusualBodies) {
  // Top level, not multipart, not text: its body is searched.
  TestMessage octets(
      "Subject: blob\r\n"
      "Content-Type: application/octet-stream\r\n"
      "Content-Transfer-Encoding: base64\r\n"
      "\r\n"
      "YmluYXJ5IGJsb2Igd2l0aCBPQ1RFVFdPUkQgaW5zaWRl\r\n");
  EXPECT_TRUE(match("BODY octetword", octets));
  // Unknown charset: read as UTF-8. Unknown encoding: the bytes as stored.
  TestMessage koi(
      "Subject: koi\r\n"
      "Content-Type: text/plain; charset=koi8-r\r\n"
      "Content-Transfer-Encoding: x-uuencode\r\n"
      "\r\n"
      "plain ascii =41 survives\r\n");
  EXPECT_TRUE(match("BODY \"ascii =41 survives\"", koi));
  // No Content-Type (us-ascii by default), 8-bit UTF-8 anyway: read as UTF-8.
  TestMessage bare("Subject: bare\n\nnaïve CAFÉ\n");
  EXPECT_TRUE(match("BODY " + lit("NAÏVE café"), bare));
  // Invalid UTF-8 is replaced, the rest still found.
  TestMessage broken("Content-Type: text/plain; charset=utf-8\r\n\r\nbad \xff\xfe bytes then words\r\n");
  EXPECT_TRUE(match("BODY \"then words\"", broken));
  EXPECT_TRUE(match("BODY " + lit("bad \xEF\xBF\xBD\xEF\xBF\xBD bytes"), broken));
  // Not even a header.
  TestMessage headless("just some text, no header at all\r\n");
  EXPECT_TRUE(match("BODY \"some text\"", headless));
  EXPECT_FALSE(match("SUBJECT \"\"", headless));
}

TEST(ImapSearch, UnreadableMessage) {
  TestMessage m;  // raw() is nullptr
  m.flags_ = SearchMessage::kSeen;
  EXPECT_TRUE(match("SEEN", m));
  for (const char* key : {"FROM a", "TO a", "CC a", "BCC a", "SUBJECT a", "HEADER Subject a",
                          "HEADER Subject \"\"", "BODY a", "TEXT a", "BODY \"\"", "TEXT \"\""}) {
    EXPECT_FALSE(match(key, m)) << key;
    EXPECT_TRUE(match(std::string("NOT ") + key, m)) << key;
  }
  EXPECT_GT(m.raw_calls, 0);
}

TEST(ImapSearch, BooleanStructure) {
  TestMessage m(kAlternative);
  m.flags_ = SearchMessage::kSeen;
  m.seq_ = 4;
  const SearchContext c = ctx_for();
  EXPECT_TRUE(match("SEEN FROM pirard 4", m, c));  // the top level is AND
  EXPECT_FALSE(match("SEEN FROM pirard 5", m, c));
  EXPECT_TRUE(match("OR DELETED SEEN", m, c));
  EXPECT_TRUE(match("OR SEEN DELETED", m, c));
  EXPECT_FALSE(match("OR DELETED DRAFT", m, c));
  EXPECT_TRUE(match("NOT DELETED", m, c));
  EXPECT_FALSE(match("NOT SEEN", m, c));
  EXPECT_TRUE(match("NOT NOT SEEN", m, c));
  EXPECT_TRUE(match("(SEEN (UNDELETED (FROM pirard)))", m, c));
  EXPECT_FALSE(match("(SEEN (UNDELETED (FROM bob)))", m, c));
  EXPECT_TRUE(match("OR (DELETED FROM pirard) (SEEN BODY " + lit("привет") + ")", m, c));
  EXPECT_TRUE(match("CHARSET UTF-8 OR FROM x BODY " + lit("καλημέρα"), m, c));
  EXPECT_FALSE(match("CHARSET US-ASCII OR FROM zzz BODY yyy", m, c));
  // As deep as the parser allows.
  std::string deep = "SEEN";
  for (int i = 0; i < 30; ++i) deep = (i % 3 ? "NOT " : "(") + deep + (i % 3 ? "" : ")");  // 20 NOTs
  EXPECT_TRUE(match(deep, m, c));
  // Hand-built trees need no parser.
  SearchKey k;
  k.kind = SearchKey::Kind::or_;
  k.children.resize(2);
  k.children[0].kind = SearchKey::Kind::deleted;
  k.children[1].kind = SearchKey::Kind::header;
  k.children[1].field = "Cc";
  k.children[1].value = "DAVE@";
  EXPECT_TRUE(matches(k, m, c));
}

TEST(ImapSearch, NeedsBody) {
  for (const char* p : {"ALL", "SEEN UNSEEN 1:* UID 3", "LARGER 5 SMALLER 9", "BEFORE 1-Jan-2000 ON 1-Jan-2000",
                        "SINCE 1-Jan-2000 KEYWORD x UNKEYWORD y", "OLDER 5 YOUNGER 6 MODSEQ 3 $", "NOT (OR NEW OLD)"}) {
    EXPECT_FALSE(needs_body(keys(p))) << p;
  }
  for (const char* p : {"FROM a", "TO a", "CC a", "BCC a", "SUBJECT a", "HEADER X a", "BODY a", "TEXT a",
                        "SENTBEFORE 1-Jan-2000", "SENTON 1-Jan-2000", "SENTSINCE 1-Jan-2000",
                        "SEEN (DELETED (NOT BODY x))", "OR SEEN SUBJECT x"}) {
    EXPECT_TRUE(needs_body(keys(p))) << p;
  }
  // What needs_body says is what matches() does.
  TestMessage m(kAlternative);
  EXPECT_FALSE(match("ALL SEEN OR 1 UID 2 NOT BEFORE 1-Jan-2000", m, ctx_for()));
  EXPECT_EQ(m.raw_calls + m.part_calls, 0);
}

TEST(ImapSearch, LoadsBodyOnce) {
  TestMessage m(kAlternative);
  EXPECT_TRUE(match("BODY tous BODY salle TEXT pirard TEXT bonjour", m));
  EXPECT_EQ(m.part_calls, 2);  // one for the body texts, one for the header texts
}

TEST(ImapSearch, LongNeedlesAndHaystacks) {
  // A pathological needle against a pathological body stays linear.
  std::string body(1 << 20, 'a');
  TestMessage m("Subject: aaa\r\n\r\n" + body + "\r\n");
  std::string needle(64 * 1024, 'a');
  needle += 'b';
  EXPECT_FALSE(match("BODY " + lit(needle), m));
  needle.pop_back();
  EXPECT_TRUE(match("BODY " + lit(needle), m));
  // Longer than everything.
  EXPECT_FALSE(match("TEXT " + lit(std::string((1 << 20) + 64, 'a')), m));
}

}  // namespace
// FROM/TO/CC/BCC also match the address as the envelope has it, whatever
// comments and spacing the header had (RFC 3501 6.4.4).
TEST(ImapSearch, AddressKeysMatchTheEnvelopeAddress) {
  TestMessage m(std::string("From: <user-from (comment)@ (comment) domain.org>\r\nTo: Bob (the builder) <bob@b.test>\r\n\r\nx\r\n"));
  EXPECT_TRUE(match("FROM user-from@domain.org", m));
  EXPECT_TRUE(match("FROM comment", m));  // the field's own text still counts
  EXPECT_TRUE(match("TO \"Bob <bob@b.test>\"", m));
  EXPECT_FALSE(match("FROM someone@domain.org", m));
}

}  // namespace parley::imap
