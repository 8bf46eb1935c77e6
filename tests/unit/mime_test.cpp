// parley_mime: table-driven messages (part trees, section numbers, byte
// ranges, BODY/BODYSTRUCTURE/ENVELOPE text written out by hand, with line
// and octet counts computed by hand in the comments), RFC 2231 parameters,
// RFC 2047 words, address groups, broken boundaries, bare LF, limits,
// HEADER.FIELDS and BINARY. Every message of the tables seeds
// tests/fuzz/corpus/mime_fuzz/ (MIME_SEED_DIR=dir mime_test writes them).
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "mime/mime.h"

namespace parley::mime {
namespace {

using namespace std::string_literals;

std::string text_of(std::string_view msg, Range r) { return std::string(msg.substr(r.offset, r.length)); }

// Everything a section spec serves, filtered when HEADER.FIELDS applies.
std::string fetch(std::string_view msg, const Part& root, std::string_view spec) {
  auto s = find_section(root, spec);
  if (!s) return "ERR " + std::string(errc_name(s.code()));
  const std::string bytes = text_of(msg, s->range);
  return s->header_fields ? header_fields(bytes, s->fields, s->fields_not) : bytes;
}

// A simple message. Body "Hello Bob,\r\nBye.\r\n": 10+2+4+2 = 18 octets, 2 lines.
const std::string kSimple =
    "From: Alice <alice@example.com>\r\n"
    "To: bob@example.org\r\n"
    "Subject: Hello\r\n"
    "Date: Mon, 7 Feb 1994 21:52:25 -0800\r\n"
    "Message-ID: <1@example.com>\r\n"
    "\r\n"
    "Hello Bob,\r\n"
    "Bye.\r\n";

// multipart/alternative. Part 1 body "plain": 5 octets, 1 line (the CRLF
// before the delimiter belongs to it). Part 2 "<p>h=C3=A9</p>": 14, 1.
const std::string kAlternative =
    "Content-Type: multipart/alternative; boundary=\"XX\"\r\n"
    "\r\n"
    "preamble\r\n"
    "--XX\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "\r\n"
    "plain\r\n"
    "--XX\r\n"
    "Content-Type: text/html; charset=utf-8\r\n"
    "Content-Transfer-Encoding: quoted-printable\r\n"
    "\r\n"
    "<p>h=C3=A9</p>\r\n"
    "--XX--\r\n"
    "epilogue\r\n";

// multipart/mixed: text, message/rfc822, attachment.
//   1: empty header (just CRLF), "text part": 9 octets, 1 line.
//   2: "From: c@example.net\r\n" 21 + "Subject: inner\r\n" 16 + "\r\n" 2 +
//      "inner body" 10 = 49 octets; 3 LFs + a last line = 4 lines.
//      2.1 (the inner body): "inner body", 10 octets, 1 line.
//   3: "JVBERi0=": 8 octets ("%PDF-").
const std::string kMixed =
    "From: a@example.com\r\n"
    "Subject: mixed\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: multipart/mixed; boundary=b1\r\n"
    "\r\n"
    "--b1\r\n"
    "\r\n"
    "text part\r\n"
    "--b1\r\n"
    "Content-Type: message/rfc822\r\n"
    "\r\n"
    "From: c@example.net\r\n"
    "Subject: inner\r\n"
    "\r\n"
    "inner body\r\n"
    "--b1\r\n"
    "Content-Type: application/pdf; name=x.pdf\r\n"
    "Content-Disposition: attachment; filename=x.pdf\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "\r\n"
    "JVBERi0=\r\n"
    "--b1--\r\n";

// Bare LF. Part 1 body "line1\nline2": 11 octets, 2 lines.
const std::string kBareLf =
    "Subject: lf\n"
    "Content-Type: multipart/mixed; boundary=q\n"
    "\n"
    "--q\n"
    "Content-Type: text/plain\n"
    "\n"
    "line1\n"
    "line2\n"
    "--q--\n";

// Extension fields: id, description, MD5, disposition, language, location.
// Body "x\r\n": 3 octets, 1 line.
const std::string kExtensions =
    "Content-Type: text/plain; charset=ISO-8859-1 (latin)\r\n"
    "Content-ID: <id1@example>\r\n"
    "Content-Description: A \"quoted\" note\r\n"
    "Content-MD5: Q2hlY2sgSW50ZWdyaXR5IQ==\r\n"
    "Content-Disposition: inline\r\n"
    "Content-Language: en, de\r\n"
    "Content-Location: http://example.com/x\r\n"
    "Content-Transfer-Encoding: 8BIT\r\n"
    "\r\n"
    "x\r\n";

// multipart/digest: children default to message/rfc822. Part 1 body is
// "Subject: d1\r\n\r\nbody1": 13+2+5 = 20 octets, 3 lines.
const std::string kDigest =
    "Content-Type: multipart/digest; boundary=d\r\n"
    "\r\n"
    "--d\r\n"
    "\r\n"
    "Subject: d1\r\n"
    "\r\n"
    "body1\r\n"
    "--d--\r\n";

struct Structure {
  const std::string* message;
  std::string body;           // BODY
  std::string bodystructure;  // BODYSTRUCTURE
};

const Structure kStructures[] = {
    {&kSimple, R"(("TEXT" "PLAIN" ("CHARSET" "us-ascii") NIL NIL "7BIT" 18 2))",
     R"(("TEXT" "PLAIN" ("CHARSET" "us-ascii") NIL NIL "7BIT" 18 2 NIL NIL NIL NIL))"},
    {&kAlternative,
     R"((("TEXT" "PLAIN" ("CHARSET" "utf-8") NIL NIL "7BIT" 5 1)("TEXT" "HTML" ("CHARSET" "utf-8") NIL NIL "QUOTED-PRINTABLE" 14 1) "ALTERNATIVE"))",
     R"((("TEXT" "PLAIN" ("CHARSET" "utf-8") NIL NIL "7BIT" 5 1 NIL NIL NIL NIL)("TEXT" "HTML" ("CHARSET" "utf-8") NIL NIL "QUOTED-PRINTABLE" 14 1 NIL NIL NIL NIL) "ALTERNATIVE" ("BOUNDARY" "XX") NIL NIL NIL))"},
    {&kMixed,
     R"((("TEXT" "PLAIN" ("CHARSET" "us-ascii") NIL NIL "7BIT" 9 1))"
     R"(("MESSAGE" "RFC822" NIL NIL NIL "7BIT" 49 (NIL "inner" ((NIL NIL "c" "example.net")) ((NIL NIL "c" "example.net")) ((NIL NIL "c" "example.net")) NIL NIL NIL NIL NIL) ("TEXT" "PLAIN" ("CHARSET" "us-ascii") NIL NIL "7BIT" 10 1) 4))"
     R"(("APPLICATION" "PDF" ("NAME" "x.pdf") NIL NIL "BASE64" 8) "MIXED"))",
     R"((("TEXT" "PLAIN" ("CHARSET" "us-ascii") NIL NIL "7BIT" 9 1 NIL NIL NIL NIL))"
     R"(("MESSAGE" "RFC822" NIL NIL NIL "7BIT" 49 (NIL "inner" ((NIL NIL "c" "example.net")) ((NIL NIL "c" "example.net")) ((NIL NIL "c" "example.net")) NIL NIL NIL NIL NIL) ("TEXT" "PLAIN" ("CHARSET" "us-ascii") NIL NIL "7BIT" 10 1 NIL NIL NIL NIL) 4 NIL NIL NIL NIL))"
     R"(("APPLICATION" "PDF" ("NAME" "x.pdf") NIL NIL "BASE64" 8 NIL ("ATTACHMENT" ("FILENAME" "x.pdf")) NIL NIL) "MIXED" ("BOUNDARY" "b1") NIL NIL NIL))"},
    {&kBareLf, R"((("TEXT" "PLAIN" NIL NIL NIL "7BIT" 11 2) "MIXED"))",
     R"((("TEXT" "PLAIN" NIL NIL NIL "7BIT" 11 2 NIL NIL NIL NIL) "MIXED" ("BOUNDARY" "q") NIL NIL NIL))"},
    {&kExtensions, R"(("TEXT" "PLAIN" ("CHARSET" "ISO-8859-1") "<id1@example>" "A \"quoted\" note" "8BIT" 3 1))",
     R"(("TEXT" "PLAIN" ("CHARSET" "ISO-8859-1") "<id1@example>" "A \"quoted\" note" "8BIT" 3 1 "Q2hlY2sgSW50ZWdyaXR5IQ==" ("INLINE" NIL) ("en" "de") "http://example.com/x"))"},
    {&kDigest,
     R"((("MESSAGE" "RFC822" NIL NIL NIL "7BIT" 20 (NIL "d1" NIL NIL NIL NIL NIL NIL NIL NIL) ("TEXT" "PLAIN" ("CHARSET" "us-ascii") NIL NIL "7BIT" 5 1) 3) "DIGEST"))",
     R"((("MESSAGE" "RFC822" NIL NIL NIL "7BIT" 20 (NIL "d1" NIL NIL NIL NIL NIL NIL NIL NIL) ("TEXT" "PLAIN" ("CHARSET" "us-ascii") NIL NIL "7BIT" 5 1 NIL NIL NIL NIL) 3 NIL NIL NIL NIL) "DIGEST" ("BOUNDARY" "d") NIL NIL NIL))"},
};

