// The SIP core of sipd: everything between a message arriving on a flow
// and the messages it sends. Transport-neutral (flow.h) and back-end
// neutral (backend.h), so a test or the session fuzz target drives it with
// stand-ins of its own.
//
//   - every message is parsed (sip/message.h); a request that cannot be
//     parsed but shows the headers a response needs is answered 400, other
//     garbage is dropped; other SIP versions get 505, other URI schemes
//     416, Max-Forwards 0 gets 483;
//   - transactions (sip/transaction.h) absorb retransmissions and send
//     them; their timers run on one Asio timer;
//   - REGISTER for a local domain: digest challenge and check (the
//     directory holds the secrets), then the registrar (registrations.cpp);
//   - other requests are proxied statefully (proxy.cpp): initial ones from
//     a local domain must authenticate (407), are routed by the router and
//     forked to every registered contact of the target accounts; requests
//     inside a dialog follow their Route headers (loose routing, RFC 3261
//     16.4, with flow tokens in Record-Route so that they reach a phone
//     over the connection it registered on);
//   - responses go back upstream along the Via path, the best final one
//     chosen (RFC 3261 16.7).
//   - SUBSCRIBE and PUBLISH for an account of ours are answered here:
//     sipd is the notifier of presence, dialog and message-summary
//     (presence.cpp, subscriptions.h).
//
// Untrusted input: every message. Not thread-safe: one Core per event loop.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/steady_timer.hpp>

#include "auth/auth.h"
#include "backend.h"
#include "dns/sip_locate.h"
#include "core/asio.h"
#include "flow.h"
#include "settings.h"
#include "sip/bindings.h"
#include "sip/stored_messages.h"
#include "sip/message.h"
#include "sip/presence_rules.h"
#include "sip/transaction.h"
#include "subscriptions.h"

namespace parley::sdp {
struct Session;
}

namespace parley::sipd {

// One call the proxy saw answered and not yet ended (`parleyctl sip calls`).
struct CallRecord {
  std::string sid;
  std::string call_id;
  std::string caller;  // From address
  std::string callee;  // the account (or URI) that answered
  std::int64_t started = 0;   // wall seconds
  std::int64_t answered = 0;  // 0: ringing
  std::chrono::steady_clock::time_point answered_at{};  // for the call's duration
};

// A trunk's registration as `parleyctl sip trunks` shows it.
struct TrunkStatus {
  std::string name;
  std::string registrar;
  std::string state;  // "registering", "registered", "failed", "not registering"
  std::int64_t expires_at = 0;  // wall seconds, while registered
  int last_status = 0;          // the last final response (408: no answer, 503: unreachable)
  std::string last_error;
  int failures = 0;             // in a row
};

class Core {
 public:
  struct Options {
    // The settings in force (replaced on reload).
    std::function<std::shared_ptr<const Settings>()> settings;
    // A new session id for a transaction or call ("sip-TAG-N").
    std::function<std::string()> next_sid;
    // Wall-clock seconds (registrations outlive restarts).
    std::function<std::int64_t()> wall_now;
    // The key of flow tokens and nonces (random per process start when empty).
    std::string key;
  };

  Core(asio::io_context& io, Transport& transport, Backend& backend, sip::Bindings& bindings,
       sip::StoredMessages& messages, Options options);
  ~Core();
  Core(const Core&) = delete;
  Core& operator=(const Core&) = delete;

  // A whole message that arrived on `flow` (a datagram, or what a stream's
  // framer cut).
  void receive(std::string bytes, const Flow& flow);
  // A stream connection closed: transactions sending on it fail now
  // rather than when their timers run out.
  void flow_closed(const Flow& flow);

