#!/usr/bin/env bash
# Benchmarks of the auditrelay agent. See tests/bench/README.md.
#
#   bash tests/bench/run.sh BUILD_DIR [--records N] [--repeat R] [--keep]
#
# BUILD_DIR is a build tree (Release) holding `auditrelay` and tests/bench/'s tools. Every scenario
# runs over N generated records (default 1,000,000); the table goes to stdout and the results to
# BUILD_DIR/bench-results.json. Generated data lives in a temporary directory under BUILD_DIR,
# removed at the end unless --keep. Needs bash, coreutils and awk only (no network, no python).
set -euo pipefail

usage() {
  echo "usage: $0 BUILD_DIR [--records N] [--repeat R] [--keep]" >&2
  exit 2
}

die() {
  echo "bench: FAILED: $*" >&2
  exit 1
}

# ------------------------------------------------------------------------------------------------
# Arguments

[ $# -ge 1 ] || usage
build_arg=$1
shift
records=1000000
repeat=1
keep=0
while [ $# -gt 0 ]; do
  case $1 in
    --records) [ $# -ge 2 ] || usage; records=$2; shift 2 ;;
    --records=*) records=${1#*=}; shift ;;
    --repeat) [ $# -ge 2 ] || usage; repeat=$2; shift 2 ;;
    --repeat=*) repeat=${1#*=}; shift ;;
    --keep) keep=1; shift ;;
    -h|--help) usage ;;
    *) echo "bench: unknown argument: $1" >&2; usage ;;
  esac
done
[[ $records =~ ^[1-9][0-9]*$ ]] || die "--records must be a positive integer, not '$records'"
[[ $repeat =~ ^[1-9][0-9]*$ ]] || die "--repeat must be a positive integer, not '$repeat'"

[ -d "$build_arg" ] || die "build directory $build_arg does not exist"
build_dir=$(cd "$build_arg" && pwd)
agent=$build_dir/auditrelay
generator=$build_dir/tests/bench/auditrelay_bench_generate
rusage_helper=$build_dir/tests/bench/auditrelay_bench_rusage
[ -x "$agent" ] || die "$agent is missing (build the 'auditrelay' target)"
[ -x "$generator" ] || die "$generator is missing (build with -DAUDITRELAY_BUILD_TESTS=ON)"

build_type=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$build_dir/CMakeCache.txt" 2>/dev/null || true)
if [ "$build_type" != "Release" ]; then
  echo "bench: warning: $build_dir is a '${build_type:-unknown}' build, not Release" >&2
fi

# ------------------------------------------------------------------------------------------------
# How the agent's resources are measured: GNU time when installed, else our wait4() helper.
# BENCH_TIMER=gnu|rusage forces one.

gnu_time=""
if t=$(type -P time) && "$t" --version 2>&1 | grep -q 'GNU'; then
  gnu_time=$t
fi
timer=${BENCH_TIMER:-}
if [ -z "$timer" ]; then
  if [ -n "$gnu_time" ]; then timer=gnu; else timer=rusage; fi
fi
case $timer in
  gnu) [ -n "$gnu_time" ] || die "BENCH_TIMER=gnu but GNU time is not installed" ;;
  rusage) [ -x "$rusage_helper" ] || die "GNU time is not installed and $rusage_helper is missing" ;;
  *) die "BENCH_TIMER must be gnu or rusage" ;;
esac

