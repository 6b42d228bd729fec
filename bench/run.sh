#!/usr/bin/env bash
# Benchmark (not a timed test): authenticated GET /api/v1/health and GET /api/v1/balance of
# instamarketd against references on the same machine, in one run:
#   - nginx returning the same bytes with `return 200 '...'` (bench/nginx.conf), for both routes;
#   - `pgbench -S -M prepared` on a scale-10 pgbench database in the same PostgreSQL cluster;
#   - pgbench running the daemon's exact balance query (bench/balance.sql) on the daemon's database.
# Prints a Markdown report and writes it into the "API foundation" section of docs/benchmarks.md
# (only the generated block between the markers; notes below the end marker are kept).
#
# Targets (from the issue): health >= 0.9x nginx; balance >= 0.5x pgbench -S transactions/s.
#
# Everything runs on 127.0.0.1 under var/bench/ and is stopped on exit. Knobs (environment):
#   API_THREADS=2  POOL_SIZE=8   daemon api.threads / database.pool_size
#   CONNECTIONS=64               wrk connections (the same for daemon and nginx)
#   SECONDS_PER_RUN=10           wrk -d / pgbench -T (each run is preceded by a 2 s warm-up)
#   ROUNDS=3                     alternating daemon/nginx rounds per route; the median is reported
#   BENCH_DOC=docs/benchmarks.md where to write the report; empty: print it only (for experiments)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

api_threads=${API_THREADS:-2}
pool_size=${POOL_SIZE:-8}
connections=${CONNECTIONS:-64}
duration=${SECONDS_PER_RUN:-10}
rounds=${ROUNDS:-3}
doc=${BENCH_DOC-docs/benchmarks.md}
warmup=2
wrk_threads=2
pgbench_clients=16
pgbench_threads=2

state=$root/var/bench
pg_port=54350
api_port=18090
nginx_port=18091
nginx_dir=$state/nginx
results=$state/results
config=$state/instamarketd.yaml

log() { echo "bench: $*" >&2; }
die() { log "$*"; exit 1; }

bash scripts/install-deps.sh --bench
bin=build/app/instamarketd
[[ -x "$bin" ]] || bin=$(bash scripts/build.sh --werror)/app/instamarketd

# A crashed earlier run must not be measured by mistake.
for port in "$api_port" "$nginx_port"; do
  if curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$port/"; then
    die "something already listens on 127.0.0.1:$port; stop it first"
  fi
done

