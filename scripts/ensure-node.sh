#!/usr/bin/env bash
# Makes sure Node.js and npm are there for the devnet (ganache, solc), the browser test
# (playwright-core) and the signature test vectors (tests/signatures): Debian 12's own nodejs and npm (Node 18) when either is missing. The
# project's npm packages are pinned to versions that run on Node 18, the oldest Node this
# accepts, so a bare Debian 12 and a machine with a newer Node run the same lock files
# (tests/setup/test_node_engines.py checks every locked package against Node 18).
set -euo pipefail

oldest_major=18

as_root() {
  if [[ $(id -u) -eq 0 ]]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "ensure-node: need root (or sudo) to run: $*" >&2; exit 1
  fi
}

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "ensure-node: installing Debian's nodejs and npm with apt" >&2
  as_root apt-get update -qq >/dev/null
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi

version=$(node -p process.versions.node)
if ((${version%%.*} < oldest_major)); then
  echo "ensure-node: $(command -v node) is Node $version; Node $oldest_major or newer is needed" \
    "(Debian 12's nodejs package is 18: apt install nodejs npm, and put it first on PATH)" >&2
  exit 1
fi
