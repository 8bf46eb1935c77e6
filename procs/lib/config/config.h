// parley.conf: one TOML file, a table per area. Each key is declared once,
// beside the code that reads it, as a typed constant (Integer, Boolean,
// String, List: section, key, default, bounds, doc); a process hands its
// sections to the skeleton (daemon::Process::settings), prints them with
// `--describe`, and parleyd validates the file against what its programs
// declare. The shipped etc/parley.conf is generated from those declarations
// (`parleyd --default-config`) and a test keeps the two equal.
//
// Sections are fixed ("server", "supervisor") or a pattern ("process.*":
// one table per process, e.g. [process.smtpd]). A key missing from the file
// takes its default. Unknown sections and keys, wrong types and values out
// of bounds are errors that name the file and line:
//   /etc/parley/parley.conf:12: supervisor.crash_loop_count: 0 is below the minimum 1
//
// Code reads a key through its constant only: config.get(kMaxRecipients)
// returns the key's C++ type, so a misspelt key does not compile. A loaded
// Config is immutable; reload builds a new one. Reading a key the Config's
// schema does not declare is a programming error (std::logic_error).
#pragma once

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

namespace parley::config {

enum class Type { boolean, integer, string, list };

using Value = std::variant<bool, std::int64_t, std::string, std::vector<std::string>>;

// A further check on a string, or on each element of a list. Named, not a
// function pointer, so that a declaration crosses `--describe` and parleyd
// runs the same check with the file's line numbers.
enum class Check {
  none,
  cidr,         // "192.0.2.0/24", "::1/128"
  certificate,  // "SCOPE=CERT_FILE,KEY_FILE"
  route,        // "DOMAIN=HOST:PORT"
  rule,         // "PATTERN = TARGET"
  user,         // a user that exists now
  group,        // a group that exists now
  address,      // "LOCAL@DOMAIN", or empty
  listen,       // a listen spec (parse_listen)
};

// "cidr", ... ("" for none); and back (nullopt for an unknown name).
std::string_view check_name(Check check);
std::optional<Check> check_from_name(std::string_view name);
// The error detail says what is wrong.
Status run_check(Check check, std::string_view value);

// The typed keys code declares and reads. `section` is a fixed section
// ("smtpd") or a pattern ("process.*"). Integers without bounds take any
// int64.
struct Boolean {
  std::string_view section;
  std::string_view key;
  bool default_value = false;
  std::string_view doc;
};

struct Integer {
  std::string_view section;
  std::string_view key;
  std::int64_t default_value = 0;
  std::int64_t min = INT64_MIN;
  std::int64_t max = INT64_MAX;
  std::string_view doc;
};

struct String {
  std::string_view section;
  std::string_view key;
  std::string_view default_value;
  std::vector<std::string_view> choices = {};  // allowed values, when not empty
  std::string_view doc;
  Check check = Check::none;
};

struct List {
  std::string_view section;
  std::string_view key;
  std::vector<std::string_view> default_value = {};
  std::string_view doc;
  Check check = Check::none;
};

// A key as validation, the generated file and --describe see it: any type,
// owning its text (a described declaration comes from another program).
struct KeyDecl {
  KeyDecl() = default;
  // Implicit, so that a section lists its keys as {kMaxErrors, kRelayNetworks}.
  KeyDecl(const Boolean& key);
  KeyDecl(const Integer& key);
  KeyDecl(const String& key);
  KeyDecl(const List& key);

  std::string section;
  std::string key;
  Type type = Type::string;
  Value default_value = std::string();
  std::int64_t min = INT64_MIN;  // integers only
  std::int64_t max = INT64_MAX;
  std::vector<std::string> choices;  // strings only
  std::string doc;
  Check check = Check::none;  // strings and lists

  bool operator==(const KeyDecl&) const = default;
};

// A section with its doc (a comment in etc/parley.conf) and its keys, in
// the file's order. A name ending in ".*" is a pattern: "process.*" allows
// [process.NAME], NAME matching [a-z0-9][a-z0-9-]* and at most 25 bytes
// (parley-NAME is a user name).
struct SectionDecl {
  std::string name;
  std::string doc;
  std::vector<KeyDecl> keys;

