// The registrar on arbitrary bytes: whatever parses as a REGISTER is
// applied to no bindings and then again to the bindings it made (a replay,
// refused); never crashes; an accepted outcome keeps the policy's bounds
// (count, intervals, q) and its Contact values make a 200 that parses back
// to as many contacts, each with its expires.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "sip/message.h"
#include "sip/registrar.h"

namespace {

using namespace parley::sip;

constexpr std::int64_t kNow = 1'000'000;

void check(const Message& request, const RegisterOutcome& out, const RegistrarPolicy& policy) {
  if (!out.ok()) {
    if (out.refusal == Refusal::interval_too_brief && out.min_expires == 0) std::abort();
    return;
  }
  if (out.bindings.size() > policy.max_bindings) std::abort();
  std::vector<Header> extra;
  for (std::size_t i = 0; i < out.bindings.size(); ++i) {
    const Binding& b = out.bindings[i];
    if (b.q > 1000 || b.expires_at <= kNow || b.expires_at > kNow + policy.max_expires) std::abort();
    if (i > 0 && out.bindings[i - 1].q < b.q) std::abort();
  }
  std::vector<std::string> values;
  for (const auto& b : out.bindings) values.push_back(contact_value(b, kNow));
  for (const auto& v : values) extra.push_back(Header{"Contact", v});
  auto ok = make_response(request, 200, "OK", "reg-tag", extra);
  if (!ok) std::abort();
  auto back = parse_message(ok->serialize());
  if (!back || back->contacts().size() != out.bindings.size()) std::abort();
  for (const auto& c : back->contacts()) {
    if (!find_param(c.params, "expires")) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto request = parse_message(std::string(reinterpret_cast<const char*>(data), size));
  if (!request || !request->is_request()) return 0;
  RegistrarPolicy policy;
  policy.max_bindings = 4;
  const auto first = apply_register(*request, {}, policy, "udp:192.0.2.1:5060", kNow);
  check(*request, first, policy);
  if (!first.ok()) return 0;
  // The same request again finds the bindings it made, with its own
  // Call-ID and CSeq: refused as out of order whenever it bound anything.
  const auto again = apply_register(*request, first.bindings, policy, "udp:192.0.2.1:5060", kNow);
  check(*request, again, policy);
  if (!first.bindings.empty() && again.refusal != Refusal::out_of_order) std::abort();
  return 0;
}
