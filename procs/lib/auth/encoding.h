// Encodings the auth mechanisms share: base64 (RFC 4648 section 4, as
// SCRAM sends salts, proofs and signatures), lowercase hex (Digest) and a
// UTF-8 check (PLAIN). Internal to parley_auth, its tests and sipd's flow
// tokens.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/utf8.h"

namespace parley::auth {

// Standard alphabet, "=" padding.
std::string base64_encode(std::string_view bytes);
// Strict: length a multiple of 4, only alphabet characters, "=" only as
// one or two final padding characters, unused trailing bits zero (so each
// byte string has exactly one accepted spelling). nullopt otherwise.
std::optional<std::string> base64_decode(std::string_view text);

// Lowercase hex, two digits per byte.
std::string hex_encode(std::string_view bytes);
// Back from hex, either case; nullopt for an odd length or a non-hex digit.
std::optional<std::string> hex_decode(std::string_view text);

// UTF-8 checks: parley::valid_utf8 (core/utf8.h).
using parley::valid_utf8;

}  // namespace parley::auth