# measure STDOUT_FILE STDERR_FILE CMD...: runs CMD once; sets m_wall m_user m_sys m_rss_kib
# m_exit from the OS' accounting of CMD's process (children included, none expected).
measure() {
  local out=$1 err=$2 report
  shift 2
  report=$work/report.txt
  if [ "$timer" = gnu ]; then
    local t0=${EPOCHREALTIME:-} t1
    "$gnu_time" -o "$report" -f 'wall_s=%e user_s=%U sys_s=%S maxrss_kib=%M exit=%x' \
      "$@" >"$out" 2>"$err" || true
    t1=${EPOCHREALTIME:-}
    # GNU time prints whole centiseconds; the shell's clock is finer (bash 5).
    if [ -n "$t0" ] && [ -n "$t1" ]; then
      local wall
      wall=$(awk -v a="${t0/,/.}" -v b="${t1/,/.}" 'BEGIN { printf "%.6f", b - a }')
      sed -i "\$s/wall_s=[0-9.]*/wall_s=$wall/" "$report"
    fi
  else
    "$rusage_helper" -o "$report" --stdout "$out" --stderr "$err" -- "$@" || true
  fi
  # The last line is ours (GNU time may put "Command exited with non-zero status" before it).
  local line
  line=$(tail -n 1 "$report")
  m_wall=$(sed -n 's/.*wall_s=\([0-9.]*\).*/\1/p' <<<"$line")
  m_user=$(sed -n 's/.*user_s=\([0-9.]*\).*/\1/p' <<<"$line")
  m_sys=$(sed -n 's/.*sys_s=\([0-9.]*\).*/\1/p' <<<"$line")
  m_rss_kib=$(sed -n 's/.*maxrss_kib=\([0-9]*\).*/\1/p' <<<"$line")
  m_exit=$(sed -n 's/.*exit=\([0-9]*\).*/\1/p' <<<"$line")
  [ -n "$m_wall" ] && [ -n "$m_user" ] && [ -n "$m_sys" ] && [ -n "$m_rss_kib" ] &&
    [ -n "$m_exit" ] || die "could not read the resource report: $(cat "$report")"
}

# ------------------------------------------------------------------------------------------------
# Work directory and data

work=$(mktemp -d "$build_dir/bench-data.XXXXXX")
cleanup() {
  if [ "$keep" = 1 ]; then
    echo "bench: generated data kept in $work" >&2
  else
    rm -rf "$work"
  fi
}
trap cleanup EXIT

cpu_model=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || true)
cpu_model=${cpu_model:-unknown}
ncpu=$(nproc)
mem_mib=$(awk '/^MemTotal:/ { printf "%d", $2 / 1024 }' /proc/meminfo 2>/dev/null || echo 0)
kernel=$(uname -r)
version=$("$agent" --version 2>/dev/null | head -n 1 || true)
source_dir=$(cd "$(dirname "$0")/../.." && pwd)
commit=$(git -C "$source_dir" rev-parse --short HEAD 2>/dev/null || echo none)
if [ "$commit" != none ] && [ -n "$(git -C "$source_dir" status --porcelain 2>/dev/null | head -n 1)" ]; then
  commit="$commit+dirty"
fi

echo "Machine: $ncpu CPUs ($cpu_model), ${mem_mib} MiB RAM, Linux $kernel. auditrelay" \
  "${version:-?} (${build_type:-?} build, source $commit), $records records per scenario," \
  "best wall time of $repeat run(s); agent resources measured by" \
  "$([ "$timer" = gnu ] && echo "GNU time ($gnu_time)" || echo "auditrelay_bench_rusage (wait4)")." \
  "Data in $work."
echo

# generate SCHEMA FILE: N records; prints the generator's size summary.
generate() {
  local schema=$1 file=$2
  "$generator" --schema "$schema" --count "$records" --seed 1 --out "$file" 2>"$work/generate.err" ||
    die "generator failed: $(cat "$work/generate.err")"
  sed 's/^/  generated /' "$work/generate.err" >&2
}

echo "bench: generating $records records of each schema..." >&2
pg_file=$work/policy_gateway.jsonl
ga_file=$work/governance_audit.jsonl
generate policy_gateway "$pg_file"
generate governance_audit "$ga_file"

