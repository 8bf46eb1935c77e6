// xtext (RFC 3461 4): the encoding of ENVID and ORCPT values. xchar is any
// of '!'..'~' except '+' and '='; any other octet is "+HH" (upper-case hex).
#pragma once

#include <string>
#include <string_view>

#include "core/result.h"

namespace parley::mail {

// Errc::syntax: a character outside xchar, or '+' not followed by two hex
// digits (lower-case hex is accepted).
Result<std::string> xtext_decode(std::string_view text);

std::string xtext_encode(std::string_view value);

}  // namespace parley::mail
