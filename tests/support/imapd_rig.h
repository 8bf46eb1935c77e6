// An imapd Server over a fresh mail store (not durable, in a temporary
// directory) holding kUser's INBOX with three messages, beside the fake
// directory: for the IMAP and POP3 session fuzz targets (a fresh server for
// every input) and dialog tests.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "procs/imapd/server.h"
#include "store/store.h"
#include "tests/support/session_rig.h"

namespace parley::testkit {

class ImapdRig {
 public:
  ImapdRig() {
    quiet_logs("imapd");
    ctx_ = std::make_unique<RigContext>(io, "imapd", rig_config(dir_.path(), imapd::settings_section()), dir_.path());
    backends_ = std::make_unique<FakeBackends>(io, *ctx_);
    // Once: each load makes the listeners' TLS contexts, which is most of
    // what a fresh server would cost.
    auto settings = imapd::load_settings(ctx_->config(), kListeners);
    if (!settings) std::abort();
    settings_ = std::move(settings.value());
  }

  // A new server over a new store; the previous one is gone first.
  imapd::Server& fresh_server() {
    server_.reset();
    std::string store_dir = dir_.path() + "/store";
    std::filesystem::remove_all(store_dir);
    std::filesystem::create_directories(store_dir + "/index");
    store::Options options;
    options.durable = false;
    options.map_size = std::size_t{1} << 28;
    auto st = store::Store::open(store_dir + "/index", options);
    if (!st) std::abort();
    seed(st.value());
    server_ = std::make_unique<imapd::Server>(*ctx_, settings_, std::move(st.value()), kListeners);
    return *server_;
  }

  imapd::Server& server() { return *server_; }
  RigContext& context() { return *ctx_; }

  asio::io_context io;

 private:
  static void seed(store::Store& st) {
    static const char* const kMessages[] = {
        "From: Alice <alice@example.test>\r\nTo: demo@example.test\r\nSubject: hello\r\n"
        "Date: Mon, 7 Dec 2026 10:00:00 +0000\r\nMessage-ID: <1@example.test>\r\n\r\nHi there.\r\n",
        "From: bob@example.org\r\nTo: demo@example.test, carol@example.test\r\nSubject: Re: hello\r\n"
        "Date: Mon, 7 Dec 2026 11:00:00 +0100\r\nMessage-ID: <2@example.org>\r\nIn-Reply-To: <1@example.test>\r\n"
        "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n"
        "part one\r\n--b\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        "AAECAwQF\r\n--b--\r\n",
        "From: =?UTF-8?B?w4lsaXNl?= <elise@example.test>\r\nSubject: =?UTF-8?Q?caf=C3=A9?=\r\n"
        "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\ncaf=C3=A9 au lait\r\n",
    };
    if (!st.ensure_account(kUser)) std::abort();
    int n = 0;
    for (const char* body : kMessages) {
      store::NewMessage m;
      m.account = std::string(kUser);
      m.body = body;
      m.internal_date_ms = 1796637600000 + 3600000LL * n;
      if (!st.deliver(m, "seed-" + std::to_string(n++))) std::abort();
    }
  }

  inline static const std::vector<std::string> kListeners = {"imap", "imaps", "pop3", "pop3s"};

  TempDir dir_{"parley-imapd-fuzz"};
  std::unique_ptr<RigContext> ctx_;
  std::unique_ptr<FakeBackends> backends_;
  imapd::Settings settings_;
  std::unique_ptr<imapd::Server> server_;
};

// One session fuzz input on a fresh server: selector bit 0 picks `secure`
// over `plain`, bit 2 one byte per read, bit 3 a refused TLS handshake.
// Returns what the client received; aborts when the session hangs.
template <class Session>
std::string fuzz_session(ImapdRig& rig, const std::uint8_t* data, std::size_t size, const std::string& plain,
                         const std::string& secure) {
  auto input = split_fuzz_input(data, size);
  imapd::Server& server = rig.fresh_server();
  const std::string& listener = (input.selector & 1) ? secure : plain;
  auto stream = std::make_unique<net::MemoryStream>(rig.io);
  net::MemoryStream& client = *stream;
  if (input.selector & 4) client.set_read_chunk(1);
  if (input.selector & 8) client.refuse_tls();
  auto session = std::make_shared<Session>(server, std::move(stream), listener, server.front().next_sid(plain));
  bool done = false;
  spawn_flagged(rig.io, Session::run(session), done);
  if (!drive(rig.io, client, input.turns, done, kFuzzHang)) std::abort();
  return client.output();
}

}  // namespace parley::testkit
