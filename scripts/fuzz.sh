#!/usr/bin/env bash
# Build the libFuzzer harnesses (clang, ASan+UBSan, in build-fuzz/) and run each for a bounded
# time from its seed corpus. Exits non-zero if any harness crashed, leaked, timed out, ran out
# of memory or got a sanitizer report; the input that did it is left in var/fuzz/artifacts/.
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]   (default 20 s, every target)
# Longer runs, reproducing a crash and adding a seed: docs/security.md, "Fuzzing".
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-20}
# At least 1: libFuzzer reads -max_total_time=0 as "no limit".
[[ "$seconds" =~ ^[1-9][0-9]*$ ]] || { echo "usage: $0 [SECONDS_PER_TARGET] [TARGET...]" >&2; exit 2; }
shift $(($# > 0 ? 1 : 0))
all=(fuzz_http_request fuzz_json_reader fuzz_query_params fuzz_money
     fuzz_evm_response fuzz_tron_response fuzz_ton_response fuzz_solana_response)
targets=("$@")
((${#targets[@]})) || targets=("${all[@]}")
for t in "${targets[@]}"; do
  [[ -d tests/fuzz/corpus/$t ]] || { echo "fuzz: no target $t (no tests/fuzz/corpus/$t)" >&2; exit 2; }
done

# -O1 and no NDEBUG, like build-asan: assertions (nlohmann's included) stay on. Only the fuzzers
# are built (they link just the modules they reach), never the daemon or the tests.
dir=build-fuzz
cmake -S . -B "$dir" -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g" -DINSTAMARKET_FUZZ=ON -DINSTAMARKET_SANITIZE=ON \
  -DINSTAMARKET_WERROR=ON -DINSTAMARKET_BUILD_TESTS=OFF -DINSTAMARKET_BUILD_BENCH=OFF >&2
cmake --build "$dir" --target "${targets[@]}" >&2

# New inputs go to var/fuzz/corpus/<target> (kept between runs, not committed); the seeds in
# tests/fuzz/corpus/<target> are only read.
state=var/fuzz
mkdir -p "$state/artifacts"
export ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
failed=()
for t in "${targets[@]}"; do
  mkdir -p "$state/corpus/$t"
  dict=()
  [[ -f tests/fuzz/$t.dict ]] && dict=(-dict="tests/fuzz/$t.dict")
  log=$state/$t.log
  rc=0
  # -timeout: one input taking over 10 s is a hang; -rss_limit_mb: a blow-up, not a big input.
  "$dir/tests/fuzz/$t" "${dict[@]}" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -max_len=65536 -print_final_stats=1 -artifact_prefix="$state/artifacts/$t-" \
    "$state/corpus/$t" "tests/fuzz/corpus/$t" >"$log" 2>&1 || rc=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1)
  if ((rc != 0)); then
    failed+=("$t")
    echo "=== fuzz $t: FAILED (exit $rc), log $log" >&2
    grep -E 'ERROR|SUMMARY|runtime error|Test unit written' "$log" | head -n 20 >&2 || true
  else
    echo "=== fuzz $t: ${runs:-?} runs in ${seconds} s, ${cov:-cov: ?} edges" >&2
  fi
done
if ((${#failed[@]})); then
  echo "fuzz: ${#failed[@]} of ${#targets[@]} targets failed: ${failed[*]}" >&2
  exit 1
fi
echo "fuzz: ${#targets[@]} targets ran ${seconds} s each without a finding" >&2
