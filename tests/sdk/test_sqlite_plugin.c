/*
 * Tests of the bundled sqlite plugin as the host sees it: dlopen() the
 * built sqlite.so (CH_SQLITE_PLUGIN), call connhub_plugin_entry() with a
 * fake host, and run its operations on real files in a temporary folder.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <check.h>
#include <json-c/json.h>
#include <sqlite3.h>

#include <connhub/plugin.h>

#include "fake_host.h"
#include "check_run.h"

#ifndef CH_SQLITE_PLUGIN
#error "CH_SQLITE_PLUGIN must name the built sqlite.so"
#endif

static void *handle;
static const ch_plugin_desc *desc;
static const ch_type_desc *type;
static char dir[256];
static ch_call call;

static void setup(void)
{
	const char *tmp = getenv("TMPDIR");
	ch_plugin_entry_fn entry;
	void *sym;

	fake_host_reset();
	fake_call_init(&call);
	handle = dlopen(CH_SQLITE_PLUGIN, RTLD_NOW | RTLD_LOCAL);
	ck_assert_msg(handle != NULL, "dlopen: %s", dlerror());
	sym = dlsym(handle, CH_PLUGIN_ENTRY_SYMBOL);
	ck_assert_ptr_nonnull(sym);
	memcpy(&entry, &sym, sizeof(entry)); /* object to function pointer */
	desc = entry(&fake_host_api);
	ck_assert_ptr_nonnull(desc);
	type = desc->types[0];
	snprintf(dir, sizeof(dir), "%s/ch-sqlite-XXXXXX", tmp != NULL ? tmp : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown(void)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
	dlclose(handle);
}

/* A path in the temporary folder. */
static const char *path_of(const char *name)
{
	static char path[512];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return path;
}

/* Runs @p op on @p input; returns its status, *out the parsed output. */
static int run(ch_op_fn op, const char *input, json_object **out)
{
	char *text = NULL;
	int rc;

	fake_call_init(&call);
	rc = op(&call, input, &text);
	*out = NULL;
	if (rc == CH_OK) {
		ck_assert_ptr_nonnull(text);
		*out = json_tokener_parse(text);
		ck_assert_ptr_nonnull(*out);
	} else {
		ck_assert_ptr_null(text);
		ck_assert_int_eq(call.code, rc);
	}
	fake_host_api.free(text);
	return rc;
}

/* The member at a path of keys, e.g. get(o, "schema", "required"). */
static json_object *get2(json_object *o, const char *a, const char *b)
{
	return json_object_object_get(json_object_object_get(o, a), b);
}

