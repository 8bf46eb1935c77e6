// The directory's part of parley.conf: its keys (declared in
// process_settings.cpp) and the settings they resolve to. (Account settings,
// which are data, are settings.h.)
#pragma once

#include "authenticator.h"
#include "config/config.h"

namespace parley::directory {

struct ProcessSettings {
  AuthPolicy policy;
  char detail_separator = '\0';  // '\0': no sub-addressing
};

// The [directory] section, for the process's declaration. (parleyd adds
// its first_run_* keys to the section.)
config::SectionDecl settings_section();

ProcessSettings load_settings(const config::Config& config);

}  // namespace parley::directory
