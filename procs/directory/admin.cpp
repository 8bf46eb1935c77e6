#include "admin.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <set>

#include "addr/addr.h"
#include "log/log.h"
#include "settings.h"
#include "tsv/tsv.h"

namespace parley::directory {
namespace {

using Reply = schema::DirectoryAdminReply;

// Operations that change nothing, and so are not audited.
const std::set<std::string_view> kReadOnly = {"domain.list", "domain.show", "account.list", "account.show",
                                              "forwarder.list", "group.list", "group.show", "resolve", "export",
                                              "backup"};

const std::vector<std::string_view> kImportRequired = {"account"};
const std::vector<std::string_view> kImportOptional = {"real_name", "password", "aliases", "extensions",
                                                       "class_of_service", "disabled"};
constexpr std::size_t kAppPasswordLength = 24;

void row(Reply& reply, std::initializer_list<std::pair<std::string, std::string>> fields) {
  auto* r = reply.add_rows();
  for (const auto& [k, v] : fields) (*r->mutable_fields())[k] = v;
}

void columns(Reply& reply, std::initializer_list<const char*> names) {
  for (const char* n : names) reply.add_columns(n);
}

std::string join(const google::protobuf::RepeatedPtrField<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : ",") + i;
  return out;
}

std::vector<std::string> split(std::string_view text, char sep) {
  std::vector<std::string> out;
  while (!text.empty()) {
    auto p = text.find(sep);
    std::string_view item = text.substr(0, p);
    if (!item.empty()) out.emplace_back(item);
    text = p == std::string_view::npos ? std::string_view{} : text.substr(p + 1);
  }
  return out;
}

std::string_view kind_name(schema::Resolution::Kind kind) {
  switch (kind) {
    case schema::Resolution::KIND_ACCOUNT: return "account";
    case schema::Resolution::KIND_FORWARD: return "forward";
    case schema::Resolution::KIND_GROUP: return "group";
    case schema::Resolution::KIND_UNKNOWN_REJECT: return "unknown: reject";
    case schema::Resolution::KIND_UNKNOWN_DISCARD: return "unknown: discard";
    case schema::Resolution::KIND_NOT_LOCAL: return "not local";
    default: return "unresolved";
  }
}

std::string_view policy_name(const schema::DomainRecord& d) {
  switch (d.unknown_policy()) {
    case schema::UNKNOWN_DISCARD: return "discard";
    case schema::UNKNOWN_FORWARD: return "forward";
    default: return "reject";
  }
}

Status need_args(const schema::DirectoryAdminRequest& r, int n, std::string_view usage) {
  if (r.args_size() != n) return fail(Errc::invalid, "usage: " + std::string(usage));
  return {};
}

// Applies name=value options one by one (each its own transaction: a bad
// one stops there and says which).
template <class F>
Status apply_options(const schema::DirectoryAdminRequest& r, F set) {
  if (r.options().empty()) return fail(Errc::invalid, "nothing to set: give name=value");
  std::vector<std::pair<std::string, std::string>> sorted(r.options().begin(), r.options().end());
  std::sort(sorted.begin(), sorted.end());
  for (const auto& [k, v] : sorted) {
    if (auto s = set(k, v); !s) return fail(s.code(), k + ": " + s.error().detail);
  }
  return {};
}

}  // namespace

awaitable<Result<Reply>> Admin::handle(const schema::DirectoryAdminRequest& request) {
  auto result = co_await dispatch(request);
  std::string target = request.args_size() > 0 ? request.args(0) : "";
  if (!result) {
    log::warn("directory.admin.refused", "administration request refused",
              {{"user", request.actor()}, {"method", request.op()}, {"key", target}, {"error", result.error().detail}});
  } else if (!kReadOnly.contains(request.op())) {
    log::info("directory.admin.changed", "directory changed",
              {{"user", request.actor()}, {"method", request.op()}, {"key", target}});
  }
  co_return result;
}