  std::vector<CallRecord> calls() const;
  // Ends the calls answered longer than max_call_s before `now` whose BYE
  // never came (the server's sweep, every minute).
  void expire_calls(std::chrono::steady_clock::time_point now);
  // The media relay ended a call (no media for media.timeout_s): the
  // call's record ends ("media timeout") and both phones get a BYE.
  void relay_ended(std::string_view key, const schema::RelayEnded& event);
  // An application ended its call (media's app.ended): the caller gets a BYE.
  void app_ended(std::string_view call_id, const schema::AppEnded& event);
  // Registers to the configured trunks (trunks.cpp), refreshing before
  // expiry and retrying with backoff.
  void start_trunks();
  std::vector<TrunkStatus> trunks() const;
  std::size_t transactions() const { return transactions_.size(); }
  std::size_t subscriptions() const { return subscriptions_.size(); }
  // A mailbox of `account` changed (the mail store's event): its
  // message-summary subscribers are told the INBOX's counts.
  void mailbox_changed(const std::string& account, std::uint32_t messages, std::uint32_t unseen);
  // The account's presence may have changed (a registration came or
  // went): its presence watchers get the state.
  void presence_changed(const std::string& account);
  // Where the watchers accounts allowed are kept (presence.cpp; without
  // it, only watchers of the watched account's domain are allowed).
  void set_presence_rules(sip::PresenceRules* rules) { rules_ = rules; }
  // `parleyctl sip allow/deny`: pending subscriptions of the watcher
  // become active, or its active ones from outside the domain end.
  Status allow_watcher(const std::string& account, const std::string& watcher);
  Status deny_watcher(const std::string& account, const std::string& watcher);
  // Requests waiting for the directory or the router.
  std::size_t waiting() const { return *waiting_; }
  // Stops the timers; pending work is dropped.
  void stop();

 private:
  // How a branch leaves: the Request-URI (empty: as received), Route
  // entries of ours to take off, whether to Record-Route.
  struct Leg {
    std::string account;
    std::string request_uri;
    std::size_t drop_routes = 0;
    bool record_route = false;
    Flow flow;
    // Through a trunk: its name (a 401/407 is answered with its
    // credentials, once), the credentials header line to add, and how much
    // the CSeq is raised over the caller's (the re-sent request's).
    std::string trunk;
    std::string credentials;
    std::uint32_t cseq_shift = 0;
  };
  struct Branch {
    sip::TransactionId client = 0;
    std::string account;  // the target account; empty inside a dialog
    Flow flow;
    int status = 0;  // its final status; 0 while it runs
    bool provisional = false;
    bool cancel_pending = false;  // CANCEL once a provisional response comes
    bool abandoned = false;       // cancelled to try other targets: not a candidate
    // A located server's branch (RFC 3263 4.3): the servers left to try
    // when this one fails (transport error, timeout, 503), and how to
    // send to them.
    std::vector<dns::Target> fallback;
    std::string host;  // the name they were located by
    Leg leg;
  };
  // A request the proxy forwards: its server transaction and its branches.
  struct Proxied {
    sip::TransactionId server = 0;
    std::string sid;
    bool invite = false;
    bool initial = false;  // a dialog's first request (a call's INVITE), not one inside it (a re-INVITE)
    std::vector<Branch> branches;
    std::string best_wire;  // the best final response so far (RFC 3261 16.7 step 6)
    int best_status = 0;
    bool final_sent = false;
    bool cancelled = false;
    bool forwarded = false;  // the account's forwarding rules were applied
    std::size_t locating = 0;  // DNS lookups (RFC 3263) whose branches have not started
    schema::RouteSignalReply plan;
    std::unique_ptr<asio::steady_timer> timer_c;
    // Ringing in turn (SignalTarget.stage): the list of `plan` being rung,
    // its stage now, and the timer that moves to the next one.
    const google::protobuf::RepeatedPtrField<schema::SignalTarget>* list = nullptr;
    std::uint32_t stage = 0;
    std::unique_ptr<asio::steady_timer> stage_timer;
    std::string caller, callee;
    std::int64_t started = 0;  // wall seconds, for the call record
    std::string offer_body;    // the INVITE's SDP with the media relay's address (empty: not relayed)
    schema::RelaySide answer_side = schema::RELAY_SIDE_CALLEE;  // whose SDP its responses carry
  };
  using TimerKey = std::pair<sip::TransactionId, sip::Timer>;

