#!/usr/bin/env bash
# Build (normal, then ASan+UBSan; both with -Werror) and run every test against a private
# PostgreSQL, then each libFuzzer harness for INSTAMARKET_FUZZ_SECONDS (default 10) seconds.
# Ends with "N passed, M failed" and a non-zero exit if anything failed.
#   --fast   skip the ASan+UBSan build and the fuzzers
set -euo pipefail
cd "$(dirname "$0")/.."

fast=0
for arg in "$@"; do
  case "$arg" in
    --fast) fast=1 ;;
    *) echo "usage: $0 [--fast]" >&2; exit 2 ;;
  esac
done

state=$PWD/var/test # absolute: tests run with the build directory as their cwd

scripts/install-deps.sh
# ganache + solc for the deposit tests on a real local EVM chain (no-op when already installed).
devnet/install.sh
tests/browser/install.sh
# The wallets' npm libraries that make the signature test vectors (no-op when installed).
tests/signatures/install.sh
# Sequential builds: CI has two cores, and parallel builds would just fight over them.
builds=("$(scripts/build.sh --werror)")
((fast)) || builds+=("$(scripts/build.sh --asan --werror)")
# The fuzzers (clang, build-fuzz/): one "test" each; a crash or sanitizer report fails it.
fuzz_failed=0
fuzz_targets=0
if ((!fast)); then
  fuzz_log=$state/fuzz.log
  mkdir -p "$state"
  echo "=== fuzzing, ${INSTAMARKET_FUZZ_SECONDS:-10} s per target (log $fuzz_log)" >&2
  scripts/fuzz.sh "${INSTAMARKET_FUZZ_SECONDS:-10}" 2>&1 | tee "$fuzz_log" >&2 || true
  fuzz_targets=$(grep -c '^=== fuzz ' "$fuzz_log" || true)
  fuzz_failed=$(grep -c '^=== fuzz .*: FAILED' "$fuzz_log" || true)
  # No target line at all: the build failed; count it as one failure.
  ((fuzz_targets > 0)) || { fuzz_targets=1; fuzz_failed=1; }
fi

# Durability is pointless for a throwaway test cluster. Exported so that e2e tests which
# restart PostgreSQL through pg.sh keep the same settings.
export PG_FAST=1
trap 'scripts/pg.sh stop "$state" || true' EXIT
# The test cluster's port: INSTAMARKET_TEST_PG_PORT if set, else the one it already runs on, else
# 54331, else (another clone's suite or quick start holds it) the next free one. Chosen after the
# builds and tried again if someone took it meanwhile; the tests learn it from the environment.
port=${INSTAMARKET_TEST_PG_PORT:-}
if [[ -n "$port" ]]; then
  scripts/pg.sh start "$state" "$port" >/dev/null
else
  for attempt in 1 2 3; do
    port=$(scripts/pg.sh port "$state" 2>/dev/null || python3 scripts/port-owner.py --free 54331)
    rc=0
    scripts/pg.sh start "$state" "$port" >/dev/null || rc=$?
    ((rc != 0)) || break
    # 75: the port was taken between the choice and the start; anything else is a real failure.
    ((rc == 75 && attempt < 3)) || exit 1
    echo "=== port $port was taken meanwhile; choosing another" >&2
  done
fi
echo "=== PostgreSQL for the tests on 127.0.0.1:$port, cluster in $(scripts/pg.sh where "$state")" >&2

# What the PostgreSQL and e2e tests need to find (and, for the database-down test, stop) the server.
export INSTAMARKET_TEST_PG_STATE=$state
export INSTAMARKET_TEST_PG_PORT=$port
export INSTAMARKET_TEST_PG_SCRIPT=$PWD/scripts/pg.sh
# Everything an e2e test needs is provided here: a test that would skip for want of it fails.
export INSTAMARKET_E2E_REQUIRE=1

passed=$((fuzz_targets - fuzz_failed))
failed=$fuzz_failed
skipped=0
for build in "${builds[@]}"; do
  db=instamarket_test
  # e2e tests default to build/app/instamarketd; point them at this build's binary instead.
  extra=(INSTAMARKET_BINARY="$PWD/$build/app/instamarketd")
  if [[ "$build" == build-asan ]]; then
    db=instamarket_test_asan
    extra+=(ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
            # Quoted: sanitizer options split on spaces, and the clone's path may have one.
            LSAN_OPTIONS="suppressions='$PWD/tests/lsan.supp':print_suppressions=0")
  fi
  # A fresh database per build, so one build's leftovers cannot make the other pass or fail.
  url=$(scripts/pg.sh createdb "$state" "$port" "$db")
  log=$state/ctest-$build.log
  echo "=== ctest $build (database $db, full log $log)" >&2
  # Serial on purpose: the tests share one database and an e2e test stops the server.
  # --no-tests=error: a build that registers no tests is a broken build, not a pass.
  rc=0
  env INSTAMARKET_TEST_DATABASE_URL="$url" "${extra[@]}" \
    ctest --test-dir "$build" --output-on-failure --no-tests=error --timeout 300 2>&1 |
    tee "$log" || rc=$?
  # ctest: "95% tests passed, 1 tests failed out of 20"
  counts=$(sed -n 's/.*tests passed, \([0-9]\+\) tests\? failed out of \([0-9]\+\).*/\1 \2/p' "$log" | tail -n 1)
  if [[ -n "$counts" ]]; then
    read -r bad total <<<"$counts"
    # ctest counts a skipped test (a root-only test run by another user, an e2e module with a
    # skipped case: exit 77) among the passed.
    skips=$(grep -c '\*\*\*Skipped' "$log" || true)
    passed=$((passed + total - bad - skips))
    failed=$((failed + bad))
    skipped=$((skipped + skips))
  elif ((rc != 0)); then
    # No summary line (no tests found, ctest crashed): count the whole build as one failure.
    echo "ctest in $build failed without a summary (exit $rc)" >&2
    failed=$((failed + 1))
  fi
done

# Stop PostgreSQL before the summary, so the summary really is the last line.
trap - EXIT
scripts/pg.sh stop "$state"
if ((skipped)); then
  echo "$passed passed, $failed failed, $skipped skipped"
else
  echo "$passed passed, $failed failed"
fi
((failed == 0))
