// parley_smtp: table-driven command lines (each valid one also fed one
// byte at a time), the DATA reader's smuggling table, BDAT chunks,
// dot-stuffing and reply formatting. The tables seed
// tests/fuzz/corpus/smtp_command_fuzz/ and smtp_data_fuzz/.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "smtp/command.h"
#include "smtp/data.h"
#include "smtp/reply.h"

namespace parley::smtp {
namespace {

using namespace std::string_literals;
using namespace std::string_view_literals;

// One line summary of a command, so tables can state the expected result.
std::string describe(const Command& cmd) {
  std::string out(verb_name(cmd.verb));
  if (!cmd.argument.empty()) out += " arg=" + cmd.argument;
  if (cmd.initial_response) out += " ir=" + *cmd.initial_response;
  if (cmd.verb == Verb::mail || cmd.verb == Verb::rcpt) {
    const Path& p = cmd.path;
    out += " path=";
    out += p.null ? "<>" : p.postmaster ? "PM:" + p.mailbox.local : p.mailbox.local + "@" + p.mailbox.domain;
    if (p.utf8) out += " utf8";
  }
  const MailParams& m = cmd.mail;
  if (m.size) out += " size=" + std::to_string(*m.size);
  if (m.body != Body::unspecified) out += " body=" + std::to_string(static_cast<int>(m.body));
  if (m.smtputf8) out += " smtputf8";
  if (m.ret != Ret::unspecified) out += m.ret == Ret::full ? " ret=full" : " ret=hdrs";
  if (m.envid) out += " envid=" + *m.envid;
  if (m.auth) out += " auth=" + *m.auth;
  const RcptParams& r = cmd.rcpt;
  if (r.notify) {
    out += " notify=";
    if (r.notify->never) out += 'N';
    if (r.notify->success) out += 'S';
    if (r.notify->failure) out += 'F';
    if (r.notify->delay) out += 'D';
  }
  if (r.orcpt) out += " orcpt=" + *r.orcpt_type + ";" + *r.orcpt;
  if (cmd.verb == Verb::bdat) out += " chunk=" + std::to_string(cmd.bdat_size) + (cmd.bdat_last ? " last" : "");
  return out;
}

struct Valid {
  std::string line;  // without CRLF
  std::string expect;
};

const Valid kValid[] = {
    {"HELO example.com", "HELO arg=example.com"},
    {"ehlo [192.0.2.1]", "EHLO arg=[192.0.2.1]"},
    {"EHLO client.example ", "EHLO arg=client.example"},
    {"MAIL FROM:<alice@example.com>", "MAIL path=alice@example.com"},
    {"mail from:<alice@example.com>", "MAIL path=alice@example.com"},
    {"MAIL FROM:<>", "MAIL path=<>"},
    {"MAIL FROM: <alice@example.com>", "MAIL path=alice@example.com"},  // SP after colon: accepted
    {"MAIL FROM:<@a.example,@b.example:u@d.example>", "MAIL path=u@d.example"},
    {"MAIL FROM:<\"a>b\"@example.com>", "MAIL path=a>b@example.com"},
    {"MAIL FROM:<a@b> SIZE=1000", "MAIL path=a@b size=1000"},
    {"MAIL FROM:<a@b> size=99999999999999999999", "MAIL path=a@b size=18446744073709551615"},
    {"MAIL FROM:<a@b> BODY=7BIT", "MAIL path=a@b body=1"},
    {"MAIL FROM:<a@b> body=8bitmime", "MAIL path=a@b body=2"},
    {"MAIL FROM:<a@b> BODY=BINARYMIME", "MAIL path=a@b body=3"},
    {"MAIL FROM:<a@b> SMTPUTF8", "MAIL path=a@b smtputf8"},
    {"MAIL FROM:<δοκιμή@example.com> SMTPUTF8", "MAIL path=δοκιμή@example.com utf8 smtputf8"},
    {"MAIL FROM:<a@b> RET=FULL", "MAIL path=a@b ret=full"},
    {"MAIL FROM:<a@b> ret=hdrs", "MAIL path=a@b ret=hdrs"},
    {"MAIL FROM:<a@b> ENVID=QQ314159+2B+3D", "MAIL path=a@b envid=QQ314159+="},
    {"MAIL FROM:<a@b> AUTH=<>", "MAIL path=a@b auth=<>"},
    {"MAIL FROM:<a@b> AUTH=e+2Bx@example.com", "MAIL path=a@b auth=e+x@example.com"},
    {"MAIL FROM:<a@b>  SIZE=5   BODY=8BITMIME  ", "MAIL path=a@b size=5 body=2"},
    {"RCPT TO:<bob@example.org>", "RCPT path=bob@example.org"},
    {"RCPT TO:<Postmaster>", "RCPT path=PM:Postmaster"},
    {"rcpt to:<postmaster>", "RCPT path=PM:postmaster"},
    {"RCPT TO:<PostMaster>", "RCPT path=PM:PostMaster"},  // any case (RFC 5321 4.5.1)
    {"RCPT TO:<POSTMASTER> NOTIFY=NEVER", "RCPT path=PM:POSTMASTER notify=N"},
    {"RCPT TO:<postmaster@example.org>", "RCPT path=postmaster@example.org"},
    {"RCPT TO:<@hop.example:bob@example.org>", "RCPT path=bob@example.org"},
    {"RCPT TO:<δοκιμή@example.com>", "RCPT path=δοκιμή@example.com utf8"},
    {"RCPT TO:<b@c> NOTIFY=NEVER", "RCPT path=b@c notify=N"},
    {"RCPT TO:<b@c> NOTIFY=SUCCESS,FAILURE,DELAY", "RCPT path=b@c notify=SFD"},
    {"RCPT TO:<b@c> notify=delay", "RCPT path=b@c notify=D"},
    {"RCPT TO:<b@c> ORCPT=rfc822;b+40c", "RCPT path=b@c orcpt=rfc822;b@c"},
    {"RCPT TO:<b@c> NOTIFY=FAILURE ORCPT=rfc822;x@y", "RCPT path=b@c notify=F orcpt=rfc822;x@y"},
    {"DATA", "DATA"},
    {"data", "DATA"},
    {"BDAT 0 LAST", "BDAT chunk=0 last"},
    {"BDAT 1000", "BDAT chunk=1000"},
    {"bdat 42 last", "BDAT chunk=42 last"},
    {"RSET", "RSET"},
    {"NOOP", "NOOP"},
    {"NOOP hello  there", "NOOP arg=hello  there"},
    {"QUIT", "QUIT"},
    {"VRFY alice", "VRFY arg=alice"},
    {"EXPN staff", "EXPN arg=staff"},
    {"HELP", "HELP"},
    {"HELP MAIL", "HELP arg=MAIL"},
    {"STARTTLS", "STARTTLS"},
    {"AUTH PLAIN", "AUTH arg=PLAIN"},
    {"auth plain AGFsaWNlAHNlY3JldA==", "AUTH arg=PLAIN ir=AGFsaWNlAHNlY3JldA=="},
    {"AUTH SCRAM-SHA-256 =", "AUTH arg=SCRAM-SHA-256 ir=="},
};

TEST(ParseCommand, ValidWhole) {
  for (const auto& c : kValid) {
    std::string buf = c.line + "\r\n";
    const auto cmd = parse_command(buf, Limits{});
    ASSERT_TRUE(cmd.ok()) << c.line << ": " << cmd.error().detail;
    ASSERT_TRUE(cmd->has_value()) << c.line;
    EXPECT_EQ(describe(**cmd), c.expect) << c.line;
    EXPECT_TRUE(buf.empty()) << c.line;
  }
}

TEST(ParseCommand, ValidByteAtATime) {
  for (const auto& c : kValid) {
    const std::string wire = c.line + "\r\n";
    std::string buf;
    for (std::size_t i = 0; i < wire.size(); ++i) {
      buf += wire[i];
      const auto cmd = parse_command(buf, Limits{});
      ASSERT_TRUE(cmd.ok()) << c.line << " at " << i;
      if (i + 1 < wire.size()) {
        ASSERT_FALSE(cmd->has_value()) << c.line << " completed early at " << i;
      } else {
        ASSERT_TRUE(cmd->has_value()) << c.line;
        EXPECT_EQ(describe(**cmd), c.expect) << c.line;
        EXPECT_TRUE(buf.empty());
      }
    }
  }
}

struct Malformed {
  std::string line;  // complete, with its line ending
  Errc code;
};

const Malformed kMalformed[] = {
    {"\r\n", Errc::invalid},                      // empty line: no verb
    {"FOO bar\r\n", Errc::invalid},               // unknown verb
    {"MAILFROM:<a@b>\r\n", Errc::invalid},
    {"NOOP\nRSET\r\n", Errc::syntax},             // bare LF inside the line
    {"NOOP\rRSET\r\n", Errc::syntax},             // bare CR
    {"NOOP a\0b\r\n"s, Errc::syntax},             // NUL
    {"\nQUIT\r\n", Errc::syntax},
    {"HELO\r\n", Errc::syntax},
    {"HELO a b\r\n", Errc::syntax},
    {"EHLO \x01x\r\n", Errc::syntax},
    {"MAIL\r\n", Errc::syntax},
    {"MAIL FROM<a@b>\r\n", Errc::syntax},         // missing colon
    {"MAIL FROM :<a@b>\r\n", Errc::syntax},       // SP before colon
    {"MAIL TO:<a@b>\r\n", Errc::syntax},
    {"MAIL FROM:a@b\r\n", Errc::syntax},          // no angle brackets
    {"MAIL FROM:<a@b\r\n", Errc::syntax},
    {"MAIL FROM:<a@b>x\r\n", Errc::syntax},
    {"MAIL FROM:<a@@b>\r\n", Errc::syntax},
    {"MAIL FROM:<Postmaster>\r\n", Errc::syntax},
    {"MAIL FROM:<@a:>\r\n", Errc::syntax},
    {"MAIL FROM:<@a_b:u@d>\r\n", Errc::syntax},
    {"MAIL FROM:<@a,u@d>\r\n", Errc::syntax},
    {"MAIL FROM:<δοκιμή@example.com>\r\n", Errc::syntax},  // UTF-8 without SMTPUTF8
    {"MAIL FROM:<a@b> SIZE=1 SIZE=2\r\n", Errc::syntax},    // duplicate
    {"MAIL FROM:<a@b> SIZE=1 size=1\r\n", Errc::syntax},    // duplicate, other case
    {"MAIL FROM:<a@b> SIZE=abc\r\n", Errc::syntax},
    {"MAIL FROM:<a@b> SIZE=-1\r\n", Errc::syntax},
    {"MAIL FROM:<a@b> SIZE=123456789012345678901\r\n", Errc::syntax},  // 21 digits
    {"MAIL FROM:<a@b> SIZE\r\n", Errc::syntax},
    {"MAIL FROM:<a@b> SIZE=\r\n", Errc::syntax},
    {"MAIL FROM:<a@b> BODY=9BIT\r\n", Errc::invalid},
    {"MAIL FROM:<a@b> SMTPUTF8=yes\r\n", Errc::syntax},
    {"MAIL FROM:<a@b> RET=ALL\r\n", Errc::syntax},
    {"MAIL FROM:<a@b> ENVID=a+2\r\n", Errc::syntax},       // truncated hexchar
    {"MAIL FROM:<a@b> ENVID=a+2b\r\n", Errc::syntax},      // lower-case hex
    {"MAIL FROM:<a@b> ENVID=a+0A\r\n", Errc::syntax},      // decodes to LF
    {"MAIL FROM:<a@b> ENVID="s + std::string(101, 'x') + "\r\n", Errc::syntax},
    {"MAIL FROM:<a@b> FOO=bar\r\n", Errc::invalid},        // unknown parameter
    {"MAIL FROM:<a@b> NOTIFY=NEVER\r\n", Errc::invalid},   // RCPT parameter on MAIL
    {"MAIL FROM:<a@b> -X\r\n", Errc::syntax},
    {"MAIL FROM:<a@b> X=a=b\r\n", Errc::syntax},
    {"RCPT TO:<>\r\n", Errc::syntax},                        // null path in RCPT
    {"RCPT TO <b@c>\r\n", Errc::syntax},
    {"RCPT FROM:<b@c>\r\n", Errc::syntax},
    {"RCPT TO:<b@c> NOTIFY=NEVER,SUCCESS\r\n", Errc::syntax},
    {"RCPT TO:<b@c> NOTIFY=SUCCESS,SUCCESS\r\n", Errc::syntax},
    {"RCPT TO:<b@c> NOTIFY=SOMETIMES\r\n", Errc::syntax},
    {"RCPT TO:<b@c> NOTIFY=SUCCESS,\r\n", Errc::syntax},
    {"RCPT TO:<b@c> ORCPT=b@c\r\n", Errc::syntax},
    {"RCPT TO:<b@c> ORCPT=rfc822;\r\n", Errc::syntax},
    {"RCPT TO:<b@c> ORCPT=;b@c\r\n", Errc::syntax},
    {"RCPT TO:<b@c> SIZE=10\r\n", Errc::invalid},          // MAIL parameter on RCPT
    {"DATA x\r\n", Errc::syntax},
    {"RSET now\r\n", Errc::syntax},
    {"QUIT please\r\n", Errc::syntax},
    {"STARTTLS x\r\n", Errc::syntax},
    {"VRFY\r\n", Errc::syntax},
    {"EXPN\r\n", Errc::syntax},
    {"BDAT\r\n", Errc::syntax},
    {"BDAT x\r\n", Errc::syntax},
    {"BDAT 10 FIRST\r\n", Errc::syntax},
    {"BDAT 10 LAST x\r\n", Errc::syntax},
    {"BDAT 99999999999999999999\r\n", Errc::syntax},       // over 2^64-1
    {"AUTH\r\n", Errc::syntax},
    {"AUTH PLAIN a b\r\n", Errc::syntax},
    {"AUTH PL@IN\r\n", Errc::syntax},
    {"AUTH ABCDEFGHIJKLMNOPQRSTU\r\n", Errc::syntax},      // 21 characters
    {"AUTH PLAIN a!b\r\n", Errc::syntax},
};

TEST(ParseCommand, Malformed) {
  for (const auto& c : kMalformed) {
    std::string buf = c.line + "QUIT\r\n";
    const auto cmd = parse_command(buf, Limits{});
    ASSERT_FALSE(cmd.ok()) << c.line;
    EXPECT_EQ(cmd.code(), c.code) << c.line << ": " << cmd.error().detail;
    // The bad line is gone; the next command parses.
    EXPECT_EQ(buf, "QUIT\r\n") << c.line;
    const auto next = parse_command(buf, Limits{});
    ASSERT_TRUE(next.ok() && next->has_value());
    EXPECT_EQ((*next)->verb, Verb::quit);
  }
}

TEST(ParseCommand, UnknownVerbKeptForTheLog) {
  std::string buf = "XYZZY plugh\r\n";
  const auto cmd = parse_command(buf, Limits{});
  ASSERT_FALSE(cmd.ok());
  EXPECT_EQ(cmd.error().detail, std::string(kUnknownVerbDetail) + "XYZZY");
  EXPECT_EQ(&command_error_reply(cmd.error()), &kUnknownCommand);
}

TEST(ParseCommand, ErrorReplies) {
  std::string buf = "MAIL FROM:<a@b> FOO=1\r\nMAIL FROM:<a@b> SIZE=x\r\n";
  const auto unknown = parse_command(buf, Limits{});
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(to_wire(command_error_reply(unknown.error())),
            "555 5.5.4 MAIL FROM/RCPT TO parameters not recognized or not implemented\r\n");
  const auto bad = parse_command(buf, Limits{});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(&command_error_reply(bad.error()), &kSyntaxArgs);
}

TEST(ParseCommand, NeedsCrlf) {
  for (const std::string partial : {"", "NOOP", "NOOP\r", "NOOP\n", "NOOP\n\r", "QUIT\r\r"}) {
    std::string buf = partial;
    const auto cmd = parse_command(buf, Limits{});
    ASSERT_TRUE(cmd.ok()) << partial;
    EXPECT_FALSE(cmd->has_value()) << partial;
    EXPECT_EQ(buf, partial);
  }
}

TEST(ParseCommand, Pipelined) {
  std::string buf = "MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nBOGUS\r\nRCPT TO:<e@f>\r\nDATA\r\nQUI";
  std::vector<std::string> seen;
  while (true) {
    auto cmd = parse_command(buf, Limits{});
    if (!cmd) {
      seen.push_back("error");
      continue;
    }
    if (!*cmd) break;
    seen.push_back(describe(**cmd));
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"MAIL path=a@b", "RCPT path=c@d", "error", "RCPT path=e@f", "DATA"}));
  EXPECT_EQ(buf, "QUI");
}

