#!/usr/bin/env bash
# Installs the devnet's Node dependencies (ganache, solc) from devnet/package-lock.json.
# Idempotent and quiet (scripts/npm-ci-once.sh). Usage: devnet/install.sh [--force]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
exec "$here/../scripts/npm-ci-once.sh" "$here" "ganache + solc" "$@" \
  node_modules/ganache/package.json node_modules/solc/package.json
