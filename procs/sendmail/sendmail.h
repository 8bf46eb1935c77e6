// sendmail(1) as a library: main() is a few lines around it, and the unit
// tests drive it with argument lists, message text and a scripted smtpd on
// a socket pair.
//   sendmail [-t] [-i | -oi] [-f SENDER | -r SENDER] [-F NAME] [--] [RECIPIENT...]
// Other -o and -b options that sendmail implementations accept are taken
// and ignored (-b only as -bm), as are -v, -N, -B and -od*.
// Untrusted input: the caller's arguments and message, smtpd's replies.
// Every failure is a Failure: the exit status (sysexits.h) and one line
// for standard error. Statuses: 64 bad usage or no recipients; 65 a
// malformed or too large message; 67 a recipient refused; 69 smtpd
// unreachable; 75 a temporary refusal; 76 a protocol error; 77 the user may
// not send mail (smtpd.submit_users/submit_groups).
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/fd.h"

namespace parley::sendmail {

constexpr const char* kDefaultSocket = "/run/parley/submit.sock";  // smtpd's "local" listener
constexpr std::size_t kMaxMessage = 60 * 1024 * 1024;             // smtpd's largest max_message_bytes

struct Failure {
  int status;           // sysexits.h
  std::string message;  // printed after "sendmail: "
};

template <class T>
using Outcome = std::variant<T, Failure>;

struct Options {
  bool headers_recipients = false;  // -t: To, Cc and Bcc are recipients too
  bool ignore_dots = false;         // -i, -oi: a lone "." does not end the message
  std::string sender;               // -f, -r; "<>" is the null sender
  std::string full_name;            // -F, for an added From
  std::vector<std::string> recipients;
};

// The arguments after the program name. An option's value is attached
// ("-ffoo") or the next argument ("-f foo"); the first non-option (or what
// follows "--") starts the recipients.
Outcome<Options> parse_args(const std::vector<std::string>& args);

// Standard input as the message: every line end (LF, CR or CRLF) made CRLF,
// a final CRLF added; without ignore_dots a line holding a single "." ends
// it. Over kMaxMessage: EX_DATAERR.
Outcome<std::string> read_message(std::string_view input, bool ignore_dots);

// The addresses in To, Cc and Bcc (RFC 5322 groups, quoted names and
// comments included), in header order.
std::vector<std::string> header_addresses(std::string_view message);

// The message without its Bcc fields (folded lines included).
std::string without_bcc(std::string_view message);

// Who runs sendmail, and when.
struct Caller {
  std::string user;  // login name, or the uid in decimal
  std::string host;  // this host's name
  std::chrono::system_clock::time_point now;
};
Caller this_caller();

// What goes to smtpd.
struct Submission {
  std::string sender;  // empty: the null sender
  std::vector<std::string> recipients;
  std::string data;    // dot-stuffed, without the final "." CRLF
  bool eight_bit = false;     // BODY=8BITMIME
  bool utf8_address = false;  // SMTPUTF8
};

// The sender defaults to user@host; -t adds the header's recipients and
// drops Bcc; missing From, Date and Message-ID are added (RFC 6409 8). No
// recipients at all: EX_USAGE.
Outcome<Submission> prepare(Options options, std::string message, const Caller& caller);

// A connected stream socket to smtpd's Unix socket; EX_UNAVAILABLE if none.
Outcome<UniqueFd> connect_socket(const std::string& path);

// The SMTP exchange on `fd`: greeting, EHLO, MAIL, RCPT for each
// recipient, DATA, QUIT. nullopt once smtpd has accepted the message.
std::optional<Failure> submit(int fd, const Submission& submission);

// Everything after the arguments are parsed: message, connection,
// exchange. nullopt: the message is queued.
std::optional<Failure> run(const Options& options, std::string_view input, const Caller& caller,
                           const std::string& socket_path);

}  // namespace parley::sendmail
