#include "settings.h"

#include "daemon/daemon.h"

namespace parley::router {

namespace {

constexpr std::string_view kSection = "router";

const config::Integer kMaxHops{
    .section = kSection, .key = "max_hops", .default_value = 50,
    .min = 5, .max = 500,
    .doc = "A message with this many Received headers is in a loop: bounced, not delivered."};
const config::List kRules{
    .section = kSection, .key = "rules", .default_value = {},
    .doc = "Routing rules, first match wins, each \"PATTERN = TARGET\". PATTERN is an address "
           "(\"old@example.com\") or a wildcard (\"*@old.example\", \"sales-*@example.com\"). "
           "TARGET is an address, where * stands for what the wildcard matched (\"*@new.example\"), "
           "\"error:CODE TEXT\" (refuse, e.g. \"error:550 5.1.1 gone\"), \"null\" (accept and "
           "discard), or \"smtp:HOST:PORT\" (deliver to that host instead of the domain's MX).",
    .check = config::Check::rule};
const config::List kSipGateways{
    .section = kSection, .key = "sip_gateways", .default_value = {},
    .doc = "Numbers that leave through a SIP trunk or gateway, for authenticated local callers "
           "only; first match wins, each \"PATTERN = TARGET\". PATTERN is a number or one with a "
           "single * for one or more digits (\"0*\", \"+49*\", \"112\"). TARGET is "
           "\"trunk:NAME\" (sipd's trunk NAME, the number as dialed), \"trunk:NAME:TEMPLATE\" "
           "(the number TEMPLATE, * being what the wildcard matched: \"trunk:provider:+4930*\"), "
           "or a SIP URI with the same * (\"sip:*@gw.example.test;transport=tcp\"). Numbers dialed "
           "in a local domain are matched before its accounts: a matching number is not an extension.",
    .check = config::Check::rule};
const config::String kPostmaster{
    .section = kSection, .key = "postmaster", .default_value = "",
    .doc = "Where postmaster's mail goes when it has no mailbox of its own (RFC 5321 4.5.1): "
           "RCPT TO:<postmaster> without a domain, postmaster at the host name, and postmaster at "
           "a local domain without that address. Empty: postmaster at the main domain, the host "
           "name or else its nearest parent domain (mail.example.com, then example.com) that has "
           "a postmaster address.",
    .check = config::Check::address};
const config::Integer kCommitBatchMax{
    .section = kSection, .key = "commit_batch_max", .default_value = 256,
    .min = 1, .max = 100000,
    .doc = "Messages committed to the queue in one transaction at most; under load, messages that "
           "arrive while a commit runs share the next one (one fsync for many)."};

}  // namespace

config::SectionDecl settings_section() {
  return {.name = std::string(kSection),
          .doc = "The router: address rewriting and routing rules, hop limit, queue commits.",
          .keys = {kMaxHops, kRules, kSipGateways, kPostmaster, kCommitBatchMax}};
}

Result<Settings> load_settings(const config::Config& c) {
  Settings s;
  s.max_hops = static_cast<int>(c.get(kMaxHops));
  s.batch_max = static_cast<std::size_t>(c.get(kCommitBatchMax));
  auto rules = parse_rules(c.get(kRules));
  if (!rules) return rules.error();
  s.rules = std::move(rules.value());
  auto gateways = parse_gateways(c.get(kSipGateways));
  if (!gateways) return gateways.error();
  s.sip_gateways = std::move(gateways.value());
  s.hostname = daemon::host_name(c);
  s.postmaster = c.get(kPostmaster);
  return s;
}

}  // namespace parley::router
