// Resolver: where mail for a domain goes (RFC 5321 5.1), the addresses of
// a host, and SRV (RFC 2782) and NAPTR (RFC 3403) records, looked up with
// c-ares on the caller's io_context.
//
// c-ares runs inside the io_context's thread: its sockets are watched with
// Asio descriptor waits and its retransmission deadlines with one timer, so
// there is no resolver thread and no polling. A Resolver and every coroutine
// using it belong to that one thread.
//
// Errors (Result codes):
//   not_found    the name does not exist (NXDOMAIN), or has no address: permanent
//   unavailable  SERVFAIL, REFUSED, timeout, unreachable server, malformed
//                answer, or no MX host with an address: temporary
//   syntax       the name is not a host name
//   cancelled    the Resolver was destroyed while the lookup ran
//   io/internal  the resolver could not be set up (see status())
//
// Lifetime: destroy the Resolver before its io_context. Destroying it with
// lookups in flight completes them with Errc::cancelled; the coroutines
// never touch the Resolver again.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/ip/address.hpp>

#include "core/asio.h"
#include "core/result.h"

namespace parley::dns {

constexpr std::size_t kMaxName = 253;        // RFC 1035 2.3.4, without the trailing dot
constexpr std::size_t kMaxMxHosts = 32;      // hosts looked up per route; beyond any real MX set
constexpr std::size_t kMaxAddresses = 64;    // per host and family
constexpr std::size_t kMaxRecords = 64;      // SRV or NAPTR records kept per answer

struct Host {
  std::string name;  // lower case, no trailing dot
  std::uint16_t preference = 0;
  std::vector<asio::ip::address> addresses;  // IPv4 (A) first, then IPv6 (AAAA), each in answer order
};

struct Route {
  bool null_mx = false;   // RFC 7505: the domain accepts no mail; hosts is empty
  bool implicit = false;  // no MX records: the domain itself is the one host (RFC 5321 5.1)
  std::vector<Host> hosts;  // by preference, lowest first; equal preferences in random order
};

// One SRV record (RFC 2782).
struct Srv {
  std::uint16_t priority = 0;
  std::uint16_t weight = 0;
  std::uint16_t port = 0;
  std::string target;  // lower case, no trailing dot; "." = the service is decidedly not available
};

// One NAPTR record (RFC 3403 4.1).
struct Naptr {
  std::uint16_t order = 0;
  std::uint16_t preference = 0;
  std::string flags;        // lower case ("s", "a", "u", "p", or empty)
  std::string service;      // as in the record ("SIP+D2U"); compare case-blind
  std::string regexp;       // as in the record
  std::string replacement;  // lower case, no trailing dot; "." = none (the regexp applies)
};

struct Options {
  // "192.0.2.53", "127.0.0.1:5353", "[2001:db8::53]:53"; empty: /etc/resolv.conf.
  std::vector<std::string> servers;
  // Per try and server; c-ares doubles it on each further round of tries.
  std::chrono::milliseconds timeout{5000};
  int tries = 2;
};

class Resolver {
 public:
  Resolver(asio::io_context& io, Options options);
  ~Resolver();
  Resolver(const Resolver&) = delete;
  Resolver& operator=(const Resolver&) = delete;

  // Whether the resolver could be set up (bad server list, no memory). A
  // failed Resolver answers every lookup with this error.
  const Status& status() const;

  // MX lookup: MX records sorted by preference, each host's A and AAAA
  // looked up. A set of MX records whose every exchange is "." (RFC 7505's
  // single "0 .") is a null MX: null_mx = true. No MX records (NODATA):
  // the domain's own addresses (implicit = true; none -> not_found).
  // NXDOMAIN -> not_found. MX hosts without addresses are dropped; none
  // left -> unavailable. At most kMaxMxHosts hosts (the preferred ones).
  awaitable<Result<Route>> route(std::string domain);

  // A and AAAA records of `host`. Addresses of one family are returned even
  // when the other family's lookup failed; none: NXDOMAIN or NODATA ->
  // not_found, any temporary failure -> unavailable.
  awaitable<Result<std::vector<asio::ip::address>>> addresses(std::string host);

  // SRV records of `name` ("_sip._udp.example.com"), in answer order:
  // ordering them (RFC 2782) is the caller's (order_srv). Records whose
  // target is not a host name are dropped; none left -> unavailable.
  // NXDOMAIN or NODATA -> not_found. At most kMaxRecords.
  awaitable<Result<std::vector<Srv>>> srv(std::string name);

  // NAPTR records of `domain`, in answer order (ordering by order and
  // preference is the caller's). Records whose replacement is not a host
  // name are dropped; none left -> unavailable. NXDOMAIN or NODATA ->
  // not_found. At most kMaxRecords.
  awaitable<Result<std::vector<Naptr>>> naptr(std::string domain);

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace parley::dns
