/*
 * Tests of the bundled http plugin against a real HTTP server: dlopen()
 * the built http.so (CH_HTTP_PLUGIN) with a fake host and run its
 * operations against the libmicrohttpd servers of http_server.h (plain
 * and TLS, on free loopback ports), started in the checked fixture,
 * inside each forked test.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <check.h>
#include <json-c/json.h>

#include <connhub/plugin.h>

#include "check_run.h"
#include "free_port.h"
#include "http_server.h"
#include "plugin_harness.h"

#ifndef CH_HTTP_PLUGIN
#error "CH_HTTP_PLUGIN must name the built http.so"
#endif

static ph_plugin plugin;

static void plugin_setup(void)
{
	hs_no_proxy();
	hs_start();
	ph_open(&plugin, CH_HTTP_PLUGIN);
}

static void plugin_teardown(void)
{
	ph_close(&plugin);
	hs_stop();
}

/* A configuration for the test server as text: base URL path @p path
 * (appended to http://127.0.0.1:<port>), auth @p auth and more members
 * @p extra ("" for none). */
static const char *config(const char *path, const char *auth, const char *extra)
{
	static char text[1024];

	snprintf(text, sizeof(text),
		 "{\"base_url\":\"http://127.0.0.1:%d%s\",\"auth\":\"%s\",\"timeout_ms\":5000%s%s}",
		 hs_port(), path, auth, extra[0] != '\0' ? "," : "", extra);
	return text;
}

static json_object *test_config(const char *text)
{
	return ph_test(plugin.type->test, text);
}

/* --- descriptor ------------------------------------------------------------- */

START_TEST(test_descriptor)
{
	const ch_type_desc *type = plugin.type;
	json_object *schema;

	ck_assert_int_eq(plugin.desc->abi_major, CH_ABI_MAJOR);
	ck_assert_int_eq(plugin.desc->abi_minor, CH_ABI_MINOR);
	ck_assert_str_eq(plugin.desc->name, "http");
	ck_assert_str_eq(plugin.desc->version, "1.0.0");
	ck_assert_str_eq(type->id, "http");
	ck_assert_str_eq(type->name, "HTTP API");
	ck_assert_str_eq(type->version, "1.0.0");
	ck_assert_str_eq(type->vendor, "connhub");
	ck_assert_str_eq(type->license, CH_LICENSE_FREE);
	ck_assert_str_eq(type->categories[0], "api");
	ck_assert_str_eq(type->categories[1], "web");
	ck_assert_ptr_null(type->categories[2]);
	ck_assert_int_gt(strlen(type->description), 40);
	ck_assert(type->setup && type->test);
	ck_assert(!type->refresh && !type->install && !type->update && !type->uninstall &&
		  !type->start && !type->stop && !type->export_ && !type->import_);

	schema = json_tokener_parse(type->config_schema);
	ck_assert_ptr_nonnull(schema);
	ck_assert_str_eq(ph_str(ph_get(schema, "required")), "[\"base_url\",\"auth\"]");
	ck_assert_str_eq(ph_str(ph_get(schema, "additionalProperties")), "false");
	ck_assert_str_eq(ph_text(schema, "properties.base_url.format"), "uri");
	ck_assert_str_eq(ph_str(ph_get(schema, "properties.auth.enum")),
			 "[\"none\",\"basic\",\"bearer\",\"api_key\"]");
	ck_assert_str_eq(ph_str(ph_get(schema, "properties.password.writeOnly")), "true");
	ck_assert_str_eq(ph_str(ph_get(schema, "properties.token.writeOnly")), "true");
	ck_assert_str_eq(ph_str(ph_get(schema, "properties.api_key.writeOnly")), "true");
	ck_assert_str_eq(ph_text(schema, "properties.api_key.format"), "password");
	ck_assert_str_eq(ph_text(schema, "properties.health_path.default"), "/");
	ck_assert_str_eq(ph_str(ph_get(schema, "properties.expected_status.minimum")), "100");
	ck_assert_str_eq(ph_str(ph_get(schema, "properties.expected_status.maximum")), "599");
	ck_assert_str_eq(ph_str(ph_get(schema, "properties.timeout_ms.default")), "10000");
	ck_assert_str_eq(ph_str(ph_get(schema, "properties.verify_tls.default")), "true");
	ck_assert_int_eq(json_object_array_length(ph_get(schema, "allOf")), 3);
	ck_assert_str_eq(ph_str(json_object_array_get_idx(ph_get(schema, "allOf"), 2)),
			 "{\"if\":{\"properties\":{\"auth\":{\"const\":\"api_key\"}},"
			 "\"required\":[\"auth\"]},"
			 "\"then\":{\"required\":[\"header_name\",\"api_key\"]}}");
	json_object_put(schema);
}
END_TEST

