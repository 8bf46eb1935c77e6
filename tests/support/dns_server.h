// A small authoritative DNS server for tests (UDP and TCP on 127.0.0.1,
// port chosen by the kernel) answering from a table in DNS wire format
// (RFC 1035 4.1): the Resolver's own tests, and sipd's tests of locating
// servers (RFC 3263) through a real Resolver.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>

#include <cctype>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/asio.h"

namespace parley::testkit::dns_server {

using Bytes = std::vector<std::uint8_t>;

inline constexpr std::uint16_t kA = 1, kMx = 15, kAaaa = 28, kSrv = 33, kNaptr = 35;

struct Rr {
  std::uint16_t type;
  Bytes rdata;
};

inline void put16(Bytes& out, std::uint16_t v) {
  out.push_back(static_cast<std::uint8_t>(v >> 8));
  out.push_back(static_cast<std::uint8_t>(v));
}

inline void put_name(Bytes& out, std::string_view name) {
  while (!name.empty()) {
    const std::size_t dot = name.find('.');
    const std::string_view label = name.substr(0, dot);
    out.push_back(static_cast<std::uint8_t>(label.size()));
    out.insert(out.end(), label.begin(), label.end());
    name = dot == std::string_view::npos ? std::string_view() : name.substr(dot + 1);
  }
  out.push_back(0);
}

inline Rr mx(std::uint16_t preference, std::string_view exchange) {
  Rr rr{kMx, {}};
  put16(rr.rdata, preference);
  put_name(rr.rdata, exchange == "." ? "" : exchange);
  return rr;
}

inline Rr srv_rr(std::uint16_t priority, std::uint16_t weight, std::uint16_t port, std::string_view target) {
  Rr rr{kSrv, {}};
  put16(rr.rdata, priority);
  put16(rr.rdata, weight);
  put16(rr.rdata, port);
  put_name(rr.rdata, target == "." ? "" : target);
  return rr;
}

inline void put_string(Bytes& out, std::string_view text) {
  out.push_back(static_cast<std::uint8_t>(text.size()));
  out.insert(out.end(), text.begin(), text.end());
}

inline Rr naptr_rr(std::uint16_t order, std::uint16_t preference, std::string_view flags, std::string_view service,
            std::string_view regexp, std::string_view replacement) {
  Rr rr{kNaptr, {}};
  put16(rr.rdata, order);
  put16(rr.rdata, preference);
  put_string(rr.rdata, flags);
  put_string(rr.rdata, service);
  put_string(rr.rdata, regexp);
  put_name(rr.rdata, replacement == "." ? "" : replacement);
  return rr;
}

inline Rr a(std::string_view text) {
  const auto bytes = asio::ip::make_address_v4(std::string(text)).to_bytes();
  return Rr{kA, Bytes(bytes.begin(), bytes.end())};
}

inline Rr aaaa(std::string_view text) {
  const auto bytes = asio::ip::make_address_v6(std::string(text)).to_bytes();
  return Rr{kAaaa, Bytes(bytes.begin(), bytes.end())};
}

// The zone: names (lower case, no trailing dot) and their records. A name
// not in it is NXDOMAIN; a known name without records of the asked type is
// NODATA. Some names get SERVFAIL, REFUSED, or a truncated UDP answer
// (then the full answer over TCP).
struct Zone {
  std::map<std::string, std::vector<Rr>> records;
  std::set<std::string> servfail, refused, truncate;
  std::set<std::string> cut;  // the answer loses its last bytes (no TC bit): malformed
  std::set<std::string> held;  // UDP queries wait for FakeServer::release()
  int udp_queries = 0;
  int tcp_queries = 0;
};

// The name a query asks about (lower case) and where its name ends;
// nullopt for something that is not a query.
inline std::optional<std::pair<std::string, std::size_t>> query_name(const std::uint8_t* q, std::size_t n) {
  if (n < 12 || (q[2] & 0x80) != 0) return std::nullopt;
  const int qdcount = (q[4] << 8) | q[5];
  if (qdcount != 1) return std::nullopt;
  std::size_t pos = 12;
  std::string name;
  while (true) {
    if (pos >= n) return std::nullopt;
    const std::size_t len = q[pos++];
    if (len == 0) break;
    if (len > 63 || pos + len > n) return std::nullopt;
    if (!name.empty()) name += '.';
    for (std::size_t i = 0; i < len; ++i) name += static_cast<char>(std::tolower(q[pos + i]));
    pos += len;
  }
  return std::pair{name, pos};
}

// Answers one query; nullopt for something that is not a query.
inline std::optional<Bytes> answer(const Zone& zone, const std::uint8_t* q, std::size_t n, bool over_tcp) {
  auto asked = query_name(q, n);
  if (!asked) return std::nullopt;
  const std::string name = asked->first;
  const std::size_t pos = asked->second;
  if (pos + 4 > n) return std::nullopt;
  const std::uint16_t qtype = static_cast<std::uint16_t>((q[pos] << 8) | q[pos + 1]);
  const std::size_t question_end = pos + 4;

  int rcode = 0;
  bool tc = false;
  std::vector<const Rr*> answers;
  if (zone.servfail.count(name)) {
    rcode = 2;
  } else if (zone.refused.count(name)) {
    rcode = 5;
  } else if (auto it = zone.records.find(name); it == zone.records.end()) {
    rcode = 3;
  } else if (zone.truncate.count(name) && !over_tcp) {
    tc = true;
  } else {
    for (const Rr& rr : it->second) {
      if (rr.type == qtype) answers.push_back(&rr);
    }
  }
  Bytes out;
  out.push_back(q[0]);  // id
  out.push_back(q[1]);
  out.push_back(static_cast<std::uint8_t>(0x84 | (tc ? 0x02 : 0) | (q[2] & 0x01)));  // QR, AA, TC, RD
  out.push_back(static_cast<std::uint8_t>(0x80 | rcode));                              // RA, RCODE
  put16(out, 1);
  put16(out, static_cast<std::uint16_t>(answers.size()));
  put16(out, 0);
  put16(out, 0);
  out.insert(out.end(), q + 12, q + question_end);  // the question, as asked
  for (const Rr* rr : answers) {
    put16(out, 0xC00C);  // owner: the question's name
    put16(out, rr->type);
    put16(out, 1);  // IN
    put16(out, 0);  // TTL 300
    put16(out, 300);
    put16(out, static_cast<std::uint16_t>(rr->rdata.size()));
    out.insert(out.end(), rr->rdata.begin(), rr->rdata.end());
  }
  if (zone.cut.count(name) && out.size() > question_end + 3) out.resize(out.size() - 3);
  return out;
}

class FakeServer {
  using error_code = boost::system::error_code;
  using tcp = asio::ip::tcp;
  using udp = asio::ip::udp;

