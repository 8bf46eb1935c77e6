#include "front/sasl.h"

#include <chrono>

#include "auth/encoding.h"
#include "ipc/contracts/directory.h"
#include "ipc/ipc.h"

namespace parley::front {

namespace {

using namespace std::chrono_literals;
using Kind = SaslOutcome::Kind;

constexpr auto kDirectoryTimeout = 10000ms;

// The client's answer to a challenge, decoded; nullopt with `kind` set
// when there is none to pass on.
awaitable<std::optional<std::string>> ask(const SaslChallenge& challenge, std::string_view data, Kind& kind) {
  std::string wire = auth::base64_encode(data);
  auto line = co_await challenge(std::move(wire));
  if (!line) {
    kind = Kind::lost;
    co_return std::nullopt;
  }
  std::optional<std::string> decoded;
  if (*line != "*") decoded = auth::base64_decode(*line);
  if (!decoded) kind = Kind::cancelled;
  co_return decoded;
}

}  // namespace

bool sasl_mechanism_supported(std::string_view mechanism) {
  return mechanism == "PLAIN" || mechanism == "LOGIN" || mechanism == "SCRAM-SHA-256";
}

awaitable<SaslOutcome> sasl_authenticate(ipc::Client& directory, const SaslStart& start, const SaslChallenge& challenge) {
  SaslOutcome out;
  if (!sasl_mechanism_supported(start.mechanism)) {
    out.kind = Kind::unsupported;
    co_return out;
  }
  schema::AuthRequest req;
  req.set_mechanism(start.mechanism);
  req.set_service(start.service);
  req.set_client_address(start.client_ip);
  req.set_sid(start.sid);
  if (start.initial && *start.initial != "=") {
    auto decoded = auth::base64_decode(*start.initial);
    if (!decoded) {
      out.kind = Kind::bad_initial;
      co_return out;
    }
    req.set_response(std::move(*decoded));
  }
  ipc::CallOptions opts(kDirectoryTimeout, start.sid);
  for (;;) {
    auto answer = co_await directory.call(contracts::kDirectoryAuth, req, opts);
    if (!answer) {
      out.kind = Kind::tempfail;
      co_return out;
    }
    switch (answer->outcome()) {
      case schema::AuthReply::OUTCOME_OK: {
        if (!answer->final_data().empty()) {
          // SCRAM's server-final message: one more challenge, answered empty.
          Kind kind = Kind::ok;
          auto response = co_await ask(challenge, answer->final_data(), kind);
          if (!response) {
            out.kind = kind;
            co_return out;
          }
        }
        out.kind = Kind::ok;
        out.account = answer->account();
        co_return out;
      }
      case schema::AuthReply::OUTCOME_CONTINUE: {
        Kind kind = Kind::ok;
        auto response = co_await ask(challenge, answer->challenge(), kind);
        if (!response) {
          out.kind = kind;
          co_return out;
        }
        req.set_response(std::move(*response));
        req.set_exchange_id(answer->exchange_id());
        continue;
      }
      case schema::AuthReply::OUTCOME_TEMPFAIL: out.kind = Kind::tempfail; co_return out;
      default: out.kind = Kind::failed; co_return out;
    }
  }
}

}  // namespace parley::front
