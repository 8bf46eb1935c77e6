// Looking up Unix users and groups by name (the system's NSS databases,
// re-entrant calls). Errc::not_found when the name does not exist (an empty
// name never does).
#pragma once

#include <sys/types.h>

#include <string_view>

#include "core/result.h"

namespace parley {

struct UserIds {
  uid_t uid;
  gid_t gid;  // the user's primary group
};

Result<UserIds> find_user(std::string_view name);
Result<gid_t> find_group(std::string_view name);

}  // namespace parley
