// sendmail: the command local programs use to send mail (cron, scripts,
// web applications), compatible with the options they pass:
//   sendmail [-t] [-i | -oi] [-f SENDER | -r SENDER] [-F NAME] [--] [RECIPIENT...]
// Reads the message on standard input and hands it to smtpd over its
// local Unix socket, speaking SMTP: it writes no file anywhere, and smtpd
// knows the sender by its uid (SO_PEERCRED). Other -o and -b options that
// sendmail implementations accept are taken and ignored, as are -v, -N, -B
// and -od*.
// Socket: $PARLEY_SUBMIT_SOCKET, else /run/parley/submit.sock (the
// "local=unix:..." listener of [process.smtpd]).
// Exit status (sysexits.h): 0 queued; 64 bad usage or no recipients; 65 a
// malformed message; 67 a recipient refused; 69 smtpd unreachable; 75 a
// temporary refusal; 76 a protocol error; 77 the user may not send mail
// (smtpd.submit_users/submit_groups).
// NUL octets in the message are dropped: SMTP text cannot carry them.
// Untrusted input: the message and arguments of whoever runs it, and the
// replies of smtpd. Privileges: none; runs as the calling user.
#include <pwd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sysexits.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

#include "auth/auth.h"
#include "auth/encoding.h"
#include "core/fd.h"
#include "mail/headers.h"
#include "mail/trace.h"
#include "mime/mime.h"
#include "smtp/client.h"
#include "smtp/data.h"

namespace {

using namespace parley;

constexpr const char* kDefaultSocket = "/run/parley/submit.sock";
constexpr std::size_t kMaxMessage = 60 * 1024 * 1024;  // smtpd's largest max_message_bytes

struct Options {
  bool headers_recipients = false;  // -t
  bool ignore_dots = false;         // -i, -oi
  std::string sender;               // -f, -r
  std::string full_name;            // -F
  std::vector<std::string> recipients;
};

[[noreturn]] void die(int status, const std::string& what) {
  std::fprintf(stderr, "sendmail: %s\n", what.c_str());
  std::exit(status);
}

Options parse_args(int argc, char** argv) {
  Options o;
  int i = 1;
  // An option's value is attached ("-ffoo") or the next argument ("-f foo").
  auto value = [&](const char* arg) -> std::string {
    if (arg[2] != '\0') return arg + 2;
    if (i + 1 >= argc) die(EX_USAGE, std::string("option ") + arg + " needs a value");
    return argv[++i];
  };
  for (; i < argc; ++i) {
    const char* a = argv[i];
    if (std::strcmp(a, "--") == 0) {
      ++i;
      break;
    }
    if (a[0] != '-' || a[1] == '\0') break;
    switch (a[1]) {
      case 't': o.headers_recipients = true; break;
      case 'i': o.ignore_dots = true; break;
      case 'f':
      case 'r': o.sender = value(a); break;
      case 'F': o.full_name = value(a); break;
      case 'o':
        if (std::strcmp(a, "-oi") == 0) o.ignore_dots = true;
        else if (a[2] == '\0') ++i;  // "-o X": the value is separate
        break;
      case 'N':
      case 'B':
      case 'R':
      case 'V':
      case 'X':
        if (a[2] == '\0') ++i;
        break;
      case 'b':
        if (std::strcmp(a, "-bm") != 0) die(EX_USAGE, std::string("mode ") + a + " is not supported (only -bm)");
        break;
      case 'v':
      case 'U':
      case 'm':
        break;
      default: die(EX_USAGE, std::string("unknown option ") + a);
    }
  }
  for (; i < argc; ++i) o.recipients.emplace_back(argv[i]);
  return o;
}

// Standard input as the message: line ends made CRLF (local programs write
// LF), and without -i a line holding a single "." ends it.
std::string read_message(bool ignore_dots) {
  std::string in((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
  if (in.size() > kMaxMessage) die(EX_DATAERR, "message too large");
  std::string out;
  out.reserve(in.size() + in.size() / 32);
  std::size_t start = 0;
  while (start < in.size()) {
    std::size_t end = in.find_first_of("\r\n", start);
    std::string_view line(in.data() + start, (end == std::string::npos ? in.size() : end) - start);
    if (!ignore_dots && line == ".") break;
    out.append(line);
    out += "\r\n";
    if (end == std::string::npos) break;
    start = end + (in.compare(end, 2, "\r\n") == 0 ? 2 : 1);
  }
  return out;
}

// Addresses in To, Cc and Bcc (-t), by the RFC 5322 address parser IMAP's
// ENVELOPE uses (groups, quoted names, comments).
std::vector<std::string> header_addresses(std::string_view message) {
  std::vector<std::string> out;
  for (const char* name : {"To", "Cc", "Bcc"}) {
    for (const auto& value : mail::headers(message, name)) {
      for (const auto& a : mime::parse_addresses(value)) {
        if (a.mailbox && a.host && *a.host != ".MISSING-HOST-NAME.") out.push_back(*a.mailbox + "@" + *a.host);
      }
    }
  }
  return out;
}

// Removes every Bcc field from the header (folded lines included).
std::string without_bcc(const std::string& message) {
  std::size_t body = mail::header_end(message);
  std::string out;
  bool skipping = false;
  std::size_t pos = 0;
  while (pos < body) {
    std::size_t end = message.find("\r\n", pos);
    end = end == std::string::npos || end + 2 > body ? body : end + 2;
    std::string_view line(message.data() + pos, end - pos);
    bool continuation = !line.empty() && (line[0] == ' ' || line[0] == '\t');
    if (!continuation) skipping = line.size() >= 4 && strncasecmp(line.data(), "bcc:", 4) == 0;
    if (!skipping) out.append(line);
    pos = end;
  }
  out.append(message, body, std::string::npos);
  return out;
}

std::string host_name() {
  char name[256] = {};
  return ::gethostname(name, sizeof name - 1) == 0 && name[0] ? name : "localhost";
}

class Client {
 public:
  explicit Client(const std::string& path) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path.size() >= sizeof addr.sun_path) die(EX_USAGE, "socket path too long: " + path);
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    fd_.reset(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd_.valid() || ::connect(fd_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      die(EX_UNAVAILABLE, "cannot reach the mail system at " + path + ": " + std::strerror(errno));
    }
  }

  smtp::ServerReply reply() {
    for (;;) {
      auto parsed = smtp::parse_reply(in_);
      if (!parsed) die(EX_PROTOCOL, "bad reply from the mail system: " + parsed.error().detail);
      if (parsed.value()) return std::move(*parsed.value());
      char buf[4096];
      ssize_t n = ::read(fd_.get(), buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) die(EX_TEMPFAIL, "the mail system closed the connection");
      in_.append(buf, static_cast<std::size_t>(n));
    }
  }

  void send(std::string_view data) {
    while (!data.empty()) {
      ssize_t n = ::write(fd_.get(), data.data(), data.size());
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) die(EX_TEMPFAIL, std::string("write: ") + std::strerror(errno));
      data.remove_prefix(static_cast<std::size_t>(n));
    }
  }

  // Sends a command and expects a reply of class `want` (2 or 3). With
  // `sender`, a policy refusal means this user may not send at all.
  void command(const std::string& line, int want, int fail_status, bool sender = false) {
    send(line + "\r\n");
    auto r = reply();
    if (r.code / 100 == want) return;
    if (sender && not_permitted(r)) die(EX_NOPERM, "not allowed to send mail: " + r.text());
    die(r.transient() ? EX_TEMPFAIL : fail_status, line.substr(0, line.find(':') == std::string::npos ? line.size() : line.find(':')) +
                                                       " refused: " + r.text());
  }

  // A permanent refusal for policy (enhanced status 5.7.x, RFC 3463 3.8)
  // before any recipient: smtpd does not let this user submit mail.
  static bool not_permitted(const smtp::ServerReply& r) { return r.permanent() && r.enhanced().starts_with("5.7."); }

 private:
  UniqueFd fd_;
  std::string in_;
};

}  // namespace

