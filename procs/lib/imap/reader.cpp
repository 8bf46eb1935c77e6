// CommandReader: assembles commands from lines and literals, then hands
// each complete one to the grammar (parse.cpp). A small scanner follows
// every byte of a line once: the quote state (a "{" inside a quoted string
// announces nothing), the candidate literal announcement at the line's end,
// and bytes that make the line malformed (bare CR, NUL). The same scanner
// runs while resyncing, so a skipped line's non-synchronizing literal is
// skipped too, with a few bytes of state whatever the line's length.
#include <algorithm>
#include <cstdint>
#include <string>

#include "imap/command.h"

namespace parley::imap {

Result<Verb> parse_command_prefix(std::string_view text, const Limits& limits, Hint* hint);  // parse.cpp

struct Announcement {
  bool present = false;  // the line ends with [~]{digits[+]}
  bool valid = false;    // size fits in number64
  bool sync = true;
  std::uint64_t size = 0;
};

namespace {

constexpr std::uint64_t kMaxNumber64 = 9223372036854775807ull;

// `ann` is what the scanner kept: "{...\r" or "~{...\r".
Announcement parse_announcement(const std::string& ann) {
  Announcement a;
  std::size_t i = ann[0] == '~' ? 2 : 1;
  if (ann.size() < i + 3 || ann[ann.size() - 1] != '\r' || ann[ann.size() - 2] != '}') return a;
  std::size_t end = ann.size() - 2;
  if (ann[end - 1] == '+') {
    a.sync = false;
    --end;
  }
  if (end == i) return a;
  for (std::size_t k = i; k < end; ++k) {
    if (ann[k] < '0' || ann[k] > '9') return a;
  }
  a.present = true;
  std::uint64_t v = 0;
  for (std::size_t k = i; k < end; ++k) {
    const auto d = static_cast<std::uint64_t>(ann[k] - '0');
    if (v > (kMaxNumber64 - d) / 10) return a;
    v = v * 10 + d;
  }
  a.valid = true;
  a.size = v;
  return a;
}

}  // namespace

void CommandReader::Scanner::reset() { *this = Scanner{}; }

void CommandReader::Scanner::step(char c) {
  if (c == '\0') bad = true;
  if (prev_cr && c != '\n') bad = true;
  prev_cr = c == '\r';
  if (in_quote) {
    ann.clear();
    if (escape) escape = false;
    else if (c == '\\') escape = true;
    else if (c == '"') in_quote = false;
    tilde = false;
    return;
  }
  if (c == '"') {
    in_quote = true;
    ann.clear();
    tilde = false;
    return;
  }
  if (c == '{') {
    ann = tilde ? "~{" : "{";
    tilde = false;
    return;
  }
  tilde = c == '~';
  if (!ann.empty() && ann.size() < 32 && ((c >= '0' && c <= '9') || c == '+' || c == '}' || c == '\r')) {
    ann += c;
    return;
  }
  ann.clear();
}

CommandReader::CommandReader(Limits limits) : limits_(limits) {}

void CommandReader::feed(std::string_view bytes) {
  if (in_pos_ > 0 && in_pos_ * 2 >= in_.size()) {
    in_.erase(0, in_pos_);
    in_pos_ = 0;
  }
  in_.append(bytes);
}

std::string CommandReader::take_unread() {
  std::string out = in_.substr(in_pos_);
  in_.clear();
  in_pos_ = 0;
  return out;
}

std::string CommandReader::current_tag() const {
  std::size_t i = 0;
  while (i < cmd_.size() && i <= kMaxTag) {
    const auto c = static_cast<unsigned char>(cmd_[i]);
    if (c == ' ') break;
    if (c <= 0x20 || c >= 0x7F || c == '(' || c == ')' || c == '{' || c == '%' || c == '*' || c == '"' ||
        c == '\\' || c == '+') {
      return {};
    }
    ++i;
  }
  if (i == 0 || i > kMaxTag || i >= cmd_.size()) return {};
  return cmd_.substr(0, i);
}

void CommandReader::reset_command() {
  cmd_.clear();
  line_start_ = 0;
  scan_.reset();
}

Step CommandReader::failure(Errc code, Hint hint, std::string detail) {
  Step s;
  s.kind = Step::Kind::failure;
  s.failure.code = code;
  s.failure.hint = hint;
  s.failure.tag = mode_ == Mode::command ? current_tag() : std::string();
  s.failure.detail = std::move(detail);
  return s;
}

// The line ended (LF seen) while resyncing or after an error: what follows?
void CommandReader::after_line(const Announcement& a) {
  reset_command();
  if (a.present && a.valid && !a.sync) {
    state_ = State::skip_literal;
    literal_left_ = a.size;
  } else {
    state_ = State::line;
  }
}

Step CommandReader::next() {
  for (;;) {
    const std::size_t avail = in_.size() - in_pos_;
    switch (state_) {
      case State::literal:
      case State::skip_literal: {
        if (literal_left_ == 0) {
          if (state_ == State::literal) {
            state_ = State::line;
            scan_.reset();
            line_start_ = cmd_.size();
          } else {
            state_ = State::skip_line;
            scan_.reset();
          }
          continue;
        }
        if (avail == 0) return {};
        const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(avail, literal_left_));
        if (state_ == State::literal) cmd_.append(in_, in_pos_, n);
        in_pos_ += n;
        literal_left_ -= n;
        continue;
      }
      case State::skip_line: {
        if (avail == 0) return {};
        const std::size_t lf = in_.find('\n', in_pos_);
        const std::size_t end = lf == std::string::npos ? in_.size() : lf;
        for (std::size_t i = in_pos_; i < end; ++i) scan_.step(in_[i]);
        in_pos_ = end;
        if (lf == std::string::npos) return {};
        ++in_pos_;
        after_line(scan_.ann.empty() ? Announcement{} : parse_announcement(scan_.ann));
        continue;
      }
      case State::line: {
        if (avail == 0) return {};
        const std::size_t lf = in_.find('\n', in_pos_);
        const std::size_t end = lf == std::string::npos ? in_.size() : lf + 1;
        const std::size_t take = std::min(end - in_pos_, limits_.max_line + 1 - (cmd_.size() - line_start_));
        for (std::size_t i = in_pos_; i < in_pos_ + take; ++i) {
          if (in_[i] != '\n') scan_.step(in_[i]);
        }
        cmd_.append(in_, in_pos_, take);
        in_pos_ += take;
        const std::size_t line_len = cmd_.size() - line_start_;
        const bool complete = !cmd_.empty() && cmd_.back() == '\n';
        if (line_len > limits_.max_line || (!complete && line_len >= limits_.max_line)) {
          // Too long: report now, with the tag if it is in hand, then skip
          // the rest of the line (the scanner keeps following it).
          Step s = failure(Errc::limit, Hint::none, "line too long");
          cmd_.clear();
          if (complete) {
            after_line(scan_.ann.empty() ? Announcement{} : parse_announcement(scan_.ann));
          } else {
            state_ = State::skip_line;
          }
          return s;
        }
        if (!complete) return {};
        if (cmd_.size() > limits_.max_command) {
          Step s = failure(Errc::limit, Hint::too_big, "command too large");
          after_line(scan_.ann.empty() ? Announcement{} : parse_announcement(scan_.ann));
          return s;
        }
        Step s = on_line_end();
        if (s.kind != Step::Kind::need_more) return s;
        continue;
      }
    }
  }
}