START_TEST(test_exports_only_entry)
{
	ck_assert_ptr_nonnull(dlsym(plugin.handle, CH_PLUGIN_ENTRY_SYMBOL));
	ck_assert_ptr_null(dlsym(plugin.handle, "ch_sdk_init"));
	ck_assert_ptr_null(dlsym(plugin.handle, "ht_test"));
}
END_TEST

/* --- setup ------------------------------------------------------------------ */

START_TEST(test_setup_walk)
{
	ch_op_fn setup = plugin.type->setup;
	json_object *step;

	step = ph_setup(setup, NULL, "{}");
	ph_assert_step(step, "endpoint", "base_url", true, false);
	ck_assert_str_eq(ph_str(ph_get(step, "schema.required")), "[\"base_url\"]");
	ck_assert_str_eq(ph_text(step, "schema.properties.base_url.format"), "uri");
	json_object_put(step);

	step = ph_setup(setup, "endpoint", "{\"base_url\":\"http://api\"}");
	ph_assert_step(step, "auth", "auth", true, false);
	ck_assert_str_eq(ph_str(ph_get(step, "schema.properties.auth.enum")),
			 "[\"none\",\"basic\",\"bearer\",\"api_key\"]");
	ck_assert_str_eq(ph_str(ph_get(step, "model")), "{\"auth\":\"none\"}");
	json_object_put(step);

	/* none: straight to the health check; no verify_tls over http. */
	step = ph_setup(setup, "auth", "{\"base_url\":\"http://api\",\"auth\":\"none\"}");
	ph_assert_step(step, "health", "health_path,expected_status,timeout_ms", false, true);
	ck_assert_str_eq(ph_str(ph_get(step, "model")),
			 "{\"health_path\":\"/\",\"expected_status\":200,\"timeout_ms\":10000}");
	json_object_put(step);

	step = ph_setup(setup, "auth", "{\"base_url\":\"HTTPS://api\",\"auth\":\"none\"}");
	ph_assert_step(step, "health", "health_path,expected_status,timeout_ms,verify_tls", false,
		       true);
	ck_assert_str_eq(ph_text(step, "schema.properties.verify_tls.type"), "boolean");
	json_object_put(step);
}
END_TEST

START_TEST(test_setup_branches)
{
	static const struct {
		const char *auth;
		const char *keys;
		const char *secret;
	} branches[] = {
		{"basic", "user,password", "password"},
		{"bearer", "token", "token"},
		{"api_key", "header_name,api_key", "api_key"},
	};
	ch_op_fn setup = plugin.type->setup;
	char answers[128], path[64];
	json_object *step;
	size_t i;

	for (i = 0; i < sizeof(branches) / sizeof(branches[0]); i++) {
		snprintf(answers, sizeof(answers),
			 "{\"base_url\":\"https://api\",\"auth\":\"%s\"}", branches[i].auth);
		step = ph_setup(setup, "auth", answers);
		ph_assert_step(step, branches[i].auth, branches[i].keys, true, false);
		snprintf(path, sizeof(path), "schema.properties.%s.writeOnly", branches[i].secret);
		ck_assert_str_eq(ph_str(ph_get(step, path)), "true");
		json_object_put(step);

		step = ph_setup(setup, branches[i].auth, answers);
		ph_assert_step(step, "health",
			       "health_path,expected_status,timeout_ms,verify_tls", false, true);
		json_object_put(step);
	}
	step = ph_setup(setup, "auth", "{\"auth\":\"api_key\"}");
	ck_assert_str_eq(ph_str(ph_get(step, "model")), "{\"header_name\":\"X-API-Key\"}");
	json_object_put(step);
	step = ph_setup(setup, "bearer", "{\"timeout_ms\":300,\"token\":\"t\"}");
	ck_assert_str_eq(ph_str(ph_get(step, "model")),
			 "{\"health_path\":\"/\",\"expected_status\":200,\"timeout_ms\":300}");
	json_object_put(step);
}
END_TEST

