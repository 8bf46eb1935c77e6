// Loading parley.conf: toml++ parses, then every table and key is checked
// against the declarations. toml++ throws; this file is the edge where its
// exceptions become Result errors, and the only one that includes it.
#include "config/config.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <stdexcept>
#include <toml++/toml.h>
#include <type_traits>
#include <utility>
#include <variant>

#include "config/internal.h"
#include "config/quoted.h"

namespace parley::config {

static_assert(std::is_same_v<std::variant_alternative_t<static_cast<std::size_t>(Type::boolean), Value>, bool>);
static_assert(std::is_same_v<std::variant_alternative_t<static_cast<std::size_t>(Type::integer), Value>, std::int64_t>);
static_assert(std::is_same_v<std::variant_alternative_t<static_cast<std::size_t>(Type::string), Value>, std::string>);
static_assert(std::is_same_v<std::variant_alternative_t<static_cast<std::size_t>(Type::list), Value>,
                             std::vector<std::string>>);

namespace {

using Section = std::map<std::string, Value, std::less<>>;

std::string_view node_type_name(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a floating-point number";
    case toml::node_type::boolean: return "a boolean";
    case toml::node_type::date: return "a date";
    case toml::node_type::time: return "a time";
    case toml::node_type::date_time: return "a date-time";
    case toml::node_type::array: return "an array";
    case toml::node_type::table: return "a table";
    case toml::node_type::none: break;
  }
  return "nothing";
}

// Bare TOML keys print as written; anything else (a quoted key with spaces
// or control characters) is quoted so the message stays one line.
std::string display(std::string_view key) {
  const bool bare = !key.empty() && std::all_of(key.begin(), key.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
  return bare ? std::string(key) : quoted(key);
}

struct Entry {
  const toml::key* key;
  const toml::node* node;
};

// toml++ keeps a table's keys sorted by name; messages and instances()
// follow the file, so order by where each key first appears.
std::vector<Entry> in_file_order(const toml::table& table) {
  std::vector<Entry> entries;
  entries.reserve(table.size());
  for (const auto& [key, node] : table) entries.push_back({&key, &node});
  std::stable_sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    const auto& pa = a.key->source().begin;
    const auto& pb = b.key->source().begin;
    return std::pair(pa.line, pa.column) < std::pair(pb.line, pb.column);
  });
  return entries;
}

// Collects every problem in the file, so one run of --check-config shows
// them all, then sorts them into line order.
class Checker {
 public:
  explicit Checker(std::string_view source) : source_(source) {}

  void report(const toml::source_position& at, std::string_view where, std::string_view what) {
    problems_.push_back({at.line, at.column, std::string(where) + ": " + std::string(what)});
  }

  bool clean() const { return problems_.empty(); }

  Error error() {
    std::stable_sort(problems_.begin(), problems_.end(), [](const Problem& a, const Problem& b) {
      return std::pair(a.line, a.column) < std::pair(b.line, b.column);
    });
    std::string text;
    for (const auto& problem : problems_) {
      if (!text.empty()) text += '\n';
      text += std::string(source_) + ":" + std::to_string(problem.line) + ": " + problem.text;
    }
    return fail(Errc::invalid, std::move(text));
  }

  // Checks one section's table and stores its values over the defaults.
  void section(std::string_view name, const SectionDecl& decl, const toml::table& table, Section& out) {
    for (const auto& [key, node] : in_file_order(table)) {
      const auto where = std::string(name) + "." + display(key->str());
      const KeyDecl* key_decl = find_key_decl(decl, key->str());
      if (key_decl == nullptr) {
        report(key->source().begin, where, "unknown key");
        continue;
      }
      if (auto value = convert(*key_decl, *node, where, key->source().begin)) {
        out[std::string(key_decl->key)] = std::move(*value);
      }
    }
  }

 private:
  struct Problem {
    toml::source_index line;
    toml::source_index column;
    std::string text;
  };

  void wrong_type(const KeyDecl& decl, const toml::node& node, std::string_view where,
                  const toml::source_position& at) {
    report(at, where, "expected " + std::string(type_name(decl.type)) + ", got " + std::string(node_type_name(node)));
  }

  // A string's choices and check; false (and reported) when it fails them.
  bool check_string(const KeyDecl& decl, const std::string& text, std::string_view where,
                    const toml::source_position& at) {
    if (!decl.choices.empty() && std::find(decl.choices.begin(), decl.choices.end(), text) == decl.choices.end()) {
      std::string what = quoted(text) + " is not one of ";
      for (std::size_t i = 0; i < decl.choices.size(); ++i) {
        if (i > 0) what += ", ";
        what += quoted(decl.choices[i]);
      }
      report(at, where, what);
      return false;
    }
    if (decl.check != Check::none) {
      if (const Status status = run_check(decl.check, text); !status) {
        report(at, where, quoted(text) + ": " + status.error().detail);
        return false;
      }
    }
    return true;
  }

