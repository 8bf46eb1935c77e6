// TLS contexts: what a server offers (certificates per SNI name) and how a
// client connects (opportunistic by default). Built once from files,
// immutable afterwards and safe to share between threads and connections;
// a reload builds a new context and swaps the shared_ptr (connections that
// started with the old one keep it alive until they end).
//
// Policy, fixed here rather than configurable:
//   - TLS 1.2 minimum on both sides (no SSLv3, TLS 1.0, TLS 1.1).
//   - No compression (CRIME), no renegotiation.
//   - Server: its own cipher order; for TLS 1.2 only ECDHE key exchange with
//     AEAD ciphers; TLS 1.3 suites are OpenSSL's (all AEAD). Session tickets
//     stay on.
//   - Client: OpenSSL's default suites (widest interoperability for
//     opportunistic encryption, RFC 7435); certificates are checked against
//     the CA store and the host name either way, but only enforced when
//     ClientOptions::verify is set (see net::Stream::peer_verified()).
//
// Errors (Result): Errc::not_found / Errc::denied / Errc::io when a file
// cannot be opened (detail names the file and the system's reason),
// Errc::invalid when OpenSSL refuses its content or a key does not match its
// certificate (detail names the file and OpenSSL's reason), Errc::internal
// when OpenSSL cannot allocate a context.
#pragma once

#include <openssl/types.h>

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"

namespace parley::tls {

// A certificate and its private key, PEM. The certificate file may hold the
// chain after the leaf (leaf first), as Let's Encrypt's fullchain.pem does.
struct CertPair {
  std::string cert_file;
  std::string key_file;
};

struct ServerConfig {
  // Used when the client sends no SNI name or one no entry matches.
  CertPair default_cert;
  // SNI host name -> certificate. Names are compared case-insensitively
  // (stored lowercase); "*.example.org" matches exactly one label in front
  // of example.org ("a.example.org", not "example.org" nor "a.b.example.org").
  // An exact name wins over a wildcard; among equals the first entry wins.
  std::vector<std::pair<std::string, CertPair>> by_name;
};

struct SslCtxFree {
  void operator()(SSL_CTX* ctx) const;
};
using SslCtxPtr = std::unique_ptr<SSL_CTX, SslCtxFree>;

class ServerContext {
 public:
  // Loads and checks every certificate/key pair. Nothing is half-built: any
  // failure returns an error and no context.
  static Result<std::shared_ptr<ServerContext>> create(const ServerConfig& config);

  // The context a connection starts with (the default certificate). Its SNI
  // callback switches the connection to the context for the name asked for.
  SSL_CTX* native() const { return default_.get(); }

  // The context serving `host_name` (any case, one trailing dot allowed),
  // or the default one. For the SNI callback and tests.
  SSL_CTX* select(std::string_view host_name) const;

  ServerContext(const ServerContext&) = delete;
  ServerContext& operator=(const ServerContext&) = delete;
  ~ServerContext();

 private:
  ServerContext() = default;

  SslCtxPtr default_;
  std::vector<std::pair<std::string, SslCtxPtr>> exact_;     // "mail.example.org"
  std::vector<std::pair<std::string, SslCtxPtr>> wildcard_;  // "example.org" for "*.example.org"
};

// Opportunistic by default (RFC 7435): encrypt, do not insist on a valid
// certificate. With verify = true the handshake fails (Errc::denied) unless
// the chain leads to a CA in `ca_file` (PEM bundle; empty: the system store)
// and the certificate names the host given to handshake_client().
struct ClientOptions {
  bool verify = false;
  std::string ca_file;
};

class ClientContext {
 public:
  static Result<std::shared_ptr<ClientContext>> create(const ClientOptions& options);

  SSL_CTX* native() const { return ctx_.get(); }
  bool verify() const { return verify_; }

  ClientContext(const ClientContext&) = delete;
  ClientContext& operator=(const ClientContext&) = delete;
  ~ClientContext();

 private:
  ClientContext() = default;

  SslCtxPtr ctx_;
  bool verify_ = false;
};

// OpenSSL's error queue as one line ("PEM routines: no start line; ..."),
// emptied in the process; `fallback` when the queue is empty.
std::string openssl_errors(std::string_view fallback = "unknown OpenSSL error");

}  // namespace parley::tls
