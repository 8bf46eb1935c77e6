#include "voicemail.h"

#include <algorithm>

#include "auth/auth.h"
#include "auth/encoding.h"
#include "core/utf8.h"
#include "mail/trace.h"

namespace parley::media {

Voicemail::Voicemail(std::shared_ptr<const Prompts> prompts, std::chrono::seconds longest)
    : prompts_(std::move(prompts)), longest_(static_cast<std::size_t>(longest.count()) * kRate) {
  queue(prompts_->greeting);
  queue(prompts_->tone);
}

void Voicemail::queue(const std::vector<std::int16_t>& samples) {
  playing_.insert(playing_.end(), samples.begin(), samples.end());
}

std::vector<std::int16_t> Voicemail::play() {
  std::vector<std::int16_t> frame(kFrame, 0);
  const std::size_t n = std::min(kFrame, playing_.size());
  std::copy_n(playing_.begin(), n, frame.begin());
  playing_.erase(playing_.begin(), playing_.begin() + static_cast<std::ptrdiff_t>(n));
  if (playing_.empty()) {
    if (state_ == State::greeting) state_ = State::recording;
    else if (state_ == State::goodbye) state_ = State::done;
  }
  return frame;
}

void Voicemail::hear(std::span<const std::int16_t> frame) {
  if (state_ != State::recording) return;
  const std::size_t room = longest_ - std::min(longest_, recorded_.size());
  recorded_.insert(recorded_.end(), frame.begin(), frame.begin() + static_cast<std::ptrdiff_t>(std::min(room, frame.size())));
  if (recorded_.size() >= longest_) finish(true);
}

void Voicemail::digit(char d) {
  if (state_ == State::greeting) {
    playing_.clear();
    queue(prompts_->tone);
  } else if (state_ == State::recording && d == '#') {
    finish(true);
  }
}

void Voicemail::hang_up() {
  if (state_ == State::recording) finish(false);
  state_ = State::done;
  playing_.clear();
}

void Voicemail::finish(bool goodbye) {
  ready_ = recorded_.size() >= kShortest;
  if (!ready_) recorded_.clear();
  state_ = goodbye ? State::goodbye : State::done;
  playing_.clear();
  if (goodbye) {
    queue(prompts_->goodbye);
    if (playing_.empty()) state_ = State::done;
  }
}

std::vector<std::int16_t> Voicemail::take_message() {
  ready_ = false;
  return std::move(recorded_);
}

namespace {

// `n` random hex digits (boundaries, Message-IDs).
std::string random_hex(std::size_t n) { return auth::hex_encode(auth::random_bytes((n + 1) / 2)).substr(0, n); }

// Printable ASCII only, no quotes or backslashes, at most 100 characters:
// safe inside a quoted display name and a Subject.
std::string header_safe(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (out.size() >= 100) break;
    if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') out += c;
  }
  return out;
}

// "user@host" made of what an address may hold; else empty.
std::string address_safe(std::string_view s) {
  std::string out = header_safe(s);
  const auto at = out.find('@');
  if (at == std::string::npos || at == 0 || at + 1 == out.size()) return {};
  for (char c : out) {
    if (c == ' ' || c == '<' || c == '>' || c == ',' || c == ';' || c == ':' || c == '(' || c == ')') return {};
  }
  return out;
}

// A display name for the header: as printable ASCII (quoted where used),
// or, when it is UTF-8 with letters beyond ASCII, as RFC 2047
// encoded-words (=?UTF-8?B?...?=, at most 45 octets each, cut between
// characters), which may not be quoted. `ascii` receives the ASCII form
// for the 7bit body.
struct DisplayName {
  std::string header;  // "" when there is none
  bool encoded = false;
  std::string ascii;
};
DisplayName display_name(std::string_view raw) {
  DisplayName out;
  out.ascii = header_safe(raw);
  const bool wide = std::any_of(raw.begin(), raw.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x80; });
  if (!wide || !valid_utf8(raw)) {
    out.header = out.ascii;
    return out;
  }
  std::string kept;  // printable: no controls, quotes or backslashes; at most 100 octets
  for (std::size_t i = 0; i < raw.size(); ++i) {
    const auto c = static_cast<unsigned char>(raw[i]);
    if (c < 0x20 || c == 0x7f || c == '"' || c == '\\') continue;
    kept += static_cast<char>(c);
  }
  auto boundary = [&kept](std::size_t at) {  // back to the start of a character
    while (at > 0 && at < kept.size() && (static_cast<unsigned char>(kept[at]) & 0xc0) == 0x80) --at;
    return at;
  };
  kept.resize(boundary(std::min<std::size_t>(kept.size(), 100)));
  for (std::size_t at = 0; at < kept.size();) {
    const std::size_t end = boundary(std::min(kept.size(), at + 45));
    if (!out.header.empty()) out.header += ' ';
    out.header += "=?UTF-8?B?" + auth::base64_encode(std::string_view(kept).substr(at, end - at)) + "?=";
    at = end;
  }
  out.encoded = !out.header.empty();
  return out;
}

