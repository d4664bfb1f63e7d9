/*
 * The wizards of the bundled postgres and http types, walked over HTTP
 * through their runners: every branch forward, back, cancel and finish,
 * with secrets masked in the steps and in the stored connector.
 */
#include <check.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_run.h"
#include "harness.h"

static th_host host;

static void start_host(void)
{
	th_start(&host, CH_TEST_BUNDLED, NULL);
}

static void stop_host(void)
{
	th_stop(&host);
}

/* POST (or GET with a NULL body of "GET") to a connector's path; checks
 * the status and returns the response for more checks. */
static void call(const char *method, const char *name, const char *tail, const char *body,
		 long status, th_resp *r)
{
	char path[200];

	snprintf(path, sizeof(path), "/api/v1/connectors/%s%s", name, tail);
	ck_assert_int_eq(th_request(&host, method, path, body, NULL, r), 0);
	ck_assert_msg(r->status == status, "%s %s: %ld, expected %ld: %s", method, path, r->status,
		      status, r->body ? r->body : "");
}

static void create(const char *name, const char *type)
{
	char body[160];
	th_resp r;

	snprintf(body, sizeof(body), "{\"name\":\"%s\",\"type\":\"%s\"}", name, type);
	ck_assert_int_eq(th_request(&host, "POST", "/api/v1/connectors", body, NULL, &r), 0);
	ck_assert_int_eq(r.status, 201);
	th_resp_free(&r);
}

/* Answers the current step with @p model and checks the next step's id
 * (NULL: expect @p status instead). */
static void next(const char *name, const char *model, const char *expect_id)
{
	th_resp r;

	call("POST", name, "/setup/next", model, 200, &r);
	ck_assert_str_eq(th_str(r.json, "id"), expect_id);
	ck_assert(json_object_get_boolean(json_object_object_get(r.json, "hasPrevious")));
	th_resp_free(&r);
}

static void start(const char *name, const char *expect_id)
{
	th_resp r;

	call("POST", name, "/setup", NULL, 200, &r);
	ck_assert_str_eq(th_str(r.json, "id"), expect_id);
	ck_assert(!json_object_get_boolean(json_object_object_get(r.json, "hasPrevious")));
	th_resp_free(&r);
}

static json_object *config_of(const th_resp *r)
{
	return json_object_object_get(r->json, "config");
}

START_TEST(postgres_password_branch)
{
	th_resp r;

	create("pg-pass", "postgres");
	start("pg-pass", "server");
	next("pg-pass", "{\"host\":\"db.example\",\"port\":5432,\"database\":\"app\"}", "auth");
	next("pg-pass", "{\"auth\":\"password\"}", "credentials");
	next("pg-pass", "{\"user\":\"app\",\"password\":\"pg-secret-1\"}", "options");
	/* back to the credentials: the password shows masked */
	call("POST", "pg-pass", "/setup/previous", NULL, 200, &r);
	ck_assert_str_eq(th_str(r.json, "id"), "credentials");
	ck_assert_str_eq(th_str(json_object_object_get(r.json, "model"), "password"), "********");
	ck_assert_ptr_null(strstr(r.body, "pg-secret-1"));
	th_resp_free(&r);
	next("pg-pass", "{\"user\":\"app\",\"password\":\"********\"}", "options");
	call("POST", "pg-pass", "/setup/next", "{}", 409, &r);
	th_resp_free(&r);
	call("POST", "pg-pass", "/setup/finish", "{\"sslmode\":\"disable\",\"connect_timeout_s\":5}",
	     200, &r);
	ck_assert_str_eq(th_str(r.json, "status"), "CONFIGURED");
	ck_assert_str_eq(th_str(config_of(&r), "host"), "db.example");
	ck_assert_str_eq(th_str(config_of(&r), "password"), "********");
	ck_assert_ptr_null(strstr(r.body, "pg-secret-1"));
	th_resp_free(&r);
	call("GET", "pg-pass", "/setup/current", NULL, 404, &r);
	th_resp_free(&r);
}
END_TEST

