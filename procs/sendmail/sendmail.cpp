#include "sendmail.h"

#include <pwd.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sysexits.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "auth/auth.h"
#include "auth/encoding.h"
#include "mail/headers.h"
#include "mail/trace.h"
#include "mime/mime.h"
#include "smtp/client.h"
#include "smtp/data.h"

namespace parley::sendmail {
namespace {

// The SMTP client side of one exchange with smtpd, on a connected socket.
class Client {
 public:
  explicit Client(int fd) : fd_(fd) {}

  Outcome<smtp::ServerReply> reply() {
    for (;;) {
      auto parsed = smtp::parse_reply(in_);
      if (!parsed) return Failure{EX_PROTOCOL, "bad reply from the mail system: " + parsed.error().detail};
      if (parsed.value()) return std::move(*parsed.value());
      char buf[4096];
      ssize_t n = ::read(fd_, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return Failure{EX_TEMPFAIL, "the mail system closed the connection"};
      in_.append(buf, static_cast<std::size_t>(n));
    }
  }

  std::optional<Failure> send(std::string_view data) {
    while (!data.empty()) {
      ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return Failure{EX_TEMPFAIL, std::string("write: ") + std::strerror(errno)};
      data.remove_prefix(static_cast<std::size_t>(n));
    }
    return std::nullopt;
  }

  // Sends a command and expects a reply of class `want` (2 or 3). With
  // `sender`, a policy refusal means this user may not send at all.
  std::optional<Failure> command(const std::string& line, int want, int fail_status, bool sender = false) {
    if (auto f = send(line + "\r\n")) return f;
    auto got = reply();
    if (auto* f = std::get_if<Failure>(&got)) return *f;
    const auto& r = std::get<smtp::ServerReply>(got);
    if (r.code / 100 == want) return std::nullopt;
    if (sender && not_permitted(r)) return Failure{EX_NOPERM, "not allowed to send mail: " + r.text()};
    const std::string verb = line.substr(0, line.find(':'));
    return Failure{r.transient() ? EX_TEMPFAIL : fail_status, verb + " refused: " + r.text()};
  }

  // A permanent refusal for policy (enhanced status 5.7.x, RFC 3463 3.8)
  // before any recipient: smtpd does not let this user submit mail.
  static bool not_permitted(const smtp::ServerReply& r) { return r.permanent() && r.enhanced().starts_with("5.7."); }

 private:
  int fd_;
  std::string in_;
};

bool has_8bit(std::string_view s) {
  for (unsigned char c : s) {
    if (c >= 0x80) return true;
  }
  return false;
}

}  // namespace

Outcome<Options> parse_args(const std::vector<std::string>& args) {
  Options o;
  std::size_t i = 0;
  for (; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--") {
      ++i;
      break;
    }
    if (a.size() < 2 || a[0] != '-') break;
    // An option's value is attached ("-ffoo") or the next argument ("-f foo").
    auto value = [&]() -> std::optional<std::string> {
      if (a.size() > 2) return a.substr(2);
      if (i + 1 >= args.size()) return std::nullopt;
      return args[++i];
    };
    switch (a[1]) {
      case 't': o.headers_recipients = true; break;
      case 'i': o.ignore_dots = true; break;
      case 'f':
      case 'r':
      case 'F': {
        auto v = value();
        if (!v) return Failure{EX_USAGE, "option " + a + " needs a value"};
        (a[1] == 'F' ? o.full_name : o.sender) = std::move(*v);
        break;
      }
      case 'o':
        if (a == "-oi") o.ignore_dots = true;
        else if (a.size() == 2) ++i;  // "-o X": the value is separate
        break;
      case 'N':
      case 'B':
      case 'R':
      case 'V':
      case 'X':
        if (a.size() == 2) ++i;
        break;
      case 'b':
        if (a != "-bm") return Failure{EX_USAGE, "mode " + a + " is not supported (only -bm)"};
        break;
      case 'v':
      case 'U':
      case 'm':
        break;
      default: return Failure{EX_USAGE, "unknown option " + a};
    }
  }
  for (; i < args.size(); ++i) o.recipients.push_back(args[i]);
  return o;
}

Outcome<std::string> read_message(std::string_view input, bool ignore_dots) {
  if (input.size() > kMaxMessage) return Failure{EX_DATAERR, "message too large"};
  std::string out;
  out.reserve(input.size() + input.size() / 32);
  std::size_t start = 0;
  while (start < input.size()) {
    const std::size_t end = input.find_first_of("\r\n", start);
    const std::string_view line = input.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    if (!ignore_dots && line == ".") break;
    out.append(line);
    out += "\r\n";
    if (end == std::string_view::npos) break;
    start = end + (input.substr(end, 2) == "\r\n" ? 2 : 1);
  }
  return out;
}

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

std::string without_bcc(std::string_view message) {
  const std::size_t body = mail::header_end(message);
  std::string out;
  bool skipping = false;
  std::size_t pos = 0;
  while (pos < body) {
    std::size_t end = message.find("\r\n", pos);
    end = end == std::string_view::npos || end + 2 > body ? body : end + 2;
    const std::string_view line = message.substr(pos, end - pos);
    const bool continuation = !line.empty() && (line[0] == ' ' || line[0] == '\t');
    if (!continuation) skipping = line.size() >= 4 && ::strncasecmp(line.data(), "bcc:", 4) == 0;
    if (!skipping) out.append(line);
    pos = end;
  }
  out.append(message.substr(body));
  return out;
}

Caller this_caller() {
  Caller c;
  const passwd* pw = ::getpwuid(::getuid());
  c.user = pw ? pw->pw_name : std::to_string(::getuid());
  char name[256] = {};
  c.host = ::gethostname(name, sizeof name - 1) == 0 && name[0] ? name : "localhost";
  c.now = std::chrono::system_clock::now();
  return c;
}

Outcome<Submission> prepare(Options options, std::string message, const Caller& caller) {
  Submission s;
  const std::string own_address = caller.user + "@" + caller.host;
  s.sender = options.sender.empty() ? own_address : options.sender;
  if (s.sender == "<>") s.sender.clear();
  s.recipients = std::move(options.recipients);
  if (options.headers_recipients) {
    auto found = header_addresses(message);
    s.recipients.insert(s.recipients.end(), found.begin(), found.end());
    message = without_bcc(message);
  }
  if (s.recipients.empty()) return Failure{EX_USAGE, "no recipients (give them as arguments, or use -t)"};

  // What a submission server would add (RFC 6409 8): Date, Message-ID, From.
  // A message without a header/body separator is all header: kept so.
  std::string added;
  if (!mail::header(message, "From")) {
    const std::string name = options.full_name.empty() ? "" : "\"" + options.full_name + "\" ";
    added += "From: " + name + "<" + (s.sender.empty() ? own_address : s.sender) + ">\r\n";
  }
  if (!mail::header(message, "Date")) added += "Date: " + mail::rfc5322_date(caller.now) + "\r\n";
  if (!mail::header(message, "Message-ID")) {
    added += "Message-ID: <" + auth::hex_encode(auth::random_bytes(12)) + "@" + caller.host + ">\r\n";
  }
  message = added + message;

  s.eight_bit = has_8bit(message);
  s.utf8_address = has_8bit(s.sender);
  for (const auto& r : s.recipients) s.utf8_address = s.utf8_address || has_8bit(r);
  auto stuffed = smtp::dot_stuff(message);
  if (!stuffed) return Failure{EX_DATAERR, "malformed message: " + stuffed.error().detail};
  s.data = std::move(stuffed.value());
  return s;
}

Outcome<UniqueFd> connect_socket(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) return Failure{EX_USAGE, "socket path too long: " + path};
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid() || ::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    return Failure{EX_UNAVAILABLE, "cannot reach the mail system at " + path + ": " + std::strerror(errno)};
  }
  return fd;
}

