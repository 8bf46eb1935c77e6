#include "tls/context.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace parley::tls {

namespace {

// TLS 1.2 suites a server offers: forward secrecy (ECDHE) and AEAD only, in
// the server's order of preference. TLS 1.3 suites are all AEAD with
// ephemeral keys and are left to OpenSSL.
constexpr const char* kServerCiphers12 =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

// Set on every server context so that sessions cached by one context are
// never offered to a context of another program.
constexpr unsigned char kSessionIdContext[] = "parley";

std::string lowercase(std::string_view in) {
  std::string out(in);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// Host name as compared: lowercase, without one trailing dot.
std::string normalize_name(std::string_view name) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  return lowercase(name);
}

// Opens the file ourselves first: OpenSSL's reasons for a missing or
// unreadable file are vague, and this names the file with the system's.
Status check_readable(const std::string& path, std::string_view what) {
  if (path.empty()) return fail(Errc::invalid, std::string(what) + " file not set");
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) {
    int err = errno;
    Errc code = err == ENOENT ? Errc::not_found : (err == EACCES || err == EPERM) ? Errc::denied : Errc::io;
    return fail(code, std::string(what) + " file " + path + ": " + std::strerror(err));
  }
  std::fclose(f);
  return {};
}

// Encrypted keys are not supported: without this OpenSSL would prompt for a
// passphrase on the terminal.
int no_passphrase(char*, int, int, void*) { return 0; }

Result<SslCtxPtr> new_context(const SSL_METHOD* method) {
  ERR_clear_error();
  SslCtxPtr ctx(SSL_CTX_new(method));
  if (!ctx) return fail(Errc::internal, "SSL_CTX_new: " + openssl_errors());
  SSL_CTX* c = ctx.get();
  if (SSL_CTX_set_min_proto_version(c, TLS1_2_VERSION) != 1) {
    return fail(Errc::internal, "cannot set TLS 1.2 minimum: " + openssl_errors());
  }
  uint64_t options = SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION;
#ifdef SSL_OP_NO_CLIENT_RENEGOTIATION
  options |= SSL_OP_NO_CLIENT_RENEGOTIATION;
#endif
  SSL_CTX_set_options(c, options);
  SSL_CTX_set_default_passwd_cb(c, &no_passphrase);
  return ctx;
}

Result<SslCtxPtr> server_context(const CertPair& pair) {
  if (Status s = check_readable(pair.cert_file, "certificate"); !s) return s.error();
  if (Status s = check_readable(pair.key_file, "private key"); !s) return s.error();
  Result<SslCtxPtr> made = new_context(TLS_server_method());
  if (!made) return made.error();
  SslCtxPtr ctx = std::move(made).value();
  SSL_CTX* c = ctx.get();
  SSL_CTX_set_options(c, SSL_OP_CIPHER_SERVER_PREFERENCE);
  if (SSL_CTX_set_cipher_list(c, kServerCiphers12) != 1) {
    return fail(Errc::internal, "cipher list: " + openssl_errors());
  }
  SSL_CTX_set_session_id_context(c, kSessionIdContext, sizeof kSessionIdContext - 1);
  if (SSL_CTX_use_certificate_chain_file(c, pair.cert_file.c_str()) != 1) {
    return fail(Errc::invalid, "certificate file " + pair.cert_file + ": " + openssl_errors());
  }
  // OpenSSL 3 checks the key against the certificate while loading it; the
  // explicit check below covers versions and key types where it does not.
  if (SSL_CTX_use_PrivateKey_file(c, pair.key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    return fail(Errc::invalid, "private key file " + pair.key_file + " (for " + pair.cert_file +
                                   "): " + openssl_errors());
  }
  if (SSL_CTX_check_private_key(c) != 1) {
    return fail(Errc::invalid, "private key file " + pair.key_file + " does not match certificate file " +
                                   pair.cert_file + ": " + openssl_errors());
  }
  return ctx;
}

// Chooses the certificate for the name the client sent. Runs inside the
// handshake, on the connection's thread; `arg` is the ServerContext, kept
// alive by the connection's stream.
int on_server_name(SSL* ssl, int*, void* arg) {
  const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
  if (name == nullptr) return SSL_TLSEXT_ERR_NOACK;
  SSL_CTX* chosen = static_cast<const ServerContext*>(arg)->select(name);
  if (chosen != SSL_get_SSL_CTX(ssl) && SSL_set_SSL_CTX(ssl, chosen) == nullptr) {
    return SSL_TLSEXT_ERR_ALERT_FATAL;
  }
  return SSL_TLSEXT_ERR_OK;
}

}  // namespace