  sip::TimePoint now() const { return sip::Clock::now(); }
  const Settings& settings() const { return *settings_now_; }

  // --- transactions and timers (core.cpp) ---
  void perform(sip::TransactionId id, std::vector<sip::Action> actions, const sip::Message* message);
  void arm(TimerKey key, sip::TimePoint at);
  void disarm(TimerKey key);
  void schedule();
  void fire_due();
  void send(sip::TransactionId id, std::string wire);
  void transaction_ended(sip::TransactionId id);
  // Answers the request of server transaction `id`.
  void respond(sip::TransactionId id, int status, std::string_view reason, const std::vector<sip::Header>& extra = {},
               std::string_view body = {});
  void on_request(sip::Message request, const Flow& flow);
  void on_response(sip::Message response);
  // A response made from the request alone, outside any transaction.
  void answer_statelessly(const sip::Message& request, const Flow& flow, int status,
                          const std::vector<sip::Header>& extra = {});
  void refuse_unparsable(std::string_view bytes, const Flow& flow, int status, std::string_view reason);
  bool rate_limited(const Flow& flow);

  // --- addresses ---
  // Whether `host` (and `port`) names this server rather than a domain.
  bool is_us(std::string_view host, std::optional<std::uint16_t> port) const;
  // "user@domain" for a SIP URI: a host naming this server means the
  // configured domain. Empty when it means nothing.
  std::string address_of(const sip::Uri& uri) const;
  std::string domain_of(const sip::Uri& uri) const;

  // --- registrar (registrations.cpp) ---
  awaitable<void> handle_register(sip::TransactionId id, Flow flow);
  // Checks the request's digest credentials for `realm` (Authorization or
  // Proxy-Authorization); the account, or nullopt after answering the
  // request (401/407 with a challenge, 403, 503). `details`, when given,
  // asks whether an address is the account's own and receives the answer
  // and the account's SIP settings (the directory answers all at once).
  struct AuthDetails {
    std::string identity;  // in: the address the request claims (From), or empty
    schema::SipSettings sip;
    bool identity_ok = false;
  };
  awaitable<std::optional<std::string>> authenticate(sip::TransactionId id, const Flow& flow, std::string realm,
                                                     bool proxy, AuthDetails* details = nullptr);
  // Whether `address`'s domain is one of ours (the directory's answer,
  // remembered for kDomainMemory); nullopt when the directory did not answer.
  awaitable<std::optional<bool>> local_domain(std::string address);
  void challenge(sip::TransactionId id, const std::string& realm, bool proxy, bool stale);

