#!/usr/bin/env bash
# Installs, from Debian packages only, whatever auditrelay needs to build, test and benchmark.
# Idempotent: packages already present are left alone, and apt is not touched when nothing is
# missing. Run as root (or with sudo available).
set -euo pipefail

packages=(
  build-essential cmake make pkgconf git ca-certificates
  libuv1-dev            # the event loop
  libcurl4-openssl-dev  # HTTP client (multi interface)
  libhttp-parser-dev    # HTTP/1.1 request parser (test receivers, HTTP input)
  zlib1g-dev            # gzip request bodies
  openssl               # test certificates and a TLS peer for the HTTP client tests
  libyaml-cpp-dev       # configuration
  rapidjson-dev         # JSON parse and write
  libsimdjson-dev       # fast field scans of documents (splunk_hec indexed fields)
  libzstd-dev           # buffer compression
  zstd                  # the report benchmark compresses its documents (make bench)
  libxxhash-dev         # record ids and fingerprints
  libssl-dev            # HMAC, TLS, base64
  libcli11-dev          # command line
  doctest-dev           # tests
  prometheus            # promtool: checks the metrics exposition (integration tests)
  libsystemd-dev        # sd_notify: readiness and watchdog under systemd (Type=notify)
  systemd               # systemd-analyze: verify and score the unit (tests/packaging)
  dpkg-dev              # dpkg-shlibdeps: the .deb's Depends (make package, CPack)
  lintian               # checks the .deb (tests/packaging)
  adduser               # the .deb's maintainer scripts create the auditrelay user (tests/packaging)
  clang ninja-build     # the sanitizer and fuzzing builds of `make test` (ASan, UBSan, TSan)
  libclang-rt-14-dev    # clang's sanitizer and libFuzzer runtimes
  llvm                  # llvm-symbolizer: sanitizer reports with file and line
  chromium              # headless browser: tests/report_html checks the HTML report page
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

# Node.js and npm run the fake webhook receiver's signature check (the official
# standardwebhooks package, installed by the build with npm ci). A machine may already have
# them from another source (NodeSource's nodejs ships npm): only the commands count.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  missing+=(nodejs npm)
fi

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "install-deps: installing ${missing[*]}" >&2
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
# Refresh the package lists only when they are missing or older than a day.
if [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -mmin -1440 2>/dev/null | head -n 1)" ]; then
  $sudo apt-get update -qq
fi
# Lists a few hours old can still name versions the archive has since replaced: refresh them
# and try once more before giving up.
if ! $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; then
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
