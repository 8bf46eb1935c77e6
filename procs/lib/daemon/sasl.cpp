#include "daemon/sasl.h"

#include <chrono>

namespace parley::daemon {

using namespace std::chrono_literals;

awaitable<SaslOutcome> sasl_exchange(ipc::Client& directory, schema::AuthRequest req, const SaslAsk& ask) {
  ipc::CallOptions opts(10000ms, req.sid());
  SaslOutcome out;
  for (;;) {
    auto answer = co_await directory.call<schema::AuthReply>("directory.auth", req, opts);
    if (!answer) {
      out.kind = SaslOutcome::Kind::tempfail;
      co_return out;
    }
    switch (answer->outcome()) {
      case schema::AuthReply::OUTCOME_OK:
        out.kind = SaslOutcome::Kind::ok;
        out.account = answer->account();
        out.final_data = answer->final_data();
        co_return out;
      case schema::AuthReply::OUTCOME_CONTINUE: {
        bool cancelled = false;
        auto response = co_await ask(answer->challenge(), cancelled);
        if (!response) {
          out.kind = cancelled ? SaslOutcome::Kind::cancelled : SaslOutcome::Kind::lost;
          co_return out;
        }
        req.set_response(std::move(*response));
        req.set_exchange_id(answer->exchange_id());
        continue;
      }
      case schema::AuthReply::OUTCOME_TEMPFAIL: out.kind = SaslOutcome::Kind::tempfail; co_return out;
      default: out.kind = SaslOutcome::Kind::failed; co_return out;
    }
  }
}

}  // namespace parley::daemon
