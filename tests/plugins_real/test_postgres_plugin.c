/*
 * Tests of the bundled postgres plugin against a real PostgreSQL server:
 * dlopen() the built postgres.so (CH_POSTGRES_PLUGIN) with a fake host and
 * run its operations.
 *
 * The unchecked fixture starts a server of its own (pg_server.h) and
 * stops it, removing its folder, in the teardown, also when tests fail.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <json-c/json.h>

#include <connhub/plugin.h>

#include "check_run.h"
#include "free_port.h"
#include "pg_server.h"
#include "plugin_harness.h"

#ifndef CH_POSTGRES_PLUGIN
#error "CH_POSTGRES_PLUGIN must name the built postgres.so"
#endif

static ph_plugin plugin;

/* --- per test ---------------------------------------------------------------- */

static void plugin_setup(void)
{
	ph_open(&plugin, CH_POSTGRES_PLUGIN);
}

static void plugin_teardown(void)
{
	ph_close(&plugin);
}

/* A configuration for the test server as text; @p extra is more members
 * ("\"sslmode\":\"disable\"") or "". */
static const char *config(const char *db, const char *auth, const char *user,
			  const char *password, const char *extra)
{
	static char text[1024];

	snprintf(text, sizeof(text),
		 "{\"host\":\"127.0.0.1\",\"port\":%d,\"database\":\"%s\",\"auth\":\"%s\""
		 "%s%s%s%s%s%s%s%s,\"connect_timeout_s\":5}",
		 pgs_port(), db, auth,
		 user != NULL ? ",\"user\":\"" : "", user != NULL ? user : "",
		 user != NULL ? "\"" : "",
		 password != NULL ? ",\"password\":\"" : "", password != NULL ? password : "",
		 password != NULL ? "\"" : "",
		 extra[0] != '\0' ? "," : "", extra);
	return text;
}

/* --- descriptor ------------------------------------------------------------- */

START_TEST(test_descriptor)
{
	const ch_type_desc *type = plugin.type;
	json_object *schema;

	ck_assert_int_eq(plugin.desc->abi_major, CH_ABI_MAJOR);
	ck_assert_int_eq(plugin.desc->abi_minor, CH_ABI_MINOR);
	ck_assert_str_eq(plugin.desc->name, "postgres");
	ck_assert_str_eq(plugin.desc->version, "1.0.0");
	ck_assert_int_eq(type->struct_size, sizeof(ch_type_desc));
	ck_assert_str_eq(type->id, "postgres");
	ck_assert_str_eq(type->name, "PostgreSQL");
	ck_assert_str_eq(type->version, "1.0.0");
	ck_assert_str_eq(type->vendor, "connhub");
	ck_assert_str_eq(type->license, CH_LICENSE_FREE);
	ck_assert_str_eq(type->categories[0], "database");
	ck_assert_ptr_null(type->categories[1]);
	ck_assert_int_gt(strlen(type->description), 40);
	ck_assert(type->setup && type->test && type->refresh);
	ck_assert(!type->install && !type->update && !type->uninstall && !type->start &&
		  !type->stop && !type->export_ && !type->import_);

	schema = json_tokener_parse(type->config_schema);
	ck_assert_ptr_nonnull(schema);
	ck_assert_str_eq(ph_text(schema, "$schema"),
			 "https://json-schema.org/draft/2020-12/schema");
	ck_assert_str_eq(ph_str(ph_get(schema, "required")), "[\"host\",\"database\",\"auth\"]");
	ck_assert_str_eq(ph_str(ph_get(schema, "additionalProperties")), "false");
	ck_assert_str_eq(ph_str(ph_get(schema, "properties.port.minimum")), "1");
	ck_assert_str_eq(ph_str(ph_get(schema, "properties.port.maximum")), "65535");
	ck_assert_str_eq(ph_str(ph_get(schema, "properties.port.default")), "5432");
	ck_assert_str_eq(ph_str(ph_get(schema, "properties.auth.enum")),
			 "[\"password\",\"trust\"]");
	ck_assert_str_eq(ph_str(ph_get(schema, "properties.password.writeOnly")), "true");
	ck_assert_str_eq(ph_text(schema, "properties.password.format"), "password");
	ck_assert_str_eq(ph_str(ph_get(schema, "properties.sslmode.enum")),
			 "[\"disable\",\"allow\",\"prefer\",\"require\",\"verify-ca\","
			 "\"verify-full\"]");
	ck_assert_str_eq(ph_text(schema, "properties.sslmode.default"), "prefer");
	ck_assert_str_eq(ph_str(ph_get(schema, "properties.connect_timeout_s.maximum")), "300");
	ck_assert_str_eq(ph_str(ph_get(schema, "properties.connect_timeout_s.default")), "10");
	ck_assert_str_eq(ph_str(ph_get(schema, "if")),
			 "{\"properties\":{\"auth\":{\"const\":\"password\"}},"
			 "\"required\":[\"auth\"]}");
	ck_assert_str_eq(ph_str(ph_get(schema, "then")), "{\"required\":[\"user\",\"password\"]}");
	json_object_put(schema);
}
END_TEST

