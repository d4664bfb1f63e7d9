/*
 * The bundled postgres and http types through a real host, against real
 * servers: the PostgreSQL server of tests/plugins_real/pg_server.h and the
 * libmicrohttpd servers of tests/plugins_real/http_server.h. Every
 * connector is configured by walking its setup wizard over HTTP, then
 * tested with GET and POST .../test (and refreshed with POST .../refresh).
 *
 * postgres: the right password (the message names the database), a wrong
 * one (/password, and the password nowhere in the answer), an unknown
 * database (/database), trust, the table list cached until a refresh, and
 * the server stopped (transient_error).
 * http: each kind of authentication with the right credentials, then a
 * wrong one PUT into the configuration (the pointer at that field); the
 * TLS server with and without verify_tls.
 */
#include <check.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "http_server.h"
#include "pg_server.h"
#include "wizard_client.h"

/* What the postgres type's message ends with when the table list came
 * from the host's cache. */
#define CACHED " (cached list; refresh lists them again)"

static th_host host;

/* --- test results ----------------------------------------------------------------- */

/* Asserts the message of the test result in @p r contains @p words. */
static void assert_says(const th_resp *r, const char *words)
{
	const char *msg = th_str(r->json, "message");

	ck_assert_msg(msg != NULL && strstr(msg, words) != NULL, "no \"%s\" in %s", words, r->body);
}

/* Asserts the message of the test result in @p r ends with @p tail. */
static void assert_ends(const th_resp *r, const char *tail)
{
	const char *msg = th_str(r->json, "message");
	size_t n = msg != NULL ? strlen(msg) : 0;

	ck_assert_msg(n >= strlen(tail) && strcmp(msg + n - strlen(tail), tail) == 0,
		      "the message does not end with \"%s\": %s", tail, r->body);
}

/*
 * Asserts the test result in @p r: valid when @p type is NULL, else failed
 * of @p type with its first error at @p pointer; its message saying
 * @p words; @p secret (when not NULL) nowhere in it.
 */
static void assert_result(const th_resp *r, const char *type, const char *pointer,
			  const char *words, const char *secret)
{
	json_object *errors = wz_at(r->json, "errors");

	wz_assert_test_result(r, type == NULL);
	if (type != NULL) {
		ck_assert_msg(th_str(r->json, "failure_type") != NULL &&
			      strcmp(th_str(r->json, "failure_type"), type) == 0,
			      "not %s: %s", type, r->body);
		ck_assert_msg(json_object_array_length(errors) > 0 &&
			      strcmp(th_str(json_object_array_get_idx(errors, 0), "pointer"),
				     pointer) == 0, "not at %s: %s", pointer, r->body);
	}
	assert_says(r, words);
	if (secret != NULL)
		ck_assert_msg(strstr(r->body, secret) == NULL, "secret in %s", r->body);
}

/* METHOD .../test of @p name: 200, a test result with valid == @p valid. */
static void test_once(const char *name, const char *method, int valid, th_resp *r)
{
	wz_call(&host, NULL, method, name, "/test", NULL, 200, r);
	wz_assert_test_result(r, valid);
}

/* POST and GET .../test (equal but for duration_ms), then assert_result(). */
static void run_test(const char *name, const char *type, const char *pointer,
		     const char *words, const char *secret)
{
	th_resp r;

	wz_run_test(&host, name, type == NULL, &r);
	assert_result(&r, type, pointer, words, secret);
	th_resp_free(&r);
}

/* POST, then GET .../test, each checked with assert_result(): for results
 * that differ from call to call (the http type says how long it took). */
static void run_test_each(const char *name, const char *type, const char *pointer,
			  const char *words, const char *secret)
{
	static const char *const methods[] = {"POST", "GET"};
	th_resp r;
	size_t i;

	for (i = 0; i < 2; i++) {
		test_once(name, methods[i], type == NULL, &r);
		assert_result(&r, type, pointer, words, secret);
		th_resp_free(&r);
	}
}

/* POST .../setup/finish with @p body: 200, the connector CONFIGURED with
 * auth @p auth and, when @p key is not NULL, that secret masked and
 * @p secret nowhere in the answer. */
static void finish(const char *name, const char *body, const char *auth, const char *key,
		   const char *secret)
{
	th_resp r;

	wz_call(&host, NULL, "POST", name, "/setup/finish", body, 200, &r);
	ck_assert_str_eq(th_str(r.json, "status"), "CONFIGURED");
	ck_assert_str_eq(th_str(wz_config_of(&r), "auth"), auth);
	if (key != NULL) {
		ck_assert_str_eq(th_str(wz_config_of(&r), key), WZ_MASK);
		ck_assert_ptr_null(strstr(r.body, secret));
	}
	th_resp_free(&r);
}

