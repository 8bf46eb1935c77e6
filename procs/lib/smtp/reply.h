// SMTP replies (RFC 5321 4.2) with enhanced status codes (RFC 2034, 3463,
// registry of RFC 5248). Pure: no I/O.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace parley::smtp {

// Formats a reply: every line but the last as "ccc-", the last as "ccc ",
// each followed by the enhanced code (when not empty) and CRLF:
//   format_reply(250, "2.0.0", {"a", "b"}) == "250-2.0.0 a\r\n250 2.0.0 b\r\n"
// No lines gives one line with the code (and enhanced code) only.
// Never emits a line break the caller did not ask for: CR, LF and NUL in
// `lines` or `enhanced` become SP. `code` is clamped to 200..599.
std::string format_reply(int code, std::string_view enhanced, std::vector<std::string_view> lines);

// A fixed reply the server sends. Text is safe for any peer.
struct Reply {
  int code;
  std::string_view enhanced;  // empty for replies without one (354)
  std::string_view text;
};

std::string to_wire(const Reply& reply);  // format_reply with one line

// The standard replies. Those needing a host name or a queue id (220
// greeting, 250 EHLO, 250 queued as ...) are formatted by the session.
inline constexpr Reply kOk{250, "2.0.0", "Ok"};
inline constexpr Reply kSenderOk{250, "2.1.0", "Sender ok"};
inline constexpr Reply kRecipientOk{250, "2.1.5", "Recipient ok"};
inline constexpr Reply kResetOk{250, "2.0.0", "Reset"};
inline constexpr Reply kCannotVerify{252, "2.0.0", "Cannot VRFY user, but will accept message"};
inline constexpr Reply kBye{221, "2.0.0", "Bye"};
inline constexpr Reply kReadyForTls{220, "2.0.0", "Ready to start TLS"};
inline constexpr Reply kStartData{354, "", "End data with <CR><LF>.<CR><LF>"};
inline constexpr Reply kAuthOk{235, "2.7.0", "Authentication successful"};
inline constexpr Reply kTimeout{421, "4.4.2", "Timeout, closing connection"};
inline constexpr Reply kShuttingDown{421, "4.3.2", "Service shutting down, closing connection"};
inline constexpr Reply kTempFailure{451, "4.3.0", "Local error, try again later"};
inline constexpr Reply kNoStorage{452, "4.3.1", "Insufficient system storage"};
inline constexpr Reply kTooManyRecipients{452, "4.5.3", "Too many recipients"};
inline constexpr Reply kUnknownCommand{500, "5.5.2", "Command unrecognized"};
inline constexpr Reply kLineTooLong{500, "5.5.2", "Line too long"};
inline constexpr Reply kSyntaxArgs{501, "5.5.4", "Syntax error in parameters or arguments"};
inline constexpr Reply kNotImplemented{502, "5.5.1", "Command not implemented"};
inline constexpr Reply kBadSequence{503, "5.5.1", "Bad sequence of commands"};
inline constexpr Reply kParamNotImplemented{504, "5.5.4", "Command parameter not implemented"};
inline constexpr Reply kTlsRequired{530, "5.7.0", "Must issue a STARTTLS command first"};
inline constexpr Reply kAuthRequired{530, "5.7.0", "Authentication required"};
inline constexpr Reply kAuthTooWeak{534, "5.7.9", "Authentication mechanism is too weak"};
inline constexpr Reply kAuthFailed{535, "5.7.8", "Authentication credentials invalid"};
inline constexpr Reply kNoSuchUser{550, "5.1.1", "No such user"};
inline constexpr Reply kRelayDenied{554, "5.7.1", "Relaying denied"};
inline constexpr Reply kTooBig{552, "5.3.4", "Message size exceeds fixed limit"};
inline constexpr Reply kNonAsciiAddress{553, "5.6.7", "Non-ASCII addresses require SMTPUTF8"};
// DATA verdicts (data.h). 5.6.0: other or undefined media error (RFC 3463).
inline constexpr Reply kBareLineEnding{550, "5.6.0", "Message contains bare CR or LF, refused"};
inline constexpr Reply kDataLineTooLong{550, "5.6.0", "Message contains a line longer than 1000 octets"};
inline constexpr Reply kNulInMessage{554, "5.6.0", "Message contains NUL characters, refused"};
inline constexpr Reply kBadParameters{555, "5.5.4", "MAIL FROM/RCPT TO parameters not recognized or not implemented"};
inline constexpr Reply kTransactionFailed{554, "5.0.0", "Transaction failed"};

// The one place parse_command errors become replies:
//   Errc::limit -> kLineTooLong; Errc::invalid with kUnknownVerbDetail ->
//   kUnknownCommand; other Errc::invalid -> kBadParameters; Errc::syntax ->
//   kSyntaxArgs; anything else -> kTempFailure.
const Reply& command_error_reply(const Error& error);

}  // namespace parley::smtp
