#include "tls/listeners.h"

#include <algorithm>

namespace parley::tls {

Result<ListenerContexts> listener_contexts(const std::vector<std::string>& entries, const std::vector<std::string>& listeners) {
  struct Entry {
    std::string scope;
    CertPair pair;
  };
  std::vector<Entry> parsed;
  for (const auto& text : entries) {
    auto eq = text.find('=');
    auto comma = eq == std::string::npos ? std::string::npos : text.find(',', eq);
    if (eq == 0 || comma == std::string::npos || comma == eq + 1 || comma + 1 == text.size()) {
      return fail(Errc::invalid, "\"" + text + "\": expected SCOPE=CERT_FILE,KEY_FILE");
    }
    parsed.push_back({text.substr(0, eq), {text.substr(eq + 1, comma - eq - 1), text.substr(comma + 1)}});
  }
  ServerConfig base;
  bool have_default = false;
  for (const auto& e : parsed) {
    if (e.scope == "default") {
      base.default_cert = e.pair;
      have_default = true;
    } else if (!e.scope.starts_with("listener:")) {
      base.by_name.emplace_back(e.scope, e.pair);
    }
  }
  ListenerContexts out;
  for (const auto& listener : listeners) {
    ServerConfig config = base;
    bool have = have_default;
    for (const auto& e : parsed) {
      if (e.scope == "listener:" + listener) {
        config.default_cert = e.pair;
        have = true;
      }
    }
    if (!have) continue;
    auto ctx = ServerContext::create(config);
    if (!ctx) return ctx.error();
    out[listener] = std::move(ctx.value());
  }
  return out;
}

Result<ListenerContexts> section_contexts(std::string_view section, const std::vector<std::string>& entries,
                                          const std::vector<std::string>& listeners,
                                          const std::vector<std::string_view>& implicit) {
  auto contexts = listener_contexts(entries, listeners);
  if (!contexts) return fail(contexts.code(), std::string(section) + ".tls_certificates: " + contexts.error().detail);
  for (const auto& listener : listeners) {
    if (std::find(implicit.begin(), implicit.end(), listener) != implicit.end() && !contexts->contains(listener)) {
      return fail(Errc::invalid, std::string(section) + ": the " + listener + " listener needs a certificate (" +
                                     std::string(section) + ".tls_certificates)");
    }
  }
  return contexts;
}

std::shared_ptr<ServerContext> context_for(const ListenerContexts& contexts, std::string_view listener) {
  auto it = contexts.find(listener);
  return it == contexts.end() ? nullptr : it->second;
}

}  // namespace parley::tls
