#include "sip/registrar.h"

#include <algorithm>
#include <utility>

#include "core/ascii.h"

namespace parley::sip {
namespace {

// RFC 3261 10.3 step 7 allows a 423 only for intervals under an hour.
constexpr std::uint32_t kMaxMinExpires = 3600;
// RFC 5626 4.2: reg-id is 1..2^31-1.
constexpr std::uint32_t kMaxRegId = 0x7fffffff;

std::optional<std::uint32_t> digits(std::string_view s, std::uint32_t max) {
  if (s.empty() || s.size() > 10) return std::nullopt;
  std::uint64_t n = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + static_cast<std::uint64_t>(c - '0');
  }
  if (n > max) return std::nullopt;
  return static_cast<std::uint32_t>(n);
}

RegisterOutcome refuse(Refusal why, std::string detail) {
  RegisterOutcome out;
  out.refusal = why;
  out.detail = std::move(detail);
  return out;
}

void sort_by_q(std::vector<Binding>& bindings) {
  std::stable_sort(bindings.begin(), bindings.end(), [](const Binding& a, const Binding& b) { return a.q > b.q; });
}

// One Contact of the request, its parameters checked.
struct Wanted {
  const NameAddr* contact = nullptr;
  std::uint32_t expires = 0;
  std::uint16_t q = 1000;
  std::string instance;
  std::uint32_t reg_id = 0;
};

// The same binding as RFC 5626 7 and RFC 3261 10.3 step 6 see it.
bool same_binding(const Binding& b, const Wanted& w) {
  if (!w.instance.empty()) return b.instance == w.instance && b.reg_id == w.reg_id;
  if (!b.instance.empty()) return false;
  auto uri = parse_uri(b.uri);
  return uri && equivalent(*uri, w.contact->uri);
}

}  // namespace

std::optional<std::uint16_t> parse_qvalue(std::string_view text) {
  if (text.empty() || (text[0] != '0' && text[0] != '1')) return std::nullopt;
  const bool one = text[0] == '1';
  std::uint16_t q = one ? 1000 : 0;
  if (text.size() == 1) return q;
  if (text[1] != '.' || text.size() > 5) return std::nullopt;
  std::uint16_t scale = 100;
  for (char c : text.substr(2)) {
    if (c < '0' || c > '9' || (one && c != '0')) return std::nullopt;
    q = static_cast<std::uint16_t>(q + (c - '0') * scale);
    scale /= 10;
  }
  return q;
}

std::string contact_value(const Binding& b, std::int64_t now) {
  std::string out = "<" + b.uri + ">";
  if (b.q < 1000) {
    std::string frac = std::to_string(1000 + b.q).substr(1);  // three digits
    while (!frac.empty() && frac.back() == '0') frac.pop_back();
    out += ";q=0";
    if (!frac.empty()) out += "." + frac;
  }
  // A delta-seconds value above 2^32-1 does not parse (RFC 3261 25.1
  // allows it, receivers cap it); no interval granted here comes near.
  constexpr std::int64_t kMaxDelta = 4294967295;
  out += ";expires=" + std::to_string(b.expires_at > now ? std::min(b.expires_at - now, kMaxDelta) : 0);
  if (!b.instance.empty()) out += ";+sip.instance=\"" + b.instance + "\"";
  if (b.reg_id != 0) out += ";reg-id=" + std::to_string(b.reg_id);
  return out;
}

std::vector<Binding> live_bindings(std::vector<Binding> bindings, std::int64_t now) {
  std::erase_if(bindings, [now](const Binding& b) { return b.expires_at <= now; });
  sort_by_q(bindings);
  return bindings;
}

