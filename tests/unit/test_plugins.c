/*
 * The plugin module in-process: loading each fixture, the registry over the
 * fixture directory, operation calls, the per-connector cache, and the
 * framing of the host <-> runner channel.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "error.h"
#include "plugin/cache.h"
#include "plugin/proto.h"
#include "plugin/loader.h"
#include "plugin/registry.h"
#include "check_run.h"

#define FIXTURE(name) CH_TEST_FIXTURES "/" name

static void assert_rejects(const char *path, int code, const char *reason)
{
	ch_plugin *p = (ch_plugin *)1;
	char *why = NULL;

	ck_assert_int_eq(ch_plugin_load(&p, path, &why), code);
	ck_assert_ptr_null(p);
	ck_assert_ptr_nonnull(why);
	ck_assert_msg(strstr(why, reason), "%s: \"%s\" lacks \"%s\"", path, why, reason);
	free(why);
}

START_TEST(each_rejection_has_its_reason)
{
	static const struct {
		const char *file;
		int code;
		const char *reason;
	} cases[] = {
		{"x.so", CH_E_INVALID, "not a shared object (no ELF header)"},
		{"no_entry.so", CH_E_INVALID, "missing entry symbol"},
		{"abi2.so", CH_E_ABI, "plugin built for ABI 2.0"},
		{"small_struct.so", CH_E_ABI, "struct_size is 8 bytes"},
		{"bad_schema.so", CH_E_INVALID, "types[0].config_schema"},
		{"bad_version.so", CH_E_INVALID, "types[0].version \"1.0\""},
		{"meta_id.so", CH_E_INVALID,
		 "bad metadata: types[0].id \"Bad_Id\" must match ^[a-z][a-z0-9_-]{1,63}$"},
		{"meta_no_name.so", CH_E_INVALID, "bad metadata: types[0].name is missing"},
		{"meta_license.so", CH_E_INVALID,
		 "bad metadata: types[0].license must be \"free\" or \"licensed\""},
		{"meta_abi_minor.so", CH_E_ABI,
		 "ABI mismatch: plugin built for ABI 1.1, newer than the host's 1.0"},
		{"meta_small_type.so", CH_E_ABI,
		 "ABI mismatch: types[0] struct_size is 16 bytes, ABI 1.0 needs at least "},
		{"meta_no_types.so", CH_E_INVALID, "bad metadata: types: the plugin provides no type"},
		{"meta_null_desc.so", CH_E_INVALID,
		 "the entry returned no descriptor (the plugin refused to load)"},
		{"meta_schema_json.so", CH_E_INVALID,
		 "bad metadata: types[0].config_schema is not a valid JSON Schema: /: not valid JSON"},
		{"meta_twice.so", CH_E_INVALID,
		 "bad metadata: types[1] repeats type bad-meta 1.0.0 of types[0]"},
		{"missing.so", CH_E_INVALID, "cannot read the file"},
	};
	char path[512];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", CH_TEST_FIXTURES, cases[i].file);
		assert_rejects(path, cases[i].code, cases[i].reason);
	}
	assert_rejects(CH_TEST_FIXTURES, CH_E_INVALID, "not a regular file");
}
END_TEST

START_TEST(good_plugin_manifest)
{
	ch_plugin *p = NULL;
	char *why = NULL;
	const ch_type *a;
	json_object *m, *caps;

	ck_assert_int_eq(ch_plugin_load(&p, FIXTURE("good.so"), &why), CH_OK);
	ck_assert_ptr_null(why);
	ck_assert_uint_eq(ch_plugin_type_count(p), 2);
	a = ch_plugin_type(p, 0);
	ck_assert_str_eq(ch_type_id(a), "fixture-a");
	ck_assert_ptr_eq(ch_type_plugin(a), p);
	ck_assert(ch_type_has_op(a, CH_OP_TEST));
	ck_assert(!ch_type_has_op(a, CH_OP_SETUP));
	m = ch_type_manifest_copy(a, 0);
	ck_assert(!json_object_object_get_ex(m, "config_schema", NULL));
	caps = json_object_object_get(m, "capabilities");
	ck_assert_int_eq(json_object_array_length(caps), 2);
	ck_assert_str_eq(json_object_get_string(json_object_object_get(m, "license")), "free");
	json_object_put(m);
	ck_assert_ptr_null(ch_plugin_type(p, 2));
	ch_plugin_unload(p);
}
END_TEST

START_TEST(calls_carry_output_and_errors)
{
	ch_plugin *p = NULL;
	char *why = NULL, *out = NULL, *msg = NULL;
	const ch_type *a, *b;

	ck_assert_int_eq(ch_plugin_load(&p, FIXTURE("good.so"), &why), CH_OK);
	a = ch_plugin_type(p, 0);
	b = ch_plugin_type(p, 1);
	ck_assert_int_eq(ch_plugin_call(a, CH_OP_TEST, "con_1", "{\"config\":{\"host\":\"h\"}}",
					&out, &msg),
			 CH_OK);
	ck_assert_ptr_null(msg);
	ck_assert_ptr_nonnull(strstr(out, "\"echo\":{\"host\":\"h\"}"));
	free(out);
	ck_assert_int_eq(ch_plugin_call(a, CH_OP_TEST, "con_1", "{\"config\":{\"fail\":\"boom\"}}",
					&out, &msg),
			 CH_E_CONFIG);
	ck_assert_ptr_null(out);
	ck_assert_str_eq(msg, "asked to fail: boom");
	free(msg);
	ck_assert_int_eq(ch_plugin_call(a, CH_OP_TEST, NULL, "not json", &out, &msg), CH_E_INVALID);
	free(msg);
	ck_assert_int_eq(ch_plugin_call(b, CH_OP_TEST, NULL, "{}", &out, &msg), CH_E_UNSUPPORTED);
	ck_assert_str_eq(msg, "type fixture-b 2.1.0 does not implement test");
	free(msg);
	ch_plugin_unload(p);
}
END_TEST

START_TEST(cache_is_per_connector)
{
	ch_plugin *p = NULL;
	char *why = NULL, *out = NULL, *msg = NULL;
	const ch_type *a;

	ck_assert_int_eq(ch_plugin_load(&p, FIXTURE("good.so"), &why), CH_OK);
	a = ch_plugin_type(p, 0);
	ck_assert_int_eq(ch_plugin_call(a, CH_OP_REFRESH, "con_1", "{}", &out, &msg), CH_OK);
	ck_assert_str_eq(out, "{}");
	free(out);
	ck_assert_int_eq(ch_plugin_call(a, CH_OP_REFRESH, "con_1", "{}", &out, &msg), CH_OK);
	ck_assert_str_eq(out, "{\"cached\":\"yes\"}");
	free(out);
	ck_assert_int_eq(ch_plugin_call(a, CH_OP_REFRESH, "con_2", "{}", &out, &msg), CH_OK);
	ck_assert_str_eq(out, "{}");
	free(out);
	ck_assert_int_eq(ch_cache_clear("con_1"), CH_OK);
	ck_assert_int_eq(ch_plugin_call(a, CH_OP_REFRESH, "con_1", "{}", &out, &msg), CH_OK);
	ck_assert_str_eq(out, "{}");
	free(out);
	ch_plugin_unload(p);
	ch_cache_reset();
}
END_TEST

START_TEST(cache_bounds_and_expiry)
{
	char *v = NULL, key[16];
	char *big = malloc(CH_CACHE_MAX_VALUE + 2);

	memset(big, 'x', CH_CACHE_MAX_VALUE + 1);
	big[CH_CACHE_MAX_VALUE + 1] = '\0';
	ck_assert_int_eq(ch_cache_put("c", "k", big, 0), CH_E_TOO_LARGE);
	free(big);
	ck_assert_int_eq(ch_cache_put("c", "gone", "v", -1), CH_OK); /* no expiry */
	ck_assert_int_eq(ch_cache_get("c", "gone", &v), CH_OK);
	free(v);
	for (int i = 0; i < CH_CACHE_MAX_ENTRIES - 1; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		ck_assert_int_eq(ch_cache_put("c", key, "v", 0), CH_OK);
	}
	ck_assert_int_eq(ch_cache_put("c", "one-more", "v", 0), CH_E_TOO_LARGE);
	ck_assert_int_eq(ch_cache_put("c", "k1", "replaced", 0), CH_OK); /* an update fits */
	ck_assert_int_eq(ch_cache_get("c", "k1", &v), CH_OK);
	ck_assert_str_eq(v, "replaced");
	free(v);
	ck_assert_int_eq(ch_cache_get("c", "nope", &v), CH_E_NOTFOUND);
	ck_assert_int_eq(ch_cache_get("other", "k1", &v), CH_E_NOTFOUND);
	ch_cache_reset();
}
END_TEST

