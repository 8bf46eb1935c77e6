// The SASL relay of every front end: the exchange runs between the client
// and the directory, which alone holds the credentials. The front end
// frames challenges and responses in its protocol ("334 ..." for SMTP,
// "+ ..." for IMAP and POP3), passes them on, and maps the outcome to its
// own replies.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "core/asio.h"
#include "schema/directory.pb.h"

namespace parley::ipc {
class Client;
}

namespace parley::front {

// The mechanisms the directory verifies, as EHLO/CAPA list them.
inline constexpr std::string_view kSaslMechanisms = "PLAIN LOGIN SCRAM-SHA-256";
bool sasl_mechanism_supported(std::string_view mechanism);

struct SaslOutcome {
  enum class Kind {
    ok,           // `account` is the canonical account
    failed,       // wrong credentials (or an unknown account: the same answer)
    tempfail,     // the directory could not answer, or rate-limited the client
    cancelled,    // the client sent "*", or a response that is not base64
    unsupported,  // a mechanism the directory does not verify
    bad_initial,  // the initial response is not base64
    lost,         // the connection ended during the exchange
  };
  Kind kind = Kind::failed;
  std::string account;
};

// Sends one challenge (base64 text) in the protocol's framing and returns
// the client's response line, without CRLF; nullopt when the connection
// is lost. A line over the limit comes back as something that is not
// base64 (the exchange is then cancelled).
using SaslChallenge = std::function<awaitable<std::optional<std::string>>(std::string base64)>;

struct SaslStart {
  std::string mechanism;
  std::optional<std::string> initial;  // as the client sent it, base64; "=" is empty
  schema::Service service = schema::SERVICE_UNSPECIFIED;
  std::string client_ip;
  std::string sid;
};

// Runs the whole exchange: the mechanism check, the initial response, every
// challenge the directory sends, and SCRAM's server-final message as a last
// challenge the client answers with an empty line (RFC 4954 4, RFC 3501 6.2.2).
awaitable<SaslOutcome> sasl_authenticate(ipc::Client& directory, const SaslStart& start, const SaslChallenge& challenge);

// The longest response line taken (RFC 4954 4: 12288 octets, plus CRLF;
// IMAP and POP3 take the same).
inline constexpr std::size_t kMaxSaslLine = 12288 + 2;

}  // namespace parley::front