START_TEST(test_exports_only_entry)
{
	ck_assert_ptr_nonnull(dlsym(plugin.handle, CH_PLUGIN_ENTRY_SYMBOL));
	ck_assert_ptr_null(dlsym(plugin.handle, "ch_sdk_init"));
	ck_assert_ptr_null(dlsym(plugin.handle, "pg_test"));
}
END_TEST

/* --- setup ------------------------------------------------------------------ */

START_TEST(test_setup_password_walk)
{
	ch_op_fn setup = plugin.type->setup;
	json_object *step;

	step = ph_setup(setup, NULL, "{}");
	ph_assert_step(step, "server", "host,port,database", true, false);
	ck_assert_str_eq(ph_str(ph_get(step, "model")), "{\"port\":5432}");
	ck_assert_str_eq(ph_str(ph_get(step, "schema.required")), "[\"host\",\"database\"]");
	ck_assert_str_eq(ph_str(ph_get(step, "schema.properties.port.maximum")), "65535");
	json_object_put(step);

	/* Step 2: the authentication, with the credentials password needs. */
	step = ph_setup(setup, "server", "{\"host\":\"db\",\"port\":5433,\"database\":\"app\"}");
	ph_assert_step(step, "auth", "auth,user,password", true, false);
	ck_assert_str_eq(ph_str(json_object_array_get_idx(ph_get(step, "form"), 0)),
			 "{\"key\":\"auth\",\"type\":\"select\",\"label\":\"Authentication\","
			 "\"help\":\"password sends a user name and password; trust sends no "
			 "password, for servers that let the client in by its address.\","
			 "\"options\":[\"password\",\"trust\"]}");
	ck_assert_str_eq(ph_str(ph_get(json_object_array_get_idx(ph_get(step, "form"), 2),
					"when")),
			 "{\"auth\":\"password\"}");
	ck_assert_str_eq(ph_str(ph_get(step, "model")), "{\"auth\":\"password\"}");
	ck_assert_str_eq(ph_str(ph_get(step, "schema.required")), "[\"auth\"]");
	ck_assert_str_eq(ph_str(ph_get(step, "schema.allOf")),
			 "[{\"if\":{\"properties\":{\"auth\":{\"const\":\"password\"}},"
			 "\"required\":[\"auth\"]},\"then\":{\"required\":[\"user\"]}},"
			 "{\"if\":{\"properties\":{\"auth\":{\"const\":\"password\"}},"
			 "\"required\":[\"auth\"]},\"then\":{\"required\":[\"password\"]}}]");
	ck_assert_str_eq(ph_str(ph_get(step, "schema.properties.password.writeOnly")), "true");
	ck_assert_str_eq(ph_text(step, "schema.properties.password.format"), "password");
	json_object_put(step);

	step = ph_setup(setup, "auth",
			"{\"auth\":\"password\",\"user\":\"app\",\"password\":\"x\","
			"\"sslmode\":\"require\"}");
	ph_assert_step(step, "options", "sslmode,connect_timeout_s", false, true);
	ck_assert_str_eq(ph_str(ph_get(step, "model")),
			 "{\"sslmode\":\"require\",\"connect_timeout_s\":10}");
	ck_assert_str_eq(ph_str(ph_get(step, "schema.properties.sslmode.enum")),
			 "[\"disable\",\"allow\",\"prefer\",\"require\",\"verify-ca\","
			 "\"verify-full\"]");
	json_object_put(step);
}
END_TEST