START_TEST(registry_indexes_fixture_dir)
{
	ch_registry *r = NULL;
	const ch_type *const *latest;
	size_t loaded, rejected, n;
	json_object *versions;

	ck_assert_int_eq(ch_registry_scan(&r, CH_TEST_FIXTURES), CH_OK);
	ch_registry_counts(r, &loaded, &rejected);
	ck_assert_uint_eq(loaded, 2);
	ck_assert_uint_eq(rejected, 16);
	n = ch_registry_latest(r, &latest);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(ch_type_version(latest[0]), "1.1.0");
	ck_assert_str_eq(ch_type_version(ch_registry_find(r, "fixture-a", "1.0.0")), "1.0.0");
	ck_assert_ptr_null(ch_registry_find(r, "fixture-a", "3.0.0"));
	ck_assert_ptr_null(ch_registry_find(r, "bad-schema", NULL));
	versions = ch_registry_versions(r, "fixture-a");
	ck_assert_int_eq(json_object_array_length(versions), 2);
	json_object_put(versions);
	ch_registry_unref(r);
}
END_TEST

START_TEST(registry_slot_keeps_old_until_released)
{
	ch_registry_slot slot;
	ch_registry *held;

	ck_assert_int_eq(ch_registry_slot_init(&slot, CH_TEST_FIXTURES), CH_OK);
	held = ch_registry_slot_get(&slot);
	ck_assert_int_eq(ch_registry_slot_rescan(&slot), CH_OK);
	/* The held registry is still whole after the swap. */
	ck_assert_ptr_nonnull(ch_registry_find(held, "fixture-b", NULL));
	ck_assert_ptr_ne(held, slot.current);
	ch_registry_unref(held);
	ch_registry_slot_destroy(&slot);
}
END_TEST