TEST(ParseCommand, LineLimitExact) {
  const Limits limits{.max_command_line = kMaxCommandLine};
  const std::string fits = "NOOP " + std::string(kMaxCommandLine - 7, 'x') + "\r\n";  // 512 octets
  ASSERT_EQ(fits.size(), kMaxCommandLine);
  std::string buf = fits;
  auto cmd = parse_command(buf, limits);
  ASSERT_TRUE(cmd.ok() && cmd->has_value());
  // One more octet: refused, and also when it arrives one byte at a time.
  const std::string over = "NOOP " + std::string(kMaxCommandLine - 6, 'x') + "\r\n";
  buf = over;
  EXPECT_EQ(parse_command(buf, limits).code(), Errc::limit);
  buf.clear();
  bool limited = false;
  for (const char c : over) {
    buf += c;
    auto step = parse_command(buf, limits);
    if (!step) {
      EXPECT_EQ(step.code(), Errc::limit);
      limited = true;
      break;
    }
    ASSERT_FALSE(step->has_value());
  }
  EXPECT_TRUE(limited);
  // A limit below 512 is raised to 512.
  buf = fits;
  EXPECT_TRUE(parse_command(buf, Limits{.max_command_line = 10}).ok());
}

// Over-long line: Errc::limit, buf untouched; skip_line resyncs, keeping
// at most one byte while the line goes on.
TEST(ParseCommand, OverlongLineResync) {
  const Limits limits{};
  std::string buf = "NOOP " + std::string(5000, 'x');
  auto cmd = parse_command(buf, limits);
  ASSERT_FALSE(cmd.ok());
  EXPECT_EQ(cmd.code(), Errc::limit);
  EXPECT_EQ(buf.size(), 5005u);
  EXPECT_FALSE(skip_line(buf));
  EXPECT_TRUE(buf.empty());
  // The line goes on, its CRLF split across reads.
  buf += std::string(3000, 'y') + "\r";
  EXPECT_FALSE(skip_line(buf));
  EXPECT_EQ(buf, "\r");
  buf += "\nQUIT\r\n";
  EXPECT_TRUE(skip_line(buf));
  EXPECT_EQ(buf, "QUIT\r\n");
  cmd = parse_command(buf, limits);
  ASSERT_TRUE(cmd.ok() && cmd->has_value());
  EXPECT_EQ((*cmd)->verb, Verb::quit);
}

