#!/usr/bin/env bash
# Benchmark (not a timed test): POST /api/v1/orders against pgbench running the same debit
# transaction (the place_order() function the daemon calls) on the same machine, in one run.
#   1. sustained throughput: wrk, CONNECTIONS connections, as fast as they go;
#   2. latency at a fixed rate: wrk with a per-connection pause (bench/orders_fixed_rate.lua),
#      RATE orders/s in all, p50/p99;
#   3. pgbench -f bench/place_order.sql, PGBENCH_CLIENTS clients.
# Orders spread over KEYS funded keys and as many products (a client's balance row and a
# product's stock row are each locked by their orders, as in production). Fulfilment is off
# (orders.fulfil: false), so the numbers are placement only; the products' stock counters are
# set directly, since no item is delivered.
# Targets (issue 4): >= 0.5x pgbench and >= 1,000 orders/s. Prints a Markdown block.
#   SECONDS_PER_RUN=10 CONNECTIONS=32 RATE=500 KEYS=64 PGBENCH_CLIENTS=16
set -euo pipefail
cd "$(dirname "$0")/.."

duration=${SECONDS_PER_RUN:-10}
connections=${CONNECTIONS:-32}
rate=${RATE:-500}
keys=${KEYS:-64}
pgbench_clients=${PGBENCH_CLIENTS:-16}
state=$PWD/var/bench-orders
pg_port=54353
api_port=18095
config=$state/instamarketd.yaml
first_product=900001

log() { echo "bench/orders: $*" >&2; }
bash scripts/install-deps.sh --bench
bin=build/app/instamarketd
[[ -x "$bin" ]] || bin=$(bash scripts/build.sh --werror)/app/instamarketd

mkdir -p "$state"
daemon_pid=""
cleanup() {
  set +e
  [[ -n "$daemon_pid" ]] && kill -TERM "$daemon_pid" 2>/dev/null && wait "$daemon_pid" 2>/dev/null
  scripts/pg.sh stop "$state" "$pg_port" >/dev/null 2>&1
}
trap cleanup EXIT

scripts/pg.sh start "$state" "$pg_port" >/dev/null
scripts/pg.sh createdb "$state" "$pg_port" orders_bench >"$state/url"
url=$(<"$state/url")
(umask 077; [[ -s "$state/master.key" ]] || od -An -tx1 -N32 /dev/urandom | tr -d ' \n' >"$state/master.key")
cat >"$config" <<EOF
database:
  url: "$url"
  pool_size: 8
api:
  listen: "127.0.0.1:$api_port"
  threads: 2
  rate_limit_per_minute: 1000000
secrets:
  master_key_file: master.key
log:
  level: warn
orders:
  fulfil: false
  fulfilment_deadline_seconds: 86400
  refund_interval_seconds: 3600
EOF
im() { "$bin" --config "$config" "$@"; }
im migrate >/dev/null

# Products 900001.. with a huge stock counter; funded keys; the key list for wrk and pgbench.
catalog=$state/catalog.jsonl
: >"$catalog"
for ((i = 0; i < keys; i++)); do
  echo "{\"id\": $((first_product + i)), \"sku\": \"bench-$i\", \"name\": \"bench $i\", \"category\": \"bench\", \"price_usdt\": \"0.01\", \"min_quantity\": 1}" >>"$catalog"
done
im admin catalog import "$catalog" >/dev/null
psql -X -q -d "$url" -c "UPDATE products SET stock = 100000000 WHERE id >= $first_product"
key_file=$state/keys.txt
: >"$key_file"
for ((i = 0; i < keys; i++)); do
  json=$(im admin keys create --label "bench-$i")
  read -r id key < <(python3 -c 'import json,sys; k=json.loads(sys.argv[1]); print(k["key_id"], k["api_key"])' "$json")
  im admin credit "$id" 1000000 --reason bench >/dev/null
  echo "$id $key" >>"$key_file"
done
first_key=$(head -n 1 "$key_file" | cut -d' ' -f1)
last_key=$(tail -n 1 "$key_file" | cut -d' ' -f1)
((last_key - first_key == keys - 1)) || { log "key ids are not consecutive"; exit 1; }

"$bin" --config "$config" serve >"$state/instamarketd.log" 2>&1 &
daemon_pid=$!
for _ in {1..100}; do curl -s -o /dev/null "http://127.0.0.1:$api_port/" && break; sleep 0.1; done

