// Connection's TLS side: the bytes read are decrypted into the parser, the answers encrypted
// before they are written, and the handshake's own bytes written as they come.
#include "agent/core/log.h"
#include "agent/http/connection.h"
#include "agent/http/tls.h"

namespace auditrelay::http {

void Connection::on_tls_read(const char* data, size_t length) {
  tls_->feed(data, length);
  // `data` is the read buffer, which the session copied: the plaintext can go there.
  char* plaintext = read_buffer_.get();
  bool was_established = tls_->established();
  bool peer_closed = false;
  while (!discarding_ && !closed_) {
    TlsSession::ReadResult result = tls_->read(plaintext, kReadBufferSize);
    if (result.status == TlsSession::ReadStatus::kData) {
      parse(plaintext, result.length);
      continue;
    }
    if (result.status == TlsSession::ReadStatus::kWantMore) break;
    if (result.status == TlsSession::ReadStatus::kClosed) {
      peer_closed = true;
      break;
    }
    // A plaintext request to this port ends here too ("http request").
    Logger("http_server")
        .debug(was_established ? "TLS error, connection closed"
                               : "TLS handshake failed, connection closed",
               {{"peer", peer_}, {"error", tls_->error()}});
    fail_tls();
    return;
  }
  if (closed_ || !send_tls_output()) return;
  dispatch();
  flush();
  // The client's close_notify: as its FIN would be, once the requests before it are read.
  if (peer_closed && !closed_ && !peer_eof_) on_peer_eof();
}

bool Connection::encrypt(std::vector<std::string>& chunks) {
  for (const std::string& chunk : chunks) {
    if (!tls_->encrypt(chunk)) {
      Logger("http_server")
          .debug("TLS error, connection closed", {{"peer", peer_}, {"error", tls_->error()}});
      fail_tls();
      return false;
    }
  }
  chunks.clear();
  chunks.push_back(tls_->take_output());
  return true;
}

bool Connection::send_tls_output() {
  std::string bytes = tls_->take_output();
  if (bytes.empty()) return true;
  std::vector<std::string> chunks;
  chunks.push_back(std::move(bytes));
  return write(std::move(chunks));
}

bool Connection::send_close_notify() {
  tls_->shutdown();  // once; a no-op afterwards and before the handshake completed
  std::string bytes = tls_->take_output();
  if (bytes.empty()) return false;
  std::vector<std::string> chunks;
  chunks.push_back(std::move(bytes));
  write(std::move(chunks));  // on failure the connection is closed already
  return true;
}

void Connection::fail_tls() {
  pending_.clear();
  parsed_.clear();
  mid_message_ = false;
  reading_headers_ = false;
  arm(Deadline::kNone, 0);
  // The alert OpenSSL queued tells the client why (a TLS client; others ignore it).
  if (!send_tls_output()) return;
  close_after_writes(false);
}

}  // namespace auditrelay::http