TEST(ParseCommand, HundredKilobyteLine) {
  std::string buf = "MAIL FROM:<a@b> " + std::string(100 * 1024, 'A') + "\r\nRSET\r\n";
  auto cmd = parse_command(buf, Limits{});
  ASSERT_FALSE(cmd.ok());
  EXPECT_EQ(cmd.code(), Errc::limit);
  EXPECT_EQ(&command_error_reply(cmd.error()), &kLineTooLong);
  EXPECT_TRUE(skip_line(buf));
  cmd = parse_command(buf, Limits{});
  ASSERT_TRUE(cmd.ok() && cmd->has_value());
  EXPECT_EQ((*cmd)->verb, Verb::rset);
}

TEST(Xtext, Decode) {
  EXPECT_EQ(*decode_xtext("abc"), "abc");
  EXPECT_EQ(*decode_xtext("a+20b"), "a b");
  EXPECT_EQ(*decode_xtext(""), "");
  for (const char* bad : {"a b", "a=b", "+", "+4", "+4g", "+4a", "+00", "+7F", "\x80"}) {
    EXPECT_EQ(decode_xtext(bad).code(), Errc::syntax) << bad;
  }
}

TEST(Reply, Format) {
  EXPECT_EQ(format_reply(250, "2.0.0", {"Ok"}), "250 2.0.0 Ok\r\n");
  EXPECT_EQ(format_reply(250, "", {"mx.example", "PIPELINING", "SIZE 1000"}),
            "250-mx.example\r\n250-PIPELINING\r\n250 SIZE 1000\r\n");
  EXPECT_EQ(format_reply(550, "5.1.1", {"a", "b"}), "550-5.1.1 a\r\n550 5.1.1 b\r\n");
  EXPECT_EQ(format_reply(354, "", {}), "354\r\n");
  EXPECT_EQ(format_reply(250, "2.0.0", {}), "250 2.0.0\r\n");
  EXPECT_EQ(format_reply(500, "5.5.2", {"evil\r\n250 ok"}), "500 5.5.2 evil  250 ok\r\n");
  EXPECT_EQ(format_reply(42, "", {"x"}), "200 x\r\n");
  EXPECT_EQ(to_wire(kOk), "250 2.0.0 Ok\r\n");
  EXPECT_EQ(to_wire(kTooBig), "552 5.3.4 Message size exceeds fixed limit\r\n");
  EXPECT_EQ(to_wire(kRelayDenied), "554 5.7.1 Relaying denied\r\n");
  EXPECT_EQ(to_wire(kBadSequence), "503 5.5.1 Bad sequence of commands\r\n");
  EXPECT_EQ(to_wire(kTimeout), "421 4.4.2 Timeout, closing connection\r\n");
  EXPECT_EQ(to_wire(kStartData), "354 End data with <CR><LF>.<CR><LF>\r\n");
}