START_TEST(test_setup_errors)
{
	ch_op_fn setup = plugin.type->setup;
	json_object *out = NULL;

	ck_assert_int_eq(ph_run(setup, "{\"step\":\"nope\",\"answers\":{}}", &out), CH_E_INVALID);
	ck_assert_str_eq(ph_call.message, "unknown setup step \"nope\"");
	ck_assert_int_eq(ph_run(setup, "{\"step\":\"health\",\"answers\":{}}", &out),
			 CH_E_INVALID);
	ck_assert_ptr_nonnull(strstr(ph_call.message, "last one"));
	ck_assert_int_eq(ph_run(setup, "{\"step\":\"auth\",\"answers\":{\"auth\":\"digest\"}}",
				&out), CH_E_INVALID);
	ck_assert_str_eq(ph_call.message,
			 "answer \"auth\" must be one of none, basic, bearer, api_key");
	ck_assert_int_eq(ph_run(setup, "{\"step\":[]}", &out), CH_E_INVALID);
	ck_assert_int_eq(atomic_load(&fake_live_allocs), 0);
}
END_TEST

/* --- test: right credentials -------------------------------------------------- */

START_TEST(test_test_none)
{
	char cfg[512], words[128];
	json_object *res;
	hs_seen seen;

	snprintf(cfg, sizeof(cfg),
		 "{\"base_url\":\"http://127.0.0.1:%d/open/v1/?sig=topsecret\",\"auth\":\"none\","
		 "\"health_path\":\"/health?full=1\"}", hs_port());
	res = test_config(cfg);
	snprintf(words, sizeof(words), "GET http://127.0.0.1:%d/open/v1/health: answered 200 in ",
		 hs_port());
	ph_assert_valid(res, words);
	ph_assert_valid(res, " ms");
	ck_assert_ptr_null(strstr(ph_str(res), "topsecret")); /* no query in messages */
	json_object_put(res);
	seen = hs_last_open();
	ck_assert_str_eq(seen.method, "GET");
	ck_assert_str_eq(seen.path, "/open/v1/health");
	ck_assert_str_eq(seen.query, "1");
	ck_assert_str_eq(seen.agent, "connhub-http/1.0.0");
}
END_TEST

START_TEST(test_test_each_auth)
{
	json_object *res;

	res = test_config(config("/basic", "basic",
				 "\"user\":\"" HS_USER "\",\"password\":\"" HS_PASSWORD "\""));
	ph_assert_valid(res, "/basic: answered 200");
	ph_assert_no_secret(res, HS_PASSWORD);
	json_object_put(res);
	res = test_config(config("", "bearer", "\"health_path\":\"/bearer\",\"token\":\"" HS_TOKEN "\""));
	ph_assert_valid(res, "/bearer: answered 200");
	json_object_put(res);
	res = test_config(config("/", "api_key", "\"health_path\":\"/apikey\",\"header_name\":\""
				 HS_KEY_HEADER "\",\"api_key\":\"" HS_API_KEY "\""));
	ph_assert_valid(res, "/apikey: answered 200");
	json_object_put(res);
	/* A status other than 200 can be the healthy one. */
	res = test_config(config("/down", "none", "\"expected_status\":503"));
	ph_assert_valid(res, "answered 503");
	json_object_put(res);
}
END_TEST

/* --- test: failures ------------------------------------------------------------ */

START_TEST(test_test_wrong_credentials)
{
	json_object *res;

	res = test_config(config("/basic", "basic", "\"user\":\"" HS_USER "\",\"password\":\"nope-pw\""));
	ph_assert_failed(res, "config_error", "/password", "answered 401");
	ph_assert_no_secret(res, "nope-pw");
	json_object_put(res);
	res = test_config(config("/bearer", "bearer", "\"token\":\"tok-wrong\""));
	ph_assert_failed(res, "config_error", "/token", "the API refused the credentials");
	ph_assert_no_secret(res, "tok-wrong");
	json_object_put(res);
	res = test_config(config("/apikey", "api_key",
				 "\"header_name\":\"X-Other\",\"api_key\":\"" HS_API_KEY "\""));
	ph_assert_failed(res, "config_error", "/api_key", "answered 401");
	json_object_put(res);
	res = test_config(config("/forbidden", "bearer", "\"token\":\"" HS_TOKEN "\""));
	ph_assert_failed(res, "config_error", "/token", "answered 403");
	json_object_put(res);
	res = test_config(config("/basic", "none", ""));
	ph_assert_failed(res, "config_error", "/auth", "the API wants credentials");
	json_object_put(res);
}
END_TEST

