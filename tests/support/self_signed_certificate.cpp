#include "tests/support/self_signed_certificate.h"

#include <fcntl.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <memory>
#include <stdexcept>

namespace auditrelay::test {
namespace {

struct Deleter {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
  void operator()(X509* p) const { X509_free(p); }
  void operator()(X509_EXTENSION* p) const { X509_EXTENSION_free(p); }
  void operator()(std::FILE* p) const { std::fclose(p); }
};
template <typename T>
using Owned = std::unique_ptr<T, Deleter>;

void require(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string("self-signed certificate: ") + what + " failed");
}

void add_extension(X509* cert, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  Owned<X509_EXTENSION> ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
  require(ext != nullptr && X509_add_ext(cert, ext.get(), -1) == 1, "X509_add_ext");
}

Owned<std::FILE> open_for_writing(const std::filesystem::path& path, mode_t mode) {
  std::filesystem::remove(path);
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, mode);
  require(fd >= 0, "open");
  Owned<std::FILE> file(fdopen(fd, "w"));
  require(file != nullptr, "fdopen");
  return file;
}

}  // namespace

CertificateFiles write_self_signed_certificate(const std::filesystem::path& dir,
                                               const std::string& name) {
  Owned<EVP_PKEY> key(EVP_EC_gen("P-256"));
  require(key != nullptr, "EVP_EC_gen");

  Owned<X509> cert(X509_new());
  require(cert != nullptr, "X509_new");
  require(X509_set_version(cert.get(), 2) == 1, "X509_set_version");  // v3
  unsigned char serial[8];
  require(RAND_bytes(serial, sizeof serial) == 1, "RAND_bytes");
  serial[0] &= 0x7f;  // positive
  BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
  require(bn != nullptr && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get())) != nullptr,
          "serial number");
  BN_free(bn);
  require(X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600) != nullptr, "notBefore");
  require(X509_gmtime_adj(X509_getm_notAfter(cert.get()), 24 * 3600) != nullptr, "notAfter");
  require(X509_set_pubkey(cert.get(), key.get()) == 1, "X509_set_pubkey");
  X509_NAME* subject = X509_get_subject_name(cert.get());
  require(X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC,
                                     reinterpret_cast<const unsigned char*>("localhost"), -1, -1,
                                     0) == 1,
          "subject");
  require(X509_set_issuer_name(cert.get(), subject) == 1, "issuer");
  // What `openssl req -x509` adds, so that clients take it as its own trust anchor.
  add_extension(cert.get(), NID_basic_constraints, "critical,CA:TRUE");
  add_extension(cert.get(), NID_subject_key_identifier, "hash");
  add_extension(cert.get(), NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1");
  require(X509_sign(cert.get(), key.get(), EVP_sha256()) > 0, "X509_sign");

  CertificateFiles files{dir / (name + ".crt"), dir / (name + ".key")};
  {
    auto out = open_for_writing(files.cert_file, 0644);
    require(PEM_write_X509(out.get(), cert.get()) == 1, "PEM_write_X509");
  }
  {
    auto out = open_for_writing(files.key_file, 0600);
    require(PEM_write_PrivateKey(out.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) == 1,
            "PEM_write_PrivateKey");
  }
  return files;
}

}  // namespace auditrelay::test
