#include "settings.h"

#include <algorithm>
#include <charconv>

#include "addr/addr.h"
#include "hours/time_zone.h"
#include "hours/working_hours.h"
#include "schema/directory.pb.h"

namespace parley::directory {
namespace {

constexpr std::string_view kServices[] = {"mail", "imap", "pop", "sip", "dav", "web", "submission"};

Status check_uint(std::string_view v) {
  std::uint64_t n = 0;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc() || end != v.data() + v.size() || v.empty()) return fail(Errc::invalid, "not a whole number");
  return {};
}

Status check_services(std::string_view v) {
  while (!v.empty()) {
    auto comma = v.find(',');
    std::string_view name = v.substr(0, comma);
    bool known = false;
    for (auto s : kServices) known = known || s == name;
    if (!known) return fail(Errc::invalid, "unknown service '" + std::string(name) + "' (mail, imap, pop, sip, dav, web, submission)");
    v = comma == std::string_view::npos ? std::string_view{} : v.substr(comma + 1);
  }
  return {};
}

// How long a call rings before sip_forward_no_answer takes it: at least a
// few rings (a ring cycle is 5 s in most countries, ITU-T E.180), at most
// ten minutes.
constexpr std::uint64_t kMinNoAnswer = 5, kMaxNoAnswer = 600;

Status check_no_answer(std::string_view v) {
  if (auto s = check_uint(v); !s) return s;
  std::uint64_t n = 0;
  std::from_chars(v.data(), v.data() + v.size(), n);
  if (n < kMinNoAnswer || n > kMaxNoAnswer) return fail(Errc::invalid, "between 5 and 600 seconds");
  return {};
}

// Checked here as the router will read them (hours/): a value the router
// could not follow is refused when set, not ignored when a call comes.
Status check_working_hours(std::string_view v) {
  if (v.empty()) return {};
  auto hours = hours::parse_working_hours(v);
  if (!hours) return fail(hours.code() == Errc::limit ? Errc::limit : Errc::invalid, hours.error().detail);
  return {};
}

Status check_time_zone(std::string_view v) {
  if (v.empty()) return {};
  if (auto s = hours::check_zone_name(v); !s) return fail(s.code() == Errc::limit ? Errc::limit : Errc::invalid, s.error().detail);
  auto zone = hours::load_zone(v);
  if (!zone) return fail(Errc::invalid, zone.code() == Errc::not_found ? "no such time zone (e.g. Europe/Berlin)" : zone.error().detail);
  return {};
}

Status check_on_off(std::string_view v) {
  if (v == "on" || v == "off") return {};
  return fail(Errc::invalid, "on or off");
}

}  // namespace

Status check_forward_target(std::string_view v) {
  if (v.empty() || v == kVoicemail) return {};
  if (is_extension(v)) return {};
  if (std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return fail(Errc::limit, "a number has at most 20 digits");
  }
  // Stored without the detail separator: the local part is the address as
  // the caller dials it.
  auto n = addr::normalize(v, '\0');
  if (!n) return fail(Errc::invalid, "not an address or a number: " + n.error().detail);
  return {};
}

bool is_extension(std::string_view v) {
  return !v.empty() && v.size() <= kMaxExtensionDigits &&
         std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::string qualify_forward_target(std::string_view value, std::string_view domain) {
  if (is_extension(value)) return std::string(value) + "@" + std::string(domain);
  return std::string(value);
}

Status check_text(std::string_view v) {
  if (v.size() > 256) return fail(Errc::limit, "longer than 256 bytes");
  for (unsigned char c : v) {
    if (c < 0x20 || c == 0x7f) return fail(Errc::invalid, "control characters are not allowed");
  }
  return {};
}

const std::vector<SettingDecl>& setting_declarations() {
  static const std::vector<SettingDecl> decls = {
      {"services", "mail,imap,pop,sip,dav,web,submission", "services the account may use, comma-separated", &check_services},
      {"quota_bytes", "0", "mail store quota in bytes; 0: no limit", &check_uint},
      {"sip_max_registrations", "10", "SIP contacts an account may register at once", &check_uint},
      {"sip_forward_always", "", "SIP: send every call to this address or number instead; empty: off", &check_forward_target},
      {"sip_forward_busy", "voicemail", "SIP: where a call goes when every device is busy; empty: off",
       &check_forward_target},
      {"sip_forward_no_answer", "voicemail", "SIP: where a call goes after sip_no_answer_s of ringing; empty: off",
       &check_forward_target},
      {"sip_no_answer_s", "20", "SIP: seconds of ringing before sip_forward_no_answer (5..600)", &check_no_answer},
      {"sip_forward_unregistered", "voicemail", "SIP: where a call goes when no device is registered; empty: off",
       &check_forward_target},
      {"voicemail", "on", "SIP: on: the account has voicemail; off: every rule to voicemail is as if not set",
       &check_on_off},
      {"sip_working_hours", "", "SIP: when calls ring as usual, e.g. \"Mon-Fri 09:00-17:30\"; empty: always",
       &check_working_hours},
      {"sip_time_zone", "", "SIP: time zone of sip_working_hours, e.g. Europe/Berlin; empty: the server's", &check_time_zone},
      {"sip_forward_after_hours", "", "SIP: where a call goes outside sip_working_hours; empty: off", &check_forward_target},
      {"language", "en", "language of generated messages and prompts", &check_text},
      {"time_zone", "UTC", "time zone for vacation windows and calendars", &check_text},
  };
  return decls;
}

Status check_group_setting(std::string_view key, std::string_view value) {
  if (key == "sip_ring") {
    if (value == "parallel" || value == "sequential") return {};
    return fail(Errc::invalid, "parallel or sequential");
  }
  if (key == "sip_ring_s") return check_no_answer(value);
  return fail(Errc::invalid, "unknown group setting '" + std::string(key) + "' (sip_ring, sip_ring_s)");
}

const SettingDecl* find_setting(std::string_view key) {
  for (const auto& d : setting_declarations()) {
    if (d.key == key) return &d;
  }
  return nullptr;
}

Status check_setting(std::string_view key, std::string_view value) {
  const SettingDecl* decl = find_setting(key);
  if (decl == nullptr) return fail(Errc::invalid, "unknown setting '" + std::string(key) + "'");
  if (value == kInherit) return {};
  return decl->check(value);
}

std::string_view service_name(int service) {
  switch (service) {
    case schema::SERVICE_MAIL: return "mail";
    case schema::SERVICE_IMAP: return "imap";
    case schema::SERVICE_POP: return "pop";
    case schema::SERVICE_SIP: return "sip";
    case schema::SERVICE_DAV: return "dav";
    case schema::SERVICE_WEB: return "web";
    case schema::SERVICE_SUBMISSION: return "submission";
    default: return "";
  }
}

bool service_enabled(std::string_view services, std::string_view service) {
  while (!services.empty()) {
    auto comma = services.find(',');
    if (services.substr(0, comma) == service) return true;
    services = comma == std::string_view::npos ? std::string_view{} : services.substr(comma + 1);
  }
  return false;
}

}  // namespace parley::directory
