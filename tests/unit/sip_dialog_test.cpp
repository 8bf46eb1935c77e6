// parley_sip dialogs (RFC 3261 12): an INVITE/200 exchange through two
// record-routing proxies seen from both ends, in-dialog requests built
// (Request-URI, Route, CSeq, tags), early dialogs confirmed, CSeq order,
// target refresh, termination, the table; malformed pairs refused.
#include "sip/dialog.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sip/message.h"
#include "tests/support/result_assert.h"

namespace parley::sip {
namespace {

using testkit::Fails;
using testkit::Ok;

// Test text is written with "\n"; the wire has CRLF.
Message msg(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\n') {
      out += "\r\n";
    } else {
      out.push_back(c);
    }
  }
  out += "\r\nContent-Length: 0\r\n\r\n";
  auto m = parse_message(std::move(out));
  EXPECT_TRUE(Ok(m)) << text;
  return std::move(*m);
}

// Alice's INVITE as Bob receives it, after ss1 then ss2 record-routed it.
const std::string kInvite =
    "INVITE sip:bob@client.biloxi.example.com SIP/2.0\n"
    "Via: SIP/2.0/TCP ss2.biloxi.example.com:5060;branch=z9hG4bK721e4.1\n"
    "Via: SIP/2.0/TCP ss1.atlanta.example.com:5060;branch=z9hG4bK2d4790.1\n"
    "Via: SIP/2.0/TCP client.atlanta.example.com:5060;branch=z9hG4bK74bf9\n"
    "Max-Forwards: 68\n"
    "Record-Route: <sip:ss2.biloxi.example.com;lr>\n"
    "Record-Route: <sip:ss1.atlanta.example.com;lr>\n"
    "From: Alice <sip:alice@atlanta.example.com>;tag=9fxced76sl\n"
    "To: Bob <sip:bob@biloxi.example.com>\n"
    "Call-ID: 3848276298220188511@atlanta.example.com\n"
    "CSeq: 1 INVITE\n"
    "Contact: <sip:alice@client.atlanta.example.com;transport=tcp>";

std::string response_text(int status, std::string_view to_tag = "314159", std::string_view contact =
                              "<sip:bob@client.biloxi.example.com;transport=tcp>",
                          std::string_view cseq = "1 INVITE") {
  std::string out = "SIP/2.0 " + std::to_string(status) + " Whatever\n" +
                    "Via: SIP/2.0/TCP client.atlanta.example.com:5060;branch=z9hG4bK74bf9\n"
                    "Record-Route: <sip:ss2.biloxi.example.com;lr>, <sip:ss1.atlanta.example.com;lr>\n"
                    "From: Alice <sip:alice@atlanta.example.com>;tag=9fxced76sl\n"
                    "To: Bob <sip:bob@biloxi.example.com>";
  if (!to_tag.empty()) out += ";tag=" + std::string(to_tag);
  out += "\nCall-ID: 3848276298220188511@atlanta.example.com\nCSeq: " + std::string(cseq);
  if (!contact.empty()) out += "\nContact: " + std::string(contact);
  return out;
}

std::vector<std::string> route_lines(const Message& m) {
  std::vector<std::string> out;
  for (const auto& r : m.routes()) out.emplace_back(r.uri_text);
  return out;
}