int main(int argc, char** argv) {
  Options o = parse_args(argc, argv);
  std::string message = read_message(o.ignore_dots);

  passwd* pw = ::getpwuid(::getuid());
  std::string user = pw ? pw->pw_name : std::to_string(::getuid());
  std::string host = host_name();
  if (o.sender.empty()) o.sender = user + "@" + host;
  if (o.sender == "<>") o.sender.clear();

  if (o.headers_recipients) {
    auto found = header_addresses(message);
    o.recipients.insert(o.recipients.end(), found.begin(), found.end());
    message = without_bcc(message);
  }
  if (o.recipients.empty()) die(EX_USAGE, "no recipients (give them as arguments, or use -t)");

  // What a submission server would add (RFC 6409 8): Date, Message-ID, From.
  std::string added;
  if (!mail::header(message, "From")) {
    added += "From: " + (o.full_name.empty() ? "" : "\"" + o.full_name + "\" ") + "<" + (o.sender.empty() ? user + "@" + host : o.sender) + ">\r\n";
  }
  if (!mail::header(message, "Date")) added += "Date: " + mail::rfc5322_date(std::chrono::system_clock::now()) + "\r\n";
  if (!mail::header(message, "Message-ID")) added += "Message-ID: <" + auth::hex_encode(auth::random_bytes(12)) + "@" + host + ">\r\n";
  // A message without a header/body separator is all header: keep it so.
  message = added + message;

  bool eight_bit = false;
  for (unsigned char c : message) eight_bit = eight_bit || c >= 0x80;
  bool utf8_address = false;
  for (const auto& a : o.recipients) {
    for (unsigned char c : a) utf8_address = utf8_address || c >= 0x80;
  }
  for (unsigned char c : o.sender) utf8_address = utf8_address || c >= 0x80;
  auto stuffed = smtp::dot_stuff(message);
  if (!stuffed) die(EX_DATAERR, "malformed message: " + stuffed.error().detail);

  const char* env = std::getenv("PARLEY_SUBMIT_SOCKET");
  Client c(env && *env ? env : kDefaultSocket);
  auto greeting = c.reply();
  if (greeting.code != 220) {
    if (Client::not_permitted(greeting)) die(EX_NOPERM, "not allowed to send mail: " + greeting.text());
    die(greeting.transient() ? EX_TEMPFAIL : EX_UNAVAILABLE, "mail system: " + greeting.text());
  }
  c.command("EHLO localhost", 2, EX_PROTOCOL);
  std::string mail = "MAIL FROM:<" + o.sender + ">";
  if (eight_bit) mail += " BODY=8BITMIME";
  if (utf8_address) mail += " SMTPUTF8";
  c.command(mail, 2, EX_DATAERR, true);
  for (const auto& r : o.recipients) c.command("RCPT TO:<" + r + ">", 2, EX_NOUSER);
  c.command("DATA", 3, EX_PROTOCOL);
  c.send(stuffed.value() + std::string(smtp::kEndOfData));
  auto done = c.reply();
  if (done.code / 100 != 2) die(done.transient() ? EX_TEMPFAIL : EX_DATAERR, "message refused: " + done.text());
  c.send("QUIT\r\n");
  return EX_OK;
}