  // --- proxy (proxy.cpp) ---
  void handle_request(sip::TransactionId id, const Flow& flow);
  awaitable<void> route_initial(sip::TransactionId id, Flow flow);
  void forward_in_dialog(sip::TransactionId id, const Flow& flow);
  void start_in_dialog(Proxied& p, const Leg& leg);
  void forward_ack(const sip::Message& ack, const Flow& flow);
  void handle_cancel(sip::Message cancel, const Flow& flow);
  // Branches for `targets` (registered contacts of accounts, external
  // URIs, the media process): their first stage that starts any, the
  // stage timer armed when a later stage waits; how many started.
  std::size_t start_targets(Proxied& p, const google::protobuf::RepeatedPtrField<schema::SignalTarget>& targets);
  // The stages of p.list after p.stage, until one starts a branch; how
  // many started (0: none left that could).
  std::size_t next_stage(Proxied& p);
  // The branches of p.list's targets in stage p.stage.
  std::size_t start_stage(Proxied& p);
  void arm_stage_timer(Proxied& p);
  void stage_timed_out(sip::TransactionId server);
  // Takes the media targets out of the plan when there is no media process.
  void drop_media_targets(Proxied& p);
  void cancel_branch(Proxied& p, Branch& b);
  bool start_branch(Proxied& p, const Leg& leg);
  void on_branch_response(sip::TransactionId client, const sip::Message& response);
  // A branch's response as the caller will see it (with `body` instead of
  // its own: the relay's SDP): to the Proxied of `server` (its branch
  // `index`), or on statelessly when that is gone.
  void deliver_answer(sip::TransactionId server, std::size_t index, const sip::Message& response,
                      std::optional<std::string> body = std::nullopt);
  void on_answer(Proxied& p, std::size_t index, const sip::Message& response);
  void on_branch_failed(sip::TransactionId client, int status);
  void branch_done(Proxied& p);
  void forward_response(Proxied& p, const sip::Message& response);
  void cancel_branches(Proxied& p);
  void send_cancel(Proxied& p, Branch& b);
  void forward_response_stateless(const sip::Message& response);
  void end_proxied(sip::TransactionId server);
  void start_timer_c(Proxied& p);
  // Where a request goes next: the flow (from a flow token in a popped
  // Route, or the URI's address), nullopt when nowhere.
  std::optional<Flow> next_hop(const sip::Uri& uri, const std::optional<Flow>& token_flow);
  // RFC 3263: what to locate for a URI whose host is a name; nullopt for
  // an address or a scheme other than sip and sips.
  std::optional<dns::SipDestination> named_destination(const sip::Uri& uri) const;
  // Starts locating `to` for a leg of `p` (its flow filled in later); the
  // branch starts when the lookup ends, unless `p` has ended or been
  // cancelled meanwhile.
  void start_located(Proxied& p, Leg leg, dns::SipDestination to);
  awaitable<void> locate_leg(sip::TransactionId server, Leg leg, dns::SipDestination to);
  // A branch to the first of `targets` that takes one; the others are
  // its fallback. False when none did.
  bool start_on_targets(Proxied& p, Leg leg, std::vector<dns::Target> targets, const std::string& host);
  // A failed branch with servers left to try: the next one's branch
  // started (the failed one abandoned); false when there is none.
  bool fail_over(Proxied& p, std::size_t index);
  awaitable<void> forward_ack_located(std::string wire, dns::SipDestination to);
  // Our Record-Route / Via values for flows of `kind`.
  std::string via_value(Flow::Kind kind, std::string_view branch) const;
  std::string record_route(const Flow& flow) const;
  // Our Route entries on top of a request: how many, whether one carried
  // an intact flow token (a dialog we record-routed), and the flow a token
  // names other than the one the request came on (where it goes next).
  struct OwnRoutes {
    std::size_t count = 0;
    bool token = false;
    std::optional<Flow> next;
  };
  OwnRoutes own_routes(const sip::Message& request, const Flow& from) const;
  void final_answered(Proxied& p, int status);

  // --- trunks (trunks.cpp) ---
  struct TrunkState {
    std::string state = "registering";
    std::string call_id;
    std::string from_tag;
    std::uint32_t cseq = 0;
    std::uint32_t expires = 0;  // asked for
    std::int64_t expires_at = 0;
    int failures = 0;
    int last_status = 0;
    std::string last_error;
    bool credentials_sent = false;  // the REGISTER in flight answers a challenge
    std::unique_ptr<asio::steady_timer> timer;
  };
  awaitable<void> send_trunk_register(std::string name, std::string credentials);
  void on_trunk_response(sip::TransactionId client, const sip::Message& response);
  void trunk_failed(const std::string& name, int status, const std::string& why);
  void schedule_trunk(const std::string& name, std::chrono::seconds after);
  // An incoming call through a trunk (its Request-URI our registered
  // contact): the local address its number maps to; nullopt otherwise.
  std::optional<std::string> trunk_call_target(const sip::Message& request) const;
  // The answer to a trunk's challenge for a call: the branch again with
  // credentials and the CSeq raised; false when it cannot be answered.
  bool answer_trunk_challenge(Proxied& p, std::size_t index, const sip::Message& challenge);
  std::map<std::string, TrunkState> trunk_states_;
  std::map<sip::TransactionId, std::string> trunk_registers_;  // REGISTER client transaction -> trunk
  // Dialogs whose INVITE went through a trunk with its CSeq raised: by
  // Call-ID, the raise and the caller's From tag, for the caller's ACK and
  // later requests (and their responses, lowered again).
  std::map<std::string, std::pair<std::uint32_t, std::string>, std::less<>> cseq_shifts_;

