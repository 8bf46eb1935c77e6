// Scripted dialogs with whole sessions (smtpd, IMAP, POP3) over an
// in-memory stream: client lines in, server lines out, no sockets, the
// directory and router faked (tests/support/session_rig.h). The malformed
// lines that once aborted imapd before login are here too.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "ipc/contracts/events.h"
#include "ipc/ipc.h"
#include "procs/imapd/imap_session.h"
#include "procs/imapd/pop3.h"
#include "procs/smtpd/session.h"
#include "store/store.h"
#include "schema/store.pb.h"
#include "tests/support/imapd_rig.h"
#include "tests/support/run.h"
#include "tests/support/smtpd_rig.h"

namespace parley {
namespace {

using testkit::Dialog;

const std::string kPlain = "AGRlbW9AZXhhbXBsZS50ZXN0AHNlY3JldA==";  // \0demo@example.test\0secret
const std::string kLongLine = std::string(1 << 20, 'A') + "\r\n";

bool starts(const std::string& s, std::string_view prefix) { return s.starts_with(prefix); }

// Whether a drain resolved once the session had ended and gone (the
// fixture holds the last reference to it).
template <class Session>
bool drained_when_gone(std::shared_ptr<Session>& session, asio::io_context& io, const bool& drained) {
  session.reset();
  io.poll();
  return drained;
}

// imapd's "events" endpoint, heard by the test as sipd hears it: the
// server is started (its publisher bound) and the subscription is known to
// have reached it before the dialog's changes.
class ImapdEvents {
 public:
  explicit ImapdEvents(testkit::ImapdRig& rig) : rig_(rig), subscriber_(rig.io, rig.context().endpoint("events")) {}

  // Starts the rig's server and announces INBOX until an event arrives (a
  // subscription reaches the publisher some time after connecting, and
  // events before it are dropped); then forgets what it heard.
  void start() {
    subscriber_.subscribe(contracts::kMailboxChanged, [this](std::string_view key, schema::MailboxEvent event) {
      EXPECT_EQ(key, event.account());
      heard_.push_back(std::move(event));
    });
    ASSERT_TRUE(subscriber_.start());
    ASSERT_TRUE(rig_.server().start());
    auto inbox = rig_.server().store().mailbox(testkit::kUser, "INBOX");
    ASSERT_TRUE(inbox);
    for (int tries = 0; heard_.empty() && tries < 500; ++tries) {
      rig_.server().changed(testkit::kUser, inbox->id);
      rig_.io.restart();
      rig_.io.run_for(std::chrono::milliseconds(10));
    }
    ASSERT_FALSE(heard_.empty());
    heard_.clear();
  }

  // The next event (published in order on one connection).
  schema::MailboxEvent next() {
    testkit::run_until(rig_.io, [this] { return !heard_.empty(); }, std::chrono::seconds(10));
    schema::MailboxEvent event = std::move(heard_.front());
    heard_.erase(heard_.begin());
    return event;
  }

 private:
  testkit::ImapdRig& rig_;
  ipc::Subscriber subscriber_;
  std::vector<schema::MailboxEvent> heard_;
};

// ---- POP3 ----

class Pop3Dialog : public ::testing::Test {
 protected:
  void open(std::string listener = "pop3") {
    auto& server = rig_.fresh_server();
    session_ = std::make_shared<imapd::Pop3Session>(server, dialog_.take_stream(), listener, "pop-test");
    dialog_.start(imapd::Pop3Session::run(session_));
  }
  std::size_t inbox_size() {
    auto& st = rig_.server().store();
    auto box = st.mailbox(testkit::kUser, "INBOX");
    EXPECT_TRUE(box);
    auto list = st.messages(testkit::kUser, box->id);
    EXPECT_TRUE(list);
    return list ? list->size() : 0;
  }