/* --- postgres ------------------------------------------------------------------------ */

/* The role trust logs in as. The wizard's trust branch asks for no user,
 * so libpq takes the name of the system user the host's runners run as:
 * the one running this test. */
static void add_system_role(void)
{
	struct passwd *pw = getpwuid(geteuid());
	char sql[256], why[512];

	ck_assert_ptr_nonnull(pw);
	snprintf(sql, sizeof(sql), "CREATE ROLE \"%s\" LOGIN", pw->pw_name);
	ck_assert_msg(pgs_sql("postgres", PGS_ADMIN, PGS_ADMIN_PW, sql, why, sizeof(why)), "%s",
		      why);
}

static void start_pg_host(void)
{
	pgs_start();
	add_system_role();
	th_start(&host, CH_TEST_BUNDLED, NULL);
}

static void stop_pg_host(void)
{
	th_stop(&host);
	pgs_stop();
}

/* Asserts the auth step: auth, then user and password shown (and, by the
 * step's schema, required) only when auth is password. */
static void pg_assert_auth_step(const th_resp *r)
{
	json_object *form = wz_at(r->json, "form");
	size_t i;

	wz_assert_step(r->json, "auth", 1, 1, 0);
	wz_assert_form(r->json, (const char *const[]){"auth", "user", "password", NULL});
	ck_assert_ptr_null(wz_at(json_object_array_get_idx(form, 0), "when"));
	for (i = 1; i < 3; i++)
		ck_assert_str_eq(json_object_to_json_string_ext(
					 wz_at(json_object_array_get_idx(form, i), "when"),
					 JSON_C_TO_STRING_PLAIN),
				 "{\"auth\":\"password\"}");
	ck_assert_str_eq(th_str(json_object_array_get_idx(form, 2), "type"), "password");
}

/* Answers the auth step: password auth without credentials is refused
 * (422, the step unchanged), then @p password (NULL: trust) is given. */
static void pg_answer_auth(const char *name, const char *password)
{
	char model[256];
	th_resp r;

	wz_call(&host, NULL, "POST", name, "/setup/next", "{\"auth\":\"password\"}", 422, &r);
	wz_assert_invalid(&r, (const char *const[]){"/user", "/password", NULL});
	th_resp_free(&r);
	wz_call(&host, NULL, "GET", name, "/setup/current", NULL, 200, &r);
	wz_assert_step(r.json, "auth", 1, 1, 0);
	th_resp_free(&r);
	if (password != NULL)
		snprintf(model, sizeof(model),
			 "{\"auth\":\"password\",\"user\":\"" PGS_APP "\",\"password\":\"%s\"}",
			 password);
	else
		snprintf(model, sizeof(model), "{\"auth\":\"trust\"}");
	wz_next(&host, name, model, "options", &r);
	wz_assert_step(r.json, "options", 0, 1, 1);
	wz_assert_form(r.json, (const char *const[]){"sslmode", "connect_timeout_s", NULL});
	th_resp_free(&r);
}

/* Creates @p name and walks its wizard to the test server's @p database,
 * as the app role with @p password (NULL: by trust), and finishes. */
static void pg_walk(const char *name, const char *database, const char *password)
{
	char model[256];
	th_resp r;

	wz_create(&host, name, "postgres", NULL);
	wz_start(&host, name, "server", &r);
	wz_assert_form(r.json, (const char *const[]){"host", "port", "database", NULL});
	th_resp_free(&r);
	snprintf(model, sizeof(model), "{\"host\":\"127.0.0.1\",\"port\":%d,\"database\":\"%s\"}",
		 pgs_port(), database);
	wz_next(&host, name, model, "auth", &r);
	pg_assert_auth_step(&r);
	th_resp_free(&r);
	pg_answer_auth(name, password);
	finish(name, "{\"sslmode\":\"disable\",\"connect_timeout_s\":5}",
	       password != NULL ? "password" : "trust", password != NULL ? "password" : NULL,
	       password);
}

START_TEST(pg_right_password)
{
	th_resp r;

	pg_walk("pg-app", PGS_APP_DB, PGS_APP_PW);
	test_once("pg-app", "POST", 1, &r);
	assert_result(&r, NULL, NULL, "connected to database \"" PGS_APP_DB "\" on 127.0.0.1 port",
		      PGS_APP_PW);
	assert_says(&r, " as " PGS_APP);
	assert_says(&r, pgs_version());
	assert_ends(&r, "; 2 tables");
	th_resp_free(&r);
	/* the table list is cached now: POST and GET answer alike */
	run_test("pg-app", NULL, NULL, "connected to database \"" PGS_APP_DB "\"", PGS_APP_PW);
}
END_TEST

