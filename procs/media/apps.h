// The server's own applications on media's side: one Endpoint and one
// application (Voicemail) per call sipd answered for them, driven by one
// 20 ms clock for all. media never sees SIP: sipd says a call came
// (start), where its caller receives, and when it hung up (stop); the
// Apps tell their owner when an application ends a call itself (`ended`:
// sipd sends the BYE) and when a message is to be delivered (`deliver`:
// the owner hands it to the router).
//
// A call whose caller sends nothing for the relay's timeout_s is hung up
// here (what was recorded is still delivered).
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "core/asio.h"
#include "core/result.h"
#include "endpoint.h"
#include "relay.h"
#include "schema/media.pb.h"
#include "settings.h"
#include "voicemail.h"

namespace parley::media {

class Apps {
 public:
  struct Hooks {
    std::function<void(const std::string& call, const std::string& reason)> ended;
    std::function<void(VoicemailMail mail, const std::string& sid)> deliver;
  };

  Apps(asio::io_context& io, RelaySettings relay, AppSettings settings, Hooks hooks);
  ~Apps();
  Apps(const Apps&) = delete;
  Apps& operator=(const Apps&) = delete;

  // Reads the prompts from settings.prompts; a missing or unreadable one
  // is logged and left silent (the tone is made here when its file is
  // missing), so that voicemail still records.
  void load_prompts();
  // A reload: new limits, and the prompts read again. Calls under way keep
  // the prompts they started with.
  void set_settings(RelaySettings relay, AppSettings settings);

  // Errc::invalid: no application of that name, or no codec in the offer
  // this side speaks (sipd answers 488); Errc::limit: no ports or too many calls.
  Result<schema::AppStartReply> start(const schema::AppStart& request);
  // The caller hung up; false for an unknown call.
  bool stop(const std::string& call);
  // DTMF the caller sent in SIP INFO, as if it came in RFC 4733 events;
  // false for an unknown call.
  bool digits(const std::string& call, std::string_view digits);
  // Every call ends now, as if its caller hung up (what was said is
  // delivered), and its owner is told (sipd sends the BYE).
  void end_all(const std::string& reason);
  std::size_t calls() const { return calls_.size(); }

 private:
  struct Call;
  void tick();
  void end(std::map<std::string, std::unique_ptr<Call>>::iterator it, const std::string& reason, bool tell);
  void deliver(Call& call);

  asio::io_context& io_;
  RelaySettings relay_;
  AppSettings settings_;
  Hooks hooks_;
  std::shared_ptr<const Prompts> prompts_;
  std::map<std::string, std::unique_ptr<Call>> calls_;
  asio::steady_timer clock_;
  std::chrono::steady_clock::time_point next_tick_{};
  bool ticking_ = false;
};

}  // namespace parley::media