  testkit::ImapdRig rig_;
  Dialog dialog_{rig_.io};
  std::shared_ptr<imapd::Pop3Session> session_;
};

TEST_F(Pop3Dialog, MalformedLinesBeforeLoginGetErrorsAndTheSessionGoesOn) {
  open();
  EXPECT_EQ(dialog_.output(), "+OK Parley POP3 server ready\r\n");
  EXPECT_EQ(dialog_.say("FOO\r\n"), "-ERR unknown command\r\n");
  EXPECT_TRUE(starts(dialog_.say("USER\r\n"), "-ERR "));
  EXPECT_TRUE(starts(dialog_.say(std::string("CAPA\0\r\n", 7)), "-ERR "));
  EXPECT_TRUE(starts(dialog_.say("CAPA\nNOOP\nCAPA\r\n"), "-ERR "));
  // A 1 MiB line is one error, however it arrives.
  EXPECT_EQ(dialog_.say(kLongLine), "-ERR line too long\r\n");
  EXPECT_TRUE(starts(dialog_.say("CAPA\r\n"), "+OK Capability list follows\r\n"));
  EXPECT_EQ(dialog_.say("QUIT\r\n"), "+OK bye\r\n");
  EXPECT_TRUE(dialog_.ended());
}

TEST_F(Pop3Dialog, PasswordsOnlyAfterStls) {
  open();
  dialog_.output();
  EXPECT_EQ(dialog_.say("USER demo@example.test\r\n"), "-ERR [AUTH] encryption required: use STLS first\r\n");
  EXPECT_EQ(dialog_.say("STLS\r\n"), "+OK begin TLS negotiation\r\n");
  EXPECT_EQ(dialog_.say("USER demo@example.test\r\n"), "+OK\r\n");
  EXPECT_EQ(dialog_.say("PASS wrong\r\n"), "-ERR [AUTH] authentication failed\r\n");
  EXPECT_EQ(dialog_.say("PASS secret\r\n"), "-ERR USER first\r\n");
  EXPECT_TRUE(starts(dialog_.say("AUTH PLAIN " + kPlain + "\r\n"), "+OK maildrop has 3 messages"));
}

TEST_F(Pop3Dialog, RetrDeleQuitRemovesTheMessage) {
  open("pop3s");
  dialog_.output();
  EXPECT_TRUE(starts(dialog_.say("AUTH PLAIN " + kPlain + "\r\n"), "+OK maildrop has 3 messages"));
  EXPECT_TRUE(starts(dialog_.say("STAT\r\n"), "+OK 3 "));
  std::string retr = dialog_.say("RETR 1\r\n");
  EXPECT_TRUE(starts(retr, "+OK ")) << retr;
  EXPECT_NE(retr.find("Subject: hello\r\n"), std::string::npos);
  EXPECT_TRUE(retr.ends_with("\r\n.\r\n"));
  EXPECT_EQ(dialog_.say("DELE 1\r\n"), "+OK deleted\r\n");
  EXPECT_EQ(dialog_.say("RETR 1\r\n"), "-ERR no such message\r\n");
  EXPECT_TRUE(starts(dialog_.say("STAT\r\n"), "+OK 2 "));
  // Malformed lines after login are errors too, and change nothing.
  EXPECT_TRUE(starts(dialog_.say(std::string("CAPA\0\r\n", 7)), "-ERR "));
  EXPECT_TRUE(starts(dialog_.say("RETR 99999999999999999999\r\n"), "-ERR "));
  EXPECT_EQ(dialog_.say("QUIT\r\n"), "+OK bye\r\n");
  EXPECT_EQ(inbox_size(), 2u);
}

TEST_F(Pop3Dialog, QuitThatRemovesMessagesPublishesTheCounts) {
  open("pop3s");
  ImapdEvents events(rig_);
  events.start();
  dialog_.output();
  EXPECT_TRUE(starts(dialog_.say("AUTH PLAIN " + kPlain + "\r\n"), "+OK maildrop has 3 messages"));
  EXPECT_EQ(dialog_.say("DELE 2\r\n"), "+OK deleted\r\n");
  EXPECT_EQ(dialog_.say("QUIT\r\n"), "+OK bye\r\n");
  const schema::MailboxEvent event = events.next();
  EXPECT_EQ(event.account(), testkit::kUser);
  EXPECT_EQ(event.mailbox(), "INBOX");
  EXPECT_EQ(event.uid(), 0u);  // not a delivery
  EXPECT_EQ(event.messages(), 2u);
  EXPECT_EQ(event.unseen(), 2u);  // POP3 sets no \Seen
}

TEST_F(Pop3Dialog, TooManyErrorsEndTheSession) {
  open();
  dialog_.output();
  std::string out;
  for (int i = 0; i < 10 && !dialog_.ended(); ++i) out = dialog_.say("FOO\r\n");
  EXPECT_EQ(out, "-ERR too many errors, closing\r\n");
  EXPECT_TRUE(dialog_.ended());
}

TEST_F(Pop3Dialog, ASilentClientTimesOut) {
  open();
  dialog_.output();
  EXPECT_EQ(dialog_.say("USER demo@example.test\r\n").substr(0, 4), "-ERR");
  dialog_.client().expire();
  EXPECT_EQ(dialog_.output(), "-ERR timeout, closing\r\n");
  EXPECT_TRUE(dialog_.ended());
}

TEST_F(Pop3Dialog, DrainEndsAWaitingSession) {
  open("pop3s");
  dialog_.output();
  EXPECT_TRUE(starts(dialog_.say("AUTH PLAIN " + kPlain + "\r\n"), "+OK maildrop has 3 messages"));
  bool drained = false;
  testkit::spawn_flagged(rig_.io, rig_.server().front().drain(), drained);
  EXPECT_EQ(dialog_.output(), "-ERR [SYS/TEMP] server shutting down\r\n");
  EXPECT_TRUE(dialog_.ended());
  EXPECT_TRUE(drained_when_gone(session_, rig_.io, drained));
  // Nothing was deleted: the session did not reach UPDATE.
  EXPECT_EQ(inbox_size(), 3u);
}

// ---- IMAP ----

class ImapDialog : public ::testing::Test {
 protected:
  void open(std::string listener = "imap") {
    auto& server = rig_.fresh_server();
    session_ = std::make_shared<imapd::ImapSession>(server, dialog_.take_stream(), listener, "imap-test");
    dialog_.start(imapd::ImapSession::run(session_));
  }