// ---- DATA ----------------------------------------------------------------

struct DataRun {
  std::string body;
  std::size_t consumed = 0;
  bool done = false;
  DataVerdict verdict = DataVerdict::ok;
};

DataRun read_data(const std::string& wire, std::size_t chunk, std::uint64_t max_size = 1 << 20,
                  std::size_t max_line = kMaxTextLine, Nul nul = Nul::refuse) {
  DataReader reader(max_size, max_line, nul);
  DataRun out;
  std::size_t pos = 0;
  while (pos < wire.size() && !reader.done()) {
    const auto piece = std::string_view(wire).substr(pos, chunk);
    const auto used = reader.feed(piece, [&](std::string_view b) { out.body.append(b); });
    EXPECT_TRUE(used == piece.size() || reader.done());
    pos += used;
  }
  out.consumed = pos;
  out.done = reader.done();
  out.verdict = reader.verdict();
  return out;
}

struct DataCase {
  std::string name;
  std::string wire;
  bool done;
  std::size_t consumed;  // when done
  DataVerdict verdict;
  std::string body;      // when ok
};

const DataCase kData[] = {
    {"empty", ".\r\n", true, 3, DataVerdict::ok, ""},
    {"one line", "hi\r\n.\r\n", true, 7, DataVerdict::ok, "hi\r\n"},
    {"pipelined rest", "a\r\n.\r\nQUIT\r\n", true, 6, DataVerdict::ok, "a\r\n"},
    {"unstuff", "..\r\n..x\r\n.y\r\n.\r\n", true, 16, DataVerdict::ok, ".\r\n.x\r\ny\r\n"},
    {"dot inside line", "a.\r\nb..c\r\n.\r\n", true, 13, DataVerdict::ok, "a.\r\nb..c\r\n"},
    {"no end yet", "a\r\n.", false, 0, DataVerdict::ok, "a\r\n"},
    {"no end: dot CR", "a\r\n.\r", false, 0, DataVerdict::ok, "a\r\n"},
    {"dot space is not end", "a\r\n. \r\n.\r\n", true, 10, DataVerdict::ok, "a\r\n \r\n"},
    // Smuggling: none of these ends the data, and all are refused.
    {"LF dot LF", "a\n.\nb\r\n.\r\n", true, 10, DataVerdict::bare_line_ending, ""},
    {"LF dot CRLF", "a\n.\r\nMAIL FROM:<x@y>\r\n.\r\n", true, 25, DataVerdict::bare_line_ending, ""},
    {"CR dot CRLF", "a\r.\r\nb\r\n.\r\n", true, 11, DataVerdict::bare_line_ending, ""},
    {"CRLF dot LF", "a\r\n.\nb\r\n.\r\n", true, 11, DataVerdict::bare_line_ending, ""},
    {"CRLF dot CR", "a\r\n.\rb\r\n.\r\n", true, 11, DataVerdict::bare_line_ending, ""},
    {"CR dot CR", "a\r.\rb\r\n.\r\n", true, 10, DataVerdict::bare_line_ending, ""},
    {"LF dot CR", "a\n.\rb\r\n.\r\n", true, 10, DataVerdict::bare_line_ending, ""},
    {"CR LF swapped", "a\n\r.\r\nb\r\n.\r\n", true, 12, DataVerdict::bare_line_ending, ""},
    {"dot CR CR LF", "a\r\n.\r\r\n.\r\n", true, 10, DataVerdict::bare_line_ending, ""},
    {"bare LF in line", "a\nb\r\n.\r\n", true, 8, DataVerdict::bare_line_ending, ""},
    {"bare CR in line", "a\rb\r\n.\r\n", true, 8, DataVerdict::bare_line_ending, ""},
    {"leading LF", "\n.\r\n.\r\n", true, 7, DataVerdict::bare_line_ending, ""},
    {"smuggled only, no end", "a\n.\n", false, 0, DataVerdict::bare_line_ending, ""},
    // NUL (refused by default): smtpsmug's "nullbefore" and "nullafter"
    // put one before or after the dot of a would-be end of data; neither
    // ends the data, and the message is refused at the real end.
    {"NUL before the dot", "a\r\n\0.\r\nMAIL FROM:<x@y>\r\n.\r\n"s, true, 27, DataVerdict::nul, ""},
    {"NUL after the dot", "a\r\n.\0\r\nMAIL FROM:<x@y>\r\n.\r\n"s, true, 27, DataVerdict::nul, ""},
    {"NUL inside a line", "a\0b\r\n.\r\n"s, true, 8, DataVerdict::nul, ""},
    {"NUL alone", "\0\r\n.\r\n"s, true, 6, DataVerdict::nul, ""},
    {"NUL, no end yet", "a\0"s, false, 0, DataVerdict::nul, ""},
    {"NUL after dot CR", "a\r\n.\r\0\r\n.\r\n"s, true, 11, DataVerdict::bare_line_ending, ""},
};