TEST(SipDialog, UasFromInviteAnd200) {
  const Message invite = msg(kInvite);
  const Message ok = msg(response_text(200));
  auto d = Dialog::uas(invite, ok);
  ASSERT_TRUE(Ok(d));
  EXPECT_EQ(d->role(), DialogRole::uas);
  EXPECT_EQ(d->state(), DialogState::confirmed);
  EXPECT_EQ(d->id().call_id, "3848276298220188511@atlanta.example.com");
  EXPECT_EQ(d->id().local_tag, "314159");
  EXPECT_EQ(d->id().remote_tag, "9fxced76sl");
  EXPECT_EQ(d->remote_seq(), 1u);
  EXPECT_FALSE(d->local_seq());
  EXPECT_EQ(to_string(d->remote_target()), "sip:alice@client.atlanta.example.com;transport=tcp");
  EXPECT_EQ(to_string(d->remote_uri()), "sip:alice@atlanta.example.com");
  EXPECT_EQ(to_string(d->local_uri()), "sip:bob@biloxi.example.com");
  EXPECT_FALSE(d->secure());
  // The UAS keeps Record-Route in order: nearest proxy first.
  ASSERT_EQ(d->route_set().size(), 2u);
  EXPECT_EQ(d->route_set()[0].text, "<sip:ss2.biloxi.example.com;lr>");
  EXPECT_EQ(d->route_set()[1].text, "<sip:ss1.atlanta.example.com;lr>");

  // Bob hangs up: the BYE goes to Alice's Contact through ss2 then ss1,
  // CSeq starting at 1 as the local number was empty.
  auto bye = d->make_request("BYE", "SIP/2.0/TCP client.biloxi.example.com:5060", "z9hG4bKnashds7");
  ASSERT_TRUE(Ok(bye));
  EXPECT_EQ(bye->method(), "BYE");
  EXPECT_EQ(bye->request_uri_text(), "sip:alice@client.atlanta.example.com;transport=tcp");
  EXPECT_EQ(route_lines(*bye),
            (std::vector<std::string>{"sip:ss2.biloxi.example.com;lr", "sip:ss1.atlanta.example.com;lr"}));
  EXPECT_EQ(bye->cseq().number, 1u);
  EXPECT_EQ(bye->cseq().method, "BYE");
  EXPECT_EQ(bye->from().tag(), "314159");
  EXPECT_EQ(bye->to().tag(), "9fxced76sl");
  EXPECT_EQ(bye->from().uri_text, "sip:bob@biloxi.example.com");
  EXPECT_EQ(bye->to().uri_text, "sip:alice@atlanta.example.com");
  EXPECT_EQ(bye->call_id(), "3848276298220188511@atlanta.example.com");
  EXPECT_EQ(bye->max_forwards(), 70u);
  EXPECT_EQ(bye->vias().front().branch(), "z9hG4bKnashds7");
  EXPECT_EQ(d->local_seq(), 1u);
}

TEST(SipDialog, UacFromInviteAnd200) {
  const Message invite = msg(kInvite);
  const Message ok = msg(response_text(200));
  auto d = Dialog::uac(invite, ok);
  ASSERT_TRUE(Ok(d));
  EXPECT_EQ(d->role(), DialogRole::uac);
  EXPECT_EQ(d->state(), DialogState::confirmed);
  EXPECT_EQ(d->id().local_tag, "9fxced76sl");
  EXPECT_EQ(d->id().remote_tag, "314159");
  EXPECT_EQ(d->local_seq(), 1u);
  EXPECT_FALSE(d->remote_seq());
  EXPECT_EQ(to_string(d->remote_target()), "sip:bob@client.biloxi.example.com;transport=tcp");
  // The UAC reverses Record-Route: its own proxy first.
  ASSERT_EQ(d->route_set().size(), 2u);
  EXPECT_EQ(d->route_set()[0].text, "<sip:ss1.atlanta.example.com;lr>");
  EXPECT_EQ(d->route_set()[1].text, "<sip:ss2.biloxi.example.com;lr>");

  // The ACK for the 2xx reuses the INVITE's CSeq.
  auto ack = d->make_request("ACK", "SIP/2.0/TCP client.atlanta.example.com:5060", "z9hG4bK74b76");
  ASSERT_TRUE(Ok(ack));
  EXPECT_EQ(ack->cseq().number, 1u);
  EXPECT_EQ(ack->request_uri_text(), "sip:bob@client.biloxi.example.com;transport=tcp");

  // A re-INVITE (no ACK built for it here): CSeq 2, the new Contact and
  // body carried.
  auto reinvite = d->make_request("INVITE", "SIP/2.0/TCP client.atlanta.example.com:5060", "z9hG4bK74b77",
                                  {{"Contact", "<sip:alice@client.atlanta.example.com;transport=tcp>"},
                                   {"Content-Type", "application/sdp"}},
                                  "v=0\r\n");
  ASSERT_TRUE(Ok(reinvite));
  EXPECT_EQ(reinvite->cseq().number, 2u);
  EXPECT_EQ(reinvite->cseq().method, "INVITE");
  EXPECT_EQ(route_lines(*reinvite),
            (std::vector<std::string>{"sip:ss1.atlanta.example.com;lr", "sip:ss2.biloxi.example.com;lr"}));
  EXPECT_EQ(reinvite->body(), "v=0\r\n");
  ASSERT_EQ(reinvite->contacts().size(), 1u);

  auto bye = d->make_request("BYE", "SIP/2.0/TCP client.atlanta.example.com:5060", "z9hG4bK74b78");
  ASSERT_TRUE(Ok(bye));
  EXPECT_EQ(bye->cseq().number, 3u);
  EXPECT_EQ(d->local_seq(), 3u);
}