  testkit::ImapdRig rig_;
  Dialog dialog_{rig_.io};
  std::shared_ptr<imapd::ImapSession> session_;
};

TEST_F(ImapDialog, LoginOnlyAfterStarttls) {
  open();
  std::string greeting = dialog_.output();
  EXPECT_TRUE(starts(greeting, "* OK [CAPABILITY ")) << greeting;
  EXPECT_NE(greeting.find("LOGINDISABLED"), std::string::npos);
  EXPECT_TRUE(starts(dialog_.say("a LOGIN demo@example.test secret\r\n"), "a NO "));
  EXPECT_TRUE(starts(dialog_.say("b STARTTLS\r\n"), "b OK "));
  std::string login = dialog_.say("c LOGIN demo@example.test secret\r\n");
  EXPECT_NE(login.find("c OK "), std::string::npos) << login;
}

TEST_F(ImapDialog, SelectFetchStoreIdle) {
  open("imaps");
  dialog_.output();
  EXPECT_NE(dialog_.say("a LOGIN demo@example.test secret\r\n").find("a OK "), std::string::npos);
  std::string select = dialog_.say("b SELECT INBOX\r\n");
  EXPECT_NE(select.find("* 3 EXISTS\r\n"), std::string::npos) << select;
  EXPECT_NE(select.find("b OK [READ-WRITE]"), std::string::npos) << select;
  std::string fetch = dialog_.say("c FETCH 2 (FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])\r\n");
  EXPECT_NE(fetch.find("Subject: Re: hello"), std::string::npos) << fetch;
  std::string store = dialog_.say("d STORE 2 +FLAGS (\\Seen)\r\n");
  EXPECT_NE(store.find("* 2 FETCH (FLAGS ("), std::string::npos) << store;
  EXPECT_NE(store.find("\\Seen))"), std::string::npos) << store;
  EXPECT_TRUE(starts(dialog_.say("e IDLE\r\n"), "+ "));
  EXPECT_TRUE(starts(dialog_.say("DONE\r\n"), "e OK "));
  EXPECT_NE(dialog_.say("f LOGOUT\r\n").find("* BYE"), std::string::npos);
  EXPECT_TRUE(dialog_.ended());
}

TEST_F(ImapDialog, FlagChangesAndExpungesArePublishedWithTheCounts) {
  open("imaps");
  ImapdEvents events(rig_);
  events.start();
  dialog_.output();
  EXPECT_NE(dialog_.say("a LOGIN demo@example.test secret\r\n").find("a OK "), std::string::npos);
  EXPECT_NE(dialog_.say("b SELECT INBOX\r\n").find("b OK "), std::string::npos);
  EXPECT_TRUE(starts(dialog_.say("c STORE 1:2 +FLAGS (\\Seen)\r\n"), "* 1 FETCH"));
  schema::MailboxEvent event = events.next();
  EXPECT_EQ(event.account(), testkit::kUser);
  EXPECT_EQ(event.mailbox(), "INBOX");
  EXPECT_EQ(event.messages(), 3u);
  EXPECT_EQ(event.unseen(), 1u);
  // Reading a body sets \Seen too (RFC 9051 6.4.5).
  EXPECT_TRUE(starts(dialog_.say("d FETCH 3 BODY[TEXT]\r\n"), "* 3 FETCH"));
  event = events.next();
  EXPECT_EQ(event.unseen(), 0u);
  EXPECT_TRUE(starts(dialog_.say("e STORE 2 +FLAGS.SILENT (\\Deleted)\r\n"), "e OK"));
  EXPECT_EQ(events.next().unseen(), 0u);  // a flag change, counts as they were
  EXPECT_NE(dialog_.say("f EXPUNGE\r\n").find("* 2 EXPUNGE"), std::string::npos);
  event = events.next();
  EXPECT_EQ(event.messages(), 2u);
  EXPECT_EQ(event.unseen(), 0u);
  EXPECT_TRUE(starts(dialog_.say("g STORE 1 -FLAGS (\\Seen)\r\n"), "* 1 FETCH"));
  EXPECT_EQ(events.next().unseen(), 1u);
  // Renaming INBOX moves its messages away and leaves an empty INBOX.
  EXPECT_TRUE(starts(dialog_.say("h RENAME INBOX Old\r\n"), "h OK"));
  event = events.next();
  EXPECT_EQ(event.mailbox(), "Old");
  EXPECT_EQ(event.messages(), 2u);
  event = events.next();
  EXPECT_EQ(event.mailbox(), "INBOX");
  EXPECT_EQ(event.messages(), 0u);
  EXPECT_EQ(event.unseen(), 0u);
}

TEST_F(ImapDialog, MalformedLinesGetBadAndTheSessionGoesOn) {
  open("imaps");
  dialog_.output();
  const std::vector<std::string> lines = {"FOO\r\n", "USER\r\n", std::string("CAPA\0\r\n", 7),
                                         std::string("a\0\r\n", 4), "b LIST (((\r\n", "c\r\n"};
  for (const std::string& line : lines) {
    std::string out = dialog_.say(line);
    EXPECT_NE(out.find("BAD"), std::string::npos) << line << " -> " << out;
    EXPECT_FALSE(dialog_.ended());
  }
  EXPECT_TRUE(starts(dialog_.say("d NOOP\r\n"), "d OK"));
  EXPECT_NE(dialog_.say("e LOGIN demo@example.test secret\r\n").find("e OK "), std::string::npos);
  std::string bad = dialog_.say("f FETCH 1:* (FLAGS\r\n");
  EXPECT_NE(bad.find("f BAD"), std::string::npos) << bad;
  EXPECT_TRUE(starts(dialog_.say("g NOOP\r\n"), "g OK"));
}

TEST_F(ImapDialog, AuthenticateTakesItsResponseOnAContinuation) {
  open("imaps");
  dialog_.output();
  EXPECT_EQ(dialog_.say("a AUTHENTICATE PLAIN\r\n"), "+ \r\n");
  // "*" cancels (RFC 9051 section 6.2.2).
  EXPECT_TRUE(starts(dialog_.say("*\r\n"), "a BAD "));
  EXPECT_EQ(dialog_.say("b AUTHENTICATE PLAIN\r\n"), "+ \r\n");
  EXPECT_TRUE(starts(dialog_.say("AGRlbW9AZXhhbXBsZS50ZXN0AHdyb25n\r\n"), "b NO "));  // wrong password
  EXPECT_EQ(dialog_.say("c AUTHENTICATE PLAIN\r\n"), "+ \r\n");
  std::string ok = dialog_.say(kPlain + "\r\n");
  EXPECT_NE(ok.find("c OK "), std::string::npos) << ok;
  EXPECT_TRUE(starts(dialog_.say("d SELECT INBOX\r\n"), "* "));
}

TEST_F(ImapDialog, ASilentClientIsLoggedOut) {
  open("imaps");
  dialog_.output();
  dialog_.client().expire();
  EXPECT_EQ(dialog_.output(), "* BYE Autologout; idle for too long\r\n");
  EXPECT_TRUE(dialog_.ended());
}

TEST_F(ImapDialog, IdleSendsKeepalivesUntilDone) {
  open("imaps");
  dialog_.output();
  EXPECT_NE(dialog_.say("a LOGIN demo@example.test secret\r\n").find("a OK "), std::string::npos);
  EXPECT_NE(dialog_.say("b SELECT INBOX\r\n").find("b OK "), std::string::npos);
  EXPECT_TRUE(starts(dialog_.say("c IDLE\r\n"), "+ "));
  // The timeout while idling is the keepalive, not the end.
  dialog_.client().expire();
  EXPECT_TRUE(starts(dialog_.output(), "* OK ")) << "keepalive";
  EXPECT_FALSE(dialog_.ended());
  EXPECT_TRUE(starts(dialog_.say("DONE\r\n"), "c OK "));
}

TEST_F(ImapDialog, TooManyErrorsEndTheSession) {
  open("imaps");
  dialog_.output();
  std::string out;
  for (int i = 0; i < 30 && !dialog_.ended(); ++i) out = dialog_.say("x FOO\r\n");
  EXPECT_TRUE(dialog_.ended());
  EXPECT_NE(out.find("* BYE "), std::string::npos) << out;
}

TEST_F(ImapDialog, DrainSaysByeToAWaitingSession) {
  open("imaps");
  dialog_.output();
  EXPECT_NE(dialog_.say("a LOGIN demo@example.test secret\r\n").find("a OK "), std::string::npos);
  bool drained = false;
  testkit::spawn_flagged(rig_.io, rig_.server().front().drain(), drained);
  EXPECT_EQ(dialog_.output(), "* BYE [UNAVAILABLE] Server shutting down\r\n");
  EXPECT_TRUE(dialog_.ended());
  EXPECT_TRUE(drained_when_gone(session_, rig_.io, drained));
}

// How imapd words the store's name and rights outcomes (store/access.h;
// the outcomes themselves are store_access_test's): demo's view of bob's
// mailboxes, each shared with a different ACL.
TEST_F(ImapDialog, SharedMailboxRepliesByRight) {
  open("imaps");
  dialog_.output();
  store::Store& st = rig_.server().store();
  const std::string bob = "bob@example.test";
  ASSERT_TRUE(st.ensure_account(bob).ok());
  const struct {
    std::string_view mailbox, identifier, rights;
  } acl[] = {
      {"INBOX", testkit::kUser, "lr"},
      {"Lists", "anyone", "l"},
      {"Lists/dev", "authenticated", "lrswi"},
      {"Lists/dev", "-demo@example.test", "w"},
      {"Secret", "carol@example.test", "lr"},
      {"Drop", testkit::kUser, "i"},
      {"Admin", testkit::kUser, "lra"},
      {"Kids", testkit::kUser, "lk"},
      {"Del", testkit::kUser, "lx"},
      {"Ronly", testkit::kUser, "r"},
  };
  for (const auto& e : acl) {
    auto made = st.create_mailbox(bob, e.mailbox);
    ASSERT_TRUE(made || made.code() == Errc::exists) << e.mailbox;
    ASSERT_TRUE(st.set_acl(bob, e.mailbox, e.identifier, e.rights).ok()) << e.mailbox;
  }
  for (std::string_view box : {"INBOX", "Lists/dev"}) {
    store::NewMessage m;
    m.account = bob;
    m.mailbox = std::string(box);
    m.body = "Subject: hello\r\n\r\nHi.\r\n";
    ASSERT_TRUE(st.append(m).ok());
  }
  EXPECT_NE(dialog_.say("a LOGIN demo@example.test secret\r\n").find("a OK "), std::string::npos);
  // Command -> the reply's last line (with the untagged line before it, if any).
  const std::pair<std::string, std::string> script[] = {
      {"b LIST \"\" \"~*\"", "* LIST (\\HasNoChildren) \"/\" ~bob@example.test/Lists/dev\r\nb OK LIST completed"},
      // Without "l" a mailbox is not there; without "r" it cannot be read.
      {"c STATUS \"~bob@example.test/Secret\" (MESSAGES)", "c NO [NONEXISTENT] No such mailbox"},
      {"c STATUS \"~bob@example.test/Ronly\" (MESSAGES)", "c NO [NONEXISTENT] No such mailbox"},
      {"c STATUS \"~bob@example.test/Nope\" (MESSAGES)", "c NO [NONEXISTENT] No such mailbox"},
      {"c STATUS \"~nobody@example.test/INBOX\" (MESSAGES)", "c NO [NONEXISTENT] No such mailbox"},
      {"c EXAMINE \"~bob@example.test/Kids\"", "c NO [NOPERM] You may not read this mailbox"},
      {"c STATUS \"~/x\" (MESSAGES)", "c NO [NONEXISTENT] Use ~user/mailbox for another user's mailbox"},
      {"d MYRIGHTS \"~bob@example.test/Ronly\"", "* MYRIGHTS ~bob@example.test/Ronly r\r\nd OK MYRIGHTS completed"},
      {"d MYRIGHTS \"~bob@example.test/Lists/dev\"",
       "* MYRIGHTS ~bob@example.test/Lists/dev lrsi\r\nd OK MYRIGHTS completed"},
      {"d MYRIGHTS \"~bob@example.test/Secret\"", "d NO [NONEXISTENT] No such mailbox"},
      {"e GETACL \"~bob@example.test/INBOX\"", "e NO [NOPERM] You may not administer this mailbox"},
      {"e GETACL \"~bob@example.test/Admin\"",
       "* ACL ~bob@example.test/Admin bob@example.test lrswipkxtea demo@example.test lra\r\ne OK GETACL completed"},
      {"e SETACL \"~bob@example.test/Admin\" bob@example.test lr", "e NO [CANNOT] The owner's rights cannot be changed"},
      {"f APPEND \"~bob@example.test/Drop\" {5+}\r\nhello", "f OK [APPENDUID "},
      {"f APPEND \"~bob@example.test/INBOX\" {5+}\r\nhello", "f NO [NOPERM] You may not append here"},
      {"f APPEND \"~bob@example.test/Nope\" {5+}\r\nhello", "f NO [TRYCREATE] No such mailbox"},
      {"f APPEND \"~\" {5+}\r\nhello", "f NO [TRYCREATE] Use ~user/mailbox for another user's mailbox"},
      {"g CREATE \"~bob@example.test/Kids/new\"", "g OK CREATE completed"},
      {"g CREATE \"~bob@example.test/Top\"", "g NO [NOPERM] You may not create mailboxes there"},
      {"g CREATE \"#public/Mine\"", "g NO [NOPERM] You may not create mailboxes there"},
      {"g CREATE \"~/x\"", "g NO [CANNOT] Use ~user/mailbox for another user's mailbox"},
      {"h SUBSCRIBE \"~bob@example.test/INBOX\"", "h NO [CANNOT] Only your own mailboxes can be subscribed"},
      {"h RENAME \"~bob@example.test/Del\" \"~bob@example.test/Del2\"", "h OK RENAME completed"},
      {"h RENAME \"~bob@example.test/INBOX\" Mine", "h NO [CANNOT] Mailboxes cannot move between accounts"},
      {"h DELETE \"~bob@example.test/Lists\"", "h NO [NOPERM] You may not delete this mailbox"},
      {"h DELETE \"~bob@example.test/Del2\"", "h OK DELETE completed"},
      {"i SELECT INBOX", "i OK [READ-WRITE] SELECT completed"},
      {"i COPY 1 \"~bob@example.test/INBOX\"", "i NO [NOPERM] You may not add messages there"},
      {"i COPY 1 \"~bob@example.test/Nope\"", "i NO [TRYCREATE] No such mailbox"},
      // lrsi: \Seen and replacing flags, not \Flagged, no expunging.
      {"j SELECT \"~bob@example.test/Lists/dev\"", "j OK [READ-WRITE] SELECT completed"},
      {"j STORE 1 +FLAGS.SILENT (\\Seen)", "j OK STORE completed"},
      {"j STORE 1 +FLAGS.SILENT (\\Flagged)", "j NO [NOPERM] You may not change these flags"},
      {"j STORE 1 FLAGS.SILENT (\\Flagged)", "j OK STORE completed"},
      {"j EXPUNGE", "j NO [NOPERM] You may not expunge here"},
      {"j MOVE 1 INBOX", "j NO [NOPERM] You may not move messages out of this mailbox"},
      // lr: read-only.
      {"k SELECT \"~bob@example.test/INBOX\"", "k OK [READ-ONLY] EXAMINE completed"},
  };
  for (const auto& [command, reply] : script) {
    std::string out = dialog_.say(command + "\r\n");
    EXPECT_NE(out.find(reply), std::string::npos) << command << " -> " << out;
  }
}

// ---- SMTP ----

class SmtpDialog : public ::testing::Test {
 protected:
  void open(std::string listener = "smtp") {
    session_ = std::make_shared<smtpd::Session>(rig_.server(), dialog_.take_stream(), listener, "smtp-test");
    dialog_.start(smtpd::Session::run(session_));
  }

