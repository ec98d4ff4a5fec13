#!/bin/bash
# run.sh BUILD_DIR SECONDS [TARGET...]: fuzzes each target (default: all) for SECONDS, starting
# from a copy of its seed corpus and regression cases in a temporary directory (the repository
# is never written). Prints one line per target: runs, seconds, coverage, features, corpus
# size, result. Exits non-zero if any target crashed, leaked or hit a sanitizer report; the
# crash input's path and the log are printed then (and kept).
#
# FUZZ_JOBS=2 runs two targets at a time (the default is one). FUZZ_KEEP=1 keeps every work
# directory (the grown corpus is in <work>/corpus) instead of only those that failed.
# FUZZ_CORPUS_DIR=DIR keeps each target's corpus in DIR/<name> instead, so that the next run
# (a CI cache, a longer session) goes on from what this one found. FUZZ_MAX_LEN (16384) caps
# the size of the inputs made; seeds larger than that are cut for fuzzing (replay.sh runs them
# whole).
set -euo pipefail

if [ $# -lt 2 ]; then
  echo "usage: $0 BUILD_DIR SECONDS [TARGET...]" >&2
  exit 2
fi
build_dir=$(cd "$1" && pwd)
seconds=$2
shift 2
here=$(cd "$(dirname "$0")" && pwd)
all_targets=(normalizer config http_request http_body es_bulk_response hec_response
             hec_event webhook_event buffer_recovery report es_answer)
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${all_targets[@]}")
jobs=${FUZZ_JOBS:-1}
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
results=$(mktemp -d "${TMPDIR:-/tmp}/auditrelay-fuzz-results.XXXXXX")
trap 'rm -rf "$results"' EXIT

run_one() {
  local name=$1
  local binary="$build_dir/tests/fuzz/${name}_fuzz"
  if [ ! -x "$binary" ]; then
    printf '%-17s not built (%s)\n' "$name" "$binary" >"$results/$name"
    echo 1 >"$results/$name.rc"
    return
  fi
  local work corpus_dir
  work=$(mktemp -d "${TMPDIR:-/tmp}/auditrelay-fuzz-$name.XXXXXX")
  mkdir -p "$work/artifacts"
  corpus_dir="$work/corpus"
  [ -n "${FUZZ_CORPUS_DIR:-}" ] && corpus_dir="$FUZZ_CORPUS_DIR/$name"
  mkdir -p "$corpus_dir"
  for dir in "$here/corpus/$name" "$here/regressions/$name"; do
    if [ -d "$dir" ]; then cp "$dir"/* "$corpus_dir/" 2>/dev/null || true; fi
  done
  local dict=()
  [ -f "$here/dict/$name.dict" ] && dict=(-dict="$here/dict/$name.dict")
  local start rc=0
  start=$(date +%s)
  # stdin from /dev/null: a configuration naming /dev/stdin as a secret file must not block.
  "$binary" "$corpus_dir" "${dict[@]}" -max_total_time="$seconds" -timeout=10 \
    -rss_limit_mb=2048 -max_len="${FUZZ_MAX_LEN:-16384}" -print_final_stats=1 \
    -artifact_prefix="$work/artifacts/" </dev/null >"$work/log" 2>&1 &
  local pid=$!
  wait "$pid" || rc=$?
  # buffer_recovery's queue directory, left behind when the process died before its atexit.
  rm -rf "/dev/shm/auditrelay-buffer-fuzz-$pid" "${TMPDIR:-/tmp}/auditrelay-buffer-fuzz-$pid"
  local elapsed=$(($(date +%s) - start))
  local runs cov ft corpus
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log" | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "$work/log" | tail -1 | cut -d' ' -f2)
  ft=$(grep -o 'ft: [0-9]*' "$work/log" | tail -1 | cut -d' ' -f2)
  corpus=$(find "$corpus_dir" -type f | wc -l)
  local result=ok
  if [ "$rc" -ne 0 ]; then
    result="FAILED (exit $rc)"
    for crash in "$work"/artifacts/*; do
      [ -f "$crash" ] && result="$result, input: $crash"
    done
    result="$result, log: $work/log"
  fi
  printf '%-17s runs=%-10s time=%ss cov=%-6s ft=%-6s corpus=%-5s %s\n' "$name" "${runs:-?}" \
    "$elapsed" "${cov:-?}" "${ft:-?}" "$corpus" "$result" >"$results/$name"
  echo "$rc" >"$results/$name.rc"
  if [ "$rc" -eq 0 ] && [ "${FUZZ_KEEP:-0}" != 1 ]; then rm -rf "$work"; fi
  if [ "${FUZZ_KEEP:-0}" = 1 ]; then echo "  work dir: $work" >>"$results/$name"; fi
}

running=0
for name in "${targets[@]}"; do
  run_one "$name" &
  running=$((running + 1))
  if [ "$running" -ge "$jobs" ]; then
    wait -n || true
    running=$((running - 1))
  fi
done
wait

failed=0
for name in "${targets[@]}"; do
  cat "$results/$name"
  [ "$(cat "$results/$name.rc")" -eq 0 ] || failed=1
done
exit "$failed"
