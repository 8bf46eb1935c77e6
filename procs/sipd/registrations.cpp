// The registrar (RFC 3261 10.3) and digest authentication (RFC 3261 22,
// RFC 8760) of sipd's Core.
#include "core.h"
#include "core/ascii.h"
#include "log/log.h"

namespace parley::sipd {

void Core::challenge(sip::TransactionId id, const std::string& realm, bool proxy, bool stale) {
  std::vector<sip::Header> extra;
  const std::string nonce = nonces_.make(realm, std::chrono::seconds(options_.wall_now()));
  std::vector<std::string> values;
  for (auto algorithm : settings().digest_algorithms) values.push_back(auth::digest_challenge(realm, nonce, algorithm, stale));
  for (const auto& v : values) extra.push_back({proxy ? "Proxy-Authenticate" : "WWW-Authenticate", v});
  respond(id, proxy ? 407 : 401, proxy ? "Proxy Authentication Required" : reason_phrase(401), extra);
}

awaitable<std::optional<std::string>> Core::authenticate(sip::TransactionId id, const Flow& flow, std::string realm,
                                                         bool proxy, AuthDetails* details) {
  const auto* txn = transactions_.find(id);
  if (txn == nullptr) co_return std::nullopt;
  const sip::Message& request = txn->request();
  const std::string sid = sids_[id];
  // The credentials for our realm; a phone may send several (one per realm
  // it knows, RFC 3261 22.3).
  std::optional<auth::DigestCredentials> credentials;
  for (const auto& h : request.headers()) {
    if (!ascii_iequal(h.name, proxy ? "Proxy-Authorization" : "Authorization")) continue;
    auto parsed = auth::parse_digest_credentials(h.value);
    if (parsed && ascii_lower(parsed->realm) == realm) {
      credentials = std::move(parsed.value());
      break;
    }
  }
  if (!credentials) {
    challenge(id, realm, proxy, false);
    co_return std::nullopt;
  }
  auto algorithm = auth::parse_digest_algorithm(credentials->algorithm);
  bool offered = false;
  for (auto a : settings().digest_algorithms) offered = offered || (algorithm && a == *algorithm);
  if (!offered) {
    challenge(id, realm, proxy, false);
    co_return std::nullopt;
  }
  // The digest uri names this server (many phones sign "sip:HOST:PORT"
  // rather than the Request-URI) or is the Request-URI itself.
  auto digest_uri = sip::parse_uri(credentials->uri);
  if (credentials->uri != request.request_uri_text() &&
      (!digest_uri || (!is_us(digest_uri->host, std::nullopt) && ascii_lower(digest_uri->host) != realm))) {
    log::info("sip.auth.failed", "digest uri names another server", {{"sid", sid}, {"peer", flow.peer()}});
    respond(id, 400, "Digest URI Mismatch");
    co_return std::nullopt;
  }
  switch (nonces_.check(credentials->nonce, realm, credentials->nc, std::chrono::seconds(options_.wall_now()))) {
    case auth::DigestNonces::Check::fresh: break;
    case auth::DigestNonces::Check::stale:
      challenge(id, realm, proxy, true);
      co_return std::nullopt;
    case auth::DigestNonces::Check::replayed:
    case auth::DigestNonces::Check::invalid:
      challenge(id, realm, proxy, false);
      co_return std::nullopt;
  }
  schema::DigestRequest check;
  check.set_username(credentials->username);
  check.set_realm(realm);
  check.set_algorithm(std::string(auth::digest_algorithm_name(*algorithm)));
  check.set_method(std::string(request.method()));
  check.set_uri(credentials->uri);
  check.set_nonce(credentials->nonce);
  check.set_cnonce(credentials->cnonce);
  check.set_nc(credentials->nc);
  check.set_qop(credentials->qop);
  check.set_response(credentials->response);
  check.set_service(schema::SERVICE_SIP);
  check.set_client_address(flow.ip);
  check.set_sid(sid);
  if (details != nullptr) check.set_identity(details->identity);
  auto alive = alive_;
  auto reply = co_await backend_.digest(std::move(check));
  if (!*alive) co_return std::nullopt;
  if (!reply) {
    log::warn("sip.auth.unavailable", reply.error().detail, {{"sid", sid}, {"peer", flow.peer()}});
    respond(id, 503, reason_phrase(503), {{"Retry-After", "10"}});
    co_return std::nullopt;
  }
  switch (reply->outcome()) {
    case schema::AuthReply::OUTCOME_OK:
      if (details != nullptr) {
        details->sip = reply->sip();
        details->identity_ok = reply->identity_ok();
      }
      co_return reply->account();
    case schema::AuthReply::OUTCOME_TEMPFAIL:
      respond(id, 503, reason_phrase(503), {{"Retry-After", "60"}});
      co_return std::nullopt;
    default:
      // The same answer for a wrong password and an unknown user: a new
      // challenge (what phones expect; they stop after a second failure).
      log::info("sip.auth.failed", "digest response refused",
                {{"sid", sid}, {"peer", flow.peer()}, {"user", credentials->username}});
      challenge(id, realm, proxy, false);
      co_return std::nullopt;
  }
}

awaitable<void> Core::handle_register(sip::TransactionId id, Flow flow) {
  Waiting waiting(waiting_);
  const auto* txn = transactions_.find(id);
  if (txn == nullptr) co_return;
  const std::string sid = sids_[id];
  const std::string realm = domain_of(txn->request().request_uri());
  if (realm.empty()) {
    respond(id, 404, "Domain Not Served");
    co_return;
  }
  auto alive = alive_;
  AuthDetails details;
  auto account = co_await authenticate(id, flow, realm, false, &details);
  if (!*alive || !account) co_return;
  txn = transactions_.find(id);
  if (txn == nullptr) co_return;
  const sip::Message& request = txn->request();
  // The address of record must be the account's own (RFC 3261 10.3 step
  // 3: the registrar decides who may register which address).
  const std::string aor = address_of(request.to().uri);
  if (ascii_lower(aor) != ascii_lower(*account)) {
    log::info("sip.register.forbidden", "address of record is not the account's",
              {{"sid", sid}, {"user", *account}, {"to", aor}});
    respond(id, 403, reason_phrase(403));
    co_return;
  }
  sip::RegistrarPolicy policy = settings().registrar;
  policy.max_bindings = details.sip.max_registrations();
  const std::int64_t now_s = options_.wall_now();
  auto outcome = bindings_.register_request(*account, request, policy, flow.name(), now_s);
  if (!outcome) {
    log::error("sip.register.failed", outcome.error().detail, {{"sid", sid}, {"user", *account}});
    respond(id, 500, reason_phrase(500));
    co_return;
  }
  switch (outcome->refusal) {
    case sip::Refusal::none: break;
    case sip::Refusal::bad_request:
      respond(id, 400, reason_phrase(400));
      co_return;
    case sip::Refusal::interval_too_brief:
      respond(id, 423, reason_phrase(423), {{"Min-Expires", std::to_string(outcome->min_expires)}});
      co_return;
    case sip::Refusal::out_of_order:
      respond(id, 500, reason_phrase(500));
      co_return;
    case sip::Refusal::too_many:
      log::info("sip.register.limit", "device limit reached", {{"sid", sid}, {"user", *account}});
      respond(id, 403, "Too Many Registrations");
      co_return;
  }
  std::vector<sip::Header> extra;
  std::vector<std::string> contacts;
  for (const auto& b : outcome->bindings) contacts.push_back(sip::contact_value(b, now_s));
  for (const auto& c : contacts) extra.push_back({"Contact", c});
  // New, moved or removed contacts are worth a line; the renewals every
  // phone sends all day long only at debug level.
  const auto level = outcome->changed && !outcome->refresh ? log::Level::info : log::Level::debug;
  log::write(level, "sip.register.ok", outcome->refresh ? "renewed" : "registered",
             {{"sid", sid}, {"user", *account}, {"peer", flow.peer()}, {"count", outcome->bindings.size()}});
  const std::string call_id(request.call_id());  // the transaction (and request) may end with the response
  respond(id, 200, reason_phrase(200), extra);
  // Registered or not is the presence of an account that publishes none.
  if (outcome->changed && !outcome->refresh) presence_changed(*account);
  // Messages kept while no device was registered go to this one now.
  for (const auto& b : outcome->bindings) {
    if (b.flow == flow.name() && b.call_id == call_id) {
      deliver_stored(*account, flow, b.uri);
      break;
    }
  }
}

}  // namespace parley::sipd
