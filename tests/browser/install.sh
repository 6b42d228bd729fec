#!/usr/bin/env bash
# Installs what the browser test needs: Debian's chromium (apt) and playwright-core (npm, from
# tests/browser/package-lock.json; it drives the system browser and downloads none).
# Idempotent: does nothing when both are in place.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
as_root() {
  if [[ $(id -u) -eq 0 ]]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "tests/browser/install.sh: need root (or sudo) to run: $*" >&2; exit 1
  fi
}
"$here/../../scripts/ensure-node.sh"
if ! command -v chromium >/dev/null; then
  echo "tests/browser/install.sh: installing chromium with apt" >&2
  as_root apt-get update -qq >/dev/null
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
stamp="$here/node_modules/.install-stamp"
want="$(sha256sum "$here/package-lock.json" | cut -d' ' -f1)"
if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$want" ]]; then
  (cd "$here" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  echo "$want" >"$stamp"
fi
