// TLS for http::Server with OpenSSL: one TlsContext (certificate and key) per server, one
// TlsSession per connection. A session never touches the socket: it decrypts the bytes the
// connection read and encrypts the bytes it would write, through two memory BIOs, so the
// libuv loop stays in charge of all I/O (https://www.openssl.org/docs/man3.0/man7/bio.html).
#pragma once

#include <openssl/types.h>

#include <cstddef>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

namespace auditrelay::http {

// A certificate or key that cannot be used; which() says which of the two files is at fault.
// The message names the file, never its content.
class TlsFileError : public std::runtime_error {
 public:
  enum class File { kCert, kKey };
  TlsFileError(File file, const std::string& message) : std::runtime_error(message), file_(file) {}
  File which() const { return file_; }

 private:
  File file_;
};

// The server side of TLS: TLS 1.2 at least, the server's cipher preference, no renegotiation.
class TlsContext {
 public:
  // Loads a PEM certificate (chain) and its PEM private key and checks that they match.
  // Throws TlsFileError. An encrypted key is refused rather than prompting for a passphrase.
  static std::shared_ptr<TlsContext> load(const std::string& cert_file,
                                          const std::string& key_file);
  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  SSL_CTX* get() const { return ctx_; }

 private:
  explicit TlsContext(SSL_CTX* ctx) : ctx_(ctx) {}
  SSL_CTX* ctx_;
};

// One connection's TLS state, as a server. Feed it what the socket read, read() the plaintext
// out, encrypt() what is to be sent, and write take_output() to the socket after each of these
// (the handshake produces bytes to send while reading).
class TlsSession {
 public:
  explicit TlsSession(const TlsContext& context);
  ~TlsSession();
  TlsSession(const TlsSession&) = delete;
  TlsSession& operator=(const TlsSession&) = delete;

  // Bytes read from the socket.
  void feed(const char* data, size_t length);

  enum class ReadStatus {
    kData,      // `length` bytes of plaintext were written to the buffer
    kWantMore,  // everything fed so far is consumed
    kClosed,    // the client sent close_notify
    kFailed,    // a handshake or protocol failure: error() says what; close the connection
  };
  struct ReadResult {
    ReadStatus status;
    size_t length = 0;
  };
  // Decrypts into `buffer` (completing the handshake first).
  ReadResult read(char* buffer, size_t capacity);
  // Encrypts all of `plaintext` (after the handshake); false on failure (see error()).
  bool encrypt(std::string_view plaintext);
  // Sends close_notify, once and only after a completed handshake.
  void shutdown();
  // The bytes to write to the socket, in order; empty if none.
  std::string take_output();

  bool established() const;
  // The OpenSSL reason of the last failure, e.g. "http request" or "wrong version number".
  const std::string& error() const { return error_; }

 private:
  SSL* ssl_;
  BIO* in_;   // owned by ssl_: ciphertext from the socket
  BIO* out_;  // owned by ssl_: ciphertext for the socket
  bool shutdown_sent_ = false;
  std::string error_;
};

}  // namespace auditrelay::http
