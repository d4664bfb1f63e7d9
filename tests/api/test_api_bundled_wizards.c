/*
 * The wizards of the bundled sqlite, postgres and http types, walked over
 * HTTP through their runners on one host: every branch forward, back,
 * cancel and finish; invalid answers (422 naming the fields, the step
 * unchanged); the 409s (finish and previous at the first step, next at
 * the last); a restart of the host in the middle of each wizard; secrets
 * masked in current and in the stored connector; a second run from the
 * stored configuration; answers of a branch left behind not stored.
 * (Tests against real PostgreSQL and HTTP servers: test_api_real_servers.)
 */
#include <check.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_run.h"
#include "harness.h"
#include "wizard_client.h"

#define MASK WZ_MASK

static th_host host;

static void start_host(void)
{
	th_start(&host, CH_TEST_BUNDLED, NULL);
}

static void stop_host(void)
{
	int rc = th_stop(&host);

	if (rc != 0)
		fprintf(stderr, "the host exited with %d on SIGTERM\n", rc);
}

/* --- shorthands on the shared host ------------------------------------------------- */

static void call(const char *method, const char *name, const char *tail, const char *body,
		 long status, th_resp *r)
{
	wz_call(&host, NULL, method, name, tail, body, status, r);
}

static void call0(const char *method, const char *name, const char *tail, const char *body,
		  long status)
{
	wz_call0(&host, method, name, tail, body, status);
}

static void next(const char *name, const char *model, const char *id, th_resp *r)
{
	wz_next(&host, name, model, id, r);
}

static json_object *model_of(const th_resp *r)
{
	return wz_at(r->json, "model");
}

/* GET .../setup/current into @p r, as step @p id. */
static void current(const char *name, const char *id, th_resp *r)
{
	call("GET", name, "/setup/current", NULL, 200, r);
	ck_assert_str_eq(th_str(r->json, "id"), id);
}

/* Asserts GET .../setup/current equals the step in @p before. */
static void assert_unchanged(const char *name, const th_resp *before)
{
	th_resp r;

	call("GET", name, "/setup/current", NULL, 200, &r);
	ck_assert_msg(json_object_equal(before->json, r.json), "the step changed: %s, before %s",
		      r.body, before->body);
	th_resp_free(&r);
}

/* POST .../setup/TAIL (next or finish) with @p model answers 422 naming
 * exactly @p pointers, and the session stays as it was. */
static void assert_refused_at(const char *tail, const char *name, const char *model,
			      const char *const *pointers)
{
	th_resp before, r;

	call("GET", name, "/setup/current", NULL, 200, &before);
	call("POST", name, tail, model, 422, &r);
	wz_assert_invalid(&r, pointers);
	th_resp_free(&r);
	assert_unchanged(name, &before);
	th_resp_free(&before);
}

static void assert_refused(const char *name, const char *model, const char *const *pointers)
{
	assert_refused_at("/setup/next", name, model, pointers);
}

/* At the first step: finish and previous answer 409 saying why. */
static void assert_first_step_409s(const char *name)
{
	th_resp r;

	call("POST", name, "/setup/finish", NULL, 409, &r);
	wz_assert_problem(&r, 409, "conflict");
	ck_assert_ptr_nonnull(strstr(th_str(r.json, "detail"), "cannot finish"));
	th_resp_free(&r);
	call("POST", name, "/setup/previous", NULL, 409, &r);
	wz_assert_problem(&r, 409, "conflict");
	ck_assert_ptr_nonnull(strstr(th_str(r.json, "detail"), "first step"));
	th_resp_free(&r);
}

/* At the last step: next answers 409 saying why. */
static void assert_last_step_409(const char *name)
{
	th_resp r;

	call("POST", name, "/setup/next", "{}", 409, &r);
	wz_assert_problem(&r, 409, "conflict");
	ck_assert_ptr_nonnull(strstr(th_str(r.json, "detail"), "no next step"));
	th_resp_free(&r);
}

/* Restarts the host in the middle of a wizard: the step is the same after. */
static void restart_keeps(const char *name)
{
	th_resp before;

	call("GET", name, "/setup/current", NULL, 200, &before);
	th_restart(&host);
	assert_unchanged(name, &before);
	th_resp_free(&before);
}

