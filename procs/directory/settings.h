// Account settings: every key an account, class of service, domain or the
// server defaults may set, declared once with its built-in default. A value
// of "default" (or no value) means "inherit": account -> class of service
// -> domain defaults -> server defaults -> built-in.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace parley::directory {

struct SettingDecl {
  std::string_view key;
  std::string_view builtin;
  std::string_view doc;
  Status (*check)(std::string_view value);
};

const std::vector<SettingDecl>& setting_declarations();
const SettingDecl* find_setting(std::string_view key);

// Free text for names and such: at most 256 bytes, no control characters.
Status check_text(std::string_view value);

// Checks `value` for `key` ("default" is always accepted).
Status check_setting(std::string_view key, std::string_view value);

inline constexpr std::string_view kInherit = "default";
// The forward destination that means the account's voicemail.
inline constexpr std::string_view kVoicemail = "voicemail";

// Extensions and numbers: at most 20 digits (E.164 numbers have at most 15).
inline constexpr std::size_t kMaxExtensionDigits = 20;

// A SIP forwarding destination (sip_forward_*): empty (off), an address
// "user@domain" (a local account, alias, extension, group or forwarder, or
// an external address), a bare number of up to kMaxExtensionDigits
// digits, which means that number in the account's own domain, or
// kVoicemail, the account's own voicemail (a media target).
// Errc::invalid or Errc::limit with a detail for the administrator.
Status check_forward_target(std::string_view value);
bool is_extension(std::string_view value);  // 1..kMaxExtensionDigits digits
// A checked destination as the router reads it: a bare number gets
// "@domain"; anything else is returned as it is.
std::string qualify_forward_target(std::string_view value, std::string_view domain);

// A group's ring settings (group set GROUP KEY=VALUE): sip_ring =
// parallel|sequential, sip_ring_s = 5..600. Errc::invalid with a detail,
// for an unknown key too.
Status check_group_setting(std::string_view key, std::string_view value);
inline constexpr std::uint32_t kDefaultRingSeconds = 20;

// The service names of the "services" setting, and the setting's text for
// one schema::Service value.
std::string_view service_name(int service);
bool service_enabled(std::string_view services_setting, std::string_view service);

}  // namespace parley::directory