TEST(Mime, Bodystructure) {
  for (const Structure& c : kStructures) {
    auto root = parse(*c.message);
    ASSERT_TRUE(root.ok()) << *c.message;
    EXPECT_EQ(bodystructure(*root, false), c.body) << *c.message;
    EXPECT_EQ(bodystructure(*root, true), c.bodystructure) << *c.message;
    // A message inside a larger buffer gives the same structure: nothing
    // reads past the view.
    const std::string padded = *c.message + "--XX--\r\n--b1--\r\n";
    auto again = parse(std::string_view(padded).substr(0, c.message->size()));
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(bodystructure(*again, true), c.bodystructure);
  }
}

TEST(Mime, Envelope) {
  auto root = parse(kSimple);
  ASSERT_TRUE(root.ok());
  ASSERT_TRUE(root->envelope);
  EXPECT_EQ(envelope(*root->envelope),
            R"(("Mon, 7 Feb 1994 21:52:25 -0800" "Hello" (("Alice" NIL "alice" "example.com")) )"
            R"((("Alice" NIL "alice" "example.com")) (("Alice" NIL "alice" "example.com")) )"
            R"(((NIL NIL "bob" "example.org")) NIL NIL NIL "<1@example.com>"))");
}

TEST(Mime, SimpleRanges) {
  auto root = parse(kSimple);
  ASSERT_TRUE(root.ok());
  EXPECT_EQ(root->section, "1");
  EXPECT_EQ(root->header.offset, 0u);
  EXPECT_EQ(text_of(kSimple, root->body), "Hello Bob,\r\nBye.\r\n");
  EXPECT_EQ(fetch(kSimple, *root, ""), kSimple);
  EXPECT_EQ(fetch(kSimple, *root, "1"), "Hello Bob,\r\nBye.\r\n");
  EXPECT_EQ(fetch(kSimple, *root, "TEXT"), "Hello Bob,\r\nBye.\r\n");
  EXPECT_EQ(fetch(kSimple, *root, "HEADER"), kSimple.substr(0, kSimple.find("\r\n\r\n") + 4));
  EXPECT_EQ(fetch(kSimple, *root, "2"), "ERR not_found");
  EXPECT_EQ(fetch(kSimple, *root, "1.HEADER"), "ERR not_found");
  EXPECT_EQ(fetch(kSimple, *root, "MIME"), "ERR syntax");
  EXPECT_EQ(fetch(kSimple, *root, "header.fields (subject message-id)"),
            "Subject: Hello\r\nMessage-ID: <1@example.com>\r\n\r\n");
  EXPECT_EQ(fetch(kSimple, *root, "HEADER.FIELDS.NOT (From To Date \"Message-ID\")"), "Subject: Hello\r\n\r\n");
}

