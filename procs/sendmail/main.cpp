// sendmail: the command local programs use to send mail (cron, scripts,
// web applications), compatible with the options they pass (sendmail.h).
// Reads the message on standard input and hands it to smtpd over its
// local Unix socket, speaking SMTP: it writes no file anywhere, and smtpd
// knows the sender by its uid (SO_PEERCRED).
// Socket: $PARLEY_SUBMIT_SOCKET, else /run/parley/submit.sock (the
// "local=unix:..." listener of [process.smtpd]).
// Exit status (sysexits.h): 0 queued, else as sendmail.h lists.
// NUL octets in the message are dropped: SMTP text cannot carry them.
// Untrusted input: the message and arguments of whoever runs it, and the
// replies of smtpd. Privileges: none; runs as the calling user.
#include <sysexits.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <iterator>

#include "sendmail.h"

int main(int argc, char** argv) {
  using namespace parley::sendmail;
  auto fail = [](const Failure& f) {
    std::fprintf(stderr, "sendmail: %s\n", f.message.c_str());
    return f.status;
  };
  auto options = parse_args(std::vector<std::string>(argv + 1, argv + argc));
  if (auto* f = std::get_if<Failure>(&options)) return fail(*f);
  const std::string input((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
  const char* env = std::getenv("PARLEY_SUBMIT_SOCKET");
  const std::string socket = env && *env ? env : kDefaultSocket;
  if (auto f = run(std::get<Options>(options), input, this_caller(), socket)) return fail(*f);
  return EX_OK;
}
