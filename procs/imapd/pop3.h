// One POP3 session (RFC 1939): AUTHORIZATION (CAPA, STLS, USER/PASS and
// AUTH only once encrypted), TRANSACTION over a snapshot of the INBOX taken
// at login (STAT, LIST, UIDL, RETR, TOP, DELE, RSET, NOOP), and UPDATE:
// QUIT expunges the deleted messages from the INBOX for real (IMAP sees
// them gone). One POP3 session per account at a time ([IN-USE]). A message's unique id is "UIDVALIDITY.UID", stable across
// sessions and shared with IMAP.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/asio.h"
#include "pop3/command.h"
#include "front/line_reader.h"
#include "front/session.h"

namespace parley::imapd {

class Server;
struct Settings;

class Pop3Session final : public front::Session, public std::enable_shared_from_this<Pop3Session> {
 public:
  Pop3Session(Server& server, std::unique_ptr<net::Stream> stream, std::string listener, std::string sid);
  ~Pop3Session();

  static awaitable<void> run(std::shared_ptr<Pop3Session> self);

 private:
  struct Message {
    std::uint32_t uid = 0;
    std::uint64_t size = 0;
    std::string body_id;
    bool deleted = false;
  };

  awaitable<void> serve();
  // The next line (RFC 1939 and SASL responses), or an over-long one
  // (kind too_long) once its end has arrived; nullopt when the connection
  // ended, timed out or was drained (the client has been told).
  awaitable<std::optional<front::LineReader::Line>> read_line(std::size_t max);
  awaitable<bool> send(std::string text);
  awaitable<bool> error(std::string text);  // counts; false when the session must end

  awaitable<bool> on_auth(std::string mechanism, std::optional<std::string> initial);
  awaitable<bool> login(const std::string& account);
  std::string capabilities() const;
  Message* message(std::uint32_t n);  // nullptr: no such message, or deleted
  awaitable<bool> on_retr(const pop3::Command& cmd);
  awaitable<void> update();

  Server& server_;
  std::shared_ptr<const Settings> settings_;
  front::LineReader lines_;
  int errors_ = 0;
  std::string user_;     // USER given, waiting for PASS
  std::string account_;  // logged in
  std::uint64_t mailbox_id_ = 0;
  std::uint32_t uidvalidity_ = 0;
  std::vector<Message> messages_;
};

}  // namespace parley::imapd