/* Shown again, the auth step keeps the user, but never sends the
 * password back (the host shows it masked). */
START_TEST(test_setup_auth_keeps_answers_but_no_secret)
{
	ch_op_fn setup = plugin.type->setup;
	json_object *step;

	step = ph_setup(setup, "server",
			"{\"host\":\"db\",\"auth\":\"password\",\"user\":\"u\",\"password\":\"p-77\"}");
	ph_assert_step(step, "auth", "auth,user,password", true, false);
	ck_assert_str_eq(ph_str(ph_get(step, "model")), "{\"auth\":\"password\",\"user\":\"u\"}");
	ck_assert_ptr_null(strstr(ph_str(step), "p-77"));
	json_object_put(step);
}
END_TEST

START_TEST(test_setup_trust)
{
	ch_op_fn setup = plugin.type->setup;
	json_object *step;

	step = ph_setup(setup, "server", "{\"auth\":\"trust\"}");
	ph_assert_step(step, "auth", "auth,user,password", true, false);
	ck_assert_str_eq(ph_str(ph_get(step, "model")), "{\"auth\":\"trust\"}");
	json_object_put(step);
	step = ph_setup(setup, "auth", "{\"host\":\"db\",\"database\":\"app\",\"auth\":\"trust\"}");
	ph_assert_step(step, "options", "sslmode,connect_timeout_s", false, true);
	ck_assert_str_eq(ph_str(ph_get(step, "model")),
			 "{\"sslmode\":\"prefer\",\"connect_timeout_s\":10}");
	json_object_put(step);
}
END_TEST

START_TEST(test_setup_errors)
{
	json_object *out = NULL;
	ch_op_fn setup = plugin.type->setup;

	ck_assert_int_eq(ph_run(setup, "{\"step\":\"nope\",\"answers\":{}}", &out), CH_E_INVALID);
	ck_assert_str_eq(ph_call.message, "unknown setup step \"nope\"");
	ck_assert_int_eq(ph_run(setup, "{\"step\":\"options\",\"answers\":{}}", &out),
			 CH_E_INVALID);
	ck_assert_ptr_nonnull(strstr(ph_call.message, "last one"));
	ck_assert_int_eq(ph_run(setup, "{\"step\":7}", &out), CH_E_INVALID);
	ck_assert_int_eq(ph_run(setup, "not json", &out), CH_E_INVALID);
	ck_assert_int_eq(atomic_load(&fake_live_allocs), 0);
}
END_TEST

/* --- test ------------------------------------------------------------------- */

