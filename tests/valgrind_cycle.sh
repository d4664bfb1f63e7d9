#!/usr/bin/env bash
# Runs the host under valgrind through a start / scan / serve / rescan / stop
# cycle and fails on any memory error or leak (definite, indirect or
# possible). Usage: valgrind_cycle.sh CONNHUB FIXTURE_PLUGINS_DIR
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=api/lib.sh
. "$(dirname "$0")/api/lib.sh"
lib_init vg "$@"
host_cmd=(valgrind --quiet --leak-check=full '--show-leak-kinds=definite,indirect,possible'
  '--errors-for-leak-kinds=definite,indirect,possible' --error-exitcode=99
  --log-file="$tmp/valgrind.log")
host_args=(--max-body 1024)
start_timeout=120
log_lines=+1 # all of valgrind's report

start_host "$tmp/host.log" fresh
echo "host at $url"

check() { # <expected status> <curl args...>
  local want=$1; shift
  local got
  got=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $token" "$@")
  [ "$got" = "$want" ] || { echo "FAIL: $* -> $got, expected $want"; exit 1; }
}
check 200 "$url/healthz"
check 200 "$url/api/v1/plugins"
check 200 "$url/api/v1/connectors/types?per_page=1&sort=-name"
check 200 "$url/api/v1/connectors/types/fixture-a?version=1.0.0"
check 404 "$url/api/v1/connectors/types/nope"
check 400 "$url/api/v1/connectors/types?per_page=1000"
check 200 -X POST "$url/api/v1/plugins/rescan"
check 400 -X POST -H 'Content-Type: application/json' --data '{"a":' "$url/api/v1/plugins/rescan"
check 413 -X POST -H 'Content-Type: application/json' --data "$(head -c 4000 /dev/zero | tr '\0' ' ')" "$url/api/v1/plugins/rescan"
check 405 -X DELETE "$url/api/v1/plugins"
check 404 "$url/nothing"
json=(-H 'Content-Type: application/json')
check 201 -X POST "${json[@]}" --data '{"name":"vg","type":"fixture-a","type_version":"1.0.0","config":{"host":"h","password":"s3cret"},"variables":[{"key":"K","value":"v","secret":true}]}' "$url/api/v1/connectors"
check 200 "$url/api/v1/connectors/vg"
check 200 "$url/api/v1/connectors?include=type,variables&sort=-created_at"
check 200 -X PUT "${json[@]}" --data '{"config":{"port":5432,"password":"********"}}' "$url/api/v1/connectors/vg"
check 422 -X PUT "${json[@]}" --data '{"config":{"port":"x"},"id":"con_x"}' "$url/api/v1/connectors/vg"
check 412 -X DELETE -H 'If-Match: "1"' "$url/api/v1/connectors/vg"
check 204 -X DELETE "$url/api/v1/connectors/vg"
token=cht_nope check 401 "$url/api/v1/connectors"

stop_host # valgrind's --error-exitcode makes any error or leak a failure
echo "valgrind: no errors, no leaks"
