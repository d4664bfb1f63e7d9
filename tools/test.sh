#!/usr/bin/env bash
# Installs what the tests need (Debian 12, as root), then builds from scratch
# and runs every test twice: a plain optimised build with debug information
# (with the valgrind check of the host), and a debug build under
# AddressSanitizer + UndefinedBehaviorSanitizer.
set -euo pipefail
cd "$(dirname "$0")/.."

bash tools/setup-deps.sh
jobs=$(nproc)

run_suite() { # <build dir> <build type> <cmake args...>
  local dir=$1 type=$2; shift 2
  rm -rf "$dir"
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE="$type" "$@" >/dev/null
  cmake --build "$dir" -j"$jobs"
  ctest --test-dir "$dir" --output-on-failure -j"$jobs"
}

# The plain build is optimised as the release is (-O2: the warnings only the
# optimiser finds fail it too), with debug information for valgrind.
echo "== plain build (RelWithDebInfo) =="
run_suite build/test RelWithDebInfo
echo "== AddressSanitizer + UndefinedBehaviorSanitizer build =="
ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 \
  run_suite build/asan Debug -DCH_SANITIZE=ON