TEST(SipDialog, BothEndsAgree) {
  // Alice's dialog builds a BYE that Bob's dialog accepts.
  const Message invite = msg(kInvite);
  const Message ok = msg(response_text(200));
  auto alice = Dialog::uac(invite, ok);
  auto bob = Dialog::uas(invite, ok);
  ASSERT_TRUE(Ok(alice));
  ASSERT_TRUE(Ok(bob));
  auto bye = alice->make_request("BYE", "SIP/2.0/TCP client.atlanta.example.com:5060", "z9hG4bK1");
  ASSERT_TRUE(Ok(bye));
  EXPECT_EQ(incoming_dialog_id(*bye), bob->id());
  EXPECT_TRUE(Ok(bob->on_request(*bye)));
  EXPECT_EQ(bob->remote_seq(), 2u);
  EXPECT_EQ(bob->state(), DialogState::terminated);
  const Message bye_ok = msg(response_text(200, "314159", "", "2 BYE"));
  EXPECT_TRUE(Ok(alice->on_response(bye_ok)));
  EXPECT_EQ(alice->state(), DialogState::terminated);
  EXPECT_TRUE(Fails(alice->make_request("BYE", "SIP/2.0/TCP a.example.com", "z9hG4bK2"), Errc::invalid));
}

TEST(SipDialog, EarlyFrom180ThenConfirmedBy200) {
  const Message invite = msg(kInvite);
  const Message ringing = msg(response_text(180, "314159", "<sip:bob@early.biloxi.example.com>"));
  auto d = Dialog::uac(invite, ringing);
  ASSERT_TRUE(Ok(d));
  EXPECT_EQ(d->state(), DialogState::early);
  EXPECT_EQ(to_string(d->remote_target()), "sip:bob@early.biloxi.example.com");
  // The 200 confirms it and its Contact becomes the target.
  EXPECT_TRUE(Ok(d->on_response(msg(response_text(200)))));
  EXPECT_EQ(d->state(), DialogState::confirmed);
  EXPECT_EQ(to_string(d->remote_target()), "sip:bob@client.biloxi.example.com;transport=tcp");
  EXPECT_EQ(d->route_set().size(), 2u);
  // A 200 from another fork (other tag) is not this dialog.
  EXPECT_TRUE(Fails(d->on_response(msg(response_text(200, "other"))), Errc::not_found));
}

TEST(SipDialog, EarlyEndedByFailure) {
  auto d = Dialog::uac(msg(kInvite), msg(response_text(183)));
  ASSERT_TRUE(Ok(d));
  EXPECT_TRUE(Ok(d->on_response(msg(response_text(486)))));
  EXPECT_EQ(d->state(), DialogState::terminated);
}