static const char *str(json_object *o)
{
	return json_object_to_json_string_ext(
		o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
}

/* Runs test on {"config": {path, mode}}; returns the parsed result. */
static json_object *run_test(const char *path, const char *mode)
{
	json_object *in = json_object_new_object();
	json_object *config = json_object_new_object();
	json_object *out = NULL;

	json_object_object_add(config, "path", json_object_new_string(path));
	json_object_object_add(config, "mode", json_object_new_string(mode));
	json_object_object_add(config, "busy_timeout_ms", json_object_new_int(0));
	json_object_object_add(in, "config", config);
	ck_assert_int_eq(run(type->test, str(in), &out), CH_OK);
	json_object_put(in);
	return out;
}

/* Asserts a failed result of @p kind with its first error at @p pointer
 * and a message containing @p words. */
static void assert_failed(json_object *res, const char *kind, const char *pointer,
			  const char *words)
{
	json_object *err = json_object_array_get_idx(json_object_object_get(res, "errors"), 0);

	ck_assert_msg(!json_object_get_boolean(json_object_object_get(res, "valid")),
		      "valid: %s", str(res));
	ck_assert_str_eq(json_object_get_string(json_object_object_get(res, "failure_type")),
			 kind);
	if (pointer != NULL) {
		ck_assert_str_eq(json_object_get_string(json_object_object_get(err, "pointer")),
				 pointer);
		ck_assert_msg(strstr(json_object_get_string(json_object_object_get(err, "message")),
				     words) != NULL, "no \"%s\" in %s", words, str(res));
	} else {
		ck_assert_msg(strstr(json_object_get_string(json_object_object_get(res, "message")),
				     words) != NULL, "no \"%s\" in %s", words, str(res));
	}
}

/* Creates a database with @p tables tables at @p path. */
static void make_db(const char *path, int tables)
{
	char sql[128];
	sqlite3 *db = NULL;
	int i;

	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	for (i = 0; i < tables; i++) {
		snprintf(sql, sizeof(sql), "CREATE TABLE t%d (a INTEGER, b TEXT);"
					   "INSERT INTO t%d VALUES (1, 'x');", i, i);
		ck_assert_int_eq(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	}
	ck_assert_int_eq(sqlite3_close(db), SQLITE_OK);
}

static void write_file(const char *path, const char *content)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	fputs(content, f);
	ck_assert_int_eq(fclose(f), 0);
}

/* --- descriptor --------------------------------------------------------- */

START_TEST(test_descriptor)
{
	json_object *schema;

	ck_assert_int_eq(desc->abi_major, CH_ABI_MAJOR);
	ck_assert_int_eq(desc->abi_minor, CH_ABI_MINOR);
	ck_assert_int_eq(desc->struct_size, sizeof(ch_plugin_desc));
	ck_assert_str_eq(desc->name, "sqlite");
	ck_assert_ptr_null(desc->types[1]);
	ck_assert_int_eq(type->struct_size, sizeof(ch_type_desc));
	ck_assert_str_eq(type->id, "sqlite");
	ck_assert_str_eq(type->name, "SQLite");
	ck_assert_str_eq(type->version, "1.0.0");
	ck_assert_str_eq(type->vendor, "connhub");
	ck_assert_str_eq(type->license, CH_LICENSE_FREE);
	ck_assert_str_eq(type->website_url, "https://sqlite.org/");
	ck_assert_str_eq(type->image_url, "https://sqlite.org/images/sqlite370_banner.gif");
	ck_assert_int_gt(strlen(type->description), 40);
	ck_assert_str_eq(type->categories[0], "database");
	ck_assert_str_eq(type->categories[1], "file");
	ck_assert_ptr_null(type->categories[2]);
	ck_assert(type->setup && type->test && type->refresh);
	ck_assert(!type->install && !type->update && !type->uninstall && !type->start &&
		  !type->stop && !type->export_ && !type->import_);

	schema = json_tokener_parse(type->config_schema);
	ck_assert_ptr_nonnull(schema);
	ck_assert_str_eq(str(json_object_object_get(schema, "required")), "[\"path\",\"mode\"]");
	ck_assert_str_eq(str(json_object_object_get(schema, "additionalProperties")), "false");
	ck_assert_str_eq(str(get2(json_object_object_get(schema, "properties"), "mode", "enum")),
			 "[\"read-only\",\"read-write\",\"create\"]");
	ck_assert_str_eq(str(get2(json_object_object_get(schema, "properties"),
				  "busy_timeout_ms", "maximum")), "600000");
	json_object_put(schema);
}
END_TEST

START_TEST(test_exports_only_entry)
{
	ck_assert_ptr_null(dlsym(handle, "ch_sdk_init"));
	ck_assert_ptr_null(dlsym(handle, "ch_sdk_output"));
	ck_assert_ptr_null(dlsym(handle, "sq_test"));
}
END_TEST

/* --- setup -------------------------------------------------------------- */

START_TEST(test_setup_first)
{
	json_object *step = NULL;
	json_object *form;

	ck_assert_int_eq(run(type->setup, "{\"connector\":{},\"step\":null,\"answers\":{}}",
			     &step), CH_OK);
	ck_assert_str_eq(json_object_get_string(json_object_object_get(step, "id")), "file");
	form = json_object_object_get(step, "form");
	ck_assert_int_eq(json_object_array_length(form), 2);
	ck_assert_str_eq(str(json_object_array_get_idx(form, 0)),
			 "{\"key\":\"path\",\"type\":\"text\",\"label\":\"Database file\","
			 "\"help\":\"Absolute path of the SQLite database file on the connhub host.\","
			 "\"placeholder\":\"/var/lib/app/data.db\"}");
	ck_assert_str_eq(str(json_object_array_get_idx(form, 1)),
			 "{\"key\":\"mode\",\"type\":\"select\",\"label\":\"Open mode\","
			 "\"help\":\"read-only never writes; read-write needs an existing file; "
			 "create makes the file when it is missing.\","
			 "\"options\":[\"read-only\",\"read-write\",\"create\"]}");
	ck_assert_str_eq(str(get2(step, "schema", "required")), "[\"path\",\"mode\"]");
	ck_assert_str_eq(str(json_object_object_get(step, "model")), "{\"mode\":\"read-write\"}");
	ck_assert_str_eq(str(json_object_object_get(step, "hasNext")), "true");
	ck_assert_str_eq(str(json_object_object_get(step, "canFinish")), "false");
	json_object_put(step);

	/* No "step" at all is the start too; answers fill the model. */
	ck_assert_int_eq(run(type->setup, "{\"answers\":{\"path\":\"/a.db\",\"x\":1}}", &step),
			 CH_OK);
	ck_assert_str_eq(str(json_object_object_get(step, "model")),
			 "{\"mode\":\"read-write\",\"path\":\"/a.db\"}");
	json_object_put(step);
}
END_TEST

START_TEST(test_setup_options)
{
	json_object *step = NULL;

	ck_assert_int_eq(run(type->setup,
			     "{\"connector\":{},\"step\":\"file\","
			     "\"answers\":{\"path\":\"/a.db\",\"mode\":\"create\"}}",
			     &step), CH_OK);
	ck_assert_str_eq(json_object_get_string(json_object_object_get(step, "id")), "options");
	ck_assert_str_eq(str(json_object_array_get_idx(json_object_object_get(step, "form"), 0)),
			 "{\"key\":\"busy_timeout_ms\",\"type\":\"number\","
			 "\"label\":\"Busy timeout (ms)\",\"help\":\"How long to wait for a lock "
			 "another process holds before giving up (0 to 600000).\"}");
	ck_assert_str_eq(str(get2(get2(step, "schema", "properties"), "busy_timeout_ms", "type")),
			 "\"integer\"");
	ck_assert_str_eq(str(json_object_object_get(step, "model")), "{\"busy_timeout_ms\":5000}");
	ck_assert_str_eq(str(json_object_object_get(step, "hasNext")), "false");
	ck_assert_str_eq(str(json_object_object_get(step, "canFinish")), "true");
	json_object_put(step);

	ck_assert_int_eq(run(type->setup,
			     "{\"step\":\"file\",\"answers\":{\"busy_timeout_ms\":250}}", &step),
			 CH_OK);
	ck_assert_str_eq(str(json_object_object_get(step, "model")), "{\"busy_timeout_ms\":250}");
	json_object_put(step);
}
END_TEST

START_TEST(test_setup_errors)
{
	json_object *out = NULL;

	ck_assert_int_eq(run(type->setup, "{\"step\":\"nope\",\"answers\":{}}", &out),
			 CH_E_INVALID);
	ck_assert_str_eq(call.message, "unknown setup step \"nope\"");
	ck_assert_int_eq(run(type->setup, "{\"step\":\"options\",\"answers\":{}}", &out),
			 CH_E_INVALID);
	ck_assert_int_eq(run(type->setup, "{\"step\":3}", &out), CH_E_INVALID);
	ck_assert_int_eq(run(type->setup, "{\"step\":", &out), CH_E_INVALID);
	ck_assert_ptr_nonnull(strstr(call.message, "input is not a JSON object"));
	ck_assert_int_eq(atomic_load(&fake_live_allocs), 0);
}
END_TEST

/* --- test --------------------------------------------------------------- */

START_TEST(test_test_valid)
{
	char words[64];
	json_object *res;

	make_db(path_of("app.db"), 2);
	res = run_test(path_of("app.db"), "read-only");
	ck_assert_msg(json_object_get_boolean(json_object_object_get(res, "valid")),
		      "%s", str(res));
	ck_assert_str_eq(str(json_object_object_get(res, "failure_type")), "null");
	ck_assert_str_eq(str(json_object_object_get(res, "errors")), "[]");
	snprintf(words, sizeof(words), "SQLite %s", sqlite3_libversion());
	ck_assert_ptr_nonnull(strstr(json_object_get_string(json_object_object_get(res, "message")),
				     words));
	ck_assert_ptr_nonnull(strstr(json_object_get_string(json_object_object_get(res, "message")),
				     "2 tables"));
	json_object_put(res);

	res = run_test(path_of("app.db"), "read-write");
	ck_assert(json_object_get_boolean(json_object_object_get(res, "valid")));
	json_object_put(res);
}
END_TEST

START_TEST(test_test_missing)
{
	json_object *res = run_test(path_of("missing.db"), "read-only");

	assert_failed(res, "config_error", "/path", "no such file");
	json_object_put(res);
	res = run_test(path_of("missing.db"), "read-write");
	assert_failed(res, "config_error", "/path", "no such file");
	json_object_put(res);
	ck_assert_int_ne(access(path_of("missing.db"), F_OK), 0); /* not created */
}
END_TEST

START_TEST(test_test_not_database)
{
	json_object *res;

	write_file(path_of("notes.txt"),
		   "These are notes, not a database. They are long enough to fill "
		   "the hundred bytes SQLite reads as its header, which they do not "
		   "match in the least.\n");
	res = run_test(path_of("notes.txt"), "read-only");
	assert_failed(res, "config_error", "/path", "file is not a database");
	json_object_put(res);
	res = run_test(dir, "read-write");
	assert_failed(res, "config_error", "/path", "is a directory");
	json_object_put(res);
}
END_TEST

START_TEST(test_test_corrupt)
{
	char junk[4096];
	json_object *res;
	const char *msg;
	FILE *f;

	make_db(path_of("broken.db"), 3);
	/* Overwrite the pages after the first (the tables' b-trees). */
	memset(junk, 0x5a, sizeof(junk));
	f = fopen(path_of("broken.db"), "r+");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fseek(f, 4096, SEEK_SET), 0);
	ck_assert_int_eq(fwrite(junk, 1, sizeof(junk), f), sizeof(junk));
	ck_assert_int_eq(fclose(f), 0);
	res = run_test(path_of("broken.db"), "read-only");
	/* quick_check's rows ("database is corrupt: Page 2: ...") or, in
	 * other SQLite versions, SQLITE_CORRUPT ("... malformed"). */
	assert_failed(res, "config_error", "/path", "");
	msg = json_object_get_string(json_object_object_get(res, "message"));
	ck_assert_msg(strstr(msg, "database is corrupt: ") != NULL ||
		      strstr(msg, "malformed") != NULL, "%s", msg);
	json_object_put(res);
}
END_TEST

