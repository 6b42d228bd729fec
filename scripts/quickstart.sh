#!/usr/bin/env bash
# Quick start: deps, build, a private PostgreSQL, a local EVM devnet with a test USDT token
# (so a top-up can be tried end to end), demo catalog and stock, one demo API key, then the
# daemon in the foreground. Safe to re-run: imports are upserts/deduplicated, and the
# admin token, demo key and ports are kept from the last run. Delete var/quickstart/ to start
# from scratch (the PostgreSQL cluster it links to when run as root goes too: see scripts/pg.sh).
#
#   scripts/quickstart.sh               everything, then serve in the foreground (Ctrl-C stops)
#   scripts/quickstart.sh --setup-only  everything but serving; prints how to serve
#
# Ports (remembered in var/quickstart/ports for later runs; a port someone else holds is a
# clear error naming the holder): QUICKSTART_API_PORT (8080), QUICKSTART_PG_PORT (54330),
# QUICKSTART_DEVNET_PORT (8545). INSTAMARKET_BINARY=PATH uses that binary instead of building.
set -euo pipefail
cd "$(dirname "$0")/.."
here=$(pwd -P) # as /proc shows working directories: without symlinks

serve=1
for arg in "$@"; do
  case "$arg" in
    --setup-only) serve=0 ;;
    *) echo "usage: $0 [--setup-only]" >&2; exit 2 ;;
  esac
done

state=var/quickstart
config=$state/instamarketd.yaml
keyfile=$state/demo-key.json
portfile=$state/ports
devnet_state=$state/devnet
mkdir -p "$state"

say() { echo "quickstart: $*" >&2; }
die() { say "$*"; exit 1; }

# A port from the environment, else the one the last run used, else the default.
remembered_port() {
  local name=$1 default=$2 value=""
  [[ -f "$portfile" ]] && value=$(sed -n "s/^$name=\([0-9]\{1,5\}\)$/\1/p" "$portfile")
  value=${!name:-${value:-$default}}
  [[ "$value" =~ ^[1-9][0-9]{0,4}$ ]] && ((value < 65536)) ||
    die "$name must be a port number, got '$value'"
  echo "$value"
}
api_port=$(remembered_port QUICKSTART_API_PORT 8080)
pg_port=$(remembered_port QUICKSTART_PG_PORT 54330)
devnet_port=$(remembered_port QUICKSTART_DEVNET_PORT 8545)

scripts/install-deps.sh
devnet/install.sh

# Before the long build: a port that another clone (or anything else) holds is an error now,
# naming the holder and the way out, rather than a bind failure ten minutes later.
refuse_if_taken() {
  local owner
  owner=$(python3 scripts/port-owner.py "$2") || return 0
  die "port $2 ($1) is taken by $owner.
Stop that, or give this clone other ports (they are remembered for later runs), e.g.
  QUICKSTART_API_PORT=$((api_port + 1)) QUICKSTART_PG_PORT=$((pg_port + 1)) QUICKSTART_DEVNET_PORT=$((devnet_port + 1)) $0"
}
devnet_up() { node devnet/devnet.js head --state "$devnet_state" --timeout 2 >/dev/null 2>&1; }
own_pg_port() { scripts/pg.sh port "$state" 2>/dev/null || true; }
((serve == 0)) || refuse_if_taken API "$api_port"
# A devnet of this clone whose state was deleted (to start from scratch) is stopped, not refused.
stop_orphaned_devnet() {
  local pid
  [[ ! -f "$devnet_state/devnet.json" ]] || return 0
  pid=$(python3 scripts/port-owner.py --pid "$devnet_port") || return 0
  [[ "$(readlink "/proc/$pid/cwd")" == "$here" ]] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q "devnet/devnet.js start" ||
    return 0
  say "stopping the devnet of a deleted $devnet_state (pid $pid)"
  kill "$pid"
  for _ in $(seq 1 50); do
    python3 scripts/port-owner.py "$devnet_port" >/dev/null || return 0
    sleep 0.1
  done
}
if ! devnet_up; then
  stop_orphaned_devnet
  refuse_if_taken "EVM devnet" "$devnet_port"
fi
[[ "$(own_pg_port)" == "$pg_port" ]] || refuse_if_taken PostgreSQL "$pg_port"
printf 'QUICKSTART_API_PORT=%s\nQUICKSTART_PG_PORT=%s\nQUICKSTART_DEVNET_PORT=%s\n' \
  "$api_port" "$pg_port" "$devnet_port" >"$portfile"

if [[ -n "${INSTAMARKET_BINARY:-}" ]]; then
  bin=$INSTAMARKET_BINARY
else
  # The same flags as scripts/test.sh, so switching between the two never rebuilds everything;
  # only the daemon, which is all the quick start runs.
  build=$(scripts/build.sh --werror --target instamarketd)
  bin=$PWD/$build/app/instamarketd
fi
url=$(scripts/pg.sh start "$state" "$pg_port")

# The devnet: ganache with test USDT tokens, mining a block every second, its chain kept in
# $devnet_state/chain so the daemon's stored cursor stays valid across restarts.
mkdir -p "$devnet_state"
if ! devnet_up; then
  nohup node devnet/devnet.js start --port "$devnet_port" --state "$devnet_state" \
    --block-time 1 --db "$devnet_state/chain" >"$devnet_state/devnet.log" 2>&1 &
  echo $! >"$devnet_state/devnet.pid"
  for _ in $(seq 1 60); do
    devnet_up && break
    sleep 0.5
  done
  devnet_up || { tail -n 20 "$devnet_state/devnet.log" >&2; die "the devnet did not start"; }
