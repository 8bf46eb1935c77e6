// Locating a SIP server (RFC 3263 section 4): from the host, port and
// transport parameter of a SIP or SIPS URI to the ordered list of
// (transport, address, port) targets a client tries in turn.
//
// Two layers. select_targets() is pure: given the records looked up so far
// (Records) it says either which lookups it still needs or the targets, so
// the whole procedure is testable from tables without DNS. locate() runs it
// against a Resolver, looking up what it asks for, until it has the targets.
//
// The procedure (RFC 3263 4.1, 4.2):
//   numeric IP host       that address; the transport parameter, else UDP
//                         (TLS for sips); the port, else the transport's default
//   explicit port         A and AAAA of the host, with that port
//   transport parameter   SRV of that transport (_sip._udp, _sip._tcp, _sips._tcp)
//   otherwise             NAPTR of the host: "s" records for SIP+D2U,
//                         SIP+D2T and SIPS+D2T (sips: SIPS+D2T only), by
//                         order then preference, each replacement's SRV;
//                         no usable NAPTR: SRV of _sips._tcp, _sip._tcp and
//                         _sip._udp (sips: _sips._tcp), in that order
//   no SRV record at all  A and AAAA of the host on 5060 (5061 for sips),
//                         UDP (TLS for sips)
// SRV records are ordered by RFC 2782 (order_srv); a target "." is the
// service decidedly not available there: it yields no target, and the host's
// own addresses are not tried in its place.
//
// Errors: not_found (no target: NXDOMAIN, no records, service not
// available), unavailable (a lookup failed temporarily and nothing was
// found), syntax (empty host), invalid (transport parameter not udp, tcp or
// tls, or udp with sips), cancelled (the Resolver went away). A temporary
// failure of the NAPTR lookup fails the whole location (unavailable): the
// domain's preferences are unknown; other lookups' temporary failures only
// matter when no target is found.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/ip/address.hpp>

#include "core/asio.h"
#include "core/result.h"
#include "dns/resolver.h"

namespace parley::dns {

constexpr std::uint16_t kSipPort = 5060;   // RFC 3261 19.1.2
constexpr std::uint16_t kSipsPort = 5061;  // RFC 3261 19.1.2
constexpr std::size_t kMaxTargets = 32;    // targets returned; a client tries few

enum class Transport { udp, tcp, tls };

std::string_view transport_name(Transport transport);  // "udp", "tcp", "tls"

// What a URI says about where to send (RFC 3261 19.1.1).
struct SipDestination {
  std::string host;                  // host name, IPv4 address or IPv6 reference ("[2001:db8::1]" or bare)
  std::optional<std::uint16_t> port;
  std::string transport;             // the transport parameter, "" when absent; case-blind
  bool sips = false;
};

struct Target {
  Transport transport = Transport::udp;
  asio::ip::address address;
  std::uint16_t port = 0;
  bool operator==(const Target&) const = default;
};

// A random number uniform in [0, max]. Injected so tests can fix the draw.
using Random = std::function<std::uint32_t(std::uint32_t max)>;

// A Random from a generator seeded by std::random_device.
Random default_random();

// RFC 2782 ordering: lowest priority first; within a priority, drawn one
// by one with probability proportional to weight (weight 0 records placed
// first among those left, so they are picked only when the draw is 0).
// Records whose target is "." are dropped.
std::vector<Srv> order_srv(std::vector<Srv> records, const Random& random);

// The answers known so far, by the name select_targets asked for. An
// absent entry has not been looked up yet.
struct Records {
  std::optional<Result<std::vector<Naptr>>> naptr;
  std::map<std::string, Result<std::vector<Srv>>> srv;
  std::map<std::string, Result<std::vector<asio::ip::address>>> addresses;
};

struct Lookup {
  enum class Type { naptr, srv, addresses };
  Type type = Type::addresses;
  std::string name;
  bool operator==(const Lookup&) const = default;
};

// One step: either `needed` (look these up, add the answers to Records,
// call again) or, when `needed` is empty, `targets` (at least one, at
// most kMaxTargets, without duplicates).
struct Selection {
  std::vector<Lookup> needed;
  std::vector<Target> targets;
};

[[nodiscard]] Result<Selection> select_targets(const SipDestination& to, const Records& records,
                                               const Random& random);

// The RFC 3263 procedure with lookups through `resolver`, which must
// outlive the call. An empty `random` is default_random().
awaitable<Result<std::vector<Target>>> locate(Resolver& resolver, SipDestination to, Random random = {});

}  // namespace parley::dns
