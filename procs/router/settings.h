// The router's part of parley.conf: its keys (declared in settings.cpp)
// and the settings they resolve to.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "config/config.h"
#include "core/result.h"
#include "gateways.h"
#include "rules.h"

namespace parley::router {

struct Settings {
  int max_hops = 0;
  std::size_t batch_max = 0;
  std::vector<Rule> rules;
  std::vector<Gateway> sip_gateways;
  std::string hostname;
  std::string postmaster;  // router.postmaster; "": found through the host name
};

// The [router] section, for the process's declaration.
config::SectionDecl settings_section();

// A rule that does not parse: Errc::invalid naming it.
Result<Settings> load_settings(const config::Config& config);

}  // namespace parley::router