/* --- the runner channel's framing ------------------------------------------- */

static int chan[2];

static void open_channel(void)
{
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, chan), 0);
}

/* Writes raw bytes on the peer's end. */
static void peer_writes(const void *bytes, size_t len)
{
	ck_assert_int_eq(write(chan[1], bytes, len), (ssize_t)len);
}

static int recv_within(int64_t ms, json_object **msg)
{
	return ch_proto_recv(chan[0], ch_clock_mono_ms() + ms, msg);
}

START_TEST(proto_round_trip)
{
	json_object *sent = json_tokener_parse("{\"kind\":\"call\",\"input\":\"{}\"}"), *got = NULL;

	open_channel();
	ck_assert_int_eq(ch_proto_send(chan[1], sent, ch_clock_mono_ms() + 1000), CH_OK);
	ck_assert_int_eq(recv_within(1000, &got), CH_OK);
	ck_assert(json_object_equal(sent, got));
	json_object_put(sent);
	json_object_put(got);
}
END_TEST

START_TEST(proto_oversized_prefix_is_reported_at_once)
{
	const unsigned char head[4] = {0x04, 0x00, 0x00, 0x01}; /* 64 MiB + 1 */
	json_object *got = (json_object *)1;
	int64_t t0 = ch_clock_mono_ms();

	open_channel();
	peer_writes(head, sizeof(head));
	/* the peer stays connected: nothing but the prefix says it is bad */
	ck_assert_int_eq(recv_within(10000, &got), CH_E_TOO_LARGE);
	ck_assert_int_lt(ch_clock_mono_ms() - t0, 5000);
	ck_assert_ptr_null(got);
	ck_assert_str_eq(ch_error_last()->message,
			 "sent a message of 67108865 bytes, over the 64 MiB limit");
}
END_TEST

START_TEST(proto_truncated_prefix_and_body)
{
	const unsigned char half[2] = {0, 0}, head[4] = {0, 0, 0, 100};
	json_object *got = NULL;

	open_channel();
	peer_writes(half, sizeof(half));
	ck_assert_int_eq(recv_within(50, &got), CH_E_TIMEOUT); /* the rest never comes */
	close(chan[1]);
	ck_assert_int_eq(recv_within(1000, &got), CH_E_IO); /* and now never can */
	close(chan[0]);
	open_channel();
	peer_writes(head, sizeof(head));
	peer_writes("{\"kind\":", 8);
	close(chan[1]);
	ck_assert_int_eq(recv_within(1000, &got), CH_E_IO);
	ck_assert_ptr_null(got);
}
END_TEST

START_TEST(proto_garbage_is_a_violation)
{
	const unsigned char head[4] = {0, 0, 0, 3};
	json_object *got = NULL;

	open_channel();
	peer_writes(head, sizeof(head));
	peer_writes("[1]", 3);
	ck_assert_int_eq(recv_within(1000, &got), CH_E_INVALID);
	ck_assert_str_eq(ch_error_last()->message,
			 "sent a message of 3 bytes that is not a JSON object");
	peer_writes(head, sizeof(head));
	peer_writes("\xff\x00x", 3);
	ck_assert_int_eq(recv_within(1000, &got), CH_E_INVALID);
	ck_assert_ptr_null(got);
}
END_TEST

START_TEST(proto_send_is_bounded_by_its_deadline)
{
	json_object *big = json_object_new_object();
	char *text = malloc(4 << 20);
	int64_t t0;

	memset(text, 'x', 4 << 20);
	text[(4 << 20) - 1] = '\0';
	json_object_object_add(big, "kind", json_object_new_string(text));
	open_channel();
	/* the peer never reads: the message cannot fit in the socket's buffer */
	t0 = ch_clock_mono_ms();
	ck_assert_int_eq(ch_proto_send(chan[0], big, t0 + 100), CH_E_TIMEOUT);
	ck_assert_int_lt(ch_clock_mono_ms() - t0, 5000);
	close(chan[1]);
	ck_assert_int_eq(ch_proto_send(chan[0], big, ch_clock_mono_ms() + 1000), CH_E_IO);
	json_object_put(big);
	free(text);
}
END_TEST

int main(void)
{
	const TTest *tests[] = {
		each_rejection_has_its_reason,
		good_plugin_manifest,
		calls_carry_output_and_errors,
		cache_is_per_connector,
		cache_bounds_and_expiry,
		registry_indexes_fixture_dir,
		registry_slot_keeps_old_until_released,
		proto_round_trip,
		proto_oversized_prefix_is_reported_at_once,
		proto_truncated_prefix_and_body,
		proto_garbage_is_a_violation,
		proto_send_is_bounded_by_its_deadline,
		NULL,
	};

	return ch_check_run(ch_check_suite("plugins", tests));
}