  testkit::SmtpdRig rig_;
  Dialog dialog_{rig_.io};
  std::shared_ptr<smtpd::Session> session_;
};

TEST_F(SmtpDialog, AMessageIsQueuedBeforeItsReply) {
  open();
  EXPECT_TRUE(starts(dialog_.output(), "220 mx.example.test ESMTP"));
  std::string ehlo = dialog_.say("EHLO client.example\r\n");
  EXPECT_TRUE(starts(ehlo, "250-mx.example.test")) << ehlo;
  EXPECT_NE(ehlo.find("STARTTLS\r\n"), std::string::npos) << ehlo;
  EXPECT_TRUE(starts(dialog_.say("MAIL FROM:<a@example.org>\r\n"), "250 "));
  EXPECT_TRUE(starts(dialog_.say("RCPT TO:<demo@example.test>\r\n"), "250 "));
  EXPECT_TRUE(starts(dialog_.say("RCPT TO:<someone@remote.example>\r\n"), "554 5.7.1"));
  EXPECT_TRUE(starts(dialog_.say("DATA\r\n"), "354 "));
  EXPECT_EQ(rig_.backends().enqueued(), 0u);
  EXPECT_TRUE(starts(dialog_.say("Subject: hi\r\n\r\nbody\r\n.\r\n"), "250 "));
  EXPECT_EQ(rig_.backends().enqueued(), 1u);
  EXPECT_TRUE(starts(dialog_.say("QUIT\r\n"), "221 "));
}

TEST_F(SmtpDialog, AuthOnlyAfterStarttls) {
  open("submission");
  dialog_.output();
  EXPECT_EQ(dialog_.say("EHLO c\r\n").find("AUTH"), std::string::npos);
  EXPECT_TRUE(starts(dialog_.say("AUTH PLAIN " + kPlain + "\r\n"), "538 "));
  EXPECT_TRUE(starts(dialog_.say("STARTTLS\r\n"), "220 "));
  std::string ehlo = dialog_.say("EHLO c\r\n");
  EXPECT_NE(ehlo.find("AUTH PLAIN LOGIN SCRAM-SHA-256\r\n"), std::string::npos) << ehlo;
  EXPECT_TRUE(starts(dialog_.say("AUTH PLAIN " + kPlain + "\r\n"), "235 "));
  EXPECT_TRUE(starts(dialog_.say("MAIL FROM:<demo@example.test>\r\n"), "250 "));
  EXPECT_TRUE(starts(dialog_.say("RCPT TO:<someone@remote.example>\r\n"), "250 "));
}

TEST_F(SmtpDialog, MalformedLinesGetErrorsUntilTheLimit) {
  open();
  dialog_.output();
  const std::vector<std::string> lines = {"FOO\r\n", "USER\r\n", std::string("CAPA\0\r\n", 7), "MAIL FROM:garbage\r\n"};
  for (const std::string& line : lines) {
    std::string out = dialog_.say(line);
    EXPECT_TRUE(out.size() > 4 && out[0] == '5') << line << " -> " << out;
  }
  EXPECT_TRUE(starts(dialog_.say(kLongLine), "500 "));
  EXPECT_TRUE(starts(dialog_.say("NOOP\r\n"), "250 "));
  std::string out;
  for (int i = 0; i < 10 && !dialog_.ended(); ++i) out = dialog_.say("FOO\r\n");
  EXPECT_TRUE(starts(out, "421 ")) << out;
  EXPECT_TRUE(dialog_.ended());
}

TEST_F(SmtpDialog, AuthLoginAndFailures) {
  open("submission");
  dialog_.output();
  dialog_.say("STARTTLS\r\n");
  dialog_.say("EHLO c\r\n");
  EXPECT_TRUE(starts(dialog_.say("AUTH PLAIN AGRlbW9AZXhhbXBsZS50ZXN0AHdyb25n\r\n"), "535 5.7.8 "));
  EXPECT_TRUE(starts(dialog_.say("AUTH CRAM-MD5\r\n"), "504 "));
  // Challenges the client cancels with "*" (RFC 4954 section 4); an empty
  // one is "334 ", with its space.
  EXPECT_EQ(dialog_.say("AUTH PLAIN\r\n"), "334 \r\n");
  EXPECT_TRUE(starts(dialog_.say("*\r\n"), "501 "));
  EXPECT_TRUE(starts(dialog_.say("AUTH SCRAM-SHA-256\r\n"), "334 "));
  EXPECT_TRUE(starts(dialog_.say("*\r\n"), "501 "));
  // LOGIN: user name and password on two challenges.
  EXPECT_EQ(dialog_.say("AUTH LOGIN\r\n"), "334 VXNlcm5hbWU6\r\n");            // "Username:"
  EXPECT_EQ(dialog_.say("ZGVtb0BleGFtcGxlLnRlc3Q=\r\n"), "334 UGFzc3dvcmQ6\r\n");  // "Password:"
  EXPECT_TRUE(starts(dialog_.say("c2VjcmV0\r\n"), "235 "));
  EXPECT_TRUE(starts(dialog_.say("AUTH PLAIN " + kPlain + "\r\n"), "503 "));  // once per session
}

TEST_F(SmtpDialog, ASilentClientTimesOut) {
  open();
  dialog_.output();
  dialog_.say("EHLO c\r\n");
  dialog_.client().expire();
  EXPECT_EQ(dialog_.output(), "421 4.4.2 Timeout, closing connection\r\n");
  EXPECT_TRUE(dialog_.ended());
}

TEST_F(SmtpDialog, DrainLetsTheTransactionFinish) {
  open();
  dialog_.output();
  dialog_.say("EHLO c\r\n");
  EXPECT_TRUE(starts(dialog_.say("MAIL FROM:<a@example.org>\r\n"), "250 "));
  bool drained = false;
  testkit::spawn_flagged(rig_.io, rig_.server().front().drain(), drained);
  EXPECT_TRUE(starts(dialog_.say("RCPT TO:<demo@example.test>\r\n"), "250 "));
  EXPECT_TRUE(starts(dialog_.say("DATA\r\n"), "354 "));
  EXPECT_FALSE(drained);
  std::string out = dialog_.say("Subject: hi\r\n\r\nbody\r\n.\r\n");
  EXPECT_TRUE(starts(out, "250 ")) << out;
  EXPECT_NE(out.find("421 4.3.2 "), std::string::npos) << out;
  EXPECT_EQ(rig_.backends().enqueued(), 1u);
  EXPECT_TRUE(dialog_.ended());
  EXPECT_TRUE(drained_when_gone(session_, rig_.io, drained));
}

TEST_F(SmtpDialog, ABdatTransaction) {
  open();
  dialog_.output();
  EXPECT_NE(dialog_.say("EHLO c\r\n").find("CHUNKING"), std::string::npos);
  dialog_.say("MAIL FROM:<a@example.org>\r\n");
  dialog_.say("RCPT TO:<demo@example.test>\r\n");
  EXPECT_TRUE(starts(dialog_.say("BDAT 13\r\nSubject: hi\r\n"), "250 "));
  EXPECT_TRUE(starts(dialog_.say("BDAT 6 LAST\r\n\r\nbody"), "250 "));
  EXPECT_EQ(rig_.backends().enqueued(), 1u);
  dialog_.say("MAIL FROM:<a@example.org>\r\n");
  EXPECT_TRUE(starts(dialog_.say("BDAT 3\r\nabc"), "554 5.5.1 "));  // no recipients
}

}  // namespace
}  // namespace parley
