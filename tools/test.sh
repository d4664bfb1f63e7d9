#!/usr/bin/env bash
# Installs what the tests need (Debian 12, as root), then builds from scratch
# and runs every test twice: a plain debug build (with the valgrind check of
# the host), and a build under AddressSanitizer + UndefinedBehaviorSanitizer.
set -euo pipefail
cd "$(dirname "$0")/.."

bash tools/setup-deps.sh
jobs=$(nproc)

run_suite() { # <build dir> <cmake args...>
  local dir=$1; shift
  rm -rf "$dir"
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Debug "$@" >/dev/null
  cmake --build "$dir" -j"$jobs"
  ctest --test-dir "$dir" --output-on-failure -j"$jobs"
}

echo "== plain build =="
run_suite build/test
echo "== AddressSanitizer + UndefinedBehaviorSanitizer build =="
ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 \
  run_suite build/asan -DCH_SANITIZE=ON