// A whole line (its LF included) is at the end of cmd_.
Step CommandReader::on_line_end() {
  const bool bare_lf = cmd_.size() < line_start_ + 2 || cmd_[cmd_.size() - 2] != '\r';
  const Announcement a = scan_.ann.empty() ? Announcement{} : parse_announcement(scan_.ann);
  if (mode_ == Mode::line) {
    Step s;
    if (scan_.bad || bare_lf) {
      s = failure(Errc::syntax, Hint::none, "bare CR, LF or NUL");
    } else {
      s.kind = Step::Kind::line;
      s.line = cmd_.substr(0, cmd_.size() - 2);
    }
    after_line({});
    line_start_ = 0;
    return s;
  }
  if (scan_.bad || bare_lf) {
    Step s = failure(Errc::syntax, Hint::none, "bare CR, LF or NUL in a command line");
    after_line(a);
    line_start_ = 0;
    return s;
  }
  if (a.present && !a.valid) {
    Step s = failure(Errc::syntax, Hint::none, "bad literal size");
    after_line({});
    line_start_ = 0;
    return s;
  }
  if (a.present) {
    const bool minus_refused = limits_.literal_minus && !a.sync && a.size > kMaxLiteralMinus;
    if (a.size > limits_.max_literal || a.size > limits_.max_command - cmd_.size() || minus_refused) {
      Step s = failure(Errc::limit, Hint::too_big, "literal too large: " + std::to_string(a.size));
      after_line(a);
      line_start_ = 0;
      return s;
    }
    Step s;
    if (a.sync) {
      // The client waits for "+": refuse now rather than ask for data we
      // would throw away.
      Hint hint = Hint::none;
      auto verb = parse_command_prefix(cmd_, limits_, &hint);
      if (!verb) {
        Step f = failure(verb.code(), hint, verb.error().detail);
        after_line({});
        line_start_ = 0;
        return f;
      }
      s.kind = Step::Kind::continuation;
    }
    state_ = State::literal;
    literal_left_ = a.size;
    return s;  // need_more for a non-synchronizing literal: the loop goes on
  }
  // The command is complete.
  std::string text = std::move(cmd_);
  text.resize(text.size() - 2);
  reset_command();
  line_start_ = 0;
  Hint hint = Hint::none;
  auto cmd = parse_command(text, limits_, utf8_, &hint);
  Step s;
  if (cmd) {
    s.kind = Step::Kind::command;
    s.command = std::move(*cmd);
    return s;
  }
  cmd_ = text.substr(0, kMaxTag + 2);  // for current_tag()
  s = failure(cmd.code(), hint, cmd.error().detail);
  cmd_.clear();
  return s;
}

std::string failure_response(const Failure& f) {
  std::string out = f.tag.empty() ? "*" : f.tag;
  if (f.hint == Hint::bad_charset) return out + " NO [BADCHARSET (UTF-8 US-ASCII)] Unsupported charset\r\n";
  if (f.hint == Hint::too_big) return out + " BAD [TOOBIG] Too large\r\n";
  if (f.hint == Hint::unknown_command) return out + " BAD Unknown command\r\n";
  if (f.code == Errc::limit) return out + " BAD [LIMIT] Too long or too deep\r\n";
  return out + " BAD Syntax error\r\n";
}

}  // namespace parley::imap