TEST(DataReader, Table) {
  for (const auto& c : kData) {
    for (const std::size_t chunk : {c.wire.size() + 1, std::size_t{1}, std::size_t{2}, std::size_t{3}}) {
      const DataRun run = read_data(c.wire, chunk);
      EXPECT_EQ(run.done, c.done) << c.name << " chunk " << chunk;
      if (c.done) {
        EXPECT_EQ(run.consumed, c.consumed) << c.name << " chunk " << chunk;
      }
      EXPECT_EQ(run.verdict, c.verdict) << c.name << " chunk " << chunk;
      if (c.verdict == DataVerdict::ok) {
        EXPECT_EQ(run.body, c.body) << c.name << " chunk " << chunk;
      }
    }
  }
}

TEST(DataReader, SizeLimit) {
  const std::string wire = "12345\r\n67890\r\n.\r\nQUIT\r\n";
  const DataRun fits = read_data(wire, 100, 14);
  EXPECT_EQ(fits.verdict, DataVerdict::ok);
  EXPECT_EQ(fits.body, "12345\r\n67890\r\n");
  for (const std::size_t chunk : {std::size_t{1}, std::size_t{4}, std::size_t{100}}) {
    const DataRun over = read_data(wire, chunk, 13);
    EXPECT_TRUE(over.done);
    EXPECT_EQ(over.consumed, 17u);  // read to the real end
    EXPECT_EQ(over.verdict, DataVerdict::too_big);
    EXPECT_EQ(over.body, "12345\r\n67890\r");  // output stops at the limit
  }
  DataReader reader(3);
  EXPECT_EQ(reader.feed("abcd\r\n.\r\n", [](std::string_view) {}), 9u);
  EXPECT_EQ(reader.status().code(), Errc::limit);
  EXPECT_EQ(reader.size(), 6u);
}

