// What the SIP core asks of the rest of Parley: the directory (digest
// checks, addresses and account settings), the router (where a call
// goes), the mail store (a mailbox's counts) and DNS (where a SIP server is,
// RFC 3263). sipd's Server answers through ipc; tests and the session fuzz
// target through a stand-in of their own.
#pragma once

#include "core/asio.h"
#include "core/result.h"
#include "dns/sip_locate.h"
#include "schema/directory.pb.h"
#include "schema/media.pb.h"
#include "schema/signal.pb.h"
#include "schema/store.pb.h"

namespace parley::sipd {

class Backend {
 public:
  virtual ~Backend() = default;
  virtual awaitable<Result<schema::AuthReply>> digest(schema::DigestRequest request) = 0;
  virtual awaitable<Result<schema::ResolveReply>> resolve(schema::ResolveRequest request) = 0;
  virtual awaitable<Result<schema::RouteSignalReply>> route(schema::RouteSignalRequest request) = 0;
  // A mailbox's counts, for message-summary subscriptions (RFC 3842).
  virtual awaitable<Result<schema::MailboxStatusReply>> mailbox_status(schema::MailboxStatusRequest request) = 0;
  // The servers to try in turn for a URI naming a host (dns::locate's
  // contract: errors not_found, unavailable, invalid, cancelled).
  virtual awaitable<Result<std::vector<dns::Target>>> locate(dns::SipDestination destination) = 0;
  // The media relay (procs/media): a side's streams, and the call's end.
  // Errc::unavailable at once when there is no media process.
  virtual awaitable<Result<schema::RelayUpdateReply>> relay_update(schema::RelayUpdate update) = 0;
  virtual awaitable<Result<schema::RelayReleaseReply>> relay_release(schema::RelayRelease release) = 0;
  // The server's own applications (voicemail), answered by sipd with
  // media as the audio's end; media_available() says whether there is a
  // media process to ask (else the router leaves rules to voicemail out).
  virtual bool media_available() const = 0;
  virtual awaitable<Result<schema::AppStartReply>> app_start(schema::AppStart start) = 0;
  virtual awaitable<Result<schema::AppStopReply>> app_stop(schema::AppStop stop) = 0;
  virtual awaitable<Result<schema::AppDigitsReply>> app_digits(schema::AppDigits digits) = 0;
};

}  // namespace parley::sipd
