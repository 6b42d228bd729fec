#!/usr/bin/env bash
# Installs the wallets' npm libraries that make the signature test vectors (ethers, tronweb,
# tweetnacl, bs58, @ton/crypto) from tests/signatures/package-lock.json with `npm ci`.
# Idempotent and quiet: does nothing when node_modules matches the lock file (sha256 stamp).
# Node and npm: scripts/ensure-node.sh. Usage: tests/signatures/install.sh [--force]
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
stamp="$here/node_modules/.signatures-install-stamp"
force=0
[[ "${1:-}" == "--force" ]] && force=1

"$here/../../scripts/ensure-node.sh"

want="$(sha256sum "$here/package-lock.json" | cut -d' ' -f1)"

up_to_date() {
  [[ $force -eq 0 && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]
}

up_to_date && exit 0

# Serialize concurrent installs (parallel test jobs); re-check once we hold the lock.
exec 9>"$here/.install.lock"
flock 9
up_to_date && exit 0

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
start=$SECONDS
if ! npm ci --prefix "$here" --no-audit --no-fund --loglevel=warn >"$log" 2>&1; then
  echo "tests/signatures/install.sh: npm ci failed:" >&2
  tail -n 40 "$log" >&2
  exit 1
fi
echo "$want" >"$stamp"
echo "tests/signatures/install.sh: installed the signing libraries in $((SECONDS - start)) s" >&2
