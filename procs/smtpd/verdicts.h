// Back ends' answers (schema/outcome.proto) as SMTP replies: the one table
// from outcome to reply code, enhanced status code (RFC 3463) and text,
// for router.verify's verdicts at RCPT and router.enqueue's answer after
// the message. Pure: no I/O.
#pragma once

#include <cstddef>
#include <string>

#include "schema/envelope.pb.h"
#include "schema/outcome.pb.h"
#include "smtp/reply.h"

namespace parley::smtpd {

// The longest detail sent to a client (schema/outcome.proto, Answer.detail;
// a reply line is at most 512 octets, RFC 5321 4.5.3.1.5).
constexpr std::size_t kMaxDetail = 400;

// The standard reply for an outcome, permanent (5xx) or temporary (4xx).
// OUTCOME_ACCEPTED is 250 2.1.5 either way; OUTCOME_UNSPECIFIED and values
// this build does not know are 451 4.3.0, whatever `permanent` says.
const smtp::Reply& outcome_reply(schema::Outcome outcome, bool permanent);

// The reply for a back end's answer, formatted for the wire: outcome_reply
// with the answer's detail as its text when there is one and it is at most
// kMaxDetail octets of printable ASCII (otherwise the standard text).
std::string answer_reply(const schema::Answer& answer);

// A verdict from the router, checked as input from another process: an
// accepted address must say where it goes (local, routed or remote).
bool well_formed(const schema::Verdict& verdict);

}  // namespace parley::smtpd