START_TEST(pg_wrong_password)
{
	pg_walk("pg-wrong", PGS_APP_DB, "not-" PGS_APP_PW);
	run_test("pg-wrong", "config_error", "/password", "password authentication failed",
		 "not-" PGS_APP_PW);
}
END_TEST

START_TEST(pg_unknown_database)
{
	pg_walk("pg-nodb", "nodb", PGS_APP_PW);
	run_test("pg-nodb", "config_error", "/database", "database \"nodb\" does not exist",
		 PGS_APP_PW);
}
END_TEST

START_TEST(pg_trust)
{
	pg_walk("pg-trust", PGS_TRUST_DB, NULL);
	run_test_each("pg-trust", NULL, NULL, "connected to database \"" PGS_TRUST_DB "\"", NULL);
}
END_TEST

/* Runs @p sql on the app database as the app role. */
static void app_sql(const char *sql)
{
	char why[512];

	ck_assert_msg(pgs_sql(PGS_APP_DB, PGS_APP, PGS_APP_PW, sql, why, sizeof(why)), "%s", why);
}

/* A table made meanwhile shows in test only after a refresh. */
START_TEST(pg_refresh_lists_tables_again)
{
	th_resp r;

	pg_walk("pg-cache", PGS_APP_DB, PGS_APP_PW);
	test_once("pg-cache", "POST", 1, &r);
	assert_ends(&r, "; 2 tables");
	th_resp_free(&r);
	app_sql("CREATE TABLE t3 (c integer)");
	run_test("pg-cache", NULL, NULL, "; 2 tables" CACHED, NULL);
	wz_call(&host, NULL, "POST", "pg-cache", "/refresh", NULL, 204, &r);
	ck_assert_uint_eq(r.body_len, 0);
	th_resp_free(&r);
	test_once("pg-cache", "POST", 1, &r);
	assert_ends(&r, "; 3 tables");
	th_resp_free(&r);
	run_test("pg-cache", NULL, NULL, "; 3 tables" CACHED, NULL);
	app_sql("DROP TABLE t3");
}
END_TEST

/* Last: it stops the server, and starts it again. */
START_TEST(pg_server_stopped)
{
	th_resp r;

	pg_walk("pg-down", PGS_APP_DB, PGS_APP_PW);
	test_once("pg-down", "POST", 1, &r);
	th_resp_free(&r);
	ck_assert_int_eq(pgs_ctl_stop(), 0);
	run_test("pg-down", "transient_error", "/port", "Connection refused", PGS_APP_PW);
	ck_assert_int_eq(pgs_ctl_start(), 0);
	run_test("pg-down", NULL, NULL, pgs_version(), PGS_APP_PW);
}
END_TEST

/* --- http ---------------------------------------------------------------------------- */

/* A kind of authentication, the test server's path that checks it, and a
 * change of the configuration that makes test fail. */
typedef struct http_kind {
	const char *auth;         /* also the id of its credential step, but for none */
	const char *path;         /* the health path */
	const char *const *form;  /* the credential step's keys; NULL: no such step */
	const char *answers;      /* the credential step's model, right */
	const char *secret_key;   /* the secret among them, or NULL */
	const char *secret;
	const char *wrong_key;    /* the member PUT into the configuration */
	const char *wrong_value;  /* (a secret when wrong_key is secret_key) */
	const char *pointer;      /* where test points then */
} http_kind;

static const char *const basic_form[] = {"user", "password", NULL};
static const char *const bearer_form[] = {"token", NULL};
static const char *const api_key_form[] = {"header_name", "api_key", NULL};

static const http_kind http_kinds[] = {
	{"none", "/open", NULL, NULL, NULL, NULL, "health_path", "/basic", "/auth"},
	{"basic", "/basic", basic_form,
	 "{\"user\":\"" HS_USER "\",\"password\":\"" HS_PASSWORD "\"}", "password", HS_PASSWORD,
	 "password", "wrong-pw-71", "/password"},
	{"bearer", "/bearer", bearer_form, "{\"token\":\"" HS_TOKEN "\"}", "token", HS_TOKEN,
	 "token", "wrong-token-72", "/token"},
	{"api_key", "/apikey", api_key_form,
	 "{\"header_name\":\"" HS_KEY_HEADER "\",\"api_key\":\"" HS_API_KEY "\"}", "api_key",
	 HS_API_KEY, "api_key", "wrong-key-73", "/api_key"},
};

static void start_http_host(void)
{
	hs_no_proxy(); /* before the host starts: its runners inherit the environment */
	th_start(&host, CH_TEST_BUNDLED, NULL);
}

static void stop_http_host(void)
{
	th_stop(&host);
}

