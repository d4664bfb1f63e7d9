#!/usr/bin/env bash
# Runs the host under valgrind through a start / scan / serve / rescan / stop
# cycle and fails on any memory error or leak (definite, indirect or
# possible). Usage: valgrind_cycle.sh CONNHUB FIXTURE_PLUGINS_DIR
set -euo pipefail
connhub=$1 plugins=$2
tmp=$(mktemp -d /tmp/connhub-vg-XXXXXX)
pid=
cleanup() { [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT

mkfifo "$tmp/out"
valgrind --quiet --leak-check=full --show-leak-kinds=definite,indirect,possible \
  --errors-for-leak-kinds=definite,indirect,possible --error-exitcode=99 \
  --log-file="$tmp/valgrind.log" \
  "$connhub" serve --listen 127.0.0.1:0 --plugins-dir "$plugins" \
  --data-dir "$tmp/data" --max-body 1024 >"$tmp/out" 2>"$tmp/host.log" &
pid=$!
exec 3<"$tmp/out"
if ! read -r -t 120 -u 3 line; then
  echo "host did not start"; cat "$tmp/host.log" "$tmp/valgrind.log"; exit 1
fi
url=${line#connhub listening on }
read -r -t 60 -u 3 line || { echo "no admin token printed"; exit 1; }
token=${line#admin token (shown once): }
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

kill -TERM "$pid"
status=0
wait "$pid" || status=$?
pid=
if [ "$status" -ne 0 ]; then
  echo "host exited with $status under valgrind"
  cat "$tmp/valgrind.log"
  exit 1
fi
echo "valgrind: no errors, no leaks"
