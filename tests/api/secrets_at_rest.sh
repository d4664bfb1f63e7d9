#!/usr/bin/env bash
# Secrets at rest: a recognisable secret (the canary) sent in a connector's
# config.password and in a secret variable is never written in clear: not in
# the database, its WAL or shared memory, anywhere in the data directory, nor
# in the host's log; checked while the host runs (the WAL holding the
# writes), after it is killed with SIGKILL (the WAL left as it was) and after
# clean stops. Reads mask it, and sending the mask back keeps the very
# envelope stored. An envelope copied onto another connector's row does not
# decrypt there: a change that needs it is refused (500 secret-unreadable,
# naming the field, never the value), and the other connector still works.
# The data directory is 0700 and the database files 0600; a data directory
# others may enter stops the host ("chmod 700").
# Usage: secrets_at_rest.sh CONNHUB FIXTURE_PLUGINS_DIR
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
lib_init secrets "$@"
host_args=(--log-level debug)

no_canary() { # WHAT: the last answer holds neither secret
  case $body in
  *"$pw"* | *"$var"*) fail "$1: the answer holds a secret: $body" ;;
  esac
}

has() { # TEXT WHAT
  [[ $body == *"$1"* ]] || fail "$2: answer lacks $1: $body"
}

# The stored JSON at PATH of connector NAME's document.
stored() { sqlite3 "$db" "SELECT json_extract(doc, '$2') FROM connectors WHERE name = '$1'"; }

