// SIP transactions (RFC 3261 17, with RFC 6026's Accepted state): the four
// state machines (INVITE and non-INVITE, client and server), their timers,
// matching messages to transactions, and the table that owns them. Pure:
// no I/O and no clock.
//
// The API is events in, actions out. Every call takes `now` from the
// caller's clock and returns a list of Actions, in order, for the caller
// to perform:
//   send        the bytes in `wire` to the transport (the request, a
//               retransmission, a response, an ACK);
//   to_tu       pass the message given to this call to the TU (a response
//               on a client transaction, a request on a server one);
//   timeout     tell the TU the transaction timed out (`timer`: B, F or H);
//   transport_error  tell the TU the transport failed;
//   arm         arm timer `timer` to fire at `at` (replacing an armed one);
//   cancel      cancel timer `timer`;
//   terminated  the transaction is over (the table then drops it).
// The caller fires a timer by calling on_timer(timer, now); a timer the
// transaction does not have armed is ignored, so a late cancel is harmless.
// A list of plain structs keeps the machines testable without mocks:
// a test compares the list.
//
// Transport: on an unreliable one (UDP) timers A, E and G retransmit and
// D, I, J, K absorb stray retransmissions; on a reliable one (TCP, TLS,
// SCTP, WS) none of those is armed: where RFC 3261 sets D, I, J or K to
// zero the transaction terminates at once.
//
// One departure: Timer J (a non-INVITE server transaction in Completed on
// UDP) is T4 after each sending of the final response, up to 64*T1 after
// the first, rather than a fixed 64*T1. A client whose copy of the answer
// was lost retransmits within T2 (< T4) of its previous send, so every
// retransmission is still absorbed and answered (and restarts the T4), yet
// a server answering thousands of REGISTERs a second keeps 5 s of them
// rather than 32 s (Kamailio's tm keeps 5 s, its wait_timer, for the same
// reason).
//
// Matching (17.1.3, 17.2.3) needs an RFC 3261 branch (starting "z9hG4bK").
// The RFC 2543 fallback (comparing Request-URI, tags, Call-ID, CSeq and
// Via) is not implemented: a request without such a branch is refused,
// and the caller answers 400 (an ACK without one is dropped).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/result.h"
#include "sip/message.h"

namespace parley::sip {

using Clock = std::chrono::steady_clock;  // only the type: the time comes from the caller
using TimePoint = Clock::time_point;
using Duration = std::chrono::milliseconds;

// RFC 3261 17.1.2.2 magic cookie that marks an RFC 3261 branch.
constexpr std::string_view kMagicCookie = "z9hG4bK";

// RFC 3261 17.1.1.1 and table 4: the defaults are the RFC's.
struct TimerSettings {
  Duration t1{500};   // RTT estimate
  Duration t2{4000};  // longest retransmit interval of non-INVITE requests and INVITE responses
  Duration t4{5000};  // longest a message stays in the network
};

// Timer D on an unreliable transport: "at least 32 seconds" (17.1.1.2).
constexpr Duration kTimerD{32000};

enum class Timer { A, B, D, E, F, G, H, I, J, K, L, M };
std::string_view timer_name(Timer timer);

struct Action {
  enum class Kind { send, to_tu, timeout, transport_error, arm, cancel, terminated };
  Kind kind;
  std::string wire;    // send
  Timer timer{};       // arm, cancel
  TimePoint at{};      // arm
};

enum class TransactionKind { invite_client, non_invite_client, invite_server, non_invite_server };

enum class TransactionState { calling, trying, proceeding, completed, confirmed, accepted, terminated };
std::string_view state_name(TransactionState state);

// One transaction. Created by client() or server(); moved, not copied.
class Transaction {
 public:
  // A client transaction for `request` (not ACK: an ACK has no
  // transaction), sent at once. `actions` receives the first send and
  // timers. Errc::invalid: a response, an ACK, or no RFC 3261 branch.
  [[nodiscard]] static Result<Transaction> client(Message request, bool reliable, const TimerSettings& settings,
                                                  TimePoint now, std::vector<Action>& actions);
  // A server transaction for a request no transaction matched (not ACK).
  // INVITE: "100 Trying" is sent at once (17.2.1), then the request goes
  // to the TU; others: to the TU. Errc::invalid as for client().
  [[nodiscard]] static Result<Transaction> server(Message request, bool reliable, const TimerSettings& settings,
                                                  TimePoint now, std::vector<Action>& actions);

  TransactionKind kind() const { return kind_; }
  TransactionState state() const { return state_; }
  bool is_client() const {
    return kind_ == TransactionKind::invite_client || kind_ == TransactionKind::non_invite_client;
  }
  bool is_invite() const {
    return kind_ == TransactionKind::invite_client || kind_ == TransactionKind::invite_server;
  }
  // The request; not kept once a non-INVITE server transaction on an
  // unreliable transport sent its final response (it then only absorbs
  // retransmissions, and TransactionTable::find no longer shows it).
  const Message& request() const { return *request_; }
  bool has_request() const { return request_ != nullptr; }

  // Client: a response matched to this transaction.
  std::vector<Action> on_response(const Message& response, TimePoint now);
  // Server: a retransmitted request or an ACK matched to this transaction.
  std::vector<Action> on_request(const Message& request, TimePoint now);
  // Server: the TU sends `response`. Errc::invalid: a client transaction,
  // a response sent after the final one (except further 2xx to INVITE in
  // Accepted, RFC 6026 8.5), or one whose CSeq does not match the request.
  [[nodiscard]] Result<std::vector<Action>> send_response(const Message& response, TimePoint now);
  std::vector<Action> on_timer(Timer timer, TimePoint now);
  // The transport could not send (17.1.1.2, 17.1.2.2, 17.2.4): the TU is
  // told and the transaction ends, in any state.
  std::vector<Action> on_transport_error(TimePoint now);

