// One SMTP session: a coroutine that reads like RFC 5321. The wire format
// (command parsing, DATA/BDAT readers, replies) is procs/lib/smtp; this is
// the state machine and policy: greeting, EHLO capabilities, STARTTLS,
// AUTH through the directory, relay control, limits, and the hand-off to
// the router (250 only once the router has the message durably queued).
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/asio.h"
#include "front/line_reader.h"
#include "front/session.h"
#include "schema/envelope.pb.h"
#include "settings.h"
#include "smtp/command.h"
#include "smtp/reply.h"
#include "tls/stream.h"

namespace parley::smtpd {

class Server;
struct Settings;

// parleyd asked to stop (drain): a session waiting for a command ends with
// 421; one in the middle of a transaction finishes it first.
class Session final : public front::Session {
 public:
  Session(Server& server, std::unique_ptr<net::Stream> stream, std::string listener, std::string sid);

  static awaitable<void> run(std::shared_ptr<Session> self);

 private:
  struct Transaction {
    bool active = false;
    std::string return_path;  // "" for the null sender
    smtp::MailParams params;
    std::vector<schema::Recipient> recipients;
    // BDAT: the message so far, and whether it will be refused at LAST.
    bool chunking = false;
    std::string chunks;
    std::optional<smtp::Reply> chunk_failure;
  };

  awaitable<void> serve();
  awaitable<std::optional<smtp::Command>> read_command();
  // Reads more client bytes; `idle`: drain may end the session meanwhile.
  awaitable<bool> fill(std::chrono::milliseconds timeout, bool idle = false);
  awaitable<bool> flush();
  awaitable<std::optional<std::string>> read_sasl_line();
  // Counts an error; false when the session must end (too many).
  awaitable<bool> error(const smtp::Reply& reply);
  awaitable<bool> error_text(std::string wire);  // a formatted reply
  void reply(const smtp::Reply& reply);
  void reply(int code, std::string_view enhanced, std::string_view text);

  awaitable<bool> on_ehlo(const smtp::Command& cmd, bool extended);
  awaitable<bool> on_starttls();
  awaitable<bool> on_auth(const smtp::Command& cmd);
  awaitable<bool> on_mail(const smtp::Command& cmd);
  awaitable<bool> on_rcpt(const smtp::Command& cmd);
  awaitable<bool> on_data();
  awaitable<bool> on_bdat(const smtp::Command& cmd);
  awaitable<bool> enqueue(std::string body);
  void reset();

  bool relay_allowed() const;
  bool submission() const { return listener_ == "submission" || listener_ == "smtps"; }
  bool local() const { return listener_ == "local"; }
  std::string protocol_name() const;

  Server& server_;
  std::shared_ptr<const Settings> settings_;
  front::LineReader lines_;
  std::string out_;
  std::string helo_;
  bool esmtp_ = false;
  std::string auth_user_;
  std::optional<LocalCredentials> local_credentials_;  // local listener: who the peer runs as
  int errors_ = 0;
  std::uint64_t messages_ = 0;
  Transaction txn_;
};

}  // namespace parley::smtpd
