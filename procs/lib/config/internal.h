// Helpers the parley_config sources share; not part of the interface.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "config/config.h"

namespace parley::config {

// Instance names become user names (parley-NAME) and directory names, so
// they keep to a safe alphabet and fit Linux's 32-byte user name limit.
constexpr std::string_view kInstanceNamePrefix = "parley-";
constexpr std::size_t kMaxInstanceName = 32 - kInstanceNamePrefix.size();

inline bool is_pattern(const SectionDecl& decl) { return decl.name.ends_with(".*"); }
inline bool is_pattern_name(std::string_view name) { return name.ends_with(".*"); }

// "process" for "process.*".
inline std::string_view pattern_prefix(const SectionDecl& decl) {
  return std::string_view(decl.name).substr(0, decl.name.size() - 2);
}

// [a-z0-9][a-z0-9-]*, at most kMaxInstanceName bytes.
inline bool valid_instance_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxInstanceName || name.front() == '-') return false;
  for (const char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  }
  return true;
}

// The declaration a full section name falls under: "server" itself,
// "process.*" for "process.smtpd" (with a valid instance name); null if none.
inline const SectionDecl* find_section_decl(const Schema& schema, std::string_view section) {
  for (const auto& decl : schema) {
    if (!is_pattern(decl)) {
      if (decl.name == section) return &decl;
      continue;
    }
    const auto prefix = pattern_prefix(decl);
    if (section.size() > prefix.size() + 1 && section.starts_with(prefix) && section[prefix.size()] == '.' &&
        valid_instance_name(section.substr(prefix.size() + 1))) {
      return &decl;
    }
  }
  return nullptr;
}

inline const KeyDecl* find_key_decl(const SectionDecl& section, std::string_view key) {
  for (const auto& decl : section.keys) {
    if (decl.key == key) return &decl;
  }
  return nullptr;
}

// A value as TOML source text: what to_toml() and default_file_text() write.
std::string toml_value(const Value& value);

// "a boolean", "an integer", "a string", "a list of strings".
std::string_view type_name(Type type);

}  // namespace parley::config
