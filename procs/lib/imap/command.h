// IMAP commands as the server receives them: RFC 9051 (IMAP4rev2), the
// RFC 3501 forms rev1 clients send, and the extensions the server offers
// (LITERAL+/LITERAL- RFC 7888, ENABLE 5161, ID 2971, NAMESPACE 2342,
// UIDPLUS 4315, MOVE 6851, IDLE 2177, SPECIAL-USE 6154, LIST-EXTENDED 5258,
// LIST-STATUS 5819, CONDSTORE/QRESYNC 7162, QUOTA 9208, ACL 4314,
// ESEARCH 4731, SEARCHRES 5182, SORT/THREAD 5256, ESORT 5267, UNSELECT 3691,
// SASL-IR 4959, BINARY 3516, COMPRESS 4978, STATUS SIZE 8438). Pure: no I/O.
//
// Untrusted input: every byte fed to CommandReader comes from the peer.
//
// Framing (RFC 9051 2.2, 4.3):
//   - a command is one or more lines; a line ending in a literal
//     announcement "{n}", "{n+}" (non-synchronizing), "~{n}" or "~{n+}"
//     (literal8) outside a quoted string is followed by n bytes of data and
//     then the rest of the command;
//   - lines end with CRLF; a bare LF, a bare CR or a NUL in a line makes
//     the command Errc::syntax; NUL is allowed in literal8 data only;
//   - "{n-}" is not RFC 7888 syntax (LITERAL- uses "{n+}" with n <= 4096)
//     and is Errc::syntax.
//
// Errors are reported with the tag whenever it could be read, and the
// reader resyncs by itself (see CommandReader::next).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"
#include "imap/types.h"

namespace parley::imap {

constexpr std::size_t kMaxLine = 65536;                 // RFC 7162 4: at least 8192; a maximal RFC 2971 ID needs ~32 KiB
constexpr std::uint64_t kMaxLiteral = 64ull << 20;      // server policy (APPENDLIMIT)
constexpr std::uint64_t kMaxLiteralMinus = 4096;        // RFC 7888 3: LITERAL- non-synchronizing limit
constexpr std::size_t kMaxDepth = 32;                   // parentheses and NOT/OR nesting
constexpr std::size_t kMaxTag = 64;                     // server policy
constexpr std::size_t kMaxIdPairs = 30;                 // RFC 2971 3.3
constexpr std::size_t kMaxIdField = 30;                 // RFC 2971 3.3
constexpr std::size_t kMaxIdValue = 1024;               // RFC 2971 3.3

struct Limits {
  std::size_t max_line = kMaxLine;          // one line of a command, CRLF included
  std::uint64_t max_literal = kMaxLiteral;  // one literal's announced size
  std::uint64_t max_command = kMaxLiteral + 64 * 1024;  // all lines and literals of one command
  std::size_t max_depth = kMaxDepth;        // "(" nesting and NOT/OR recursion
  bool literal_minus = false;  // true: the server offers LITERAL- only; "{n+}" with n > 4096 is refused
};

enum class Verb {
  capability, noop, logout, starttls, authenticate, login, enable, select, examine,
  create, delete_, rename, subscribe, unsubscribe, list, lsub, namespace_, status,
  append, idle, check, close, unselect, expunge, search, fetch, store, copy, move,
  id, getquota, getquotaroot, setquota, setacl, deleteacl, getacl, listrights,
  myrights, sort, thread, compress,
};

std::string_view verb_name(Verb verb);  // "FETCH", ...

struct Command {
  std::string tag;
  Verb verb = Verb::noop;
  bool uid = false;  // "UID FETCH" etc. (COPY, MOVE, FETCH, STORE, SEARCH, EXPUNGE, SORT, THREAD)

  // Mailbox names are decoded to UTF-8 (see mailbox.h) with "INBOX"
  // normalized: SELECT, EXAMINE, CREATE, DELETE, RENAME (from), SUBSCRIBE,
  // UNSUBSCRIBE, STATUS, APPEND, COPY/MOVE (destination), GETQUOTAROOT,
  // the ACL commands.
  std::string mailbox;
  std::string new_name;  // RENAME (to)
  // A mailbox name or LIST pattern was a well-formed string but no valid
  // name (bad modified UTF-7, control characters): kept as sent; the
  // session answers NO (LIST: nothing matches).
  bool invalid_name = false;

  // LIST/LSUB: reference (decoded, not normalized) and patterns (decoded;
  // wildcards "*" and "%" kept). LSUB has exactly one pattern.
  std::string reference;
  std::vector<std::string> patterns;
  ListOptions list;

  SequenceSet sequence;  // FETCH, STORE, COPY, MOVE, UID EXPUNGE

  std::vector<FetchAtt> fetch;  // macros expanded (ALL, FAST, FULL)
  FetchModifiers fetch_modifiers;
  StoreAction store;

  // SEARCH, SORT, THREAD: the keys, always one node of kind and_.
  SearchKey search;
  std::string charset;    // as given ("UTF-8"), empty if none; only UTF-8/US-ASCII pass
  SearchReturn search_return;
  std::vector<SortCriterion> sort;  // SORT
  std::string thread_algorithm;     // THREAD, uppercased ("REFERENCES")

  std::vector<StatusItem> status_items;  // STATUS

  // APPEND
  std::vector<std::string> flags;          // also CREATE (USE (...)) special-use flags
  std::optional<DateTime> internal_date;
  std::string message;                     // the literal's bytes
  bool binary = false;                     // literal8 "~{n}" (may hold NUL)