awaitable<Result<Reply>> Admin::dispatch(const schema::DirectoryAdminRequest& r) {
  Reply reply;
  const std::string& op = r.op();
  auto arg = [&](int i) -> const std::string& { return r.args(i); };
  auto done = [&](Status s) -> Result<Reply> {
    if (!s) return s.error();
    return reply;
  };

  if (op == "bootstrap") co_return co_await bootstrap(r);
  if (op == "import") co_return co_await import(r);
  if (op == "export") co_return export_accounts(r.args_size() > 0 ? arg(0) : "");
  if (op == "backup") co_return backup();

  // --- domains ---
  if (op == "domain.add") {
    if (auto s = need_args(r, 1, "domain add DOMAIN"); !s) co_return s.error();
    auto name = store_.add_domain(arg(0));
    if (!name) co_return name.error();
    row(reply, {{"domain", *name}});
    columns(reply, {"domain"});
    co_return reply;
  }
  if (op == "domain.remove") {
    if (auto s = need_args(r, 1, "domain remove DOMAIN"); !s) co_return s.error();
    co_return done(store_.remove_domain(arg(0)));
  }
  if (op == "domain.alias-add") {
    if (auto s = need_args(r, 2, "domain alias-add DOMAIN ALIAS"); !s) co_return s.error();
    co_return done(store_.add_domain_alias(arg(0), arg(1)));
  }
  if (op == "domain.alias-remove") {
    if (auto s = need_args(r, 1, "domain alias-remove ALIAS"); !s) co_return s.error();
    co_return done(store_.remove_domain_alias(arg(0)));
  }
  if (op == "domain.set") {
    if (auto s = need_args(r, 1, "domain set DOMAIN name=value ..."); !s) co_return s.error();
    co_return done(apply_options(r, [&](const std::string& k, const std::string& v) { return store_.set_domain(arg(0), k, v); }));
  }
  if (op == "domain.list") {
    columns(reply, {"domain", "main", "aliases", "unknown"});
    std::string main = store_.main_domain();
    for (const auto& d : store_.domains()) {
      row(reply, {{"domain", d.name()}, {"main", d.name() == main ? "yes" : "no"}, {"aliases", join(d.aliases())},
                  {"unknown", std::string(policy_name(d))}});
    }
    co_return reply;
  }
  if (op == "domain.show") {
    if (auto s = need_args(r, 1, "domain show DOMAIN"); !s) co_return s.error();
    auto d = store_.domain(arg(0));
    if (!d) co_return d.error();
    columns(reply, {"name", "value"});
    row(reply, {{"name", "domain"}, {"value", d->name()}});
    row(reply, {{"name", "main"}, {"value", d->name() == store_.main_domain() ? "yes" : "no"}});
    row(reply, {{"name", "aliases"}, {"value", join(d->aliases())}});
    std::string unknown(policy_name(*d));
    if (d->unknown_policy() == schema::UNKNOWN_FORWARD) unknown += ":" + d->unknown_forward();
    row(reply, {{"name", "unknown"}, {"value", unknown}});
    for (const auto& [k, v] : d->defaults().values()) row(reply, {{"name", k}, {"value", v}});
    co_return reply;
  }

  // --- accounts ---
  if (op == "account.add") {
    if (auto s = need_args(r, 1, "account add ADDRESS [real_name=...]"); !s) co_return s.error();
    auto key = addr::normalize(arg(0), '\0');
    if (!key) co_return fail(Errc::syntax, "bad address " + arg(0));
    schema::Credentials credentials;
    if (!r.secret().empty()) {
      auto c = co_await auth_.make_credentials(key->key(), r.secret());
      if (!c) co_return c.error();
      credentials = std::move(c.value());
    }
    auto real_name = r.options().contains("real_name") ? r.options().at("real_name") : std::string();
    if (auto s = check_text(real_name); !s) co_return fail(Errc::invalid, "real_name: " + s.error().detail);
    auto name = store_.add_account(arg(0), real_name, std::move(credentials));
    if (!name) co_return name.error();
    for (const auto& [k, v] : r.options()) {
      if (k == "real_name") continue;
      if (auto s = store_.set_account(*name, k, v); !s) co_return fail(s.code(), k + ": " + s.error().detail);
    }
    columns(reply, {"account"});
    row(reply, {{"account", *name}});
    co_return reply;
  }
  if (op == "account.remove") {
    if (auto s = need_args(r, 1, "account remove ADDRESS"); !s) co_return s.error();
    co_return done(store_.remove_account(arg(0)));
  }
  if (op == "account.rename") {
    if (auto s = need_args(r, 2, "account rename ADDRESS NEW-ADDRESS"); !s) co_return s.error();
    co_return done(store_.rename_account(arg(0), arg(1)));
  }
  if (op == "account.passwd") {
    if (auto s = need_args(r, 1, "account passwd ADDRESS (password on stdin or at the prompt)"); !s) co_return s.error();
    auto account = store_.account(arg(0));
    if (!account) co_return account.error();
    auto c = co_await auth_.make_credentials(account->name(), r.secret());
    if (!c) co_return c.error();
    // Application passwords survive a password change; revoke them separately.
    *c->mutable_app_passwords() = account->credentials().app_passwords();
    co_return done(store_.set_credentials(account->name(), *c));
  }
  if (op == "account.set") {
    if (auto s = need_args(r, 1, "account set ADDRESS name=value ..."); !s) co_return s.error();
    co_return done(apply_options(r, [&](const std::string& k, const std::string& v) { return store_.set_account(arg(0), k, v); }));
  }
  if (op == "account.alias-add" || op == "account.alias-remove") {
    if (auto s = need_args(r, 2, "account alias-add|alias-remove ADDRESS ALIAS-OR-EXTENSION"); !s) co_return s.error();
    co_return done(op == "account.alias-add" ? store_.add_account_alias(arg(0), arg(1)) : store_.remove_account_alias(arg(0), arg(1)));
  }
  if (op == "account.app-password-add") {
    if (auto s = need_args(r, 2, "account app-password-add ADDRESS NAME"); !s) co_return s.error();
    auto account = store_.account(arg(0));
    if (!account) co_return account.error();
    if (auto s = check_text(arg(1)); !s || arg(1).empty()) co_return fail(Errc::invalid, "bad application password name");
    for (const auto& app : account->credentials().app_passwords()) {
      if (app.name() == arg(1)) co_return fail(Errc::exists, "application password " + arg(1) + " exists");
    }
    std::string password = auth::random_password(kAppPasswordLength);
    auto phc = co_await auth_.hash(password);
    if (!phc) co_return phc.error();
    auto credentials = account->credentials();
    auto* app = credentials.add_app_passwords();
    app->set_name(arg(1));
    app->set_argon2(*phc);
    app->set_created_unix(std::time(nullptr));
    if (auto s = store_.set_credentials(account->name(), credentials); !s) co_return s.error();
    reply.add_generated(account->name() + "\t" + arg(1) + "\t" + password);
    co_return reply;
  }
  if (op == "account.app-password-remove") {
    if (auto s = need_args(r, 2, "account app-password-remove ADDRESS NAME"); !s) co_return s.error();
    auto account = store_.account(arg(0));
    if (!account) co_return account.error();
    auto credentials = account->credentials();
    auto* apps = credentials.mutable_app_passwords();
    auto it = std::find_if(apps->begin(), apps->end(), [&](const auto& a) { return a.name() == arg(1); });
    if (it == apps->end()) co_return fail(Errc::not_found, "no application password " + arg(1));
    apps->erase(it);
    co_return done(store_.set_credentials(account->name(), credentials));
  }
  if (op == "account.list") {
    columns(reply, {"account", "real_name", "aliases", "extensions", "disabled"});
    std::string domain;
    if (r.args_size() > 0) {
      auto d = addr::normalize_domain(arg(0));
      if (!d) co_return fail(Errc::syntax, "bad domain " + arg(0));
      domain = *d;
    }
    for (const auto& a : store_.accounts(domain)) {
      row(reply, {{"account", a.name()}, {"real_name", a.real_name()}, {"aliases", join(a.aliases())},
                  {"extensions", join(a.extensions())}, {"disabled", a.disabled() ? "yes" : "no"}});
    }
    co_return reply;
  }
  if (op == "account.show") {
    if (auto s = need_args(r, 1, "account show ADDRESS"); !s) co_return s.error();
    auto a = store_.account(arg(0));
    if (!a) co_return a.error();
    columns(reply, {"name", "value", "from"});
    row(reply, {{"name", "account"}, {"value", a->name()}, {"from", ""}});
    row(reply, {{"name", "real_name"}, {"value", a->real_name()}, {"from", ""}});
    row(reply, {{"name", "aliases"}, {"value", join(a->aliases())}, {"from", ""}});
    row(reply, {{"name", "extensions"}, {"value", join(a->extensions())}, {"from", ""}});
    row(reply, {{"name", "class_of_service"}, {"value", a->class_of_service()}, {"from", ""}});
    row(reply, {{"name", "disabled"}, {"value", a->disabled() ? "yes" : "no"}, {"from", ""}});
    row(reply, {{"name", "password"}, {"value", a->credentials().argon2().empty() ? "not set" : "set"}, {"from", ""}});
    std::string apps;
    for (const auto& app : a->credentials().app_passwords()) apps += (apps.empty() ? "" : ",") + app.name();
    row(reply, {{"name", "app_passwords"}, {"value", apps}, {"from", ""}});
    for (const auto& decl : setting_declarations()) {
      auto [value, from] = store_.effective(*a, decl.key);
      row(reply, {{"name", std::string(decl.key)}, {"value", value}, {"from", from}});
    }
    co_return reply;
  }

  // --- forwarders, groups, settings ---
  if (op == "forwarder.add") {
    if (auto s = need_args(r, 2, "forwarder add ADDRESS TARGET"); !s) co_return s.error();
    co_return done(store_.add_forwarder(arg(0), arg(1)));
  }
  if (op == "forwarder.remove") {
    if (auto s = need_args(r, 1, "forwarder remove ADDRESS"); !s) co_return s.error();
    co_return done(store_.remove_forwarder(arg(0)));
  }
  if (op == "forwarder.list") {
    columns(reply, {"forwarder", "target"});
    for (const auto& [from, to] : store_.forwarders(r.args_size() > 0 ? arg(0) : "")) row(reply, {{"forwarder", from}, {"target", to}});
    co_return reply;
  }
  if (op == "group.add") {
    if (auto s = need_args(r, 1, "group add ADDRESS"); !s) co_return s.error();
    co_return done(store_.add_group(arg(0)));
  }
  if (op == "group.remove") {
    if (auto s = need_args(r, 1, "group remove ADDRESS"); !s) co_return s.error();
    co_return done(store_.remove_group(arg(0)));
  }
  if (op == "group.member-add" || op == "group.member-remove") {
    if (auto s = need_args(r, 2, "group member-add|member-remove GROUP MEMBER"); !s) co_return s.error();
    co_return done(op == "group.member-add" ? store_.add_group_member(arg(0), arg(1)) : store_.remove_group_member(arg(0), arg(1)));
  }
  if (op == "group.set") {
    if (auto s = need_args(r, 1, "group set GROUP sip_ring=parallel|sequential sip_ring_s=N"); !s) co_return s.error();
    co_return done(apply_options(r, [&](const std::string& k, const std::string& v) { return store_.set_group(arg(0), k, v); }));
  }
  if (op == "group.list") {
    columns(reply, {"group", "sip_ring", "sip_ring_s"});
    for (const auto& g : store_.groups(r.args_size() > 0 ? arg(0) : "")) {
      auto ring = store_.group_ring(g);
      const bool in_turn = ring && ring->in_turn();
      row(reply, {{"group", g}, {"sip_ring", in_turn ? "sequential" : "parallel"},
                  {"sip_ring_s", ring ? std::to_string(ring->seconds()) : ""}});
    }
    co_return reply;
  }
  if (op == "group.show") {
    if (auto s = need_args(r, 1, "group show GROUP"); !s) co_return s.error();
    auto members = store_.group_members(arg(0));
    if (!members) co_return members.error();
    columns(reply, {"member"});
    for (const auto& m : *members) row(reply, {{"member", m}});
    co_return reply;
  }
  if (op == "cos.set") {
    if (auto s = need_args(r, 1, "cos set NAME name=value ..."); !s) co_return s.error();
    co_return done(apply_options(r, [&](const std::string& k, const std::string& v) { return store_.set_class_of_service(arg(0), k, v); }));
  }
  if (op == "defaults.set") {
    if (auto s = need_args(r, 0, "defaults set name=value ..."); !s) co_return s.error();
    co_return done(apply_options(r, [&](const std::string& k, const std::string& v) { return store_.set_server_default(k, v); }));
  }
  if (op == "resolve") {
    if (auto s = need_args(r, 1, "resolve ADDRESS"); !s) co_return s.error();
    auto res = store_.resolve(arg(0));
    columns(reply, {"address", "result", "account", "detail", "targets"});
    row(reply, {{"address", res.address()}, {"result", std::string(kind_name(res.kind()))}, {"account", res.account()},
                {"detail", res.detail()}, {"targets", join(res.targets())}});
    co_return reply;
  }
  co_return fail(Errc::invalid, "unknown directory command '" + op + "'");
}

