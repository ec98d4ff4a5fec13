#!/bin/sh
# replay.sh BINARY DIR...: runs a fuzz target once over every file of the given directories
# (missing ones are skipped), as plain inputs: no fuzzing, nothing written. The ctest
# test_fuzz_regressions_<name> runs it over regressions/<name> and corpus/<name>.
set -eu
binary=$1
here=$(cd "$(dirname "$0")" && pwd)
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
shift
files=""
for dir in "$@"; do
  [ -d "$dir" ] || continue
  for f in "$dir"/*; do
    [ -f "$f" ] || continue
    files="$files $f"
  done
done
if [ -z "$files" ]; then
  echo "replay.sh: no inputs in $*"
  exit 0
fi
# Inputs given as files are each executed once; the word splitting of $files is wanted (the
# repository's paths hold no spaces).
# shellcheck disable=SC2086
exec "$binary" -timeout=10 -rss_limit_mb=2048 $files </dev/null
