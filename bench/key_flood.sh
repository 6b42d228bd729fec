#!/usr/bin/env bash
# Benchmark (issue 12, item 5): a flood of distinct random API keys in the issued format (no
# credential at all) against GET /api/v1/health, while one real key keeps calling it. Reports
# the daemon's RSS before and after, how many junk keys were sent, and the real key's request
# rate without and during the flood. Prints Markdown; docs/benchmarks.md keeps the figures.
#
# Knobs: FLOOD_SECONDS=30 (wrk -d of the flood), SECONDS_PER_RUN=10 (the real key's runs).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
flood_seconds=${FLOOD_SECONDS:-30}
duration=${SECONDS_PER_RUN:-10}
state=$root/var/bench-flood
pg_port=54352
api_port=18094
config=$state/instamarketd.yaml

log() { echo "key_flood: $*" >&2; }
bash scripts/install-deps.sh --bench >/dev/null
bin=build/app/instamarketd
[[ -x "$bin" ]] || bin=$(bash scripts/build.sh --werror --target instamarketd)/app/instamarketd
mkdir -p "$state"
if curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$api_port/"; then
  log "something already listens on 127.0.0.1:$api_port; stop it first"
  exit 1
fi

daemon_pid=""
cleanup() {
  local rc=$?
  set +e
  [[ -n "$daemon_pid" ]] && kill -TERM "$daemon_pid" 2>/dev/null && wait "$daemon_pid" 2>/dev/null
  scripts/pg.sh stop "$state" "$pg_port" >/dev/null 2>&1
  exit "$rc"
}
trap cleanup EXIT

scripts/pg.sh start "$state" "$pg_port" >/dev/null
db_url=$(scripts/pg.sh createdb "$state" "$pg_port" instamarket_flood)
(umask 077; [[ -s "$state/master.key" ]] || od -An -tx1 -N32 /dev/urandom | tr -d ' \n' >"$state/master.key")
cat >"$config" <<YAML
database: {url: "$db_url", pool_size: 8}
api: {listen: "127.0.0.1:$api_port", threads: 2, rate_limit_per_minute: 1000000, rate_limit_scope: process}
secrets: {master_key_file: master.key}
log: {level: warn}
YAML
im() { "$bin" --config "$config" "$@"; }
im migrate >/dev/null
key=$(im admin keys create --label flood-bench | python3 -c 'import json,sys; print(json.load(sys.stdin)["api_key"])')
"$bin" --config "$config" serve 2>"$state/daemon.log" &  # not through im: $! must be the daemon
daemon_pid=$!
for _ in {1..100}; do curl -fs -o /dev/null -H "X-API-Key: $key" "http://127.0.0.1:$api_port/api/v1/health" && break; sleep 0.1; done

rss_mib() { awk '/^VmRSS/ {printf "%.1f", $2 / 1024}' "/proc/$daemon_pid/status"; }
real_rate() {  # requests/s of the real key over $duration s
  wrk -t1 -c16 -d"${duration}s" -H "X-API-Key: $key" "http://127.0.0.1:$api_port/api/v1/health" |
    awk '/^Requests\/sec/ {print int($2)}'
}

wrk -t1 -c16 -d2s -H "X-API-Key: $key" "http://127.0.0.1:$api_port/api/v1/health" >/dev/null
baseline=$(real_rate)
rss_before=$(rss_mib)
wrk -t2 -c48 -d"${flood_seconds}s" -s bench/key_flood.lua "http://127.0.0.1:$api_port/" \
  >"$state/flood.txt" &
flood_pid=$!
sleep $(((flood_seconds - duration) / 2))
during=$(real_rate)
rss_during=$(rss_mib)
wait "$flood_pid"
rss_after=$(rss_mib)
junk=$(awk '/requests in/ {print $1}' "$state/flood.txt")
non2xx=$(awk '/Non-2xx/ {print $NF}' "$state/flood.txt")
after=$(real_rate)

cat <<MD
| measure | value |
| --- | --- |
| junk keys sent (distinct, issued format) | $junk in ${flood_seconds} s (answered 401: ${non2xx:-0}) |
| daemon RSS before / during / after | $rss_before / $rss_during / $rss_after MiB |
| real key GET /health, no flood | $baseline requests/s |
| real key GET /health, during the flood | $during requests/s |
| real key GET /health, after the flood | $after requests/s |
MD