START_TEST(test_test_valid)
{
	json_object *res;

	res = ph_test(plugin.type->test, config(PGS_APP_DB, "password", PGS_APP, PGS_APP_PW, ""));
	ph_assert_valid(res, pgs_version());
	ph_assert_valid(res, "connected to database \"" PGS_APP_DB "\" on 127.0.0.1 port");
	ph_assert_valid(res, "as " PGS_APP);
	ph_assert_valid(res, "; 2 tables");
	ck_assert_ptr_null(strstr(ph_text(res, "message"), "cached"));
	ph_assert_no_secret(res, PGS_APP_PW);
	json_object_put(res);
	ck_assert_str_eq(ph_cached("tables"), "[\"public.t1\", \"public.t2\"]");
	ck_assert_int_eq(ph_cache_puts(), 1);

	/* Without SSL, and as the superuser on another database (the cache
	 * is the connector's: cleared first, as a new connector's would be). */
	ck_assert_int_eq(ph_run(plugin.type->refresh, "{\"connector\":{},\"config\":{}}", &res),
			 CH_OK);
	json_object_put(res);
	res = ph_test(plugin.type->test,
		      config("postgres", "password", PGS_ADMIN, PGS_ADMIN_PW, "\"sslmode\":\"disable\""));
	ph_assert_valid(res, "; 0 tables");
	json_object_put(res);
	ck_assert_str_eq(ph_cached("tables"), "[]");
}
END_TEST

/* The table list comes from the cache until a refresh drops it: a table
 * made meanwhile shows only after the refresh. */
START_TEST(test_table_list_cached_until_refresh)
{
	json_object *res, *out = NULL;
	char why[512];

	res = ph_test(plugin.type->test, config(PGS_APP_DB, "password", PGS_APP, PGS_APP_PW, ""));
	ph_assert_valid(res, "; 2 tables");
	json_object_put(res);
	ck_assert_msg(pgs_sql(PGS_APP_DB, PGS_APP, PGS_APP_PW, "CREATE TABLE t3 (c integer)", why,
			      sizeof(why)), "%s", why);
	res = ph_test(plugin.type->test, config(PGS_APP_DB, "password", PGS_APP, PGS_APP_PW, ""));
	ph_assert_valid(res, "; 2 tables (cached list; refresh lists them again)");
	json_object_put(res);
	ck_assert_int_eq(ph_cache_puts(), 1);
	ck_assert_int_eq(ph_run(plugin.type->refresh, "{\"connector\":{},\"config\":{}}", &out),
			 CH_OK);
	json_object_put(out);
	ck_assert_ptr_null(ph_cached("tables"));
	res = ph_test(plugin.type->test, config(PGS_APP_DB, "password", PGS_APP, PGS_APP_PW, ""));
	ph_assert_valid(res, "; 3 tables");
	json_object_put(res);
	ck_assert_str_eq(ph_cached("tables"), "[\"public.t1\", \"public.t2\", \"public.t3\"]");
	ck_assert_msg(pgs_sql(PGS_APP_DB, PGS_APP, PGS_APP_PW, "DROP TABLE t3", why, sizeof(why)),
		      "%s", why);
}
END_TEST

START_TEST(test_test_wrong_password)
{
	json_object *res;

	res = ph_test(plugin.type->test, config(PGS_APP_DB, "password", PGS_APP, "not-" PGS_APP_PW, ""));
	ph_assert_failed(res, "config_error", "/password", "password authentication failed");
	ck_assert_str_eq(ph_text(json_object_array_get_idx(ph_get(res, "errors"), 0), "message"),
			 "the server refused the user name or password");
	ph_assert_no_secret(res, "not-" PGS_APP_PW);
	json_object_put(res);
	ck_assert_int_eq(ph_cache_puts(), 0);

	/* SCRAM does not tell a missing role from a wrong password. */
	res = ph_test(plugin.type->test, config(PGS_APP_DB, "password", "ghost", PGS_APP_PW, ""));
	ph_assert_failed(res, "config_error", "/password", "password authentication failed");
	json_object_put(res);

	/* No password where the server asks for one. */
	res = ph_test(plugin.type->test, config(PGS_APP_DB, "trust", PGS_APP, NULL, ""));
	ph_assert_failed(res, "config_error", "/auth", "no password supplied");
	json_object_put(res);
}
END_TEST

