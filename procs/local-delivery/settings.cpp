#include "settings.h"

namespace parley::local {

namespace {

constexpr std::string_view kSection = "local-delivery";

const config::Integer kDedupDays{
    .section = kSection, .key = "dedup_days", .default_value = 7,
    .min = 1, .max = 365,
    .doc = "How long a delivery is remembered, so that a retry after a crash is not stored twice."};

}  // namespace

config::SectionDecl settings_section() {
  return {.name = std::string(kSection), .doc = "Local delivery into the mail store.", .keys = {kDedupDays}};
}

Settings load_settings(const config::Config& c) { return {.dedup_days = c.get(kDedupDays)}; }

}  // namespace parley::local
