#!/usr/bin/env bash
# Benchmarks of the auditrelay agent. See tests/bench/README.md.
#
#   bash tests/bench/run.sh BUILD_DIR [--records N] [--repeat R] [--keep] [--only NAME[,NAME]]
#                           [--report-records M]
#
# BUILD_DIR is a build tree (Release) holding `auditrelay` and tests/bench/'s tools (and
# tests/fakes/fake_elasticsearch and fake_splunk_hec for the scenarios into them). Every
# scenario runs over N generated records (default 1,000,000); the table goes to stdout and the
# results to BUILD_DIR/bench-results.json. Generated data lives in a temporary directory under
# BUILD_DIR, removed at the end unless --keep. --only runs some scenarios: normalize, tail-file,
# buffer, tail-elasticsearch, backlog-elasticsearch, tail-splunk-hec, tail-splunk-hec-ack,
# tail-fanout, http-elasticsearch, report (`auditrelay report` over M normalized documents in a
# .zst file; default 10,000,000). Needs bash, zstd, coreutils and awk only (no python; the fakes
# listen on 127.0.0.1 and are driven through bash's /dev/tcp; the HTTP input's load comes from
# tests/bench's auditrelay_bench_http_load).
set -euo pipefail

usage() {
  echo "usage: $0 BUILD_DIR [--records N] [--repeat R] [--keep] [--only NAME[,NAME]] [--report-records M]" >&2
  echo "  scenarios (for --only): $all_scenarios" >&2
  exit 2
}

die() {
  echo "bench: FAILED: $*" >&2
  exit 1
}

all_scenarios="normalize tail-file buffer tail-elasticsearch backlog-elasticsearch tail-splunk-hec tail-splunk-hec-ack tail-fanout http-elasticsearch report"

# ------------------------------------------------------------------------------------------------
# Arguments

[ $# -ge 1 ] || usage
build_arg=$1
shift
records=1000000
report_records=10000000
repeat=1
keep=0
only=""
while [ $# -gt 0 ]; do
  case $1 in
    --records) [ $# -ge 2 ] || usage; records=$2; shift 2 ;;
    --records=*) records=${1#*=}; shift ;;
    --repeat) [ $# -ge 2 ] || usage; repeat=$2; shift 2 ;;
    --repeat=*) repeat=${1#*=}; shift ;;
    --report-records) [ $# -ge 2 ] || usage; report_records=$2; shift 2 ;;
    --report-records=*) report_records=${1#*=}; shift ;;
    --keep) keep=1; shift ;;
    --only) [ $# -ge 2 ] || usage; only=$2; shift 2 ;;
    --only=*) only=${1#*=}; shift ;;
    -h|--help) usage ;;
    *) echo "bench: unknown argument: $1" >&2; usage ;;
  esac
done
[[ $records =~ ^[1-9][0-9]*$ ]] || die "--records must be a positive integer, not '$records'"
[[ $repeat =~ ^[1-9][0-9]*$ ]] || die "--repeat must be a positive integer, not '$repeat'"
[[ $report_records =~ ^[1-9][0-9]*$ ]] ||
  die "--report-records must be a positive integer, not '$report_records'"
scenarios=$all_scenarios
if [ -n "$only" ]; then
  scenarios=""
  IFS=, read -r -a only_names <<<"$only"
  for name in "${only_names[@]}"; do
    [[ " $all_scenarios " == *" $name "* ]] ||
      die "--only: unknown scenario '$name' (choose from: ${all_scenarios// /, })"
    [[ " $scenarios " == *" $name "* ]] || scenarios="${scenarios:+$scenarios }$name"
  done
  [ -n "$scenarios" ] || die "--only needs at least one scenario name"
fi
# selected NAME: whether scenario NAME runs.
selected() {
  [[ " $scenarios " == *" $1 "* ]]
}

[ -d "$build_arg" ] || die "build directory $build_arg does not exist"
build_dir=$(cd "$build_arg" && pwd)
agent=$build_dir/auditrelay
generator=$build_dir/tests/bench/auditrelay_bench_generate
rusage_helper=$build_dir/tests/bench/auditrelay_bench_rusage
[ -x "$agent" ] || die "$agent is missing (build the 'auditrelay' target)"
[ -x "$generator" ] || die "$generator is missing (build with -DAUDITRELAY_BUILD_TESTS=ON)"
fake_es=$build_dir/tests/fakes/fake_elasticsearch
if selected tail-elasticsearch || selected backlog-elasticsearch || selected http-elasticsearch; then
  [ -x "$fake_es" ] || die "$fake_es is missing (build the 'fake_elasticsearch' target)"
fi
http_load=$build_dir/tests/bench/auditrelay_bench_http_load
if selected http-elasticsearch; then
  [ -x "$http_load" ] || die "$http_load is missing (build the 'auditrelay_bench_http_load' target)"
fi
fake_hec=$build_dir/tests/fakes/fake_splunk_hec
if selected tail-splunk-hec || selected tail-splunk-hec-ack || selected tail-fanout; then
  [ -x "$fake_hec" ] || die "$fake_hec is missing (build the 'fake_splunk_hec' target)"
fi
fake_webhook_js=$build_dir/tests/fakes/fake_webhook/fake_webhook.js
if selected tail-fanout; then
  [ -x "$fake_es" ] || die "$fake_es is missing (build the 'fake_elasticsearch' target)"
  [ -f "$fake_webhook_js" ] || die "$fake_webhook_js is missing (build the 'fake_webhook' target)"
  command -v node >/dev/null || die "tail-fanout needs node (Node.js) for the fake webhook"
fi

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
# m_exit from the OS' accounting of CMD's process (children included, none expected), and
# m_oublock (ru_oublock: 512-byte units the kernel charged CMD for writing to block devices) with
# GNU time only, else empty.
measure() {
  measure_start "$@"
  measure_finish
}

# measure_start STDOUT_FILE STDERR_FILE CMD...: the same, but CMD runs in the background under
# the timer; measure_finish waits for it and sets the m_* figures. m_timer_pid is the timer's
# process (GNU time or auditrelay_bench_rusage), whose only child is CMD (measured_child_pid
# finds it, to signal CMD itself: GNU time dies of SIGTERM without reporting).
m_timer_pid=""
measure_start() {
  local out=$1 err=$2
  shift 2
  m_report=$work/report.txt
  rm -f "$m_report"
  m_t0=${EPOCHREALTIME:-}
  if [ "$timer" = gnu ]; then
    "$gnu_time" -o "$m_report" -f 'wall_s=%e user_s=%U sys_s=%S maxrss_kib=%M oublock=%O exit=%x' \
      "$@" >"$out" 2>"$err" &
  else
    "$rusage_helper" -o "$m_report" --stdout "$out" --stderr "$err" -- "$@" &
  fi
  m_timer_pid=$!
}