  // --- the media relay (media.cpp) ---
  // Whether the call's media goes through the media process; if so, the
  // branches carry Proxied::offer_body and relays_ has the call.
  awaitable<void> relay_offer(sip::TransactionId server, Flow flow);
  bool callee_behind_nat(const Proxied& p) const;
  // The body a callee's response goes on with: the answer as the relay
  // rewrote it (asked before: a retransmission, or 18x then 2xx), the body
  // as it is when it has no SDP; nullopt when the relay is asked now:
  // relay_answer delivers the response when it has answered.
  std::optional<std::string> relayed_answer(sip::TransactionId server, std::size_t index, const sip::Message& response);
  awaitable<void> relay_answer(sip::TransactionId server, std::size_t index, schema::RelaySide side, std::string wire);
  // `side`'s SDP with the relay's address and ports; nullopt when the relay
  // did not answer or cannot be reached from the party at `party_ip`
  // (logged; the media goes direct).
  awaitable<std::optional<std::string>> ask_relay(std::string call_id, schema::RelaySide side, std::string sid,
                                                  sdp::Session session, std::vector<schema::RelayStream> streams,
                                                  std::string party_ip);
  void release_relay(const std::string& call_id, const std::string& sid);
  // An offer inside a relayed dialog (re-INVITE, UPDATE): through the
  // relay, then on to `leg` (start_in_dialog).
  awaitable<void> relay_in_dialog(sip::TransactionId server, Leg leg);
  awaitable<void> send_release(schema::RelayRelease release);
  // A relayed dialog's request (its CSeq, per direction) and the 2xx that
  // answered its INVITE (the callee's party): for relay_ended's BYEs.
  void note_relayed_request(const sip::Message& request);
  void note_relayed_answer(const sip::Message& response, const Flow& flow);
  // One party of a relayed call as sipd saw it: enough to send it a BYE
  // in the name of the other when the relay ends the call.
  struct Party {
    std::string party;    // its From (caller) or To (callee) header value, with the tag
    std::string contact;  // its Contact URI
    Flow flow;            // where its messages came from
    std::uint32_t cseq = 0;  // the highest CSeq of its requests in the dialog
  };
  struct Relayed {
    std::string caller_tag;  // the From tag of the caller's requests
    // An answer's SDP as received -> as passed on (its retransmissions, the
    // 2xx after an 18x with the same SDP), by the side that sent it.
    std::map<std::pair<schema::RelaySide, std::string>, std::string> answers;
    Party caller, callee;  // the callee's once its 2xx came
  };
  // Sends a BYE in a dialog on `flow` (to `target`, with `route_set`),
  // from `from` to `to` (header values with tags), whose answer is
  // nobody's business (byes_). `reason`: an RFC 3326 Reason value or empty.
  void send_bye(const Flow& flow, const std::string& target, const std::vector<std::string>& route_set,
                const std::string& from, const std::string& to, const std::string& call_id, std::uint32_t cseq,
                const std::string& sid, std::string_view reason);
  std::map<std::string, Relayed, std::less<>> relays_;  // by Call-ID