# wrk reads the keys and products from the environment (bench/orders.lua).
export BENCH_KEYS_FILE=$key_file BENCH_FIRST_PRODUCT=$first_product
orders_url=http://127.0.0.1:$api_port/api/v1/orders
log "wrk warm-up"
wrk -t2 -c"$connections" -d2s -s bench/orders.lua "$orders_url" >/dev/null
log "wrk sustained (${duration}s, $connections connections)"
wrk -t2 -c"$connections" -d"${duration}s" --latency -s bench/orders.lua "$orders_url" >"$state/wrk.txt"
# Fixed rate: each of C connections pauses C/RATE seconds after each answer.
fixed_connections=50
export BENCH_DELAY_MS=$(( fixed_connections * 1000 / rate ))
log "wrk at about $rate orders/s"
wrk -t2 -c"$fixed_connections" -d"${duration}s" --latency -s bench/orders.lua "$orders_url" >"$state/wrk_fixed.txt"
unset BENCH_DELAY_MS

log "pgbench place_order ($pgbench_clients clients)"
pgbench -n -M prepared -c "$pgbench_clients" -j 2 -T 2 -f bench/place_order.sql \
  -D first_key="$first_key" -D first_product="$first_product" -D keys="$keys" "$url" >/dev/null 2>&1
pgbench -n -M prepared -c "$pgbench_clients" -j 2 -T "$duration" -f bench/place_order.sql \
  -D first_key="$first_key" -D first_product="$first_product" -D keys="$keys" "$url" >"$state/pgbench.txt" 2>&1

grep -q -e 'Non-2xx' "$state/wrk.txt" && { cat "$state/wrk.txt" >&2; log "non-2xx answers"; exit 1; }
rate_wrk=$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' "$state/wrk.txt")
rate_fixed=$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' "$state/wrk_fixed.txt")
ms() { awk -v q="$1%" '$1 == q { v = $2; u = v; sub(/[0-9.]+/, "", u); sub(/[a-z]+$/, "", v);
  f = (u == "us") ? 0.001 : (u == "ms") ? 1 : (u == "s") ? 1000 : -1; printf "%.2f", v * f; exit }' "$2"; }
tps=$(awk '/^tps = .*without initial connection time/ { printf "%.0f", $3 }' "$state/pgbench.txt")
orders=$(psql -X -At -d "$url" -c "SELECT count(*) FROM orders")
balanced=$(psql -X -At -d "$url" -c "SELECT count(*) FROM (SELECT transaction_id FROM ledger_postings GROUP BY 1 HAVING sum(amount) <> 0) t")
ratio=$(awk -v a="$rate_wrk" -v b="$tps" 'BEGIN { printf "%.2f", a / b }')
commit=$(git rev-parse --short HEAD)
[[ -z "$(git status --porcelain --untracked-files=no)" ]] || commit="$commit (with uncommitted changes)"
cat <<EOF
Run on $(date -u '+%Y-%m-%d %H:%M UTC') by \`bench/orders.sh\` at commit $commit, $(nproc) CPUs shared by wrk, instamarketd and PostgreSQL (durable commits).
$keys keys and $keys products (orders spread over them); fulfilment off; api.threads 2, pool_size 8.

| What | orders/s | p50 ms | p99 ms |
| --- | ---: | ---: | ---: |
| POST /api/v1/orders, wrk -c$connections, sustained | $rate_wrk | $(ms 50 "$state/wrk.txt") | $(ms 99 "$state/wrk.txt") |
| POST /api/v1/orders at about $rate/s (50 connections, ${BENCH_DELAY_MS:-$(( fixed_connections * 1000 / rate ))} ms pause each) | $rate_fixed | $(ms 50 "$state/wrk_fixed.txt") | $(ms 99 "$state/wrk_fixed.txt") |
| pgbench -c $pgbench_clients, \`SELECT * FROM place_order(...)\` (bench/place_order.sql) | $tps | mean $(awk '/^latency average/ { printf "%.2f", $4 }' "$state/pgbench.txt") | - |

Ratio instamarketd / pgbench: **$ratio** (target ≥ 0.5); sustained orders/s: **$rate_wrk** (target ≥ 1,000).
Orders placed in all: $orders; unbalanced ledger transactions afterwards: $balanced.
EOF