# measured_child_pid: prints the pid of the command measure_start started (waits up to 5 s for
# the timer to fork it); nothing when there is none.
measured_child_pid() {
  local i child
  for ((i = 0; i < 100; i++)); do
    child=$(pgrep -P "$m_timer_pid" 2>/dev/null | head -n 1 || true)
    [ -n "$child" ] && break
    kill -0 "$m_timer_pid" 2>/dev/null || break
    sleep 0.05
  done
  echo "$child"
}

measure_finish() {
  local t1 report=$m_report
  wait "$m_timer_pid" || true
  m_timer_pid=""
  t1=${EPOCHREALTIME:-}
  # GNU time prints whole centiseconds; the shell's clock is finer (bash 5).
  if [ "$timer" = gnu ] && [ -n "$m_t0" ] && [ -n "$t1" ] && [ -s "$report" ]; then
    local wall
    wall=$(awk -v a="${m_t0/,/.}" -v b="${t1/,/.}" 'BEGIN { printf "%.6f", b - a }')
    sed -i "\$s/wall_s=[0-9.]*/wall_s=$wall/" "$report"
  fi
  [ -s "$report" ] || die "the timer wrote no resource report"
  # The last line is ours (GNU time may put "Command exited with non-zero status" before it).
  local line
  line=$(tail -n 1 "$report")
  m_wall=$(sed -n 's/.*wall_s=\([0-9.]*\).*/\1/p' <<<"$line")
  m_user=$(sed -n 's/.*user_s=\([0-9.]*\).*/\1/p' <<<"$line")
  m_sys=$(sed -n 's/.*sys_s=\([0-9.]*\).*/\1/p' <<<"$line")
  m_rss_kib=$(sed -n 's/.*maxrss_kib=\([0-9]*\).*/\1/p' <<<"$line")
  m_exit=$(sed -n 's/.*exit=\([0-9]*\).*/\1/p' <<<"$line")
  m_oublock=$(sed -n 's/.*oublock=\([0-9]*\).*/\1/p' <<<"$line")
  [ -n "$m_wall" ] && [ -n "$m_user" ] && [ -n "$m_sys" ] && [ -n "$m_rss_kib" ] &&
    [ -n "$m_exit" ] || die "could not read the resource report: $(cat "$report")"
}

# ------------------------------------------------------------------------------------------------
# Work directory and data