TEST(SipDialog, UasEarlyFrom180ThenConfirmedBy200) {
  auto d = Dialog::uas(msg(kInvite), msg(response_text(180)));
  ASSERT_TRUE(Ok(d));
  EXPECT_EQ(d->state(), DialogState::early);
  // Another 18x keeps it early; the 200 this side sends confirms it.
  EXPECT_TRUE(Ok(d->on_sent_response(msg(response_text(183)))));
  EXPECT_EQ(d->state(), DialogState::early);
  EXPECT_TRUE(Ok(d->on_sent_response(msg(response_text(200)))));
  EXPECT_EQ(d->state(), DialogState::confirmed);
  // A response to another request, or with another tag, is refused.
  EXPECT_TRUE(Fails(d->on_sent_response(msg(response_text(200, "314159", "", "2 INVITE"))), Errc::invalid));
  EXPECT_TRUE(Fails(d->on_sent_response(msg(response_text(200, "other"))), Errc::invalid));

  auto refused = Dialog::uas(msg(kInvite), msg(response_text(180)));
  ASSERT_TRUE(Ok(refused));
  EXPECT_TRUE(Ok(refused->on_sent_response(msg(response_text(486)))));
  EXPECT_EQ(refused->state(), DialogState::terminated);

  auto uac = Dialog::uac(msg(kInvite), msg(response_text(180)));
  ASSERT_TRUE(Ok(uac));
  EXPECT_TRUE(Fails(uac->on_sent_response(msg(response_text(200))), Errc::invalid));
}

TEST(SipDialog, RequestUriWithoutHeadersOrMethod) {
  // A Contact may carry URI headers and a method parameter; a Request-URI
  // may not (19.1.1).
  auto d = Dialog::uac(msg(kInvite),
                       msg(response_text(200, "314159", "<sip:bob@host.biloxi.example.com;method=INVITE?subject=hi>")));
  ASSERT_TRUE(Ok(d));
  auto bye = d->make_request("BYE", "SIP/2.0/TCP client.atlanta.example.com", "z9hG4bKh1");
  ASSERT_TRUE(Ok(bye));
  EXPECT_EQ(bye->request_uri_text(), "sip:bob@host.biloxi.example.com");
}

TEST(SipDialog, OutOfOrderCSeqRefused) {
  auto bob = Dialog::uas(msg(kInvite), msg(response_text(200)));
  ASSERT_TRUE(Ok(bob));
  auto in_dialog = [](std::string_view method, int cseq) {
    return msg(std::string(method) + " sip:bob@client.biloxi.example.com SIP/2.0\n" +
               "Via: SIP/2.0/TCP client.atlanta.example.com;branch=z9hG4bK" + std::to_string(cseq) + "\n" +
               "From: <sip:alice@atlanta.example.com>;tag=9fxced76sl\n"
               "To: <sip:bob@biloxi.example.com>;tag=314159\n"
               "Call-ID: 3848276298220188511@atlanta.example.com\n"
               "CSeq: " + std::to_string(cseq) + " " + std::string(method));
  };
  EXPECT_TRUE(Ok(bob->on_request(in_dialog("INFO", 5))));
  EXPECT_EQ(bob->remote_seq(), 5u);
  // Lower: the RFC's 500.
  auto low = bob->on_request(in_dialog("INFO", 4));
  EXPECT_TRUE(Fails(low, Errc::invalid));
  EXPECT_NE(low.error().detail.find("CSeq 4"), std::string::npos);
  EXPECT_EQ(bob->remote_seq(), 5u);
  // Gaps are fine (12.2.2: not necessarily one more).
  EXPECT_TRUE(Ok(bob->on_request(in_dialog("INFO", 9))));
  EXPECT_EQ(bob->remote_seq(), 9u);
  // The UAC side: no remote number yet, the first request sets it.
  auto alice = Dialog::uac(msg(kInvite), msg(response_text(200)));
  ASSERT_TRUE(Ok(alice));
  auto notify = msg(
      "NOTIFY sip:alice@client.atlanta.example.com SIP/2.0\n"
      "Via: SIP/2.0/TCP client.biloxi.example.com;branch=z9hG4bKn1\n"
      "From: <sip:bob@biloxi.example.com>;tag=314159\n"
      "To: <sip:alice@atlanta.example.com>;tag=9fxced76sl\n"
      "Call-ID: 3848276298220188511@atlanta.example.com\n"
      "CSeq: 77 NOTIFY");
  EXPECT_TRUE(Ok(alice->on_request(notify)));
  EXPECT_EQ(alice->remote_seq(), 77u);
  // Another dialog's request: 481.
  EXPECT_TRUE(Fails(alice->on_request(in_dialog("INFO", 100)), Errc::not_found));
}

