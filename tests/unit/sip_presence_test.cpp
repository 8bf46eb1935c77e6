// sip/presence.h: PIDF parsed (valid documents, each also cut short at
// every byte, which must fail, never crash; malformed and hostile ones
// refused with their error code), built back and parsed again; several
// devices aggregated; dialog-info and message-summary built.
#include "sip/presence.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/support/result_assert.h"

namespace parley::sip {
namespace {

using testkit::Fails;
using testkit::Ok;

const std::string kOpenWithNote =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<presence xmlns=\"urn:ietf:params:xml:ns:pidf\" entity=\"pres:demo@example.test\">\n"
    " <tuple id=\"phone1\"><status><basic>open</basic></status><contact>sip:demo@192.0.2.1</contact>"
    "<note xml:lang=\"en\">In a meeting &amp; busy</note></tuple>\n"
    " <note>Back at 3</note>\n"
    "</presence>\n";

// Prefixed namespace, an extension element inside the status and beside
// the tuples (RPID), which are skipped whole, whitespace around basic.
const std::string kPrefixedWithExtensions =
    "<p:presence xmlns:p=\"urn:ietf:params:xml:ns:pidf\" xmlns:r=\"urn:ietf:params:xml:ns:pidf:rpid\" "
    "xmlns:dm=\"urn:ietf:params:xml:ns:pidf:data-model\" entity=\"sip:a@b\">"
    "<p:tuple id=\"t1\"><p:status><p:basic> closed </p:basic><r:x><p:note>not mine</p:note></r:x></p:status></p:tuple>"
    "<dm:person id=\"p1\"><r:activities><r:on-the-phone/></r:activities><p:note>ignored</p:note></dm:person>"
    "</p:presence>";

TEST(Pidf, ParsesTuplesStatusContactAndNotes) {
  auto p = parse_pidf(kOpenWithNote);
  ASSERT_TRUE(Ok(p));
  EXPECT_EQ(p->entity, "pres:demo@example.test");
  ASSERT_EQ(p->tuples.size(), 1u);
  EXPECT_EQ(p->tuples[0].id, "phone1");
  EXPECT_TRUE(p->tuples[0].open);
  EXPECT_EQ(p->tuples[0].contact, "sip:demo@192.0.2.1");
  ASSERT_EQ(p->tuples[0].notes.size(), 1u);
  EXPECT_EQ(p->tuples[0].notes[0], "In a meeting & busy");
  ASSERT_EQ(p->notes.size(), 1u);
  EXPECT_EQ(p->notes[0], "Back at 3");

  auto q = parse_pidf(kPrefixedWithExtensions);
  ASSERT_TRUE(Ok(q));
  ASSERT_EQ(q->tuples.size(), 1u);
  EXPECT_FALSE(q->tuples[0].open);
  EXPECT_TRUE(q->tuples[0].notes.empty());
  EXPECT_TRUE(q->notes.empty());
}

TEST(Pidf, EveryTruncationFails) {
  for (const auto* doc : {&kOpenWithNote, &kPrefixedWithExtensions}) {
    // Up to the root's closing tag, a cut document is not well-formed.
    const std::size_t end = doc->rfind("</");
    for (std::size_t n = 0; n < end; ++n) {
      EXPECT_FALSE(parse_pidf(std::string_view(*doc).substr(0, n)).ok()) << n;
    }
  }
}

TEST(Pidf, RefusesMalformedAndHostileDocuments) {
  const std::string ns = "xmlns=\"urn:ietf:params:xml:ns:pidf\"";
  struct Case {
    std::string xml;
    Errc code;
  };
  const std::vector<Case> cases = {
      {"", Errc::syntax},
      {"not xml at all", Errc::syntax},
      {"<presence " + ns + ">", Errc::syntax},                           // unclosed
      {"<presence " + ns + "></presenc>", Errc::syntax},                 // mismatched
      {"<presence><tuple id=\"a\"><status/></tuple></presence>", Errc::syntax},  // no namespace
      {"<other " + ns + "/>", Errc::syntax},                             // not a presence root
      {"<presence " + ns + "><tuple><status><basic>open</basic></status></tuple></presence>", Errc::syntax},  // no id
      {"<presence " + ns + "><tuple id=\"a\"></tuple></presence>", Errc::syntax},                          // no status
      {"<presence " + ns + "><tuple id=\"a\"><status><basic>maybe</basic></status></tuple></presence>", Errc::syntax},
      {"<presence " + ns + "><tuple id=\"a\"><status/><status/></tuple></presence>", Errc::syntax},
      {"<?xml version=\"1.0\"?><!DOCTYPE presence [<!ENTITY a \"aaaa\"><!ENTITY b \"&a;&a;&a;&a;\">]><presence " + ns +
           ">&b;</presence>",
       Errc::syntax},
      {"<!DOCTYPE presence SYSTEM \"file:///etc/passwd\"><presence " + ns + "/>", Errc::syntax},
      {"<presence " + ns + ">&undefined;</presence>", Errc::syntax},
      {"<presence " + ns + "/><presence " + ns + "/>", Errc::syntax},  // two roots
      {"<presence " + ns + "><note>" + std::string(kMaxPidfText + 1, 'x') + "</note></presence>", Errc::limit},
      {std::string(kMaxPidfBytes + 1, ' '), Errc::limit},
  };
  for (const auto& c : cases) EXPECT_TRUE(Fails(parse_pidf(c.xml), c.code)) << c.xml.substr(0, 120);

  std::string deep = "<presence " + ns + ">";
  for (std::size_t i = 0; i < kMaxPidfDepth + 1; ++i) deep += "<x>";
  EXPECT_TRUE(Fails(parse_pidf(deep), Errc::limit));
  std::string many = "<presence " + ns + ">";
  for (std::size_t i = 0; i <= kMaxPidfTuples; ++i) {
    many += "<tuple id=\"t" + std::to_string(i) + "\"><status><basic>open</basic></status></tuple>";
  }
  EXPECT_TRUE(Fails(parse_pidf(many + "</presence>"), Errc::limit));
}

TEST(Pidf, BuiltDocumentsParseBackWithTextEscaped) {
  Presence p;
  p.entity = "pres:a&b@example.test";
  p.tuples.push_back({.id = "weird id<>", .open = true, .contact = "sip:x@y", .notes = {"<script>&\"'"}});
  p.notes.push_back("control\x01 dropped");
  auto back = parse_pidf(build_pidf(p));
  ASSERT_TRUE(Ok(back));
  EXPECT_EQ(back->entity, p.entity);
  ASSERT_EQ(back->tuples.size(), 1u);
  EXPECT_EQ(back->tuples[0].id, "weird_id__");
  EXPECT_TRUE(back->tuples[0].open);
  EXPECT_EQ(back->tuples[0].notes[0], "<script>&\"'");
  EXPECT_EQ(back->notes[0], "control dropped");
}

TEST(Pidf, AggregatePutsOpenTuplesFirstWithUniqueIds) {
  auto closed = parse_pidf(kPrefixedWithExtensions);
  auto open = parse_pidf(kOpenWithNote);
  ASSERT_TRUE(Ok(closed));
  ASSERT_TRUE(Ok(open));
  auto twice = open.value();
  auto all = aggregate("pres:demo@example.test", {closed.value(), open.value(), twice});
  ASSERT_EQ(all.tuples.size(), 3u);
  EXPECT_TRUE(all.tuples[0].open);
  EXPECT_TRUE(all.tuples[1].open);
  EXPECT_FALSE(all.tuples[2].open);
  EXPECT_NE(all.tuples[0].id, all.tuples[1].id);
  EXPECT_EQ(all.notes.size(), 1u);  // "Back at 3" once
  EXPECT_TRUE(Ok(parse_pidf(build_pidf(all))));
}

TEST(DialogInfo, FullStateWithVersionAndDirection) {
  const std::string doc = build_dialog_info(
      "sip:demo@example.test", 3,
      {{.id = "sip-1", .call_id = "c&1", .local_tag = "a", .remote_tag = {}, .initiator = true, .state = "early",
        .remote = "sip:bob@example.test"}});
  EXPECT_NE(doc.find("version=\"3\" state=\"full\" entity=\"sip:demo@example.test\""), std::string::npos) << doc;
  EXPECT_NE(doc.find("call-id=\"c&amp;1\" local-tag=\"a\" direction=\"initiator\""), std::string::npos) << doc;
  EXPECT_NE(doc.find("<state>early</state>"), std::string::npos);
  EXPECT_NE(doc.find("<identity>sip:bob@example.test</identity>"), std::string::npos);
}

TEST(MessageSummary, WaitingAndCounts) {
  EXPECT_EQ(build_message_summary("sip:demo@example.test", 5, 2),
            "Messages-Waiting: yes\r\nMessage-Account: sip:demo@example.test\r\nText-Message: 2/3\r\n");
  EXPECT_EQ(build_message_summary("sip:demo@example.test", 4, 0),
            "Messages-Waiting: no\r\nMessage-Account: sip:demo@example.test\r\nText-Message: 0/4\r\n");
  // A count that makes no sense (unseen over messages) says no old ones.
  EXPECT_EQ(build_message_summary("sip:a@b", 1, 3), "Messages-Waiting: yes\r\nMessage-Account: sip:a@b\r\nText-Message: 3/0\r\n");
}

}  // namespace
}  // namespace parley::sip
