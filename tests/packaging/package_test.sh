#!/usr/bin/env bash
# The .deb: built with CPack from the test build tree (its auditrelay binary, nothing
# rebuilt), then its contents, conffiles, permissions and maintainer scripts checked, and
# lintian run on it (errors fail; warnings are printed). Fails, never skips, when a tool is
# missing: packaging/install-deps.sh installs them.
#
# usage: package_test.sh BUILD_DIR
set -euo pipefail

build_dir=$1

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

for tool in cpack dpkg-deb dpkg-shlibdeps lintian; do
  command -v "$tool" >/dev/null || fail "$tool is missing (packaging/install-deps.sh installs it)"
done
[ -f "$build_dir/CPackConfig.cmake" ] || fail "no CPackConfig.cmake in $build_dir"
[ -x "$build_dir/auditrelay" ] || fail "no auditrelay binary in $build_dir (build it first)"
[ -f "$build_dir/package/auditrelay.1.gz" ] ||
  fail "no compressed man page in $build_dir/package (build the auditrelay_package_docs target)"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# --- build ----------------------------------------------------------------------------------
# The tree sets CMAKE_SKIP_INSTALL_ALL_DEPENDENCY: cpack's `preinstall` builds nothing.
if ! cpack -G DEB --config "$build_dir/CPackConfig.cmake" -B "$tmp/out" \
  > "$tmp/cpack.log" 2>&1; then
  cat "$tmp/cpack.log" >&2
  fail "cpack -G DEB"
fi
debs=("$tmp"/out/auditrelay_*.deb)
[ -f "${debs[0]}" ] || { cat "$tmp/cpack.log" >&2; fail "cpack made no auditrelay_*.deb"; }
deb=${debs[0]}
echo "ok: built $(basename "$deb")"

# --- contents -------------------------------------------------------------------------------
dpkg-deb -c "$deb" > "$tmp/contents"
has() {  # has MODE PATH: the entry exists with that mode (as tar prints it)
  awk -v m="$1" -v p="./$2" '$1 == m && $NF == p { found = 1 } END { exit !found }' \
    "$tmp/contents" || { cat "$tmp/contents" >&2; fail "the package lacks $1 $2"; }
}
has -rwxr-xr-x usr/bin/auditrelay
has -rw-r--r-- lib/systemd/system/auditrelay.service
has -rw-r--r-- etc/auditrelay/auditrelay.yaml
has -rw------- etc/default/auditrelay
has -rw-r--r-- usr/share/auditrelay/elastic/index-template.json
has -rw-r--r-- usr/share/auditrelay/elastic/ilm-policy.json
has -rw-r--r-- usr/share/man/man1/auditrelay.1.gz
has -rw-r--r-- usr/share/doc/auditrelay/copyright
has -rw-r--r-- usr/share/doc/auditrelay/changelog.gz
if awk '$2 != "root/root" { bad = 1 } END { exit !bad }' "$tmp/contents"; then
  cat "$tmp/contents" >&2
  fail "files not owned by root/root"
fi
echo "ok: contents ($(wc -l < "$tmp/contents") entries)"

# --- control: conffiles, scripts, dependencies ----------------------------------------------
dpkg-deb -e "$deb" "$tmp/control"
printf '/etc/auditrelay/auditrelay.yaml\n/etc/default/auditrelay\n' > "$tmp/want-conffiles"
diff -u "$tmp/want-conffiles" "$tmp/control/conffiles" || fail "conffiles"
for script in postinst prerm postrm; do
  [ -x "$tmp/control/$script" ] || fail "$script missing or not executable"
  sh -n "$tmp/control/$script" || fail "$script: syntax"
done
grep -q 'adduser --system --group' "$tmp/control/postinst" || fail "postinst creates no user"
grep -q 'deb-systemd-helper enable' "$tmp/control/postinst" || fail "postinst enables nothing"
if grep -Eq 'systemctl[^|]*(start|restart)|deb-systemd-invoke (start|restart)' \
  "$tmp/control/postinst"; then
  fail "postinst starts the service (it must only be enabled on install)"
fi
depends=$(dpkg-deb -f "$deb" Depends)
for dep in adduser libc6 libuv1 libyaml-cpp; do
  [[ $depends == *"$dep"* ]] || fail "Depends lacks $dep: $depends"
done
echo "ok: conffiles, maintainer scripts, Depends: $depends"

# The shipped files are the sources' (the conffile is the production example).
dpkg-deb -x "$deb" "$tmp/root"
source_dir=$(sed -n 's/^CMAKE_HOME_DIRECTORY:INTERNAL=//p' "$build_dir/CMakeCache.txt")
cmp "$tmp/root/etc/auditrelay/auditrelay.yaml" "$source_dir/conf/production.yaml" ||
  fail "auditrelay.yaml is not conf/production.yaml"
cmp "$tmp/root/lib/systemd/system/auditrelay.service" "$source_dir/systemd/auditrelay.service" ||
  fail "the unit differs from systemd/auditrelay.service"
"$tmp/root/usr/bin/auditrelay" --version > /dev/null || fail "the packaged binary does not run"
echo "ok: shipped files"

# postinst, run with stand-ins for the commands it calls (logged): a first install creates the
# user and enables the unit without starting it; without a running systemd nothing else runs.
mkdir -p "$tmp/stubs"
for cmd in adduser deb-systemd-helper deb-systemd-invoke systemctl; do
  printf '#!/bin/sh\necho "%s $*" >> "%s"\n' "$cmd" "$tmp/calls" > "$tmp/stubs/$cmd"
done
printf '#!/bin/sh\nexit 2\n' > "$tmp/stubs/getent"  # no such user yet
chmod +x "$tmp/stubs"/*
PATH="$tmp/stubs:$PATH" sh -e "$tmp/control/postinst" configure ||
  fail "postinst configure (first install) failed"
grep -q '^adduser --system --group .* auditrelay$' "$tmp/calls" || {
  cat "$tmp/calls" >&2
  fail "postinst did not create the auditrelay user"
}
grep -q '^deb-systemd-helper enable auditrelay.service$' "$tmp/calls" || {
  cat "$tmp/calls" >&2
  fail "postinst did not enable the unit"
}
if grep -Eq '(start|restart)' "$tmp/calls"; then
  cat "$tmp/calls" >&2
  fail "postinst started the service on a first install"
fi
PATH="$tmp/stubs:$PATH" sh -e "$tmp/control/prerm" remove || fail "prerm remove failed"
PATH="$tmp/stubs:$PATH" sh -e "$tmp/control/postrm" remove || fail "postrm remove failed"
echo "ok: maintainer scripts (first install enables, starts nothing)"

# --- lintian --------------------------------------------------------------------------------
# Errors fail the test; warnings and the rest are printed for the record. Root may run
# lintian but it says so on stderr: keep that apart.
lintian_rc=0
lintian --fail-on error --display-info "$deb" > "$tmp/lintian.log" 2> "$tmp/lintian.err" ||
  lintian_rc=$?
cat "$tmp/lintian.log"
if [ "$lintian_rc" -ne 0 ] || grep -q '^E: ' "$tmp/lintian.log"; then
  cat "$tmp/lintian.err" >&2
  fail "lintian found errors (exit $lintian_rc)"
fi
echo "ok: lintian, no errors ($(grep -c '^W: ' "$tmp/lintian.log" || true) warnings)"