TEST(SipDialog, TargetRefresh) {
  auto alice = Dialog::uac(msg(kInvite), msg(response_text(200)));
  ASSERT_TRUE(Ok(alice));
  auto reinvite = alice->make_request("INVITE", "SIP/2.0/TCP client.atlanta.example.com", "z9hG4bKr1",
                                      {{"Contact", "<sip:alice@client.atlanta.example.com>"}});
  ASSERT_TRUE(Ok(reinvite));
  // Bob moved: his 2xx names a new Contact.
  EXPECT_TRUE(Ok(alice->on_response(msg(response_text(200, "314159", "<sip:bob@new.biloxi.example.com>",
                                                      "2 INVITE")))));
  EXPECT_EQ(to_string(alice->remote_target()), "sip:bob@new.biloxi.example.com");
  // A 2xx to a refresh without Contact is refused and changes nothing.
  EXPECT_TRUE(Fails(alice->on_response(msg(response_text(200, "314159", "", "3 UPDATE"))), Errc::invalid));
  EXPECT_EQ(to_string(alice->remote_target()), "sip:bob@new.biloxi.example.com");
  // A failed re-INVITE leaves the dialog up; a 481 ends it.
  EXPECT_TRUE(Ok(alice->on_response(msg(response_text(488, "314159", "", "4 INVITE")))));
  EXPECT_EQ(alice->state(), DialogState::confirmed);
  EXPECT_TRUE(Ok(alice->on_response(msg(response_text(481, "314159", "", "5 INVITE")))));
  EXPECT_EQ(alice->state(), DialogState::terminated);

  // UAS side: a re-INVITE received with a Contact.
  auto bob = Dialog::uas(msg(kInvite), msg(response_text(200)));
  ASSERT_TRUE(Ok(bob));
  auto refresh = msg(
      "INVITE sip:bob@client.biloxi.example.com SIP/2.0\n"
      "Via: SIP/2.0/TCP client.atlanta.example.com;branch=z9hG4bKr2\n"
      "From: <sip:alice@atlanta.example.com>;tag=9fxced76sl\n"
      "To: <sip:bob@biloxi.example.com>;tag=314159\n"
      "Call-ID: 3848276298220188511@atlanta.example.com\n"
      "CSeq: 2 INVITE\n"
      "Contact: <sip:alice@moved.atlanta.example.com>");
  EXPECT_TRUE(Ok(bob->on_request(refresh)));
  EXPECT_EQ(to_string(bob->remote_target()), "sip:alice@moved.atlanta.example.com");
}