awaitable<Result<Reply>> Admin::bootstrap(const schema::DirectoryAdminRequest& r) {
  Reply reply;
  if (!store_.empty()) co_return reply;
  std::string domain_text = r.options().contains("domain") ? r.options().at("domain") : "";
  auto domain = addr::normalize_domain(domain_text);
  if (!domain) co_return fail(Errc::syntax, "bad first-run domain " + domain_text);
  // Hashes first, then one transaction: a crash in between leaves the
  // directory empty, so the next start tries again.
  std::vector<std::pair<std::string, schema::Credentials>> accounts;
  std::vector<std::string> passwords;
  for (const auto& local : split(r.options().contains("accounts") ? r.options().at("accounts") : "", ',')) {
    std::string password = auth::random_password();
    auto c = co_await auth_.make_credentials(local + "@" + *domain, password);
    if (!c) co_return c.error();
    accounts.emplace_back(addr::normalize_local(local), std::move(c.value()));
    passwords.push_back(std::move(password));
  }
  auto created = store_.create_first(*domain, accounts);
  if (!created) co_return created.error();
  for (std::size_t i = 0; i < accounts.size(); ++i) reply.add_generated(accounts[i].first + "@" + *created + "\t" + passwords[i]);
  log::info("directory.first_run.created", "empty directory: created the main domain and its first accounts",
            {{"domain", *created}, {"count", reply.generated_size()}});
  co_return reply;
}