START_TEST(test_test_unknown_database)
{
	json_object *res;

	res = ph_test(plugin.type->test, config("nodb", "password", PGS_APP, PGS_APP_PW, ""));
	ph_assert_failed(res, "config_error", "/database", "database \"nodb\" does not exist");
	json_object_put(res);

	/* The password is scrubbed even from what the server says. */
	res = ph_test(plugin.type->test, config(PGS_ADMIN_PW, "password", PGS_ADMIN, PGS_ADMIN_PW, ""));
	ph_assert_failed(res, "config_error", "/database", "database \"***\" does not exist");
	ph_assert_no_secret(res, PGS_ADMIN_PW);
	json_object_put(res);
}
END_TEST

START_TEST(test_test_trust)
{
	json_object *res;

	res = ph_test(plugin.type->test, config(PGS_TRUST_DB, "trust", PGS_APP, NULL, ""));
	ph_assert_valid(res, "connected to database \"" PGS_TRUST_DB "\"");
	json_object_put(res);

	res = ph_test(plugin.type->test, config(PGS_TRUST_DB, "trust", "ghost", NULL, ""));
	ph_assert_failed(res, "config_error", "/user", "role \"ghost\" does not exist");
	json_object_put(res);
}
END_TEST

START_TEST(test_test_unknown_host)
{
	json_object *res = ph_test(plugin.type->test,
				   "{\"host\":\"no-such-host.invalid\",\"database\":\"d\","
				   "\"auth\":\"password\",\"user\":\"u\",\"password\":\"pw\"}");

	ph_assert_failed(res, "config_error", "/host", "could not translate host name");
	json_object_put(res);
}
END_TEST

START_TEST(test_test_refused)
{
	char cfg[256];
	json_object *res;

	snprintf(cfg, sizeof(cfg),
		 "{\"host\":\"127.0.0.1\",\"port\":%d,\"database\":\"d\",\"auth\":\"trust\"}",
		 ch_free_port());
	res = ph_test(plugin.type->test, cfg);
	ph_assert_failed(res, "transient_error", "/port", "Connection refused");
	ck_assert_ptr_null(strchr(ph_text(res, "message"), '\n'));
	json_object_put(res);
}
END_TEST

START_TEST(test_test_bad_config)
{
	json_object *res = NULL;

	res = ph_test(plugin.type->test, "{}");
	ck_assert_str_eq(ph_str(res),
			 "{\"valid\":false,\"message\":\"the configuration is not valid\","
			 "\"failure_type\":\"config_error\",\"errors\":["
			 "{\"pointer\":\"/host\",\"message\":\"is required\"},"
			 "{\"pointer\":\"/database\",\"message\":\"is required\"},"
			 "{\"pointer\":\"/auth\",\"message\":\"is required\"}]}");
	json_object_put(res);
	res = ph_test(plugin.type->test,
		      "{\"host\":\"h\",\"database\":\"d\",\"auth\":\"password\",\"port\":0,"
		      "\"sslmode\":\"sometimes\",\"connect_timeout_s\":301}");
	ck_assert_str_eq(ph_str(ph_get(res, "errors")),
			 "[{\"pointer\":\"/user\",\"message\":\"is required\"},"
			 "{\"pointer\":\"/password\",\"message\":\"is required\"},"
			 "{\"pointer\":\"/port\",\"message\":\"must be between 1 and 65535\"},"
			 "{\"pointer\":\"/sslmode\",\"message\":\"must be one of disable, allow, "
			 "prefer, require, verify-ca, verify-full\"},"
			 "{\"pointer\":\"/connect_timeout_s\",\"message\":\"must be between 1 "
			 "and 300\"}]");
	json_object_put(res);
	res = ph_test(plugin.type->test, "{\"host\":\"h\",\"database\":\"d\",\"auth\":\"ldap\"}");
	ph_assert_failed(res, "config_error", "/auth", "not valid");
	json_object_put(res);
	ck_assert_int_eq(ph_run(plugin.type->test, "{\"connector\":{}}", &res), CH_E_INVALID);
	ck_assert_int_eq(ph_run(plugin.type->test, "[]", &res), CH_E_INVALID);
	ck_assert_int_eq(atomic_load(&fake_live_allocs), 0);
}
END_TEST