  // INVITE client: the CANCEL for this INVITE (RFC 3261 9.1): same
  // Request-URI, Call-ID, From, To, CSeq number and top Via (branch
  // included), Route copied. Sent as its own non-INVITE client
  // transaction, and only once a provisional response came (9.1; the
  // caller checks state() == proceeding). Errc::invalid otherwise.
  [[nodiscard]] Result<Message> make_cancel() const;

 private:
  Transaction() = default;
  void arm(std::vector<Action>& out, Timer timer, TimePoint at);
  void cancel(std::vector<Action>& out, Timer timer);
  void terminate(std::vector<Action>& out);
  void send(std::vector<Action>& out, const std::string& wire);

  TransactionKind kind_{};
  TransactionState state_{};
  bool reliable_ = false;
  TimerSettings settings_;
  std::unique_ptr<Message> request_;  // heap: views into it survive moves
  std::string request_wire_;          // client: the request as sent
  std::string ack_wire_;              // INVITE client: the ACK for the non-2xx final response
  std::string response_wire_;         // server: the last response sent
  Duration interval_{};               // the current A, E or G interval
  TimePoint absorb_until_{};          // non-INVITE server: Timer J's furthest
  std::map<Timer, TimePoint> armed_;
};

// The ACK for a 300-699 response to an INVITE (RFC 3261 17.1.1.3): the
// INVITE's Request-URI, Call-ID, From and top Via, To from the response
// (its tag), CSeq number of the INVITE with method ACK, the INVITE's Route.
// Errc::invalid: not an INVITE, or not a 300-699 response.
[[nodiscard]] Result<Message> make_ack(const Message& invite, const Message& response);

// Matching keys (17.1.3, 17.2.3). A client key is the top Via branch and
// the CSeq method; a server key adds the top Via sent-by (host lowercased,
// port defaulted to 5060, 5061 for TLS), and an ACK's method is INVITE (it
// matches the INVITE transaction a non-2xx response ended). A CANCEL keeps
// its method: it is a transaction of its own. nullopt: no RFC 3261 branch.
struct TransactionKey {
  bool server = false;
  std::string branch;
  std::string sent_by;  // servers only
  std::string method;
  auto operator<=>(const TransactionKey&) const = default;
};
std::optional<TransactionKey> client_key(const Message& response);
std::optional<TransactionKey> server_key(const Message& request);

using TransactionId = std::uint64_t;

// Owns transactions, routes incoming messages to them, drops terminated
// ones. Not thread-safe; one per sipd event loop.
class TransactionTable {
 public:
  // Live transactions at most, by default: beyond it start_server and
  // start_client fail with Errc::limit (the request is dropped, or fails).
  // A non-INVITE client transaction lives up to 64*T1 + T4 (37 s with the
  // default timers); a server one answered at once on UDP T4 (5 s, Timer
  // J) unless retransmissions come; INVITE ones as long as the TU lets
  // them ring, then 32 s more. 16384 holds some 3,000 new UDP requests/s;
  // a server that takes more sets its own (sipd.max_transactions).
  static constexpr std::size_t kMaxTransactions = 16384;

  explicit TransactionTable(TimerSettings settings = {}, std::size_t max_transactions = kMaxTransactions)
      : settings_(settings), max_(max_transactions) {}

  struct Update {
    TransactionId id = 0;
    std::vector<Action> actions;
  };

  // What receive() made of an incoming message.
  struct Incoming {
    enum class Kind {
      matched,          // `update` for transaction `update.id`
      new_request,      // no transaction: call start_server (ACK: the 2xx ACK, for the core)
      stray_response,   // a response no client transaction matched (to the core: a 2xx retransmission)
      refused,          // a request without an RFC 3261 branch: answer 400 (ACK: drop)
    };
    Kind kind;
    Update update;
  };

  // A client transaction for `request`. Errc::limit: the table is full;
  // Errc::exists: its key is in use; Errc::invalid as Transaction::client.
  [[nodiscard]] Result<Update> start_client(Message request, bool reliable, TimePoint now);
  // A server transaction for a request receive() reported as new_request.
  [[nodiscard]] Result<Update> start_server(Message request, bool reliable, TimePoint now);
  Incoming receive(const Message& message, TimePoint now);
  [[nodiscard]] Result<Update> send_response(TransactionId id, const Message& response, TimePoint now);
  Update on_timer(TransactionId id, Timer timer, TimePoint now);  // unknown id: no actions
  Update on_transport_error(TransactionId id, TimePoint now);

  // The INVITE server transaction a CANCEL is for (9.2: its key with
  // method INVITE), or null.
  const Transaction* cancel_target(const Message& cancel, TransactionId* id = nullptr) const;
  // A live transaction, or null: unknown, ended, or a non-INVITE server
  // transaction past its final response (over for the TU, as on TCP).
  const Transaction* find(TransactionId id) const;
  std::size_t size() const { return by_id_.size(); }

 private:
  struct Entry {
    TransactionKey key;
    Transaction txn;
  };
  Result<Update> insert(TransactionKey key, Result<Transaction> txn, std::vector<Action> actions);
  void reap(TransactionId id, const std::vector<Action>& actions);

  TimerSettings settings_;
  std::size_t max_;
  TransactionId next_id_ = 1;
  std::map<TransactionId, Entry> by_id_;
  std::map<TransactionKey, TransactionId> by_key_;
};

}  // namespace parley::sip
