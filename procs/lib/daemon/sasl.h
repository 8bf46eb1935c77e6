// SASL for the front ends (smtpd, imapd): the exchange runs between the
// client and the directory, which alone holds the credentials; the front
// end only relays challenges and responses in its protocol's framing
// (SMTP "334 ...", POP3 and IMAP "+ ...") and learns the outcome.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "core/asio.h"
#include "core/result.h"
#include "ipc/ipc.h"
#include "schema/directory.pb.h"

namespace parley::daemon {

struct SaslOutcome {
  enum class Kind { ok, failed, tempfail, cancelled, lost };
  Kind kind = Kind::failed;
  std::string account;     // ok: the canonical account
  std::string final_data;  // ok: server data for the client's last step (SCRAM's server-final), raw
};

// Sends `challenge` (raw bytes; the caller base64-encodes for the wire) and
// returns the client's decoded response, "*"-cancel as nullopt with
// `cancelled` set, or nullopt for a lost connection / undecodable line.
using SaslAsk = std::function<awaitable<std::optional<std::string>>(std::string challenge, bool& cancelled)>;

// Runs the exchange that `first` starts (mechanism, service, client address,
// sid, and the initial response if any). `ask` is called for every
// challenge the directory sends.
awaitable<SaslOutcome> sasl_exchange(ipc::Client& directory, schema::AuthRequest first, const SaslAsk& ask);

}  // namespace parley::daemon