START_TEST(test_test_secret_scrubbed)
{
	json_object *res;

	/* The key in the path (so in the message) is masked. */
	res = test_config(config("/open", "api_key", "\"health_path\":\"/" HS_API_KEY "\","
				 "\"header_name\":\"X-K\",\"api_key\":\"" HS_API_KEY "\","
				 "\"expected_status\":204"));
	ph_assert_failed(res, "config_error", "/expected_status", "/open/***: answered 200");
	ph_assert_no_secret(res, HS_API_KEY);
	json_object_put(res);
}
END_TEST

START_TEST(test_test_wrong_status)
{
	json_object *res;

	res = test_config(config("/open", "none", "\"expected_status\":204"));
	ph_assert_failed(res, "config_error", "/expected_status", "answered 200 in ");
	ph_assert_failed(res, "config_error", "/expected_status", ", expected 204");
	json_object_put(res);
	res = test_config(config("/missing", "none", ""));
	ph_assert_failed(res, "config_error", "/expected_status", "answered 404");
	json_object_put(res);
	/* 502, 503, 504: the API (or its gateway) may be back later. */
	res = test_config(config("/down", "none", ""));
	ph_assert_failed(res, "transient_error", NULL, "answered 503");
	json_object_put(res);
}
END_TEST

START_TEST(test_test_refused)
{
	char cfg[256];
	json_object *res;

	snprintf(cfg, sizeof(cfg), "{\"base_url\":\"http://127.0.0.1:%d\",\"auth\":\"none\"}",
		 ch_free_port());
	res = test_config(cfg);
	ph_assert_failed(res, "transient_error", "/base_url", "Couldn't connect to server");
	json_object_put(res);
}
END_TEST

START_TEST(test_test_timeout)
{
	struct timespec t0, t1;
	json_object *res;
	long ms;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	res = test_config(config("/slow", "none", "\"timeout_ms\":200"));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ph_assert_failed(res, "transient_error", "/timeout_ms", "timed out");
	json_object_put(res);
	ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	ck_assert_int_lt(ms, 1500);
}
END_TEST

START_TEST(test_test_unknown_host)
{
	json_object *res = test_config("{\"base_url\":\"http://no-such-host.invalid/\","
				       "\"auth\":\"none\"}");

	ph_assert_failed(res, "config_error", "/base_url", "Could not resolve host");
	json_object_put(res);
}
END_TEST

START_TEST(test_test_tls)
{
	char cfg[256];
	json_object *res;

	snprintf(cfg, sizeof(cfg), "{\"base_url\":\"https://127.0.0.1:%d/open\",\"auth\":\"none\"}",
		 hs_tls_port());
	res = test_config(cfg);
	ph_assert_failed(res, "config_error", "/verify_tls", "certificate");
	json_object_put(res);

	snprintf(cfg, sizeof(cfg),
		 "{\"base_url\":\"https://127.0.0.1:%d/open\",\"auth\":\"none\","
		 "\"verify_tls\":false}", hs_tls_port());
	res = test_config(cfg);
	ph_assert_valid(res, "answered 200");
	json_object_put(res);

	/* TLS to a server that does not speak it: a failed handshake. */
	snprintf(cfg, sizeof(cfg), "{\"base_url\":\"https://127.0.0.1:%d/open\",\"auth\":\"none\"}",
		 hs_port());
	res = test_config(cfg);
	ph_assert_failed(res, "transient_error", NULL, "GET https://127.0.0.1:");
	json_object_put(res);
}
END_TEST

