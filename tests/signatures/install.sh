#!/usr/bin/env bash
# Installs the wallets' npm libraries that make the signature test vectors (ethers, tronweb,
# tweetnacl, bs58, @ton/crypto) from tests/signatures/package-lock.json.
# Idempotent and quiet (scripts/npm-ci-once.sh). Usage: tests/signatures/install.sh [--force]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
exec "$here/../../scripts/npm-ci-once.sh" "$here" "the signing libraries" "$@"
