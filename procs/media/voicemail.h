// Voicemail, the application: what the caller hears and what is kept of
// what it says. Pure: the owner calls play() and hear() every 20 ms (one
// frame of kFrame samples at 8 kHz each way), passes the DTMF digits it
// decoded and the hang-up, and takes the message once it is ready.
//
//   greeting   the account's greeting, then the tone; a digit skips to the
//              tone
//   recording  what the caller says, until '#', the longest message, or
//              the hang-up
//   goodbye    the goodbye prompt ('#' or the longest message only)
//   done       the call can end (hung up, or goodbye played)
//
// A message shorter than kShortest is no message (a caller who hung up at
// the tone): message_ready() stays false.
//
// voicemail_message() makes the mail that carries a message: text/plain
// saying who called and for how long, and the recording as an audio/wav
// attachment (RFC 2046, RFC 3458's Message-Context: voice-message).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace parley::media {

inline constexpr int kRate = 8000;            // the G.711 codecs' rate
inline constexpr std::size_t kFrame = 160;    // 20 ms at kRate

// The prompts an application plays, at kRate.
struct Prompts {
  std::vector<std::int16_t> greeting;  // the default greeting, before the tone
  std::vector<std::int16_t> tone;      // "leave your message after the tone"
  std::vector<std::int16_t> goodbye;
};

class Voicemail {
 public:
  enum class State { greeting, recording, goodbye, done };
  static constexpr std::size_t kShortest = kRate / 2;  // half a second

  Voicemail(std::shared_ptr<const Prompts> prompts, std::chrono::seconds longest);

  // The next frame to send: kFrame samples (silence when nothing plays).
  std::vector<std::int16_t> play();
  // A frame that came in (the jitter buffer's; empty: none yet).
  void hear(std::span<const std::int16_t> frame);
  void digit(char d);
  void hang_up();

  State state() const { return state_; }
  bool message_ready() const { return ready_; }
  // The message, once: ready_ goes false.
  std::vector<std::int16_t> take_message();

 private:
  void queue(const std::vector<std::int16_t>& samples);
  void finish(bool goodbye);

  std::shared_ptr<const Prompts> prompts_;
  std::size_t longest_;
  State state_ = State::greeting;
  std::deque<std::int16_t> playing_;
  std::vector<std::int16_t> recorded_;
  bool ready_ = false;
};

// The mail for a message left for `account`.
struct VoicemailMail {
  std::string account;      // "user@domain": To
  std::string caller;       // "user@host" or empty
  std::string caller_name;  // display name or empty
  std::string wav;          // the recording as a WAV file
  std::chrono::milliseconds length{0};
  std::chrono::system_clock::time_point received;
  std::string host;         // this server's name, for the Message-ID
};
// A complete message (header and body), CRLF line ends, 7bit: the WAV in
// base64. Header values from the caller are cut to printable ASCII.
std::string voicemail_message(const VoicemailMail& mail);

}  // namespace parley::media