TEST(Mime, MixedSections) {
  auto root = parse(kMixed);
  ASSERT_TRUE(root.ok());
  ASSERT_EQ(root->children.size(), 3u);
  EXPECT_EQ(root->section, "");
  EXPECT_EQ(root->children[0].section, "1");
  EXPECT_EQ(root->children[1].section, "2");
  ASSERT_EQ(root->children[1].children.size(), 1u);
  EXPECT_EQ(root->children[1].children[0].section, "2.1");
  EXPECT_EQ(root->children[2].section, "3");
  EXPECT_EQ(root->children[2].disposition, "attachment");

  EXPECT_EQ(fetch(kMixed, *root, "1"), "text part");
  EXPECT_EQ(fetch(kMixed, *root, "1.MIME"), "\r\n");
  EXPECT_EQ(fetch(kMixed, *root, "2"), "From: c@example.net\r\nSubject: inner\r\n\r\ninner body");
  EXPECT_EQ(fetch(kMixed, *root, "2.HEADER"), "From: c@example.net\r\nSubject: inner\r\n\r\n");
  EXPECT_EQ(fetch(kMixed, *root, "2.TEXT"), "inner body");
  EXPECT_EQ(fetch(kMixed, *root, "2.1"), "inner body");
  EXPECT_EQ(fetch(kMixed, *root, "2.MIME"), "Content-Type: message/rfc822\r\n\r\n");
  EXPECT_EQ(fetch(kMixed, *root, "2.HEADER.FIELDS (SUBJECT)"), "Subject: inner\r\n\r\n");
  EXPECT_EQ(fetch(kMixed, *root, "3"), "JVBERi0=");
  EXPECT_EQ(fetch(kMixed, *root, "3.mime"),
            "Content-Type: application/pdf; name=x.pdf\r\nContent-Disposition: attachment; filename=x.pdf\r\n"
            "Content-Transfer-Encoding: base64\r\n\r\n");
  EXPECT_EQ(fetch(kMixed, *root, "HEADER.FIELDS (Subject FROM)"), "From: a@example.com\r\nSubject: mixed\r\n\r\n");
  EXPECT_EQ(fetch(kMixed, *root, "TEXT").substr(0, 6), "--b1\r\n");
  EXPECT_EQ(fetch(kMixed, *root, "4"), "ERR not_found");
  EXPECT_EQ(fetch(kMixed, *root, "1.1"), "ERR not_found");
  EXPECT_EQ(fetch(kMixed, *root, "2.2"), "ERR not_found");
  EXPECT_EQ(fetch(kMixed, *root, "1.HEADER"), "ERR not_found");
  EXPECT_EQ(fetch(kMixed, *root, "0"), "ERR syntax");
  EXPECT_EQ(fetch(kMixed, *root, "1."), "ERR syntax");
  EXPECT_EQ(fetch(kMixed, *root, "2.FOO"), "ERR syntax");
  EXPECT_EQ(fetch(kMixed, *root, "HEADER.FIELDS ()"), "ERR syntax");
  EXPECT_EQ(fetch(kMixed, *root, "HEADER.FIELDS Subject"), "ERR syntax");

  auto pdf = decode_body(root->children[2], kMixed);
  ASSERT_TRUE(pdf.ok());
  EXPECT_EQ(*pdf, "%PDF-");
  ASSERT_TRUE(root->envelope);
  EXPECT_EQ(root->envelope->subject, "mixed");
  ASSERT_TRUE(root->children[1].children[0].envelope);
  EXPECT_EQ(root->children[1].children[0].envelope->subject, "inner");
}

