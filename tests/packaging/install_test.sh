#!/usr/bin/env bash
# The .deb installed for real (issue 9): built with CPack from the test build tree into a
# temporary directory (as package_test.sh does; nothing rebuilt), installed with `dpkg -i`,
# checked (the binary on PATH, the system user, the conffiles and their modes, `auditrelay
# check` on the installed configuration, the unit enabled but not started), purged, and the
# machine checked to be as it was before.
#
# Needs root: CI runs `make test` as root. Fails, never skips, when not root or when a tool is
# missing (packaging/install-deps.sh installs them; the package's own dependencies too). It
# refuses, before touching anything, to run on a machine where auditrelay is already installed
# (any dpkg state but not-installed, config-files included), /usr/bin/auditrelay exists, or the
# unit or its enablement is already there: it never replaces or removes what it did not put
# there. Whatever happens after `dpkg -i`, the EXIT trap purges the package and removes the
# system user and group if this run created them, so a failed run does not leave the package
# installed.
#
# usage: install_test.sh BUILD_DIR SOURCE_DIR
set -euo pipefail

build_dir=$1
source_dir=$2

# The installed commands, not whatever a developer's PATH finds first.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export DEBIAN_FRONTEND=noninteractive
export LC_ALL=C

pkg=auditrelay
unit=auditrelay.service
unit_file=/lib/systemd/system/$unit
wants_link=/etc/systemd/system/multi-user.target.wants/$unit
dsh_enabled=/var/lib/systemd/deb-systemd-helper-enabled
dsh_masked=/var/lib/systemd/deb-systemd-helper-masked
# What the package (and its maintainer scripts) may create; none of it may be there before or
# after.
leftovers=(/usr/bin/auditrelay /etc/auditrelay /etc/default/auditrelay /var/lib/auditrelay
  /var/log/auditrelay /usr/share/auditrelay /usr/share/doc/auditrelay
  /usr/share/man/man1/auditrelay.1.gz "$unit_file" "/usr/lib/systemd/system/$unit"
  "$wants_link" "/etc/systemd/system/$unit" "$dsh_enabled/$unit.dsh-also"
  "$dsh_enabled/multi-user.target.wants/$unit" "$dsh_masked/$unit")

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

pkg_status() {  # dpkg's state of the package: installed, config-files, ..., or not-installed
  dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || echo not-installed
}

# --- preconditions: root, tools, a machine without auditrelay --------------------------------
[ "$(id -u)" -eq 0 ] ||
  fail "must run as root (it installs the .deb with dpkg -i and purges it); CI runs make test as root"
for tool in cpack dpkg dpkg-deb dpkg-query deb-systemd-helper adduser deluser delgroup getent \
  flock; do
  command -v "$tool" >/dev/null || fail "$tool is missing (packaging/install-deps.sh installs it)"
done
[ -f "$build_dir/CPackConfig.cmake" ] || fail "no CPackConfig.cmake in $build_dir"
[ -x "$build_dir/auditrelay" ] || fail "no auditrelay binary in $build_dir (build it first)"
[ -f "$build_dir/package/auditrelay.1.gz" ] ||
  fail "no compressed man page in $build_dir/package (build the auditrelay_package_docs target)"

# Two runs of this test at once (ctest -j in two build trees of this checkout) would purge
# each other's package: the second waits for the first. The lock is on this script, so it
# leaves no file behind.
exec 9< "${BASH_SOURCE[0]}"
flock -w 120 9 || fail "another run of $(basename "${BASH_SOURCE[0]}") holds the lock"

status=$(pkg_status)
[ "$status" = not-installed ] ||
  fail "a package named $pkg is already on this machine (dpkg state: $status); not touching it"
for path in "${leftovers[@]}"; do
  if [ -e "$path" ] || [ -L "$path" ]; then
    fail "$path already exists: this machine has an auditrelay installation; not touching it"
  fi
done
# The system user may remain from an earlier installation (Debian leaves system users on
# purge): then postinst keeps it, and so does this test.
user_existed=no group_existed=no
getent passwd "$pkg" >/dev/null && user_existed=yes
getent group "$pkg" >/dev/null && group_existed=yes