/* The form entry of @p key in the step of @p r, or NULL. */
static json_object *form_entry(const th_resp *r, const char *key)
{
	json_object *form = wz_at(r->json, "form");

	for (size_t i = 0; i < json_object_array_length(form); i++) {
		json_object *e = json_object_array_get_idx(form, i);

		if (strcmp(th_str(e, "key"), key) == 0)
			return e;
	}
	return NULL;
}

/* --- sqlite ------------------------------------------------------------------------ */

START_TEST(sqlite_wizard)
{
	char dir[] = "/tmp/connhub-wizard-sqlite-XXXXXX", body[400], path[300];
	th_resp r, before;
	json_object *config;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	wz_create(&host, "orders", "sqlite", NULL);
	call0("POST", "orders", "/test", NULL, 409); /* nothing to test yet */
	wz_start(&host, "orders", "file", &r);
	wz_assert_form(r.json, (const char *const[]){"path", "mode", NULL});
	ck_assert_str_eq(wz_model_str(&r, "mode"), "read-write");
	ck_assert_ptr_null(wz_model_str(&r, "path"));
	th_resp_free(&r);
	assert_first_step_409s("orders");
	assert_refused("orders", "{\"path\":\"\",\"mode\":\"sometimes\"}",
		       (const char *const[]){"/path", "/mode", NULL});
	snprintf(body, sizeof(body), "{\"path\":\"%s/orders.db\",\"mode\":\"create\"}", dir);
	next("orders", body, "options", &r);
	wz_assert_step(r.json, "options", 0, 1, 1);
	wz_assert_form(r.json, (const char *const[]){"busy_timeout_ms", NULL});
	ck_assert_int_eq(json_object_get_int(wz_at(model_of(&r), "busy_timeout_ms")), 5000);
	th_resp_free(&r);
	assert_last_step_409("orders");
	assert_refused_at("/setup/finish", "orders", "{\"busy_timeout_ms\":-1}",
			  (const char *const[]){"/busy_timeout_ms", NULL});
	restart_keeps("orders");
	call("POST", "orders", "/setup/previous", NULL, 200, &r);
	wz_assert_step(r.json, "file", 1, 0, 0);
	ck_assert_str_eq(wz_model_str(&r, "mode"), "create");
	ck_assert_ptr_nonnull(strstr(wz_model_str(&r, "path"), "/orders.db"));
	th_resp_free(&r);
	next("orders", body, "options", NULL);
	call("POST", "orders", "/setup/finish", "{\"busy_timeout_ms\":1000}", 200, &r);
	ck_assert_str_eq(th_str(r.json, "status"), "CONFIGURED");
	config = wz_config_of(&r);
	ck_assert_str_eq(th_str(config, "mode"), "create");
	ck_assert_int_eq(json_object_get_int(wz_at(config, "busy_timeout_ms")), 1000);
	th_resp_free(&r);
	call0("GET", "orders", "/setup/current", NULL, 404);
	wz_run_test(&host, "orders", 1, &r);
	ck_assert_ptr_nonnull(strstr(th_str(r.json, "message"), "quick_check ok"));
	th_resp_free(&r);

	/* a second run starts from the stored configuration; cancel keeps it */
	call("GET", "orders", "", NULL, 200, &before);
	wz_start(&host, "orders", "file", &r);
	ck_assert_str_eq(wz_model_str(&r, "mode"), "create");
	th_resp_free(&r);
	next("orders", "{\"path\":\"/elsewhere.db\",\"mode\":\"read-only\"}", "options", &r);
	ck_assert_int_eq(json_object_get_int(wz_at(model_of(&r), "busy_timeout_ms")), 1000);
	th_resp_free(&r);
	call0("POST", "orders", "/setup/cancel", NULL, 204);
	call("GET", "orders", "", NULL, 200, &r);
	ck_assert_msg(json_object_equal(before.json, r.json), "after cancel %s, before %s", r.body,
		      before.body);
	th_resp_free(&r);
	th_resp_free(&before);

	/* a missing file opened read-only: a config_error at /path, no file made */
	wz_create(&host, "missing", "sqlite", NULL);
	wz_start(&host, "missing", "file", &r);
	th_resp_free(&r);
	snprintf(body, sizeof(body), "{\"path\":\"%s/none.db\",\"mode\":\"read-only\"}", dir);
	next("missing", body, "options", NULL);
	call0("POST", "missing", "/setup/finish", NULL, 200);
	wz_run_test(&host, "missing", 0, &r);
	ck_assert_str_eq(th_str(r.json, "failure_type"), "config_error");
	ck_assert_str_eq(th_str(json_object_array_get_idx(wz_at(r.json, "errors"), 0), "pointer"),
			 "/path");
	th_resp_free(&r);
	snprintf(path, sizeof(path), "%s/none.db", dir);
	ck_assert_msg(access(path, F_OK) != 0, "a read-only test created %s", path);
	call0("POST", "missing", "/refresh", NULL, 204);
	snprintf(path, sizeof(path), "%s/orders.db", dir);
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

/* --- postgres ------------------------------------------------------------------------ */

#define PG_SERVER "{\"host\":\"db.example\",\"port\":5432,\"database\":\"app\"}"

START_TEST(postgres_password_branch)
{
	th_resp r;
	json_object *config;

	wz_create(&host, "pg-pass", "postgres", NULL);
	wz_start(&host, "pg-pass", "server", &r);
	wz_assert_form(r.json, (const char *const[]){"host", "port", "database", NULL});
	th_resp_free(&r);
	assert_first_step_409s("pg-pass");
	assert_refused("pg-pass", "{\"host\":\"\",\"port\":70000,\"database\":\"app\"}",
		       (const char *const[]){"/host", "/port", NULL});
	next("pg-pass", PG_SERVER, "auth", &r);
	/* step 2: the choice, and the credentials password needs */
	wz_assert_step(r.json, "auth", 1, 1, 0);
	wz_assert_form(r.json, (const char *const[]){"auth", "user", "password", NULL});
	ck_assert_str_eq(json_object_to_json_string(wz_at(form_entry(&r, "password"), "when")),
			 "{ \"auth\": \"password\" }");
	ck_assert_str_eq(th_str(form_entry(&r, "password"), "type"), "password");
	th_resp_free(&r);
	assert_refused("pg-pass", "{\"auth\":\"password\"}",
		       (const char *const[]){"/user", "/password", NULL});
	assert_refused("pg-pass", "{\"auth\":\"ldap\"}", (const char *const[]){"/auth", NULL});
	next("pg-pass", "{\"auth\":\"password\",\"user\":\"app\",\"password\":\"pg-secret-1\"}",
	     "options", &r);
	wz_assert_step(r.json, "options", 0, 1, 1);
	ck_assert_ptr_null(strstr(r.body, "pg-secret-1"));
	th_resp_free(&r);
	assert_last_step_409("pg-pass");
	/* back to step 2: the user kept, the password masked, in current too */
	call("POST", "pg-pass", "/setup/previous", NULL, 200, &r);
	wz_assert_step(r.json, "auth", 1, 1, 0);
	ck_assert_str_eq(wz_model_str(&r, "user"), "app");
	ck_assert_str_eq(wz_model_str(&r, "password"), MASK);
	ck_assert_ptr_null(strstr(r.body, "pg-secret-1"));
	th_resp_free(&r);
	restart_keeps("pg-pass");
	current("pg-pass", "auth", &r);
	ck_assert_str_eq(wz_model_str(&r, "password"), MASK);
	ck_assert_ptr_null(strstr(r.body, "pg-secret-1"));
	th_resp_free(&r);
	next("pg-pass", "{\"auth\":\"password\",\"user\":\"app\",\"password\":\"" MASK "\"}",
	     "options", NULL);
	call("POST", "pg-pass", "/setup/finish", "{\"sslmode\":\"disable\",\"connect_timeout_s\":5}",
	     200, &r);
	ck_assert_str_eq(th_str(r.json, "status"), "CONFIGURED");
	config = wz_config_of(&r);
	ck_assert_str_eq(th_str(config, "host"), "db.example");
	ck_assert_str_eq(th_str(config, "user"), "app");
	ck_assert_str_eq(th_str(config, "password"), MASK);
	ck_assert_str_eq(th_str(config, "sslmode"), "disable");
	ck_assert_ptr_null(strstr(r.body, "pg-secret-1"));
	th_resp_free(&r);
	call0("GET", "pg-pass", "/setup/current", NULL, 404);
}
END_TEST

/* Trust needs no credentials; a second run on a connector configured with
 * a password may switch to trust, and the credentials are not kept. */
START_TEST(postgres_trust_branch_and_rerun)
{
	th_resp r, before;
	json_object *config;

	wz_create(&host, "pg-trust", "postgres", NULL);
	wz_start(&host, "pg-trust", "server", &r);
	th_resp_free(&r);
	next("pg-trust", PG_SERVER, "auth", NULL);
	next("pg-trust", "{\"auth\":\"trust\"}", "options", NULL);
	call("POST", "pg-trust", "/setup/finish", NULL, 200, &r);
	config = wz_config_of(&r);
	ck_assert_str_eq(th_str(config, "auth"), "trust");
	ck_assert_ptr_null(wz_at(config, "password"));
	ck_assert_str_eq(th_str(config, "sslmode"), "prefer"); /* the step's default */
	th_resp_free(&r);

	wz_create(&host, "pg-switch", "postgres",
		  "{\"host\":\"db.example\",\"database\":\"app\",\"auth\":\"password\","
		  "\"user\":\"app\",\"password\":\"pg-secret-2\"}");
	/* cancel keeps the stored configuration */
	call("GET", "pg-switch", "", NULL, 200, &before);
	wz_start(&host, "pg-switch", "server", &r);
	ck_assert_str_eq(wz_model_str(&r, "host"), "db.example");
	th_resp_free(&r);
	next("pg-switch", "{\"host\":\"elsewhere\",\"port\":5432,\"database\":\"app\"}", "auth", NULL);
	call0("POST", "pg-switch", "/setup/cancel", NULL, 204);
	call("GET", "pg-switch", "", NULL, 200, &r);
	ck_assert_msg(json_object_equal(before.json, r.json), "after cancel %s, before %s", r.body,
		      before.body);
	th_resp_free(&r);
	th_resp_free(&before);
	/* run again, switching to trust */
	wz_start(&host, "pg-switch", "server", &r);
	th_resp_free(&r);
	next("pg-switch", PG_SERVER, "auth", &r);
	ck_assert_str_eq(wz_model_str(&r, "auth"), "password");
	ck_assert_str_eq(wz_model_str(&r, "password"), MASK); /* the stored one */
	th_resp_free(&r);
	next("pg-switch", "{\"auth\":\"trust\",\"user\":\"app\",\"password\":\"" MASK "\"}",
	     "options", NULL);
	call("POST", "pg-switch", "/setup/finish", NULL, 200, &r);
	config = wz_config_of(&r);
	ck_assert_str_eq(th_str(config, "auth"), "trust");
	ck_assert_msg(!json_object_object_get_ex(config, "password", NULL) &&
			      !json_object_object_get_ex(config, "user", NULL),
		      "trust kept the credentials: %s", r.body);
	th_resp_free(&r);
}
END_TEST

/* --- http ------------------------------------------------------------------------------ */

/* Walks the http wizard of a new connector to the health step through
 * the credential step of @p auth (none: no credential step). */
static void http_to_health(const char *name, const char *base_url, const char *auth,
			   const char *cred_model)
{
	char model[200];
	th_resp r;

	wz_create(&host, name, "http", NULL);
	wz_start(&host, name, "endpoint", &r);
	th_resp_free(&r);
	snprintf(model, sizeof(model), "{\"base_url\":\"%s\"}", base_url);
	next(name, model, "auth", NULL);
	snprintf(model, sizeof(model), "{\"auth\":\"%s\"}", auth);
	next(name, model, cred_model ? auth : "health", NULL);
	if (cred_model)
		next(name, cred_model, "health", NULL);
}

/* Finishes an http wizard at its health step; the stored secret (at
 * @p secret_key, NULL: none) masked and @p secret nowhere. */
static void http_finish(const char *name, const char *auth, const char *secret_key,
			const char *secret)
{
	th_resp r;

	call("POST", name, "/setup/finish", "{\"health_path\":\"/\",\"expected_status\":200}", 200, &r);
	ck_assert_str_eq(th_str(wz_config_of(&r), "auth"), auth);
	if (secret_key)
		ck_assert_str_eq(th_str(wz_config_of(&r), secret_key), MASK);
	if (secret)
		ck_assert_ptr_null(strstr(r.body, secret));
	th_resp_free(&r);
}

START_TEST(http_every_auth_branch)
{
	th_resp r;

	http_to_health("http-none", "http://127.0.0.1:9/api", "none", NULL);
	http_finish("http-none", "none", NULL, NULL);
	http_to_health("http-basic", "http://127.0.0.1:9/api", "basic",
		       "{\"user\":\"u\",\"password\":\"http-pw-1\"}");
	http_finish("http-basic", "basic", "password", "http-pw-1");
	http_to_health("http-bearer", "http://127.0.0.1:9/api", "bearer",
		       "{\"token\":\"http-token-1\"}");
	http_finish("http-bearer", "bearer", "token", "http-token-1");
	http_to_health("http-key", "http://127.0.0.1:9/api", "api_key",
		       "{\"header_name\":\"X-Api-Key\",\"api_key\":\"http-key-1\"}");
	http_finish("http-key", "api_key", "api_key", "http-key-1");
	/* nothing listens on port 9: a transient failure, not a crash */
	wz_run_test(&host, "http-none", 0, &r);
	ck_assert_str_eq(th_str(r.json, "failure_type"), "transient_error");
	th_resp_free(&r);
}
END_TEST

/* Back and forth through the credentials, 422s and 409s, a restart, the
 * https-only field, and a branch left behind. */
START_TEST(http_back_cancel_and_branch_left)
{
	th_resp r;

	wz_create(&host, "http-walk", "http", NULL);
	wz_start(&host, "http-walk", "endpoint", &r);
	th_resp_free(&r);
	assert_first_step_409s("http-walk");
	assert_refused("http-walk", "{\"base_url\":\"ftp://x\"}", (const char *const[]){"/base_url", NULL});
	next("http-walk", "{\"base_url\":\"https://api.example.org\"}", "auth", NULL);
	next("http-walk", "{\"auth\":\"basic\"}", "basic", NULL);
	assert_refused("http-walk", "{\"user\":\"\"}", (const char *const[]){"/user", "/password", NULL});
	next("http-walk", "{\"user\":\"u\",\"password\":\"http-pw-2\"}", "health", &r);
	/* https: the health step asks whether to verify certificates */
	wz_assert_form(r.json, (const char *const[]){"health_path", "expected_status", "timeout_ms",
						     "verify_tls", NULL});
	th_resp_free(&r);
	assert_last_step_409("http-walk");
	call("POST", "http-walk", "/setup/previous", NULL, 200, &r);
	wz_assert_step(r.json, "basic", 1, 1, 0);
	ck_assert_str_eq(wz_model_str(&r, "password"), MASK);
	ck_assert_ptr_null(strstr(r.body, "http-pw-2"));
	th_resp_free(&r);
	restart_keeps("http-walk");
	/* back to auth, choose none: the basic credentials are left behind */
	call0("POST", "http-walk", "/setup/previous", NULL, 200);
	next("http-walk", "{\"auth\":\"none\"}", "health", NULL);
	call("POST", "http-walk", "/setup/finish", "{\"verify_tls\":false}", 200, &r);
	ck_assert_str_eq(th_str(wz_config_of(&r), "auth"), "none");
	ck_assert_msg(!json_object_object_get_ex(wz_config_of(&r), "password", NULL) &&
			      !json_object_object_get_ex(wz_config_of(&r), "user", NULL),
		      "the basic branch's credentials were stored: %s", r.body);
	ck_assert(!json_object_get_boolean(wz_at(wz_config_of(&r), "verify_tls")));
	th_resp_free(&r);

	/* plain http: no verify_tls; cancel leaves the connector unconfigured */
	http_to_health("http-plain", "http://api.example.org", "none", NULL);
	current("http-plain", "health", &r);
	wz_assert_form(r.json, (const char *const[]){"health_path", "expected_status", "timeout_ms",
						     NULL});
	th_resp_free(&r);
	call0("POST", "http-plain", "/setup/cancel", NULL, 204);
	call0("GET", "http-plain", "/setup/current", NULL, 404);
	call("GET", "http-plain", "", NULL, 200, &r);
	ck_assert_str_eq(th_str(r.json, "status"), "CREATED");
	th_resp_free(&r);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("api_bundled_wizards");
	TCase *tc = tcase_create("bundled");

	/* a host of each test's own: tests restart it */
	tcase_add_checked_fixture(tc, start_host, stop_host);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, sqlite_wizard);
	tcase_add_test(tc, postgres_password_branch);
	tcase_add_test(tc, postgres_trust_branch_and_rerun);
	tcase_add_test(tc, http_every_auth_branch);
	tcase_add_test(tc, http_back_cancel_and_branch_left);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return th_run_suite(suite());
}