TEST(SipDialog, StrictRouter) {
  // A first route without ;lr is a strict router (12.2.1.1): it becomes
  // the Request-URI and the remote target goes last in Route.
  std::string invite = kInvite;
  invite.replace(invite.find("<sip:ss2.biloxi.example.com;lr>"), 31, "<sip:ss2.biloxi.example.com>");
  auto bob = Dialog::uas(msg(invite), msg(response_text(200)));
  ASSERT_TRUE(Ok(bob));
  EXPECT_FALSE(bob->route_set()[0].loose());
  auto bye = bob->make_request("BYE", "SIP/2.0/TCP client.biloxi.example.com", "z9hG4bKs1");
  ASSERT_TRUE(Ok(bye));
  EXPECT_EQ(bye->request_uri_text(), "sip:ss2.biloxi.example.com");
  EXPECT_EQ(route_lines(*bye), (std::vector<std::string>{"sip:ss1.atlanta.example.com;lr",
                                                         "sip:alice@client.atlanta.example.com;transport=tcp"}));
}

TEST(SipDialog, NoRecordRouteNoRoutes) {
  std::string invite = kInvite;
  for (std::string_view line : {"Record-Route: <sip:ss2", "Record-Route: <sip:ss1"}) {
    const auto at = invite.find(line);
    invite.erase(at, invite.find('\n', at) + 1 - at);
  }
  auto d = Dialog::uas(msg(invite), msg(response_text(200)));
  ASSERT_TRUE(Ok(d));
  EXPECT_TRUE(d->route_set().empty());
  auto bye = d->make_request("BYE", "SIP/2.0/UDP client.biloxi.example.com", "z9hG4bKx");
  ASSERT_TRUE(Ok(bye));
  EXPECT_TRUE(bye->routes().empty());
}

TEST(SipDialog, Secure) {
  std::string invite = kInvite;
  invite.replace(0, 10, "INVITE sips");
  auto d = Dialog::uas(msg(invite), msg(response_text(200)));
  ASSERT_TRUE(Ok(d));
  EXPECT_TRUE(d->secure());
}

TEST(SipDialog, MalformedRefused) {
  const Message invite = msg(kInvite);
  // No To tag in the 2xx.
  auto r = Dialog::uac(invite, msg(response_text(200, "")));
  EXPECT_TRUE(Fails(r, Errc::invalid));
  EXPECT_NE(r.error().detail.find("To tag"), std::string::npos);
  // No Contact in the 2xx.
  r = Dialog::uac(invite, msg(response_text(200, "314159", "")));
  EXPECT_TRUE(Fails(r, Errc::invalid));
  EXPECT_NE(r.error().detail.find("Contact"), std::string::npos);
  // No Contact in the request, on the UAS side.
  std::string no_contact = kInvite.substr(0, kInvite.find("\nContact:"));
  r = Dialog::uas(msg(no_contact), msg(response_text(200)));
  EXPECT_TRUE(Fails(r, Errc::invalid));
  // No From tag.
  std::string no_from_tag = kInvite;
  no_from_tag.erase(no_from_tag.find(";tag=9fxced76sl"), 15);
  r = Dialog::uas(msg(no_from_tag), msg(response_text(200)));
  EXPECT_TRUE(Fails(r, Errc::invalid));
  EXPECT_NE(r.error().detail.find("From tag"), std::string::npos);
  // 100 and failures create no dialog; a response to another request neither.
  EXPECT_TRUE(Fails(Dialog::uac(invite, msg(response_text(100))), Errc::invalid));
  EXPECT_TRUE(Fails(Dialog::uac(invite, msg(response_text(404))), Errc::invalid));
  EXPECT_TRUE(Fails(Dialog::uac(invite, msg(response_text(200, "314159", "<sip:b@x>", "2 INVITE"))),
                    Errc::invalid));
  // Not a SIP URI in Contact.
  EXPECT_TRUE(Fails(Dialog::uac(invite, msg(response_text(200, "314159", "<mailto:bob@example.com>"))),
                    Errc::invalid));

  auto d = Dialog::uac(invite, msg(response_text(200)));
  ASSERT_TRUE(Ok(d));
  const std::string via = "SIP/2.0/UDP a.example.com";
  EXPECT_TRUE(Fails(d->make_request("BYE", via, "nocookie"), Errc::invalid));
  EXPECT_TRUE(Fails(d->make_request("CANCEL", via, "z9hG4bK1"), Errc::invalid));
  EXPECT_TRUE(Fails(d->make_request("B YE", via, "z9hG4bK1"), Errc::invalid));
  EXPECT_TRUE(Fails(d->make_request("INFO", via, "z9hG4bK1", {{"X-A", "a\r\nEvil: 1"}}), Errc::invalid));
  EXPECT_TRUE(Fails(d->make_request("INFO", "a\r\nb", "z9hG4bK1"), Errc::invalid));
  EXPECT_EQ(d->local_seq(), 1u);  // nothing refused moved the number
}

