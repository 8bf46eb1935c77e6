// media's part of parley.conf: its keys (declared in settings.cpp) and the
// relay settings they resolve to.
#pragma once

#include "config/config.h"
#include "core/result.h"
#include "relay.h"

namespace parley::media {

// What the applications (voicemail) need beside the relay's settings.
struct AppSettings {
  std::string prompts;  // a directory
  std::chrono::seconds voicemail_max{0};
};

// The [media] section, for the process's declaration.
config::SectionDecl settings_section();

// Errc::invalid when the address is not an IP literal or the port range is
// upside down or too small for one call.
Result<RelaySettings> load_settings(const config::Config& config);
AppSettings load_app_settings(const config::Config& config);

}  // namespace parley::media