TEST(DataReader, LineLimit) {
  const std::string ok_line = std::string(998, 'x') + "\r\n";  // 1000 octets
  const std::string long_line = std::string(999, 'x') + "\r\n";
  for (const std::size_t chunk : {std::size_t{1}, std::size_t{7}, std::size_t{5000}}) {
    EXPECT_EQ(read_data(ok_line + ".\r\n", chunk).verdict, DataVerdict::ok);
    const DataRun run = read_data(long_line + "short\r\n.\r\n", chunk);
    EXPECT_TRUE(run.done);
    EXPECT_EQ(run.verdict, DataVerdict::line_too_long);
    // A stuffed line counts its dot.
    EXPECT_EQ(read_data("." + std::string(998, '.') + "\r\n.\r\n", chunk).verdict, DataVerdict::line_too_long);
  }
  // Bare line endings outrank size, which outranks line length.
  EXPECT_EQ(read_data(long_line + "a\nb\r\n.\r\n", 1, 10).verdict, DataVerdict::bare_line_ending);
  EXPECT_EQ(read_data(long_line + ".\r\n", 1, 10).verdict, DataVerdict::too_big);
}

TEST(DataReader, NulAllowed) {
  struct Case {
    std::string wire;
    std::size_t consumed;
    std::string body;
  };
  const Case cases[] = {
      {"a\0b\r\n.\r\n"s, 8, "a\0b\r\n"s},
      // Still only CRLF "." CRLF ends the data; ".\0" loses its stuffing dot.
      {"a\r\n\0.\r\n.\0\r\n.\r\nQUIT\r\n"s, 14, "a\r\n\0.\r\n\0\r\n"s},
      {"\0\0\0\r\n.\r\n"s, 8, "\0\0\0\r\n"s},
  };
  for (const auto& c : cases) {
    for (const std::size_t chunk : {c.wire.size() + 1, std::size_t{1}, std::size_t{2}, std::size_t{3}}) {
      const DataRun run = read_data(c.wire, chunk, 1 << 20, kMaxTextLine, Nul::allow);
      EXPECT_TRUE(run.done) << testing::PrintToString(c.wire) << " chunk " << chunk;
      EXPECT_EQ(run.consumed, c.consumed) << testing::PrintToString(c.wire) << " chunk " << chunk;
      EXPECT_EQ(run.verdict, DataVerdict::ok) << testing::PrintToString(c.wire) << " chunk " << chunk;
      EXPECT_EQ(run.body, c.body) << testing::PrintToString(c.wire) << " chunk " << chunk;
    }
  }
  // Allowed NULs still count against the limits.
  EXPECT_EQ(read_data("\0\0\0\0\r\n.\r\n"s, 1, 4, kMaxTextLine, Nul::allow).verdict, DataVerdict::too_big);
  EXPECT_EQ(read_data(std::string(999, '\0') + "\r\n.\r\n", 7, 1 << 20, kMaxTextLine, Nul::allow).verdict,
            DataVerdict::line_too_long);
}