  // --- the server's own applications (apps.cpp) ---
  // A media target: the call is answered here and its audio is media's;
  // false when it cannot be (not a call's first INVITE).
  bool start_application(Proxied& p, const schema::SignalTarget& target);
  awaitable<void> answer_application(sip::TransactionId server, std::string application, std::string account);
  // Sends the dialog's 2xx (the INVITE's or a re-INVITE's) on `server`,
  // again until the ACK over UDP.
  void answer_app_invite(const std::string& call_id, sip::TransactionId server);
  void resend_app_answer(const std::string& call_id);
  // An ACK or a request inside an application's dialog: false when it is
  // not one (the proxy's then).
  bool app_ack(const sip::Message& ack);
  bool app_request(sip::TransactionId id);
  // The dialog is over: a BYE to the caller when `bye`, media told to stop
  // when `tell_media` (not when media ended it), the call record ended.
  void end_application(const std::string& call_id, std::string_view reason, bool bye, bool tell_media);
  awaitable<void> send_app_update(schema::AppStart start);
  awaitable<void> send_app_stop(schema::AppStop stop);
  awaitable<void> send_app_digits(schema::AppDigits digits);
  struct AppDialog {
    std::string sid;
    std::string application, account, caller;
    sip::TransactionId server = 0;  // the INVITE (or re-INVITE) whose 2xx is resent
    std::string local_tag;
    std::string local_party;    // the INVITE's To, without tag: our From
    std::string remote_party;   // the INVITE's From, with its tag: our To
    std::string remote_target;  // its Contact URI
    std::vector<std::string> route_set;  // its Record-Route values, in order
    Flow flow;                  // where the INVITE came from: the BYE goes back there
    std::uint32_t remote_cseq = 0;
    std::string sdp;            // our answer
    std::uint64_t sdp_version = 0;
    bool acked = false;
    sip::Duration interval{};
    std::chrono::steady_clock::time_point given_up_at{};
    std::unique_ptr<asio::steady_timer> timer;  // the 2xx's retransmission
  };
  std::map<std::string, AppDialog, std::less<>> apps_;  // by Call-ID
  std::set<sip::TransactionId> byes_;                    // BYEs of our own on their way

  // --- stored instant messages (messages.cpp) ---
  // Keeps a MESSAGE for an account with no device registered and answers
  // 202; false when it cannot be kept (over the account's limits).
  bool store_message(Proxied& p);
  // Sends an account's stored messages to the contact that just registered.
  void deliver_stored(const std::string& account, const Flow& flow, const std::string& contact);
  void on_delivery_response(sip::TransactionId client, int status);

  // --- event notifications (presence.cpp) ---
  // SUBSCRIBE and PUBLISH for `account` (an account of ours the router
  // named); `subscriber` the authenticated account, empty for a caller
  // of another domain.
  awaitable<void> serve_event(sip::TransactionId id, Flow flow, std::string account, std::string subscriber);
  awaitable<void> subscribe(sip::TransactionId id, Flow flow, std::string account, std::string subscriber);
  void publish(sip::TransactionId id, const std::string& account, const std::string& subscriber);
  // A SUBSCRIBE inside one of our subscriptions (refresh, unsubscribe):
  // false when it is not ours.
  bool resubscribe(sip::TransactionId id);
  void send_notify(Subscription& s);
  void on_notify_response(sip::TransactionId client, int status);
  void end_subscription(std::uint64_t id, std::string_view why);
  // Calls `act` on each subscription to `account`'s events (lower case).
  // The ids are taken first: a NOTIFY that fails at once ends its own.
  void for_subscriptions_to(std::string_view account, const std::function<void(Subscription&)>& act);
  void arm_subscription(Subscription& s);
  // A call of these parties changed (dialog event); `ended` a dialog that
  // just ended, shown once as terminated.
  void dialogs_changed(const std::string& caller, const std::string& callee, const sip::DialogState* ended);
  // A call's end (a BYE, or expire_calls): logged, forgotten, its watchers told.
  void end_call(std::map<std::string, CallRecord>::iterator call, std::chrono::steady_clock::time_point now,
                std::string_view reason);
  std::vector<sip::DialogState> dialogs_of(const std::string& account) const;
  sip::Presence presence_of(const std::string& account);
  std::string notify_body(Subscription& s, std::string& content_type);
  std::string own_contact(const Flow& flow) const;
  // The To tag of our responses to server transaction `id`.
  std::string local_tag(sip::TransactionId id);

