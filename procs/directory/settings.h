// Account settings: every key an account, class of service, domain or the
// server defaults may set, declared once with its built-in default. A value
// of "default" (or no value) means "inherit": account -> class of service
// -> domain defaults -> server defaults -> built-in.
#pragma once

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

// The service names of the "services" setting, and the setting's text for
// one schema::Service value.
std::string_view service_name(int service);
bool service_enabled(std::string_view services_setting, std::string_view service);

}  // namespace parley::directory
