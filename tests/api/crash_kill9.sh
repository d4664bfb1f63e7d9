#!/usr/bin/env bash
# kill -9 in the middle of writes: four writers create connectors (with a
# sealed secret each) as fast as the host answers; after a random number of
# answered creates (20 to 200) the host is killed with SIGKILL while more are
# in flight. Restarted on the same data directory, it must serve every
# connector whose create was answered 201, its list total must match the
# rows, and SQLite's integrity check must say ok. Three rounds, one data
# directory. Usage: crash_kill9.sh CONNHUB FIXTURE_PLUGINS_DIR
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
lib_init kill9 "$@"
ids=$tmp/ids # every id whose create answered 201
writers=4
per_writer=400 # bound on each writer's loop

# writer ROUND N: creates connectors until the host stops answering (or
# per_writer of them); appends each id answered 201 to $ids and a line to
# the progress pipe (fd 4).
writer() {
  local round=$1 n=$2 i c out=$tmp/body.$1.$2
  for ((i = 1; i <= per_writer; i++)); do
    c=$(curl -s -o "$out" -w '%{http_code}' --max-time 30 -X POST \
      -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
      --data-binary "{\"name\":\"r$round-w$n-$i\",\"type\":\"fixture-a\",\"type_version\":\"1.0.0\",
        \"config\":{\"host\":\"h$i\",\"password\":\"pw-$round-$n-$i\"},
        \"variables\":[{\"key\":\"K\",\"value\":\"v$i\",\"secret\":true}]}" \
      "$url/api/v1/connectors") || c=000
    case $c in
    201)
      id_of <"$out" >>"$ids"
      echo "$n" >&4
      ;;
    000) return 0 ;; # the host is gone
    *)
      echo "writer $n: create answered $c: $(cat "$out")" >&2
      echo "error" >&4
      return 1
      ;;
    esac
  done
}

# check_all WHAT: every recorded id reads back; totals and integrity hold.
check_all() {
  local n got total rows integrity
  n=$(wc -l <"$ids")
  # A few curls for all the ids: each answer (one line of JSON) followed by
  # a line with its status.
  got=$(sed "s|^|$url/api/v1/connectors/|" "$ids" |
    xargs curl -sg -w '\n%{http_code}\n' -H "Authorization: Bearer $token" |
    grep -c '^200$' || true)
  [ "$got" -eq "$n" ] || fail "$1: $got of $n acknowledged connectors read back"
  total=$(curl -sg -H "Authorization: Bearer $token" "$url/api/v1/connectors?per_page=1" |
    grep -o '"total":[0-9]*' | cut -d: -f2)
  rows=$(sqlite3 "$db" 'SELECT count(*) FROM connectors')
  [ "$total" = "$rows" ] || fail "$1: the list says $total connectors, the table holds $rows"
  [ "$rows" -ge "$n" ] || fail "$1: $rows rows, $n acknowledged"
  integrity=$(sqlite3 "$db" 'PRAGMA integrity_check')
  [ "$integrity" = ok ] || fail "$1: integrity_check: $integrity"
  echo "$1: $n acknowledged creates all there ($rows rows)"
}

: >"$ids"
mkfifo "$tmp/progress"
exec 4<>"$tmp/progress"
start_host "$tmp/host0.log" fresh
for round in 1 2 3; do
  target=$((20 + RANDOM % 181))
  workers=()
  for ((w = 1; w <= writers; w++)); do
    writer "$round" "$w" &
    workers+=($!)
  done
  # Count answered creates as they come; kill -9 at the target.
  for ((done_ = 0; done_ < target; done_++)); do
    read -r -t 60 -u 4 line || fail "round $round: writers stalled after $done_ creates"
    [ "$line" != error ] || fail "round $round: a create failed"
  done
  kill -9 "$pid"
  status=0
  wait "$pid" 2>/dev/null || status=$? # no "Killed" notice
  pid=
  [ "$status" -eq 137 ] || fail "round $round: the host exited with $status, not by SIGKILL"
  for w in "${workers[@]}"; do
    wait "$w" || fail "round $round: writer failed"
  done
  workers=()
  # Drain the progress lines of creates answered after the count.
  while read -r -t 0 -u 4 && read -r -u 4 line; do
    [ "$line" != error ] || fail "round $round: a create failed"
  done
  echo "round $round: killed after $target creates, $(wc -l <"$ids") acknowledged in all"
  start_host "$tmp/host$round.log"
  check_all "round $round"
done
stop_host
integrity=$(sqlite3 "$db" 'PRAGMA integrity_check')
[ "$integrity" = ok ] || fail "after the last stop: integrity_check: $integrity"
echo "kill -9: ok"
