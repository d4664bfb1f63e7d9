#!/usr/bin/env bash
# Master key rotation and the key checks at start:
#  - `connhub keys rotate` while the host runs fails (the data directory is
#    locked) and changes nothing;
#  - with the host stopped it re-encrypts every secret under key 2 and leaves
#    one key, "2:...", in the key file (mode 0600); the host then starts and
#    a change that decrypts the secrets (PUT with the mask) works;
#  - an open setup wizard session (branchy, api_key answered) is resealed in
#    the same rotation: the wizard finishes after it and the plugin's test
#    sees the right key;
#  - the rotation keeps every revision and updated_at: an ETag read before
#    it still passes If-Match after it;
#  - the host starts with the key given in CONNHUB_MASTER_KEY alone (no key
#    file) and decrypts; a wrong one there stops it; keys rotate refuses to
#    run with CONNHUB_MASTER_KEY set;
#  - a key file with another key (kid 1 or 2), or readable by others (0644),
#    stops the host before it serves: exit status non-zero, a message naming
#    the master key (or asking for chmod 600), no URL printed.
# Usage: key_rotation.sh CONNHUB FIXTURE_PLUGINS_DIR WIZARD_PLUGINS_DIR
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
lib_init keys "$@"
keyfile=$data/master.key
# The fixture types and the wizard's "branchy", from one directory.
mkdir "$tmp/plugins"
ln -s "$plugins"/*.so "$3"/*.so "$tmp/plugins/"
plugins=$tmp/plugins

# Every stored document, for comparisons.
docs() { sqlite3 "$db" 'SELECT id, revision, doc FROM connectors ORDER BY id'; }

# The kids of every envelope stored, one per line.
kids() { docs | grep -o '"[$]secret":{"kid":[0-9]*' | cut -d: -f3; }

# The same for the setup sessions.
session_kids() {
  sqlite3 "$db" 'SELECT doc FROM setup_sessions' | grep -o '"[$]secret":{"kid":[0-9]*' | cut -d: -f3
}

# What a rotation must not move: revisions and timestamps.
revisions() {
  sqlite3 "$db" 'SELECT id, revision, updated_at FROM connectors ORDER BY id;
                 SELECT connector_id, revision, updated_at FROM setup_sessions ORDER BY 1'
}

# wizard_step STEP BODY WANT: POST .../setup/STEP, expect 200 and step WANT.
wizard_step() {
  api POST "/api/v1/connectors/wiz/setup/$1" "$2"
  expect 200 "setup/$1 $2"
  [[ $body == *"\"id\":\"$3\""* ]] || fail "setup/$1: not at step $3: $body"
}

mode_of() { stat -c %a "$1"; }

start_host "$tmp/host1.log" fresh
for i in 1 2 3; do
  api POST /api/v1/connectors "{\"name\":\"k$i\",\"type\":\"fixture-a\",\"type_version\":\"1.0.0\",
    \"config\":{\"host\":\"h$i\",\"password\":\"pw-$i-secret\"},
    \"variables\":[{\"key\":\"S\",\"value\":\"var-$i\",\"secret\":true}]}"
  expect 201 "create k$i"
done
api POST /api/v1/connectors '{"name":"plain","type":"fixture-b","config":{"a":1}}'
expect 201 "create plain"
# A wizard left open with its secret answered, to be finished after the rotation.
api POST /api/v1/connectors '{"name":"wiz","type":"branchy"}'
expect 201 "create wiz"
api POST /api/v1/connectors/wiz/setup
expect 200 "setup wiz"
wizard_step next '{"host":"api.example.org"}' auth
wizard_step next '{"auth":"key"}' key
wizard_step next '{"api_key":"right-key"}' region
[ "$(session_kids)" = 1 ] || fail "the session's api_key is not sealed under key 1: $(session_kids)"
[ "$(kids | sort -u)" = 1 ] || fail "secrets are not under key 1: $(kids | sort -u)"
[ "$(kids | wc -l)" -eq 6 ] || fail "$(kids | wc -l) envelopes stored, expected 6"
[ "$(mode_of "$keyfile")" = 600 ] || fail "the key file has mode $(mode_of "$keyfile")"
grep -q '^1:' "$keyfile" || fail "the key file does not start with key 1"

# Rotation while the host runs: refused, nothing changed.
cp -p "$keyfile" "$tmp/key.1"
docs >"$tmp/docs.1"
status=0
"$connhub" keys rotate --data-dir "$data" >"$tmp/busy.out" 2>"$tmp/busy.err" || status=$?
[ "$status" -ne 0 ] || fail "keys rotate succeeded while the host runs"
grep -q -F "in use" "$tmp/busy.err" || fail "keys rotate (busy): $(cat "$tmp/busy.err")"
cmp -s "$keyfile" "$tmp/key.1" || fail "keys rotate (busy) changed the key file"
compgen -G "$keyfile.tmp*" >/dev/null && fail "keys rotate (busy) left a temporary key file"
docs | cmp -s - "$tmp/docs.1" || fail "keys rotate (busy) changed the connectors"
api PUT /api/v1/connectors/k1 '{"config":{"password":"********","port":1}}'
expect 200 "put with the mask, before the rotation"

api GET /api/v1/connectors/k1
expect 200 "get k1"
k1_etag=$(grep -o '"revision":[0-9]*' <<<"$body" | cut -d: -f2)
stop_host

# keys rotate writes the key file: it refuses a key given by the environment.
status=0
CONNHUB_MASTER_KEY=$(cat "$keyfile") "$connhub" keys rotate --data-dir "$data" \
  >"$tmp/env.out" 2>"$tmp/env.err" || status=$?
[ "$status" -eq 2 ] || fail "keys rotate with CONNHUB_MASTER_KEY exited $status"
grep -q -F "unset CONNHUB_MASTER_KEY" "$tmp/env.err" || fail "keys rotate (env): $(cat "$tmp/env.err")"
cmp -s "$keyfile" "$tmp/key.1" || fail "keys rotate (env) changed the key file"

# Rotation with the host stopped.
docs >"$tmp/docs.2"
revisions >"$tmp/revisions.2"
"$connhub" keys rotate --data-dir "$data" >"$tmp/rotate.out" 2>"$tmp/rotate.err" ||
  fail "keys rotate: $(cat "$tmp/rotate.err")"
grep -q -F "master key 2" "$tmp/rotate.out" || fail "keys rotate said: $(cat "$tmp/rotate.out")"
[ "$(wc -l <"$keyfile")" -eq 1 ] || fail "the key file holds $(wc -l <"$keyfile") lines"
grep -q '^2:[A-Za-z0-9+/]\{43\}=$' "$keyfile" || fail "the key file does not hold key 2 alone"
[ "$(mode_of "$keyfile")" = 600 ] || fail "the rotated key file has mode $(mode_of "$keyfile")"
cmp -s "$keyfile" "$tmp/key.1" && fail "the key file did not change"
[ "$(kids | sort -u)" = 2 ] || fail "secrets are not all under key 2: $(kids | sort | uniq -c)"
[ "$(kids | wc -l)" -eq 6 ] || fail "$(kids | wc -l) envelopes after the rotation, expected 6"
docs | cmp -s - "$tmp/docs.2" && fail "the rotation rewrote nothing"
[ "$(session_kids)" = 2 ] || fail "the session's api_key is not under key 2: $(session_kids)"
revisions | cmp -s - "$tmp/revisions.2" ||
  fail "the rotation moved revisions: $(revisions | diff "$tmp/revisions.2" - || true)"
compgen -G "$keyfile.tmp*" >/dev/null && fail "the rotation left a temporary key file"
cp -p "$keyfile" "$tmp/key.2"

# The host starts with the new key and decrypts the secrets.
start_host "$tmp/host2.log"
# The ETag read before the rotation is still the connector's.
api PUT /api/v1/connectors/k1 '{"config":{"port":5}}' "If-Match: \"$k1_etag\""
expect 200 "put on k1 with the ETag from before the rotation"
# The open wizard finishes with its resealed answer, which the plugin sees.
api POST /api/v1/connectors/wiz/setup/finish '{"region":"eu"}'
expect 200 "finish the wizard after the rotation"
[[ $body == *'"api_key":"********"'* && $body == *'"status":"CONFIGURED"'* ]] ||
  fail "finish: $body"
api POST /api/v1/connectors/wiz/test
expect 200 "test wiz"
[[ $body == *'"valid":true'* ]] || fail "the plugin did not get the right api_key: $body"
api PUT /api/v1/connectors/k2 '{"config":{"password":"********","port":2},
  "variables":[{"key":"S","value":"********","secret":true}]}'
expect 200 "put with the mask after the rotation"
[[ $body == *'"password":"********"'* && $body == *'"port":2'* ]] || fail "put k2: $body"
api PUT /api/v1/connectors/k1 '{"config":{"port":3}}'
expect 200 "put on k1 after the rotation"
api POST /api/v1/connectors '{"name":"k4","type":"fixture-a","type_version":"1.0.0",
  "config":{"host":"h4","password":"pw-4-secret"}}'
expect 201 "create after the rotation"
stop_host
[ "$(kids | sort -u)" = 2 ] || fail "new secrets are not under key 2: $(kids | sort | uniq -c)"

# The key in CONNHUB_MASTER_KEY alone, with no key file at all.
mv "$keyfile" "$tmp/key.moved"
CONNHUB_MASTER_KEY=$(cat "$tmp/key.moved") start_host "$tmp/host-env.log"
api PUT /api/v1/connectors/k2 '{"config":{"password":"********","port":6}}'
expect 200 "put with the mask, key from CONNHUB_MASTER_KEY"
api POST /api/v1/connectors/wiz/test
[[ $code == 200 && $body == *'"valid":true'* ]] || fail "test with the key from the environment: $body"
stop_host
[ ! -e "$keyfile" ] || fail "the host wrote a key file although CONNHUB_MASTER_KEY was set"
CONNHUB_MASTER_KEY="2:$(head -c 32 /dev/urandom | base64 -w 0)" \
  refuses_to_start "a wrong key in CONNHUB_MASTER_KEY" "master key 2 does not decrypt"
mv "$tmp/key.moved" "$keyfile"

# A fresh random key: kid 1 (the database wants 2) or kid 2 with other bytes.
docs >"$tmp/docs.3"
for kid in 1 2; do
  rm -f "$keyfile"
  (umask 077 && echo "$kid:$(head -c 32 /dev/urandom | base64 -w 0)" >"$keyfile")
  chmod 600 "$keyfile"
  refuses_to_start "a fresh key $kid" "master key"
done
docs | cmp -s - "$tmp/docs.3" || fail "a refused start changed the connectors"

# The right key, readable by others.
cp "$tmp/key.2" "$keyfile"
chmod 644 "$keyfile"
refuses_to_start "a key file of mode 0644" "chmod 600"
[ "$(mode_of "$keyfile")" = 644 ] || fail "the host changed the key file's mode"

# The right key, mode 0600: serves again.
chmod 600 "$keyfile"
start_host "$tmp/host3.log"
api PUT /api/v1/connectors/k3 '{"config":{"password":"********","port":4}}'
expect 200 "put with the mask, key restored"
api GET /api/v1/connectors?per_page=1
expect 200 "list"
[[ $body == *'"total":6'* ]] || fail "list: $body"
stop_host
echo "key rotation: ok"
