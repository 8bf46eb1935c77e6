// local-delivery's part of parley.conf: its keys (declared in
// settings.cpp) and the settings they resolve to.
#pragma once

#include <cstdint>

#include "config/config.h"

namespace parley::local {

struct Settings {
  std::int64_t dedup_days = 0;  // how long a (queue id, account) delivery is remembered
};

// The [local-delivery] section, for the process's declaration.
config::SectionDecl settings_section();

Settings load_settings(const config::Config& config);

}  // namespace parley::local
