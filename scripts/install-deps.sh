#!/usr/bin/env bash
# Install the Debian 12 packages instamarketd needs to build, test and (with --bench) benchmark.
# Only missing packages are installed, so a warm machine returns in about a second.
set -euo pipefail

packages=(
  cmake ninja-build ccache g++ pkg-config
  # clang++ 14 and its runtime libraries (libFuzzer, ASan, UBSan) for scripts/fuzz.sh.
  clang libclang-rt-14-dev
  libboost-dev libssl-dev libcurl4-openssl-dev libyaml-cpp-dev libpqxx-dev libsecp256k1-dev
  nlohmann-json3-dev libspdlog-dev libgtest-dev libgmock-dev libbenchmark-dev
  prometheus-cpp-dev postgresql postgresql-contrib python3 python3-requests python3-jsonschema curl
  chromium
)
for arg in "$@"; do
  case "$arg" in
    --bench) packages+=(wrk nginx-light hyperfine) ;;
    *) echo "usage: $0 [--bench]" >&2; exit 2 ;;
  esac
done

missing=()
for pkg in "${packages[@]}"; do
  # dpkg-query is local and fast; "install ok installed" excludes removed-but-configured leftovers.
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$pkg")
done

if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#packages[@]} packages present" >&2
  exit 0
fi

sudo=()
((EUID == 0)) || sudo=(sudo)
echo "install-deps: installing ${missing[*]}" >&2
# The package index is only refreshed when we actually have to install something.
"${sudo[@]}" apt-get update -q
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y -q --no-install-recommends "${missing[@]}"