  asio::io_context& io_;
  Transport& transport_;
  Backend& backend_;
  sip::Bindings& bindings_;
  sip::StoredMessages& messages_;
  Options options_;
  std::shared_ptr<const Settings> settings_now_;
  sip::TransactionTable transactions_;
  auth::DigestNonces nonces_;
  std::map<sip::TransactionId, Flow> flows_;
  std::map<sip::TransactionId, std::string> sids_;
  std::multimap<sip::TimePoint, TimerKey> timers_;
  std::map<TimerKey, std::multimap<sip::TimePoint, TimerKey>::iterator> armed_;
  asio::steady_timer wake_;
  std::optional<sip::TimePoint> wake_at_;
  std::map<sip::TransactionId, std::unique_ptr<Proxied>> proxied_;         // by server transaction
  std::map<sip::TransactionId, std::pair<sip::TransactionId, std::size_t>> branch_of_;  // client -> server, index
  std::map<std::string, CallRecord> calls_;                                // by Call-ID
  // Domains asked about (local_domain): whether ours, until when.
  std::map<std::string, std::pair<bool, sip::TimePoint>, std::less<>> domains_;
  // Stored messages on their way: client transaction -> (account, message id).
  std::map<sip::TransactionId, std::pair<std::string, std::uint64_t>> deliveries_;
  // Event notifications: subscriptions by id, NOTIFYs on their way
  // (client transaction -> subscription), publications by entity tag, the
  // INBOX counts of accounts last heard (account -> messages, unseen).
  std::map<std::uint64_t, Subscription> subscriptions_;
  // The same subscriptions by watched account and by Call-ID: a call, a
  // mail delivery or a refresh finds its own without a scan of all.
  std::multimap<std::string, std::uint64_t, std::less<>> subscriptions_of_;
  std::multimap<std::string, std::uint64_t, std::less<>> subscriptions_by_call_;
  std::map<sip::TransactionId, std::uint64_t> notifies_;
  std::map<std::string, Publication> publications_;
  std::map<std::string, std::pair<std::uint32_t, std::uint32_t>> mailboxes_;
  std::uint64_t next_subscription_ = 1;
  sip::PresenceRules* rules_ = nullptr;
  // New requests per second per client address (max_requests_per_ip).
  std::map<std::string, std::uint32_t, std::less<>> requests_this_second_;
  std::int64_t rate_second_ = 0;
  bool table_full_ = false;  // the transaction table refused a request (logged once)
  std::shared_ptr<bool> alive_;
  std::shared_ptr<std::size_t> waiting_ = std::make_shared<std::size_t>(0);
  // Counts a request in waiting() while it lives (a coroutine's local; it
  // may outlive the Core, hence the shared count).
  struct Waiting {
    explicit Waiting(std::shared_ptr<std::size_t> n) : n_(std::move(n)) { ++*n_; }
    ~Waiting() { --*n_; }
    Waiting(const Waiting&) = delete;
    Waiting& operator=(const Waiting&) = delete;
    std::shared_ptr<std::size_t> n_;
  };
};

// What a SIP status means in words, for the reason phrase of responses
// sipd makes itself.
std::string_view reason_phrase(int status);

// A new RFC 3261 branch for a request this server sends.
std::string new_branch();

// RFC 3261 16.7 step 6: whether final status `candidate` is a better
// answer to pass on than `best` (0: none yet).
bool better(int candidate, int best);

// Calls remembered for `parleyctl sip calls`.
inline constexpr std::size_t kMaxCalls = 100000;

// Whether a message's body is an SDP (Content-Type application/sdp).
bool has_sdp(const sip::Message& m);

}  // namespace parley::sipd