TEST(DataReader, NulVerdictOrder) {
  // A bare line ending outranks a NUL, which outranks size and line length.
  EXPECT_EQ(read_data("\0a\nb\r\n.\r\n"s, 1).verdict, DataVerdict::bare_line_ending);
  EXPECT_EQ(read_data("\0"s + std::string(100, 'x') + "\r\n.\r\n", 1, 10).verdict, DataVerdict::nul);
  EXPECT_EQ(read_data(std::string(100, 'x') + "\0\r\n.\r\n"s, 3, 10).verdict, DataVerdict::nul);
  EXPECT_EQ(read_data(std::string(1200, 'x') + "\0\r\n.\r\n"s, 5).verdict, DataVerdict::nul);
  DataReader reader(100);
  EXPECT_EQ(reader.feed("a\0\r\n.\r\n"s, [](std::string_view) {}), 7u);
  EXPECT_EQ(reader.status().code(), Errc::syntax);
  EXPECT_EQ(reader.size(), 4u);
}

TEST(DataReader, ByteAtATimeEqualsWhole) {
  std::string wire;
  for (int i = 0; i < 300; ++i) wire += (i % 7 == 0 ? ".." : "") + std::string(i % 50, 'a' + i % 26) + "\r\n";
  wire += ".\r\nNOOP\r\n";
  const DataRun whole = read_data(wire, wire.size());
  const DataRun bytes = read_data(wire, 1);
  EXPECT_EQ(whole.verdict, DataVerdict::ok);
  EXPECT_EQ(whole.body, bytes.body);
  EXPECT_EQ(whole.consumed, bytes.consumed);
  EXPECT_EQ(whole.consumed, wire.size() - 6);
}

