// Test support: a self-signed certificate and its key, made with OpenSSL's API (no `openssl`
// command, no network), for the TLS tests of the HTTP server and input.
#pragma once

#include <filesystem>
#include <string>

namespace auditrelay::test {

struct CertificateFiles {
  std::filesystem::path cert_file;  // PEM certificate, also the CA file a client trusts
  std::filesystem::path key_file;   // PEM private key, unencrypted, mode 0600
};

// Writes DIR/NAME.crt and DIR/NAME.key: an EC P-256 key and a certificate for "localhost" and
// 127.0.0.1 (subjectAltName), valid from an hour ago for a day. Throws std::runtime_error.
CertificateFiles write_self_signed_certificate(const std::filesystem::path& dir,
                                               const std::string& name = "server");

}  // namespace auditrelay::test
