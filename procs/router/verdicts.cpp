#include "verdicts.h"

namespace parley::router {
namespace {

// No main postmaster (router.postmaster, or postmaster at the host name or
// a parent domain of it): RCPT is refused for now, until the configuration
// is mended; a message already taken bounces for that recipient.
constexpr std::string_view kNoPostmasterRcpt = "No postmaster mailbox configured, try again later";
constexpr std::string_view kNoPostmasterRoute = "No postmaster mailbox configured";
constexpr std::string_view kExpansionTooDeep = "alias or group expansion too deep";

schema::Verdict verdict(schema::Verdict::Kind kind) {
  schema::Verdict v;
  v.set_kind(kind);
  *v.mutable_answer() = accepted();
  return v;
}

schema::Verdict refusal(schema::Answer answer) {
  schema::Verdict v;
  *v.mutable_answer() = std::move(answer);
  return v;
}

}  // namespace

bool has_mailbox(schema::Resolution::Kind kind) {
  return kind == schema::Resolution::KIND_ACCOUNT || kind == schema::Resolution::KIND_FORWARD ||
         kind == schema::Resolution::KIND_GROUP;
}

schema::Answer accepted() {
  schema::Answer a;
  a.set_outcome(schema::OUTCOME_ACCEPTED);
  return a;
}

schema::Answer refused(schema::Outcome outcome, bool permanent, std::string detail) {
  schema::Answer a;
  a.set_outcome(outcome);
  a.set_permanent(permanent);
  a.set_detail(std::move(detail));
  return a;
}

schema::Verdict rule_verdict(const Match& match) {
  switch (match.kind) {
    case Rule::Kind::error: return refusal(match.refusal);
    case Rule::Kind::discard: return verdict(schema::Verdict::KIND_LOCAL);
    case Rule::Kind::smtp: return verdict(schema::Verdict::KIND_ROUTED);
    case Rule::Kind::rewrite: break;
  }
  return refusal(refused(schema::OUTCOME_UNAVAILABLE, false));
}

schema::Verdict resolution_verdict(schema::Resolution::Kind kind) {
  switch (kind) {
    case schema::Resolution::KIND_ACCOUNT:
    case schema::Resolution::KIND_FORWARD:
    case schema::Resolution::KIND_GROUP:
    case schema::Resolution::KIND_UNKNOWN_DISCARD: return verdict(schema::Verdict::KIND_LOCAL);
    case schema::Resolution::KIND_NOT_LOCAL: return verdict(schema::Verdict::KIND_REMOTE);
    case schema::Resolution::KIND_UNKNOWN_REJECT: return refusal(unknown_user());
    default: return refusal(refused(schema::OUTCOME_UNAVAILABLE, false));
  }
}

schema::Verdict postmaster_verdict(const Result<std::optional<schema::Resolution>>& main) {
  if (!main) return refusal(refused(schema::OUTCOME_UNAVAILABLE, false));
  if (!main.value()) return refusal(refused(schema::OUTCOME_MISCONFIGURED, false, std::string(kNoPostmasterRcpt)));
  // A configured postmaster elsewhere is an address we relay to.
  return verdict(has_mailbox(main.value()->kind()) ? schema::Verdict::KIND_LOCAL : schema::Verdict::KIND_ROUTED);
}

schema::Answer unknown_user() { return refused(schema::OUTCOME_UNKNOWN_USER, true); }
schema::Answer no_main_postmaster() { return refused(schema::OUTCOME_MISCONFIGURED, true, std::string(kNoPostmasterRoute)); }
schema::Answer expansion_too_deep() { return refused(schema::OUTCOME_ROUTING_LOOP, true, std::string(kExpansionTooDeep)); }
schema::Answer routing_loop() { return refused(schema::OUTCOME_ROUTING_LOOP, true); }

}  // namespace parley::router
