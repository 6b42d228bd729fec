#!/usr/bin/env bash
# The CTest fixture that makes the wallet-signature vectors before wallet_signature_tests run:
# installs the npm libraries (install.sh) and runs make_vectors.mjs into OUT.json.
# Exit 77 (skipped) when Node or the npm install is missing, unless INSTAMARKET_E2E_REQUIRE=1
# (scripts/test.sh), where a missing prerequisite fails. A generator that breaks always fails.
# Usage: tests/signatures/generate.sh OUT.json
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out=${1:?usage: $0 OUT.json}
# Never leave the vectors of an earlier run for the tests to read.
rm -f "$out"

missing() {
  if [[ "${INSTAMARKET_E2E_REQUIRE:-}" == "1" ]]; then
    echo "signature vectors: $1 (INSTAMARKET_E2E_REQUIRE=1: a missing prerequisite fails)" >&2
    exit 1
  fi
  echo "signature vectors: $1; skipped (INSTAMARKET_E2E_REQUIRE=1 makes this a failure)" >&2
  exit 77
}

"$here/install.sh" || missing "Node.js or the npm install of tests/signatures is missing"
mkdir -p "$(dirname "$out")"
node "$here/make_vectors.mjs" "$out"