 public:
  explicit FakeServer(asio::io_context& io) : udp_(io), tcp_(io) {
    // TCP must share the UDP port (c-ares retries a truncated answer there).
    for (int attempt = 0; attempt < 50; ++attempt) {
      udp_ = udp::socket(io, udp::endpoint(asio::ip::make_address_v4("127.0.0.1"), 0));
      error_code ec;
      tcp::acceptor acceptor(io);
      acceptor.open(tcp::v4());
      acceptor.set_option(tcp::acceptor::reuse_address(true));
      acceptor.bind(tcp::endpoint(asio::ip::make_address_v4("127.0.0.1"), port()), ec);
      if (!ec) {
        acceptor.listen();
        tcp_ = std::move(acceptor);
        break;
      }
    }
    asio::co_spawn(io, serve_udp(), asio::detached);
    if (tcp_.is_open()) asio::co_spawn(io, serve_tcp(), asio::detached);
  }

  std::uint16_t port() const { return udp_.local_endpoint().port(); }
  // Answers the queries zone.held kept waiting, and holds no more.
  void release() {
    zone.held.clear();
    for (const auto& [peer, query] : waiting_) {
      std::optional<Bytes> reply = answer(zone, query.data(), query.size(), false);
      error_code ec;
      if (reply) udp_.send_to(asio::buffer(*reply), peer, 0, ec);
    }
    waiting_.clear();
  }
  std::string address() const { return "127.0.0.1:" + std::to_string(port()); }
  Zone zone;

 private:
  awaitable<void> serve_udp() {
    std::vector<std::uint8_t> buf(4096);
    while (true) {
      udp::endpoint peer;
      error_code ec;
      const std::size_t n =
          co_await udp_.async_receive_from(asio::buffer(buf), peer, asio::redirect_error(asio::use_awaitable, ec));
      if (ec == asio::error::operation_aborted || !udp_.is_open()) co_return;
      if (ec) continue;
      ++zone.udp_queries;
      if (auto asked = query_name(buf.data(), n); asked && zone.held.count(asked->first)) {
        waiting_.emplace_back(peer, Bytes(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(n)));
        continue;
      }
      std::optional<Bytes> reply = answer(zone, buf.data(), n, false);
      if (!reply) continue;
      co_await udp_.async_send_to(asio::buffer(*reply), peer, asio::redirect_error(asio::use_awaitable, ec));
    }
  }

  awaitable<void> serve_tcp() {
    while (true) {
      error_code ec;
      tcp::socket s = co_await tcp_.async_accept(asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return;
      auto conn = std::make_shared<tcp::socket>(std::move(s));
      asio::co_spawn(tcp_.get_executor(), serve_connection(conn), asio::detached);
    }
  }

  awaitable<void> serve_connection(std::shared_ptr<tcp::socket> s) {
    while (true) {
      error_code ec;
      std::uint8_t len[2];
      co_await asio::async_read(*s, asio::buffer(len), asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return;
      std::vector<std::uint8_t> query((len[0] << 8) | len[1]);
      co_await asio::async_read(*s, asio::buffer(query), asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return;
      ++zone.tcp_queries;
      std::optional<Bytes> reply = answer(zone, query.data(), query.size(), true);
      if (!reply) co_return;
      Bytes framed;
      put16(framed, static_cast<std::uint16_t>(reply->size()));
      framed.insert(framed.end(), reply->begin(), reply->end());
      co_await asio::async_write(*s, asio::buffer(framed), asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return;
    }
  }

  udp::socket udp_;
  tcp::acceptor tcp_;
  std::vector<std::pair<udp::endpoint, Bytes>> waiting_;
};

}  // namespace parley::testkit::dns_server
