// Local outcomes (schema/outcome.proto) as the queue records them: the one
// table from outcome to the SMTP-style reply kept in Recipient.last_reply,
// which delivery reports carry as their Diagnostic-Code and read their
// Status from (RFC 3464, RFC 3463). For local-delivery's answers, the
// router's refusals at routing and the dequeuer's own local failures;
// remote servers' replies are recorded as they came. Pure: no I/O.
#pragma once

#include <cstddef>
#include <string>

#include "schema/outcome.pb.h"

namespace parley::dequeuer {

// The longest detail recorded (schema/outcome.proto, Answer.detail).
constexpr std::size_t kMaxDetail = 400;

struct Diagnosis {
  bool delivered = false;
  bool permanent = false;  // a failure that is not retried
  std::string reply;       // "550 5.1.1 No such user"
};

// OUTCOME_ACCEPTED is delivered; other outcomes fail, permanently when the
// answer says so; OUTCOME_UNSPECIFIED and values this build does not know
// read as OUTCOME_UNAVAILABLE, temporary. The reply's text is the answer's
// detail when it is at most kMaxDetail octets of printable ASCII, else the
// outcome's standard text.
Diagnosis diagnose(const schema::Answer& answer);

}  // namespace parley::dequeuer