void SslCtxFree::operator()(SSL_CTX* ctx) const { SSL_CTX_free(ctx); }

std::string openssl_errors(std::string_view fallback) {
  std::string out;
  while (unsigned long e = ERR_get_error()) {
    if (!out.empty()) out += "; ";
    const char* lib = ERR_lib_error_string(e);
    const char* reason = ERR_reason_error_string(e);
    if (reason != nullptr) {
      if (lib != nullptr) out += std::string(lib) + ": ";
      out += reason;
    } else {
      char buf[256];
      ERR_error_string_n(e, buf, sizeof buf);
      out += buf;
    }
  }
  if (out.empty()) out = fallback;
  return out;
}

ServerContext::~ServerContext() = default;

Result<std::shared_ptr<ServerContext>> ServerContext::create(const ServerConfig& config) {
  std::shared_ptr<ServerContext> self(new ServerContext());
  Result<SslCtxPtr> def = server_context(config.default_cert);
  if (!def) return def.error();
  self->default_ = std::move(def).value();
  for (const auto& [raw_name, pair] : config.by_name) {
    std::string name = normalize_name(raw_name);
    bool wildcard = name.starts_with("*.");
    if (name.empty() || name == "*." || (!wildcard && name.find('*') != std::string::npos) ||
        (wildcard && name.find('*', 1) != std::string::npos)) {
      return fail(Errc::invalid, "SNI name \"" + raw_name + "\": not a host name or *.domain");
    }
    Result<SslCtxPtr> ctx = server_context(pair);
    if (!ctx) return ctx.error();
    if (wildcard) {
      self->wildcard_.emplace_back(name.substr(2), std::move(ctx).value());
    } else {
      self->exact_.emplace_back(std::move(name), std::move(ctx).value());
    }
  }
  SSL_CTX_set_tlsext_servername_callback(self->default_.get(), &on_server_name);
  SSL_CTX_set_tlsext_servername_arg(self->default_.get(), self.get());
  return self;
}

SSL_CTX* ServerContext::select(std::string_view host_name) const {
  std::string name = normalize_name(host_name);
  for (const auto& [n, ctx] : exact_) {
    if (n == name) return ctx.get();
  }
  if (std::size_t dot = name.find('.'); dot != std::string::npos && dot > 0) {
    std::string_view parent = std::string_view(name).substr(dot + 1);
    for (const auto& [n, ctx] : wildcard_) {
      if (n == parent) return ctx.get();
    }
  }
  return default_.get();
}

ClientContext::~ClientContext() = default;

Result<std::shared_ptr<ClientContext>> ClientContext::create(const ClientOptions& options) {
  if (!options.ca_file.empty()) {
    if (Status s = check_readable(options.ca_file, "CA"); !s) return s.error();
  }
  Result<SslCtxPtr> made = new_context(TLS_client_method());
  if (!made) return made.error();
  std::shared_ptr<ClientContext> self(new ClientContext());
  self->ctx_ = std::move(made).value();
  self->verify_ = options.verify;
  SSL_CTX* c = self->ctx_.get();
  // The CA store is loaded even when not verifying, so that the stream can
  // still tell (and the log record) whether the peer's certificate was valid.
  if (!options.ca_file.empty()) {
    if (SSL_CTX_load_verify_locations(c, options.ca_file.c_str(), nullptr) != 1) {
      return fail(Errc::invalid, "CA file " + options.ca_file + ": " + openssl_errors());
    }
  } else if (SSL_CTX_set_default_verify_paths(c) != 1) {
    std::string why = openssl_errors();
    if (options.verify) return fail(Errc::invalid, "system CA store: " + why);
  }
  SSL_CTX_set_verify(c, options.verify ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, nullptr);
  return self;
}

}  // namespace parley::tls