TEST(Mime, Binary) {
  auto root = parse(kAlternative);
  ASSERT_TRUE(root.ok());
  auto html = decode_body(root->children[1], kAlternative);
  ASSERT_TRUE(html.ok());
  EXPECT_EQ(*html, "<p>h\xC3\xA9</p>");

  struct Case {
    std::string encoding, body, decoded;
  };
  const Case cases[] = {
      {"base64", "SGVs\r\nbG8s\r\nIHdv cmxk\r\n", "Hello, world"},
      {"BASE64", "SGVsbG8", "Hello"},  // missing padding
      {"base64", "AAEC/w==", "\x00\x01\x02\xFF"s},
      {"quoted-printable", "a=3Db=\r\nc  \r\nd=ZZ=4", "a=bc\r\nd=ZZ=4"},
      {"quoted-printable", "soft=  \nbreak=0D=0A", "softbreak\r\n"},
      {"quoted-printable", "caf=e9", "caf\xE9"},
      {"8bit", "caf\xE9\r\n", "caf\xE9\r\n"},
      {"binary", "\x00\x01"s, "\x00\x01"s},
  };
  for (const Case& c : cases) {
    const std::string msg = "Content-Transfer-Encoding: " + c.encoding + "\r\n\r\n" + c.body;
    auto part = parse(msg);
    ASSERT_TRUE(part.ok());
    auto out = decode_body(*part, msg);
    ASSERT_TRUE(out.ok()) << c.encoding;
    EXPECT_EQ(*out, c.decoded) << c.body;
  }
  const std::string uu = "Content-Transfer-Encoding: x-uuencode\r\n\r\nbegin 644 x\r\n";
  auto part = parse(uu);
  ASSERT_TRUE(part.ok());
  EXPECT_EQ(decode_body(*part, uu).code(), Errc::invalid);
  EXPECT_EQ(decode_body(*part, "short").code(), Errc::internal);
}

TEST(Mime, Rfc2231Parameters) {
  const std::string msg =
      "Content-Type: application/x-stuff;\r\n"
      " title*0*=us-ascii'en'This%20is%20even%20more%20;\r\n"
      " title*1*=%2A%2A%2Afun%2A%2A%2A%20;\r\n"
      " title*2=\"isn't it!\"\r\n"
      "Content-Disposition: attachment; filename=\"fallback.txt\";\r\n"
      " filename*=iso-8859-1'fr'caf%E9.txt; size=12; creation-date=\"Wed, 12 Feb 1997 16:29:51 -0500\"\r\n"
      "\r\n";
  auto part = parse(msg);
  ASSERT_TRUE(part.ok());
  EXPECT_EQ(part->type, "application");
  EXPECT_EQ(part->subtype, "x-stuff");
  ASSERT_TRUE(part->param("title"));
  EXPECT_EQ(part->param("title")->value, "This is even more ***fun*** isn't it!");
  ASSERT_EQ(part->disposition_params.size(), 3u);
  EXPECT_EQ(part->disposition_params[0], (Param{"filename", "caf\xC3\xA9.txt"}));
  EXPECT_EQ(part->disposition_params[1], (Param{"size", "12"}));
  EXPECT_EQ(part->disposition_params[2], (Param{"creation-date", "Wed, 12 Feb 1997 16:29:51 -0500"}));
  // The 8-bit value is sent as RFC 2231 unless the client accepts UTF-8.
  EXPECT_EQ(bodystructure(*part, true),
            R"(("APPLICATION" "X-STUFF" ("TITLE" "This is even more ***fun*** isn't it!") NIL NIL "7BIT" 0 NIL )"
            R"(("ATTACHMENT" ("FILENAME*" "utf-8''caf%C3%A9.txt" "SIZE" "12" "CREATION-DATE" "Wed, 12 Feb 1997 16:29:51 -0500")) NIL NIL))");
  EXPECT_EQ(bodystructure(*part, true, true),
            "(\"APPLICATION\" \"X-STUFF\" (\"TITLE\" \"This is even more ***fun*** isn't it!\") NIL NIL \"7BIT\" 0 NIL "
            "(\"ATTACHMENT\" (\"FILENAME\" \"caf\xC3\xA9.txt\" \"SIZE\" \"12\" \"CREATION-DATE\" "
            "\"Wed, 12 Feb 1997 16:29:51 -0500\")) NIL NIL)");

  struct Case {
    std::string header, name, value;
  };
  const Case cases[] = {
      {"text/plain; name*=UTF-8''%E2%82%AC.txt", "name", "\xE2\x82\xAC.txt"},
      {"text/plain; name*=windows-1252''%80%20sign", "name", "\xE2\x82\xAC sign"},
      {"text/plain; name*=utf-8'en'a; name=b", "name", "a"},
      {"text/plain; name*0=\"a\"; name*2=\"c\"; name*1=\"b\"", "name", "abc"},
      {"text/plain; name*1=\"b\"", "name", ""},  // no segment 0: dropped
      {"text/plain; name*0*=utf-8''%C3; name*1*=%A9", "name", "\xC3\xA9"},
      {"text/plain; name*=koi8-r''%C1", "name", "\xEF\xBF\xBD"},  // unknown charset: bytes kept as UTF-8
      {"text/plain;charset=\"utf-8\";format=flowed", "format", "flowed"},
      {"text/plain; charset = \"a\\\"b\" ; x=y", "charset", "a\"b"},
      {"text/plain; (comment) charset=us-ascii (more)", "charset", "us-ascii"},
      {"text/plain; noequals; charset=x", "charset", "x"},
      {"TEXT/PLAIN; CHARSET=UTF-8", "charset", "UTF-8"},
  };
  for (const Case& c : cases) {
    const std::string m = "Content-Type: " + c.header + "\r\n\r\n";
    auto p = parse(m);
    ASSERT_TRUE(p.ok());
    const Param* param = p->param(c.name);
    if (c.value.empty()) {
      EXPECT_EQ(param, nullptr) << c.header;
    } else {
      ASSERT_NE(param, nullptr) << c.header;
      EXPECT_EQ(param->value, c.value) << c.header;
    }
  }
}

