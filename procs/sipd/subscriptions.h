// The state of sipd's event notifications (presence.cpp): subscriptions
// (RFC 6665) in which sipd is the notifier, and presence documents devices
// published (RFC 3903). Kept in memory: after a restart a subscriber's
// refresh gets 481 and it subscribes anew; a device republishes.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/steady_timer.hpp>

#include "flow.h"
#include "sip/presence.h"

namespace parley::sipd {

enum class EventPackage { presence, dialog, message_summary };

struct Subscription {
  std::uint64_t id = 0;
  EventPackage package = EventPackage::presence;
  std::string event;     // the Event header value to send (package and id parameter)
  std::string account;   // the watched account, lower case
  std::string watcher;   // the subscriber's address, lower case
  std::string sid;
  bool pending = false;  // waiting for the watched account's permission
  // The dialog, sipd's side being the notifier (RFC 3261 12.1.1).
  std::string call_id;
  std::string local_tag, remote_tag;
  std::string local_party;   // the SUBSCRIBE's To, without tag: our From
  std::string remote_party;  // the SUBSCRIBE's From, with its tag: our To
  std::string remote_target; // its Contact URI
  std::vector<std::string> route_set;  // its Record-Route values, in order
  Flow flow;                 // where the SUBSCRIBE came from: NOTIFYs go back there
  std::uint32_t local_cseq = 0;
  std::uint32_t remote_cseq = 0;
  std::chrono::steady_clock::time_point expires_at{};
  std::unique_ptr<asio::steady_timer> timer;
  bool in_flight = false;  // a NOTIFY waits for its answer: the next one waits (CSeq order)
  bool again = false;      // the state changed meanwhile: notify once the answer comes
  bool ending = false;     // the final NOTIFY (terminated) is sent or due
  std::string reason;      // terminated's reason parameter (empty: none)
  std::uint32_t version = 0;  // dialog-info's document version
  std::vector<sip::DialogState> ended;  // calls ended since the last NOTIFY (dialog)
};

// A device's presence document (RFC 3903), by entity tag.
struct Publication {
  std::string account;
  sip::Presence document;
  std::chrono::steady_clock::time_point expires_at{};
  std::unique_ptr<asio::steady_timer> timer;
};

}  // namespace parley::sipd