tmp=$(mktemp -d)
installed=no
cleanup() {
  local rc=$?
  trap - EXIT INT TERM HUP
  if [ "$installed" = yes ] && [ "$(pkg_status)" != not-installed ]; then
    echo "cleanup: dpkg --purge $pkg" >&2
    if ! dpkg --purge "$pkg" > "$tmp/cleanup-purge.log" 2>&1 </dev/null; then
      cat "$tmp/cleanup-purge.log" >&2
      dpkg --purge --force-remove-reinstreq "$pkg" >&2 </dev/null ||
        echo "cleanup: FAILED to purge $pkg: remove it by hand" >&2
    fi
  fi
  # Debian packages leave their system users on purge, by policy (files elsewhere may still
  # belong to them). This test removes the user and group the package created, so the machine
  # is left as it was; one that existed before the run is kept.
  if [ "$user_existed" = no ] && getent passwd "$pkg" >/dev/null; then
    # (Its output, a note about crontab without cron, only when it fails.)
    deluser --quiet --system "$pkg" > "$tmp/deluser.log" 2>&1 ||
      { cat "$tmp/deluser.log" >&2; echo "cleanup: FAILED to delete user $pkg" >&2; }
  fi
  if [ "$group_existed" = no ] && getent group "$pkg" >/dev/null; then
    delgroup --quiet --system "$pkg" > "$tmp/delgroup.log" 2>&1 ||
      { cat "$tmp/delgroup.log" >&2; echo "cleanup: FAILED to delete group $pkg" >&2; }
  fi
  rm -rf "$tmp"
  exit "$rc"
}
trap cleanup EXIT
# A command failing without a `fail` of its own (set -e) says which one it was.
set -E
trap 'echo "FAIL: line $LINENO: $BASH_COMMAND (exit $?)" >&2' ERR
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# --- build ----------------------------------------------------------------------------------
if ! cpack -G DEB --config "$build_dir/CPackConfig.cmake" -B "$tmp/out" \
  > "$tmp/cpack.log" 2>&1; then
  cat "$tmp/cpack.log" >&2
  fail "cpack -G DEB"
fi
debs=("$tmp"/out/auditrelay_*.deb)
[ -f "${debs[0]}" ] || { cat "$tmp/cpack.log" >&2; fail "cpack made no auditrelay_*.deb"; }
deb=${debs[0]}
version=$(dpkg-deb -f "$deb" Version)
echo "ok: built $(basename "$deb")"

# --- install --------------------------------------------------------------------------------
installed=yes  # from here on, whatever dpkg leaves behind is purged by the trap
if ! dpkg -i "$deb" > "$tmp/dpkg-i.log" 2>&1 </dev/null; then
  cat "$tmp/dpkg-i.log" >&2
  if grep -q 'depends on' "$tmp/dpkg-i.log"; then
    echo "missing dependencies (packaging/install-deps.sh installs them):" >&2
    grep -E 'depends on|is not installed' "$tmp/dpkg-i.log" | sed 's/^ */  /' >&2
    fail "dpkg -i: missing dependencies"
  fi
  fail "dpkg -i $(basename "$deb")"
fi
[ "$(pkg_status)" = installed ] || fail "after dpkg -i, $pkg is $(pkg_status), not installed"
echo "ok: dpkg -i (version $version)"

# --- installed ------------------------------------------------------------------------------
[ "$(command -v auditrelay)" = /usr/bin/auditrelay ] ||
  fail "auditrelay on PATH is '$(command -v auditrelay || true)', not /usr/bin/auditrelay"
out=$(auditrelay version) || fail "auditrelay version failed"
[ "$out" = "auditrelay $version" ] || fail "auditrelay version printed '$out', want 'auditrelay $version'"
echo "ok: $out"

getent passwd "$pkg" > "$tmp/passwd" || fail "no system user $pkg"
IFS=: read -r _ _ uid gid _ home shell < "$tmp/passwd"
[ "$uid" -lt 1000 ] || fail "user $pkg has uid $uid: not a system user"
[ "$(getent group "$gid" | cut -d: -f1)" = "$pkg" ] || fail "user $pkg's group is not $pkg"
[ "$home" = /var/lib/auditrelay ] || fail "user $pkg's home is $home, not /var/lib/auditrelay"
case $shell in */nologin | /bin/false) ;; *) fail "user $pkg has a login shell: $shell" ;; esac
echo "ok: system user $pkg (uid $uid, home $home, shell $shell)"

mode() {  # mode PATH WANT: permissions and owner as stat prints them
  local got
  got=$(stat -c '%a %U:%G' "$1") || fail "$1 is not installed"
  [ "$got" = "$2" ] || fail "$1 is $got, want $2"
}
mode /etc/auditrelay/auditrelay.yaml '644 root:root'
mode /etc/default/auditrelay '600 root:root'
mode /usr/bin/auditrelay '755 root:root'
mode "$unit_file" '644 root:root'
cmp -s "$unit_file" "$source_dir/systemd/auditrelay.service" ||
  fail "$unit_file differs from systemd/auditrelay.service"
