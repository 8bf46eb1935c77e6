// Test helper: writes a self-signed certificate and its key (EC P-256, PEM)
// for tests that need TLS (tls_test, smtpd and imapd tests). Header-only;
// link OpenSSL::Crypto. Throws std::runtime_error on failure: tests only.
#pragma once

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "tls/context.h"

namespace parley::tls::testing {

namespace detail {
struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct X509Free {
  void operator()(X509* p) const { X509_free(p); }
};
struct FileClose {
  void operator()(std::FILE* f) const { std::fclose(f); }
};
inline void check(bool ok, const std::string& what) {
  if (!ok) throw std::runtime_error("test certificate: " + what + ": " + openssl_errors());
}
}  // namespace detail

// Writes DIR/STEM.crt and DIR/STEM.key (STEM defaults to `cn`, '*' turned
// into '_'): a self-signed X.509 v3 certificate with subject CN `cn` and
// subjectAltName entries `sans` (DNS names; entries of digits, dots and
// colons become IP addresses), valid from an hour ago for 30 days.
inline CertPair write_test_cert(const std::string& dir, const std::string& cn,
                                const std::vector<std::string>& sans = {}, std::string stem = {}) {
  if (stem.empty()) {
    stem = cn;
    for (char& c : stem) {
      if (c == '*') c = '_';
    }
  }
  std::unique_ptr<EVP_PKEY, detail::PkeyFree> key(EVP_EC_gen("P-256"));
  detail::check(key != nullptr, "EC key");
  std::unique_ptr<X509, detail::X509Free> cert(X509_new());
  detail::check(cert != nullptr, "X509_new");
  X509* x = cert.get();
  detail::check(X509_set_version(x, 2) == 1, "version");
  unsigned char serial[8];
  detail::check(RAND_bytes(serial, sizeof serial) == 1, "serial");
  serial[0] &= 0x7f;  // positive
  std::unique_ptr<BIGNUM, decltype(&BN_free)> bn(BN_bin2bn(serial, sizeof serial, nullptr), &BN_free);
  detail::check(bn && BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(x)) != nullptr, "serial");
  detail::check(X509_gmtime_adj(X509_getm_notBefore(x), -3600) != nullptr, "notBefore");
  detail::check(X509_gmtime_adj(X509_getm_notAfter(x), 30L * 24 * 3600) != nullptr, "notAfter");
  detail::check(X509_set_pubkey(x, key.get()) == 1, "public key");
  X509_NAME* name = X509_get_subject_name(x);
  detail::check(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                           reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0) == 1,
                "CN");
  detail::check(X509_set_issuer_name(x, name) == 1, "issuer");
  if (!sans.empty()) {
    std::string value;
    for (const std::string& san : sans) {
      if (!value.empty()) value += ",";
      bool ip = san.find_first_not_of("0123456789.:abcdefABCDEF") == std::string::npos &&
                (san.find(':') != std::string::npos ||
                 san.find_first_not_of("0123456789.") == std::string::npos);
      value += (ip ? "IP:" : "DNS:") + san;
    }
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, x, x, nullptr, nullptr, 0);
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, NID_subject_alt_name, value.c_str());
    detail::check(ext != nullptr, "subjectAltName " + value);
    int added = X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
    detail::check(added == 1, "subjectAltName");
  }
  detail::check(X509_sign(x, key.get(), EVP_sha256()) > 0, "sign");

  CertPair pair{dir + "/" + stem + ".crt", dir + "/" + stem + ".key"};
  {
    std::unique_ptr<std::FILE, detail::FileClose> f(std::fopen(pair.cert_file.c_str(), "w"));
    if (!f) throw std::runtime_error("test certificate: cannot write " + pair.cert_file);
    detail::check(PEM_write_X509(f.get(), x) == 1, "write " + pair.cert_file);
  }
  {
    std::unique_ptr<std::FILE, detail::FileClose> f(std::fopen(pair.key_file.c_str(), "w"));
    if (!f) throw std::runtime_error("test certificate: cannot write " + pair.key_file);
    detail::check(PEM_write_PrivateKey(f.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) == 1,
                  "write " + pair.key_file);
  }
  return pair;
}

}  // namespace parley::tls::testing