TEST(Mime, ContentTypeDefaults) {
  struct Case {
    std::string header;
    std::string type;  // "type/subtype"
  };
  const Case cases[] = {
      {"", "text/plain"},
      {"Content-Type: image/PNG\r\n", "image/png"},
      {"Content-Type: garbage\r\n", "text/plain"},
      {"Content-Type: text/\r\n", "text/plain"},
      {"Content-Type: text/html junk\r\n", "text/plain"},
      {"Content-Type: multipart/mixed\r\n", "text/plain"},  // no boundary
      {"Content-Type: multipart/mixed; boundary=\"\"\r\n", "text/plain"},
      {"Content-type:  text/html\r\nContent-Type: image/gif\r\n", "text/html"},  // first wins
      {"Content-Type: (c) text/html\r\n", "text/html"},
  };
  for (const Case& c : cases) {
    const std::string m = c.header + "\r\nbody\r\n";
    auto p = parse(m);
    ASSERT_TRUE(p.ok());
    EXPECT_EQ(p->type + "/" + p->subtype, c.type) << c.header;
    EXPECT_TRUE(p->children.empty());
    if (c.type == "text/plain" && c.header.find("text/plain") == std::string::npos) {
      ASSERT_NE(p->param("charset"), nullptr) << c.header;
      EXPECT_EQ(p->param("charset")->value, "us-ascii");
    }
  }
}

TEST(Mime, EncodedWords) {
  struct Case {
    std::string in, out;
  };
  const Case cases[] = {
      {"plain text", "plain text"},
      {"=?ISO-8859-1?Q?Andr=E9?= Pirard", "Andr\xC3\xA9 Pirard"},
      {"=?UTF-8?B?w6k=?=", "\xC3\xA9"},
      {"=?utf-8?b?w6k?=", "\xC3\xA9"},  // no padding
      {"=?windows-1252?Q?=80_price?=", "\xE2\x82\xAC price"},
      {"=?cp1252?Q?=93q=94?=", "\xE2\x80\x9Cq\xE2\x80\x9D"},
      {"(=?ISO-8859-1?Q?a?= =?ISO-8859-1?Q?b?=)", "(ab)"},  // RFC 2047 8
      {"(=?ISO-8859-1?Q?a?=\r\n    =?ISO-8859-1?Q?b?=)", "(ab)"},
      {"(=?ISO-8859-1?Q?a_b?=)", "(a b)"},
      {"(=?ISO-8859-1?Q?a?= b)", "(a b)"},
      {"=?UTF-8?B?4oI=?= =?UTF-8?B?rA==?=", "\xE2\x82\xAC"},  // one character split over two words
      {"=?ISO-8859-1?Q?caf=E9?= =?UTF-8?Q?_=E2=82=AC?=", "caf\xC3\xA9 \xE2\x82\xAC"},
      {"=?UTF-8*en?Q?x?=", "x"},  // RFC 2231 language
      {"=?UTF-8?X?abc?=", "=?UTF-8?X?abc?="},
      {"=?KOI8-R?B?98/E?=", "=?KOI8-R?B?98/E?="},  // unknown charset: left encoded
      {"=?UTF-8?Q?a b?=", "=?UTF-8?Q?a b?="},
      {"=?UTF-8?Q?unterminated", "=?UTF-8?Q?unterminated"},
      {"=?=?UTF-8?Q?x?=", "=?x"},
      {"=?us-ascii?Q?=FF?=", "\xEF\xBF\xBD"},
      {"caf\xE9", "caf\xEF\xBF\xBD"},  // raw 8-bit that is not UTF-8
      {"=?UTF-8?B?//4=?=", "\xEF\xBF\xBD\xEF\xBF\xBD"},
  };
  for (const Case& c : cases) EXPECT_EQ(decode_words(c.in), c.out) << c.in;
}

std::string addresses(std::string_view value) {
  Envelope env;
  env.to = parse_addresses(value);
  const std::string all = envelope(env);
  // "(NIL NIL NIL NIL NIL " + to + " NIL NIL NIL NIL)"
  return all.substr(21, all.size() - 21 - 17);
}