START_TEST(test_test_bad_config)
{
	json_object *res = NULL;

	res = test_config("{}");
	ck_assert_str_eq(ph_str(res),
			 "{\"valid\":false,\"message\":\"the configuration is not valid\","
			 "\"failure_type\":\"config_error\",\"errors\":["
			 "{\"pointer\":\"/base_url\",\"message\":\"is required\"},"
			 "{\"pointer\":\"/auth\",\"message\":\"is required\"}]}");
	json_object_put(res);
	res = test_config("{\"base_url\":\"ftp://x\",\"auth\":\"basic\",\"user\":\"a:b\","
			  "\"health_path\":\"health\",\"expected_status\":600,\"timeout_ms\":50}");
	ck_assert_str_eq(ph_str(ph_get(res, "errors")),
			 "[{\"pointer\":\"/base_url\",\"message\":\"must be an http:// or "
			 "https:// URL\"},"
			 "{\"pointer\":\"/health_path\",\"message\":\"must start with / and hold "
			 "no spaces, # or control characters\"},"
			 "{\"pointer\":\"/password\",\"message\":\"is required\"},"
			 "{\"pointer\":\"/user\",\"message\":\"must not contain ':'\"},"
			 "{\"pointer\":\"/expected_status\",\"message\":\"must be between 100 and "
			 "599\"},"
			 "{\"pointer\":\"/timeout_ms\",\"message\":\"must be between 100 and "
			 "120000\"}]");
	json_object_put(res);
	res = test_config("{\"base_url\":\"http://x\",\"auth\":\"api_key\",\"header_name\":\"X Y\","
			  "\"api_key\":\"a\\r\\nInjected: 1\"}");
	ck_assert_str_eq(ph_str(ph_get(res, "errors")),
			 "[{\"pointer\":\"/header_name\",\"message\":\"must be an HTTP header "
			 "name\"},"
			 "{\"pointer\":\"/api_key\",\"message\":\"must not contain control "
			 "characters or line breaks\"}]");
	json_object_put(res);
	res = test_config("{\"base_url\":\"http://x\",\"auth\":\"api_key\",\"api_key\":\"k\"}");
	ph_assert_failed(res, "config_error", "/header_name", "not valid");
	ck_assert_str_eq(ph_text(json_object_array_get_idx(ph_get(res, "errors"), 0), "message"),
			 "is required");
	json_object_put(res);
	res = test_config("{\"base_url\":\"http://x\",\"auth\":\"bearer\",\"token\":\"\"}");
	ph_assert_failed(res, "config_error", "/token", "not valid");
	json_object_put(res);
	res = test_config("{\"base_url\":\"http://u:pw@127.0.0.1/\",\"auth\":\"none\"}");
	ph_assert_failed(res, "config_error", "/base_url", "holds a user name or password");
	ph_assert_no_secret(res, "pw@");
	json_object_put(res);
	res = test_config("{\"base_url\":\"http://\",\"auth\":\"none\"}");
	ph_assert_failed(res, "config_error", "/base_url", "the base URL is not valid");
	json_object_put(res);
	ck_assert_int_eq(ph_run(plugin.type->test, "{\"connector\":{}}", &res), CH_E_INVALID);
	ck_assert_int_eq(ph_run(plugin.type->test, "[]", &res), CH_E_INVALID);
	ck_assert_int_eq(atomic_load(&fake_live_allocs), 0);
}
END_TEST

/* Several tests at once: one curl handle per call, nothing shared. */
static void *concurrent_test(void *arg)
{
	const char *input = arg;
	ch_call own;
	char *out = NULL;
	int i, ok = 1;

	for (i = 0; i < 10 && ok; i++) {
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
		 config("/basic", "basic", "\"user\":\"" HS_USER "\",\"password\":\"" HS_PASSWORD "\""));
	for (i = 0; i < 4; i++)
		ck_assert_int_eq(pthread_create(&threads[i], NULL, concurrent_test, input), 0);
	for (i = 0; i < 4; i++) {
		ck_assert_int_eq(pthread_join(threads[i], &ret), 0);
		ck_assert_ptr_eq(ret, input);
	}
}
END_TEST

static Suite *http_suite(void)
{
	Suite *s = suite_create("http_plugin");
	TCase *tc = tcase_create("plugin");

	tcase_add_checked_fixture(tc, plugin_setup, plugin_teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_descriptor);
	tcase_add_test(tc, test_exports_only_entry);
	tcase_add_test(tc, test_setup_walk);
	tcase_add_test(tc, test_setup_branches);
	tcase_add_test(tc, test_setup_errors);
	tcase_add_test(tc, test_test_none);
	tcase_add_test(tc, test_test_each_auth);
	tcase_add_test(tc, test_test_wrong_credentials);
	tcase_add_test(tc, test_test_secret_scrubbed);
	tcase_add_test(tc, test_test_wrong_status);
	tcase_add_test(tc, test_test_refused);
	tcase_add_test(tc, test_test_timeout);
	tcase_add_test(tc, test_test_unknown_host);
	tcase_add_test(tc, test_test_tls);
	tcase_add_test(tc, test_test_bad_config);
	tcase_add_test(tc, test_test_concurrent);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return ch_check_run(http_suite());
}
