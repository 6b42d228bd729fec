#!/usr/bin/env bash
# Installs the npm packages of a folder from its package-lock.json with `npm ci`, once: does
# nothing when node_modules matches the lock file and this Node's module ABI (a sha256 stamp)
# and every named file is there; concurrent installs (parallel test jobs) wait for each other.
# Node and npm: scripts/ensure-node.sh.
# Usage: scripts/npm-ci-once.sh DIR WHAT [--force] [FILE...]
#   WHAT names the packages in messages ("ganache + solc"); FILE is relative to DIR.
set -euo pipefail

(($# >= 2)) || { echo "usage: $0 DIR WHAT [--force] [FILE...]" >&2; exit 2; }
dir="$(cd "$1" && pwd)"
what=$2
shift 2
force=0
if [[ "${1:-}" == "--force" ]]; then
  force=1
  shift
fi
required=("$@")
name="${dir#"$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/"}/install.sh"
stamp="$dir/node_modules/.npm-ci-once-stamp"

"$(dirname "${BASH_SOURCE[0]}")/ensure-node.sh"

want="$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1) node-abi-$(node -p process.versions.modules)"

up_to_date() {
  [[ $force -eq 0 && -f "$stamp" && "$(cat "$stamp")" == "$want" ]] || return 1
  local file
  for file in "${required[@]}"; do
    [[ -f "$dir/$file" ]] || return 1
  done
}

up_to_date && exit 0

# The lock lives beside node_modules, which `npm ci` deletes; re-check once we hold it.
exec 9>"$dir/.npm-install.lock"
flock 9
up_to_date && exit 0

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
start=$SECONDS
if ! npm ci --prefix "$dir" --no-audit --no-fund --loglevel=warn >"$log" 2>&1; then
  echo "$name: npm ci failed:" >&2
  tail -n 40 "$log" >&2
  exit 1
fi
echo "$want" >"$stamp"
echo "$name: installed $what in $((SECONDS - start)) s" >&2
