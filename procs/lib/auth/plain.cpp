// SASL PLAIN (RFC 4616 section 2):
//   message = [authzid] UTF8NUL authcid UTF8NUL passwd
//   authzid, authcid, passwd: 1*255 UTF-8 characters without NUL
// The limit is in bytes here, which is stricter than 255 characters only
// for non-ASCII names; a longer field is refused rather than truncated.
#include "auth/auth.h"
#include "auth/encoding.h"

namespace parley::auth {

Result<PlainCredentials> parse_plain(std::string_view message) {
  const std::size_t first_nul = message.find('\0');
  if (first_nul == std::string_view::npos) return fail(Errc::syntax, "PLAIN message without NUL separators");
  const std::size_t second_nul = message.find('\0', first_nul + 1);
  if (second_nul == std::string_view::npos) return fail(Errc::syntax, "PLAIN message with one NUL separator");
  const std::string_view authzid = message.substr(0, first_nul);
  const std::string_view authcid = message.substr(first_nul + 1, second_nul - first_nul - 1);
  const std::string_view password = message.substr(second_nul + 1);
  if (password.find('\0') != std::string_view::npos) return fail(Errc::syntax, "PLAIN message with extra NULs");
  if (authcid.empty()) return fail(Errc::syntax, "PLAIN authcid is empty");
  if (password.empty()) return fail(Errc::syntax, "PLAIN password is empty");
  if (authzid.size() > kPlainMaxField || authcid.size() > kPlainMaxField || password.size() > kPlainMaxField) {
    return fail(Errc::syntax, "PLAIN field longer than 255 bytes");
  }
  if (!valid_utf8(authzid) || !valid_utf8(authcid) || !valid_utf8(password)) {
    return fail(Errc::syntax, "PLAIN field is not UTF-8");
  }
  return PlainCredentials{std::string(authzid), std::string(authcid), std::string(password)};
}

}  // namespace parley::auth