/* Asserts the health step; verify_tls is asked for an https base URL only. */
static void http_assert_health_step(const th_resp *r, int tls)
{
	wz_assert_step(r->json, "health", 0, 1, 1);
	if (tls)
		wz_assert_form(r->json, (const char *const[]){"health_path", "expected_status",
							      "timeout_ms", "verify_tls", NULL});
	else
		wz_assert_form(r->json, (const char *const[]){"health_path", "expected_status",
							      "timeout_ms", NULL});
}

/* Creates @p name and walks its wizard: @p base_url, the kind @p k with its
 * right credentials, then finishes with the health step's @p health. */
static void http_walk(const char *name, const char *base_url, const http_kind *k,
		      const char *health)
{
	char model[160];
	th_resp r;

	wz_create(&host, name, "http", NULL);
	wz_start(&host, name, "endpoint", &r);
	wz_assert_form(r.json, (const char *const[]){"base_url", NULL});
	th_resp_free(&r);
	snprintf(model, sizeof(model), "{\"base_url\":\"%s\"}", base_url);
	wz_next(&host, name, model, "auth", &r);
	wz_assert_form(r.json, (const char *const[]){"auth", NULL});
	th_resp_free(&r);
	snprintf(model, sizeof(model), "{\"auth\":\"%s\"}", k->auth);
	wz_next(&host, name, model, k->form != NULL ? k->auth : "health", &r);
	if (k->form != NULL) {
		wz_assert_step(r.json, k->auth, 1, 1, 0);
		wz_assert_form(r.json, k->form);
		th_resp_free(&r);
		wz_next(&host, name, k->answers, "health", &r);
	}
	http_assert_health_step(&r, strncmp(base_url, "https:", 6) == 0);
	th_resp_free(&r);
	finish(name, health, k->auth, k->secret_key, k->secret);
}

/* Each kind through the wizard: valid with the right credentials; with a
 * wrong one PUT into the configuration, a config_error at that field. */
START_TEST(http_each_auth_kind)
{
	const http_kind *k = &http_kinds[_i];
	char name[32], base[64], health[128], body[160];
	th_resp r;

	snprintf(name, sizeof(name), "http-%s", k->auth);
	snprintf(base, sizeof(base), "http://127.0.0.1:%d", hs_port());
	snprintf(health, sizeof(health),
		 "{\"health_path\":\"%s\",\"expected_status\":200,\"timeout_ms\":5000}", k->path);
	http_walk(name, base, k, health);
	run_test_each(name, NULL, NULL, "answered 200", k->secret);
	snprintf(body, sizeof(body), "{\"config\":{\"%s\":\"%s\"}}", k->wrong_key, k->wrong_value);
	wz_call(&host, NULL, "PUT", name, "", body, 200, &r);
	th_resp_free(&r);
	run_test_each(name, "config_error", k->pointer, "answered 401",
		      k->secret_key != NULL ? k->wrong_value : NULL);
}
END_TEST

/* The TLS server's self-signed certificate: refused when verified. */
START_TEST(http_tls_verify)
{
	static const char health[] =
		"{\"health_path\":\"/\",\"expected_status\":200,\"timeout_ms\":5000,"
		"\"verify_tls\":%s}";
	char base[64], body[128];

	snprintf(base, sizeof(base), "https://127.0.0.1:%d/open", hs_tls_port());
	snprintf(body, sizeof(body), health, "true");
	http_walk("tls-verified", base, &http_kinds[0], body);
	run_test("tls-verified", "config_error", "/verify_tls", "certificate", NULL);
	snprintf(body, sizeof(body), health, "false");
	http_walk("tls-unverified", base, &http_kinds[0], body);
	run_test_each("tls-unverified", NULL, NULL, "/open: answered 200", NULL);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("api_real_servers");
	TCase *pg = tcase_create("postgres");
	TCase *http = tcase_create("http");

	tcase_add_unchecked_fixture(pg, start_pg_host, stop_pg_host);
	tcase_set_timeout(pg, 120);
	tcase_add_test(pg, pg_right_password);
	tcase_add_test(pg, pg_wrong_password);
	tcase_add_test(pg, pg_unknown_database);
	tcase_add_test(pg, pg_trust);
	tcase_add_test(pg, pg_refresh_lists_tables_again);
	tcase_add_test(pg, pg_server_stopped);
	suite_add_tcase(s, pg);
	tcase_add_unchecked_fixture(http, start_http_host, stop_http_host);
	tcase_add_checked_fixture(http, hs_start, hs_stop);
	tcase_set_timeout(http, 120);
	tcase_add_loop_test(http, http_each_auth_kind, 0,
			    (int)(sizeof(http_kinds) / sizeof(http_kinds[0])));
	tcase_add_test(http, http_tls_verify);
	suite_add_tcase(s, http);
	return s;
}

int main(void)
{
	return th_run_suite(suite());
}