  // AUTHENTICATE: mechanism uppercased; initial response as sent (base64,
  // "=" for empty), not decoded. LOGIN: user and password.
  std::string mechanism;                   // also COMPRESS ("DEFLATE")
  std::optional<std::string> initial_response;
  std::string user, password;

  // ID: nullopt for "ID NIL"; field names as given.
  std::optional<std::vector<std::pair<std::string, std::optional<std::string>>>> id;
  std::vector<std::string> capabilities;   // ENABLE, uppercased

  SelectParams select;                     // SELECT, EXAMINE

  // QUOTA: quota root (GETQUOTA, SETQUOTA) and resource limits (uppercased).
  std::string quota_root;
  std::vector<std::pair<std::string, std::uint64_t>> quota;

  // ACL: identifier and rights (SETACL: may start with "+" or "-").
  std::string identifier;
  std::string rights;
};

// Why a command failed, beyond the Errc, so the session can choose the
// response code.
enum class Hint {
  none,
  unknown_command,  // Errc::invalid: "tag BAD"
  too_big,          // Errc::limit on a literal or command size: "[TOOBIG]"
  bad_charset,      // Errc::invalid: "tag NO [BADCHARSET (UTF-8 US-ASCII)]"
};

struct Failure {
  Errc code = Errc::syntax;  // syntax, limit, invalid
  Hint hint = Hint::none;
  std::string tag;           // empty when no valid tag could be read ("*" BAD)
  std::string detail;        // for the log, never for the peer (no literal data in it)
};

// The response line for a failure, CRLF included, with fixed, safe text:
//   syntax -> "tag BAD Syntax error", limit -> "tag BAD [TOOBIG] ...",
//   bad_charset -> "tag NO [BADCHARSET (UTF-8 US-ASCII)] ...", no tag -> "* BAD ...".
std::string failure_response(const Failure& failure);

struct Step {
  enum class Kind {
    need_more,     // feed more bytes
    continuation,  // a synchronizing literal was announced: send "+ Ready\r\n", then feed
    command,       // `command` holds a complete command
    line,          // Mode::line: `line` holds one line without CRLF
    failure,       // `failure` says why; the reader has already begun to resync
  };
  Kind kind = Kind::need_more;
  Command command;
  std::string line;
  Failure failure;
};

// Incremental command reader. Feed bytes as they arrive; call next() until
// it returns need_more. Memory: the unread input, plus at most
// Limits::max_command bytes of the current command; while resyncing, a few
// bytes only.
class CommandReader {
 public:
  enum class Mode {
    command,  // tagged commands
    line,     // raw lines: the IDLE "DONE" line, AUTHENTICATE responses (limit: max_line)
  };

  explicit CommandReader(Limits limits = {});

  void feed(std::string_view bytes);

  // The next event, consuming input as it goes:
  //   need_more: all input used, nothing complete.
  //   continuation: reported once per synchronizing literal, before its
  //     data is read, only when the command so far passed the early checks
  //     (tag, command name, literal size).
  //   command / line: complete.
  //   failure: Errc::syntax / invalid (malformed or unknown command) after
  //     the whole command was read; Errc::limit as soon as a line is too
  //     long or a literal announcement is too big, before its data. The
  //     reader then skips the rest of the command by itself: for a
  //     synchronizing announcement nothing (the client waits for "+"); for
  //     a non-synchronizing one its data, counted not stored, and then the
  //     rest of that command.
  Step next();

  // After ENABLE UTF8=ACCEPT or IMAP4rev2: mailbox names are UTF-8, not
  // modified UTF-7.
  void set_utf8(bool utf8) { utf8_ = utf8; }
  void set_mode(Mode mode) { mode_ = mode; }

  // Input fed but not yet read (e.g. after STARTTLS, which must discard it,
  // or COMPRESS, whose following bytes are compressed). Clears it.
  std::string take_unread();

 private:
  enum class State { line, literal, skip_line, skip_literal };

  // Follows a line byte by byte (see reader.cpp).
  struct Scanner {
    bool in_quote = false, escape = false, tilde = false, prev_cr = false;
    bool bad = false;  // bare CR or NUL
    std::string ann;   // a candidate literal announcement at the line's end
    void reset();
    void step(char c);
  };

  Step failure(Errc code, Hint hint, std::string detail);
  Step on_line_end();
  void after_line(const struct Announcement& a);
  void reset_command();
  std::string current_tag() const;

  Limits limits_;
  bool utf8_ = false;
  Mode mode_ = Mode::command;
  State state_ = State::line;
  std::string in_;               // input; unread from in_pos_
  std::size_t in_pos_ = 0;
  std::string cmd_;              // the command so far (lines with CRLF, literal data)
  std::size_t line_start_ = 0;   // where the current line begins in cmd_
  std::uint64_t literal_left_ = 0;
  Scanner scan_;
};

// Parses one complete command as assembled by CommandReader (lines with
// their CRLF between them, literal data after each announcement, no final
// CRLF). Exposed for tests and fuzzing; sessions use CommandReader.
// On error, *hint (if given) says more; the tag is not in the Error (see
// CommandReader for that).
Result<Command> parse_command(std::string_view text, const Limits& limits, bool utf8, Hint* hint = nullptr);

// True for the line that ends IDLE ("DONE", case-insensitive, RFC 2177).
bool is_idle_done(std::string_view line);

}  // namespace parley::imap