TEST(SipDialog, TableLookupAndBound) {
  DialogTable table;
  const Message invite = msg(kInvite);
  auto alice = Dialog::uac(invite, msg(response_text(200)));
  ASSERT_TRUE(Ok(alice));
  auto inserted = table.insert(std::move(*alice));
  ASSERT_TRUE(Ok(inserted));
  EXPECT_EQ(table.size(), 1u);
  EXPECT_TRUE(Fails(table.insert(std::move(*Dialog::uac(invite, msg(response_text(200))))), Errc::exists));

  // An incoming request (Bob's NOTIFY: To tag is ours) and an incoming
  // response (From tag is ours) both find it.
  auto notify = msg(
      "NOTIFY sip:alice@client.atlanta.example.com SIP/2.0\n"
      "Via: SIP/2.0/TCP client.biloxi.example.com;branch=z9hG4bKn1\n"
      "From: <sip:bob@biloxi.example.com>;tag=314159\n"
      "To: <sip:alice@atlanta.example.com>;tag=9fxced76sl\n"
      "Call-ID: 3848276298220188511@atlanta.example.com\n"
      "CSeq: 77 NOTIFY");
  EXPECT_EQ(table.find_for(notify), *inserted);
  EXPECT_EQ(table.find_for(msg(response_text(200, "314159", "", "2 BYE"))), *inserted);
  EXPECT_EQ(table.find_for(msg(response_text(200, "other", "", "2 BYE"))), nullptr);
  EXPECT_EQ(table.find_for(invite), nullptr);  // no To tag: not in a dialog

  // Fill it: one dialog per remote tag (a fork each).
  for (std::size_t i = 1; i < DialogTable::kMaxDialogs; ++i) {
    auto d = Dialog::uac(invite, msg(response_text(180, "fork" + std::to_string(i))));
    ASSERT_TRUE(Ok(d));
    ASSERT_TRUE(Ok(table.insert(std::move(*d))));
  }
  EXPECT_EQ(table.size(), DialogTable::kMaxDialogs);
  auto extra = Dialog::uac(invite, msg(response_text(180, "one-too-many")));
  ASSERT_TRUE(Ok(extra));
  EXPECT_TRUE(Fails(table.insert(std::move(*extra)), Errc::limit));

  // Ending dialogs frees room.
  table.find(DialogId{"3848276298220188511@atlanta.example.com", "9fxced76sl", "fork1"})->terminate();
  EXPECT_EQ(table.reap(), 1u);
  EXPECT_TRUE(table.erase(DialogId{"3848276298220188511@atlanta.example.com", "9fxced76sl", "fork2"}));
  EXPECT_FALSE(table.erase(DialogId{"3848276298220188511@atlanta.example.com", "9fxced76sl", "fork2"}));
  EXPECT_EQ(table.size(), DialogTable::kMaxDialogs - 2);
  auto again = Dialog::uac(invite, msg(response_text(180, "one-too-many")));
  ASSERT_TRUE(Ok(again));
  EXPECT_TRUE(Ok(table.insert(std::move(*again))));
}

}  // namespace
}  // namespace parley::sip
