// Declarations: typed keys made KeyDecls, the named checks, and the
// consistency rules a schema from another program must keep.
#include <algorithm>
#include <string>

#include "config/config.h"
#include "config/host_port.h"
#include "config/internal.h"
#include "config/listen.h"
#include "config/network.h"
#include "config/quoted.h"
#include "core/users.h"

namespace parley::config {

namespace {

std::vector<std::string> strings(const std::vector<std::string_view>& views) {
  return {views.begin(), views.end()};
}

Status check_cidr(std::string_view value) {
  auto net = parse_network(value);
  if (!net) return net.error();
  return {};
}

Status check_certificate(std::string_view value) {
  auto eq = value.find('=');
  auto comma = value.find(',', eq == std::string_view::npos ? 0 : eq);
  if (eq == 0 || eq == std::string_view::npos || comma == std::string_view::npos || comma == eq + 1 ||
      comma + 1 == value.size()) {
    return fail(Errc::invalid, "expected SCOPE=CERT_FILE,KEY_FILE (SCOPE: default, listener:NAME or a host name)");
  }
  return {};
}

Status check_route(std::string_view value) {
  auto eq = value.find('=');
  if (eq == 0 || eq == std::string_view::npos) return fail(Errc::invalid, "expected DOMAIN=HOST:PORT");
  auto target = parse_host_port(value.substr(eq + 1));
  if (!target) return fail(Errc::invalid, "expected DOMAIN=HOST:PORT: " + target.error().detail);
  return {};
}

Status check_rule(std::string_view value) {
  if (value.find('=') == std::string_view::npos) return fail(Errc::invalid, "expected PATTERN = TARGET");
  return {};
}

// A user or group that exists now (smtpd.submit_users/groups): a typo is
// an error at load and reload, not a silent refusal of everyone.
Status check_user(std::string_view value) {
  if (!find_user(value)) return fail(Errc::not_found, "no such user");
  return {};
}

Status check_group(std::string_view value) {
  if (!find_group(value)) return fail(Errc::not_found, "no such group");
  return {};
}

Status check_address(std::string_view value) {
  if (value.empty()) return {};
  auto at = value.rfind('@');
  if (at == 0 || at == std::string_view::npos || at + 1 == value.size()) return fail(Errc::invalid, "expected LOCAL@DOMAIN");
  return {};
}

Status check_listen(std::string_view value) {
  auto spec = parse_listen(value);
  if (!spec) return spec.error();
  return {};
}

struct NamedCheck {
  Check check;
  std::string_view name;
  Status (*run)(std::string_view);
};

constexpr NamedCheck kChecks[] = {
    {Check::cidr, "cidr", &check_cidr},          {Check::certificate, "certificate", &check_certificate},
    {Check::route, "route", &check_route},       {Check::rule, "rule", &check_rule},
    {Check::user, "user", &check_user},          {Check::group, "group", &check_group},
    {Check::address, "address", &check_address}, {Check::listen, "listen", &check_listen},
};

bool snake_case(std::string_view key) {
  return !key.empty() && key.front() >= 'a' && key.front() <= 'z' &&
         std::all_of(key.begin(), key.end(), [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'; });
}

// A fixed section's name, or a pattern's prefix: the instance-name alphabet.
bool valid_section_name(std::string_view name) {
  if (name.ends_with(".*")) name.remove_suffix(2);
  return valid_instance_name(name);
}

Status check_key(const SectionDecl& section, const KeyDecl& key) {
  const std::string where = section.name + "." + key.key + ": ";
  if (key.section != section.name) return fail(Errc::invalid, where + "declared for section " + quoted(key.section));
  if (!snake_case(key.key)) return fail(Errc::invalid, where + "the key is not snake_case");
  if (key.doc.empty()) return fail(Errc::invalid, where + "no doc");
  if (key.default_value.index() != static_cast<std::size_t>(key.type)) {
    return fail(Errc::invalid, where + "the default is not " + std::string(type_name(key.type)));
  }
  if (key.type == Type::integer) {
    const auto n = std::get<std::int64_t>(key.default_value);
    if (key.min > key.max || n < key.min || n > key.max) return fail(Errc::invalid, where + "the default is out of bounds");
  } else if (key.min != INT64_MIN || key.max != INT64_MAX) {
    return fail(Errc::invalid, where + "bounds on a key that is not an integer");
  }
  if (!key.choices.empty()) {
    if (key.type != Type::string) return fail(Errc::invalid, where + "choices on a key that is not a string");
    const auto& value = std::get<std::string>(key.default_value);
    if (std::find(key.choices.begin(), key.choices.end(), value) == key.choices.end()) {
      return fail(Errc::invalid, where + "the default is not one of the choices");
    }
  }
  if (key.check != Check::none && key.type != Type::string && key.type != Type::list) {
    return fail(Errc::invalid, where + "a check on a key that is not a string or list");
  }
  return {};
}

}  // namespace

KeyDecl::KeyDecl(const Boolean& k)
    : section(k.section), key(k.key), type(Type::boolean), default_value(k.default_value), doc(k.doc) {}

KeyDecl::KeyDecl(const Integer& k)
    : section(k.section), key(k.key), type(Type::integer), default_value(k.default_value), min(k.min), max(k.max),
      doc(k.doc) {}

KeyDecl::KeyDecl(const String& k)
    : section(k.section), key(k.key), type(Type::string), default_value(std::string(k.default_value)),
      choices(strings(k.choices)), doc(k.doc), check(k.check) {}

KeyDecl::KeyDecl(const List& k)
    : section(k.section), key(k.key), type(Type::list), default_value(strings(k.default_value)), doc(k.doc),
      check(k.check) {}

std::string_view check_name(Check check) {
  for (const auto& c : kChecks) {
    if (c.check == check) return c.name;
  }
  return "";
}

std::optional<Check> check_from_name(std::string_view name) {
  if (name.empty()) return Check::none;
  for (const auto& c : kChecks) {
    if (c.name == name) return c.check;
  }
  return std::nullopt;
}

Status run_check(Check check, std::string_view value) {
  for (const auto& c : kChecks) {
    if (c.check == check) return c.run(value);
  }
  return {};
}

Status check_schema(const Schema& schema) {
  for (std::size_t i = 0; i < schema.size(); ++i) {
    const SectionDecl& section = schema[i];
    if (!valid_section_name(section.name)) return fail(Errc::invalid, "section " + quoted(section.name) + ": bad name");
    if (section.doc.empty()) return fail(Errc::invalid, "section " + section.name + ": no doc");
    for (std::size_t j = 0; j < i; ++j) {
      if (schema[j].name == section.name) return fail(Errc::invalid, "section " + section.name + ": declared twice");
    }
    for (std::size_t k = 0; k < section.keys.size(); ++k) {
      if (auto status = check_key(section, section.keys[k]); !status) return status;
      for (std::size_t m = 0; m < k; ++m) {
        if (section.keys[m].key == section.keys[k].key) {
          return fail(Errc::invalid, section.name + "." + section.keys[k].key + ": declared twice");
        }
      }
    }
  }
  return {};
}

Status merge(Schema& schema, const SectionDecl& section) {
  auto into = std::find_if(schema.begin(), schema.end(), [&](const SectionDecl& s) { return s.name == section.name; });
  if (into == schema.end()) {
    schema.push_back(section);
    return {};
  }
  for (const auto& key : section.keys) {
    const KeyDecl* known = find_key_decl(*into, key.key);
    if (known == nullptr) {
      into->keys.push_back(key);
    } else if (!(*known == key)) {
      return fail(Errc::invalid, section.name + "." + key.key + ": declared twice, differently");
    }
  }
  return {};
}

}  // namespace parley::config
