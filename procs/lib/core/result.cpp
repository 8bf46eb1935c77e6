#include "core/result.h"

namespace parley {

std::string_view errc_name(Errc code) {
  switch (code) {
    case Errc::syntax: return "syntax";
    case Errc::limit: return "limit";
    case Errc::invalid: return "invalid";
    case Errc::not_found: return "not_found";
    case Errc::exists: return "exists";
    case Errc::denied: return "denied";
    case Errc::unavailable: return "unavailable";
    case Errc::timeout: return "timeout";
    case Errc::io: return "io";
    case Errc::internal: return "internal";
    case Errc::cancelled: return "cancelled";
  }
  return "unknown";
}

}  // namespace parley