  std::optional<Value> convert(const KeyDecl& decl, const toml::node& node, std::string_view where,
                               const toml::source_position& at) {
    switch (decl.type) {
      case Type::boolean:
        if (const auto* b = node.as_boolean()) return Value{b->get()};
        break;
      case Type::integer:
        if (const auto* i = node.as_integer()) {
          const std::int64_t n = i->get();
          if (n < decl.min) {
            report(at, where, std::to_string(n) + " is below the minimum " + std::to_string(decl.min));
            return std::nullopt;
          }
          if (n > decl.max) {
            report(at, where, std::to_string(n) + " is above the maximum " + std::to_string(decl.max));
            return std::nullopt;
          }
          return Value{n};
        }
        break;
      case Type::string:
        if (const auto* s = node.as_string()) {
          if (!check_string(decl, s->get(), where, at)) return std::nullopt;
          return Value{s->get()};
        }
        break;
      case Type::list:
        if (const auto* array = node.as_array()) return convert_list(decl, *array, where);
        break;
    }
    wrong_type(decl, node, where, at);
    return std::nullopt;
  }

  std::optional<Value> convert_list(const KeyDecl& decl, const toml::array& array, std::string_view where) {
    std::vector<std::string> items;
    items.reserve(array.size());
    bool ok = true;
    for (std::size_t i = 0; i < array.size(); ++i) {
      const toml::node& element = array[i];
      const auto& at = element.source().begin;
      const auto* s = element.as_string();
      if (s == nullptr) {
        report(at, where,
               "element " + std::to_string(i + 1) + " is " + std::string(node_type_name(element)) +
                   ", expected a string");
        ok = false;
        continue;
      }
      ok = check_string(decl, s->get(), where, at) && ok;
      items.push_back(s->get());
    }
    if (!ok) return std::nullopt;
    return Value{std::move(items)};
  }

  std::string_view source_;
  std::vector<Problem> problems_;
};

Section defaults(const SectionDecl& decl) {
  Section section;
  for (const auto& key : decl.keys) section.emplace(key.key, key.default_value);
  return section;
}

const SectionDecl* find_pattern(const Schema& schema, std::string_view prefix) {
  for (const auto& decl : schema) {
    if (is_pattern(decl) && pattern_prefix(decl) == prefix) return &decl;
  }
  return nullptr;
}

const SectionDecl* find_fixed(const Schema& schema, std::string_view name) {
  for (const auto& decl : schema) {
    if (!is_pattern(decl) && decl.name == name) return &decl;
  }
  return nullptr;
}

}  // namespace

std::string_view type_name(Type type) {
  switch (type) {
    case Type::boolean: return "a boolean";
    case Type::integer: return "an integer";
    case Type::string: return "a string";
    case Type::list: return "a list of strings";
  }
  return "?";
}

Result<Config> Config::parse(std::string_view text, std::string_view source, Schema schema, Unknown unknown) {
  toml::table root;
  try {
    root = toml::parse(text, source);
  } catch (const toml::parse_error& e) {
    return fail(Errc::syntax,
                std::string(source) + ":" + std::to_string(e.source().begin.line) + ": " + std::string(e.description()));
  }

  Config config;
  config.schema_ = std::make_shared<const Schema>(std::move(schema));
  const Schema& decls = *config.schema_;
  Checker checker(source);
  for (const auto& decl : decls) {
    if (is_pattern(decl)) continue;
    config.order_.emplace_back(decl.name);
    config.values_.emplace(decl.name, defaults(decl));
  }

  for (const auto& [key, node] : in_file_order(root)) {
    const std::string name(key->str());
    const auto& at = key->source().begin;
    if (const SectionDecl* fixed = find_fixed(decls, name)) {
      const auto* table = node->as_table();
      if (table == nullptr) {
        checker.report(at, name, "expected a table [" + name + "], got " + std::string(node_type_name(*node)));
        continue;
      }
      checker.section(name, *fixed, *table, config.values_.find(name)->second);
      continue;
    }
    const SectionDecl* pattern = find_pattern(decls, name);
    if (pattern == nullptr) {
      if (unknown == Unknown::skip) continue;
      checker.report(at, display(name), "unknown section");
      continue;
    }
    const auto* table = node->as_table();
    if (table == nullptr) {
      checker.report(at, name,
                     "expected tables [" + name + ".NAME], got " + std::string(node_type_name(*node)));
      continue;
    }
    for (const auto& [instance_key, instance_node] : in_file_order(*table)) {
      const std::string_view instance = instance_key->str();
      const std::string full = name + "." + display(instance);
      const auto& instance_at = instance_key->source().begin;
      if (!valid_instance_name(instance)) {
        checker.report(instance_at, full,
                       "the name " + quoted(instance) + " does not match [a-z0-9][a-z0-9-]* (at most " +
                           std::to_string(kMaxInstanceName) + " bytes)");
        continue;
      }
      const auto* instance_table = instance_node->as_table();
      if (instance_table == nullptr) {
        checker.report(instance_at, full,
                       "expected a table [" + full + "], got " + std::string(node_type_name(*instance_node)));
        continue;
      }
      Section values = defaults(*pattern);
      checker.section(full, *pattern, *instance_table, values);
      config.order_.push_back(full);
      config.values_.emplace(full, std::move(values));
    }
  }

  if (!checker.clean()) return checker.error();
  return config;
}