work=$(mktemp -d "$build_dir/bench-data.XXXXXX")
fake_pid=""  # the fake (Elasticsearch, Splunk HEC) while a scenario into it runs
fanout_pids=()  # the fakes of tail-fanout while it runs
cleanup() {
  if [ -n "$m_timer_pid" ]; then  # an agent measured in the background (http-elasticsearch)
    local child
    child=$(pgrep -P "$m_timer_pid" 2>/dev/null | head -n 1 || true)
    [ -z "$child" ] || kill -TERM "$child" 2>/dev/null || true
    wait "$m_timer_pid" 2>/dev/null || true
    m_timer_pid=""
  fi
  if [ -n "$fake_pid" ]; then
    kill -TERM "$fake_pid" 2>/dev/null || true
    wait "$fake_pid" 2>/dev/null || true
    fake_pid=""
  fi
  stop_fanout_fakes
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
  "median wall time of $repeat run(s)${only:+, scenarios: ${scenarios// /, }}; agent resources measured by" \
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

# Every scenario reads policy_gateway records; only normalize reads governance_audit ones.
pg_file=$work/policy_gateway.jsonl
ga_file=$work/governance_audit.jsonl
check_pairs=("policy_gateway:$pg_file")
if selected normalize; then
  echo "bench: generating $records records of each schema..." >&2
  generate policy_gateway "$pg_file"
  generate governance_audit "$ga_file"
  check_pairs+=("governance_audit:$ga_file")
else
  echo "bench: generating $records policy_gateway records..." >&2
  generate policy_gateway "$pg_file"
fi

# A quick correctness check before timing anything: the first records must all normalize.
for pair in "${check_pairs[@]}"; do
  schema=${pair%%:*}
  file=${pair#*:}
  n=$( (head -n 1000 "$file" | "$agent" normalize --schema "$schema" 2>"$work/check.err" || true) | wc -l)
  want=$((records < 1000 ? records : 1000))
  [ "$n" -eq "$want" ] ||
    die "normalize --schema $schema turned the first $want records into $n documents: $(head -n 5 "$work/check.err")"
done

# ------------------------------------------------------------------------------------------------
# Scenarios. Each records its runs; add_result reports the median one.

# One "name|records|bytes|wall|user|sys|rss_kib[|extra]" per scenario; extra, when present, is
# more JSON members for that scenario ("key": value, ...).
results=()
notes=()  # lines printed under the table

# A scenario's runs (one entry each); the one reported is the median by wall time, so one lucky
# or unlucky run on a shared machine does not make the figures.
run_walls=() run_users=() run_syss=() run_rsss=()
# record_run: keeps the measured run (m_*); its index is ${#run_walls[@]} - 1.
record_run() {
  run_walls+=("$m_wall") run_users+=("$m_user") run_syss+=("$m_sys") run_rsss+=("$m_rss_kib")
}

# pick_median: sets r_index to the run with the median wall time (the lower one of an even
# count) and r_wall, r_user, r_sys, r_rss to its figures.
pick_median() {
  r_index=$(for i in "${!run_walls[@]}"; do echo "$i ${run_walls[$i]}"; done |
    sort -k2 -g | awk -v n="${#run_walls[@]}" 'NR == int((n + 1) / 2) { print $1 }')
  r_wall=${run_walls[$r_index]} r_user=${run_users[$r_index]} r_sys=${run_syss[$r_index]}
  r_rss=${run_rsss[$r_index]}
}

# add_result NAME BYTES [EXTRA_JSON]: the scenario's median run.
add_result() {
  local name=$1 bytes=$2 extra=${3:-}
  pick_median
  results+=("$name|$records|$bytes|$r_wall|$r_user|$r_sys|$r_rss${extra:+|$extra}")
  run_walls=() run_users=() run_syss=() run_rsss=()
}

# (a), (b): normalize a file to /dev/null.
bench_normalize() {
  local schema=$1 file=$2 i
  echo "bench: normalize $schema..." >&2
  for ((i = 0; i < repeat; i++)); do
    measure /dev/null "$work/normalize.err" "$agent" normalize --schema "$schema" "$file"
    [ "$m_exit" = 0 ] ||
      die "auditrelay normalize --schema $schema exited with $m_exit: $(head -n 5 "$work/normalize.err")"
    record_run
  done
  add_result "normalize $schema" "$(stat -c %s "$file")"
}

# (c): tail input → file output (fsync), `run --once`.
file_output() {  # bench_tail_file's output, into its $out_file
  printf '    - type: file\n      path: "%s"\n      fsync: true\n' "$out_file"
}

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
    tail_sink_config "$dir" file_output >"$cfg"
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
    record_run
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
  "$bench" --input "$docs" --levels -3,1,3 --repeat "$repeat" --dir "$work" \
    >"$work/buffer.out" 2>"$work/buffer.err" ||
    die "auditrelay_bench_buffer failed: $(tail -n 5 "$work/buffer.err")"
  # result|NAME|RECORDS|JSON_BYTES|WALL|USER|SYS|RSS_KIB, the median of the repeats already.
  while IFS= read -r line; do
    [[ $line == result\|* ]] && results+=("${line#result|}")
  done <"$work/buffer.out"
  sed -n 's/^/  /; /ratio\|:1$/p' "$work/buffer.err" >&2
  rm -f "$docs"
}

# (e), (f), (g): tail input → disk buffer (zstd, sync: batch) → an HTTP output, `run --once`,
# into one of tests/fakes' fakes (started once per scenario, reset before every run):
#   tail-elasticsearch   elasticsearch output → fake_elasticsearch; it must have indexed exactly N
#                        documents, every item answered 201.
#   tail-splunk-hec      splunk_hec output → fake_splunk_hec; it must have stored exactly N events,
#                        every event request answered with HEC code 0.
#   tail-splunk-hec-ack  the same with `ack: true` → fake_splunk_hec --ack; the agent must also
#                        have polled /services/collector/ack, and no batch may be left unacked.
# The fake's own CPU time (from /proc/PID/stat) is reported per document, to tell whether the
# sink, not the agent, was the limit.

# The running fake: its pid, ports, what to call it in messages ("fake Elasticsearch") and the
# prefix of its files in $work (fake_es: fake_es.port, .out, .err, .stats).
fake_label=""
fake_prefix=""
fake_port=""
fake_control_port=""

# fake_http METHOD PATH: one request to the fake's control port; prints the response body.
fake_http() {
  local method=$1 path=$2 response status
  exec 3<>"/dev/tcp/127.0.0.1/$fake_control_port" ||
    die "cannot connect to the $fake_label's control port $fake_control_port"
  printf '%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n' \
    "$method" "$path" >&3
  response=$(timeout 30 cat <&3 || true)
  exec 3<&-
  status=${response%%$'\r'*}
  [[ $status == "HTTP/1.1 200"* ]] ||
    die "$fake_label: $method $path answered '${status:-nothing}': ${response#*$'\r\n\r\n'}"
  printf '%s\n' "${response#*$'\r\n\r\n'}"
}

# proc_cpu_ticks PID: user + system CPU time of PID so far, in clock ticks (/proc/PID/stat
# fields 14 and 15; the command name, field 2, may hold spaces, so count from its ')').
proc_cpu_ticks() {
  local stat
  stat=$(<"/proc/$1/stat") || die "cannot read /proc/$1/stat (did the $fake_label die?)"
  stat=${stat##*) }
  local -a f
  read -r -a f <<<"$stat"
  echo $((f[11] + f[12]))
}

# start_fake PREFIX LABEL BINARY [ARGS...]: starts BINARY ARGS --port-file --exit-with-parent in
# the background and waits for its port file ("<port> <control_port>"); sets fake_pid,
# fake_port, fake_control_port, fake_label, fake_prefix.
start_fake() {
  local prefix=$1 label=$2 binary=$3 name i
  shift 3
  local port_file=$work/$prefix.port
  name=$(basename "$binary")
  fake_prefix=$prefix fake_label=$label
  rm -f "$port_file"
  "$binary" "$@" --port-file "$port_file" --exit-with-parent \
    >"$work/$prefix.out" 2>"$work/$prefix.err" &
  fake_pid=$!
  for ((i = 0; i < 200; i++)); do
    [ -s "$port_file" ] && break
    kill -0 "$fake_pid" 2>/dev/null ||
      die "$name exited at start: $(tail -n 5 "$work/$prefix.err")"
    sleep 0.05
  done
  [ -s "$port_file" ] || die "$name wrote no port file within 10 s"
  read -r fake_port fake_control_port <"$port_file"
  [[ $fake_port =~ ^[0-9]+$ && $fake_control_port =~ ^[0-9]+$ ]] ||
    die "$name's port file holds '$(cat "$port_file")'"
}

# stop_fake: keeps the fake's last stats in $work/PREFIX.stats (for --keep) and stops it.
stop_fake() {
  fake_http GET /_fake/stats >"$work/$fake_prefix.stats"
  kill -TERM "$fake_pid" 2>/dev/null || true
  wait "$fake_pid" 2>/dev/null || true
  fake_pid=""
}

# sink_cpu_report T0 T1: sets sink_us (the fake's CPU ticks T1 - T0 per document, in µs) and
# agent_us (m_user + m_sys per record), prints both, and warns when the sink used more than a
# third of the agent's CPU per document: it shares the machine's CPUs and may be the limit.
sink_cpu_report() {
  sink_us=$(awk -v t="$(($2 - $1))" -v hz="$(getconf CLK_TCK)" -v n="$records" \
    'BEGIN { printf "%.2f", t * 1e6 / hz / n }')
  agent_us=$(awk -v u="$m_user" -v s="$m_sys" -v n="$records" \
    'BEGIN { printf "%.2f", (u + s) * 1e6 / n }')
  echo "  sink: $sink_us CPU-µs per document (the agent: $agent_us)" >&2
  if awk -v a="$sink_us" -v b="$agent_us" 'BEGIN { exit !(a * 3 > b) }'; then
    echo "  bench: warning: the sink used more than a third of the agent's CPU per document:" \
      "sink-bound? (the figures may describe the fake more than the agent)" >&2
  fi
}

# bench_tail_sink TITLE SUBDIR OUTPUT_FN CHECK_FN PREFIX LABEL BINARY [ARGS...]: one scenario into
# a fake: starts it (start_fake PREFIX LABEL BINARY ARGS), then for each run resets it, runs the
# agent with a config in $work/SUBDIR and collects the fake's stats; stops it at the end.
# OUTPUT_FN prints the config's `outputs:` list (it may use $fake_port). After each run CHECK_FN
# reads $stats (the fake's /_fake/stats) and sets check_failure (empty when the fake received what
# it should), check_extra (more JSON members for the result, may be empty) and check_note (a line
# for under the table, may be empty).
# sink_service, when set (for the call: `sink_service=... bench_tail_sink ...`), holds more lines
# of the config's `service:` section.
# tail_sink_config DIR OUTPUT_FN [SERVICE_LINES]: the config of the tail scenarios: the tail
# input over DIR/input.jsonl, the buffer in DIR/state (sync: batch), the output OUTPUT_FN prints.
tail_sink_config() {
  local dir=$1 output_fn=$2 service=${3:-}
  cat <<EOF
service:
  log_level: warn
  storage: {path: "$dir/state", sync: batch}
EOF
  [ -z "$service" ] || printf '%s\n' "$service"
  cat <<EOF
pipeline:
  normalize: {dataset: policy_gateway.audit, namespace: bench}
  inputs:
    - type: tail
      paths: ["$dir/input.jsonl"]
      read_from_head: true
      schema: policy_gateway
  outputs:
EOF
  "$output_fn"
}

# fill_backlog DIR OUTPUT_FN: the receiver is down: the agent runs once with the output sent to
# 127.0.0.1:1, where nothing listens (connection refused, retried), so every record is read and
# buffered and none delivered; it stops 1 s after reading everything. The buffer must then hold
# all N records for the output, as `auditrelay buffer status` says.
fill_backlog() {
  local dir=$1 output_fn=$2 status
  fake_port=1 tail_sink_config "$dir" "$output_fn" "  shutdown_timeout: 1s" >"$dir/fill.yaml"
  "$agent" run -c "$dir/fill.yaml" --once >"$dir/fill.out" 2>"$dir/fill.err" || true
  status=$("$agent" buffer status -c "$dir/fill.yaml" 2>&1) ||
    die "auditrelay buffer status -c $dir/fill.yaml failed: $status"
  grep -q "backlog: $records records" <<<"$status" ||
    die "filling the buffer did not leave $records records waiting: $status"
}

bench_tail_sink() {
  local title=$1 subdir=$2 output_fn=$3 check_fn=$4 prefix=$5 label=$6
  shift 6
  local i dir cfg dead_letter rejected stats t0 t1
  local sink_us agent_us r_sink_us="" r_disk="" r_extra="" r_note="" disk extra
  local run_sink_us=() run_disk=() run_extra=() run_note=()
  echo "bench: $title..." >&2
  start_fake "$prefix" "$label" "$@"
  for ((i = 0; i < repeat; i++)); do
    dir=$work/$subdir
    rm -rf "$dir"
    mkdir -p "$dir"
    ln "$pg_file" "$dir/input.jsonl" 2>/dev/null || cp "$pg_file" "$dir/input.jsonl"
    cfg=$dir/auditrelay.yaml
    dead_letter=$dir/state/dead_letter.ndjson  # the default place
    tail_sink_config "$dir" "$output_fn" "${sink_service:-}" >"$cfg"
    [ -z "${sink_backlog:-}" ] || fill_backlog "$dir" "$output_fn"
    fake_http POST /_fake/reset >/dev/null
    t0=$(proc_cpu_ticks "$fake_pid")
    measure "$dir/run.out" "$dir/run.err" "$agent" run -c "$cfg" --once
    t1=$(proc_cpu_ticks "$fake_pid")
    stats=$(fake_http GET /_fake/stats)
    if [ "$m_exit" != 0 ]; then
      echo "--- $fake_label stats ---" >&2
      echo "$stats" >&2
      echo "--- auditrelay run stderr (last 20 lines) ---" >&2
      tail -n 20 "$dir/run.err" >&2 || true
      [ -s "$dir/run.err" ] || echo "(empty)" >&2
      die "auditrelay run -c $cfg --once exited with $m_exit"
    fi
    rejected=0
    [ -f "$dead_letter" ] && rejected=$(wc -l <"$dead_letter")
    check_failure="" check_extra="" check_note=""
    "$check_fn"
    if [ -n "$check_failure" ]; then
      if [ "$rejected" -ne 0 ]; then
        echo "--- dead letters (first 3 of $rejected) ---" >&2
        head -n 3 "$dead_letter" | cut -c 1-400 >&2
      fi
      echo "--- $fake_label stats ---" >&2
      echo "$stats" >&2
      echo "--- auditrelay run stderr (last 20 lines) ---" >&2
      tail -n 20 "$dir/run.err" >&2 || true
      [ -s "$dir/run.err" ] || echo "(empty)" >&2
      die "$title: $check_failure, $rejected dead letters (use --keep to inspect)"
    fi
    sink_cpu_report "$t0" "$t1"
    disk=""
    if [ -n "$m_oublock" ]; then
      disk=$(awk -v b="$m_oublock" -v n="$records" 'BEGIN { printf "%.1f", b * 512 / n }')
    fi
    record_run
    run_sink_us+=("$sink_us") run_disk+=("$disk") run_extra+=("$check_extra")
    run_note+=("$check_note")
  done
  stop_fake
  pick_median
  r_sink_us=${run_sink_us[$r_index]} r_disk=${run_disk[$r_index]}
  r_extra=${run_extra[$r_index]} r_note=${run_note[$r_index]}
  extra="\"sink_cpu_us_per_record\": $r_sink_us"
  notes+=("$title: the $fake_label used $r_sink_us CPU-µs per document")
  if [ -n "$r_disk" ]; then
    extra+=", \"disk_write_bytes_per_record\": $r_disk"
    notes+=("$title: the agent wrote $r_disk bytes per record to disk (buffer segments and state; the kernel's count, GNU time %O)")
  fi
  [ -n "$r_extra" ] && extra+=", $r_extra"
  [ -n "$r_note" ] && notes+=("$title: $r_note")
  add_result "$title" "$(stat -c %s "$pg_file")" "$extra"
}

# json_count KEY: the number after "KEY": in $stats (empty when absent).
json_count() {
  sed -n "s/.*\"$1\":\\([0-9]*\\).*/\\1/p" <<<"$stats"
}

# json_keys_except KEY OBJECT: how many keys of the flat JSON object "OBJECT" (members only,
# without braces) are not KEY.
json_keys_except() {
  awk -v RS=, -v key="\"$1\":" 'NF && index($0, key) == 0 { n++ } END { print n + 0 }' <<<"$2"
}

es_output() {
  cat <<EOF
    - name: es
      type: elasticsearch
      hosts: ["http://127.0.0.1:$fake_port"]
EOF
}

es_check() {
  local indexed by_status others
  indexed=$(json_count indexed)
  by_status=$(sed -n 's/.*"items_by_status":{\([^}]*\)}.*/\1/p' <<<"$stats")
  others=$(awk -v RS=, 'NF && $0 !~ /^[[:space:]]*"201":/ { n++ } END { print n + 0 }' <<<"$by_status")
  if [ "$indexed" != "$records" ] || [ "$others" -ne 0 ]; then
    check_failure="the fake indexed ${indexed:-?} documents (expected exactly $records), items by status {${by_status}} (expected only \"201\")"
  fi
}

bench_tail_elasticsearch() {
  bench_tail_sink "tail -> buffer -> elasticsearch" tail-es es_output es_check \
    fake_es "fake Elasticsearch" "$fake_es" --expect-documents "$records"
}

# backlog-elasticsearch: an outage, then the restart: N records wait in the buffer
# (fill_backlog) and the agent, started again with the receiver up, delivers them (the tail input
# has nothing new to read). Measured: that second run, from start (which scans the buffer) to
# the last record delivered.
bench_backlog_elasticsearch() {
  sink_backlog=1 \
    bench_tail_sink "buffer backlog -> elasticsearch (restart)" backlog-es es_output es_check \
    fake_es_backlog "fake Elasticsearch" "$fake_es" --expect-documents "$records"
}

hec_token=auditrelay-bench-token
# With --once the outputs get only shutdown_timeout (10 s by default) to deliver what is still
# buffered once the input has read everything. Reading outruns the fake Splunk HEC (which costs
# more CPU per event than the agent), so at 1,000,000 records the backlog takes longer than that.
hec_service="  shutdown_timeout: 10m"

hec_output() {
  cat <<EOF
    - name: hec
      type: splunk_hec
      url: "http://127.0.0.1:$fake_port"
      token: "$hec_token"
EOF
}

hec_ack_output() {
  hec_output
  echo "      ack: true"
}

# hec_check [ack]: exactly N events stored, every event request answered with HEC code 0; with
# ack, acknowledgements polled and no batch the fake never acknowledged.
hec_check() {
  local indexed requests by_code others polled never
  indexed=$(json_count indexed)
  requests=$(json_count requests)
  polled=$(json_count acks_polled)
  never=$(json_count never_acked_events)
  by_code=$(sed -n 's/.*"requests_by_code":{\([^}]*\)}.*/\1/p' <<<"$stats")
  others=$(json_keys_except 0 "$by_code")
  if [ "$indexed" != "$records" ] || [ "$others" -ne 0 ]; then
    check_failure="the fake stored ${indexed:-?} events (expected exactly $records), requests by HEC code {${by_code}} (expected only \"0\")"
  elif [ "${1:-}" = ack ] && { [ "${polled:-0}" -eq 0 ] || [ "${never:-0}" -ne 0 ]; }; then
    check_failure="the fake answered ${polled:-?} ack polls (expected some) and left ${never:-?} events unacknowledged (expected none)"
  fi
  check_extra="\"sink_requests\": ${requests:-0}"
  check_note="the agent sent ${requests:-?} event requests ($(awk -v n="$records" -v r="${requests:-0}" 'BEGIN { printf "%.0f", r ? n / r : 0 }') events each on average)"
  if [ "${1:-}" = ack ]; then
    check_extra+=", \"acks_polled\": ${polled:-0}"
    check_note+=" and polled /services/collector/ack ${polled:-?} times"
  fi
}

hec_ack_check() {
  hec_check ack
}

bench_tail_splunk_hec() {
  sink_service=$hec_service \
    bench_tail_sink "tail -> buffer -> splunk_hec" tail-hec hec_output hec_check \
    fake_hec "fake Splunk HEC" "$fake_hec" --token "$hec_token" --expect-events "$records"
}

bench_tail_splunk_hec_ack() {
  sink_service=$hec_service \
    bench_tail_sink "tail -> buffer -> splunk_hec (ack)" tail-hec-ack hec_ack_output hec_ack_check \
    fake_hec_ack "fake Splunk HEC" "$fake_hec" --token "$hec_token" --ack --expect-events "$records"
}

# (g2) tail-fanout: the same tail input and buffer, delivered to three outputs at once: the
# elasticsearch output (fake_elasticsearch), the splunk_hec output (fake_splunk_hec) and a webhook
# output for blocked requests only (`events: [governance.request.blocked]`, as a SOAR hook is
# configured; tests/fakes/fake_webhook, Node.js, verifying every signature). Each output reads the
# buffer on its own. Afterwards fake Elasticsearch must have indexed N documents (201 only), fake
# HEC stored N events (code 0 only), and the fake webhook received as many verified events as the
# input has blocked records (event.type "denied" once normalized). The three fakes' CPU is summed
# for the sink check.
fanout_names=(es hec webhook)
declare -A fanout_port fanout_control fanout_label

# stop_fanout_fakes: stops the fakes tail-fanout started, if any.
stop_fanout_fakes() {
  local pid
  for pid in "${fanout_pids[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  fanout_pids=()
}

# start_fanout_fake NAME PREFIX LABEL BINARY [ARGS...]: start_fake, remembered under NAME.
start_fanout_fake() {
  local name=$1
  shift
  start_fake "$@"
  fanout_pids+=("$fake_pid")
  fanout_port[$name]=$fake_port fanout_control[$name]=$fake_control_port
  fanout_label[$name]=$fake_label
  fake_pid=""  # stopped by stop_fanout_fakes
}

# fanout_cpu_ticks: the three fakes' CPU ticks so far, summed.
fanout_cpu_ticks() {
  local pid sum=0
  for pid in "${fanout_pids[@]}"; do
    sum=$((sum + $(proc_cpu_ticks "$pid")))
  done
  echo "$sum"
}

# webhook_check: $expected_webhook verified events, no bad signature, every request answered 200.
webhook_check() {
  local delivered bad by_status
  delivered=$(json_count delivered)
  bad=$(json_count invalid_signatures)
  by_status=$(sed -n 's/.*"by_status":{\([^}]*\)}.*/\1/p' <<<"$stats")
  if [ "$delivered" != "$expected_webhook" ] || [ "${bad:-1}" != 0 ] ||
    [ "$(json_keys_except 200 "$by_status")" -ne 0 ]; then
    check_failure="the fake webhook received ${delivered:-?} verified events (expected exactly $expected_webhook, the blocked records), ${bad:-?} with a bad signature, requests by status {$by_status} (expected only \"200\")"
  fi
}

# The three outputs of tail-fanout, into the fakes start_fanout_fake started.
fanout_outputs() {
  cat <<EOF
    - name: es
      type: elasticsearch
      hosts: ["http://127.0.0.1:${fanout_port[es]}"]
    - name: hec
      type: splunk_hec
      url: "http://127.0.0.1:${fanout_port[hec]}"
      token: "$hec_token"
    - name: soar
      type: webhook
      url: "http://127.0.0.1:${fanout_port[webhook]}/"
      events: [governance.request.blocked]
      secrets: ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"]
EOF
}

bench_tail_fanout() {
  local title="tail -> buffer -> es + hec + webhook" i dir cfg dead_letter rejected name
  local stats sink_us agent_us ticks0 ticks1 failure disk extra expected_webhook
  local run_sink_us=() run_disk=()
  echo "bench: $title..." >&2
  # The blocked records, as the normalizer classifies them (event.type "denied"): the webhook's
  # events are chosen by the normalized document's event.type.
  expected_webhook=$("$agent" normalize --schema policy_gateway "$pg_file" |
    grep -c '"event":{[^}]*"type":\["denied"' || true)
  start_fanout_fake es fanout_es "fake Elasticsearch" "$fake_es" --expect-documents "$records"
  start_fanout_fake hec fanout_hec "fake Splunk HEC" "$fake_hec" --token "$hec_token" --expect-events "$records"
  start_fanout_fake webhook fanout_webhook "fake webhook" node "$fake_webhook_js"
  for ((i = 0; i < repeat; i++)); do
    dir=$work/tail-fanout
    rm -rf "$dir"
    mkdir -p "$dir"
    ln "$pg_file" "$dir/input.jsonl" 2>/dev/null || cp "$pg_file" "$dir/input.jsonl"
    cfg=$dir/auditrelay.yaml
    dead_letter=$dir/state/dead_letter.ndjson
    tail_sink_config "$dir" fanout_outputs "$hec_service" >"$cfg"
    for name in "${fanout_names[@]}"; do
      fake_control_port=${fanout_control[$name]} fake_label=${fanout_label[$name]}
      fake_http POST /_fake/reset >/dev/null
    done
    ticks0=$(fanout_cpu_ticks)
    measure "$dir/run.out" "$dir/run.err" "$agent" run -c "$cfg" --once
    ticks1=$(fanout_cpu_ticks)
    rejected=0
    [ -f "$dead_letter" ] && rejected=$(wc -l <"$dead_letter")
    failure=""
    [ "$m_exit" = 0 ] || failure="auditrelay run -c $cfg --once exited with $m_exit"
    for name in "${fanout_names[@]}"; do
      fake_control_port=${fanout_control[$name]} fake_label=${fanout_label[$name]}
      stats=$(fake_http GET /_fake/stats)
      echo "$stats" >"$work/fanout_$name.stats"
      check_failure="" check_extra="" check_note=""
      "${name}_check"
      [ -z "$check_failure" ] || failure+="${failure:+; }$name: $check_failure"
    done
    if [ -n "$failure" ]; then
      echo "--- auditrelay run stderr (last 20 lines) ---" >&2
      tail -n 20 "$dir/run.err" >&2 || true
      die "$title: $failure; $rejected dead letters (stats in $work/fanout_*.stats; use --keep)"
    fi
    sink_cpu_report "$ticks0" "$ticks1"
    disk=""
    if [ -n "$m_oublock" ]; then
      disk=$(awk -v b="$m_oublock" -v n="$records" 'BEGIN { printf "%.1f", b * 512 / n }')
    fi
    record_run
    run_sink_us+=("$sink_us") run_disk+=("$disk")
  done
  stop_fanout_fakes
  pick_median
  extra="\"sink_cpu_us_per_record\": ${run_sink_us[$r_index]}, \"webhook_events\": $expected_webhook"
  notes+=("$title: the three fakes together used ${run_sink_us[$r_index]} CPU-µs per document; the webhook got $expected_webhook events (the blocked records)")
  if [ -n "${run_disk[$r_index]}" ]; then
    extra+=", \"disk_write_bytes_per_record\": ${run_disk[$r_index]}"
  fi
  add_result "$title" "$(stat -c %s "$pg_file")" "$extra"
}

# (h): http input → disk buffer (zstd, sync: batch) → elasticsearch output → fake_elasticsearch,
# with `auditrelay run` (not --once: the HTTP input has no end). auditrelay_bench_http_load POSTs
# the generated records as NDJSON bodies of 500 from 16 keep-alive clients, each body once (again
# only after a 503 or a transport error); then run.sh polls the fake until it has indexed all N
# documents, SIGTERMs the agent and waits for it. The agent's CPU and peak RSS are the OS'
# accounting of its process (run in the background under the timer); `wall s` is the time from
# the first POST to the fake having indexed all N. The POSTs' p50/p99 latency (to the 200, sent
# once the records are durable) goes under the table and into the JSON.
bench_http_elasticsearch() {
  local title="http -> buffer -> elasticsearch" i dir cfg dead_letter rejected stats t0 t1
  local j port agent_pid deadline indexed done_epoch load_line start_epoch wall agent_wall lines
  local sink_us agent_us disk extra p50 p99 pmax posts retries
  local run_sink_us=() run_disk=() run_p50=() run_p99=() run_max=() run_posts=() run_retries=()
  local run_agent_wall=()
  echo "bench: $title..." >&2
  start_fake fake_es_http "fake Elasticsearch" "$fake_es" --expect-documents "$records"
  for ((i = 0; i < repeat; i++)); do
    dir=$work/http-es
    rm -rf "$dir"
    mkdir -p "$dir"
    cfg=$dir/auditrelay.yaml
    dead_letter=$dir/state/dead_letter.ndjson  # the default place
    # log_level info: the input's "listening address=HOST:PORT" line is how run.sh learns the port.
    {
      cat <<EOF
service:
  log_level: info
  storage: {path: "$dir/state", sync: batch}
pipeline:
  normalize: {dataset: policy_gateway.audit, namespace: bench}
  inputs:
    - name: bench
      type: http
      listen: 127.0.0.1:0
      schema: policy_gateway
  outputs:
EOF
      es_output
    } >"$cfg"
    fake_http POST /_fake/reset >/dev/null
    t0=$(proc_cpu_ticks "$fake_pid")
    measure_start "$dir/run.out" "$dir/run.err" "$agent" run -c "$cfg"
    port=""
    for ((j = 0; j < 200; j++)); do
      port=$(sed -n 's/.*in_http\[bench\]: listening address=[^ ]*:\([0-9][0-9]*\).*/\1/p' \
        "$dir/run.err" 2>/dev/null | head -n 1)
      [ -n "$port" ] && break
      kill -0 "$m_timer_pid" 2>/dev/null || break
      sleep 0.05
    done
    if [ -z "$port" ]; then
      echo "--- auditrelay run stderr (last 20 lines) ---" >&2
      tail -n 20 "$dir/run.err" >&2 || true
      die "$title: the agent logged no 'in_http[bench]: listening address=' line within 10 s"
    fi
    agent_pid=$(measured_child_pid)
    [ -n "$agent_pid" ] || die "$title: cannot find the agent's process"
    if ! "$http_load" --url "http://127.0.0.1:$port/v1/audit" --input "$pg_file" --batch 500 \
      --clients 16 >"$dir/load.out" 2>"$dir/load.err"; then
      echo "--- auditrelay_bench_http_load ---" >&2
      cat "$dir/load.out" >&2
      tail -n 20 "$dir/load.err" >&2 || true
      echo "--- auditrelay run stderr (last 20 lines) ---" >&2
      tail -n 20 "$dir/run.err" >&2 || true
      die "$title: the load generator failed"
    fi
    load_line=$(tail -n 1 "$dir/load.out")
    # Every record was answered 200 once durable; now wait for the output to deliver them all.
    deadline=$((SECONDS + 120 + records / 10000))
    while :; do
      stats=$(fake_http GET /_fake/stats)
      indexed=$(json_count indexed)
      [ "${indexed:-0}" -ge "$records" ] && break
      if [ "$SECONDS" -ge "$deadline" ] || ! kill -0 "$agent_pid" 2>/dev/null; then
        echo "--- $fake_label stats ---" >&2
        echo "$stats" >&2
        echo "--- auditrelay run stderr (last 20 lines) ---" >&2
        tail -n 20 "$dir/run.err" >&2 || true
        die "$title: the fake indexed ${indexed:-?} of $records documents before $( (kill -0 "$agent_pid" 2>/dev/null && echo "the deadline") || echo "the agent exited")"
      fi
      sleep 0.02
    done
    done_epoch=${EPOCHREALTIME/,/.}
    t1=$(proc_cpu_ticks "$fake_pid")
    kill -TERM "$agent_pid" 2>/dev/null || true
    measure_finish
    stats=$(fake_http GET /_fake/stats)  # again: nothing more may have come
    if [ "$m_exit" != 0 ]; then
      echo "--- auditrelay run stderr (last 20 lines) ---" >&2
      tail -n 20 "$dir/run.err" >&2 || true
      die "auditrelay run -c $cfg exited with $m_exit after SIGTERM"
    fi
    rejected=0
    [ -f "$dead_letter" ] && rejected=$(wc -l <"$dead_letter")
    check_failure=""
    es_check
    if [ -n "$check_failure" ] || [ "$rejected" -ne 0 ]; then
      echo "--- $fake_label stats ---" >&2
      echo "$stats" >&2
      echo "--- auditrelay run stderr (last 20 lines) ---" >&2
      tail -n 20 "$dir/run.err" >&2 || true
      die "$title: ${check_failure:-wrong output}, $rejected dead letters (use --keep to inspect)"
    fi
    lines=$(sed -n 's/.*records=\([0-9]*\).*/\1/p' <<<"$load_line")
    [ "$lines" = "$records" ] || die "$title: the load generator sent ${lines:-?} records: $load_line"
    start_epoch=$(sed -n 's/.*start_epoch=\([0-9.]*\).*/\1/p' <<<"$load_line")
    p50=$(sed -n 's/.*p50_ms=\([0-9.]*\).*/\1/p' <<<"$load_line")
    p99=$(sed -n 's/.*p99_ms=\([0-9.]*\).*/\1/p' <<<"$load_line")
    pmax=$(sed -n 's/.*max_ms=\([0-9.]*\).*/\1/p' <<<"$load_line")
    posts=$(sed -n 's/.*posts=\([0-9]*\).*/\1/p' <<<"$load_line")
    retries=$(sed -n 's/.*retries=\([0-9]*\).*/\1/p' <<<"$load_line")
    [ -n "$start_epoch" ] && [ -n "$p50" ] && [ -n "$p99" ] && [ -n "$retries" ] ||
      die "$title: cannot read the load generator's line: $load_line"
    wall=$(awk -v a="$start_epoch" -v b="$done_epoch" 'BEGIN { printf "%.6f", b - a }')
    echo "  POSTs: $posts, p50 $p50 ms, p99 $p99 ms, max $pmax ms, $retries retries;" \
      "first POST to all indexed: $wall s (the agent ran $m_wall s);" \
      "the load generator used $(sed -n 's/.* cpu_s=\([0-9.]*\).*/\1/p' <<<"$load_line") s of CPU while sending" \
      "($(sed -n 's/.*load_cpu_s=\([0-9.]*\).*/\1/p' <<<"$load_line") s reading the file before)" >&2
    sink_cpu_report "$t0" "$t1"
    disk=""
    if [ -n "$m_oublock" ]; then
      disk=$(awk -v b="$m_oublock" -v n="$records" 'BEGIN { printf "%.1f", b * 512 / n }')
    fi
    agent_wall=$m_wall
    m_wall=$wall  # records/s is N / (first POST → all indexed)
    record_run
    run_sink_us+=("$sink_us") run_disk+=("$disk") run_p50+=("$p50") run_p99+=("$p99")
    run_max+=("$pmax") run_posts+=("$posts") run_retries+=("$retries") run_agent_wall+=("$agent_wall")
  done
  stop_fake
  pick_median
  extra="\"sink_cpu_us_per_record\": ${run_sink_us[$r_index]}, \"latency_p50_ms\": ${run_p50[$r_index]}, \"latency_p99_ms\": ${run_p99[$r_index]}, \"latency_max_ms\": ${run_max[$r_index]}, \"http_posts\": ${run_posts[$r_index]}, \"http_retries\": ${run_retries[$r_index]}, \"agent_wall_s\": ${run_agent_wall[$r_index]}"
  notes+=("$title: POST latency p50 ${run_p50[$r_index]} ms, p99 ${run_p99[$r_index]} ms (${run_posts[$r_index]} POSTs of 500 records from 16 clients, ${run_retries[$r_index]} retries); wall s = first POST to all indexed (the agent ran ${run_agent_wall[$r_index]} s, start to SIGTERM exit)")
  notes+=("$title: the $fake_label used ${run_sink_us[$r_index]} CPU-µs per document")
  if [ -n "${run_disk[$r_index]}" ]; then
    extra+=", \"disk_write_bytes_per_record\": ${run_disk[$r_index]}"
    notes+=("$title: the agent wrote ${run_disk[$r_index]} bytes per record to disk (buffer segments and state; the kernel's count, GNU time %O)")
  fi
  add_result "$title" "$(stat -c %s "$pg_file")" "$extra"
}

# report: `auditrelay report` over M normalized documents (both schemas) in one .zst file, the way
# an archive of shipped records would be kept; then over M/10 of them, to show that memory does
# not grow with the number of records. The data never exists uncompressed on disk.
bench_report() {
  local records=$report_records  # the table's record count, for add_result
  local docs=$work/documents.ndjson.zst small=$work/documents-small.ndjson.zst i
  echo "bench: generating $records documents for report..." >&2
  "$generator" --schema mixed --count "$records" --seed 7 --out /dev/stdout 2>"$work/generate.err" |
    "$agent" normalize - 2>"$work/report-normalize.err" | zstd -q -3 -T0 >"$docs" ||
    die "generating the report's documents failed: $(head -n 5 "$work/generate.err" "$work/report-normalize.err")"
  "$generator" --schema mixed --count $((records / 10)) --seed 7 --out /dev/stdout 2>/dev/null |
    "$agent" normalize - 2>/dev/null | zstd -q -3 -T0 >"$small"
  echo "bench: report over $records documents ($(($(stat -c %s "$docs") / 1048576)) MiB of zstd)..." >&2
  for ((i = 0; i < repeat; i++)); do
    measure "$work/report.json" "$work/report.err" "$agent" report "$docs"
    [ "$m_exit" = 0 ] || die "auditrelay report exited with $m_exit: $(head -n 5 "$work/report.err")"
    grep -q "\"recordsRead\": $records," "$work/report.json" ||
      die "auditrelay report did not read $records records: $(grep -E 'recordsRead|recordsSkipped' "$work/report.json")"
    record_run
  done
  measure "$work/report-small.json" "$work/report.err" "$agent" report "$small"
  [ "$m_exit" = 0 ] || die "auditrelay report (small) exited with $m_exit"
  notes+=("report: peak RSS $((m_rss_kib / 1024)) MiB over $((records / 10)) documents, against the table's over $records: memory does not grow with the records")
  add_result "report (zstd documents)" "$(stat -c %s "$docs")" "\"small_run_peak_rss_mib\": $((m_rss_kib / 1024))"
}

if selected normalize; then
  bench_normalize policy_gateway "$pg_file"
  bench_normalize governance_audit "$ga_file"
fi
selected tail-file && bench_tail_file
selected buffer && bench_buffer
selected tail-elasticsearch && bench_tail_elasticsearch
selected backlog-elasticsearch && bench_backlog_elasticsearch
selected tail-splunk-hec && bench_tail_splunk_hec
selected tail-splunk-hec-ack && bench_tail_splunk_hec_ack
selected tail-fanout && bench_tail_fanout
selected http-elasticsearch && bench_http_elasticsearch
selected report && bench_report

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
# The scenario column fits the longest name (31 characters at least).
name_width=31
for result in "${results[@]}"; do
  name=${result%%|*}
  [ ${#name} -le $name_width ] || name_width=${#name}
done
printf '%s\n' "${results[@]}" | awk -F'|' -v json="$results_file.tmp" -v w="$name_width" '
  BEGIN {
    fmt = "%-" w "s %10s %9s %12s %9s %11s %6s %9s\n"
    printf fmt, "scenario", "records", "wall s", "records/s", "MiB/s", "CPU us/rec", "CPU %", "RSS MiB"
    dashes = sprintf("%" w "s", ""); gsub(/ /, "-", dashes)
    printf fmt, dashes, "----------", "---------", "------------",
           "---------", "-----------", "------", "---------"
    printf "{\n  \"machine\": %s,\n  %s,\n  \"scenarios\": [", ENVIRON["BENCH_JSON_MACHINE"], ENVIRON["BENCH_JSON_META"] > json
  }
  {
    name = $1; n = $2; bytes = $3; wall = $4; cpu = $5 + $6; rss = $7 / 1024
    if (wall <= 0) wall = 0.000001
    rate = n / wall; mibs = bytes / 1048576 / wall; us = cpu * 1e6 / n; util = 100 * cpu / wall
    printf "%-" w "s %10.0f %9.3f %12.0f %9.1f %11.2f %6.0f %9.1f\n", name, n, wall, rate, mibs, us, util, rss
    printf "%s\n    {\"name\": \"%s\", \"records\": %.0f, \"input_bytes\": %.0f, \"wall_s\": %.6f, \"user_s\": %.6f, \"sys_s\": %.6f, \"records_per_s\": %.1f, \"input_mib_per_s\": %.2f, \"cpu_us_per_record\": %.3f, \"cpu_percent\": %.1f, \"peak_rss_mib\": %.1f%s}", (NR > 1 ? "," : ""), name, n, bytes, wall, $5, $6, rate, mibs, us, util, rss, ($8 != "" ? ", " $8 : "") > json
  }
  END { printf "\n  ]\n}\n" > json }
'
mv "$results_file.tmp" "$results_file"
if [ ${#notes[@]} -gt 0 ]; then
  echo
  printf '%s\n' "${notes[@]}"
fi
echo
echo "Results: $results_file"