# Every place a secret could land on disk or in the logs: zero hits.
assert_nowhere() { # WHEN
  local hits
  [ -f "$db" ] || fail "$1: no database at $db"
  for f in "$db" "$db-wal" "$db-shm"; do
    if [ -f "$f" ] && grep -a -q -F -e "$pw" -e "$var" "$f"; then
      fail "$1: a secret is in clear in $f"
    fi
  done
  hits=$(grep -a -r -l -F -e "$pw" -e "$var" "$data" "$tmp"/*.log || true)
  [ -z "$hits" ] || fail "$1: a secret is in clear in: $hits"
  hits=$(grep -a -r -l -F -e "$token" "$data" "$tmp"/*.log || true)
  [ -z "$hits" ] || fail "$1: the admin token is in clear in: $hits"
  # The grep does find what is stored in clear: the check can fail.
  grep -a -r -q -F "$visible" "$data" || fail "$1: control value $visible not found in $data"
}

# assert_nowhere with the host's last writes still in the WAL, not yet
# checkpointed into the database: the WAL must exist and hold them, or the
# grep of it would pass for want of anything to read.
assert_nowhere_with_wal() { # WHEN
  [ -s "$db-wal" ] || fail "$1: no WAL at $db-wal: nothing to check there"
  [ -f "$db-shm" ] || fail "$1: no shared memory file at $db-shm"
  grep -a -q -F "$visible" "$db-wal" || fail "$1: the WAL does not hold the last writes"
  assert_nowhere "$1"
}

assert_private() { # WHEN: the data directory and the database files are the owner's
  local f
  [ "$(stat -c %a "$data")" = 700 ] || fail "$1: $data has mode $(stat -c %a "$data")"
  for f in "$db" "$db-wal" "$db-shm"; do
    [ "$(stat -c %a "$f")" = 600 ] || fail "$1: $f has mode $(stat -c %a "$f")"
  done
}

umask 022 # what an operator usually has: the files must be 0600 anyway
pw="S3cr3t-$RANDOM$RANDOM-canary"
var="V4r-$RANDOM$RANDOM-canary"
visible="host-$RANDOM$RANDOM-visible"

start_host "$tmp/host1.log" fresh

# Connector a holds the canaries; b has a password of its own.
api POST /api/v1/connectors "{\"name\":\"a\",\"type\":\"fixture-a\",\"type_version\":\"1.0.0\",
  \"config\":{\"host\":\"$visible\",\"port\":5432,\"password\":\"$pw\"},
  \"variables\":[{\"key\":\"TOKEN\",\"value\":\"$var\",\"secret\":true},
                 {\"key\":\"PLAIN\",\"value\":\"plain\"}]}"
expect 201 "create a"
no_canary "create a"
has '"password":"********"' "create a"
has '"value":"********"' "create a"
a=$(id_of <<<"$body")
api POST /api/v1/connectors '{"name":"b","type":"fixture-a","type_version":"1.0.0",
  "config":{"host":"b.example","password":"b-own-password"}}'
expect 201 "create b"
b=$(id_of <<<"$body")
# Retried creates store their answer: the secret must not be in it either.
api POST /api/v1/connectors "{\"name\":\"c\",\"type\":\"fixture-a\",\"type_version\":\"1.0.0\",
  \"config\":{\"host\":\"c\",\"password\":\"$pw\"}}" "Idempotency-Key: c-1"
expect 201 "create c"
[ "$(sqlite3 "$db" "SELECT count(*) FROM idempotency WHERE key = 'c-1'")" = 1 ] ||
  fail "the answer to c was not stored under its key"
# A refused request with the secret in it: not echoed, not logged.
api POST /api/v1/connectors "{\"name\":\"d\",\"type\":\"fixture-a\",\"type_version\":\"1.0.0\",
  \"config\":{\"host\":\"d\",\"port\":70000,\"password\":\"$pw\"},
  \"variables\":[{\"key\":\"V\",\"value\":\"$var\",\"secret\":true},{\"key\":\"V\"}]}"
expect 422 "invalid create"
no_canary "invalid create"

api GET "/api/v1/connectors/$a"
expect 200 "get a"
no_canary "get a"
has '"password":"********"' "get a"
api GET "/api/v1/connectors?include=variables,type"
expect 200 "list"
no_canary "list"

# The mask keeps the stored envelopes as they are, not a new secret.
pw_env=$(stored a '$.config.password')
var_env=$(stored a '$.variables.TOKEN.value')
# shellcheck disable=SC2016,SC2125 # a literal $, and a pattern for [[ == ]]
envelope='{"$secret":{"kid":1,"nonce":"'*'","ct":"'*'"}}'
# shellcheck disable=SC2053 # $envelope is a pattern
[[ $pw_env == $envelope ]] || fail "config.password is stored as $pw_env"
# shellcheck disable=SC2053
[[ $var_env == $envelope ]] || fail "TOKEN is stored as $var_env"
[ "$(stored a '$.variables.PLAIN.value')" = plain ] || fail "PLAIN is not stored as it is"
api PUT "/api/v1/connectors/a" '{"config":{"password":"********","port":5433},
  "variables":[{"key":"TOKEN","value":"********","secret":true},{"key":"PLAIN","value":"plain"}]}'
expect 200 "put with the mask"
no_canary "put with the mask"
has '"port":5433' "put with the mask"
has '"revision":2' "put with the mask"
[ "$(stored a '$.config.password')" = "$pw_env" ] || fail "the mask replaced config.password"
[ "$(stored a '$.variables.TOKEN.value')" = "$var_env" ] || fail "the mask replaced TOKEN"

assert_nowhere_with_wal "while the host runs"
assert_private "while the host runs"
stop_host
assert_nowhere "after the first run"

# b gets a's sealed password: bound to a, it must not decrypt as b's.
b_env=$(stored b '$.config.password')
sqlite3 "$db" "UPDATE connectors SET doc = json_set(doc, '\$.config.password',
  json((SELECT json_extract(doc, '\$.config.password') FROM connectors WHERE name = 'a')))
  WHERE name = 'b'"
[ "$(stored b '$.config.password')" = "$pw_env" ] || fail "the envelope was not copied"
[ "$(stored b '$.config.password')" != "$b_env" ] || fail "b kept its own envelope"

start_host "$tmp/host2.log"
api PUT /api/v1/connectors/b '{"config":{"port":1}}'
expect 500 "put on b with a's envelope"
has '"type":"urn:connhub:problem:secret-unreadable"' "put on b"
has '"status":500' "put on b"
has '/config/password' "put on b"
no_canary "put on b"
[[ $(grep -o '"detail":"[^"]*"' <<<"$body") == *"/config/password"* ]] ||
  fail "the detail does not name /config/password: $body"
api GET "/api/v1/connectors/$b"
expect 200 "get b"
has '"revision":1' "b unchanged"
[[ $body != *'"port"'* ]] || fail "b changed: $body"
api PUT /api/v1/connectors/a '{"config":{"port":2}}'
expect 200 "put on a"
has '"port":2' "put on a"
has '"revision":3' "put on a"
no_canary "put on a"
api POST /api/v1/connectors "{\"name\":\"e\",\"type\":\"fixture-a\",\"type_version\":\"1.0.0\",
  \"config\":{\"host\":\"$visible\",\"password\":\"$pw\"}}"
expect 201 "create e"
# SIGKILL: no checkpoint, the WAL stays as the last commit left it.
kill -9 "$pid"
wait "$pid" 2>/dev/null || true
pid=
assert_nowhere_with_wal "after kill -9"
assert_private "after kill -9"

start_host "$tmp/host3.log"
api GET /api/v1/connectors/e
expect 200 "get e after kill -9"
has '"password":"********"' "get e"
stop_host
assert_nowhere "after the last run"

# A data directory others may enter: refused, not changed.
chmod 750 "$data"
refuses_to_start "a data directory of mode 0750" "chmod 700"
[ "$(stat -c %a "$data")" = 750 ] || fail "the host changed the data directory's mode"
chmod 700 "$data"
echo "secrets at rest: ok"