TEST(DataReader, DoneConsumesNothing) {
  DataReader reader(100);
  EXPECT_EQ(reader.feed(".\r\n", [](std::string_view) {}), 3u);
  EXPECT_TRUE(reader.done());
  EXPECT_EQ(reader.feed("more", [](std::string_view) { ADD_FAILURE(); }), 0u);
  EXPECT_TRUE(reader.status().ok());
}

TEST(Bdat, Chunk) {
  BdatChunk chunk(5, true);
  EXPECT_EQ(chunk.take("ab"), "ab");
  EXPECT_FALSE(chunk.done());
  EXPECT_EQ(chunk.take("c\r\n.\r\nQUIT\r\n"), "c\r\n");  // binary: no dot handling
  EXPECT_TRUE(chunk.done());
  EXPECT_TRUE(chunk.last());
  EXPECT_EQ(chunk.take("QUIT\r\n"), "");
  BdatChunk empty(0, true);
  EXPECT_TRUE(empty.done());
  BdatChunk nul(3, false);
  EXPECT_EQ(nul.take("\0\r\0x"s), "\0\r\0"s);
  EXPECT_EQ(nul.remaining(), 0u);
}

TEST(DotStuff, Outbound) {
  EXPECT_EQ(*dot_stuff(""), "");
  EXPECT_EQ(*dot_stuff("a\r\n.\r\n..b\r\nc.d\r\n"), "a\r\n..\r\n...b\r\nc.d\r\n");
  EXPECT_EQ(*dot_stuff(".\r\n"), "..\r\n");
  EXPECT_EQ(dot_stuff("a\n.\n").code(), Errc::syntax);
  EXPECT_EQ(dot_stuff("a\r.\r\n").code(), Errc::syntax);
  EXPECT_EQ(dot_stuff("a\r").code(), Errc::syntax);
  EXPECT_EQ(dot_stuff("a\r\nb").code(), Errc::invalid);
  // NUL never goes out; a line is stuffed by what is left of it.
  EXPECT_EQ(*dot_stuff("a\0b\r\n\0\r\n"s), "ab\r\n\r\n");
  EXPECT_EQ(*dot_stuff("x\r\n\0.\r\n\0\0.x\r\n.\0\r\n"s), "x\r\n..\r\n..x\r\n..\r\n");
  EXPECT_EQ(dot_stuff("a\r\0\n"s).code(), Errc::syntax);
  EXPECT_EQ(dot_stuff("a\0"s).code(), Errc::invalid);
  // Round trip through the reader.
  const std::string body = ".\r\n..x\r\nplain\r\n.end\r\n";
  const auto stuffed = dot_stuff(body);
  ASSERT_TRUE(stuffed.ok());
  const DataRun run = read_data(*stuffed + std::string(kEndOfData), 1);
  EXPECT_EQ(run.verdict, DataVerdict::ok);
  EXPECT_EQ(run.body, body);
}

TEST(Nul, FoundAnywhere) {
  EXPECT_FALSE(has_nul(""));
  EXPECT_FALSE(has_nul("a\r\nb\r\n"));
  for (std::string_view bad : {"\0"sv, "a\0"sv, "\0a"sv, "\r\n\0.\r\n"sv, "\r\n.\0\r\n"sv}) {
    EXPECT_TRUE(has_nul(bad)) << testing::PrintToString(std::string(bad));
  }
}

TEST(BareLineEnding, FoundAnywhere) {
  EXPECT_FALSE(has_bare_line_ending(""));
  EXPECT_FALSE(has_bare_line_ending("a\r\nb\r\n"));
  EXPECT_FALSE(has_bare_line_ending("no line end at all"));
  for (std::string_view bad : {"\n", "\r", "a\nb\r\n", "a\r\nb\r", "a\rb\r\n", "\n.\n", "a\r\r\n", "a\r\n\n"}) {
    EXPECT_TRUE(has_bare_line_ending(bad)) << testing::PrintToString(std::string(bad));
  }
}

}  // namespace
}  // namespace parley::smtp
