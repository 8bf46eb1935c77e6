// The router's answers (schema/outcome.proto): what router.verify tells
// smtpd about an address, and why route() refuses a recipient. Outcomes
// and plain text only; each front end makes its protocol's reply. Pure.
#pragma once

#include <optional>
#include <string>

#include "core/result.h"
#include "rules.h"
#include "schema/directory.pb.h"
#include "schema/envelope.pb.h"

namespace parley::router {

// Whether the directory found a mailbox: an account, forwarder or group.
bool has_mailbox(schema::Resolution::Kind kind);

schema::Answer accepted();
schema::Answer refused(schema::Outcome outcome, bool permanent, std::string detail = {});

// router.verify, for an address a rule decided (error, null or smtp; a
// rewrite is resolved by the directory instead).
schema::Verdict rule_verdict(const Match& match);
// router.verify, for the directory's resolution of an address that is not
// an orphan postmaster (postmaster.h).
schema::Verdict resolution_verdict(schema::Resolution::Kind kind);
// router.verify, for an orphan postmaster, given the main postmaster's
// lookup: an error (the directory did not answer), none found (a
// configuration to mend: refused for now), or the main postmaster.
schema::Verdict postmaster_verdict(const Result<std::optional<schema::Resolution>>& main);

// route(): recipients refused once the message is taken (they bounce).
schema::Answer unknown_user();
schema::Answer no_main_postmaster();
schema::Answer expansion_too_deep();
// router.enqueue: a message in a loop (too many Received headers), or one
// whose forwarders and groups expand to too many recipients.
schema::Answer routing_loop();

}  // namespace parley::router