awaitable<Result<Reply>> Admin::import(const schema::DirectoryAdminRequest& r) {
  auto table = tsv::parse_tsv(r.table(), kImportRequired, kImportOptional);
  if (!table) co_return table.error();
  std::vector<ImportRow> rows;
  rows.reserve(table->rows.size());
  std::map<std::string, std::size_t> index;
  for (std::size_t i = 0; i < table->header.size(); ++i) index[table->header[i]] = i;
  auto field = [&](const std::vector<std::string>& cells, const char* name) -> std::string {
    auto it = index.find(name);
    return it == index.end() ? std::string() : cells[it->second];
  };
  for (std::size_t i = 0; i < table->rows.size(); ++i) {
    const auto& cells = table->rows[i];
    ImportRow row;
    row.line = table->lines[i];
    row.account = field(cells, "account");
    row.real_name = field(cells, "real_name");
    if (auto s = check_text(row.real_name); !s) co_return fail(Errc::invalid, "line " + std::to_string(row.line) + ": real_name: " + s.error().detail);
    row.aliases = split(field(cells, "aliases"), ',');
    row.extensions = split(field(cells, "extensions"), ',');
    row.class_of_service = field(cells, "class_of_service");
    std::string disabled = field(cells, "disabled");
    if (!disabled.empty() && disabled != "yes" && disabled != "no") {
      co_return fail(Errc::invalid, "line " + std::to_string(row.line) + ": disabled must be yes or no");
    }
    row.disabled = disabled == "yes";
    std::string password = field(cells, "password");
    if (!password.empty()) {
      auto key = addr::normalize(row.account, '\0');
      if (!key) co_return fail(Errc::syntax, "line " + std::to_string(row.line) + ": bad address " + row.account);
      auto c = co_await auth_.make_credentials(key->key(), password);
      if (!c) co_return fail(c.code(), "line " + std::to_string(row.line) + ": " + c.error().detail);
      row.credentials = std::move(c.value());
    }
    rows.push_back(std::move(row));
  }
  auto count = store_.import_accounts(rows);
  if (!count) co_return count.error();
  Reply reply;
  columns(reply, {"imported"});
  row(reply, {{"imported", std::to_string(*count)}});
  co_return reply;
}

