// router.route_signal (ipc/contracts/router.h): where sipd sends a SIP
// request. The caller is sipd; its request is checked as untrusted.
//
// `address` ("user@domain", from the Request-URI) is resolved by the
// directory (directory.resolve) and becomes the reply's `targets`, which
// ring in parallel, or one KIND_REJECT with an Answer (sipd maps it to a
// SIP status):
//   - an account: KIND_REGISTERED, uri "sip:" + account, account set; its
//     sip_forward_always (Resolution.sip) replaces it with what that
//     destination resolves to;
//   - a group: its members (the directory expands nested groups): accounts
//     KIND_REGISTERED, external addresses KIND_EXTERNAL "sip:" + address,
//     each once; members that take no calls are left out (their own
//     forward-always is not followed: a group rings devices);
//   - a forwarder (or a domain's unknown=forward): its targets, resolved
//     again; external ones KIND_EXTERNAL "sip:" + address;
//   - unknown (reject or discard): OUTCOME_UNKNOWN_USER, permanent (a
//     disabled account is unknown to the directory, as for mail);
//   - not one of our domains: KIND_EXTERNAL with uri = signal.request_uri
//     when signal.auth_user is set; otherwise OUTCOME_RELAY_DENIED,
//     permanent (no open SIP relay). A forward destination or group member
//     in a foreign domain is the administrator's or owner's choice and is
//     always followed;
//   - an account whose SIP settings say not enabled (no "sip" service):
//     OUTCOME_MAILBOX_DISABLED, permanent;
//   - the directory unreachable or late: OUTCOME_UNAVAILABLE, temporary;
//   - forwarding or groups deeper than kMaxSignalDepth, or back to an
//     account already on the way: OUTCOME_ROUTING_LOOP, permanent;
//   - an address that is not an RFC 5321 mailbox: OUTCOME_UNKNOWN_USER,
//     permanent (any user part can come from the network).
// A list of several targets ends as a KIND_REJECT only when none is left;
// the first refusal met is the answer then.
//
// A group whose ring is in turn (Resolution.ring) gives each member's
// targets their own stage (0, 1, ... in member order) of ring.seconds;
// a parallel group's members are all stage 0.
//
// The forward destination "voicemail" (in any sip_forward_* setting)
// becomes a KIND_MEDIA target, application "voicemail", account the one
// whose setting it is; sipd sends it to the media process. Without one
// (request.media false) such a rule is left out, as if it were not set
// (router.signal.no_media, debug): forward-always to voicemail rings the
// account.
//
// An account (called, or reached by forwarding) with sip_working_hours and
// sip_forward_after_hours set is, outside those hours in its sip_time_zone
// (empty: the server's) at clock.now, forwarded there as by
// sip_forward_always (logged as router.signal.after_hours). Hours or a
// zone the router cannot read (the directory checks them when set) leave
// the rule out, logged as router.signal.hours_unreadable.
//
// When `address` is an account that takes calls, its sip_forward_busy,
// sip_forward_no_answer and sip_forward_unregistered become on_busy,
// on_no_answer and on_unregistered, each resolved as a forward destination
// (above); one that resolves to a refusal is left empty (logged), so the
// call is answered as if it had none. no_answer_seconds is the account's
// sip_no_answer_s. Groups, forwarders and foreign addresses have none.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/asio.h"
#include "core/result.h"
#include "hours/time_zone.h"
#include "gateways.h"
#include "schema/directory.pb.h"
#include "schema/signal.pb.h"

namespace parley::router {

// The wall clock and the time zones working hours are read in; injected
// so that tests choose the moment.
struct SignalClock {
  std::function<std::int64_t()> now;  // seconds since 1970-01-01 UTC
  std::shared_ptr<hours::ZoneCache> zones;
};

// Forwarding and group levels followed for one request, as for mail
// (router.cpp's kMaxExpansionDepth).
inline constexpr int kMaxSignalDepth = 8;
// Branches one request may ring in parallel: more are left out (logged).
// A hunt group larger than this is a configuration to split; sipd forks
// this many client transactions at most.
inline constexpr std::size_t kMaxSignalTargets = 32;
// Directory requests one request may make: forwarders pointing at several
// forwarders each would otherwise multiply them level by level. Past it,
// what is left is a loop (OUTCOME_ROUTING_LOOP).
inline constexpr int kMaxSignalLookups = 64;
// Request fields the router reads.
inline constexpr std::size_t kMaxSignalSid = 256;
inline constexpr std::size_t kMaxRequestUri = 8192;  // sipd's own line limit is the real bound
inline constexpr std::size_t kMaxSignalAddress = 256;  // RFC 5321 4.5.3.1.3, as addr::kMaxPath

// The directory's answer for a batch of addresses, one Resolution per
// address in order. An error when the directory did not answer (down,
// timeout, unparsable reply).
using Resolve =
    std::function<awaitable<Result<schema::ResolveReply>>(const schema::ResolveRequest& request, const std::string& sid)>;

// The request as sipd must send it: a signal that is a request, address
// non-empty and at most kMaxSignalAddress bytes, auth_user empty or a
// mailbox, sid and request_uri within their limits. Errc::invalid or
// Errc::limit otherwise (the handler answers with that error, no reply).
Status check_route_signal(const schema::RouteSignalRequest& request);

// The routing decision for a request check_route_signal accepted. Never
// fails: every trouble is a KIND_REJECT target with its Answer. Logs one
// event: router.signal.routed (debug), router.signal.refused or
// router.signal.relay_denied (info).
//
// With `gateways` (router.sip_gateways, gateways.h): an authenticated
// caller's call to a number in a local domain that a rule matches is one
// KIND_EXTERNAL target, the rule's URI, or with `trunk` set and the number
// as the URI's user part; logged as router.signal.gateway (info). Rules
// come before the domain's accounts and extensions.
awaitable<schema::RouteSignalReply> route_signal(Resolve resolve, schema::RouteSignalRequest request, SignalClock clock,
                                                 std::vector<Gateway> gateways = {});

}  // namespace parley::router
