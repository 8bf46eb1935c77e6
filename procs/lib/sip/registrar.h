// The registrar's bindings (RFC 3261 10.3 steps 6-8, RFC 5626 6 and 7):
// what an authenticated REGISTER does to an account's bindings. Pure: no
// I/O; the clock is the caller's (`now`, seconds since any fixed epoch,
// the same one for every call). procs/lib/sip/bindings.h keeps the result
// in LMDB.
//
// Inputs: a parsed REGISTER (parse_message already refused malformed
// Contact lists, "*" mixed with other contacts, bad Expires values and bad
// Contact expires parameters), already authenticated and mapped to an
// account by the caller (steps 1-5 are sipd's); the account's current
// bindings; the limits from the directory's settings; the flow the request
// came on, an opaque string ("tcp:conn-17", "udp:198.51.100.7:5060").
//
// Output: accepted, with the account's bindings after the request (what
// the 200 lists, RFC 3261 10.3 step 8), or a refusal the caller maps to a
// status; all or nothing (step 7: no binding changes when any fails).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sip/message.h"

namespace parley::sip {

// One contact bound to an account.
struct Binding {
  std::string uri;           // the Contact URI as the UA wrote it (without <>)
  std::string instance;      // RFC 5626 +sip.instance, unquoted ("<urn:uuid:...>"); empty: none
  std::uint32_t reg_id = 0;  // RFC 5626 reg-id (1..2^31-1); 0: none (ignored without an instance)
  std::uint16_t q = 1000;    // the q-value in thousandths, 0..1000; 1000 when the Contact had none
  std::int64_t expires_at = 0;  // `now` + the granted interval
  std::string call_id;          // of the REGISTER that made or last refreshed it
  std::uint32_t cseq = 0;
  std::string flow;  // the caller's opaque name of the transport flow
  bool operator==(const Binding&) const = default;
};

struct RegistrarPolicy {
  // When the UA asks for no interval, the registrar picks one (RFC 3261
  // 10.3 step 6: "a locally-configured default value"); an hour here.
  std::uint32_t default_expires = 3600;
  // Below this (and below an hour), 423 Interval Too Brief (RFC 3261 10.3
  // step 7); values above 3600 are taken as 3600, as the RFC allows a 423
  // only for intervals under an hour.
  std::uint32_t min_expires = 60;
  // Longer requests are granted this much (a registrar may shorten them).
  std::uint32_t max_expires = 86400;
  // Bindings per account (the directory's device limit).
  std::size_t max_bindings = 10;
};

// Why a REGISTER was refused, and the status this library suggests:
//   bad_request: Contact "*" without "Expires: 0", a bad q-value, a bad
//     reg-id or +sip.instance, not a REGISTER: 400 Bad Request;
//   interval_too_brief: 423 Interval Too Brief with Min-Expires:
//     `min_expires` (RFC 3261 10.3 step 7);
//   out_of_order: a CSeq not above the binding's for its Call-ID: "the
//     update MUST be aborted and the request fails" (10.3 step 7), and a
//     failed update is answered 500 Server Internal Error (the end of step
//     7). A retransmission of the same REGISTER is absorbed by the
//     transaction layer before it gets here, so this is a stale or
//     reordered request, not a retransmission;
//   too_many: the account would exceed `max_bindings`: 403 Forbidden (a
//     limit of the account, the UA should not retry as is) is sipd's
//     choice; 503 would invite retries that cannot succeed.
enum class Refusal { none, bad_request, interval_too_brief, out_of_order, too_many };

struct RegisterOutcome {
  Refusal refusal = Refusal::none;
  std::string detail;              // why, for the log (never for the peer)
  std::uint32_t min_expires = 0;   // interval_too_brief: the Min-Expires to send
  std::vector<Binding> bindings;   // accepted: the account's bindings, by q (highest first)
  bool changed = false;            // accepted: the bindings differ from those given
  bool refresh = false;            // accepted: the same contacts on the same flows, only renewed
  bool ok() const { return refusal == Refusal::none; }
};

// RFC 3261 10.3 steps 6 and 7 for `request` against `current` (bindings
// whose expires_at <= now are gone already and are dropped):
// - no Contact: a query, the bindings unchanged;
// - Contact "*": needs Expires 0, removes every binding (a binding from
//   the same Call-ID with a CSeq not below the request's refuses it all);
// - each Contact's interval is its expires parameter, else the Expires
//   header, else policy.default_expires; 0 removes, 0 < e < min and
//   e < 3600 refuses with 423, above max is capped;
// - a Contact with +sip.instance matches the binding with the same
//   instance and reg-id (RFC 5626 7: the device re-registering, whatever
//   its URI now is); one without matches by URI (RFC 3261 19.1.4);
// - an existing binding from another Call-ID is replaced; from the same
//   Call-ID only with a higher CSeq.
[[nodiscard]] RegisterOutcome apply_register(const Message& request, std::vector<Binding> current,
                                             const RegistrarPolicy& policy, std::string_view flow, std::int64_t now);

// A q-value (RFC 3261 25.1: "0" ["." 0*3DIGIT] / "1" ["." 0*3"0"]) in
// thousandths; nullopt when malformed.
std::optional<std::uint16_t> parse_qvalue(std::string_view text);

// The value of one Contact in a 200 to REGISTER: "<uri>;q=0.5;expires=N"
// (q only when below 1), with +sip.instance and reg-id when the binding has
// them (RFC 5626 6).
std::string contact_value(const Binding& binding, std::int64_t now);

// The bindings still valid at `now`, highest q first (equal q-values keep
// their order), for routing.
std::vector<Binding> live_bindings(std::vector<Binding> bindings, std::int64_t now);

}  // namespace parley::sip