RegisterOutcome apply_register(const Message& request, std::vector<Binding> current, const RegistrarPolicy& policy,
                               std::string_view flow, std::int64_t now) {
  if (!request.is_request() || request.method() != "REGISTER") return refuse(Refusal::bad_request, "not a REGISTER");
  current = live_bindings(std::move(current), now);
  const std::string_view call_id = request.call_id();
  const std::uint32_t cseq = request.cseq().number;
  // A binding from this Call-ID may only change with a higher CSeq.
  const auto in_order = [&](const Binding& b) { return b.call_id != call_id || cseq > b.cseq; };

  if (request.contact_star()) {
    // RFC 3261 10.3 step 6: "*" alone (parse_message saw to that) and
    // with an expiration of zero.
    if (request.expires() != std::optional<std::uint32_t>{0}) {
      return refuse(Refusal::bad_request, "Contact * without Expires: 0");
    }
    for (const auto& b : current) {
      if (!in_order(b)) return refuse(Refusal::out_of_order, "Contact *: CSeq not above binding " + b.uri);
    }
    RegisterOutcome out;
    out.changed = !current.empty();
    return out;
  }

  if (request.contacts().empty()) {
    RegisterOutcome out;
    out.bindings = std::move(current);
    return out;
  }

  // Every Contact checked before anything changes: all or nothing.
  const std::uint32_t min_expires = std::min(policy.min_expires, kMaxMinExpires);
  std::vector<Wanted> wanted;
  std::size_t with_reg_id = 0;
  for (const NameAddr& c : request.contacts()) {
    Wanted w;
    w.contact = &c;
    if (const Param* e = find_param(c.params, "expires")) {
      // parse_message checked it is delta-seconds.
      w.expires = digits(e->value, 0xffffffffu).value_or(0);
    } else {
      w.expires = request.expires().value_or(policy.default_expires);
    }
    if (w.expires > 0 && w.expires < min_expires) {
      RegisterOutcome out = refuse(Refusal::interval_too_brief, "expires " + std::to_string(w.expires) + " for " +
                                                                    std::string(c.uri_text));
      out.min_expires = min_expires;
      return out;
    }
    w.expires = std::min(w.expires, policy.max_expires);
    if (const Param* q = find_param(c.params, "q")) {
      const auto v = q->has_value ? parse_qvalue(q->value) : std::nullopt;
      if (!v) return refuse(Refusal::bad_request, "bad q-value in Contact " + std::string(c.uri_text));
      w.q = *v;
    }
    if (const Param* inst = find_param(c.params, "+sip.instance")) {
      // RFC 5626 4.1: a quoted "<instance>".
      const std::string v = inst->has_value ? unquote(inst->value) : std::string();
      if (!inst->has_value || inst->value.size() < 2 || inst->value.front() != '"' || v.size() < 3 ||
          v.front() != '<' || v.back() != '>' || !printable_ascii(v) || v.find_first_of("\"\\") != std::string::npos) {
        return refuse(Refusal::bad_request, "bad +sip.instance in Contact " + std::string(c.uri_text));
      }
      w.instance = v;
    }
    if (const Param* r = find_param(c.params, "reg-id")) {
      const auto v = r->has_value ? digits(r->value, kMaxRegId) : std::nullopt;
      if (!v || *v == 0) return refuse(Refusal::bad_request, "bad reg-id in Contact " + std::string(c.uri_text));
      // RFC 5626 6: reg-id means nothing without an instance.
      if (!w.instance.empty()) {
        w.reg_id = *v;
        ++with_reg_id;
      }
    }
    wanted.push_back(std::move(w));
  }
  // RFC 5626 6: one flow per REGISTER.
  if (with_reg_id > 1) return refuse(Refusal::bad_request, "more than one Contact with reg-id");

  // Step 7, on a copy; `fresh` marks bindings this request made, which a
  // later Contact of the same request may replace without a CSeq check.
  std::vector<Binding> next = current;
  std::vector<bool> fresh(next.size(), false);
  for (const Wanted& w : wanted) {
    const auto it = std::find_if(next.begin(), next.end(), [&](const Binding& b) { return same_binding(b, w); });
    const std::size_t at = static_cast<std::size_t>(it - next.begin());
    if (it != next.end() && !fresh[at] && !in_order(*it)) {
      return refuse(Refusal::out_of_order, "CSeq " + std::to_string(cseq) + " not above " + std::to_string(it->cseq) +
                                               " for " + it->uri);
    }
    if (w.expires == 0) {
      if (it != next.end()) {
        next.erase(it);
        fresh.erase(fresh.begin() + static_cast<std::ptrdiff_t>(at));
      }
      continue;
    }
    Binding b{
        .uri = std::string(w.contact->uri_text),
        .instance = w.instance,
        .reg_id = w.reg_id,
        .q = w.q,
        .expires_at = now + static_cast<std::int64_t>(w.expires),
        .call_id = std::string(call_id),
        .cseq = cseq,
        .flow = std::string(flow),
    };
    if (it != next.end()) {
      *it = std::move(b);
      fresh[at] = true;
    } else {
      next.push_back(std::move(b));
      fresh.push_back(true);
    }
  }

  // A limit lowered under an account's count still lets it refresh.
  if (next.size() > policy.max_bindings && next.size() > current.size()) {
    return refuse(Refusal::too_many, std::to_string(next.size()) + " bindings, the limit is " +
                                         std::to_string(policy.max_bindings));
  }
  sort_by_q(next);
  RegisterOutcome out;
  out.changed = next != current;
  // Only expiry, CSeq or q moved: the same devices, refreshed.
  out.refresh = next.size() == current.size() &&
                std::all_of(next.begin(), next.end(), [&](const Binding& n) {
                  return std::any_of(current.begin(), current.end(),
                                     [&](const Binding& c) { return c.uri == n.uri && c.flow == n.flow; });
                });
  out.bindings = std::move(next);
  return out;
}

}  // namespace parley::sip
