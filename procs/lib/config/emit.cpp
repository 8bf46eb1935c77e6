// Writing TOML: to_toml() for handing a process its sections, and
// default_file_text() for etc/parley.conf. Plain string building, no toml++,
// so keys come out in declaration order.
#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "config/config.h"
#include "config/internal.h"

namespace parley::config {

namespace {

// The shipped file's comments wrap here, leaving room for an editor's margin.
constexpr std::size_t kCommentWidth = 78;

// A TOML basic string. Control characters must be escaped (TOML 1.0,
// "String"); other bytes pass through, and toml++ has already checked that
// parsed strings are valid UTF-8.
std::string toml_string(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out = "\"";
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\t': out += "\\t"; break;
      case '\n': out += "\\n"; break;
      case '\f': out += "\\f"; break;
      case '\r': out += "\\r"; break;
      default:
        if (byte < 0x20 || byte == 0x7f) {
          out += "\\u00";
          out += kHex[byte >> 4];
          out += kHex[byte & 0xf];
        } else {
          out += c;
        }
    }
  }
  out += '"';
  return out;
}

// Appends `text` as comment lines starting with `prefix`, wrapped at
// kCommentWidth; a word longer than a line gets a line of its own.
void append_wrapped(std::string& out, std::string_view prefix, std::string_view text) {
  std::string line(prefix);
  bool empty = true;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const auto end = std::min(text.find(' ', pos), text.size());
    const auto word = text.substr(pos, end - pos);
    pos = end + 1;
    if (word.empty()) continue;
    if (!empty && line.size() + 1 + word.size() > kCommentWidth) {
      out += line + '\n';
      line = prefix;
      empty = true;
    }
    if (!empty) line += ' ';
    line += word;
    empty = false;
  }
  if (!empty) out += line + '\n';
}

// A key's doc, plus its allowed values, which readers should not have to
// look up in the source.
std::string full_doc(const KeyDecl& decl) {
  std::string doc(decl.doc);
  if (!decl.choices.empty()) {
    doc += " One of";
    for (std::size_t i = 0; i < decl.choices.size(); ++i) {
      doc += i == 0 ? " " : ", ";
      doc += toml_string(decl.choices[i]);
    }
    doc += '.';
  }
  if (decl.type == Type::integer) {
    if (decl.max == INT64_MAX && decl.min != INT64_MIN) {
      doc += " At least " + std::to_string(decl.min) + '.';
    } else if (decl.max != INT64_MAX || decl.min != INT64_MIN) {
      doc += " From " + std::to_string(decl.min) + " to " + std::to_string(decl.max) + '.';
    }
  }
  return doc;
}

constexpr std::string_view kFileHeader =
    "# parley.conf: Parley's configuration, in TOML (https://toml.io).\n"
    "#\n"
    "# Every key is shown at its default; a key left out takes its default.\n"
    "# Unknown sections and keys, wrong types and values out of bounds are\n"
    "# errors. `parleyd --check-config` checks this file without starting.\n"
    "#\n"
    "# Generated from the declarations of parleyd and its processes:\n"
    "#   parleyd --default-config > etc/parley.conf\n";

}  // namespace

std::string toml_value(const Value& value) {
  switch (value.index()) {
    case 0: return std::get<bool>(value) ? "true" : "false";
    case 1: return std::to_string(std::get<std::int64_t>(value));
    case 2: return toml_string(std::get<std::string>(value));
    default: break;
  }
  std::string out = "[";
  const auto& items = std::get<std::vector<std::string>>(value);
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ", ";
    out += toml_string(items[i]);
  }
  out += ']';
  return out;
}

std::string Config::to_toml(const std::vector<std::string>& sections, const Schema& keys) const {
  std::string out;
  for (const auto& name : sections) {
    const SectionDecl* decl = find_section_decl(keys, name);
    const auto values = values_.find(name);
    if (decl == nullptr || values == values_.end()) {
      throw std::logic_error("config: to_toml: section " + name + " is not in this config");
    }
    if (!out.empty()) out += '\n';
    out += '[' + name + "]\n";
    // Declaration order, not the map's: the output reads like parley.conf.
    for (const auto& key : decl->keys) {
      const auto value = values->second.find(key.key);
      if (value == values->second.end()) {
        throw std::logic_error("config: to_toml: " + name + "." + key.key + " is not in this config");
      }
      out += key.key + " = " + toml_value(value->second) + '\n';
    }
  }
  return out;
}

std::string Config::to_toml() const { return to_toml(order_, *schema_); }

std::string default_file_text(const Schema& schema) {
  std::string out(kFileHeader);
  for (const auto& section : schema) {
    out += '\n';
    if (!is_pattern(section)) {
      append_wrapped(out, "# ", section.doc);
      out += '[' + section.name + "]\n";
      for (const auto& key : section.keys) {
        out += '\n';
        append_wrapped(out, "# ", full_doc(key));
        out += key.key + " = " + toml_value(key.default_value) + '\n';
      }
      continue;
    }
    // No instance is enabled by default: the example stays commented out
    // so the file parses and starts nothing the admin did not ask for.
    append_wrapped(out, "# ", section.doc);
    out += "#\n# [" + std::string(pattern_prefix(section)) + ".NAME]\n";
    for (const auto& key : section.keys) {
      out += "#\n";
      append_wrapped(out, "# ", full_doc(key));
      out += "# " + key.key + " = " + toml_value(key.default_value) + '\n';
    }
  }
  return out;
}

}  // namespace parley::config
