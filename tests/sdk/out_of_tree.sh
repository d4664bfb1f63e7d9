#!/usr/bin/env bash
# Out-of-tree test of the SDK, the way a third party uses it:
#   1. `cmake --install <build> --component sdk` into a fresh prefix;
#   2. build plugins against that prefix only:
#      (i)   tests/sdk/example with find_package(connhub) + connhub_add_plugin
#      (ii)  the same example.c by hand with cc and pkg-config
#      (iii) plugins/sqlite on its own (it is built like a third party's)
#      (iv)  the copy-me template sdk/template
#   3. load each .so with the host: `connhub plugin inspect FILE` must accept
#      it and print its manifest, `connhub plugin call FILE TYPE test JSON`
#      must return a passing test result;
#   4. serve (i) and (iv) from a plugins directory with `connhub serve`:
#      GET /api/v1/plugins lists both loaded, GET
#      /api/v1/connectors/types/<type> answers 200 for each type.
#
# usage: out_of_tree.sh EXAMPLE_DIR BUILD_DIR CONNHUB CC LIBDIR SOURCE_DIR [CMAKE]
set -euo pipefail

if [ $# -lt 6 ]; then
	echo "usage: $0 EXAMPLE_DIR BUILD_DIR CONNHUB CC LIBDIR SOURCE_DIR [CMAKE]" >&2
	exit 2
fi
EXAMPLE=$1
BUILD=$2
CONNHUB=$3
CC_BIN=$4
LIBDIR=$5
SOURCE=$6
CMAKE=${7:-cmake}

TMP=$(mktemp -d "${TMPDIR:-/tmp}/connhub-sdk-XXXXXX")
trap 'rm -rf "$TMP"' EXIT
PREFIX=$TMP/prefix

fail() {
	echo "out_of_tree: FAIL: $*" >&2
	exit 1
}

# Runs a command quietly; on failure shows its output and fails.
quiet() {
	local log=$TMP/cmd.log
	if ! "$@" >"$log" 2>&1; then
		cat "$log" >&2
		fail "command failed: $*"
	fi
}

echo "== install the SDK into $PREFIX"
quiet "$CMAKE" --install "$BUILD" --component sdk --prefix "$PREFIX"
for f in include/connhub/plugin.h include/connhub/sdk.h \
	"$LIBDIR/libconnhub-sdk.a" \
	"$LIBDIR/cmake/connhub/connhubConfig.cmake" \
	"$LIBDIR/cmake/connhub/connhubConfigVersion.cmake" \
	"$LIBDIR/cmake/connhub/connhubTargets.cmake" \
	"$LIBDIR/cmake/connhub/connhub_add_plugin.cmake" \
	"$LIBDIR/pkgconfig/connhub-sdk.pc"; do
	[ -f "$PREFIX/$f" ] || fail "the SDK install lacks $f"
done
[ ! -e "$PREFIX/$LIBDIR/connhub/plugins" ] ||
	fail "component sdk installed bundled plugins"

# Only connhub_plugin_entry may be exported.
check_exports() {
	local so=$1 exported
	exported=$(nm -D --defined-only "$so" | awk '$2 == "T" { print $3 }' |
		grep -v -x -e _init -e _fini || true)
	[ "$exported" = "connhub_plugin_entry" ] ||
		fail "$so exports: $(echo "$exported" | tr '\n' ' ')"
}

# check_plugin FILE TYPE INPUT: the host loads FILE and TYPE's test passes.
check_plugin() {
	local so=$1 type=$2 input=$3 out=$TMP/out.json err=$TMP/err.txt
	[ -f "$so" ] || fail "$so was not built"
	check_exports "$so"
	if ! "$CONNHUB" plugin inspect "$so" >"$out" 2>"$err"; then
		fail "plugin inspect rejected $so: $(cat "$err")"
	fi
	grep -q "\"id\":\"$type\"" "$out" ||
		fail "plugin inspect $so: no \"id\":\"$type\" in: $(cat "$out")"
	if ! "$CONNHUB" plugin call "$so" "$type" test "$input" >"$out" 2>"$err"; then
		fail "plugin call $so $type test failed: $(cat "$err")"
	fi
	grep -q '"valid":true' "$out" ||
		fail "plugin call $so $type test: not valid: $(cat "$out")"
	echo "   $so: loaded, $type test passed"
}

# cmake_plugin SRC NAME: configures and builds SRC against the prefix.
cmake_plugin() {
	local src=$1 bld=$TMP/build-$2
	quiet "$CMAKE" -S "$src" -B "$bld" -DCMAKE_PREFIX_PATH="$PREFIX" \
		-DCMAKE_C_COMPILER="$CC_BIN" -DCMAKE_BUILD_TYPE=Release
	quiet "$CMAKE" --build "$bld"
}

echo "== (i) example with find_package(connhub) + connhub_add_plugin"
cmake_plugin "$EXAMPLE" example
check_plugin "$TMP/build-example/example.so" example '{"config":{}}'

echo "== (ii) example by hand with pkg-config"
flags=$(PKG_CONFIG_PATH="$PREFIX/$LIBDIR/pkgconfig" pkg-config --cflags --libs connhub-sdk) ||
	fail "pkg-config does not know connhub-sdk"
mkdir -p "$TMP/hand"
# shellcheck disable=SC2086 # the flags are words
quiet "$CC_BIN" -std=c11 -shared -fPIC -fvisibility=hidden -Wl,-z,defs \
	-o "$TMP/hand/example.so" "$EXAMPLE/example.c" $flags
check_plugin "$TMP/hand/example.so" example '{"config":{}}'

echo "== (iii) plugins/sqlite on its own"
cmake_plugin "$SOURCE/plugins/sqlite" sqlite
check_plugin "$TMP/build-sqlite/sqlite.so" sqlite \
	"{\"config\":{\"path\":\"$TMP/new.db\",\"mode\":\"create\"}}"

echo "== (iv) the template in sdk/template"
cmake_plugin "$SOURCE/sdk/template" template
check_plugin "$TMP/build-template/myplugin.so" myplugin \
	'{"config":{"url":"https://example.com"}}'

echo "== (v) connhub serve with (i) and (iv) in its plugins directory"
served=$TMP/served
mkdir -p "$served"
cp "$TMP/build-example/example.so" "$TMP/build-template/myplugin.so" "$served/"
# shellcheck source=../api/lib.sh
. "$(dirname "$0")/../api/lib.sh"
lib_init sdk "$CONNHUB" "$served"
trap 'lib_cleanup; rm -rf "$TMP"' EXIT
start_host "$tmp/host.log" fresh
api GET /api/v1/plugins
expect 200 "GET /api/v1/plugins"
for so in example myplugin; do
	[[ $body == *"{\"path\":\"$served/$so.so\",\"status\":\"loaded\""* ]] ||
		fail "GET /api/v1/plugins does not list $so.so as loaded: $body"
done
[[ $body == *'"loaded":2,"rejected":0'* ]] || fail "GET /api/v1/plugins: $body"
for type in example myplugin; do
	api GET "/api/v1/connectors/types/$type"
	expect 200 "GET /api/v1/connectors/types/$type"
	[[ $body == *"\"id\":\"$type\""* ]] || fail "GET /api/v1/connectors/types/$type: $body"
	echo "   served: $type"
done
stop_host

echo "out_of_tree: OK"
