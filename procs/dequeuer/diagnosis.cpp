#include "diagnosis.h"

#include "core/ascii.h"
#include "smtp/reply.h"

namespace parley::dequeuer {
namespace {

struct Row {
  schema::Outcome outcome;
  smtp::Reply permanent;
  smtp::Reply temporary;
};

constexpr smtp::Reply kUnavailable{451, "4.3.0", "Local error"};

// Every outcome once.
constexpr Row kTable[] = {
    {schema::OUTCOME_ACCEPTED, {250, "2.0.0", "delivered to mailbox"}, {250, "2.0.0", "delivered to mailbox"}},
    {schema::OUTCOME_UNKNOWN_USER, {550, "5.1.1", "No such user"}, {450, "4.1.1", "No such user"}},
    {schema::OUTCOME_MAILBOX_MOVED, {550, "5.1.6", "Mailbox has moved"}, {450, "4.1.6", "Mailbox has moved"}},
    {schema::OUTCOME_MAILBOX_DISABLED, {550, "5.2.1", "Mailbox disabled"}, {450, "4.2.1", "Mailbox disabled"}},
    {schema::OUTCOME_OVER_QUOTA, {552, "5.2.2", "Mailbox full"}, {452, "4.2.2", "Mailbox full"}},
    {schema::OUTCOME_MESSAGE_TOO_BIG, {552, "5.3.4", "Message too big for system"}, {452, "4.3.4", "Message too big for system"}},
    {schema::OUTCOME_RELAY_DENIED, {554, "5.7.1", "Relaying denied"}, {454, "4.7.1", "Relaying denied"}},
    {schema::OUTCOME_POLICY_REJECTED, {550, "5.7.1", "Refused by policy"}, {450, "4.7.1", "Refused by policy"}},
    {schema::OUTCOME_ROUTING_LOOP, {554, "5.4.6", "Routing loop detected"}, {451, "4.4.6", "Routing loop detected"}},
    {schema::OUTCOME_MISCONFIGURED, {550, "5.3.5", "System incorrectly configured"}, {451, "4.3.5", "System incorrectly configured"}},
    {schema::OUTCOME_UNAVAILABLE, {554, "5.3.0", "Local error"}, kUnavailable},
};

}  // namespace

Diagnosis diagnose(const schema::Answer& answer) {
  const Row* found = nullptr;
  for (const auto& row : kTable) {
    if (row.outcome == answer.outcome()) found = &row;
  }
  Diagnosis d;
  d.delivered = answer.outcome() == schema::OUTCOME_ACCEPTED;
  d.permanent = found != nullptr && !d.delivered && answer.permanent();
  const smtp::Reply& standard = found == nullptr ? kUnavailable : (d.permanent ? found->permanent : found->temporary);
  const std::string& detail = answer.detail();
  const bool usable = !detail.empty() && detail.size() <= kMaxDetail && printable_ascii(detail);
  const std::string_view text = usable ? std::string_view(detail) : standard.text;
  d.reply = std::to_string(standard.code) + " " + std::string(standard.enhanced) + " " + std::string(text);
  return d;
}

}  // namespace parley::dequeuer