std::optional<Failure> submit(int fd, const Submission& submission) {
  Client c(fd);
  auto greeting = c.reply();
  if (auto* f = std::get_if<Failure>(&greeting)) return *f;
  const auto& g = std::get<smtp::ServerReply>(greeting);
  if (g.code != 220) {
    if (Client::not_permitted(g)) return Failure{EX_NOPERM, "not allowed to send mail: " + g.text()};
    return Failure{g.transient() ? EX_TEMPFAIL : EX_UNAVAILABLE, "mail system: " + g.text()};
  }
  if (auto f = c.command("EHLO localhost", 2, EX_PROTOCOL)) return f;
  std::string mail = "MAIL FROM:<" + submission.sender + ">";
  if (submission.eight_bit) mail += " BODY=8BITMIME";
  if (submission.utf8_address) mail += " SMTPUTF8";
  if (auto f = c.command(mail, 2, EX_DATAERR, true)) return f;
  for (const auto& r : submission.recipients) {
    if (auto f = c.command("RCPT TO:<" + r + ">", 2, EX_NOUSER)) return f;
  }
  if (auto f = c.command("DATA", 3, EX_PROTOCOL)) return f;
  if (auto f = c.send(submission.data + std::string(smtp::kEndOfData))) return f;
  auto done = c.reply();
  if (auto* f = std::get_if<Failure>(&done)) return *f;
  const auto& d = std::get<smtp::ServerReply>(done);
  if (d.code / 100 != 2) return Failure{d.transient() ? EX_TEMPFAIL : EX_DATAERR, "message refused: " + d.text()};
  // The message is queued; QUIT is a courtesy whose fate does not matter.
  (void)c.send("QUIT\r\n");
  return std::nullopt;
}

std::optional<Failure> run(const Options& options, std::string_view input, const Caller& caller,
                           const std::string& socket_path) {
  auto message = read_message(input, options.ignore_dots);
  if (auto* f = std::get_if<Failure>(&message)) return *f;
  auto submission = prepare(options, std::move(std::get<std::string>(message)), caller);
  if (auto* f = std::get_if<Failure>(&submission)) return *f;
  auto fd = connect_socket(socket_path);
  if (auto* f = std::get_if<Failure>(&fd)) return *f;
  return submit(std::get<UniqueFd>(fd).get(), std::get<Submission>(submission));
}

}  // namespace parley::sendmail
