#include "verdicts.h"

#include "core/ascii.h"

namespace parley::smtpd {
namespace {

struct Row {
  schema::Outcome outcome;
  smtp::Reply permanent;
  smtp::Reply temporary;
};

// Every outcome once. The replies clients have always seen come from
// smtp/reply.h (kNoSuchUser, kRelayDenied, kTooBig, kTempFailure).
constexpr Row kTable[] = {
    {schema::OUTCOME_ACCEPTED, smtp::kRecipientOk, smtp::kRecipientOk},
    {schema::OUTCOME_UNKNOWN_USER, smtp::kNoSuchUser, {450, "4.1.1", "No such user"}},
    {schema::OUTCOME_MAILBOX_MOVED, {550, "5.1.6", "Mailbox has moved"}, {450, "4.1.6", "Mailbox has moved"}},
    {schema::OUTCOME_MAILBOX_DISABLED, {550, "5.2.1", "Mailbox disabled"}, {450, "4.2.1", "Mailbox disabled"}},
    {schema::OUTCOME_OVER_QUOTA, {552, "5.2.2", "Mailbox full"}, {452, "4.2.2", "Mailbox full"}},
    {schema::OUTCOME_MESSAGE_TOO_BIG, smtp::kTooBig, {452, "4.3.4", "Message too big for system"}},
    {schema::OUTCOME_RELAY_DENIED, smtp::kRelayDenied, {454, "4.7.1", "Relaying denied"}},
    {schema::OUTCOME_POLICY_REJECTED, {550, "5.7.1", "Refused by policy"}, {450, "4.7.1", "Refused by policy, try again later"}},
    {schema::OUTCOME_ROUTING_LOOP, {554, "5.4.6", "Routing loop detected (too many hops)"}, {451, "4.4.6", "Routing loop detected"}},
    {schema::OUTCOME_MISCONFIGURED, {550, "5.3.5", "System incorrectly configured"},
     {451, "4.3.5", "System incorrectly configured, try again later"}},
    {schema::OUTCOME_UNAVAILABLE, {554, "5.3.0", "Local error"}, smtp::kTempFailure},
};

}  // namespace

const smtp::Reply& outcome_reply(schema::Outcome outcome, bool permanent) {
  for (const auto& row : kTable) {
    if (row.outcome == outcome) return permanent ? row.permanent : row.temporary;
  }
  return smtp::kTempFailure;
}

std::string answer_reply(const schema::Answer& answer) {
  const smtp::Reply& standard = outcome_reply(answer.outcome(), answer.permanent());
  const std::string& detail = answer.detail();
  if (detail.empty() || detail.size() > kMaxDetail || !printable_ascii(detail)) return smtp::to_wire(standard);
  return smtp::format_reply(standard.code, standard.enhanced, {detail});
}

bool well_formed(const schema::Verdict& verdict) {
  if (verdict.answer().outcome() != schema::OUTCOME_ACCEPTED) return true;
  switch (verdict.kind()) {
    case schema::Verdict::KIND_LOCAL:
    case schema::Verdict::KIND_ROUTED:
    case schema::Verdict::KIND_REMOTE: return true;
    default: return false;
  }
}

}  // namespace parley::smtpd
