// parley.conf: one TOML file, a table per area. Every key is declared once
// (declarations.cpp) with its type, default, bounds and doc; the shipped
// etc/parley.conf is generated from those declarations and a test keeps
// the two equal.
//
// Sections are fixed ("server", "supervisor") or a pattern ("process.*":
// one table per process, e.g. [process.smtpd]). A key missing from the file
// takes its default. Unknown sections and keys, wrong types and values out
// of bounds are errors that name the file and line:
//   /etc/parley/parley.conf:12: supervisor.crash_loop_count: 0 is below the minimum 1
//
// A loaded Config is immutable; reload builds a new one. Reading an
// undeclared key is a programming error (std::logic_error).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/result.h"

namespace parley::config {

enum class Type { boolean, integer, string, list };

using Value = std::variant<bool, std::int64_t, std::string, std::vector<std::string>>;

struct KeyDecl {
  std::string_view section;  // "server", or a pattern "process.*"
  std::string_view key;
  Type type;
  Value default_value;
  std::int64_t min = INT64_MIN;  // integers only
  std::int64_t max = INT64_MAX;
  std::vector<std::string_view> choices = {};  // strings: allowed values, when not empty
  std::string_view doc;
  // Strings and each element of a list: a further check on the text (for
  // listen specs, parse_listen). Its error detail says what is wrong.
  Status (*check)(std::string_view value) = nullptr;
};

// A section's own doc, for etc/parley.conf. A name ending in ".*" is a
// pattern: "process.*" allows [process.NAME], NAME matching
// [a-z0-9][a-z0-9-]* and at most 25 bytes (parley-NAME is a user name).
struct SectionDecl {
  std::string_view name;
  std::string_view doc;
};

// All declarations, in the order etc/parley.conf lists them. Every
// KeyDecl::section is one of section_declarations().
const std::vector<KeyDecl>& declarations();
const std::vector<SectionDecl>& section_declarations();

// Longest parley.conf load_file() reads; a bigger file is a mistake, and
// toml++ should not be handed one.
constexpr std::size_t kMaxFileBytes = 1 << 20;

class Config {
 public:
  // Parses and validates. `source` names the text in error messages.
  //   TOML syntax: Errc::syntax, "SOURCE:LINE: what toml++ says".
  //   Anything else: Errc::invalid, one line per problem, in line order,
  //   "SOURCE:LINE: SECTION.KEY: what is wrong".
  static Result<Config> parse(std::string_view text, std::string_view source);
  // As parse(), with the path as source. Unreadable: Errc::io; larger than
  // kMaxFileBytes: Errc::limit.
  static Result<Config> load_file(const std::string& path);

  // Fixed sections are always present (at their defaults when the file
  // leaves them out); a pattern instance only when the file has it. `section`
  // is the full name: "server", "process.smtpd". std::logic_error for an
  // undeclared key, the wrong type, or an instance not in this config.
  bool boolean(std::string_view section, std::string_view key) const;
  std::int64_t integer(std::string_view section, std::string_view key) const;
  const std::string& string(std::string_view section, std::string_view key) const;
  const std::vector<std::string>& list(std::string_view section, std::string_view key) const;

  // Instances of a pattern section, in file order: instances("process")
  // gives {"directory", "smtpd"} for [process.directory] and [process.smtpd].
  std::vector<std::string> instances(std::string_view pattern_prefix) const;
  bool has_section(std::string_view section) const;

  // The given sections (with every key, defaults filled in) as TOML text,
  // which parse() accepts again: how the supervisor hands a process its part.
  // A section not in this config is a std::logic_error.
  std::string to_toml(const std::vector<std::string>& sections) const;
  // The same for every section present.
  std::string to_toml() const;

 private:
  const Value& get(std::string_view section, std::string_view key, Type type) const;
  std::vector<std::string> order_;  // fixed sections as declared, then instances in file order
  std::map<std::string, std::map<std::string, Value, std::less<>>, std::less<>> values_;
};

// The shipped etc/parley.conf: every fixed section with every key at its
// default and its doc as comments, and the pattern sections documented.
std::string default_file_text();

// A duration or size limit as the config file writes it is a plain integer
// with the unit in the key name (`_ms`, `_s`, `_bytes`): no unit parser.

}  // namespace parley::config
