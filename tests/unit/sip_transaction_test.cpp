// parley_sip transactions (RFC 3261 17, RFC 6026): each state machine
// driven through its paths with a fake clock (a TimePoint the test moves),
// the actions compared as short strings ("send INVITE", "arm A@500");
// matching keys, the table's routing and bound; ACK and CANCEL built from
// the INVITE.
#include "sip/transaction.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sip/message.h"
#include "tests/support/result_assert.h"

namespace parley::sip {
namespace {

using std::chrono::milliseconds;
using testkit::Fails;
using testkit::Ok;
using Strings = std::vector<std::string>;

const TimePoint t0{};
TimePoint at(long long ms) { return t0 + milliseconds(ms); }

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

std::string request_text(std::string_view method, std::string_view branch = "z9hG4bK776asdhds",
                         std::string_view via_host = "pc33.atlanta.com", std::string_view cseq_method = {}) {
  std::string cseq = cseq_method.empty() ? std::string(method) : std::string(cseq_method);
  return std::string(method) + " sip:bob@biloxi.com SIP/2.0\n" + "Via: SIP/2.0/UDP " + std::string(via_host) +
         ";branch=" + std::string(branch) + "\n" +
         "Route: <sip:p1.example.com;lr>\n"
         "Max-Forwards: 70\n"
         "To: Bob <sip:bob@biloxi.com>\n"
         "From: Alice <sip:alice@atlanta.com>;tag=1928301774\n"
         "Call-ID: a84b4c76e66710@pc33.atlanta.com\n"
         "CSeq: 314159 " +
         cseq;
}

Message request(std::string_view method, std::string_view branch = "z9hG4bK776asdhds",
                std::string_view via_host = "pc33.atlanta.com") {
  return msg(request_text(method, branch, via_host));
}

Message response(int status, std::string_view method = "INVITE", std::string_view branch = "z9hG4bK776asdhds") {
  return msg("SIP/2.0 " + std::to_string(status) + " Whatever\n" + "Via: SIP/2.0/UDP pc33.atlanta.com;branch=" +
             std::string(branch) + "\n" +
             "To: Bob <sip:bob@biloxi.com>;tag=a6c85cf\n"
             "From: Alice <sip:alice@atlanta.com>;tag=1928301774\n"
             "Call-ID: a84b4c76e66710@pc33.atlanta.com\n"
             "CSeq: 314159 " +
             std::string(method));
}

// "send INVITE", "send 100", "to_tu", "arm A@500", "cancel A", "timeout B",
// "transport_error", "terminated".
Strings show(const std::vector<Action>& actions) {
  Strings out;
  for (const auto& a : actions) {
    switch (a.kind) {
      case Action::Kind::send: {
        auto m = parse_message(a.wire);
        if (!m) {
          out.push_back("send garbage");
        } else if (m->is_request()) {
          out.push_back("send " + std::string(m->method()));
        } else {
          out.push_back("send " + std::to_string(m->status()));
        }
        break;
      }
      case Action::Kind::to_tu: out.push_back("to_tu"); break;
      case Action::Kind::timeout: out.push_back("timeout " + std::string(timer_name(a.timer))); break;
      case Action::Kind::transport_error: out.push_back("transport_error"); break;
      case Action::Kind::arm:
        out.push_back("arm " + std::string(timer_name(a.timer)) + "@" +
                      std::to_string(std::chrono::duration_cast<milliseconds>(a.at - t0).count()));
        break;
      case Action::Kind::cancel: out.push_back("cancel " + std::string(timer_name(a.timer))); break;
      case Action::Kind::terminated: out.push_back("terminated"); break;
    }
  }
  return out;
}

Transaction start_client(Message req, bool reliable, Strings expected, TimerSettings settings = {}) {
  std::vector<Action> actions;
  auto t = Transaction::client(std::move(req), reliable, settings, t0, actions);
  EXPECT_TRUE(Ok(t));
  EXPECT_EQ(show(actions), expected);
  return std::move(*t);
}

Transaction start_server(Message req, bool reliable, Strings expected) {
  std::vector<Action> actions;
  auto t = Transaction::server(std::move(req), reliable, {}, t0, actions);
  EXPECT_TRUE(Ok(t));
  EXPECT_EQ(show(actions), expected);
  return std::move(*t);
}

Strings sent(Transaction& t, const Message& response, long long ms) {
  auto r = t.send_response(response, at(ms));
  EXPECT_TRUE(Ok(r));
  return r ? show(*r) : Strings{"error"};
}

// ---- INVITE client (17.1.1) ----

TEST(SipTransaction, InviteClientRetransmitsUntilTimerB) {
  auto t = start_client(request("INVITE"), false, {"send INVITE", "arm A@500", "arm B@32000"});
  EXPECT_EQ(t.state(), TransactionState::calling);
  // A doubles each time without a cap at T2: 500, 1000, 2000, 4000, 8000, 16000.
  long long now = 500, interval = 500;
  while (now < 32000) {
    interval *= 2;
    EXPECT_EQ(show(t.on_timer(Timer::A, at(now))),
              (Strings{"send INVITE", "arm A@" + std::to_string(now + interval)}));
    now += interval;
  }
  EXPECT_EQ(interval, 32000);
  EXPECT_EQ(show(t.on_timer(Timer::B, at(32000))), (Strings{"timeout B", "cancel A", "terminated"}));
  EXPECT_EQ(t.state(), TransactionState::terminated);
  EXPECT_TRUE(t.on_timer(Timer::A, at(63500)).empty());  // cancelled: ignored
}

TEST(SipTransaction, InviteClientProvisionalThenFailureSendsAck) {
  auto t = start_client(request("INVITE"), false, {"send INVITE", "arm A@500", "arm B@32000"});
  EXPECT_EQ(show(t.on_response(response(180), at(100))), (Strings{"cancel A", "cancel B", "to_tu"}));
  EXPECT_EQ(t.state(), TransactionState::proceeding);
  EXPECT_EQ(show(t.on_response(response(183), at(200))), (Strings{"to_tu"}));
  EXPECT_TRUE(t.on_timer(Timer::A, at(500)).empty());  // no retransmission in Proceeding
  EXPECT_EQ(show(t.on_response(response(486), at(300))), (Strings{"to_tu", "send ACK", "arm D@32300"}));
  EXPECT_EQ(t.state(), TransactionState::completed);
  // A retransmitted final response: the ACK again, nothing to the TU.
  EXPECT_EQ(show(t.on_response(response(486), at(400))), (Strings{"send ACK"}));
  EXPECT_TRUE(t.on_response(response(180), at(450)).empty());
  EXPECT_EQ(show(t.on_timer(Timer::D, at(32300))), (Strings{"terminated"}));
}

TEST(SipTransaction, InviteClientSendsTheAckMakeAckBuilds) {
  auto t = start_client(request("INVITE"), false, {"send INVITE", "arm A@500", "arm B@32000"});
  const auto failure = response(302);
  const auto actions = t.on_response(failure, at(100));
  ASSERT_EQ(show(actions), (Strings{"cancel A", "cancel B", "to_tu", "send ACK", "arm D@32100"}));
  auto expected = make_ack(t.request(), failure);
  ASSERT_TRUE(Ok(expected));
  EXPECT_EQ(actions[3].wire, expected->serialize());
  // The retransmitted ACK is the same bytes.
  const auto again = t.on_response(response(302), at(200));
  ASSERT_EQ(again.size(), 1U);
  EXPECT_EQ(again[0].wire, actions[3].wire);
}

TEST(SipTransaction, NonInviteClientCapsAtConfiguredT2) {
  TimerSettings s{.t1 = milliseconds(200), .t2 = milliseconds(500), .t4 = milliseconds(1000)};
  auto t = start_client(request("OPTIONS"), false, {"send OPTIONS", "arm E@200", "arm F@12800"}, s);
  EXPECT_EQ(show(t.on_timer(Timer::E, at(200))), (Strings{"send OPTIONS", "arm E@600"}));
  EXPECT_EQ(show(t.on_timer(Timer::E, at(600))), (Strings{"send OPTIONS", "arm E@1100"}));
  EXPECT_EQ(show(t.on_response(response(200, "OPTIONS"), at(700))),
            (Strings{"to_tu", "cancel E", "cancel F", "arm K@1700"}));
}

TEST(SipTransaction, InviteClientFinalInCallingOverReliableTransport) {
  auto t = start_client(request("INVITE"), true, {"send INVITE", "arm B@32000"});
  EXPECT_EQ(show(t.on_response(response(404), at(100))), (Strings{"cancel B", "to_tu", "send ACK", "terminated"}));
}

TEST(SipTransaction, InviteClient2xxEntersAccepted) {
  auto t = start_client(request("INVITE"), false, {"send INVITE", "arm A@500", "arm B@32000"});
  EXPECT_EQ(show(t.on_response(response(200), at(100))), (Strings{"cancel A", "cancel B", "to_tu", "arm M@32100"}));
  EXPECT_EQ(t.state(), TransactionState::accepted);
  // RFC 6026 7.2: further 2xx (retransmissions, other forks) go to the TU;
  // others are dropped; no ACK from the transaction.
  EXPECT_EQ(show(t.on_response(response(200), at(200))), (Strings{"to_tu"}));
  EXPECT_TRUE(t.on_response(response(180), at(300)).empty());
  EXPECT_TRUE(t.on_response(response(500), at(300)).empty());
  EXPECT_EQ(show(t.on_timer(Timer::M, at(32100))), (Strings{"terminated"}));
}

TEST(SipTransaction, InviteClientTimersFollowSettings) {
  TimerSettings s{.t1 = milliseconds(100), .t2 = milliseconds(1000), .t4 = milliseconds(2000)};
  auto t = start_client(request("INVITE"), false, {"send INVITE", "arm A@100", "arm B@6400"}, s);
  EXPECT_EQ(show(t.on_timer(Timer::A, at(100))), (Strings{"send INVITE", "arm A@300"}));
}

TEST(SipTransaction, TransportErrorEndsAnyTransaction) {
  auto t = start_client(request("INVITE"), false, {"send INVITE", "arm A@500", "arm B@32000"});
  EXPECT_EQ(show(t.on_transport_error(at(10))), (Strings{"transport_error", "cancel A", "cancel B", "terminated"}));
  EXPECT_TRUE(t.on_transport_error(at(20)).empty());
}

TEST(SipTransaction, AckForFailureResponse) {
  auto invite = request("INVITE");
  auto ack = make_ack(invite, response(486));
  ASSERT_TRUE(Ok(ack));
  EXPECT_EQ(ack->method(), "ACK");
  EXPECT_EQ(ack->request_uri_text(), "sip:bob@biloxi.com");
  ASSERT_EQ(ack->vias().size(), 1U);
  EXPECT_EQ(ack->vias()[0].branch(), "z9hG4bK776asdhds");
  EXPECT_EQ(ack->to().tag(), "a6c85cf");
  EXPECT_EQ(ack->from().tag(), "1928301774");
  EXPECT_EQ(ack->call_id(), "a84b4c76e66710@pc33.atlanta.com");
  EXPECT_EQ(ack->cseq().number, 314159U);
  EXPECT_EQ(ack->cseq().method, "ACK");
  ASSERT_EQ(ack->routes().size(), 1U);
  EXPECT_EQ(ack->routes()[0].uri_text, "sip:p1.example.com;lr");
  EXPECT_TRUE(Fails(make_ack(invite, response(200)), Errc::invalid));
  EXPECT_TRUE(Fails(make_ack(request("OPTIONS"), response(486, "OPTIONS")), Errc::invalid));
}

TEST(SipTransaction, CancelForPendingInvite) {
  // Two Via values on one line: the CANCEL keeps only the top one.
  auto invite = msg(
      "INVITE sip:bob@biloxi.com SIP/2.0\n"
      "Via: SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bKnashds8, SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKold\n"
      "Max-Forwards: 70\n"
      "To: Bob <sip:bob@biloxi.com>\n"
      "From: Alice <sip:alice@atlanta.com>;tag=1928301774\n"
      "Call-ID: c1@pc33\n"
      "CSeq: 7 INVITE");
  auto t = start_client(std::move(invite), false, {"send INVITE", "arm A@500", "arm B@32000"});
  auto cancel = t.make_cancel();
  ASSERT_TRUE(Ok(cancel));
  EXPECT_EQ(cancel->method(), "CANCEL");
  EXPECT_EQ(cancel->request_uri_text(), "sip:bob@biloxi.com");
  ASSERT_EQ(cancel->vias().size(), 1U);
  EXPECT_EQ(cancel->vias()[0].branch(), "z9hG4bKnashds8");
  EXPECT_FALSE(cancel->to().tag());
  EXPECT_EQ(cancel->call_id(), "c1@pc33");
  EXPECT_EQ(cancel->cseq().number, 7U);
  EXPECT_EQ(cancel->cseq().method, "CANCEL");
  EXPECT_TRUE(cancel->routes().empty());
  // Its client key differs from the INVITE's by the method only.
  EXPECT_EQ(client_key(*cancel)->branch, client_key(t.request())->branch);
  EXPECT_NE(client_key(*cancel), client_key(t.request()));
  auto options = start_client(request("OPTIONS"), false, {"send OPTIONS", "arm E@500", "arm F@32000"});
  EXPECT_TRUE(Fails(options.make_cancel(), Errc::invalid));
}

// ---- non-INVITE client (17.1.2) ----

TEST(SipTransaction, NonInviteClientRetransmitsUpToT2UntilTimerF) {
  auto t = start_client(request("OPTIONS"), false, {"send OPTIONS", "arm E@500", "arm F@32000"});
  EXPECT_EQ(t.state(), TransactionState::trying);
  EXPECT_EQ(show(t.on_timer(Timer::E, at(500))), (Strings{"send OPTIONS", "arm E@1500"}));
  EXPECT_EQ(show(t.on_timer(Timer::E, at(1500))), (Strings{"send OPTIONS", "arm E@3500"}));
  EXPECT_EQ(show(t.on_timer(Timer::E, at(3500))), (Strings{"send OPTIONS", "arm E@7500"}));
  EXPECT_EQ(show(t.on_timer(Timer::E, at(7500))), (Strings{"send OPTIONS", "arm E@11500"}));  // capped at T2
  EXPECT_EQ(show(t.on_timer(Timer::E, at(11500))), (Strings{"send OPTIONS", "arm E@15500"}));
  EXPECT_EQ(show(t.on_timer(Timer::F, at(32000))), (Strings{"timeout F", "cancel E", "terminated"}));
}

TEST(SipTransaction, NonInviteClientProceedingRetransmitsAtT2) {
  auto t = start_client(request("REGISTER"), false, {"send REGISTER", "arm E@500", "arm F@32000"});
  EXPECT_EQ(show(t.on_response(response(100, "REGISTER"), at(100))), (Strings{"to_tu"}));
  EXPECT_EQ(t.state(), TransactionState::proceeding);
  EXPECT_EQ(show(t.on_timer(Timer::E, at(500))), (Strings{"send REGISTER", "arm E@4500"}));
  EXPECT_EQ(show(t.on_response(response(200, "REGISTER"), at(600))),
            (Strings{"to_tu", "cancel E", "cancel F", "arm K@5600"}));
  EXPECT_EQ(t.state(), TransactionState::completed);
  EXPECT_TRUE(t.on_response(response(200, "REGISTER"), at(700)).empty());  // absorbed
  EXPECT_TRUE(t.on_timer(Timer::E, at(4500)).empty());
  EXPECT_EQ(show(t.on_timer(Timer::K, at(5600))), (Strings{"terminated"}));
}

TEST(SipTransaction, NonInviteClientReliableTerminatesOnFinal) {
  auto t = start_client(request("BYE"), true, {"send BYE", "arm F@32000"});
  EXPECT_EQ(show(t.on_response(response(481, "BYE"), at(100))), (Strings{"to_tu", "cancel F", "terminated"}));
}

// ---- INVITE server (17.2.1) ----

TEST(SipTransaction, InviteServerFailureRetransmitsUntilAck) {
  auto invite = request("INVITE");
  auto t = start_server(request("INVITE"), false, {"send 100", "to_tu"});
  EXPECT_EQ(t.state(), TransactionState::proceeding);
  // A retransmitted INVITE gets the last provisional response again.
  EXPECT_EQ(show(t.on_request(invite, at(500))), (Strings{"send 100"}));
  EXPECT_EQ(sent(t, *make_response(invite, 180, "Ringing", "xyz"), 600), (Strings{"send 180"}));
  EXPECT_EQ(show(t.on_request(invite, at(700))), (Strings{"send 180"}));
  EXPECT_EQ(sent(t, *make_response(invite, 486, "Busy Here", "xyz"), 1000),
            (Strings{"send 486", "arm G@1500", "arm H@33000"}));
  EXPECT_EQ(t.state(), TransactionState::completed);
  // G doubles to T2: 500, 1000, 2000, 4000, 4000.
  EXPECT_EQ(show(t.on_timer(Timer::G, at(1500))), (Strings{"send 486", "arm G@2500"}));
  EXPECT_EQ(show(t.on_timer(Timer::G, at(2500))), (Strings{"send 486", "arm G@4500"}));
  EXPECT_EQ(show(t.on_timer(Timer::G, at(4500))), (Strings{"send 486", "arm G@8500"}));
  EXPECT_EQ(show(t.on_timer(Timer::G, at(8500))), (Strings{"send 486", "arm G@12500"}));
  EXPECT_EQ(show(t.on_request(invite, at(9000))), (Strings{"send 486"}));
  EXPECT_TRUE(Fails(t.send_response(*make_response(invite, 500, "Oops", "xyz"), at(9100)), Errc::invalid));
  EXPECT_EQ(show(t.on_request(request("ACK"), at(10000))), (Strings{"cancel G", "cancel H", "arm I@15000"}));
  EXPECT_EQ(t.state(), TransactionState::confirmed);
  EXPECT_TRUE(t.on_request(request("ACK"), at(11000)).empty());  // absorbed
  EXPECT_TRUE(t.on_request(invite, at(11000)).empty());
  EXPECT_EQ(show(t.on_timer(Timer::I, at(15000))), (Strings{"terminated"}));
}

TEST(SipTransaction, InviteServerTimerHWithoutAck) {
  auto invite = request("INVITE");
  auto t = start_server(request("INVITE"), false, {"send 100", "to_tu"});
  EXPECT_EQ(sent(t, *make_response(invite, 603, "Decline", "xyz"), 0),
            (Strings{"send 603", "arm G@500", "arm H@32000"}));
  EXPECT_EQ(show(t.on_timer(Timer::H, at(32000))), (Strings{"timeout H", "cancel G", "terminated"}));
}

TEST(SipTransaction, InviteServerReliable) {
  auto invite = request("INVITE");
  auto t = start_server(request("INVITE"), true, {"send 100", "to_tu"});
  EXPECT_EQ(sent(t, *make_response(invite, 404, "Not Found", "xyz"), 0), (Strings{"send 404", "arm H@32000"}));
  EXPECT_EQ(show(t.on_request(request("ACK"), at(10))), (Strings{"cancel H", "terminated"}));
}

TEST(SipTransaction, InviteServer2xxEntersAccepted) {
  auto invite = request("INVITE");
  auto t = start_server(request("INVITE"), false, {"send 100", "to_tu"});
  EXPECT_EQ(sent(t, *make_response(invite, 200, "OK", "xyz"), 100), (Strings{"send 200", "arm L@32100"}));
  EXPECT_EQ(t.state(), TransactionState::accepted);
  // RFC 6026 8.7: retransmitted INVITEs absorbed, ACKs to the TU; the TU
  // retransmits its 2xx through the transaction (8.5).
  EXPECT_TRUE(t.on_request(invite, at(200)).empty());
  EXPECT_EQ(show(t.on_request(request("ACK"), at(300))), (Strings{"to_tu"}));
  EXPECT_EQ(sent(t, *make_response(invite, 200, "OK", "xyz"), 600), (Strings{"send 200"}));
  EXPECT_TRUE(Fails(t.send_response(*make_response(invite, 486, "Busy", "xyz"), at(700)), Errc::invalid));
  EXPECT_EQ(show(t.on_timer(Timer::L, at(32100))), (Strings{"terminated"}));
}

// ---- non-INVITE server (17.2.2) ----

TEST(SipTransaction, NonInviteServerPaths) {
  auto options = request("OPTIONS");
  auto t = start_server(request("OPTIONS"), false, {"to_tu"});
  EXPECT_EQ(t.state(), TransactionState::trying);
  EXPECT_TRUE(t.on_request(options, at(100)).empty());  // Trying absorbs
  EXPECT_EQ(sent(t, *make_response(options, 100, "Trying", ""), 200), (Strings{"send 100"}));
  EXPECT_EQ(t.state(), TransactionState::proceeding);
  EXPECT_EQ(show(t.on_request(options, at(300))), (Strings{"send 100"}));
  EXPECT_EQ(sent(t, *make_response(options, 200, "OK", "x"), 400), (Strings{"send 200", "arm J@5400"}));
  EXPECT_EQ(t.state(), TransactionState::completed);
  // Each retransmission is answered again and keeps Completed T4 more,
  // up to 64*T1 after the first answer.
  EXPECT_EQ(show(t.on_request(options, at(500))), (Strings{"send 200", "arm J@5500"}));
  EXPECT_EQ(show(t.on_request(options, at(30000))), (Strings{"send 200", "arm J@32400"}));
  EXPECT_TRUE(Fails(t.send_response(*make_response(options, 500, "Oops", "x"), at(600)), Errc::invalid));
  EXPECT_EQ(show(t.on_timer(Timer::J, at(32400))), (Strings{"terminated"}));
}

TEST(SipTransaction, NonInviteServerReliableTerminatesOnFinal) {
  auto bye = request("BYE");
  auto t = start_server(request("BYE"), true, {"to_tu"});
  EXPECT_EQ(sent(t, *make_response(bye, 200, "OK", ""), 0), (Strings{"send 200", "terminated"}));
}

TEST(SipTransaction, ServerRefusesBadResponses) {
  auto t = start_server(request("OPTIONS"), false, {"to_tu"});
  EXPECT_TRUE(Fails(t.send_response(request("OPTIONS"), at(0)), Errc::invalid));
  EXPECT_TRUE(Fails(t.send_response(response(200, "INVITE"), at(0)), Errc::invalid));  // CSeq method
}

TEST(SipTransaction, NoTransactionWithoutBranchOrForAck) {
  std::vector<Action> actions;
  EXPECT_TRUE(Fails(Transaction::server(request("OPTIONS", "1234"), false, {}, t0, actions), Errc::invalid));
  EXPECT_TRUE(Fails(Transaction::server(request("ACK"), false, {}, t0, actions), Errc::invalid));
  EXPECT_TRUE(Fails(Transaction::client(response(200), false, {}, t0, actions), Errc::invalid));
  EXPECT_TRUE(actions.empty());
}

// ---- matching (17.1.3, 17.2.3) ----

TEST(SipTransaction, ServerKeys) {
  const auto invite = server_key(request("INVITE"));
  ASSERT_TRUE(invite);
  EXPECT_EQ(invite->sent_by, "pc33.atlanta.com:5060");
  EXPECT_EQ(invite->method, "INVITE");
  EXPECT_EQ(server_key(request("ACK")), invite);  // ACK matches the INVITE
  EXPECT_NE(server_key(request("CANCEL")), invite);
  EXPECT_EQ(server_key(request("INVITE", "z9hG4bK776asdhds", "PC33.Atlanta.COM:5060")), invite);
  EXPECT_NE(server_key(request("INVITE", "z9hG4bK776asdhds", "pc33.atlanta.com:5070")), invite);
  EXPECT_NE(server_key(request("INVITE", "z9hG4bKother")), invite);
  EXPECT_FALSE(server_key(request("INVITE", "776asdhds")));  // RFC 2543: refused
}

// ---- the table ----

TEST(SipTransactionTable, RoutesResponsesAndReapsTerminated) {
  TransactionTable table;
  auto started = table.start_client(request("INVITE"), false, t0);
  ASSERT_TRUE(Ok(started));
  EXPECT_EQ(show(started->actions), (Strings{"send INVITE", "arm A@500", "arm B@32000"}));
  EXPECT_EQ(table.size(), 1U);
  EXPECT_TRUE(Fails(table.start_client(request("INVITE"), false, t0), Errc::exists));

  auto in = table.receive(response(180), at(100));
  EXPECT_EQ(in.kind, TransactionTable::Incoming::Kind::matched);
  EXPECT_EQ(in.update.id, started->id);
  EXPECT_EQ(show(in.update.actions), (Strings{"cancel A", "cancel B", "to_tu"}));
  // Another branch, or another method on this branch: stray.
  EXPECT_EQ(table.receive(response(180, "INVITE", "z9hG4bKx"), at(100)).kind,
            TransactionTable::Incoming::Kind::stray_response);
  EXPECT_EQ(table.receive(response(200, "CANCEL"), at(100)).kind, TransactionTable::Incoming::Kind::stray_response);

  in = table.receive(response(486), at(200));
  EXPECT_EQ(show(in.update.actions), (Strings{"to_tu", "send ACK", "arm D@32200"}));
  auto fired = table.on_timer(started->id, Timer::D, at(32200));
  EXPECT_EQ(show(fired.actions), (Strings{"terminated"}));
  EXPECT_EQ(table.size(), 0U);
  EXPECT_EQ(table.find(started->id), nullptr);
  EXPECT_TRUE(table.on_timer(started->id, Timer::D, at(32300)).actions.empty());
  EXPECT_EQ(table.receive(response(486), at(32300)).kind, TransactionTable::Incoming::Kind::stray_response);
}

TEST(SipTransactionTable, RoutesRequestsAckAndCancel) {
  using Kind = TransactionTable::Incoming::Kind;
  TransactionTable table;
  EXPECT_EQ(table.receive(request("INVITE"), t0).kind, Kind::new_request);
  EXPECT_EQ(table.receive(request("INVITE", "bare"), t0).kind, Kind::refused);
  auto invite = table.start_server(request("INVITE"), false, t0);
  ASSERT_TRUE(Ok(invite));
  EXPECT_EQ(show(invite->actions), (Strings{"send 100", "to_tu"}));

  auto in = table.receive(request("INVITE"), at(500));
  EXPECT_EQ(in.kind, Kind::matched);
  EXPECT_EQ(show(in.update.actions), (Strings{"send 100"}));

  // CANCEL: a new transaction of its own, which finds the INVITE's.
  auto cancel = request("CANCEL");
  EXPECT_EQ(table.receive(cancel, at(600)).kind, Kind::new_request);
  TransactionId target = 0;
  EXPECT_EQ(table.cancel_target(cancel, &target), table.find(invite->id));
  EXPECT_EQ(target, invite->id);
  EXPECT_EQ(table.cancel_target(request("CANCEL", "z9hG4bKother"), nullptr), nullptr);
  auto c = table.start_server(request("CANCEL"), false, at(600));
  ASSERT_TRUE(Ok(c));
  EXPECT_EQ(table.size(), 2U);
  EXPECT_EQ(show(table.send_response(c->id, *make_response(cancel, 200, "OK", "x"), at(600))->actions),
            (Strings{"send 200", "arm J@5600"}));
  // Answered over UDP, the CANCEL's transaction keeps only its response
  // for retransmissions: the TU no longer finds it.
  EXPECT_EQ(table.find(c->id), nullptr);
  EXPECT_FALSE(table.find(invite->id) == nullptr);
  in = table.receive(cancel, at(650));
  EXPECT_EQ(in.update.id, c->id);
  EXPECT_EQ(show(in.update.actions), (Strings{"send 200", "arm J@5650"}));
  EXPECT_TRUE(Fails(table.send_response(c->id, *make_response(cancel, 500, "Oops", "x"), at(660)), Errc::invalid));

  auto original = request("INVITE");
  auto r = table.send_response(invite->id, *make_response(original, 487, "Request Terminated", "x"), at(700));
  ASSERT_TRUE(Ok(r));
  EXPECT_EQ(show(r->actions), (Strings{"send 487", "arm G@1200", "arm H@32700"}));
  // The ACK for the 487 matches the INVITE transaction.
  in = table.receive(request("ACK"), at(800));
  EXPECT_EQ(in.kind, Kind::matched);
  EXPECT_EQ(in.update.id, invite->id);
  EXPECT_EQ(show(in.update.actions), (Strings{"cancel G", "cancel H", "arm I@5800"}));
  EXPECT_EQ(show(table.on_transport_error(invite->id, at(900)).actions),
            (Strings{"transport_error", "cancel I", "terminated"}));
  EXPECT_EQ(table.size(), 1U);
  // An ACK with no transaction (the ACK for a 2xx): for the core.
  EXPECT_EQ(table.receive(request("ACK"), at(1000)).kind, Kind::new_request);
  EXPECT_TRUE(Fails(table.start_server(request("ACK"), false, at(1000)), Errc::invalid));
  EXPECT_TRUE(Fails(table.send_response(999, response(200), at(1000)), Errc::not_found));
}

TEST(SipTransactionTable, ClientAndServerKeysDoNotMix) {
  using Kind = TransactionTable::Incoming::Kind;
  TransactionTable table;
  // A request looped back to us with our own branch is a new server
  // transaction, not a response to the client one.
  ASSERT_TRUE(Ok(table.start_client(request("OPTIONS"), false, t0)));
  EXPECT_EQ(table.receive(request("OPTIONS"), at(10)).kind, Kind::new_request);
  ASSERT_TRUE(Ok(table.start_server(request("OPTIONS"), false, at(10))));
  EXPECT_EQ(table.size(), 2U);
  // Compact Via and two values on a line: the top one is the key.
  auto compact = msg(
      "OPTIONS sip:bob@biloxi.com SIP/2.0\n"
      "v: SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bK776asdhds, SIP/2.0/UDP h2;branch=z9hG4bKz\n"
      "To: <sip:bob@biloxi.com>\n"
      "f: <sip:alice@atlanta.com>;tag=1\n"
      "i: other-call\n"
      "CSeq: 1 OPTIONS");
  auto in = table.receive(compact, at(20));
  EXPECT_EQ(in.kind, Kind::matched);
  EXPECT_TRUE(in.update.actions.empty());  // Trying absorbs the retransmission
}

TEST(SipTransactionTable, Bounded) {
  TransactionTable table;
  for (std::size_t i = 0; i < TransactionTable::kMaxTransactions; ++i) {
    ASSERT_TRUE(Ok(table.start_server(request("OPTIONS", "z9hG4bK" + std::to_string(i)), false, t0)));
  }
  EXPECT_EQ(table.size(), TransactionTable::kMaxTransactions);
  EXPECT_TRUE(Fails(table.start_server(request("OPTIONS", "z9hG4bKmore"), false, t0), Errc::limit));
  EXPECT_TRUE(Fails(table.start_client(request("OPTIONS", "z9hG4bKmore"), false, t0), Errc::limit));
}

}  // namespace
}  // namespace parley::sip