std::string length_text(std::chrono::milliseconds length) {
  const auto s = std::chrono::duration_cast<std::chrono::seconds>(length + std::chrono::milliseconds(500)).count();
  const std::string seconds = std::to_string(s % 60);
  return std::to_string(s / 60) + ":" + (seconds.size() < 2 ? "0" : "") + seconds;
}

}  // namespace

std::string voicemail_message(const VoicemailMail& mail) {
  const std::string caller = address_safe(mail.caller);
  const DisplayName display = display_name(mail.caller_name);
  const std::string& name = display.header;
  auto who_with = [&caller](const std::string& n) {
    std::string w = n.empty() ? (caller.empty() ? "an unknown caller" : caller) : n;
    if (!n.empty() && !caller.empty()) w += " <" + caller + ">";
    return w;
  };
  const std::string who = who_with(name);
  const std::string length = length_text(mail.length);
  const std::string boundary = "=_parley_vm_" + random_hex(24);
  const auto epoch = std::chrono::duration_cast<std::chrono::seconds>(mail.received.time_since_epoch()).count();
  std::string out;
  auto field = [&out](std::string_view key, std::string_view value) {
    out.append(key).append(": ").append(value).append("\r\n");
  };
  field("Date", mail::rfc5322_date(mail.received));
  const std::string from_name = name.empty() ? (caller.empty() ? "Voicemail" : caller) : name;
  const std::string shown = display.encoded ? from_name : "\"" + from_name + "\"";
  field("From", shown + " <" + (caller.empty() ? "voicemail@" + header_safe(mail.host) : caller) + ">");
  field("To", "<" + address_safe(mail.account) + ">");
  field("Subject", "Voicemail from " + who + " (" + length + ")");
  field("Message-ID", "<" + std::to_string(epoch) + "." + random_hex(20) + "@" + header_safe(mail.host) + ">");
  field("MIME-Version", "1.0");
  field("Message-Context", "voice-message");
  field("Auto-Submitted", "auto-generated");
  field("Content-Type", "multipart/mixed; boundary=\"" + boundary + "\"");
  out += "\r\n";
  out += "--" + boundary + "\r\nContent-Type: text/plain; charset=us-ascii\r\nContent-Transfer-Encoding: 7bit\r\n\r\n";
  out += "A voice message from " + who_with(display.ascii) + ", " + length + " long, is attached.\r\n\r\n";
  out += "--" + boundary + "\r\nContent-Type: audio/wav\r\nContent-Transfer-Encoding: base64\r\n";
  out += "Content-Disposition: attachment; filename=\"voicemail-" + std::to_string(epoch) + ".wav\"\r\n\r\n";
  const std::string encoded = auth::base64_encode(mail.wav);
  for (std::size_t i = 0; i < encoded.size(); i += 76) out.append(encoded, i, 76).append("\r\n");
  out += "--" + boundary + "--\r\n";
  return out;
}

}  // namespace parley::media
