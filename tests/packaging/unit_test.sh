#!/usr/bin/env bash
# The systemd unit: `systemd-analyze verify` and the offline security score (exposure 2.0 or
# lower, systemd's "OK"). Fails, never skips, when systemd-analyze is missing:
# packaging/install-deps.sh installs it.
#
# verify loads the unit as PID 1 would and wants every Exec*= binary to exist. The unit names
# /usr/bin/auditrelay, which need not exist here, so a copy of it is verified with that path
# rewritten to the build tree's binary: the rest of the unit is checked as shipped. The man
# page of Documentation= is not looked up (--man=no): man-db need not be installed, and the
# package test checks the page is in the .deb.
#
# usage: unit_test.sh SOURCE_DIR AUDITRELAY_BINARY
set -euo pipefail

source_dir=$1
binary=$(realpath -m -- "$2")
unit=$source_dir/systemd/auditrelay.service
max_exposure=2.0

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

command -v systemd-analyze >/dev/null || fail "systemd-analyze is missing (packaging/install-deps.sh installs systemd)"
[ -x "$binary" ] || fail "no auditrelay binary at $binary (build the auditrelay target)"
[ -f "$unit" ] || fail "no unit at $unit"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# --- verify, on a copy whose binary path is the build tree's -------------------------------
sed "s|/usr/bin/auditrelay|$binary|g" "$unit" > "$tmp/auditrelay.service"
grep -q "^ExecStart=$binary run " "$tmp/auditrelay.service" || fail "ExecStart= not rewritten"
if ! systemd-analyze verify --man=no "$tmp/auditrelay.service" > "$tmp/verify.log" 2>&1; then
  cat "$tmp/verify.log" >&2
  fail "systemd-analyze verify"
fi
# verify exits 0 on some problems it only warns about (an unknown key, a bad value).
if grep -v '^$' "$tmp/verify.log" | grep -q .; then
  cat "$tmp/verify.log" >&2
  fail "systemd-analyze verify printed warnings"
fi
echo "ok: systemd-analyze verify"

# --- what the issue asks of the unit --------------------------------------------------------
for line in 'Type=notify' 'User=auditrelay' 'Restart=on-failure' 'StateDirectory=auditrelay' \
  'ConfigurationDirectory=auditrelay' 'EnvironmentFile=-/etc/default/auditrelay' \
  'ExecStartPre=/usr/bin/auditrelay check -c /etc/auditrelay/auditrelay.yaml' \
  'ExecReload=/bin/kill -HUP $MAINPID' 'ProtectSystem=strict' 'NoNewPrivileges=yes' \
  'CapabilityBoundingSet=' 'SystemCallFilter=@system-service' 'MemoryDenyWriteExecute=yes' \
  'UMask=0077' 'ReadOnlyPaths=-/var/log/policy-gateway'; do
  grep -qxF -- "$line" "$unit" || fail "the unit lacks the line: $line"
done
echo "ok: unit settings"

# --- security score -------------------------------------------------------------------------
# --threshold is in tenths of the printed level: the command fails above it.
if ! systemd-analyze security --offline=true --threshold=20 --no-pager "$unit" \
  > "$tmp/security.log" 2>&1; then
  cat "$tmp/security.log" >&2
  fail "systemd-analyze security: exposure above $max_exposure"
fi
level=$(sed -n 's/.*Overall exposure level for auditrelay.service: \([0-9.]*\).*/\1/p' \
  "$tmp/security.log")
[ -n "$level" ] || { cat "$tmp/security.log" >&2; fail "no exposure level in the output"; }
awk -v l="$level" -v m="$max_exposure" 'BEGIN { exit !(l <= m) }' ||
  fail "exposure $level above $max_exposure"
echo "ok: systemd-analyze security --offline=true: exposure $level (at most $max_exposure)"
