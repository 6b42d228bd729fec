#!/usr/bin/env bash
# Installs the devnet's Node dependencies (ganache, solc) from devnet/package-lock.json.
# Idempotent and quiet: does nothing when devnet/node_modules matches the lock file
# (sha256 stamp), otherwise runs `npm ci`. Node and npm: scripts/ensure-node.sh.
# Usage: devnet/install.sh [--force]
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
stamp="$here/node_modules/.devnet-install-stamp"
force=0
[[ "${1:-}" == "--force" ]] && force=1

"$here/../scripts/ensure-node.sh"

want="$(sha256sum "$here/package-lock.json" | cut -d' ' -f1) node-abi-$(node -p process.versions.modules)"

up_to_date() {
  [[ $force -eq 0 && -f "$stamp" && "$(cat "$stamp")" == "$want" &&
     -f "$here/node_modules/ganache/package.json" && -f "$here/node_modules/solc/package.json" ]]
}

up_to_date && exit 0

# Serialize concurrent installs (parallel test jobs); re-check once we hold the lock.
mkdir -p "$here/build"
exec 9>"$here/build/.install.lock"
flock 9
up_to_date && exit 0

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
start=$SECONDS
if ! npm ci --prefix "$here" --no-audit --no-fund --loglevel=warn >"$log" 2>&1; then
  echo "devnet/install.sh: npm ci failed:" >&2
  tail -n 40 "$log" >&2
  exit 1
fi
echo "$want" >"$stamp"
echo "devnet/install.sh: installed ganache + solc in $((SECONDS - start)) s" >&2