mkdir -p "$state" "$results"
rm -f "$results"/*

daemon_pid=""
cleanup() {
  local rc=$?
  set +e
  if [[ -n "$daemon_pid" ]] && kill -0 "$daemon_pid" 2>/dev/null; then
    kill -TERM "$daemon_pid"
    wait "$daemon_pid" 2>/dev/null
  fi
  if [[ -s "$nginx_dir/nginx.pid" ]]; then
    local pid
    pid=$(<"$nginx_dir/nginx.pid")
    kill -TERM "$pid" 2>/dev/null
    for _ in {1..50}; do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  scripts/pg.sh stop "$state" "$pg_port" >/dev/null 2>&1
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- 1. PostgreSQL -------------------------------------------------------------------------
# 54350 lies in Linux's ephemeral port range, so a client socket elsewhere on the machine can
# hold it for a moment ("Address already in use"): retry a few times before giving up.
for attempt in 1 2 3 4 5; do
  scripts/pg.sh start "$state" "$pg_port" >/dev/null && break
  ((attempt < 5)) || die "could not start PostgreSQL on port $pg_port"
  log "PostgreSQL did not start (port $pg_port busy?); retrying in 3 s"
  sleep 3
done
db_url=$(scripts/pg.sh createdb "$state" "$pg_port" instamarket_bench)
ref_url=$(scripts/pg.sh createdb "$state" "$pg_port" pgbench_ref)
postmaster_pid=$(head -n 1 "$state/pg/data/postmaster.pid")

# --- 2. instamarketd ------------------------------------------------------------------------
(umask 077; [[ -s "$state/master.key" ]] || od -An -tx1 -N32 /dev/urandom | tr -d ' \n' >"$state/master.key")
cat >"$config" <<EOF
# Written by bench/run.sh on every run.
database:
  url: "$db_url"
  pool_size: $pool_size
api:
  listen: "127.0.0.1:$api_port"
  threads: $api_threads
  rate_limit_per_minute: 1000000
secrets:
  master_key_file: master.key
log:
  level: warn
EOF
im() { "$bin" --config "$config" "$@"; }
im migrate >"$results/migrate.log" 2>&1 || { cat "$results/migrate.log" >&2; die "migrate failed"; }
# Prints "KEY_ID API_KEY" of a fresh key credited with 50 USDT (so that /balance has an account).
mint_key() {
  local json id key
  json=$(im admin keys create --label bench)
  read -r id key < <(python3 -c 'import json,sys; k=json.loads(sys.argv[1]); print(k["key_id"], k["api_key"])' "$json")
  im admin credit "$id" 50 --reason bench >/dev/null
  echo "$id $key"
}
read -r key_id api_key < <(mint_key)

# Started directly (not through the im function, which would fork a subshell), so that $! is
# the daemon itself: its CPU is measured and it is the process that cleanup stops.
"$bin" --config "$config" serve >"$state/instamarketd.log" 2>&1 &
daemon_pid=$!
api=http://127.0.0.1:$api_port/api/v1
for _ in {1..100}; do
  code=$(curl -s -o /dev/null -w '%{http_code}' -H "X-API-Key: $api_key" "$api/health" || true)
  [[ "$code" == 200 ]] && break
  kill -0 "$daemon_pid" 2>/dev/null || { tail -n 20 "$state/instamarketd.log" >&2; die "instamarketd exited"; }
  sleep 0.1
done
[[ "$code" == 200 ]] || die "instamarketd health did not return 200 (last: $code)"

health_body=$(curl -sf -H "X-API-Key: $api_key" "$api/health")
balance_body=$(curl -sf -H "X-API-Key: $api_key" "$api/balance") || die "GET /balance failed"
[[ "$health_body$balance_body" != *"'"* ]] || die "a body contains a single quote; cannot embed it in nginx.conf"
log "health: $health_body"
log "balance: $balance_body"

# --- 3. nginx -------------------------------------------------------------------------------
mkdir -p "$nginx_dir/tmp"
rm -f "$nginx_dir/nginx.pid"
conf=$(<bench/nginx.conf)
conf=${conf//@PREFIX@/"$nginx_dir"}
conf=${conf//@PORT@/"$nginx_port"}
conf=${conf//@HEALTH_BODY@/"$health_body"}
conf=${conf//@BALANCE_BODY@/"$balance_body"}
printf '%s\n' "$conf" >"$nginx_dir/nginx.conf"
nginx -c "$nginx_dir/nginx.conf" -p "$nginx_dir/"
ref=http://127.0.0.1:$nginx_port/api/v1
for _ in {1..50}; do
  curl -sf -o /dev/null "$ref/health" && break
  sleep 0.1
done
[[ "$(curl -sf "$ref/health")" == "$health_body" ]] || die "nginx health body differs"
[[ "$(curl -sf "$ref/balance")" == "$balance_body" ]] || die "nginx balance body differs"
[[ "$(curl -s -o /dev/null -w '%{content_type}' "$ref/health")" == application/json ]] ||
  die "nginx does not answer with Content-Type application/json"

# Response sizes (status line + headers, body), so the reader can judge how alike the replies are.
size_of() { curl -s -o /dev/null -w '%{size_header}+%{size_download}' -H "X-API-Key: $api_key" "$1"; }
declare -A size
size[daemon_health]=$(size_of "$api/health")
size[nginx_health]=$(size_of "$ref/health")
size[daemon_balance]=$(size_of "$api/balance")
size[nginx_balance]=$(size_of "$ref/balance")

# --- CPU accounting -------------------------------------------------------------------------
# CPU ticks of a process tree: the root's own and reaped children's time (utime, stime, cutime,
# cstime) plus its live children's, so backends that come and go are counted too.
clk_tck=$(getconf CLK_TCK)
tree_ticks() {
  local root_pid=$1 total=0 pid stat first=1
  local -a f
  for pid in "$root_pid" $(pgrep -P "$root_pid" || true); do
    stat=$(cat "/proc/$pid/stat" 2>/dev/null) || continue
    read -r -a f <<<"${stat##*) }" # f[0] is field 3 (state), so field N is f[N-3]
    if ((first)); then
      total=$((total + f[11] + f[12] + f[13] + f[14]))
      first=0
    else
      total=$((total + f[11] + f[12]))
    fi
  done
  echo "$total"
}
cpu_busy_total() { awk '/^cpu / { print $2+$3+$4+$7+$8+$9, $2+$3+$4+$5+$6+$7+$8+$9 }' /proc/stat; }
now() { date +%s.%N; }
# percent of one core used by `ticks` over `seconds`
pct() { awk -v t="$1" -v s="$2" -v hz="$clk_tck" 'BEGIN { v = 100 * t / hz / s; printf "%.0f%%", (v > -0.5 && v < 0.5) ? 0 : v }'; }

declare -A rate p50 p99 cpu_server cpu_pg cpu_client other idle
# measure NAME SERVER_PID COMMAND...: runs COMMAND with its output in $results/NAME.txt and
# records the CPU used by the server tree, PostgreSQL and the client over the run.
measure() {
  local name=$1 server_pid=$2
  shift 2
  local s0 g0 b0 t0 w0 w1 s1 g1 b1 t1
  s0=$( ((server_pid)) && tree_ticks "$server_pid" || echo 0)
  g0=$(tree_ticks "$postmaster_pid")
  read -r b0 t0 < <(cpu_busy_total)
  w0=$(now)
  local TIMEFORMAT='%U %S'
  { time "$@" >"$results/$name.txt" 2>&1; } 2>"$results/$name.time" ||
    { cat "$results/$name.txt" >&2; die "$name failed: $*"; }
  w1=$(now)
  s1=$( ((server_pid)) && tree_ticks "$server_pid" || echo 0)
  g1=$(tree_ticks "$postmaster_pid")
  read -r b1 t1 < <(cpu_busy_total)
  local secs client
  secs=$(awk -v a="$w0" -v b="$w1" 'BEGIN { print b - a }')
  client=$(awk -v hz="$clk_tck" '{ printf "%d", ($1 + $2) * hz }' "$results/$name.time")
  cpu_server[$name]=$( ((server_pid)) && pct $((s1 - s0)) "$secs" || echo "-")
  cpu_pg[$name]=$(pct $((g1 - g0)) "$secs")
  cpu_client[$name]=$(pct "$client" "$secs")
  # Everything else that ran meanwhile (other workloads would skew the numbers), and idle time.
  other[$name]=$(pct $((b1 - b0 - (s1 - s0) - (g1 - g0) - client)) "$secs")
  idle[$name]=$(awk -v b=$((b1 - b0)) -v t=$((t1 - t0)) 'BEGIN { printf "%.0f%%", 100 * (t - b) / t }')
}

# wrk's latency lines look like "     99%    1.23ms"; report milliseconds.
wrk_ms() {
  awk -v q="$1%" '$1 == q {
      v = $2; u = v; sub(/[0-9.]+/, "", u); sub(/[a-z]+$/, "", v)
      f = (u == "us") ? 0.001 : (u == "ms") ? 1 : (u == "s") ? 1000 : (u == "m") ? 60000 : -1
      printf "%.2f", v * f; exit }' "$2"
}
# The rate limiter keeps an exact per-key log of admissions, and 1,000,000 a minute is the most
# the config allows: one key shared by all runs would get 429s. So the warm-up and the measured
# run each use a fresh key (nginx gets one too; it ignores it). A single 10 s run would only
# reach the limit above 100,000 requests/s.
wrk_run() {
  local name=$1 pid=$2 url=$3 warm_key run_key
  read -r _ warm_key < <(mint_key)
  read -r _ run_key < <(mint_key)
  local args=(-t"$wrk_threads" -c"$connections" --latency)
  log "wrk $name ($url)"
  wrk "${args[@]}" -H "X-API-Key: $warm_key" -d"${warmup}s" "$url" >/dev/null
  sleep 1
  measure "$name" "$pid" wrk "${args[@]}" -H "X-API-Key: $run_key" -d"${duration}s" "$url"
  local out=$results/$name.txt
  if grep -q -e 'Non-2xx' -e 'Socket errors' "$out"; then
    cat "$out" >&2
    die "$name: wrk saw errors or non-2xx responses"
  fi
  rate[$name]=$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' "$out")
  p50[$name]=$(wrk_ms 50 "$out")
  p99[$name]=$(wrk_ms 99 "$out")
}
pgbench_run() {
  local name=$1
  shift
  local args=(-M prepared -c "$pgbench_clients" -j "$pgbench_threads")
  log "pgbench $name"
  pgbench "${args[@]}" -T "$warmup" "$@" >/dev/null 2>&1
  sleep 1 # lets the warm-up's backends exit, so their CPU time is not counted in the run
  measure "$name" 0 pgbench "${args[@]}" -T "$duration" "$@"
  local out=$results/$name.txt
  grep -q 'number of failed transactions: 0 ' "$out" || { cat "$out" >&2; die "$name: failed transactions"; }
  rate[$name]=$(awk '/^tps = .*without initial connection time/ { printf "%.0f", $3 }' "$out")
  p50[$name]="-"
  p99[$name]="-"
  # pgbench reports only the mean latency; shown in the p50 column's place, marked as a mean.
  p50[$name]="mean $(awk '/^latency average/ { printf "%.2f", $4 }' "$out")"
  [[ -n "${rate[$name]}" ]] || { cat "$out" >&2; die "$name: no tps in the output"; }
}

# --- 4. wrk ---------------------------------------------------------------------------------
# Two cores shared by everything make single runs noisy (the same server varies by 20% from run
# to run), so each pair is measured in alternating rounds and the median round is reported.
nginx_pid=$(<"$nginx_dir/nginx.pid")
declare -A all_rates
# median_of NAME: copies the median round of NAME.1..NAME.$rounds into NAME.
median_of() {
  local name=$1 r list=()
  for ((r = 1; r <= rounds; r++)); do list+=("${rate[$name.$r]} $r"); done
  local pick
  pick=$(printf '%s\n' "${list[@]}" | sort -n | awk -v m=$(((rounds + 1) / 2)) 'NR == m { print $2 }')
  local src=$name.$pick
  rate[$name]=${rate[$src]} p50[$name]=${p50[$src]} p99[$name]=${p99[$src]}
  cpu_server[$name]=${cpu_server[$src]} cpu_pg[$name]=${cpu_pg[$src]}
  cpu_client[$name]=${cpu_client[$src]} other[$name]=${other[$src]} idle[$name]=${idle[$src]}
  all_rates[$name]=$(for ((r = 1; r <= rounds; r++)); do printf '%s ' "${rate[$name.$r]}"; done)
}
for route in health balance; do
  for ((round = 1; round <= rounds; round++)); do
    wrk_run "daemon_$route.$round" "$daemon_pid" "$api/$route"
    wrk_run "nginx_$route.$round" "$nginx_pid" "$ref/$route"
  done
  median_of "daemon_$route"
  median_of "nginx_$route"
done

# --- 5. pgbench -----------------------------------------------------------------------------
log "pgbench -i -s 10 (pgbench_ref)"
pgbench -i -s 10 -q "$ref_url" >"$results/pgbench_init.txt" 2>&1 ||
  { cat "$results/pgbench_init.txt" >&2; die "pgbench -i failed"; }
pgbench_run pgbench_select -S "$ref_url"
pgbench_run pgbench_balance -n -f bench/balance.sql -D id="$key_id" "$db_url"

# The daemon must still be healthy after all that (and must not have logged errors).
[[ "$(curl -s -o /dev/null -w '%{http_code}' -H "X-API-Key: $api_key" "$api/health")" == 200 ]] ||
  die "instamarketd is no longer healthy"

# --- 6. report ------------------------------------------------------------------------------
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
verdict() { awk -v r="$1" -v t="$2" 'BEGIN { print (r >= t) ? "met" : "**missed**" }'; }
r_health=$(ratio "${rate[daemon_health]}" "${rate[nginx_health]}")
r_balance=$(ratio "${rate[daemon_balance]}" "${rate[pgbench_select]}")
r_balance_query=$(ratio "${rate[daemon_balance]}" "${rate[pgbench_balance]}")
r_balance_nginx=$(ratio "${rate[daemon_balance]}" "${rate[nginx_balance]}")

cpu_model=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
wrk_version=$(wrk -v 2>&1 | awk 'NR == 1 { print $2 }' || true)
nginx_version=$(nginx -v 2>&1 | sed 's/^nginx version: //')
pgbench_version=$(pgbench --version)
pg_version=$(psql -X -At -d "$db_url" -c 'SHOW server_version')
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
[[ -z "$(git status --porcelain --untracked-files=no 2>/dev/null)" ]] || commit="$commit (with uncommitted changes)"

row() { # NAME LABEL WHAT
  local n=$1
  printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$2" "$3" "${rate[$n]}" "${p50[$n]}" \
    "${p99[$n]}" "${cpu_server[$n]}" "${cpu_pg[$n]}" "${cpu_client[$n]}" "${other[$n]}" "${idle[$n]}"
}
wrk_cmd="wrk -t$wrk_threads -c$connections -d${duration}s --latency -H 'X-API-Key: \$KEY'"
pgb_cmd="pgbench -M prepared -c $pgbench_clients -j $pgbench_threads -T $duration"
report=$(
  cat <<EOF
Run on $(date -u '+%Y-%m-%d %H:%M UTC') by \`bench/run.sh\` at commit $commit.

**Machine:** $(nproc) CPUs (\`nproc\`), $cpu_model; Linux $(uname -r).
wrk $wrk_version, $nginx_version, $pgbench_version, PostgreSQL server $pg_version.
**wrk, the server under test, PostgreSQL and pgbench all share these $(nproc) cores**, so every
number below includes the load generator's own CPU use; the CPU columns show the split
(percent of one core, so $(nproc)00% is the whole machine; "other" is everything else that ran
meanwhile, so a large value there means the run was disturbed; idle is of the whole machine).

**Settings:** instamarketd \`api.threads: $api_threads\`, \`database.pool_size: $pool_size\`,
\`rate_limit_per_minute: 1000000\`, \`log.level: warn\` (build/app/instamarketd, RelWithDebInfo);
nginx \`worker_processes auto\` ($(pgrep -c -P "$nginx_pid") workers), no access log, keepalive_requests 1000000
(bench/nginx.conf); PostgreSQL 127.0.0.1:$pg_port from \`scripts/pg.sh\` (default settings,
durable); every client connects over TCP to 127.0.0.1. Each measured run is preceded by a
${warmup} s warm-up of the same command and a 1 s pause.

| What | Server | requests/s or TPS | p50 ms | p99 ms | CPU server | CPU postgres | CPU client | CPU other | idle |
| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
$(row daemon_health "GET /api/v1/health" instamarketd)
$(row nginx_health "GET /api/v1/health" nginx)
$(row daemon_balance "GET /api/v1/balance" instamarketd)
$(row nginx_balance "GET /api/v1/balance" nginx)
$(row pgbench_select "\`pgbench -S\` (scale 10)" PostgreSQL)
$(row pgbench_balance "balance query (bench/balance.sql)" PostgreSQL)

wrk rows are the median of $rounds alternating rounds (instamarketd, nginx, instamarketd, ...);
all rounds, requests/s: health instamarketd ${all_rates[daemon_health]}, nginx ${all_rates[nginx_health]};
balance instamarketd ${all_rates[daemon_balance]}, nginx ${all_rates[nginx_balance]}.
pgbench TPS exclude connection time; pgbench reports only the mean latency.
Response sizes (headers+body, bytes): health instamarketd ${size[daemon_health]}, nginx ${size[nginx_health]};
balance instamarketd ${size[daemon_balance]}, nginx ${size[nginx_balance]}.

| Ratio | Value | Target |
| --- | ---: | --- |
| health: instamarketd / nginx | $r_health | ≥ 0.9, $(verdict "$r_health" 0.9) |
| balance: instamarketd / \`pgbench -S\` | $r_balance | ≥ 0.5, $(verdict "$r_balance" 0.5) |
| balance: instamarketd / pgbench with the balance query | $r_balance_query | (information) |
| balance: instamarketd / nginx | $r_balance_nginx | (information) |

Commands (\`\$KEY\` is a fresh key from \`instamarketd admin keys create --label bench\`, credited
50 USDT, for every warm-up and every measured run, since one key would reach the rate limit of
1,000,000 requests a minute; \`\$KEY_ID\` is another such key's id; URLs are
\`postgresql://instamarket@127.0.0.1:$pg_port/DB\`):

\`\`\`sh
bash bench/run.sh   # API_THREADS=$api_threads POOL_SIZE=$pool_size CONNECTIONS=$connections SECONDS_PER_RUN=$duration
$wrk_cmd http://127.0.0.1:$api_port/api/v1/health    # instamarketd
$wrk_cmd http://127.0.0.1:$nginx_port/api/v1/health    # nginx
$wrk_cmd http://127.0.0.1:$api_port/api/v1/balance   # instamarketd
$wrk_cmd http://127.0.0.1:$nginx_port/api/v1/balance   # nginx
pgbench -i -s 10 -q \$PGBENCH_REF_URL
$pgb_cmd -S \$PGBENCH_REF_URL
$pgb_cmd -n -f bench/balance.sql -D id=\$KEY_ID \$INSTAMARKET_BENCH_URL
\`\`\`
EOF
)
printf '\n%s\n' "$report"

if [[ -n "$doc" ]]; then
  python3 - "$doc" "$report" <<'PY'
import os, sys

path, report = sys.argv[1], sys.argv[2]
heading = "## API foundation"
begin = "<!-- bench/run.sh: begin generated results (rewritten on every run) -->"
end = "<!-- bench/run.sh: end generated results; notes below are kept -->"
block = f"{begin}\n{report}\n{end}"

if os.path.exists(path):
    text = open(path, encoding="utf-8").read()
else:
    text = ("# Benchmarks\n\n"
            "One section per issue that asked for a benchmark. In each section, the block between the\n"
            "`bench/run.sh` markers is rewritten by the script; notes after the end marker are kept.\n")

lines = text.split("\n")
try:
    start = lines.index(heading)
except ValueError:
    start = -1
if start < 0:
    text = text.rstrip("\n") + f"\n\n{heading}\n\n{block}\n"
else:
    stop = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
    section = "\n".join(lines[start:stop])
    if begin in section and end in section:
        head, rest = section.split(begin, 1)
        _, tail = rest.split(end, 1)
        section = head + block + tail
    else:
        section = f"{heading}\n\n{block}\n"
    after = "\n".join(lines[stop:])
    text = "\n".join(lines[:start]) + ("\n" if start else "") + section.rstrip("\n") + "\n" + \
        ("\n" + after if after else "")
open(path, "w", encoding="utf-8").write(text.rstrip("\n") + "\n")
PY
  log "wrote $doc"
fi
