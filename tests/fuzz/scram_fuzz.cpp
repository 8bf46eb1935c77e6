// A ScramServer on arbitrary bytes: the input splits at its first "\n"
// into client-first and client-final message (no "\n": client-first only).
// The one known user is RFC 7677's ("user", "pencil", its salt and server
// nonce), so the RFC dialog as a seed runs the exchange to the end. Must
// never crash; a successful exchange must end in "v=" and have sent a
// server-first that extends the client's nonce.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "auth/auth.h"

namespace {

const parley::auth::ScramKeys& known_keys() {
  // base64 "W22ZaJ0SNY7soEsUEjb6gQ==" (RFC 7677 section 3).
  static const parley::auth::ScramKeys keys = parley::auth::derive_scram(
      "pencil", std::string("\x5b\x6d\x99\x68\x9d\x12\x35\x8e\xec\xa0\x4b\x14\x12\x36\xfa\x81", 16), 4096);
  return keys;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::size_t newline = input.find('\n');
  const std::string_view client_first = input.substr(0, newline);
  parley::auth::ScramServer server(
      [](std::string_view name) -> std::optional<parley::auth::ScramKeys> {
        if (name != "user") return std::nullopt;
        return known_keys();
      },
      "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0");
  const auto server_first = server.first(client_first);
  if (!server_first) return 0;
  if (server_first->substr(0, 2) != "r=" || server.username() != "user") std::abort();
  if (newline == std::string_view::npos) return 0;
  const auto server_final = server.final(input.substr(newline + 1));
  if (server_final && server_final->substr(0, 2) != "v=") std::abort();
  // The exchange is over either way.
  if (server.final(input.substr(newline + 1)).ok()) std::abort();
  return 0;
}
