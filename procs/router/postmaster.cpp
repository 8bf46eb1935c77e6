#include "postmaster.h"

#include "addr/addr.h"

namespace parley::router {
namespace {

constexpr std::string_view kPostmaster = "postmaster";

// The host name as a stored domain; "" when it is not a domain name.
std::string host_domain(std::string_view hostname) {
  if (!hostname.empty() && hostname.back() == '.') hostname.remove_suffix(1);
  auto d = addr::normalize_domain(hostname);
  return d ? *d : std::string();
}

}  // namespace

bool is_postmaster(std::string_view address) {
  auto n = addr::normalize(address, '\0');
  return n && n->local == kPostmaster;
}

bool is_host_postmaster(std::string_view address, std::string_view hostname) {
  auto n = addr::normalize(address, '\0');
  if (!n || n->local != kPostmaster) return false;
  const std::string host = host_domain(hostname);
  return !host.empty() && n->domain == host;
}

std::vector<std::string> postmaster_candidates(std::string_view configured, std::string_view hostname) {
  if (!configured.empty()) return {std::string(configured)};
  std::vector<std::string> out;
  std::string_view domain;
  const std::string host = host_domain(hostname);
  domain = host;
  while (!domain.empty()) {
    out.push_back(std::string(kPostmaster) + "@" + std::string(domain));
    auto dot = domain.find('.');
    if (dot == std::string_view::npos) break;
    domain.remove_prefix(dot + 1);
    if (domain.find('.') == std::string_view::npos) break;  // a bare top-level domain is no one's
  }
  return out;
}

}  // namespace parley::router