/* Several tests at once: no shared state in the plugin. */
static void *concurrent_test(void *arg)
{
	const char *input = arg;
	ch_call own;
	char *out = NULL;
	int i, ok = 1;

	for (i = 0; i < 5 && ok; i++) {
		fake_call_init(&own);
		ok = plugin.type->test(&own, input, &out) == CH_OK &&
		     strstr(out, "\"valid\":true") != NULL;
		fake_host_api.free(out);
		out = NULL;
	}
	return ok ? arg : NULL;
}

START_TEST(test_test_concurrent)
{
	pthread_t threads[4];
	char input[1024 + 16]; /* the config (up to 1023 bytes) and its wrapping */
	void *ret;
	size_t i;

	snprintf(input, sizeof(input), "{\"config\":%s}",
		 config(PGS_APP_DB, "password", PGS_APP, PGS_APP_PW, ""));
	for (i = 0; i < 4; i++)
		ck_assert_int_eq(pthread_create(&threads[i], NULL, concurrent_test, input), 0);
	for (i = 0; i < 4; i++) {
		ck_assert_int_eq(pthread_join(threads[i], &ret), 0);
		ck_assert_ptr_eq(ret, input);
	}
	/* the list is made by the calls that began before the first was
	 * cached, at most one a thread; every later call reads the cache */
	ck_assert_int_ge(ph_cache_puts(), 1);
	ck_assert_int_le(ph_cache_puts(), 4);
}
END_TEST

/* --- refresh ------------------------------------------------------------------ */

START_TEST(test_refresh)
{
	json_object *out = NULL;

	ck_assert_int_eq(ph_run(plugin.type->refresh, "{\"connector\":{},\"config\":{}}", &out),
			 CH_OK);
	ck_assert_str_eq(ph_str(out), "{}");
	ck_assert_int_eq(ph_call.cache_clears, 1);
	json_object_put(out);
}
END_TEST

/* Last: it stops the server (and starts it again for the teardown). */
START_TEST(test_test_server_stopped)
{
	json_object *res;

	ck_assert_int_eq(pgs_ctl_stop(), 0);
	res = ph_test(plugin.type->test, config(PGS_APP_DB, "password", PGS_APP, PGS_APP_PW, ""));
	ph_assert_failed(res, "transient_error", "/port", "Connection refused");
	json_object_put(res);
	ck_assert_int_eq(pgs_ctl_start(), 0);
	res = ph_test(plugin.type->test, config(PGS_APP_DB, "password", PGS_APP, PGS_APP_PW, ""));
	ph_assert_valid(res, pgs_version());
	json_object_put(res);
}
END_TEST

static Suite *postgres_suite(void)
{
	Suite *s = suite_create("postgres_plugin");
	TCase *tc = tcase_create("plugin");

	tcase_add_unchecked_fixture(tc, pgs_start, pgs_stop);
	tcase_add_checked_fixture(tc, plugin_setup, plugin_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_descriptor);
	tcase_add_test(tc, test_exports_only_entry);
	tcase_add_test(tc, test_setup_password_walk);
	tcase_add_test(tc, test_setup_auth_keeps_answers_but_no_secret);
	tcase_add_test(tc, test_setup_trust);
	tcase_add_test(tc, test_setup_errors);
	tcase_add_test(tc, test_test_valid);
	tcase_add_test(tc, test_table_list_cached_until_refresh);
	tcase_add_test(tc, test_test_wrong_password);
	tcase_add_test(tc, test_test_unknown_database);
	tcase_add_test(tc, test_test_trust);
	tcase_add_test(tc, test_test_unknown_host);
	tcase_add_test(tc, test_test_refused);
	tcase_add_test(tc, test_test_bad_config);
	tcase_add_test(tc, test_test_concurrent);
	tcase_add_test(tc, test_refresh);
	tcase_add_test(tc, test_test_server_stopped);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return ch_check_run(postgres_suite());
}
