#!/usr/bin/env bash
# Quick start: deps, build, a private PostgreSQL, a local EVM devnet with a test USDT token
# (so a top-up can be tried end to end), demo catalog and stock, one demo API key, then the
# daemon in the foreground. Safe to re-run: imports are upserts/deduplicated, and the
# admin token and demo key are created only once. Delete var/quickstart/ to start from scratch.
set -euo pipefail
cd "$(dirname "$0")/.."

state=var/quickstart
port=54330
config=$state/instamarketd.yaml
keyfile=$state/demo-key.json

scripts/install-deps.sh
# The same flags as scripts/test.sh, so switching between the two never rebuilds everything.
build=$(scripts/build.sh --werror)
bin=$build/app/instamarketd
url=$(scripts/pg.sh start "$state" "$port")

# The devnet: ganache with test USDT tokens, mining a block every second, its chain kept in
# $state/devnet/chain so the daemon's stored cursor stays valid across restarts.
devnet/install.sh
devnet_state=$state/devnet
devnet_port=8545
mkdir -p "$devnet_state"
if ! node devnet/devnet.js head --state "$devnet_state" --timeout 2 >/dev/null 2>&1; then
  nohup node devnet/devnet.js start --port "$devnet_port" --state "$devnet_state" \
    --block-time 1 --db "$devnet_state/chain" >"$devnet_state/devnet.log" 2>&1 &
  echo $! >"$devnet_state/devnet.pid"
  for _ in $(seq 1 60); do
    node devnet/devnet.js head --state "$devnet_state" --timeout 2 >/dev/null 2>&1 && break
    sleep 0.5
  done
fi
read -r token6 master < <(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["token6"], d["master"])' "$devnet_state/devnet.json")

# Keep the admin token from an earlier run, so scripts and notes that use it stay valid.
token=""
if [[ -f "$config" ]]; then
  token=$(sed -n 's/^ *token: *"\([0-9a-f]*\)".*/\1/p' "$config")
fi
[[ -n "$token" ]] || token=$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')

# The file holds the admin token, so only its owner may read it.
(
  umask 077
  cat >"$config" <<EOF
# Written by scripts/quickstart.sh; rewritten on every run (the admin token is kept).
database:
  url: "$url"
api:
  listen: "127.0.0.1:8080"
admin:
  token: "$token"
log:
  level: info
  format: text
topups:
  expiry_seconds: 3600
networks:
  - id: usdt_devnet              # the local devnet's 6-decimal test USDT
    kind: evm
    rpc: ["http://127.0.0.1:$devnet_port"]
    token: "$token6"
    decimals: 6
    address: "$master"
    confirmations: 2
    poll_interval_ms: 250
    start: latest
EOF
)

im() { "$bin" --config "$config" "$@"; }
im migrate
im admin catalog import demo/catalog.jsonl
for file in demo/stock/*.jsonl; do
  id=$(basename "$file" .jsonl)
  im admin stock import "$id" "$file"
done

# Mint the demo key once: a fresh key on every run would pile up keys in the database.
if [[ ! -s "$keyfile" ]]; then
  (
    umask 077
    im admin keys create --label demo >"$keyfile.tmp"
  )
  mv "$keyfile.tmp" "$keyfile"
fi
key=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["api_key"])' "$keyfile")

base=http://127.0.0.1:8080/api/v1
cat <<EOF

Demo API key (saved in $keyfile): $key
Admin token is in $config.
Try, in another terminal:
  curl -H "X-API-Key: $key" $base/health
  curl -H "X-API-Key: $key" "$base/products?page_size=5"
  curl -H "X-API-Key: $key" $base/balance

Top up from the local devnet (a test USDT on a local chain, block every second):
  curl -X POST -H "X-API-Key: $key" -H 'Content-Type: application/json' \\
       -d '{"amount_usdt": 25, "network": "usdt_devnet"}' $base/balance/topup
  devnet/send-test-deposit.sh AMOUNT_USDT_FROM_THE_ANSWER $devnet_state
  curl -H "X-API-Key: $key" $base/balance      # credited about 2 s later

Then buy (10 Instagram accounts at 1.25) and read the delivered items:
  curl -X POST -H "X-API-Key: $key" -d '{"product_id": 10101, "quantity": 10, "payment_method": "balance"}' $base/orders
  curl -H "X-API-Key: $key" $base/orders/ORDER_ID_FROM_THE_ANSWER

Starting instamarketd on 127.0.0.1:8080 (Ctrl-C stops it; PostgreSQL and the devnet keep
running: scripts/pg.sh stop $state $port; kill \$(cat $devnet_state/devnet.pid)).
EOF
exec "$bin" --config "$config" serve
