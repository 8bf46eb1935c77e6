// RFC 3263 section 4 as a pure step function, and the loop that feeds it
// answers from the Resolver.
#include "dns/sip_locate.h"

#include <algorithm>
#include <memory>
#include <random>
#include <set>
#include <utility>

#include "core/ascii.h"

namespace parley::dns {

namespace {

// select_targets asks at most three times (NAPTR, SRV, addresses); the
// fourth call answers.
constexpr int kMaxRounds = 4;

std::uint16_t default_port(Transport transport) { return transport == Transport::tls ? kSipsPort : kSipPort; }

// RFC 3263 4.1: the transport parameter, else UDP for sip and TLS (over
// TCP) for sips. With sips, tcp means TLS; udp is refused (no DTLS here).
Result<Transport> pick_transport(const SipDestination& to) {
  if (to.transport.empty()) return to.sips ? Transport::tls : Transport::udp;
  if (ascii_iequal(to.transport, "udp")) {
    if (to.sips) return fail(Errc::invalid, "sips URI with transport=udp");
    return Transport::udp;
  }
  if (ascii_iequal(to.transport, "tcp")) return to.sips ? Transport::tls : Transport::tcp;
  if (ascii_iequal(to.transport, "tls")) return Transport::tls;  // RFC 3261's spelling, deprecated by RFC 5630
  return fail(Errc::invalid, "unsupported transport " + to.transport);
}

// The SRV owner of `transport` at `domain` (RFC 3263 4.1).
std::string srv_name(Transport transport, std::string_view domain) {
  std::string_view prefix = "_sip._udp.";
  if (transport == Transport::tcp) prefix = "_sip._tcp.";
  if (transport == Transport::tls) prefix = "_sips._tcp.";
  return std::string(prefix) + std::string(domain);
}

// The NAPTR services this client speaks (RFC 3263 4.1).
std::optional<Transport> naptr_transport(std::string_view service, bool sips) {
  if (ascii_iequal(service, "SIPS+D2T")) return Transport::tls;
  if (sips) return std::nullopt;
  if (ascii_iequal(service, "SIP+D2T")) return Transport::tcp;
  if (ascii_iequal(service, "SIP+D2U")) return Transport::udp;
  return std::nullopt;
}

// Remembers the most telling failure: cancelled over anything, any other
// error over not_found.
void note(std::optional<Error>& kept, const Error& error) {
  if (kept && kept->code == Errc::cancelled) return;
  if (!kept || kept->code == Errc::not_found || error.code == Errc::cancelled) kept = error;
}

struct Hop {
  std::string host;
  std::uint16_t port;
  Transport transport;
};

// The targets for `hops` when every host's addresses are known; otherwise
// the lookups still needed.
Result<Selection> resolve_hops(const std::vector<Hop>& hops, const Records& records, std::optional<Error> kept) {
  Selection out;
  std::set<std::string> asked;
  for (const Hop& hop : hops) {
    if (records.addresses.count(hop.host) == 0 && asked.insert(hop.host).second) {
      out.needed.push_back(Lookup{.type = Lookup::Type::addresses, .name = hop.host});
    }
  }
  if (!out.needed.empty()) return out;
  for (const Hop& hop : hops) {
    const Result<std::vector<asio::ip::address>>& found = records.addresses.at(hop.host);
    if (!found) {
      if (found.code() == Errc::cancelled) return found.error();
      note(kept, found.error());
      continue;
    }
    for (const asio::ip::address& address : *found) {
      const Target target{.transport = hop.transport, .address = address, .port = hop.port};
      if (out.targets.size() < kMaxTargets && std::find(out.targets.begin(), out.targets.end(), target) == out.targets.end()) {
        out.targets.push_back(target);
      }
    }
  }
  if (out.targets.empty()) {
    if (kept) return *kept;
    return fail(Errc::not_found, "no SIP target");
  }
  return out;
}

}  // namespace

std::string_view transport_name(Transport transport) {
  switch (transport) {
    case Transport::udp: return "udp";
    case Transport::tcp: return "tcp";
    case Transport::tls: return "tls";
  }
  return "udp";
}

Random default_random() {
  auto engine = std::make_shared<std::mt19937>(std::random_device{}());
  return [engine](std::uint32_t max) { return std::uniform_int_distribution<std::uint32_t>(0, max)(*engine); };
}

std::vector<Srv> order_srv(std::vector<Srv> records, const Random& random) {
  std::erase_if(records, [](const Srv& r) { return r.target == "."; });
  std::stable_sort(records.begin(), records.end(), [](const Srv& a, const Srv& b) { return a.priority < b.priority; });
  std::vector<Srv> out;
  out.reserve(records.size());
  auto group = records.begin();
  while (group != records.end()) {
    auto end = std::find_if(group, records.end(), [&](const Srv& r) { return r.priority != group->priority; });
    std::vector<Srv> left(group, end);
    std::stable_partition(left.begin(), left.end(), [](const Srv& r) { return r.weight == 0; });
    while (!left.empty()) {
      std::uint32_t sum = 0;
      for (const Srv& r : left) sum += r.weight;
      const std::uint32_t draw = std::min(random(sum), sum);
      std::uint32_t running = 0;
      std::size_t pick = left.size() - 1;
      for (std::size_t i = 0; i < left.size(); ++i) {
        running += left[i].weight;
        if (running >= draw) {
          pick = i;
          break;
        }
      }
      out.push_back(std::move(left[pick]));
      left.erase(left.begin() + static_cast<std::ptrdiff_t>(pick));
    }
    group = end;
  }
  return out;
}

Result<Selection> select_targets(const SipDestination& to, const Records& records, const Random& random) {
  std::string host = ascii_lower(to.host);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (!host.empty() && host.back() == '.') host.pop_back();
  if (host.empty()) return fail(Errc::syntax, "empty SIP host");
  Result<Transport> transport = pick_transport(to);
  if (!transport) return transport.error();

  // RFC 3263 4.1, 4.2: a numeric host is the target itself.
  boost::system::error_code ec;
  const asio::ip::address numeric = asio::ip::make_address(host, ec);
  if (!ec) {
    Selection out;
    const std::uint16_t port = to.port ? *to.port : default_port(*transport);
    out.targets.push_back(Target{.transport = *transport, .address = numeric, .port = port});
    return out;
  }
  if (to.port) {
    std::vector<Hop> hops{Hop{.host = host, .port = *to.port, .transport = *transport}};
    return resolve_hops(hops, records, std::nullopt);
  }

  // Which SRV names to ask, in order: the transport's; else NAPTR's; else
  // every transport's.
  std::vector<std::pair<std::string, Transport>> services;
  if (!to.transport.empty()) {
    services.emplace_back(srv_name(*transport, host), *transport);
  } else {
    if (!records.naptr) {
      Selection out;
      out.needed.push_back(Lookup{.type = Lookup::Type::naptr, .name = host});
      return out;
    }
    const Result<std::vector<Naptr>>& naptr = *records.naptr;
    if (!naptr && naptr.code() != Errc::not_found) return naptr.error();
    if (naptr) {
      std::vector<Naptr> usable;
      for (const Naptr& r : *naptr) {
        if (r.flags == "s" && r.replacement != "." && naptr_transport(r.service, to.sips)) usable.push_back(r);
      }
      std::stable_sort(usable.begin(), usable.end(), [](const Naptr& a, const Naptr& b) {
        return a.order != b.order ? a.order < b.order : a.preference < b.preference;
      });
      for (const Naptr& r : usable) {
        const bool seen = std::any_of(services.begin(), services.end(), [&](const auto& s) { return s.first == r.replacement; });
        if (!seen) services.emplace_back(r.replacement, *naptr_transport(r.service, to.sips));
      }
    }
    if (services.empty()) {
      services.emplace_back(srv_name(Transport::tls, host), Transport::tls);
      if (!to.sips) {
        services.emplace_back(srv_name(Transport::tcp, host), Transport::tcp);
        services.emplace_back(srv_name(Transport::udp, host), Transport::udp);
      }
    }
  }

  Selection missing;
  for (const auto& [name, t] : services) {
    if (records.srv.count(name) == 0) missing.needed.push_back(Lookup{.type = Lookup::Type::srv, .name = name});
  }
  if (!missing.needed.empty()) return missing;

  std::optional<Error> kept;
  bool any_srv = false;
  std::vector<Hop> hops;
  for (const auto& [name, t] : services) {
    const Result<std::vector<Srv>>& found = records.srv.at(name);
    if (!found) {
      if (found.code() == Errc::cancelled) return found.error();
      if (found.code() != Errc::not_found) note(kept, found.error());
      continue;
    }
    any_srv = true;
    for (Srv& r : order_srv(*found, random)) {
      if (hops.size() < kMaxTargets) hops.push_back(Hop{.host = std::move(r.target), .port = r.port, .transport = t});
    }
  }
  if (!any_srv) {
    // A temporary failure may hide SRV records: do not guess past it.
    if (kept) return *kept;
    std::vector<Hop> fallback{Hop{.host = host, .port = default_port(*transport), .transport = *transport}};
    return resolve_hops(fallback, records, std::nullopt);
  }
  if (hops.empty()) return fail(Errc::not_found, "SIP service not available at " + host);
  return resolve_hops(hops, records, kept);
}

awaitable<Result<std::vector<Target>>> locate(Resolver& resolver, SipDestination to, Random random) {
  if (!random) random = default_random();
  Records records;
  for (int round = 0; round < kMaxRounds; ++round) {
    Result<Selection> step = select_targets(to, records, random);
    if (!step) co_return step.error();
    if (step->needed.empty()) co_return std::move(step->targets);
    // One lookup at a time: a cancelled one ends the loop before the
    // Resolver is touched again.
    for (const Lookup& lookup : step->needed) {
      std::string name = lookup.name;
      if (lookup.type == Lookup::Type::naptr) {
        Result<std::vector<Naptr>> found = co_await resolver.naptr(name);
        if (!found && found.code() == Errc::cancelled) co_return found.error();
        records.naptr.emplace(std::move(found));
      } else if (lookup.type == Lookup::Type::srv) {
        Result<std::vector<Srv>> found = co_await resolver.srv(name);
        if (!found && found.code() == Errc::cancelled) co_return found.error();
        records.srv.insert_or_assign(lookup.name, std::move(found));
      } else {
        Result<std::vector<asio::ip::address>> found = co_await resolver.addresses(name);
        if (!found && found.code() == Errc::cancelled) co_return found.error();
        records.addresses.insert_or_assign(lookup.name, std::move(found));
      }
    }
  }
  co_return fail(Errc::internal, "SIP server location did not settle");
}

}  // namespace parley::dns