# A quick correctness check before timing anything: the first records must all normalize.
for pair in "policy_gateway:$pg_file" "governance_audit:$ga_file"; do
  schema=${pair%%:*}
  file=${pair#*:}
  n=$( (head -n 1000 "$file" | "$agent" normalize --schema "$schema" 2>"$work/check.err" || true) | wc -l)
  want=$((records < 1000 ? records : 1000))
  [ "$n" -eq "$want" ] ||
    die "normalize --schema $schema turned the first $want records into $n documents: $(head -n 5 "$work/check.err")"
done

# ------------------------------------------------------------------------------------------------
# Scenarios. Each sets r_* from its best run (lowest wall time).

results=()  # one "name|records|bytes|wall|user|sys|rss_kib" per scenario

# record_run NAME BYTES: keeps the measured run if it is the best so far.
best_wall=""
record_best() {
  if [ -z "$best_wall" ] || awk -v a="$m_wall" -v b="$best_wall" 'BEGIN { exit !(a < b) }'; then
    best_wall=$m_wall
    r_wall=$m_wall r_user=$m_user r_sys=$m_sys r_rss=$m_rss_kib
  fi
}

add_result() {
  local name=$1 bytes=$2
  results+=("$name|$records|$bytes|$r_wall|$r_user|$r_sys|$r_rss")
  best_wall=""
}

# (a), (b): normalize a file to /dev/null.
bench_normalize() {
  local schema=$1 file=$2 i
  echo "bench: normalize $schema..." >&2
  for ((i = 0; i < repeat; i++)); do
    measure /dev/null "$work/normalize.err" "$agent" normalize --schema "$schema" "$file"
    [ "$m_exit" = 0 ] ||
      die "auditrelay normalize --schema $schema exited with $m_exit: $(head -n 5 "$work/normalize.err")"
    record_best
  done
  add_result "normalize $schema" "$(stat -c %s "$file")"
}

# (c): tail input → file output (fsync), `run --once`.
bench_tail_file() {
  local i dir cfg out_file dead_letter lines rejected
  echo "bench: tail -> file..." >&2
  for ((i = 0; i < repeat; i++)); do
    dir=$work/tail-file
    rm -rf "$dir"
    mkdir -p "$dir"
    ln "$pg_file" "$dir/input.jsonl" 2>/dev/null || cp "$pg_file" "$dir/input.jsonl"
    cfg=$dir/auditrelay.yaml
    out_file=$dir/out.ndjson
    dead_letter=$dir/state/dead_letter.ndjson  # the default place
    cat >"$cfg" <<EOF
service:
  log_level: warn
  storage: {path: "$dir/state"}
pipeline:
  normalize: {dataset: policy_gateway.audit, namespace: bench}
  inputs:
    - type: tail
      paths: ["$dir/input.jsonl"]
      read_from_head: true
      schema: policy_gateway
  outputs:
    - type: file
      path: "$out_file"
      fsync: true
EOF
    measure "$dir/run.out" "$dir/run.err" "$agent" run -c "$cfg" --once
    if [ "$m_exit" != 0 ]; then
      echo "--- auditrelay run stderr (last 20 lines) ---" >&2
      tail -n 20 "$dir/run.err" >&2 || true
      die "auditrelay run -c $cfg --once exited with $m_exit"
    fi
    lines=0
    [ -f "$out_file" ] && lines=$(wc -l <"$out_file")
    rejected=0
    [ -f "$dead_letter" ] && rejected=$(wc -l <"$dead_letter")
    if [ "$lines" -ne "$records" ] || [ "$rejected" -ne 0 ]; then
      if [ "$rejected" -ne 0 ]; then
        echo "--- dead letters (first 3 of $rejected) ---" >&2
        head -n 3 "$dead_letter" | cut -c 1-400 >&2
      fi
      echo "--- auditrelay run stderr (last 20 lines) ---" >&2
      tail -n 20 "$dir/run.err" >&2 || true
      echo "--- files under $dir ---" >&2
      find "$dir" -type f -printf '%s\t%p\n' >&2 || true
      die "tail -> file: $out_file has $lines lines (expected exactly $records), $rejected dead letters (use --keep to inspect)"
    fi
    record_best
  done
  add_result "tail -> file (fsync)" "$(stat -c %s "$pg_file")"
}

# (d): the disk buffer alone, per zstd level: append (sync: batch, one fdatasync per batch of
# 1,000) and read back, over the policy_gateway records normalized to documents. Resources come
# from the benchmark's own getrusage() around each phase (loading the documents is not timed).
bench_buffer() {
  local bench=$build_dir/tests/bench/auditrelay_bench_buffer docs=$work/documents.ndjson line
  [ -x "$bench" ] || die "$bench is missing (build the 'auditrelay_bench_buffer' target)"
  echo "bench: buffer..." >&2
  "$agent" normalize --schema policy_gateway "$pg_file" >"$docs" 2>"$work/buffer.err" ||
    die "auditrelay normalize for the buffer documents failed: $(head -n 5 "$work/buffer.err")"
  "$bench" --input "$docs" --levels -1,1,3 --repeat "$repeat" --dir "$work" \
    >"$work/buffer.out" 2>"$work/buffer.err" ||
    die "auditrelay_bench_buffer failed: $(tail -n 5 "$work/buffer.err")"
  # result|NAME|RECORDS|JSON_BYTES|WALL|USER|SYS|RSS_KIB, best of the repeats already.
  while IFS= read -r line; do
    [[ $line == result\|* ]] && results+=("${line#result|}")
  done <"$work/buffer.out"
  sed -n 's/^/  /; /ratio\|:1$/p' "$work/buffer.err" >&2
  rm -f "$docs"
}

bench_normalize policy_gateway "$pg_file"
bench_normalize governance_audit "$ga_file"
bench_tail_file
bench_buffer

# ------------------------------------------------------------------------------------------------
# Table and JSON

json_string() {
  local s=$1
  s=${s//\\/\\\\}
  s=${s//\"/\\\"}
  printf '"%s"' "$s"
}

results_file=$build_dir/bench-results.json
export BENCH_JSON_MACHINE="{\"nproc\": $ncpu, \"cpu_model\": $(json_string "$cpu_model"), \"mem_total_mib\": $mem_mib, \"kernel\": $(json_string "$kernel")}"
export BENCH_JSON_META="\"version\": $(json_string "$version"), \"commit\": $(json_string "$commit"), \"build_type\": $(json_string "$build_type"), \"timer\": $(json_string "$timer"), \"records\": $records, \"repeat\": $repeat, \"date\": $(json_string "$(date -u +%Y-%m-%dT%H:%M:%SZ)")"
printf '%s\n' "${results[@]}" | awk -F'|' -v json="$results_file.tmp" '
  BEGIN {
    fmt = "%-28s %10s %9s %12s %9s %11s %6s %9s\n"
    printf fmt, "scenario", "records", "wall s", "records/s", "MiB/s", "CPU us/rec", "CPU %", "RSS MiB"
    printf fmt, "----------------------------", "----------", "---------", "------------",
           "---------", "-----------", "------", "---------"
    printf "{\n  \"machine\": %s,\n  %s,\n  \"scenarios\": [", ENVIRON["BENCH_JSON_MACHINE"], ENVIRON["BENCH_JSON_META"] > json
  }
  {
    name = $1; n = $2; bytes = $3; wall = $4; cpu = $5 + $6; rss = $7 / 1024
    if (wall <= 0) wall = 0.000001
    rate = n / wall; mibs = bytes / 1048576 / wall; us = cpu * 1e6 / n; util = 100 * cpu / wall
    printf "%-28s %10.0f %9.3f %12.0f %9.1f %11.2f %6.0f %9.1f\n", name, n, wall, rate, mibs, us, util, rss
    printf "%s\n    {\"name\": \"%s\", \"records\": %.0f, \"input_bytes\": %.0f, \"wall_s\": %.6f, \"user_s\": %.6f, \"sys_s\": %.6f, \"records_per_s\": %.1f, \"input_mib_per_s\": %.2f, \"cpu_us_per_record\": %.3f, \"cpu_percent\": %.1f, \"peak_rss_mib\": %.1f}", (NR > 1 ? "," : ""), name, n, bytes, wall, $5, $6, rate, mibs, us, util, rss > json
  }
  END { printf "\n  ]\n}\n" > json }
'
mv "$results_file.tmp" "$results_file"
echo
echo "Results: $results_file"