TEST(Mime, AddressLists) {
  struct Case {
    std::string in, out;
  };
  const Case cases[] = {
      {"bob@example.org", R"(((NIL NIL "bob" "example.org")))"},
      {"Bob <bob@example.org>, \"Doe, John\" <john@doe.test>",
       R"((("Bob" NIL "bob" "example.org")("Doe, John" NIL "john" "doe.test")))"},
      {"A Group:Ed Jones <c@a.test>,joe@where.test,John <jdoe@one.test>;, Undisclosed recipients:;",
       R"(((NIL NIL "A Group" NIL)("Ed Jones" NIL "c" "a.test")(NIL NIL "joe" "where.test"))"
       R"(("John" NIL "jdoe" "one.test")(NIL NIL NIL NIL)(NIL NIL "Undisclosed recipients" NIL)(NIL NIL NIL NIL)))"},
      {"team: a@x.test", R"(((NIL NIL "team" NIL)(NIL NIL "a" "x.test")(NIL NIL NIL NIL)))"},  // unclosed group
      {"Pete(A nice \\) chap) <pete(his account)@silly.test(his host)>", R"((("Pete" NIL "pete" "silly.test")))"},
      {"<@r1.test,@r2.test:jdoe@example.com>", R"(((NIL "@r1.test,@r2.test" "jdoe" "example.com")))"},
      {"John Q. Public <jqp@x.test>", R"((("John Q. Public" NIL "jqp" "x.test")))"},
      {"undisclosed", R"(((NIL NIL "undisclosed" ".MISSING-HOST-NAME.")))"},
      {"<>", R"(((NIL NIL "" "")))"},
      {",,a@b.test,,", R"(((NIL NIL "a" "b.test")))"},
      {"\"john doe\"@x.test", R"(((NIL NIL "\"john doe\"" "x.test")))"},
      {"=?UTF-8?Q?J=C3=B6rg?= <j@x.test>", R"((("=?UTF-8?Q?J=C3=B6rg?=" NIL "j" "x.test")))"},
      {"a@[192.0.2.1]", R"(((NIL NIL "a" "[192.0.2.1]")))"},
      {"Bob <bob@example.org> trailing junk, c@d.test", R"((("Bob" NIL "bob" "example.org")(NIL NIL "c" "d.test")))"},
      {"", "NIL"},
      // A bare address's trailing comment is its display name (RFC 822 practice).
      {"user@domain (Real Name)", R"((("Real Name" NIL "user" "domain")))"},
      {"a@b.test (A (nested)), Bee <b@b.test> (not a name)",
       R"x((("A (nested)" NIL "a" "b.test")("Bee" NIL "b" "b.test")))x"},
      {"u@d.test (unterminated", R"((("unterminated" NIL "u" "d.test")))"},
  };
  for (const Case& c : cases) EXPECT_EQ(addresses(c.in), c.out) << c.in;

  const auto list = parse_addresses("=?UTF-8?Q?J=C3=B6rg?= <j@x.test>, \"=?ISO-8859-1?Q?Andr=E9?=\" <a@x.test>");
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].name_utf8, "J\xC3\xB6rg");
  EXPECT_EQ(list[1].name_utf8, "Andr\xC3\xA9");
  EXPECT_TRUE(parse_addresses("g:;")[0].group_start());
  EXPECT_TRUE(parse_addresses("g:;")[1].group_end());
}

TEST(Mime, EnvelopeDetails) {
  const std::string msg =
      "Subject: =?UTF-8?Q?caf=C3=A9?=\r\n"
      "  folded\r\n"
      "Sender: s@x.test\r\n"
      "Reply-To: r@x.test\r\n"
      "From: f@x.test\r\n"
      "Cc: \"8bit caf\xC3\xA9\" <c@x.test>\r\n"
      "In-Reply-To: <p@x.test>\r\n"
      "Subject: second subject ignored\r\n"
      "\r\n";
  auto root = parse(msg);
  ASSERT_TRUE(root.ok());
  const Envelope& env = *root->envelope;
  EXPECT_EQ(env.subject, "=?UTF-8?Q?caf=C3=A9?=  folded");
  EXPECT_EQ(env.subject_utf8, "caf\xC3\xA9  folded");
  EXPECT_EQ(envelope(env),
            "(NIL \"=?UTF-8?Q?caf=C3=A9?=  folded\" ((NIL NIL \"f\" \"x.test\")) ((NIL NIL \"s\" \"x.test\")) "
            "((NIL NIL \"r\" \"x.test\")) NIL (({10}\r\n8bit caf\xC3\xA9 NIL \"c\" \"x.test\")) NIL "
            "\"<p@x.test>\" NIL)");
  EXPECT_EQ(envelope(env, true),
            "(NIL \"=?UTF-8?Q?caf=C3=A9?=  folded\" ((NIL NIL \"f\" \"x.test\")) ((NIL NIL \"s\" \"x.test\")) "
            "((NIL NIL \"r\" \"x.test\")) NIL ((\"8bit caf\xC3\xA9\" NIL \"c\" \"x.test\")) NIL \"<p@x.test>\" NIL)");
}