Result<Reply> Admin::export_accounts(std::string_view domain) {
  tsv::Table table;
  table.header = {"account", "real_name", "aliases", "extensions", "class_of_service", "disabled"};
  for (const auto& a : store_.accounts(domain)) {
    table.rows.push_back({a.name(), a.real_name(), join(a.aliases()), join(a.extensions()), a.class_of_service(),
                          a.disabled() ? "yes" : "no"});
  }
  Reply reply;
  reply.set_text(tsv::format_tsv(table));
  return reply;
}

}  // namespace parley::directory

namespace parley::directory {

// A consistent copy of the store while it keeps serving (LMDB's copy API),
// in BACKUP_DIR/directory-YYYYmmddTHHMMSSZ; the administrator takes it from
// there.
Result<schema::DirectoryAdminReply> Admin::backup() {
  if (::mkdir(backup_dir_.c_str(), 0700) != 0 && errno != EEXIST) {
    return fail(Errc::io, "mkdir " + backup_dir_ + ": " + std::strerror(errno));
  }
  char stamp[32];
  std::time_t now = std::time(nullptr);
  std::tm utc{};
  ::gmtime_r(&now, &utc);
  std::strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &utc);
  std::string dir = backup_dir_ + "/directory-" + stamp;
  if (::mkdir(dir.c_str(), 0700) != 0) return fail(Errc::io, "mkdir " + dir + ": " + std::strerror(errno));
  if (auto s = store_.env().copy_to(dir); !s) return s.error();
  schema::DirectoryAdminReply reply;
  reply.add_columns("backup");
  (*reply.add_rows()->mutable_fields())["backup"] = dir;
  return reply;
}

}  // namespace parley::directory
