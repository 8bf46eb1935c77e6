#include "core/users.h"

#include <grp.h>
#include <pwd.h>

#include <string>
#include <vector>

namespace parley {

namespace {
constexpr std::size_t kNssBuffer = 16384;  // enough for any sane passwd/group entry
}

Result<UserIds> find_user(std::string_view name) {
  const std::string n(name);
  std::vector<char> buf(kNssBuffer);
  passwd pw{};
  passwd* found = nullptr;
  if (n.empty() || ::getpwnam_r(n.c_str(), &pw, buf.data(), buf.size(), &found) != 0 || found == nullptr) {
    return fail(Errc::not_found, "no such user: " + n);
  }
  return UserIds{pw.pw_uid, pw.pw_gid};
}

Result<gid_t> find_group(std::string_view name) {
  const std::string n(name);
  std::vector<char> buf(kNssBuffer);
  group gr{};
  group* found = nullptr;
  if (n.empty() || ::getgrnam_r(n.c_str(), &gr, buf.data(), buf.size(), &found) != 0 || found == nullptr) {
    return fail(Errc::not_found, "no such group: " + n);
  }
  return gr.gr_gid;
}

}  // namespace parley