fi
read -r token6 master rpc < <(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["token6"], d["master"], d["rpc"])' "$devnet_state/devnet.json")

# Keep the admin token from an earlier run, so scripts and notes that use it stay valid.
token=""
if [[ -f "$config" ]]; then
  token=$(sed -n 's/^ *token: *"\([0-9a-f]*\)".*/\1/p' "$config")
fi
[[ -n "$token" ]] || token=$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')

# The file holds the admin token, so only its owner may read it. The master key (which seals
# the API keys' secrets in the database) is made once and kept: without it they do not open.
(
  umask 077
  [[ -s "$state/master.key" ]] || od -An -tx1 -N32 /dev/urandom | tr -d ' \n' >"$state/master.key"
  cat >"$config" <<YAML
# Written by scripts/quickstart.sh; rewritten on every run (the admin token is kept).
database:
  url: "$url"
api:
  listen: "127.0.0.1:$api_port"
admin:
  token: "$token"
secrets:
  master_key_file: master.key    # beside this file; back it up with the database
log:
  level: info
  format: text
topups:
  expiry_seconds: 3600
networks:
  - id: usdt_devnet              # the local devnet's 6-decimal test USDT
    kind: evm
    rpc: ["$rpc"]
    token: "$token6"
    decimals: 6
    address: "$master"
    confirmations: 2
    poll_interval_ms: 250
    start: latest
YAML
)

im() { "$bin" --config "$config" "$@"; }
im migrate
im admin catalog import demo/catalog.jsonl
for file in demo/stock/*.jsonl; do
  id=$(basename "$file" .jsonl)
  im admin stock import "$id" "$file"
done

# Mint the demo key once: a fresh key on every run would pile up keys in the database. A key
# file whose key the database does not hold (the cluster was destroyed) is replaced.
if [[ -s "$keyfile" ]]; then
  key_id=$(python3 -c 'import json,sys; print(int(json.load(open(sys.argv[1]))["key_id"]))' "$keyfile" 2>/dev/null || echo 0)
  # The password through the environment: a command line is visible to every local user.
  [[ "$url" =~ ^postgresql://([^:@/]+):([0-9a-f]+)@(.*)$ ]] || die "unexpected database URL from scripts/pg.sh"
  held=$(PGPASSWORD=${BASH_REMATCH[2]} psql -X -At -d "postgresql://${BASH_REMATCH[1]}@${BASH_REMATCH[3]}" \
    -c "SELECT count(*) FROM api_keys WHERE id = $key_id AND revoked_at IS NULL") ||
    die "cannot read the demo key from the database (psql failed)"
  if [[ "$held" != 1 ]]; then
    say "the database has no demo key $key_id (a new cluster?); minting a new one"
    rm -f -- "$keyfile"
  fi
fi
if [[ ! -s "$keyfile" ]]; then
  (
    umask 077
    im admin keys create --label demo >"$keyfile.tmp"
  )
  mv "$keyfile.tmp" "$keyfile"
fi
key=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["api_key"])' "$keyfile")

base=http://127.0.0.1:$api_port/api/v1
stop_hint="scripts/pg.sh stop $state; kill \$(cat $devnet_state/devnet.pid)"
cat <<EOF

Demo API key (saved in $keyfile): $key
Admin token is in $config.
PostgreSQL: $(sed 's|://\([^:/@]*\):[^@]*@|://\1:***@|' <<<"$url") (the full URL is in the config; cluster in $(scripts/pg.sh where "$state")).
Try, in another terminal:
  curl -H "X-API-Key: $key" $base/health
  curl -H "X-API-Key: $key" "$base/products?page_size=5"
  curl -H "X-API-Key: $key" $base/balance

Top up from the local devnet (a test USDT on a local chain, block every second), in this folder:
  curl -X POST -H "X-API-Key: $key" -H 'Content-Type: application/json' \\
       -d '{"amount_usdt": 25, "network": "usdt_devnet"}' $base/balance/topup
  devnet/send-test-deposit.sh AMOUNT_USDT_FROM_THE_ANSWER $devnet_state
      # exactly the answer's amount_usdt (a unique amount a little above 25, e.g. 25.37):
      # matching is exact, and sending 25 itself credits nothing
  curl -H "X-API-Key: $key" $base/balance      # credited about 2 s later

Then buy (10 Instagram accounts at 1.25) and read the delivered items:
  curl -X POST -H "X-API-Key: $key" -d '{"product_id": 10101, "quantity": 10, "payment_method": "balance"}' $base/orders
  curl -H "X-API-Key: $key" $base/orders/ORDER_ID_FROM_THE_ANSWER

The docs, with a Try-it playground: http://127.0.0.1:$api_port/api/docs
EOF
if ((serve == 0)); then
  printf '\nSet up. Serve with:\n  %q --config %s serve\nPostgreSQL and the devnet are running: %s\n' \
    "$bin" "$config" "$stop_hint"
  exit 0
fi
cat <<EOF

Starting instamarketd on 127.0.0.1:$api_port (Ctrl-C stops it; PostgreSQL and the devnet keep
running: $stop_hint).
EOF
exec "$bin" --config "$config" serve
