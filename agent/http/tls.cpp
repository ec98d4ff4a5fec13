#include "agent/http/tls.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <new>

namespace auditrelay::http {
namespace {

// "PEM routines: no start line": the library and reason of OpenSSL's last error, which never
// quote the data that failed to parse.
std::string last_openssl_error(const char* fallback) {
  unsigned long code = ERR_peek_last_error();
  ERR_clear_error();
  if (code == 0) return fallback;
  const char* reason = ERR_reason_error_string(code);
  const char* library = ERR_lib_error_string(code);
  std::string text = library != nullptr ? std::string(library) + ": " : std::string();
  text += reason != nullptr ? reason : "error " + std::to_string(ERR_GET_REASON(code));
  return text;
}

// Checked by hand first, so that the common mistakes (a wrong path, permissions) read as
// such rather than as OpenSSL's "system library" errors.
void require_readable(const std::string& path, TlsFileError::File file, const char* what) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) {
    throw TlsFileError(file, std::string("cannot read the ") + what + " file '" + path +
                                 "': " + std::strerror(errno));
  }
  std::fclose(f);
}

// Refuses a passphrase-protected key (and an encrypted certificate file) instead of letting
// OpenSSL prompt for a passphrase on the terminal.
int no_passphrase(char*, int, int, void*) {
  return 0;
}

}  // namespace

std::shared_ptr<TlsContext> TlsContext::load(const std::string& cert_file,
                                             const std::string& key_file) {
  using File = TlsFileError::File;
  require_readable(cert_file, File::kCert, "certificate");
  require_readable(key_file, File::kKey, "private key");
  ERR_clear_error();
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  if (ctx == nullptr) throw std::bad_alloc();
  std::shared_ptr<TlsContext> context(new TlsContext(ctx));
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  // Client-initiated renegotiation costs the server a handshake per request of the client.
  SSL_CTX_set_options(ctx, SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_RENEGOTIATION);
  SSL_CTX_set_default_passwd_cb(ctx, &no_passphrase);
  if (SSL_CTX_use_certificate_chain_file(ctx, cert_file.c_str()) != 1) {
    throw TlsFileError(File::kCert, "the certificate file '" + cert_file +
                                        "' holds no usable PEM certificate (" +
                                        last_openssl_error("unknown error") + ")");
  }
  // Read apart from its use, so that a key of another certificate is told apart from a file
  // that holds no key.
  EVP_PKEY* key = nullptr;
  if (BIO* in = BIO_new_file(key_file.c_str(), "r")) {
    key = PEM_read_bio_PrivateKey(in, nullptr, &no_passphrase, nullptr);
    BIO_free(in);
  }
  if (key == nullptr) {
    throw TlsFileError(File::kKey, "the private key file '" + key_file +
                                       "' holds no usable unencrypted PEM private key (" +
                                       last_openssl_error("unknown error") + ")");
  }
  int used = SSL_CTX_use_PrivateKey(ctx, key);
  EVP_PKEY_free(key);
  if (used != 1 || SSL_CTX_check_private_key(ctx) != 1) {
    ERR_clear_error();
    throw TlsFileError(File::kKey, "the private key file '" + key_file +
                                       "' does not match the certificate file '" + cert_file + "'");
  }
  return context;
}

TlsContext::~TlsContext() {
  SSL_CTX_free(ctx_);
}

TlsSession::TlsSession(const TlsContext& context)
    : ssl_(SSL_new(context.get())), in_(BIO_new(BIO_s_mem())), out_(BIO_new(BIO_s_mem())) {
  if (ssl_ == nullptr || in_ == nullptr || out_ == nullptr) {
    BIO_free(in_);
    BIO_free(out_);
    SSL_free(ssl_);
    throw std::bad_alloc();
  }
  // An empty input BIO means "wait for more", not end of stream.
  BIO_set_mem_eof_return(in_, -1);
  BIO_set_mem_eof_return(out_, -1);
  SSL_set_bio(ssl_, in_, out_);  // ssl_ owns both from here
  SSL_set_accept_state(ssl_);
}

TlsSession::~TlsSession() {
  SSL_free(ssl_);
}

void TlsSession::feed(const char* data, size_t length) {
  while (length > 0) {
    // A memory BIO grows to take everything.
    int chunk = static_cast<int>(std::min<size_t>(length, INT_MAX));
    int written = BIO_write(in_, data, chunk);
    if (written <= 0) throw std::bad_alloc();
    data += written;
    length -= static_cast<size_t>(written);
  }
}

TlsSession::ReadResult TlsSession::read(char* buffer, size_t capacity) {
  ERR_clear_error();
  int n = SSL_read(ssl_, buffer, static_cast<int>(std::min<size_t>(capacity, INT_MAX)));
  if (n > 0) return {ReadStatus::kData, static_cast<size_t>(n)};
  int error = SSL_get_error(ssl_, n);
  if (error == SSL_ERROR_WANT_READ) return {ReadStatus::kWantMore};
  if (error == SSL_ERROR_ZERO_RETURN) return {ReadStatus::kClosed};
  error_ =
      last_openssl_error(error == SSL_ERROR_SYSCALL ? "unexpected end of stream" : "TLS failure");
  return {ReadStatus::kFailed};
}

bool TlsSession::encrypt(std::string_view plaintext) {
  while (!plaintext.empty()) {
    ERR_clear_error();
    int chunk = static_cast<int>(std::min<size_t>(plaintext.size(), INT_MAX));
    int n = SSL_write(ssl_, plaintext.data(), chunk);
    if (n <= 0) {
      error_ = last_openssl_error("TLS write failed");
      return false;
    }
    plaintext.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

void TlsSession::shutdown() {
  if (shutdown_sent_ || !established()) return;
  shutdown_sent_ = true;
  ERR_clear_error();
  SSL_shutdown(ssl_);  // 0: close_notify sent, the client's not awaited (we close after it)
  ERR_clear_error();
}

std::string TlsSession::take_output() {
  size_t pending = BIO_ctrl_pending(out_);
  if (pending == 0) return {};
  std::string out(pending, '\0');
  int n = BIO_read(out_, out.data(), static_cast<int>(std::min<size_t>(pending, INT_MAX)));
  out.resize(n > 0 ? static_cast<size_t>(n) : 0);
  return out;
}

bool TlsSession::established() const {
  return SSL_is_init_finished(ssl_) == 1;
}

}  // namespace auditrelay::http