Result<std::string> read_file(const std::string& path) {
  const std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!file) return fail(Errc::io, path + ": cannot open: " + std::strerror(errno));
  std::string text;
  char buffer[1 << 14];
  while (true) {
    const std::size_t n = std::fread(buffer, 1, sizeof buffer, file.get());
    text.append(buffer, n);
    if (text.size() > kMaxFileBytes) {
      return fail(Errc::limit, path + ": larger than " + std::to_string(kMaxFileBytes) + " bytes");
    }
    if (n < sizeof buffer) {
      if (std::ferror(file.get())) return fail(Errc::io, path + ": cannot read: " + std::strerror(errno));
      break;
    }
  }
  return text;
}

Result<Config> Config::load_file(const std::string& path, Schema schema, Unknown unknown) {
  auto text = read_file(path);
  if (!text) return text.error();
  return parse(*text, path, std::move(schema), unknown);
}

const Value& Config::value(std::string_view section, std::string_view key, Type type) const {
  const auto s = values_.find(section);
  if (s == values_.end()) {
    if (find_section_decl(*schema_, section) == nullptr) {
      throw std::logic_error("config: undeclared section " + std::string(section));
    }
    throw std::logic_error("config: section " + std::string(section) + " is not in this config");
  }
  const auto k = s->second.find(key);
  if (k == s->second.end()) {
    throw std::logic_error("config: undeclared key " + std::string(section) + "." + std::string(key));
  }
  if (k->second.index() != static_cast<std::size_t>(type)) {
    throw std::logic_error("config: " + std::string(section) + "." + std::string(key) + " is not " +
                           std::string(type_name(type)));
  }
  return k->second;
}

namespace {

// "process.smtpd" for a key of "process.*" and the instance "smtpd".
std::string instance_section(std::string_view pattern, std::string_view instance) {
  if (!pattern.ends_with(".*")) {
    throw std::logic_error("config: " + std::string(pattern) + " is not a pattern section");
  }
  return std::string(pattern.substr(0, pattern.size() - 1)) + std::string(instance);
}

}  // namespace

bool Config::get(const Boolean& key) const { return std::get<bool>(value(key.section, key.key, Type::boolean)); }

std::int64_t Config::get(const Integer& key) const {
  return std::get<std::int64_t>(value(key.section, key.key, Type::integer));
}

const std::string& Config::get(const String& key) const {
  return std::get<std::string>(value(key.section, key.key, Type::string));
}

const std::vector<std::string>& Config::get(const List& key) const {
  return std::get<std::vector<std::string>>(value(key.section, key.key, Type::list));
}

bool Config::get(const Boolean& key, std::string_view instance) const {
  return std::get<bool>(value(instance_section(key.section, instance), key.key, Type::boolean));
}

std::int64_t Config::get(const Integer& key, std::string_view instance) const {
  return std::get<std::int64_t>(value(instance_section(key.section, instance), key.key, Type::integer));
}

const std::string& Config::get(const String& key, std::string_view instance) const {
  return std::get<std::string>(value(instance_section(key.section, instance), key.key, Type::string));
}

const std::vector<std::string>& Config::get(const List& key, std::string_view instance) const {
  return std::get<std::vector<std::string>>(value(instance_section(key.section, instance), key.key, Type::list));
}

std::vector<std::string> Config::instances(std::string_view pattern_prefix) const {
  if (find_pattern(*schema_, pattern_prefix) == nullptr) {
    throw std::logic_error("config: undeclared pattern section " + std::string(pattern_prefix) + ".*");
  }
  std::vector<std::string> names;
  for (const auto& section : order_) {
    if (section.size() > pattern_prefix.size() + 1 && section.starts_with(pattern_prefix) &&
        section[pattern_prefix.size()] == '.') {
      names.push_back(section.substr(pattern_prefix.size() + 1));
    }
  }
  return names;
}

bool Config::has_section(std::string_view section) const { return values_.contains(section); }

}  // namespace parley::config