TEST(Mime, Strings) {
  struct Case {
    std::string in;
    bool utf8;
    std::string out;
  };
  const Case cases[] = {
      {"plain", false, "\"plain\""},
      {"", false, "\"\""},
      {"a\"b\\c", false, "\"a\\\"b\\\\c\""},
      {"two\r\nlines", false, "{10}\r\ntwo\r\nlines"},
      {"caf\xC3\xA9", false, "{5}\r\ncaf\xC3\xA9"},
      {"caf\xC3\xA9", true, "\"caf\xC3\xA9\""},
      {"caf\xE9", true, "{4}\r\ncaf\xE9"},
      {"n\0ul"s, false, "\"nul\""},
  };
  for (const Case& c : cases) {
    std::string out;
    append_string(out, c.in, c.utf8);
    EXPECT_EQ(out, c.out) << c.in;
  }
}

// Real-world breakage: each message with the bodies of its leaf parts (in
// order, '|' between) and its section numbers.
struct Broken {
  std::string name;
  std::string message;
  std::string leaves;
  std::string sections;  // every part's section, depth first, ',' between
};

const Broken kBroken[] = {
    {"missing_close",
     "Content-Type: multipart/mixed; boundary=zz\r\n\r\n--zz\r\n\r\none\r\n--zz\r\n\r\ntwo\r\n", "one|two\r\n",
     ",1,2"},
    {"trailing_space",
     "Content-Type: multipart/mixed; boundary=zz\r\n\r\n--zz  \r\n\r\none\r\n--zz\t\r\n\r\ntwo\r\n--zz-- \r\n", "one|two",
     ",1,2"},
    {"epilogue_delimiters",
     "Content-Type: multipart/mixed; boundary=zz\r\n\r\n--zz\r\n\r\none\r\n--zz--\r\n--zz\r\n\r\nthree\r\n", "one", ",1"},
    {"longer_boundary_not_a_delimiter",
     "Content-Type: multipart/mixed; boundary=zz\r\n\r\n--zz\r\n\r\none\r\n--zzz\r\n--zz-x\r\n--zz--\r\n",
     "one\r\n--zzz\r\n--zz-x", ",1"},
    {"delimiter_in_preamble_starts",
     "Content-Type: multipart/mixed; boundary=zz\r\n\r\nThis is a MIME message.\r\n--zz\r\n\r\na\r\n--zz--", "a", ",1"},
    {"inner_missing_close",
     "Content-Type: multipart/mixed; boundary=outer\r\n\r\n--outer\r\nContent-Type: multipart/alternative; "
     "boundary=inner\r\n\r\n--inner\r\n\r\na\r\n--outer\r\n\r\nb\r\n--outer--\r\n",
     "a|b", ",1,1.1,2"},
    {"no_delimiter", "Content-Type: multipart/mixed; boundary=zz\r\n\r\njust text\r\n", "", ",1"},
    {"empty_parts", "Content-Type: multipart/mixed; boundary=zz\r\n\r\n--zz\r\n--zz\r\n\r\n--zz--\r\n", "|", ",1,2"},
    {"bare_lf", kBareLf, "line1\nline2", ",1"},
    {"mixed_line_ends", "Content-Type: multipart/mixed; boundary=m\r\n\n--m\n\r\nA\r\n--m\r\n\nB\n--m--", "A|B", ",1,2"},
    {"header_only", "Subject: x\r\nFrom: a@b", "", "1"},
    {"no_header", "just a body\r\n", "just a body\r\n", "1"},
    {"empty", "", "", "1"},
    {"junk_line_in_header", "Subject: x\r\nthis is junk\r\nContent-Type: text/html\r\n\r\nbody", "body", "1"},
    {"8bit_header", "Subject: caf\xE9\r\nContent-Type: text/plain; name=caf\xE9\r\n\r\nb", "b", "1"},
    {"rfc822_in_rfc822",
     "Content-Type: message/rfc822\r\n\r\nContent-Type: message/rfc822\r\n\r\nSubject: deep\r\n\r\nhi", "hi",
     "1,1.1,1.1.1"},
    {"rfc822_multipart",
     "Content-Type: multipart/mixed; boundary=a\r\n\r\n--a\r\nContent-Type: message/global\r\n\r\n"
     "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\nx\r\n--b\r\n\r\ny\r\n--b--\r\n--a--\r\n",
     "x|y", ",1,1,1.1,1.2"},
};

void collect(const Part& p, std::string_view msg, std::vector<std::string>& leaves,
             std::vector<std::string>& sections) {
  sections.push_back(p.section);
  if (p.children.empty()) leaves.push_back(text_of(msg, p.body));
  for (const Part& c : p.children) collect(c, msg, leaves, sections);
}

std::string join(const std::vector<std::string>& items, char sep) {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) out += (i ? std::string(1, sep) : std::string()) + items[i];
  return out;
}

TEST(Mime, BrokenMessages) {
  for (const Broken& c : kBroken) {
    auto root = parse(c.message);
    ASSERT_TRUE(root.ok()) << c.name;
    std::vector<std::string> leaves, sections;
    collect(*root, c.message, leaves, sections);
    EXPECT_EQ(join(leaves, '|'), c.leaves) << c.name;
    EXPECT_EQ(join(sections, ','), c.sections) << c.name;
    // Every numbered part is reachable by its number.
    for (const std::string& s : sections) {
      if (!s.empty()) {
        EXPECT_TRUE(find_section(*root, s).ok()) << c.name << " " << s;
      }
    }
  }
}