cmp -s /etc/auditrelay/auditrelay.yaml "$source_dir/conf/production.yaml" ||
  fail "/etc/auditrelay/auditrelay.yaml differs from conf/production.yaml"
echo "ok: configuration (0644) and secrets file (0600), unit file installed"

# `auditrelay check` as README.md documents it: the secrets in the environment.
if ! env ELASTIC_API_KEY=test-key auditrelay check -c /etc/auditrelay/auditrelay.yaml \
  > "$tmp/check.out" 2> "$tmp/check.err"; then
  cat "$tmp/check.out" "$tmp/check.err" >&2
  fail "auditrelay check -c /etc/auditrelay/auditrelay.yaml with ELASTIC_API_KEY set"
fi
if grep -q test-key "$tmp/check.out" "$tmp/check.err"; then
  cat "$tmp/check.out" >&2
  fail "auditrelay check printed the API key (secrets must be masked)"
fi
echo "ok: auditrelay check with ELASTIC_API_KEY=test-key"
if env -u ELASTIC_API_KEY auditrelay check -c /etc/auditrelay/auditrelay.yaml \
  > "$tmp/check.out" 2> "$tmp/check.err"; then
  fail "auditrelay check passed without ELASTIC_API_KEY"
fi
grep -q ELASTIC_API_KEY "$tmp/check.err" || {
  cat "$tmp/check.err" >&2
  fail "auditrelay check without ELASTIC_API_KEY does not name the key"
}
echo "ok: auditrelay check without ELASTIC_API_KEY fails: $(grep -m1 ELASTIC_API_KEY "$tmp/check.err" | sed "s/^ *//")"

# Enabled (deb-systemd-helper's state and the wants symlink), not started.
# (deb-systemd-helper itself runs only from maintainer scripts: read its state files.)
[ -f "$dsh_enabled/$unit.dsh-also" ] ||
  fail "deb-systemd-helper did not enable $unit: no $dsh_enabled/$unit.dsh-also"
[ -e "$dsh_enabled/multi-user.target.wants/$unit" ] ||
  fail "deb-systemd-helper did not enable $unit: no $dsh_enabled/multi-user.target.wants/$unit"
# The link names /lib/... or /usr/lib/... (merged /usr): compare where it leads.
if ! [ -L "$wants_link" ] || [ "$(realpath "$wants_link")" != "$(realpath "$unit_file")" ]; then
  fail "$wants_link is not a link to $unit_file ($(ls -l "$wants_link" 2>&1))"
fi
if [ -d /run/systemd/system ]; then
  [ "$(systemctl is-enabled "$unit" 2>&1)" = enabled ] || fail "systemctl: $unit is not enabled"
  if systemctl --quiet is-active "$unit"; then fail "systemctl: $unit was started"; fi
fi
# Other tests run build-tree auditrelay processes meanwhile: look only for the installed
# binary and for processes of the service user.
for exe in /proc/[0-9]*/exe; do
  if [ "$(readlink "$exe" 2>/dev/null)" = /usr/bin/auditrelay ]; then
    fail "an auditrelay process is running: $(tr '\0' ' ' < "${exe%/exe}/cmdline")"
  fi
done
if pgrep -u "$pkg" > "$tmp/pids"; then
  fail "processes of user $pkg are running: $(tr '\n' ' ' < "$tmp/pids")"
fi
echo "ok: $unit enabled ($wants_link), not started"

# --- purge ----------------------------------------------------------------------------------
if ! dpkg --purge "$pkg" > "$tmp/dpkg-purge.log" 2>&1 </dev/null; then
  cat "$tmp/dpkg-purge.log" >&2
  fail "dpkg --purge $pkg"
fi
[ "$(pkg_status)" = not-installed ] || fail "after dpkg --purge, $pkg is $(pkg_status)"
left=()
for path in "${leftovers[@]}"; do
  if [ -e "$path" ] || [ -L "$path" ]; then left+=("$path"); fi
done
[ ${#left[@]} -eq 0 ] || fail "dpkg --purge left: ${left[*]}"
echo "ok: dpkg --purge left nothing behind (${#leftovers[@]} paths checked)"

# The user (kept by purge, by policy) goes in the trap; check that it did.
cleanup_rc=0
(cleanup) || cleanup_rc=$?
[ "$cleanup_rc" -eq 0 ] || fail "cleanup failed"
if [ "$user_existed" = no ] && getent passwd "$pkg" >/dev/null; then
  fail "user $pkg still exists after deluser"
fi
if [ "$group_existed" = no ] && getent group "$pkg" >/dev/null; then
  fail "group $pkg still exists after delgroup"
fi
echo "ok: user and group $pkg removed (user existed before: $user_existed)"
