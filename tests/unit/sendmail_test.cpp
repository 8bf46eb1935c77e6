// sendmail: parse_args (every option it takes or ignores, its usage
// errors), read_message (line ends, the lone dot, -i), header_addresses and
// without_bcc (-t), prepare (default sender, added From/Date/Message-ID,
// BODY=8BITMIME and SMTPUTF8, dot-stuffing), submit against a scripted
// smtpd on a socket pair (the transcript it sees, each refusal's exit
// status), and run over a real Unix socket.
#include "procs/sendmail/sendmail.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sysexits.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/temp_dir.h"

namespace parley::sendmail {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

Options parsed(const std::vector<std::string>& args) {
  auto r = parse_args(args);
  if (const auto* f = std::get_if<Failure>(&r)) {
    ADD_FAILURE() << "parse_args failed: " << f->message;
    return {};
  }
  return std::get<Options>(r);
}

int usage_status(const std::vector<std::string>& args) {
  auto r = parse_args(args);
  const auto* f = std::get_if<Failure>(&r);
  return f ? f->status : EX_OK;
}

std::string message_of(std::string_view input, bool ignore_dots = false) {
  auto r = read_message(input, ignore_dots);
  if (const auto* f = std::get_if<Failure>(&r)) {
    ADD_FAILURE() << "read_message failed: " << f->message;
    return {};
  }
  return std::get<std::string>(r);
}

Caller test_caller() {
  return Caller{"alice", "host.example", std::chrono::system_clock::time_point(std::chrono::seconds(1700000000))};
}

Submission prepared(Options options, std::string message) {
  auto r = prepare(std::move(options), std::move(message), test_caller());
  if (const auto* f = std::get_if<Failure>(&r)) {
    ADD_FAILURE() << "prepare failed: " << f->message;
    return {};
  }
  return std::get<Submission>(r);
}

TEST(SendmailArgs, RecipientsAndFlags) {
  auto o = parsed({"a@example.com", "b@example.net"});
  EXPECT_THAT(o.recipients, ElementsAre("a@example.com", "b@example.net"));
  EXPECT_FALSE(o.headers_recipients);
  EXPECT_FALSE(o.ignore_dots);
  EXPECT_TRUE(o.sender.empty());

  EXPECT_TRUE(parsed({"-t"}).headers_recipients);
  EXPECT_TRUE(parsed({"-i", "a@x"}).ignore_dots);
  EXPECT_TRUE(parsed({"-oi", "a@x"}).ignore_dots);
  EXPECT_THAT(parsed({"-t", "-i"}).recipients, IsEmpty());
}

TEST(SendmailArgs, SenderAndNameAttachedOrSeparate) {
  EXPECT_EQ(parsed({"-f", "s@example.org", "a@x"}).sender, "s@example.org");
  EXPECT_EQ(parsed({"-fs@example.org", "a@x"}).sender, "s@example.org");
  EXPECT_EQ(parsed({"-r", "s@example.org", "a@x"}).sender, "s@example.org");
  EXPECT_EQ(parsed({"-f", "<>", "a@x"}).sender, "<>");
  auto o = parsed({"-F", "Cron Daemon", "-f", "s@example.org", "a@x"});
  EXPECT_EQ(o.full_name, "Cron Daemon");
  EXPECT_EQ(o.sender, "s@example.org");
  EXPECT_THAT(o.recipients, ElementsAre("a@x"));
}

TEST(SendmailArgs, IgnoredOptionsAndTheirValues) {
  auto o = parsed({"-odi", "-oem", "-o", "Xvalue", "-v", "-m", "-U", "-bm", "-N", "never", "-Bbinary", "-R", "hdrs",
                   "-V", "envid", "-X", "log", "a@x"});
  EXPECT_THAT(o.recipients, ElementsAre("a@x"));
  EXPECT_FALSE(o.ignore_dots);
}

TEST(SendmailArgs, DoubleDashAndLoneDashStartRecipients) {
  EXPECT_THAT(parsed({"-t", "--", "-weird@x", "b@x"}).recipients, ElementsAre("-weird@x", "b@x"));
  EXPECT_THAT(parsed({"-", "b@x"}).recipients, ElementsAre("-", "b@x"));
  // Options end at the first recipient.
  EXPECT_THAT(parsed({"a@x", "-t"}).recipients, ElementsAre("a@x", "-t"));
  EXPECT_FALSE(parsed({"a@x", "-t"}).headers_recipients);
}

TEST(SendmailArgs, UsageErrors) {
  EXPECT_EQ(usage_status({"-bs"}), EX_USAGE);  // SMTP on stdin: not supported
  EXPECT_EQ(usage_status({"-bp"}), EX_USAGE);
  EXPECT_EQ(usage_status({"-bv", "a@x"}), EX_USAGE);
  EXPECT_EQ(usage_status({"-f"}), EX_USAGE);
  EXPECT_EQ(usage_status({"a@x", "-F"}), EX_OK);  // a recipient, not an option
  EXPECT_EQ(usage_status({"-F"}), EX_USAGE);
  EXPECT_EQ(usage_status({"-z", "a@x"}), EX_USAGE);
  auto r = parse_args({"-q"});
  ASSERT_TRUE(std::holds_alternative<Failure>(r));
  EXPECT_THAT(std::get<Failure>(r).message, HasSubstr("-q"));
}

TEST(SendmailMessage, LineEndsBecomeCrlf) {
  EXPECT_EQ(message_of("a\nb\n"), "a\r\nb\r\n");
  EXPECT_EQ(message_of("a\r\nb\r\n"), "a\r\nb\r\n");
  EXPECT_EQ(message_of("a\rb\r"), "a\r\nb\r\n");
  EXPECT_EQ(message_of("a\n\nb"), "a\r\n\r\nb\r\n");  // final line end added
  EXPECT_EQ(message_of("a\r\n\nb\r"), "a\r\n\r\nb\r\n");
  EXPECT_EQ(message_of(""), "");
}

TEST(SendmailMessage, LoneDotEndsUnlessIgnored) {
  EXPECT_EQ(message_of("a\n.\nb\n"), "a\r\n");
  EXPECT_EQ(message_of("a\r\n.\r\nb\r\n"), "a\r\n");
  EXPECT_EQ(message_of("a\n.\nb\n", true), "a\r\n.\r\nb\r\n");
  // Only a line of exactly one dot ends it.
  EXPECT_EQ(message_of("a\n..\n.b\n .\n"), "a\r\n..\r\n.b\r\n .\r\n");
}

TEST(SendmailMessage, TooLarge) {
  const std::string big(kMaxMessage + 1, 'x');
  auto r = read_message(big, false);
  ASSERT_TRUE(std::holds_alternative<Failure>(r));
  EXPECT_EQ(std::get<Failure>(r).status, EX_DATAERR);
}

TEST(SendmailHeaders, AddressesFromToCcBcc) {
  const std::string m =
      "From: me@example.org\r\n"
      "To: \"Bob, Jr.\" <bob@example.com>, carol@example.com (Carol)\r\n"
      "Cc: team: dave@example.net, erin@example.net;\r\n"
      "Bcc: <frank@example.org>\r\n"
      "Subject: To: nobody@example.com\r\n"
      "\r\n"
      "To: body@example.com\r\n";
  EXPECT_THAT(header_addresses(m), ElementsAre("bob@example.com", "carol@example.com", "dave@example.net",
                                               "erin@example.net", "frank@example.org"));
  EXPECT_THAT(header_addresses("To: undisclosed-recipients:;\r\n\r\n"), IsEmpty());
}

TEST(SendmailHeaders, WithoutBccDropsFoldedFieldsOnly) {
  const std::string m =
      "To: a@example.com\r\n"
      "BCC: b@example.com,\r\n"
      "\tc@example.com\r\n"
      "Subject: hi\r\n"
      "bcc: d@example.com\r\n"
      "\r\n"
      "Bcc: stays in the body\r\n";
  EXPECT_EQ(without_bcc(m), "To: a@example.com\r\nSubject: hi\r\n\r\nBcc: stays in the body\r\n");
}

TEST(SendmailPrepare, DefaultSenderAndAddedFields) {
  Options o;
  o.recipients = {"bob@example.com"};
  auto s = prepared(o, "Subject: hi\r\n\r\nbody\r\n");
  EXPECT_EQ(s.sender, "alice@host.example");
  EXPECT_THAT(s.recipients, ElementsAre("bob@example.com"));
  EXPECT_THAT(s.data, ::testing::StartsWith("From: <alice@host.example>\r\n"
                                            "Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n"
                                            "Message-ID: <"));
  EXPECT_THAT(s.data, HasSubstr("@host.example>\r\nSubject: hi\r\n\r\nbody\r\n"));
  EXPECT_FALSE(s.eight_bit);
  EXPECT_FALSE(s.utf8_address);
}

TEST(SendmailPrepare, ExistingFieldsKeptNullSenderAndFullName) {
  Options o;
  o.recipients = {"bob@example.com"};
  const std::string m = "From: x@example.org\r\nDate: Mon, 1 Jan 2024 00:00:00 +0000\r\nMessage-ID: <1@x>\r\n\r\nb\r\n";
  EXPECT_EQ(prepared(o, m).data, m);

  o.sender = "<>";
  o.full_name = "Cron Daemon";
  auto s = prepared(o, "Message-ID: <1@x>\r\nDate: Mon, 1 Jan 2024 00:00:00 +0000\r\n\r\nb\r\n");
  EXPECT_EQ(s.sender, "");
  EXPECT_THAT(s.data, ::testing::StartsWith("From: \"Cron Daemon\" <alice@host.example>\r\nMessage-ID"));
}

TEST(SendmailPrepare, HeaderRecipientsAndBcc) {
  Options o;
  o.headers_recipients = true;
  o.recipients = {"arg@example.com"};
  auto s = prepared(o, "To: bob@example.com\r\nBcc: hidden@example.com\r\nFrom: a@x\r\nDate: x\r\nMessage-ID: <1@x>\r\n\r\nb\r\n");
  EXPECT_THAT(s.recipients, ElementsAre("arg@example.com", "bob@example.com", "hidden@example.com"));
  EXPECT_THAT(s.data, ::testing::Not(HasSubstr("hidden")));

  Options none;
  none.headers_recipients = true;
  auto r = prepare(none, "Subject: nobody\r\n\r\n", test_caller());
  ASSERT_TRUE(std::holds_alternative<Failure>(r));
  EXPECT_EQ(std::get<Failure>(r).status, EX_USAGE);
  r = prepare(Options{}, "To: a@example.com\r\n\r\n", test_caller());  // without -t
  ASSERT_TRUE(std::holds_alternative<Failure>(r));
  EXPECT_EQ(std::get<Failure>(r).status, EX_USAGE);
}

TEST(SendmailPrepare, DotsStuffedNulsDropped8BitFlagged) {
  Options o;
  o.recipients = {"bob@example.com"};
  const std::string fields = "From: a@x\r\nDate: x\r\nMessage-ID: <1@x>\r\n\r\n";
  auto s = prepared(o, fields + ".\r\n..two\r\n.x\r\nmid.dot\r\n" + std::string("\0.\r\n", 4));
  EXPECT_EQ(s.data, fields + "..\r\n...two\r\n..x\r\nmid.dot\r\n..\r\n");
  EXPECT_FALSE(s.eight_bit);

  s = prepared(o, fields + "caf\xc3\xa9\r\n");
  EXPECT_TRUE(s.eight_bit);
  EXPECT_FALSE(s.utf8_address);
  o.recipients = {"j\xc3\xb6rg@example.com"};
  EXPECT_TRUE(prepared(o, fields).utf8_address);
}

// smtpd's side of a socket pair, in a thread: the first reply is the
// greeting; each line read gets the next one; after a 354 the data is read
// up to CRLF "." CRLF. With the replies used up it closes the connection.
class FakeSmtpd {
 public:
  explicit FakeSmtpd(std::vector<std::string> replies) {
    int fds[2];
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
    client_.reset(fds[0]);
    thread_ = std::thread([this, server = UniqueFd(fds[1]), replies = std::move(replies)]() mutable {
      serve(server.get(), replies);
    });
  }
  // Serves the first connection to `listener`, a listening socket, instead.
  FakeSmtpd(std::vector<std::string> replies, UniqueFd listener) : listener_(std::move(listener)) {
    thread_ = std::thread([this, replies = std::move(replies)] {
      UniqueFd server(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
      if (server.valid()) serve(server.get(), replies);
    });
  }
  ~FakeSmtpd() { finish(); }

  int fd() const { return client_.get(); }
  // Closes the client's end and waits for the server: then lines() and
  // data() are complete.
  void finish() {
    client_.reset();
    if (listener_.valid()) ::shutdown(listener_.get(), SHUT_RDWR);  // an accept still waiting returns
    if (thread_.joinable()) thread_.join();
  }
  const std::vector<std::string>& lines() const { return lines_; }
  const std::string& data() const { return data_; }

 private:
  void serve(int fd, const std::vector<std::string>& replies) {
    std::string in;
    auto take = [&](std::string_view end, std::string& out) {
      for (;;) {
        if (auto pos = in.find(end); pos != std::string::npos) {
          out = in.substr(0, pos);
          in.erase(0, pos + end.size());
          return true;
        }
        char buf[4096];
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n <= 0) return false;
        in.append(buf, static_cast<std::size_t>(n));
      }
    };
    // The greeting, and the reply to the message text, answer no line.
    bool answer_line = false;
    for (const auto& reply : replies) {
      if (answer_line) {
        std::string line;
        if (!take("\r\n", line)) return;
        lines_.push_back(line);
      }
      const std::string wire = reply + "\r\n";
      if (::send(fd, wire.data(), wire.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(wire.size())) return;
      answer_line = !reply.starts_with("354");
      if (!answer_line && !take("\r\n.\r\n", data_)) return;
    }
  }

  UniqueFd client_;
  UniqueFd listener_;
  std::thread thread_;
  std::vector<std::string> lines_;
  std::string data_;
};

Submission simple_submission() {
  Submission s;
  s.sender = "alice@host.example";
  s.recipients = {"bob@example.com", "carol@example.com"};
  s.data = "Subject: hi\r\n\r\n..dot\r\n";
  return s;
}

const std::vector<std::string> kAllAccepted = {"220 ready", "250 hello", "250 sender", "250 rcpt", "250 rcpt",
                                               "354 go",    "250 queued", "221 bye"};

TEST(SendmailSubmit, TranscriptOfAnAcceptedMessage) {
  FakeSmtpd smtpd(kAllAccepted);
  EXPECT_EQ(submit(smtpd.fd(), simple_submission()), std::nullopt);
  smtpd.finish();
  EXPECT_THAT(smtpd.lines(), ElementsAre("EHLO localhost", "MAIL FROM:<alice@host.example>",
                                         "RCPT TO:<bob@example.com>", "RCPT TO:<carol@example.com>", "DATA", "QUIT"));
  EXPECT_EQ(smtpd.data(), "Subject: hi\r\n\r\n..dot");
}

TEST(SendmailSubmit, BodyAndUtf8ParametersAndNullSender) {
  Submission s = simple_submission();
  s.sender.clear();
  s.recipients = {"bob@example.com"};
  s.eight_bit = true;
  s.utf8_address = true;
  FakeSmtpd smtpd({"220 ready", "250 hello", "250 sender", "250 rcpt", "354 go", "250 queued"});
  EXPECT_EQ(submit(smtpd.fd(), s), std::nullopt);
  smtpd.finish();
  ASSERT_GE(smtpd.lines().size(), 2u);
  EXPECT_EQ(smtpd.lines()[1], "MAIL FROM:<> BODY=8BITMIME SMTPUTF8");
}

struct Refusal {
  const char* name;
  std::vector<std::string> replies;
  int status;
  const char* says;
};

TEST(SendmailSubmit, EachRefusalHasItsStatus) {
  const Refusal cases[] = {
      {"greeting refused for policy", {"554 5.7.1 not you"}, EX_NOPERM, "not allowed"},
      {"greeting busy", {"421 4.3.2 busy"}, EX_TEMPFAIL, "mail system"},
      {"greeting refused", {"554 5.3.0 no"}, EX_UNAVAILABLE, "mail system"},
      {"EHLO refused", {"220 ready", "502 5.5.1 no"}, EX_PROTOCOL, "EHLO localhost refused"},
      {"sender not permitted", {"220 ready", "250 hello", "550 5.7.1 not allowed"}, EX_NOPERM, "not allowed"},
      {"sender refused", {"220 ready", "250 hello", "553 5.1.7 bad sender"}, EX_DATAERR, "MAIL FROM refused"},
      {"sender deferred", {"220 ready", "250 hello", "451 4.3.0 later"}, EX_TEMPFAIL, "MAIL FROM refused"},
      {"recipient refused", {"220 ready", "250 hello", "250 ok", "550 5.1.1 no such user"}, EX_NOUSER, "RCPT TO refused"},
      {"recipient deferred", {"220 ready", "250 hello", "250 ok", "450 4.2.1 later"}, EX_TEMPFAIL, "RCPT TO refused"},
      {"DATA refused", {"220 ready", "250 hello", "250 ok", "250 ok", "250 ok", "554 5.5.1 no"}, EX_PROTOCOL,
       "DATA refused"},
      {"message refused", {"220 ready", "250 hello", "250 ok", "250 ok", "250 ok", "354 go", "554 5.6.0 bad"},
       EX_DATAERR, "message refused"},
      {"message deferred", {"220 ready", "250 hello", "250 ok", "250 ok", "250 ok", "354 go", "452 4.3.1 full"},
       EX_TEMPFAIL, "message refused"},
      {"closed before greeting", {}, EX_TEMPFAIL, "closed the connection"},
      {"closed during data", {"220 ready", "250 hello", "250 ok", "250 ok", "250 ok", "354 go"}, EX_TEMPFAIL,
       "closed"},
      {"garbage reply", {"220 ready", "hello there"}, EX_PROTOCOL, "bad reply"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    FakeSmtpd smtpd(c.replies);
    auto f = submit(smtpd.fd(), simple_submission());
    ASSERT_TRUE(f.has_value());
    EXPECT_EQ(f->status, c.status) << f->message;
    EXPECT_THAT(f->message, HasSubstr(c.says));
  }
}

TEST(SendmailConnect, MissingOrOverlongSocket) {
  auto r = connect_socket("/nonexistent/parley/submit.sock");
  ASSERT_TRUE(std::holds_alternative<Failure>(r));
  EXPECT_EQ(std::get<Failure>(r).status, EX_UNAVAILABLE);
  r = connect_socket("/tmp/" + std::string(200, 'x'));
  ASSERT_TRUE(std::holds_alternative<Failure>(r));
  EXPECT_EQ(std::get<Failure>(r).status, EX_USAGE);
}

TEST(SendmailRun, UsageAndDataErrorsComeBeforeConnecting) {
  Options o;
  auto f = run(o, "Subject: x\n\nbody\n", test_caller(), "/nonexistent/submit.sock");
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->status, EX_USAGE);
  o.recipients = {"bob@example.com"};
  f = run(o, "Subject: x\n\nbody\n", test_caller(), "/nonexistent/submit.sock");
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->status, EX_UNAVAILABLE);
}

TEST(SendmailRun, SubmitsOverTheUnixSocket) {
  testkit::TempDir dir("parley-sendmail-test");
  const std::string path = dir.file("submit.sock");
  UniqueFd listener(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  ASSERT_LT(path.size(), sizeof addr.sun_path);
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  ASSERT_EQ(::bind(listener.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(listener.get(), 1), 0);
  FakeSmtpd smtpd({"220 ready", "250 hello", "250 sender", "250 rcpt", "354 go", "250 queued", "221 bye"},
                  std::move(listener));
  Options o;
  o.recipients = {"bob@example.com"};
  EXPECT_EQ(run(o, "Subject: hi\n\n.dot\n", test_caller(), path), std::nullopt);
  smtpd.finish();
  EXPECT_THAT(smtpd.lines(),
              ElementsAre("EHLO localhost", "MAIL FROM:<alice@host.example>", "RCPT TO:<bob@example.com>", "DATA", "QUIT"));
  EXPECT_THAT(smtpd.data(), ::testing::StartsWith("From: <alice@host.example>\r\n"));
  EXPECT_THAT(smtpd.data(), ::testing::EndsWith("\r\nSubject: hi\r\n\r\n..dot"));
}

}  // namespace
}  // namespace parley::sendmail
