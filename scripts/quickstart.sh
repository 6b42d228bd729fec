#!/usr/bin/env bash
# Quick start: deps, build, a private PostgreSQL, demo catalog and stock, one demo API key,
# then the daemon in the foreground. Safe to re-run: imports are upserts/deduplicated, and the
# admin token and demo key are created only once. Delete var/quickstart/ to start from scratch.
set -euo pipefail
cd "$(dirname "$0")/.."

state=var/quickstart
port=54330
config=$state/instamarketd.yaml
keyfile=$state/demo-key.json

scripts/install-deps.sh
build=$(scripts/build.sh)
bin=$build/app/instamarketd
url=$(scripts/pg.sh start "$state" "$port")

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

Starting instamarketd on 127.0.0.1:8080 (Ctrl-C stops it; PostgreSQL keeps running:
scripts/pg.sh stop $state $port).
EOF
exec "$bin" --config "$config" serve