START_TEST(postgres_trust_branch_and_cancel)
{
	th_resp r;

	create("pg-trust", "postgres");
	start("pg-trust", "server");
	call("POST", "pg-trust", "/setup/finish", NULL, 409, &r);
	th_resp_free(&r);
	call("POST", "pg-trust", "/setup/next", "{\"host\":\"\",\"database\":\"app\"}", 422, &r);
	th_resp_free(&r);
	next("pg-trust", "{\"host\":\"localhost\",\"port\":5432,\"database\":\"app\"}", "auth");
	next("pg-trust", "{\"auth\":\"trust\"}", "options");
	call("POST", "pg-trust", "/setup/finish", "{}", 200, &r);
	ck_assert_str_eq(th_str(config_of(&r), "auth"), "trust");
	th_resp_free(&r);
	/* a second run starts from the stored configuration; cancel keeps it */
	call("POST", "pg-trust", "/setup", NULL, 200, &r);
	ck_assert_str_eq(th_str(json_object_object_get(r.json, "model"), "host"), "localhost");
	th_resp_free(&r);
	next("pg-trust", "{\"host\":\"elsewhere\",\"port\":5432,\"database\":\"app\"}", "auth");
	call("POST", "pg-trust", "/setup/cancel", NULL, 204, &r);
	th_resp_free(&r);
	call("GET", "pg-trust", "", NULL, 200, &r);
	ck_assert_str_eq(th_str(config_of(&r), "host"), "localhost");
	th_resp_free(&r);
}
END_TEST

/* Walks the http wizard through the credential step of @p auth. */
static void http_walk(const char *name, const char *auth, const char *cred_step,
		      const char *cred_model, const char *secret_key, const char *secret)
{
	char model[128];
	th_resp r;

	create(name, "http");
	start(name, "endpoint");
	next(name, "{\"base_url\":\"http://127.0.0.1:9/api\"}", "auth");
	snprintf(model, sizeof(model), "{\"auth\":\"%s\"}", auth);
	next(name, model, cred_step ? cred_step : "health");
	if (cred_step)
		next(name, cred_model, "health");
	call("POST", name, "/setup/finish", "{\"health_path\":\"/\",\"expected_status\":200}", 200, &r);
	ck_assert_str_eq(th_str(config_of(&r), "auth"), auth);
	if (secret_key) {
		ck_assert_str_eq(th_str(config_of(&r), secret_key), "********");
		ck_assert_ptr_null(strstr(r.body, secret));
	}
	th_resp_free(&r);
}

START_TEST(http_every_auth_branch)
{
	th_resp r;

	http_walk("http-none", "none", NULL, NULL, NULL, NULL);
	http_walk("http-basic", "basic", "basic", "{\"user\":\"u\",\"password\":\"http-pw-1\"}",
		  "password", "http-pw-1");
	http_walk("http-bearer", "bearer", "bearer", "{\"token\":\"http-token-1\"}", "token",
		  "http-token-1");
	http_walk("http-key", "api_key", "api_key",
		  "{\"header_name\":\"X-Api-Key\",\"api_key\":\"http-key-1\"}", "api_key", "http-key-1");
	/* nothing listens on port 9: a transient failure, not a crash */
	call("POST", "http-none", "/test", NULL, 200, &r);
	ck_assert(!json_object_get_boolean(json_object_object_get(r.json, "valid")));
	ck_assert_str_eq(th_str(r.json, "failure_type"), "transient_error");
	th_resp_free(&r);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("api_bundled_wizards");
	TCase *tc = tcase_create("bundled");

	tcase_add_unchecked_fixture(tc, start_host, stop_host);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, postgres_password_branch);
	tcase_add_test(tc, postgres_trust_branch_and_cancel);
	tcase_add_test(tc, http_every_auth_branch);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	int rc;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = ch_check_run(suite());
	curl_global_cleanup();
	return rc;
}
