# shellcheck shell=bash
# Shared by the scripts that start a connhub host themselves
# (tests/api/*.sh, tests/valgrind_cycle.sh). Source it after
# `set -euo pipefail`, then call lib_init:
#
#   . "$(dirname "$0")/lib.sh"
#   lib_init NAME "$@"          # the script's CONNHUB and FIXTURE_PLUGINS_DIR
#   start_host "$tmp/host1.log" fresh
#   api POST /api/v1/connectors '{...}'
#   expect 201 "create"
#   stop_host
#   refuses_to_start "a bad key" "master key"   # exits non-zero, log says so
#
# Knobs a script may set after lib_init: host_cmd (a command the host runs
# under, e.g. valgrind), host_args (more arguments of `connhub serve`),
# start_timeout (seconds to wait for the URL line), log_lines (how much of
# each log fail() shows, as for tail -n), workers (pids the exit trap kills).

# lib_init NAME CONNHUB PLUGINS: sets connhub, plugins, tmp (a new directory
# /tmp/connhub-NAME-XXXXXX), data and db; clears the CONNHUB_* environment;
# installs the exit trap that kills the host and removes tmp.
lib_init() {
  connhub=$2 plugins=$3
  unset CONNHUB_MASTER_KEY CONNHUB_KEY_FILE CONNHUB_DATA_DIR CONNHUB_CONFIG CONNHUB_LISTEN
  tmp=$(mktemp -d "/tmp/connhub-$1-XXXXXX")
  data=$tmp/data
  # shellcheck disable=SC2034 # for the scripts
  db=$data/connhub.db
  pid='' url='' token='' code='' body=''
  host_cmd=() host_args=() workers=()
  start_timeout=60 log_lines=30
  trap lib_cleanup EXIT
}

lib_cleanup() {
  if [ -n "$pid" ]; then kill -9 "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  for w in "${workers[@]}"; do kill "$w" 2>/dev/null || true; done
  rm -rf "$tmp"
}

# fail MESSAGE...: says why, shows the end of every log in $tmp, exits 1.
fail() {
  echo "FAIL: $*" >&2
  for f in "$tmp"/*.log; do
    [ -f "$f" ] && { echo "--- $f (last lines)" >&2; tail -n "$log_lines" "$f" >&2; }
  done
  exit 1
}

# launch_host LOG: starts `connhub serve` on a free loopback port and $data,
# its stderr appended to LOG; pid is the host's, fd 3 reads its stdout.
launch_host() {
  rm -f "$tmp/out"
  mkfifo "$tmp/out"
  "${host_cmd[@]}" "$connhub" serve --listen 127.0.0.1:0 --plugins-dir "$plugins" \
    --data-dir "$data" "${host_args[@]}" >"$tmp/out" 2>>"$1" &
  pid=$!
  exec 3<"$tmp/out"
}

# start_host LOG [fresh]: launches the host; reads the URL line and, on a
# fresh data directory, the admin token line. No sleeps: the reads wait.
start_host() {
  local fresh=${2:-} line
  launch_host "$1"
  read -r -t "$start_timeout" -u 3 line || fail "the host did not print its URL"
  [[ $line == "connhub listening on http://"* ]] || fail "first line: $line"
  url=${line#connhub listening on }
  if [ -n "$fresh" ]; then
    read -r -t 60 -u 3 line || fail "the host printed no admin token"
    [[ $line == "admin token (shown once): cht_"* ]] || fail "second line: $line"
    token=${line#admin token (shown once): }
  fi
  exec 3<&-
}

# refuses_to_start WHAT TEXT: the host exits non-zero before printing its
# URL, and its log says TEXT.
refuses_to_start() {
  local what=$1 text=$2 log=$tmp/refused.log line status=0
  : >"$log"
  launch_host "$log"
  # The read ends at the host's first line or when it exits (end of file).
  if read -r -t 60 -u 3 line; then
    fail "$what: the host started anyway: $line"
  fi
  exec 3<&-
  wait "$pid" || status=$?
  pid=
  [ "$status" -ne 0 ] || fail "$what: the host exited 0"
  [ "$status" -lt 128 ] || fail "$what: the host died of signal $((status - 128))"
  grep -q -F -- "$text" "$log" || fail "$what: the log does not say \"$text\": $(cat "$log")"
  echo "$what: refused (exit $status): $(tail -n 1 "$log")"
}

# stop_host: SIGTERM; the host must exit 0.
stop_host() {
  local status=0
  kill -TERM "$pid"
  wait "$pid" || status=$?
  pid=
  [ "$status" -eq 0 ] || fail "the host exited with $status on SIGTERM"
}

# api METHOD PATH [BODY [HEADER]]: sets code and body.
api() {
  local args=(-sg -o "$tmp/body" -w '%{http_code}' -X "$1" -H "Authorization: Bearer $token")
  [ $# -ge 3 ] && args+=(-H 'Content-Type: application/json' --data-binary "$3")
  [ $# -ge 4 ] && args+=(-H "$4")
  rm -f "$tmp/body"
  code=$(curl "${args[@]}" "$url$2") || code=000
  body=$(cat "$tmp/body" 2>/dev/null || true)
}

expect() { # STATUS WHAT
  [ "$code" = "$1" ] || fail "$2: status $code, expected $1: $body"
}

# id_of: the first connector id in the JSON on stdin.
id_of() { grep -o '"id":"con_[a-z2-7]\{26\}"' | head -n 1 | cut -d'"' -f4; }