TEST(Mime, DeepNesting) {
  // 100 nested multiparts: parts deeper than max_depth become text/plain.
  std::string msg;
  for (int i = 0; i < 100; ++i) msg += "Content-Type: multipart/mixed; boundary=b" + std::to_string(i) + "\r\n\r\n--b" + std::to_string(i) + "\r\n";
  msg += "\r\ndeep\r\n";
  auto root = parse(msg);
  ASSERT_TRUE(root.ok());
  std::size_t depth = 0;
  const Part* p = &*root;
  while (!p->children.empty()) {
    p = &p->children.front();
    ++depth;
  }
  EXPECT_EQ(depth, Limits{}.max_depth);
  EXPECT_EQ(p->type, "text");
  EXPECT_EQ(p->section.size(), 2 * depth - 1);  // "1.1.1..."
  EXPECT_FALSE(bodystructure(*root, true).empty());

  auto small = parse(msg, Limits{.max_depth = 3});
  ASSERT_TRUE(small.ok());
  EXPECT_EQ(small->children[0].children[0].children[0].type, "text");
  EXPECT_TRUE(small->children[0].children[0].children[0].children.empty());
  EXPECT_TRUE(find_section(*small, "1.1.1").ok());
  EXPECT_EQ(find_section(*small, "1.1.1.1").code(), Errc::not_found);

  // Nested message/rfc822 counts too.
  std::string msgs;
  for (int i = 0; i < 100; ++i) msgs += "Content-Type: message/rfc822\r\n\r\n";
  auto nested = parse(msgs, Limits{.max_depth = 5});
  ASSERT_TRUE(nested.ok());
  depth = 0;
  for (p = &*nested; !p->children.empty(); p = &p->children.front()) ++depth;
  EXPECT_EQ(depth, 5u);
}

TEST(Mime, ManyParts) {
  std::string msg = "Content-Type: multipart/mixed; boundary=p\r\n\r\n";
  for (int i = 0; i < 10000; ++i) msg += "--p\r\n\r\nx\r\n";
  msg += "--p--\r\n";
  auto root = parse(msg);
  ASSERT_TRUE(root.ok());
  EXPECT_EQ(root->children.size(), Limits{}.max_parts - 1);
  auto few = parse(msg, Limits{.max_parts = 1});
  ASSERT_TRUE(few.ok());
  EXPECT_EQ(few->type, "text");  // no room for a child: flattened
  EXPECT_TRUE(few->children.empty());
  EXPECT_EQ(parse(msg, Limits{.max_message_bytes = 10}).code(), Errc::limit);
}

TEST(Mime, LongHeaders) {
  const std::string msg = "Subject: " + std::string(200000, 'a') + "\r\nX: " + std::string(300000, 'b') +
                          "\r\nContent-Type: text/html\r\n\r\nbody";
  auto root = parse(msg);
  ASSERT_TRUE(root.ok());
  EXPECT_EQ(root->envelope->subject->size(), 200000u);
  EXPECT_EQ(root->type, "text");
  EXPECT_EQ(root->subtype, "plain");  // Content-Type beyond max_header_bytes is not read
  EXPECT_EQ(text_of(msg, root->body), "body");
  auto big = parse(msg, Limits{.max_header_bytes = 1 << 20});
  ASSERT_TRUE(big.ok());
  EXPECT_EQ(big->subtype, "html");
}

TEST(Mime, HeaderFields) {
  const std::string header =
      "Received: from a\r\n\tby b\r\n"
      "Subject: s\r\n"
      "X-Bare: lf\n"
      "subject: again\r\n"
      "\r\n";
  EXPECT_EQ(header_fields(header, {"SUBJECT"}, false), "Subject: s\r\nsubject: again\r\n\r\n");
  EXPECT_EQ(header_fields(header, {"received"}, false), "Received: from a\r\n\tby b\r\n\r\n");
  EXPECT_EQ(header_fields(header, {"subject", "received"}, true), "X-Bare: lf\n\r\n");
  EXPECT_EQ(header_fields(header, {"none"}, false), "\r\n");
  EXPECT_EQ(header_fields("A: 1\r\nB: 2", {"b"}, false), "B: 2\r\n\r\n");
}

TEST(MimeSeeds, Write) {
  const char* dir = std::getenv("MIME_SEED_DIR");
  if (!dir) GTEST_SKIP() << "set MIME_SEED_DIR to write the fuzz seeds";
  const auto write = [&](const std::string& name, const std::string& bytes) {
    std::ofstream(std::string(dir) + "/" + name, std::ios::binary) << bytes;
  };
  write("simple", kSimple);
  write("alternative", kAlternative);
  write("mixed", kMixed);
  write("bare_lf", kBareLf);
  write("extensions", kExtensions);
  write("digest", kDigest);
  for (const Broken& c : kBroken) write(c.name, c.message);
}

}  // namespace
}  // namespace parley::mime