  bool operator==(const SectionDecl&) const = default;
};

// Every section a file may hold, in the order etc/parley.conf lists them.
using Schema = std::vector<SectionDecl>;

// A schema's own consistency, for declarations read from another program:
// section names well formed and unique, each key's section its own, keys
// unique and snake_case, defaults of the key's type, within its bounds and
// choices; a doc for every section and key. Errc::invalid naming the first
// problem.
Status check_schema(const Schema& schema);

// Adds `section` to `schema`: a new section at the end, or its keys to the
// section of that name (keeping the first doc). The same key declared twice
// must be declared the same (two instances of one program); otherwise
// Errc::invalid.
Status merge(Schema& schema, const SectionDecl& section);

// Longest parley.conf load_file() reads; a bigger file is a mistake, and
// toml++ should not be handed one.
constexpr std::size_t kMaxFileBytes = 1 << 20;

// What parse() does with a section the schema does not declare.
enum class Unknown {
  error,  // "SECTION: unknown section"
  skip,   // ignored: reading the part of a file one knows about
};

// A file's text. Unreadable: Errc::io; larger than kMaxFileBytes: Errc::limit.
Result<std::string> read_file(const std::string& path);

class Config {
 public:
  // Parses and validates against `schema`. `source` names the text in
  // error messages.
  //   TOML syntax: Errc::syntax, "SOURCE:LINE: what toml++ says".
  //   Anything else: Errc::invalid, one line per problem, in line order,
  //   "SOURCE:LINE: SECTION.KEY: what is wrong".
  static Result<Config> parse(std::string_view text, std::string_view source, Schema schema,
                              Unknown unknown = Unknown::error);
  // read_file() then parse(), with the path as source.
  static Result<Config> load_file(const std::string& path, Schema schema, Unknown unknown = Unknown::error);

  // A key of a fixed section. Fixed sections are always present (at their
  // defaults when the file leaves them out).
  bool get(const Boolean& key) const;
  std::int64_t get(const Integer& key) const;
  const std::string& get(const String& key) const;
  const std::vector<std::string>& get(const List& key) const;
  // A key of a pattern section's instance: get(kProcessSeccomp, "smtpd")
  // reads process.smtpd.seccomp; std::logic_error when the file has no
  // such instance.
  bool get(const Boolean& key, std::string_view instance) const;
  std::int64_t get(const Integer& key, std::string_view instance) const;
  const std::string& get(const String& key, std::string_view instance) const;
  const std::vector<std::string>& get(const List& key, std::string_view instance) const;

  // Instances of a pattern section, in file order: instances("process")
  // gives {"directory", "smtpd"} for [process.directory] and [process.smtpd].
  std::vector<std::string> instances(std::string_view pattern_prefix) const;
  bool has_section(std::string_view section) const;

  // The given sections (full names: "server", "process.smtpd"), with every
  // key `keys` declares for them (defaults filled in), as TOML text which
  // parse() with `keys` accepts again: how the supervisor hands a process
  // its part, leaving out keys only parleyd reads. A section not in this
  // config or not in `keys` is a std::logic_error.
  std::string to_toml(const std::vector<std::string>& sections, const Schema& keys) const;
  // Every section present, with this config's own schema.
  std::string to_toml() const;

  const Schema& schema() const { return *schema_; }

 private:
  const Value& value(std::string_view section, std::string_view key, Type type) const;
  std::shared_ptr<const Schema> schema_;
  std::vector<std::string> order_;  // fixed sections as declared, then instances in file order
  std::map<std::string, std::map<std::string, Value, std::less<>>, std::less<>> values_;
};

// The shipped etc/parley.conf for `schema`: every fixed section with every
// key at its default and its doc as comments, and the pattern sections
// documented.
std::string default_file_text(const Schema& schema);

// A duration or size limit as the config file writes it is a plain integer
// with the unit in the key name (`_ms`, `_s`, `_bytes`): no unit parser.

}  // namespace parley::config
