#!/usr/bin/env bash
# Runs the host under valgrind through a start / scan / serve / call /
# rescan / stop cycle, twice, and fails on any memory error or leak
# (definite, indirect or possible):
#   1. --plugin-isolation process with --trace-children=yes: the host and
#      every runner it starts (the same binary, exec'd) get a valgrind log of
#      their own, and every log is checked;
#   2. --plugin-isolation none: loading, scanning and calls in the host
#      itself.
# Usage: valgrind_cycle.sh CONNHUB FIXTURE_PLUGINS_DIR
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=api/lib.sh
. "$(dirname "$0")/api/lib.sh"
lib_init vg "$@"
start_timeout=120
log_lines=+1 # all of valgrind's report

check() { # <expected status> <curl args...>
  local want=$1; shift
  local got
  got=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $token" "$@")
  [ "$got" = "$want" ] || fail "$* -> $got, expected $want"
}

requests() {
  local json=(-H 'Content-Type: application/json')
  check 200 "$url/healthz"
  check 200 "$url/api/v1/plugins"
  check 200 "$url/api/v1/connectors/types?per_page=1&sort=-name"
  check 200 "$url/api/v1/connectors/types/fixture-a?version=1.0.0"
  check 404 "$url/api/v1/connectors/types/nope"
  check 400 "$url/api/v1/connectors/types?per_page=1000"
  check 400 "$url/api/v1/connectors/types?filter%5Bcapability%5D=bogus"
  check 405 -X POST "$url/api/v1/connectors/types"
  check 200 -X POST "$url/api/v1/plugins/rescan"
  check 400 -X POST "${json[@]}" --data '{"a":' "$url/api/v1/plugins/rescan"
  check 413 -X POST "${json[@]}" --data "$(head -c 4000 /dev/zero | tr '\0' ' ')" "$url/api/v1/plugins/rescan"
  check 405 -X DELETE "$url/api/v1/plugins"
  check 404 "$url/nothing"
  check 201 -X POST "${json[@]}" --data '{"name":"vg","type":"fixture-a","type_version":"1.0.0","config":{"host":"h","password":"s3cret"},"variables":[{"key":"K","value":"v","secret":true}]}' "$url/api/v1/connectors"
  check 200 "$url/api/v1/connectors/vg"
  check 200 "$url/api/v1/connectors/vg/test"
  check 204 -X POST "$url/api/v1/connectors/vg/refresh"
  check 200 "$url/api/v1/connectors?include=type,variables&sort=-created_at"
  check 200 -X PUT "${json[@]}" --data '{"config":{"port":5432,"password":"********"}}' "$url/api/v1/connectors/vg"
  check 422 -X PUT "${json[@]}" --data '{"config":{"port":"x"},"id":"con_x"}' "$url/api/v1/connectors/vg"
  check 412 -X DELETE -H 'If-Match: "1"' "$url/api/v1/connectors/vg"
  check 204 -X DELETE "$url/api/v1/connectors/vg"
  token=cht_nope check 401 "$url/api/v1/connectors"
}

# check_logs PREFIX: every valgrind log PREFIX.<pid>.log must be clean. A
# finished process's log ends with its ERROR SUMMARY (leaks count as
# errors here); a runner killed before valgrind finished has none, and may
# then show no error report at all. Sets complete and total (log counts).
check_logs() {
  local f
  complete=0 total=0
  for f in "$1".*.log; do
    [ -f "$f" ] || continue
    total=$((total + 1))
    if grep -q 'ERROR SUMMARY: [1-9]' "$f" ||
      grep -Eq '== (Invalid (read|write|free)|Conditional jump|Use of uninitialised|Syscall param|Mismatched free|Source and destination overlap|[0-9,]+ bytes in [0-9,]+ blocks are definitely lost)' "$f"; then
      cat "$f" >&2
      fail "valgrind found errors: $f"
    fi
    if grep -q 'ERROR SUMMARY: 0 errors' "$f"; then complete=$((complete + 1)); fi
  done
}

# cycle NAME VALGRIND_ARGS -- SERVE_ARGS: one pass on a fresh data directory.
cycle() {
  local name=$1 vg=() complete total
  shift
  while [ "$1" != -- ]; do vg+=("$1"); shift; done
  shift
  rm -rf "$data"
  host_cmd=(valgrind --leak-check=full '--show-leak-kinds=definite,indirect,possible'
    '--errors-for-leak-kinds=definite,indirect,possible' --error-exitcode=99
    "--log-file=$tmp/$name.%p.log" "${vg[@]}")
  host_args=(--max-body 1024 "$@")
  start_host "$tmp/$name-host.log" fresh
  echo "$name: host at $url"
  requests
  stop_host # valgrind's --error-exitcode makes any error or leak in the host a failure
  check_logs "$tmp/$name"
  echo "$name: $complete of $total process(es) ran to their valgrind summary; no error or leak in any"
  [ "$complete" -ge "${min_complete:-1}" ] ||
    fail "$name: only $complete complete valgrind log(s), expected at least $min_complete"
}

# Runners under valgrind need more than the default deadlines, and no
# RLIMIT_AS or RLIMIT_NOFILE of their own: valgrind reserves address space
# and file descriptors for itself.
min_complete=2 # the host and at least one runner
cycle process --trace-children=yes -- --plugin-isolation process --plugin-runners 1 \
  --plugin-memory-mb 0 --plugin-files 0 --plugin-load-timeout-ms 120000 \
  --plugin-timeout-ms 120000
min_complete=1 # the host alone
cycle inprocess -- --plugin-isolation none
echo "valgrind: no errors, no leaks"