START_TEST(test_test_create)
{
	struct stat st;
	json_object *res;

	res = run_test(path_of("new.db"), "create");
	ck_assert_msg(json_object_get_boolean(json_object_object_get(res, "valid")),
		      "%s", str(res));
	ck_assert_ptr_nonnull(strstr(json_object_get_string(json_object_object_get(res, "message")),
				     "0 tables"));
	json_object_put(res);
	ck_assert_int_eq(stat(path_of("new.db"), &st), 0);
	ck_assert(S_ISREG(st.st_mode));

	res = run_test(path_of("no/such/dir/new.db"), "create");
	assert_failed(res, "config_error", "/path", "no such directory");
	json_object_put(res);
}
END_TEST

START_TEST(test_test_busy)
{
	sqlite3 *holder = NULL;
	json_object *res;

	make_db(path_of("busy.db"), 1);
	ck_assert_int_eq(sqlite3_open(path_of("busy.db"), &holder), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(holder, "BEGIN EXCLUSIVE", NULL, NULL, NULL), SQLITE_OK);
	res = run_test(path_of("busy.db"), "read-only");
	assert_failed(res, "transient_error", NULL, "locked");
	ck_assert_str_eq(str(json_object_object_get(res, "errors")), "[]");
	json_object_put(res);
	ck_assert_int_eq(sqlite3_exec(holder, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(holder);
}
END_TEST

START_TEST(test_test_bad_config)
{
	json_object *res = NULL;

	ck_assert_int_eq(run(type->test, "{\"config\":{}}", &res), CH_OK);
	assert_failed(res, "config_error", "/path", "is required");
	json_object_put(res);
	ck_assert_int_eq(run(type->test,
			     "{\"config\":{\"path\":\"rel.db\",\"mode\":\"write\","
			     "\"busy_timeout_ms\":-1}}", &res), CH_OK);
	assert_failed(res, "config_error", "/path", "absolute");
	ck_assert_str_eq(str(json_object_object_get(res, "errors")),
			 "[{\"pointer\":\"/path\",\"message\":\"must be an absolute path\"},"
			 "{\"pointer\":\"/mode\",\"message\":\"must be one of read-only, "
			 "read-write, create\"},"
			 "{\"pointer\":\"/busy_timeout_ms\",\"message\":\"must be between 0 "
			 "and 600000\"}]");
	json_object_put(res);
	ck_assert_int_eq(run(type->test, "{\"connector\":{}}", &res), CH_E_INVALID);
	ck_assert_int_eq(run(type->test, "[]", &res), CH_E_INVALID);
}
END_TEST

/* Several tests at once on one file: no shared state in the plugin. */
static void *concurrent_test(void *arg)
{
	const char *input = arg;
	ch_call own;
	char *out = NULL;
	int i, ok = 1;

	for (i = 0; i < 20 && ok; i++) {
		fake_call_init(&own);
		ok = type->test(&own, input, &out) == CH_OK &&
		     strstr(out, "\"valid\":true") != NULL;
		fake_host_api.free(out);
		out = NULL;
	}
	return ok ? arg : NULL;
}

START_TEST(test_test_concurrent)
{
	pthread_t threads[4];
	char input[1024];
	void *ret;
	size_t i;

	make_db(path_of("shared.db"), 1);
	snprintf(input, sizeof(input),
		 "{\"config\":{\"path\":\"%s\",\"mode\":\"read-only\",\"busy_timeout_ms\":5000}}",
		 path_of("shared.db"));
	for (i = 0; i < 4; i++)
		ck_assert_int_eq(pthread_create(&threads[i], NULL, concurrent_test, input), 0);
	for (i = 0; i < 4; i++) {
		ck_assert_int_eq(pthread_join(threads[i], &ret), 0);
		ck_assert_ptr_eq(ret, input);
	}
}
END_TEST

/* --- refresh ------------------------------------------------------------ */

START_TEST(test_refresh)
{
	char *out = NULL;

	fake_call_init(&call);
	ck_assert_int_eq(type->refresh(&call, "{\"connector\":{}}", &out), CH_OK);
	ck_assert_str_eq(out, "{}");
	ck_assert_int_eq(call.cache_clears, 1);
	fake_host_api.free(out);
	out = NULL;

	fake_call_init(&call);
	call.cache_clear_rc = CH_E_IO;
	ck_assert_int_eq(type->refresh(&call, "{}", &out), CH_E_IO);
	ck_assert_ptr_null(out);
	ck_assert_int_eq(call.code, CH_E_IO);
	ck_assert_int_eq(atomic_load(&fake_live_allocs), 0);
}
END_TEST

static Suite *sqlite_suite(void)
{
	Suite *s = suite_create("sqlite_plugin");
	TCase *tc = tcase_create("plugin");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_descriptor);
	tcase_add_test(tc, test_exports_only_entry);
	tcase_add_test(tc, test_setup_first);
	tcase_add_test(tc, test_setup_options);
	tcase_add_test(tc, test_setup_errors);
	tcase_add_test(tc, test_test_valid);
	tcase_add_test(tc, test_test_missing);
	tcase_add_test(tc, test_test_not_database);
	tcase_add_test(tc, test_test_corrupt);
	tcase_add_test(tc, test_test_create);
	tcase_add_test(tc, test_test_busy);
	tcase_add_test(tc, test_test_bad_config);
	tcase_add_test(tc, test_test_concurrent);
	tcase_add_test(tc, test_refresh);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return ch_check_run(sqlite_suite());
}
