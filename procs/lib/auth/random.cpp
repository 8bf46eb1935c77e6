#include <sys/random.h>

#include <cerrno>
#include <cstdlib>
#include <string_view>

#include "auth/auth.h"

namespace parley::auth {

namespace {

// No 0/O, 1/l/I: passwords get read aloud and typed from paper. 57 symbols.
constexpr std::string_view kPasswordAlphabet = "23456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

}  // namespace

// getrandom(2) with flags 0 blocks only until the kernel pool is seeded and
// never returns short reads for requests up to 256 bytes; loop anyway. A
// failure other than EINTR means no entropy source at all: carrying on with
// predictable salts and nonces would be worse than stopping.
std::string random_bytes(std::size_t n) {
  std::string out(n, '\0');
  std::size_t done = 0;
  while (done < n) {
    const ssize_t got = getrandom(out.data() + done, n - done, 0);
    if (got < 0) {
      if (errno == EINTR) continue;
      std::abort();
    }
    done += static_cast<std::size_t>(got);
  }
  return out;
}

// Rejection sampling: bytes at or above the largest multiple of the
// alphabet size are dropped, so every symbol is equally likely.
std::string random_password(std::size_t length) {
  constexpr unsigned kSize = kPasswordAlphabet.size();
  constexpr unsigned kLimit = 256 - 256 % kSize;
  std::string out;
  out.reserve(length);
  while (out.size() < length) {
    for (const char c : random_bytes(length - out.size() + 8)) {
      const auto b = static_cast<unsigned char>(c);
      if (b >= kLimit) continue;
      out += kPasswordAlphabet[b % kSize];
      if (out.size() == length) break;
    }
  }
  return out;
}

}  // namespace parley::auth
