// Mailbox names (RFC 3501 5.1.3 modified UTF-7, RFC 9051 5.1 UTF-8) and
// the string forms of IMAP responses (RFC 9051 4.3). Pure: no I/O.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"

namespace parley::imap {

// A mailbox name as the client wrote it (the astring's content) to UTF-8.
//   utf8 == false (IMAP4rev1): modified UTF-7; "&-" is "&"; base64 runs
//     must be well formed (closed by "-", ',' for '/', no padding, zero
//     leftover bits, paired surrogates, no printable ASCII inside, no two
//     adjacent runs); 8-bit bytes are refused.
//   utf8 == true (IMAP4rev2, UTF8=ACCEPT): the name must be valid UTF-8 and
//     is taken as is.
// Control characters (< 0x20, 0x7F) are refused in both. "INBOX" in any
// case becomes "INBOX" when normalize_inbox. Errc::syntax on failure.
Result<std::string> decode_mailbox(std::string_view name, bool utf8, bool normalize_inbox = true);

// A UTF-8 mailbox name for the client: modified UTF-7 when !utf8, else
// unchanged. `name` must be valid UTF-8 (invalid sequences become U+FFFD).
std::string encode_mailbox(std::string_view name, bool utf8);

// The wire forms (RFC 9051 4.3): a quoted string when every byte allows it
// (no CR, LF, NUL; 8-bit only when utf8 and valid UTF-8; at most 1024
// bytes), otherwise a synchronizing-free server literal "{n}\r\n<bytes>".
std::string encode_string(std::string_view s, bool utf8 = false);
// An atom when possible (not "NIL", atom characters only), else as encode_string.
std::string encode_astring(std::string_view s, bool utf8 = false);
// "NIL" for nullopt, else encode_string.
std::string encode_nstring(std::optional<std::string_view> s, bool utf8 = false);
// encode_astring(encode_mailbox(name, utf8), utf8).
std::string format_mailbox(std::string_view name, bool utf8);

}  // namespace parley::imap
