#!/usr/bin/env bash
# Configure and build instamarketd with CMake + Ninja; prints the build directory on stdout.
#   --asan    ASan+UBSan build in build-asan/ (kept separate so both builds stay incremental)
#   --werror  treat compiler warnings as errors (CI does this)
#   --target T  build only target T (the quick start builds just instamarketd)
set -euo pipefail
cd "$(dirname "$0")/.."

dir=build
flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DINSTAMARKET_SANITIZE=OFF -DINSTAMARKET_WERROR=OFF)
targets=()
while (($#)); do
  arg=$1
  shift
  case "$arg" in
    # -O1 keeps sanitizer builds fast to run while still giving usable stack traces.
    --asan)
      dir=build-asan
      flags+=(-DINSTAMARKET_SANITIZE=ON -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g")
      ;;
    --werror) flags+=(-DINSTAMARKET_WERROR=ON) ;;
    --target)
      (($#)) || { echo "usage: $0 [--asan] [--werror] [--target T]" >&2; exit 2; }
      targets+=(--target "$1")
      shift
      ;;
    *) echo "usage: $0 [--asan] [--werror] [--target T]" >&2; exit 2 ;;
  esac
done

# Options are passed on every run (OFF explicitly) so a cached ON from an earlier run cannot linger.
# Configure/build output goes to stderr so callers can capture just the directory.
cmake -S . -B "$dir" -G Ninja "${flags[@]}" >&2
cmake --build "$dir" "${targets[@]}" >&2
echo "$dir"
