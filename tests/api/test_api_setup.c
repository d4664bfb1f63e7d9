/*
 * API tests of the setup wizard (seed 000), test and refresh, against a
 * real host. Most run on one host serving the fixture type "branchy"
 * (tests/plugins/wizard): a wizard that branches on the authentication
 * chosen (server → auth → key | oauth → region) and asks for secrets.
 * Own hosts: a restart in the middle of a wizard, and a type without a
 * wizard (the fixture plugins). The bundled types' wizards are walked in
 * test_api_bundled_wizards.
 *
 * Asserted: the shape of a step; start, current, next, previous, cancel
 * and finish with their exact statuses; 422 with pointers leaving the step
 * unchanged; the 409s; both branches; answers kept going back; secrets
 * masked in every step and in the connector, kept when "********" is sent
 * back, and never in clear in the database; cancel leaving the stored
 * configuration untouched; a session surviving a restart; two concurrent
 * calls never both applying; other accounts seeing 404; test and refresh.
 */
#define _GNU_SOURCE /* memmem */

#include <check.h>
#include <curl/curl.h>
#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check_run.h"
#include "harness.h"
#include "wizard_client.h"

#define CONNECTORS WZ_CONNECTORS
#define PROBLEM "urn:connhub:problem:"
#define MASK WZ_MASK

static th_host host; /* the shared host: CH_TEST_WIZARD */

static void start_wizard_host(void)
{
	th_start(&host, CH_TEST_WIZARD, NULL);
	ck_assert_msg(host.token[0], "the host printed no admin token");
}

static void stop_host(void)
{
	int rc = th_stop(&host);

	if (rc != 0)
		fprintf(stderr, "the host exited with %d on SIGTERM\n", rc);
}

/* --- the shared host's shorthands (see wizard_client.h) -------------------------------- */

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

static void start(const char *name, const char *id, th_resp *r)
{
	wz_start(&host, name, id, r);
}

static void next(const char *name, const char *model, const char *id, th_resp *r)
{
	wz_next(&host, name, model, id, r);
}

static void create(const char *name)
{
	wz_create(&host, name, "branchy", NULL);
}

/* Walks a new session of @p name to the "region" step through the key
 * branch with @p host_name and @p key. */
static void walk_key(const char *name, const char *host_name, const char *key)
{
	char body[200];
	th_resp r;

	start(name, "server", &r);
	th_resp_free(&r);
	snprintf(body, sizeof(body), "{\"host\":\"%s\"}", host_name);
	next(name, body, "auth", NULL);
	next(name, "{\"auth\":\"key\"}", "key", NULL);
	snprintf(body, sizeof(body), "{\"api_key\":\"%s\"}", key);
	next(name, body, "region", NULL);
}

static void run_test(const char *name, int valid, th_resp *r)
{
	wz_run_test(&host, name, valid, r);
}

static int history_length(const char *name)
{
	return wz_history_length(&host, name);
}

/* --- the step and the session ------------------------------------------------------ */

START_TEST(start_returns_the_first_step)
{
	json_object *schema, *field;
	th_resp r, again, cur;

	create("w-start");
	call("GET", "w-start", "/setup/current", NULL, 404, &r);
	wz_assert_problem(&r, 404, "not-found");
	th_resp_free(&r);
	start("w-start", "server", &r);
	ck_assert_str_eq(th_str(r.json, "title"), "Server");
	ck_assert_str_eq(th_str(r.json, "description"), "Step server of the branchy wizard.");
	ck_assert_int_eq(json_object_object_length(wz_at(r.json, "model")), 0);
	wz_assert_form(r.json, (const char *const[]){"host", NULL});
	field = json_object_array_get_idx(wz_at(r.json, "form"), 0);
	ck_assert_str_eq(th_str(field, "type"), "text");
	ck_assert_str_eq(th_str(field, "label"), "Host");
	ck_assert_str_eq(th_str(field, "placeholder"), "api.example.org");
	schema = wz_at(r.json, "schema");
	ck_assert_str_eq(th_str(schema, "type"), "object");
	ck_assert_str_eq(th_str(wz_at(wz_at(schema, "properties"), "host"), "type"), "string");
	ck_assert_str_eq(json_object_to_json_string_ext(wz_at(schema, "required"), JSON_C_TO_STRING_PLAIN),
			 "[\"host\"]");
	/* starting again returns the open step; current is the same */
	start("w-start", "server", &again);
	ck_assert_msg(json_object_equal(r.json, again.json), "%s != %s", again.body, r.body);
	call("GET", "w-start", "/setup/current", NULL, 200, &cur);
	ck_assert_msg(json_object_equal(r.json, cur.json), "%s != %s", cur.body, r.body);
	th_resp_free(&r);
	th_resp_free(&again);
	th_resp_free(&cur);
	/* after an answer, starting again still returns the open step */
	next("w-start", "{\"host\":\"h1\"}", "auth", &r);
	call("POST", "w-start", "/setup", NULL, 200, &again);
	wz_assert_step(again.json, "auth", 1, 1, 0);
	ck_assert_msg(json_object_equal(r.json, again.json), "%s != %s", again.body, r.body);
	th_resp_free(&r);
	th_resp_free(&again);
}
END_TEST

START_TEST(no_session_is_404_on_every_route)
{
	static const char *const routes[][2] = {
		{"GET", "/setup/current"},   {"POST", "/setup/next"},   {"POST", "/setup/previous"},
		{"POST", "/setup/cancel"},   {"POST", "/setup/finish"},
	};
	th_resp r;

	create("w-none");
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		call(routes[i][0], "w-none", routes[i][1], NULL, 404, &r);
		wz_assert_problem(&r, 404, "not-found");
		th_resp_free(&r);
		/* and an unknown connector */
		call(routes[i][0], "w-no-such", routes[i][1], NULL, 404, &r);
		wz_assert_problem(&r, 404, "not-found");
		th_resp_free(&r);
	}
	call("POST", "w-no-such", "/setup", NULL, 404, &r);
	wz_assert_problem(&r, 404, "not-found");
	th_resp_free(&r);
}
END_TEST

START_TEST(invalid_answers_leave_the_step_unchanged)
{
	th_resp before, r, after;

	create("w-422");
	start("w-422", "server", &before);
	call("POST", "w-422", "/setup/next", "{\"host\":5}", 422, &r);
	wz_assert_invalid(&r, (const char *const[]){"/host", NULL});
	th_resp_free(&r);
	call("POST", "w-422", "/setup/next", "{}", 422, &r);
	wz_assert_invalid(&r, (const char *const[]){"/host", NULL});
	th_resp_free(&r);
	call("POST", "w-422", "/setup/next", "{\"host\":\"\"}", 422, &r);
	wz_assert_invalid(&r, (const char *const[]){"/host", NULL});
	th_resp_free(&r);
	/* no body: the step's model as it is, which lacks the host */
	call("POST", "w-422", "/setup/next", NULL, 422, &r);
	wz_assert_invalid(&r, (const char *const[]){"/host", NULL});
	th_resp_free(&r);
	call("GET", "w-422", "/setup/current", NULL, 200, &after);
	ck_assert_msg(json_object_equal(before.json, after.json), "%s != %s", after.body, before.body);
	th_resp_free(&before);
	th_resp_free(&after);

	next("w-422", "{\"host\":\"h\"}", "auth", &before);
	call("POST", "w-422", "/setup/next", "{\"auth\":\"basic\"}", 422, &r);
	wz_assert_invalid(&r, (const char *const[]){"/auth", NULL});
	th_resp_free(&r);
	call("GET", "w-422", "/setup/current", NULL, 200, &after);
	wz_assert_step(after.json, "auth", 1, 1, 0);
	ck_assert_msg(json_object_equal(before.json, after.json), "%s != %s", after.body, before.body);
	ck_assert_ptr_null(wz_model_str(&after, "auth")); /* the invalid answer was not kept */
	th_resp_free(&before);
	th_resp_free(&after);

	next("w-422", "{\"auth\":\"key\"}", "key", &before);
	/* "********" keeps a stored secret, and none is stored */
	call("POST", "w-422", "/setup/next", "{\"api_key\":\"" MASK "\"}", 422, &r);
	wz_assert_invalid(&r, (const char *const[]){"/api_key", NULL});
	th_resp_free(&r);
	call("POST", "w-422", "/setup/next", "{\"api_key\":7}", 422, &r);
	wz_assert_invalid(&r, (const char *const[]){"/api_key", NULL});
	th_resp_free(&r);
	call("GET", "w-422", "/setup/current", NULL, 200, &after);
	ck_assert_msg(json_object_equal(before.json, after.json), "%s != %s", after.body, before.body);
	th_resp_free(&before);
	th_resp_free(&after);
	/* the previous step is still the one before */
	call("POST", "w-422", "/setup/previous", NULL, 200, &r);
	wz_assert_step(r.json, "auth", 1, 1, 0);
	ck_assert_str_eq(wz_model_str(&r, "auth"), "key");
	th_resp_free(&r);
}
END_TEST

START_TEST(key_branch_to_finish)
{
	json_object *prop, *config;
	th_resp r, g;

	create("w-key");
	start("w-key", "server", &r);
	th_resp_free(&r);
	next("w-key", "{\"host\":\"api.example.org\"}", "auth", &r);
	wz_assert_step(r.json, "auth", 1, 1, 0);
	wz_assert_form(r.json, (const char *const[]){"auth", NULL});
	ck_assert_str_eq(th_str(json_object_array_get_idx(wz_at(r.json, "form"), 0), "type"), "select");
	ck_assert_str_eq(json_object_to_json_string_ext(
				 wz_at(wz_at(wz_at(wz_at(r.json, "schema"), "properties"), "auth"), "enum"),
				 JSON_C_TO_STRING_PLAIN),
			 "[\"key\",\"oauth\"]");
	th_resp_free(&r);
	next("w-key", "{\"auth\":\"key\"}", "key", &r);
	wz_assert_step(r.json, "key", 1, 1, 0);
	wz_assert_form(r.json, (const char *const[]){"api_key", NULL});
	ck_assert_str_eq(th_str(json_object_array_get_idx(wz_at(r.json, "form"), 0), "type"),
			 "password");
	prop = wz_at(wz_at(wz_at(r.json, "schema"), "properties"), "api_key");
	ck_assert(json_object_get_boolean(wz_at(prop, "writeOnly")));
	ck_assert_str_eq(th_str(prop, "format"), "password");
	ck_assert_int_eq(json_object_object_length(wz_at(r.json, "model")), 0);
	th_resp_free(&r);
	next("w-key", "{\"api_key\":\"right-key\"}", "region", &r);
	wz_assert_step(r.json, "region", 0, 1, 1);
	wz_assert_form(r.json, (const char *const[]){"region", NULL});
	ck_assert_str_eq(wz_model_str(&r, "region"), "eu"); /* the default */
	ck_assert_ptr_null(strstr(r.body, "right-key"));
	th_resp_free(&r);
	/* the last step: no next */
	call("POST", "w-key", "/setup/next", "{\"region\":\"eu\"}", 409, &r);
	wz_assert_problem(&r, 409, "conflict");
	th_resp_free(&r);
	call("POST", "w-key", "/setup/finish", NULL, 200, &r);
	ck_assert_str_eq(th_str(r.json, "name"), "w-key");
	ck_assert_str_eq(th_str(r.json, "type"), "branchy");
	ck_assert_str_eq(th_str(r.json, "type_version"), "1.0.0");
	ck_assert_str_eq(th_str(r.json, "status"), "CONFIGURED");
	ck_assert_int_eq(json_object_get_int(wz_at(r.json, "revision")), 2);
	config = wz_config_of(&r);
	ck_assert_str_eq(th_str(config, "host"), "api.example.org");
	ck_assert_str_eq(th_str(config, "auth"), "key");
	ck_assert_str_eq(th_str(config, "api_key"), MASK);
	ck_assert_ptr_null(wz_at(config, "client_id"));
	ck_assert_ptr_null(wz_at(config, "client_secret"));
	ck_assert_ptr_null(strstr(r.body, "right-key"));
	/* what GET answers is what finish answered */
	call("GET", "w-key", "", NULL, 200, &g);
	ck_assert_msg(json_object_equal(r.json, g.json), "GET %s != finish %s", g.body, r.body);
	ck_assert_str_eq(g.etag, "\"2\"");
	th_resp_free(&g);
	th_resp_free(&r);
	/* the session is gone */
	call("GET", "w-key", "/setup/current", NULL, 404, &r);
	wz_assert_problem(&r, 404, "not-found");
	th_resp_free(&r);
	call0("POST", "w-key", "/setup/finish", NULL, 404);
	/* the test runs with the decrypted key */
	run_test("w-key", 1, &r);
	th_resp_free(&r);
}
END_TEST

START_TEST(oauth_branch_to_finish_with_a_body)
{
	json_object *config;
	th_resp r;

	create("w-oauth");
	start("w-oauth", "server", &r);
	th_resp_free(&r);
	next("w-oauth", "{\"host\":\"o.example.org\"}", "auth", NULL);
	next("w-oauth", "{\"auth\":\"oauth\"}", "oauth", &r);
	wz_assert_step(r.json, "oauth", 1, 1, 0);
	wz_assert_form(r.json, (const char *const[]){"client_id", "client_secret", NULL});
	ck_assert_str_eq(th_str(json_object_array_get_idx(wz_at(r.json, "form"), 0), "type"), "text");
	ck_assert_str_eq(th_str(json_object_array_get_idx(wz_at(r.json, "form"), 1), "type"),
			 "password");
	th_resp_free(&r);
	call("POST", "w-oauth", "/setup/next", "{\"client_id\":\"cid\"}", 422, &r);
	wz_assert_invalid(&r, (const char *const[]){"/client_secret", NULL});
	th_resp_free(&r);
	next("w-oauth", "{\"client_id\":\"cid\",\"client_secret\":\"wrong-secret\"}", "region", NULL);
	/* finish with the last step's model: validated first */
	call("POST", "w-oauth", "/setup/finish", "{\"region\":\"mars\"}", 422, &r);
	wz_assert_invalid(&r, (const char *const[]){"/region", NULL});
	th_resp_free(&r);
	call("GET", "w-oauth", "/setup/current", NULL, 200, &r);
	wz_assert_step(r.json, "region", 0, 1, 1);
	ck_assert_str_eq(wz_model_str(&r, "region"), "eu");
	th_resp_free(&r);
	call("POST", "w-oauth", "/setup/finish", "{\"region\":\"us\"}", 200, &r);
	ck_assert_str_eq(th_str(r.json, "status"), "CONFIGURED");
	config = wz_config_of(&r);
	ck_assert_str_eq(th_str(config, "host"), "o.example.org");
	ck_assert_str_eq(th_str(config, "auth"), "oauth");
	ck_assert_str_eq(th_str(config, "client_id"), "cid");
	ck_assert_str_eq(th_str(config, "client_secret"), MASK);
	ck_assert_str_eq(th_str(config, "region"), "us");
	ck_assert_int_eq(json_object_object_length(config), 5);
	ck_assert_ptr_null(strstr(r.body, "wrong-secret"));
	th_resp_free(&r);
	/* a wrong secret: a config_error pointing at it */
	run_test("w-oauth", 0, &r);
	ck_assert_str_eq(th_str(r.json, "failure_type"), "config_error");
	ck_assert_int_eq(json_object_array_length(wz_at(r.json, "errors")), 1);
	ck_assert_str_eq(th_str(json_object_array_get_idx(wz_at(r.json, "errors"), 0), "pointer"),
			 "/client_secret");
	th_resp_free(&r);
}
END_TEST

START_TEST(previous_keeps_answers_and_branches_again)
{
	th_resp r;

	create("w-prev");
	start("w-prev", "server", &r);
	th_resp_free(&r);
	/* the first step has no previous one */
	call("POST", "w-prev", "/setup/previous", NULL, 409, &r);
	wz_assert_problem(&r, 409, "conflict");
	th_resp_free(&r);
	next("w-prev", "{\"host\":\"first.example.org\"}", "auth", NULL);
	next("w-prev", "{\"auth\":\"key\"}", "key", NULL);
	call("POST", "w-prev", "/setup/previous", NULL, 200, &r);
	wz_assert_step(r.json, "auth", 1, 1, 0);
	ck_assert_str_eq(wz_model_str(&r, "auth"), "key");
	th_resp_free(&r);
	/* another answer takes the other branch */
	next("w-prev", "{\"auth\":\"oauth\"}", "oauth", &r);
	wz_assert_step(r.json, "oauth", 1, 1, 0);
	th_resp_free(&r);
	call("POST", "w-prev", "/setup/previous", NULL, 200, &r);
	ck_assert_str_eq(wz_model_str(&r, "auth"), "oauth");
	th_resp_free(&r);
	call("POST", "w-prev", "/setup/previous", NULL, 200, &r);
	wz_assert_step(r.json, "server", 1, 0, 0);
	ck_assert_str_eq(wz_model_str(&r, "host"), "first.example.org");
	th_resp_free(&r);
	call("GET", "w-prev", "/setup/current", NULL, 200, &r);
	wz_assert_step(r.json, "server", 1, 0, 0);
	ck_assert_str_eq(wz_model_str(&r, "host"), "first.example.org");
	th_resp_free(&r);
	call("POST", "w-prev", "/setup/previous", NULL, 409, &r);
	wz_assert_problem(&r, 409, "conflict");
	th_resp_free(&r);
	/* a changed answer replaces the kept one */
	next("w-prev", "{\"host\":\"second.example.org\"}", "auth", &r);
	ck_assert_str_eq(wz_model_str(&r, "auth"), "oauth");
	th_resp_free(&r);
	call("POST", "w-prev", "/setup/previous", NULL, 200, &r);
	ck_assert_str_eq(wz_model_str(&r, "host"), "second.example.org");
	th_resp_free(&r);
}
END_TEST

START_TEST(finish_where_it_cannot_is_409)
{
	th_resp r;

	create("w-409");
	start("w-409", "server", &r);
	th_resp_free(&r);
	call("POST", "w-409", "/setup/finish", NULL, 409, &r);
	wz_assert_problem(&r, 409, "conflict");
	th_resp_free(&r);
	next("w-409", "{\"host\":\"h\"}", "auth", NULL);
	call("POST", "w-409", "/setup/finish", "{\"auth\":\"key\"}", 409, &r);
	wz_assert_problem(&r, 409, "conflict");
	th_resp_free(&r);
	/* nothing moved, nothing stored */
	call("GET", "w-409", "/setup/current", NULL, 200, &r);
	wz_assert_step(r.json, "auth", 1, 1, 0);
	ck_assert_ptr_null(wz_model_str(&r, "auth"));
	th_resp_free(&r);
	call("GET", "w-409", "", NULL, 200, &r);
	ck_assert_str_eq(th_str(r.json, "status"), "CREATED");
	ck_assert_ptr_null(wz_at(r.json, "config"));
	th_resp_free(&r);
}
END_TEST

START_TEST(secrets_are_masked_and_kept)
{
	th_resp r;

	create("w-mask");
	walk_key("w-mask", "m.example.org", "right-key");
	call("POST", "w-mask", "/setup/previous", NULL, 200, &r);
	wz_assert_step(r.json, "key", 1, 1, 0);
	ck_assert_str_eq(wz_model_str(&r, "api_key"), MASK);
	ck_assert_ptr_null(strstr(r.body, "right-key"));
	th_resp_free(&r);
	call("GET", "w-mask", "/setup/current", NULL, 200, &r);
	wz_assert_step(r.json, "key", 1, 1, 0);
	ck_assert_str_eq(wz_model_str(&r, "api_key"), MASK);
	ck_assert_ptr_null(strstr(r.body, "right-key"));
	th_resp_free(&r);
	/* back to auth and forward again: the plugin fills the key into the
	 * model it computes; the host shows it masked */
	call("POST", "w-mask", "/setup/previous", NULL, 200, &r);
	ck_assert_ptr_null(strstr(r.body, "right-key"));
	th_resp_free(&r);
	next("w-mask", "{\"auth\":\"key\"}", "key", &r);
	ck_assert_str_eq(wz_model_str(&r, "api_key"), MASK);
	ck_assert_ptr_null(strstr(r.body, "right-key"));
	th_resp_free(&r);
	call("POST", "w-mask", "/setup", NULL, 200, &r); /* start again: the open step */
	ck_assert_str_eq(wz_model_str(&r, "api_key"), MASK);
	ck_assert_ptr_null(strstr(r.body, "right-key"));
	th_resp_free(&r);
	/* the model sent back as it is keeps the key */
	next("w-mask", "{\"api_key\":\"" MASK "\"}", "region", &r);
	ck_assert_ptr_null(strstr(r.body, "right-key"));
	th_resp_free(&r);
	call("POST", "w-mask", "/setup/finish", NULL, 200, &r);
	ck_assert_str_eq(th_str(wz_config_of(&r), "api_key"), MASK);
	th_resp_free(&r);
	run_test("w-mask", 1, &r);
	th_resp_free(&r);
}
END_TEST

/* finish with no body (as seed 000 says) finishes with the last step as
 * shown: its model, defaults included, like next with no body. */
START_TEST(finish_without_a_body_takes_the_last_steps_model)
{
	th_resp r;

	create("w-dflt");
	walk_key("w-dflt", "d.example.org", "right-key");
	call("GET", "w-dflt", "/setup/current", NULL, 200, &r);
	ck_assert_str_eq(wz_model_str(&r, "region"), "eu"); /* shown as the answer */
	th_resp_free(&r);
	call("POST", "w-dflt", "/setup/finish", NULL, 200, &r);
	ck_assert_msg(th_str(wz_config_of(&r), "region") &&
			      strcmp(th_str(wz_config_of(&r), "region"), "eu") == 0,
		      "finish with no body dropped the last step's model (region \"eu\"): %s",
		      r.body);
	ck_assert_int_eq(json_object_object_length(wz_config_of(&r)), 4);
	th_resp_free(&r);
}
END_TEST

/* Answers to a branch left by previous are not stored: the key given on
 * the key branch is gone once the wizard finishes through oauth. */
START_TEST(abandoned_branch_answers_are_dropped)
{
	th_resp r;
	json_object *config;

	create("w-abandon");
	walk_key("w-abandon", "a.example.org", "right-key");
	call0("POST", "w-abandon", "/setup/previous", NULL, 200);
	call0("POST", "w-abandon", "/setup/previous", NULL, 200);
	next("w-abandon", "{\"auth\":\"oauth\"}", "oauth", NULL);
	next("w-abandon", "{\"client_id\":\"cid\",\"client_secret\":\"right-secret\"}", "region",
	     NULL);
	call("POST", "w-abandon", "/setup/finish", NULL, 200, &r);
	config = wz_config_of(&r);
	ck_assert_msg(!json_object_object_get_ex(config, "api_key", NULL),
		      "the abandoned branch's key was stored: %s", r.body);
	ck_assert_str_eq(th_str(config, "auth"), "oauth");
	ck_assert_str_eq(th_str(config, "client_secret"), MASK);
	ck_assert_int_eq(json_object_object_length(config), 5); /* host auth id secret region */
	th_resp_free(&r);
	run_test("w-abandon", 1, &r);
	th_resp_free(&r);
}
END_TEST

/* A body is the step's model: a key that is not one of the step's fields
 * is refused (and nothing changes), so no answer slips past its step. */
START_TEST(keys_of_other_steps_are_refused)
{
	th_resp before, r, after;

	create("w-keys");
	start("w-keys", "server", &before);
	call("POST", "w-keys", "/setup/next", "{\"host\":\"h\",\"region\":\"us\",\"x\":1}", 422,
	     &r);
	wz_assert_invalid(&r, (const char *const[]){"/region", "/x", NULL});
	th_resp_free(&r);
	call("GET", "w-keys", "/setup/current", NULL, 200, &after);
	ck_assert_msg(json_object_equal(before.json, after.json), "%s != %s", after.body, before.body);
	th_resp_free(&before);
	th_resp_free(&after);
}
END_TEST

/* Finish validates the whole configuration against the type's schema,
 * stricter here than the oauth step's: 422 pointing at the answer (as
 * next does), the session and the connector as they were. */
START_TEST(finish_validates_the_whole_configuration)
{
	th_resp before, r, after;

	create("w-whole");
	start("w-whole", "server", &r);
	th_resp_free(&r);
	next("w-whole", "{\"host\":\"h\"}", "auth", NULL);
	next("w-whole", "{\"auth\":\"oauth\"}", "oauth", NULL);
	next("w-whole", "{\"client_id\":\"has space\",\"client_secret\":\"s\"}", "region", &before);
	call("POST", "w-whole", "/setup/finish", NULL, 422, &r);
	wz_assert_invalid(&r, (const char *const[]){"/client_id", NULL});
	th_resp_free(&r);
	call("GET", "w-whole", "/setup/current", NULL, 200, &after);
	ck_assert_msg(json_object_equal(before.json, after.json), "%s != %s", after.body, before.body);
	th_resp_free(&after);
	call("GET", "w-whole", "", NULL, 200, &r);
	ck_assert_str_eq(th_str(r.json, "status"), "CREATED");
	th_resp_free(&r);
	/* back, fixed, forward: finish stores it */
	call0("POST", "w-whole", "/setup/previous", NULL, 200);
	next("w-whole", "{\"client_id\":\"no-space\",\"client_secret\":\"" MASK "\"}", "region",
	     NULL);
	call("POST", "w-whole", "/setup/finish", NULL, 200, &r);
	ck_assert_str_eq(th_str(wz_config_of(&r), "client_id"), "no-space");
	th_resp_free(&r);
	th_resp_free(&before);
}
END_TEST

/* Cancel discards the session; the connector is untouched. */
START_TEST(cancel_discards_the_session)
{
	th_resp r;

	create("w-cancel");
	start("w-cancel", "server", &r);
	th_resp_free(&r);
	next("w-cancel", "{\"host\":\"never.example.org\"}", "auth", NULL);
	call("POST", "w-cancel", "/setup/cancel", NULL, 204, &r);
	ck_assert_uint_eq(r.body_len, 0);
	th_resp_free(&r);
	call0("GET", "w-cancel", "/setup/current", NULL, 404);
	call0("POST", "w-cancel", "/setup/cancel", NULL, 404);
	call("GET", "w-cancel", "", NULL, 200, &r);
	ck_assert_str_eq(th_str(r.json, "status"), "CREATED");
	ck_assert_ptr_null(wz_at(r.json, "config"));
	ck_assert_int_eq(json_object_get_int(wz_at(r.json, "revision")), 1);
	th_resp_free(&r);
	/* a new session after a cancel starts afresh */
	start("w-cancel", "server", &r);
	ck_assert_int_eq(json_object_object_length(wz_at(r.json, "model")), 0);
	th_resp_free(&r);
}
END_TEST

/* A second wizard on a configured connector (whose configuration holds a
 * secret) starts from the stored configuration; cancel leaves it as it
 * was; "********" keeps the stored secret through a finish. */
START_TEST(rerun_on_a_configured_connector_then_cancel)
{
	th_resp before, r;

	create("w-rerun");
	walk_key("w-rerun", "old.example.org", "right-key");
	call0("POST", "w-rerun", "/setup/finish", NULL, 200);
	call("GET", "w-rerun", "", NULL, 200, &before);
	start("w-rerun", "server", &r);
	ck_assert_str_eq(wz_model_str(&r, "host"), "old.example.org");
	th_resp_free(&r);
	next("w-rerun", "{\"host\":\"new.example.org\"}", "auth", &r);
	ck_assert_str_eq(wz_model_str(&r, "auth"), "key");
	th_resp_free(&r);
	next("w-rerun", "{\"auth\":\"key\"}", "key", &r);
	ck_assert_str_eq(wz_model_str(&r, "api_key"), MASK); /* the stored key, masked */
	ck_assert_ptr_null(strstr(r.body, "right-key"));
	th_resp_free(&r);
	next("w-rerun", "{\"api_key\":\"other-key\"}", "region", NULL);
	call("POST", "w-rerun", "/setup/cancel", NULL, 204, &r);
	th_resp_free(&r);
	call("GET", "w-rerun", "", NULL, 200, &r);
	ck_assert_msg(json_object_equal(before.json, r.json), "after cancel %s, before %s", r.body,
		      before.body);
	ck_assert_str_eq(th_str(wz_config_of(&r), "host"), "old.example.org");
	th_resp_free(&r);
	th_resp_free(&before);
	run_test("w-rerun", 1, &r); /* still the right key */
	th_resp_free(&r);

	/* once more, keeping the stored key with "********": finish stores it */
	start("w-rerun", "server", &r);
	th_resp_free(&r);
	next("w-rerun", "{\"host\":\"new.example.org\"}", "auth", NULL);
	next("w-rerun", "{\"auth\":\"key\"}", "key", NULL);
	next("w-rerun", "{\"api_key\":\"" MASK "\"}", "region", NULL);
	call("POST", "w-rerun", "/setup/finish", "{\"region\":\"us\"}", 200, &r);
	ck_assert_str_eq(th_str(wz_config_of(&r), "host"), "new.example.org");
	ck_assert_str_eq(th_str(wz_config_of(&r), "region"), "us");
	ck_assert_int_eq(json_object_get_int(wz_at(r.json, "revision")), 3);
	th_resp_free(&r);
	run_test("w-rerun", 1, &r);
	th_resp_free(&r);
}
END_TEST

/* --- secrets at rest ------------------------------------------------------------------ */

/* Occurrences of @p needle in the file at @p path. */
static int count_in_file(const char *path, const char *needle)
{
	size_t cap = 1 << 16, len = 0, nl = strlen(needle);
	char *buf = malloc(cap);
	FILE *f = fopen(path, "rb");
	int hits = 0;

	ck_assert_ptr_nonnull(buf);
	if (!f) {
		free(buf);
		return 0;
	}
	for (size_t n; (n = fread(buf + len, 1, cap - len, f)) > 0;) {
		len += n;
		if (len == cap) {
			char *p = realloc(buf, cap *= 2);

			ck_assert_ptr_nonnull(p);
			buf = p;
		}
	}
	fclose(f);
	for (const char *p = buf; (p = memmem(p, (size_t)(buf + len - p), needle, nl)) != NULL;
	     p += nl)
		hits++;
	free(buf);
	return hits;
}

/* Occurrences of @p needle in every file of the host's data directory
 * (the database, its WAL, the keys) and in its log. */
static int count_on_disk(const th_host *h, const char *needle)
{
	DIR *d = opendir(h->data_dir);
	struct dirent *e;
	char path[600];
	struct stat st;
	int hits = count_in_file(h->log_path, needle);

	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d)) != NULL) {
		snprintf(path, sizeof(path), "%s/%s", h->data_dir, e->d_name);
		if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
			hits += count_in_file(path, needle);
	}
	closedir(d);
	return hits;
}

START_TEST(session_secrets_are_sealed_on_disk)
{
	th_resp r;

	create("w-disk");
	walk_key("w-disk", "Plain-Host-5512", "Sealed-Key-7731");
	/* the control: a plain answer is there to be found */
	ck_assert_int_gt(count_on_disk(&host, "Plain-Host-5512"), 0);
	ck_assert_int_eq(count_on_disk(&host, "Sealed-Key-7731"), 0);
	/* the key step computed again (the plugin fills the key into its
	 * model) and stored as the current step */
	call0("POST", "w-disk", "/setup/previous", NULL, 200);
	call0("POST", "w-disk", "/setup/previous", NULL, 200);
	next("w-disk", "{\"auth\":\"key\"}", "key", NULL);
	ck_assert_int_eq(count_on_disk(&host, "Sealed-Key-7731"), 0);
	/* the other branch: the client secret */
	call0("POST", "w-disk", "/setup/previous", NULL, 200);
	next("w-disk", "{\"auth\":\"oauth\"}", "oauth", NULL);
	next("w-disk", "{\"client_id\":\"Plain-Client-3141\",\"client_secret\":\"Sealed-Secret-9924\"}",
	     "region", NULL);
	call0("POST", "w-disk", "/setup/previous", NULL, 200);
	ck_assert_int_gt(count_on_disk(&host, "Plain-Client-3141"), 0);
	ck_assert_int_eq(count_on_disk(&host, "Sealed-Secret-9924"), 0);
	ck_assert_int_eq(count_on_disk(&host, "Sealed-Key-7731"), 0);
	call("GET", "w-disk", "/setup/current", NULL, 200, &r);
	ck_assert_str_eq(wz_model_str(&r, "client_secret"), MASK);
	th_resp_free(&r);
}
END_TEST

/* --- concurrency -------------------------------------------------------------------------- */

typedef struct racer {
	const char *path;
	const char *body;
	pthread_barrier_t *go;
	long status;
	int rc;
} racer;

static void *race(void *arg)
{
	racer *c = arg;
	th_resp r;

	pthread_barrier_wait(c->go);
	c->rc = th_request(&host, "POST", c->path, c->body, NULL, &r);
	c->status = r.status;
	th_resp_free(&r);
	return NULL;
}

/* POSTs @p path1 and @p path2 at once; their statuses in @p status. */
static void race_pair(const char *path1, const char *body1, const char *path2,
		      const char *body2, long status[2])
{
	pthread_barrier_t go;
	pthread_t t[2];
	racer c[2] = {{path1, body1, &go, 0, -1}, {path2, body2, &go, 0, -1}};

	pthread_barrier_init(&go, NULL, 2);
	for (int i = 0; i < 2; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, race, &c[i]), 0);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	pthread_barrier_destroy(&go);
	for (int i = 0; i < 2; i++) {
		ck_assert_int_eq(c[i].rc, 0);
		status[i] = c[i].status;
	}
}

/* Sends @p path twice at once; returns how many answered 200. The others
 * must be 409 (both read one revision), or 422 when the second ran wholly
 * after the first and @p body is not a model of the step it then met;
 * *conflicts counts the 409s. */
static int race_twice(const char *path, const char *body, int *conflicts)
{
	long status[2];
	int ok = 0;

	race_pair(path, body, path, body, status);
	for (int i = 0; i < 2; i++) {
		ck_assert_msg(status[i] == 200 || status[i] == 409 || (body && status[i] == 422),
			      "%s: %ld", path, status[i]);
		ok += status[i] == 200;
		*conflicts += status[i] == 409;
	}
	return ok;
}

/*
 * Two next calls at once on a session at "server", with the server step's
 * model. When both read the same revision, one applies and the other gets
 * 409; when the second runs wholly after the first, it meets "auth", whose
 * model this is not (422). Either way exactly one applies: one step in the
 * history. Two starts at once open one session.
 */
START_TEST(concurrent_calls_never_both_apply)
{
	const char *body = "{\"host\":\"race.example.org\"}";
	int conflicts = 0;
	th_resp r;

	create("w-race");
	for (int round = 0; round < 20; round++) {
		int ok = race_twice(CONNECTORS "/w-race/setup", NULL, &conflicts);

		ck_assert_int_eq(ok, 2); /* the later start answers the open step */
		call("GET", "w-race", "/setup/current", NULL, 200, &r);
		wz_assert_step(r.json, "server", 1, 0, 0);
		th_resp_free(&r);
		ok = race_twice(CONNECTORS "/w-race/setup/next", body, &conflicts);
		ck_assert_int_eq(ok, 1);
		call("GET", "w-race", "/setup/current", NULL, 200, &r);
		ck_assert_str_eq(th_str(r.json, "id"), "auth");
		th_resp_free(&r);
		ck_assert_int_eq(history_length("w-race"), 1);
		call0("POST", "w-race", "/setup/cancel", NULL, 204);
	}
	fprintf(stderr, "concurrent_calls_never_both_apply: %d of 40 races answered 409\n",
		conflicts);
}
END_TEST

/*
 * A call that moves the session and finish (or cancel) at once, at the
 * last step. Run one after the other, the second gets 409 or 404 (the
 * session is gone, or its step cannot finish); at once, they read the
 * same revision, so one of them must get 409: both succeeding means
 * both applied (a step answered for a session that is gone, or a cancel
 * answered 204 while the configuration was stored).
 */
#define RACE_ROUNDS 50

static void race_against_finish(const char *prefix, const char *other, long other_ok)
{
	char name[64], finish[200], path[200];
	int both = 0;

	for (int round = 0; round < RACE_ROUNDS; round++) {
		long status[2];

		/* a new connector each round: a configured one would start its
		 * wizard from the stored configuration */
		snprintf(name, sizeof(name), "%s-%d", prefix, round);
		snprintf(finish, sizeof(finish), CONNECTORS "/%s/setup/finish", name);
		snprintf(path, sizeof(path), CONNECTORS "/%s/setup/%s", name, other);
		create(name);
		walk_key(name, "f.example.org", "right-key");
		race_pair(path, NULL, finish, NULL, status);
		ck_assert_msg(status[0] == other_ok || status[0] == 404 || status[0] == 409,
			      "%s: %ld", other, status[0]);
		ck_assert_msg(status[1] == 200 || status[1] == 404 || status[1] == 409,
			      "finish: %ld", status[1]);
		if (status[0] == other_ok && status[1] == 200) {
			both++;
			fprintf(stderr, "%s: %s answered %ld and finish 200\n", name, other,
				other_ok);
		}
	}
	ck_assert_msg(both == 0, "%d of %d rounds: %s (%ld) and finish (200) both applied", both,
		      RACE_ROUNDS, other, other_ok);
}

START_TEST(previous_and_finish_at_once)
{
	race_against_finish("w-race-prev", "previous", 200);
}
END_TEST

START_TEST(cancel_and_finish_at_once)
{
	race_against_finish("w-race-cancel", "cancel", 204);
}
END_TEST

START_TEST(finish_twice_at_once)
{
	char name[64], finish[200];
	th_resp r;

	for (int round = 0; round < 20; round++) {
		long status[2];
		int ok = 0;

		snprintf(name, sizeof(name), "w-race-fin-%d", round);
		snprintf(finish, sizeof(finish), CONNECTORS "/%s/setup/finish", name);
		create(name);
		walk_key(name, "f.example.org", "right-key");
		race_pair(finish, NULL, finish, NULL, status);
		for (int i = 0; i < 2; i++) {
			ck_assert_msg(status[i] == 200 || status[i] == 404 || status[i] == 409,
				      "finish: %ld", status[i]);
			ok += status[i] == 200;
		}
		ck_assert_msg(ok == 1, "%s: finish twice at once answered %ld and %ld", name,
			      status[0], status[1]);
		call("GET", name, "", NULL, 200, &r);
		ck_assert_int_eq(json_object_get_int(wz_at(r.json, "revision")), 2);
		th_resp_free(&r);
		call0("GET", name, "/setup/current", NULL, 404);
	}
}
END_TEST

/* --- other accounts ------------------------------------------------------------------------- */

static void new_account(const char *name, char token[128])
{
	char args[200], out[200];

	snprintf(args, sizeof(args), "accounts create %s", name);
	ck_assert_int_eq(th_cli(&host, args, out, sizeof(out)), 0);
	ck_assert_msg(strncmp(out, "acc_", 4) == 0, "accounts create printed \"%s\"", out);
	snprintf(args, sizeof(args), "tokens create %s", name);
	ck_assert_int_eq(th_cli(&host, args, token, 128), 0);
	ck_assert_msg(strncmp(token, "cht_", 4) == 0, "tokens create printed \"%s\"", token);
}

START_TEST(other_accounts_see_404)
{
	static const char *const routes[][3] = {
		{"POST", "/setup", NULL},
		{"GET", "/setup/current", NULL},
		{"POST", "/setup/next", "{\"api_key\":\"intruder\"}"},
		{"POST", "/setup/previous", NULL},
		{"POST", "/setup/finish", NULL},
		{"POST", "/setup/cancel", NULL},
		{"GET", "/test", NULL},
		{"POST", "/test", NULL},
		{"POST", "/refresh", NULL},
	};
	char token[128], id[64];
	th_resp before, r, m, after;

	new_account("w-other", token);
	create("w-mine");
	call("GET", "w-mine", "", NULL, 200, &r);
	snprintf(id, sizeof(id), "%s", th_str(r.json, "id"));
	th_resp_free(&r);
	start("w-mine", "server", &r);
	th_resp_free(&r);
	next("w-mine", "{\"host\":\"mine.example.org\"}", "auth", NULL);
	next("w-mine", "{\"auth\":\"key\"}", "key", &before);
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		for (int by_id = 0; by_id < 2; by_id++) {
			wz_call(&host, token, routes[i][0], by_id ? id : "w-mine", routes[i][1],
				routes[i][2], 404, &r);
			wz_call(&host, token, routes[i][0], by_id ? "con_aaaaaaaaaaaaaaaaaaaaaaaaaa"
								  : "w-missing",
				routes[i][1], routes[i][2], 404, &m);
			wz_assert_problem(&r, 404, "not-found");
			wz_assert_problem(&m, 404, "not-found");
			ck_assert_str_eq(th_str(r.json, "title"), th_str(m.json, "title"));
			ck_assert_int_eq(json_object_object_length(r.json),
					 json_object_object_length(m.json));
			/* nothing of the other account's session shows */
			ck_assert_msg(strstr(r.body, "mine.example.org") == NULL, "%s", r.body);
			th_resp_free(&r);
			th_resp_free(&m);
		}
	}
	/* nothing happened to the session or the connector */
	call("GET", "w-mine", "/setup/current", NULL, 200, &after);
	ck_assert_msg(json_object_equal(before.json, after.json), "%s != %s", after.body, before.body);
	th_resp_free(&after);
	th_resp_free(&before);
	call("GET", "w-mine", "", NULL, 200, &r);
	ck_assert_str_eq(th_str(r.json, "status"), "CREATED");
	ck_assert_int_eq(json_object_get_int(wz_at(r.json, "revision")), 1);
	th_resp_free(&r);
	/* the other account's own connector of the same name is its own */
	ck_assert_int_eq(th_request_as(&host, token, "POST", CONNECTORS,
				       "{\"name\":\"w-mine\",\"type\":\"branchy\"}", &r),
			 0);
	ck_assert_msg(r.status == 201, "%ld %.600s", r.status, r.body);
	th_resp_free(&r);
	wz_call(&host, token, "POST", "w-mine", "/setup", NULL, 200, &r);
	wz_assert_step(r.json, "server", 1, 0, 0);
	ck_assert_int_eq(json_object_object_length(wz_at(r.json, "model")), 0);
	th_resp_free(&r);
	call("GET", "w-mine", "/setup/current", NULL, 200, &r);
	wz_assert_step(r.json, "key", 1, 1, 0);
	th_resp_free(&r);
}
END_TEST

/* --- test and refresh --------------------------------------------------------------------- */

START_TEST(test_and_refresh)
{
	th_resp r;

	/* no configuration yet: nothing to test */
	create("w-bare");
	call("POST", "w-bare", "/test", NULL, 409, &r);
	wz_assert_problem(&r, 409, "conflict");
	th_resp_free(&r);
	call("GET", "w-bare", "/test", NULL, 409, &r);
	wz_assert_problem(&r, 409, "conflict");
	th_resp_free(&r);
	call0("POST", "w-nothing", "/test", NULL, 404);
	call0("GET", "w-nothing", "/test", NULL, 404);

	/* configured directly: a wrong key points at /api_key */
	wz_create(&host, "w-wrong", "branchy",
		     "{\"host\":\"h\",\"auth\":\"key\",\"api_key\":\"wrong-key\"}");
	run_test("w-wrong", 0, &r);
	ck_assert_str_eq(th_str(r.json, "failure_type"), "config_error");
	ck_assert_int_eq(json_object_array_length(wz_at(r.json, "errors")), 1);
	ck_assert_str_eq(th_str(json_object_array_get_idx(wz_at(r.json, "errors"), 0), "pointer"),
			 "/api_key");
	ck_assert_ptr_nonnull(th_str(json_object_array_get_idx(wz_at(r.json, "errors"), 0), "message"));
	ck_assert_str_eq(th_str(r.json, "message"), "the credentials are wrong");
	ck_assert_ptr_null(strstr(r.body, "wrong-key"));
	th_resp_free(&r);
	wz_create(&host, "w-right", "branchy",
		     "{\"host\":\"h\",\"auth\":\"key\",\"api_key\":\"right-key\"}");
	run_test("w-right", 1, &r);
	ck_assert_str_eq(th_str(r.json, "message"), "the credentials are right");
	th_resp_free(&r);

	/* refresh: 204 every time (the plugin's output is not shown). The
	 * plugin's refresh runs each time and finds the cache the host just
	 * cleared (it logs "was 0", though it left n at 1 the time before);
	 * in between, the cache keeps n for the connector's test to see. */
	for (int i = 0; i < 3; i++) {
		call("POST", "w-right", "/refresh", NULL, 204, &r);
		ck_assert_uint_eq(r.body_len, 0);
		th_resp_free(&r);
		run_test("w-right", 1, &r);
		th_resp_free(&r);
	}
	ck_assert_int_eq(count_in_file(host.log_path, "branchy refresh: cached n was 0"), 3);
	ck_assert_int_eq(count_in_file(host.log_path, "branchy refresh: cached n was"), 3);
	/* run_test tests twice (POST and GET) after each refresh */
	ck_assert_int_eq(count_in_file(host.log_path, "branchy test: cached n is 1"), 6);
	call0("POST", "w-bare", "/refresh", "{\"ignored\":true}", 204);
	call("POST", "w-nothing", "/refresh", NULL, 404, &r);
	wz_assert_problem(&r, 404, "not-found");
	th_resp_free(&r);
	/* the test still runs after refreshes */
	run_test("w-right", 1, &r);
	th_resp_free(&r);
}
END_TEST

/* --- own hosts --------------------------------------------------------------------------------- */

START_TEST(session_survives_a_restart)
{
	th_host saved = host; /* the calls below use the global host */
	th_resp r, before;
	pid_t pid;

	th_start(&host, CH_TEST_WIZARD, NULL);
	create("w-restart");
	walk_key("w-restart", "r.example.org", "right-key");
	call("POST", "w-restart", "/setup/previous", NULL, 200, &before);
	wz_assert_step(before.json, "key", 1, 1, 0);
	ck_assert_int_eq(count_on_disk(&host, "right-key"), 0);
	pid = host.pid;
	th_restart(&host);
	ck_assert_int_ne(host.pid, pid);
	call("GET", "w-restart", "/setup/current", NULL, 200, &r);
	ck_assert_msg(json_object_equal(before.json, r.json), "after restart %s, before %s", r.body,
		      before.body);
	ck_assert_str_eq(wz_model_str(&r, "api_key"), MASK);
	th_resp_free(&r);
	th_resp_free(&before);
	/* the key sealed before the restart opens after it */
	next("w-restart", "{\"api_key\":\"" MASK "\"}", "region", NULL);
	call("POST", "w-restart", "/setup/previous", NULL, 200, &r);
	th_resp_free(&r);
	call("POST", "w-restart", "/setup/previous", NULL, 200, &r);
	wz_assert_step(r.json, "auth", 1, 1, 0);
	th_resp_free(&r);
	call("POST", "w-restart", "/setup/previous", NULL, 200, &r);
	wz_assert_step(r.json, "server", 1, 0, 0);
	ck_assert_str_eq(wz_model_str(&r, "host"), "r.example.org");
	th_resp_free(&r);
	next("w-restart", "{\"host\":\"r.example.org\"}", "auth", NULL);
	next("w-restart", "{\"auth\":\"key\"}", "key", NULL);
	next("w-restart", "{\"api_key\":\"" MASK "\"}", "region", NULL);
	th_restart(&host);
	call("POST", "w-restart", "/setup/finish", NULL, 200, &r);
	ck_assert_str_eq(th_str(r.json, "status"), "CONFIGURED");
	ck_assert_str_eq(th_str(wz_config_of(&r), "host"), "r.example.org");
	th_resp_free(&r);
	call0("GET", "w-restart", "/setup/current", NULL, 404);
	run_test("w-restart", 1, &r);
	th_resp_free(&r);
	ck_assert_int_eq(th_stop(&host), 0);
	host = saved;
}
END_TEST

START_TEST(type_without_setup_is_501)
{
	static const char *const routes[][2] = {
		{"POST", "/setup"}, {"GET", "/setup/current"}, {"POST", "/setup/next"},
		{"POST", "/setup/previous"}, {"POST", "/setup/finish"}, {"POST", "/setup/cancel"},
	};
	th_host h;
	th_resp r;

	th_start(&h, CH_TEST_FIXTURES, NULL);
	wz_create(&h, "no-wizard", "fixture-b", NULL);
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		wz_call(&h, NULL, routes[i][0], "no-wizard", routes[i][1], NULL, 501, &r);
		wz_assert_problem(&r, 501, "not-implemented");
		th_resp_free(&r);
	}
	ck_assert_int_eq(th_stop(&h), 0);
}
END_TEST


static Suite *suite(void)
{
	Suite *s = suite_create("api_setup");
	TCase *shared = tcase_create("wizard_host");
	TCase *own = tcase_create("own_host");

	tcase_add_unchecked_fixture(shared, start_wizard_host, stop_host);
	tcase_set_timeout(shared, 120);
	tcase_add_test(shared, start_returns_the_first_step);
	tcase_add_test(shared, no_session_is_404_on_every_route);
	tcase_add_test(shared, invalid_answers_leave_the_step_unchanged);
	tcase_add_test(shared, key_branch_to_finish);
	tcase_add_test(shared, oauth_branch_to_finish_with_a_body);
	tcase_add_test(shared, previous_keeps_answers_and_branches_again);
	tcase_add_test(shared, finish_where_it_cannot_is_409);
	tcase_add_test(shared, secrets_are_masked_and_kept);
	tcase_add_test(shared, cancel_discards_the_session);
	tcase_add_test(shared, abandoned_branch_answers_are_dropped);
	tcase_add_test(shared, keys_of_other_steps_are_refused);
	tcase_add_test(shared, finish_validates_the_whole_configuration);
	tcase_add_test(shared, rerun_on_a_configured_connector_then_cancel);
	tcase_add_test(shared, finish_without_a_body_takes_the_last_steps_model);
	tcase_add_test(shared, session_secrets_are_sealed_on_disk);
	tcase_add_test(shared, concurrent_calls_never_both_apply);
	tcase_add_test(shared, previous_and_finish_at_once);
	tcase_add_test(shared, cancel_and_finish_at_once);
	tcase_add_test(shared, finish_twice_at_once);
	tcase_add_test(shared, other_accounts_see_404);
	tcase_add_test(shared, test_and_refresh);
	suite_add_tcase(s, shared);
	tcase_set_timeout(own, 120);
	tcase_add_test(own, session_survives_a_restart);
	tcase_add_test(own, type_without_setup_is_501);
	suite_add_tcase(s, own);
	return s;
}

int main(void)
{
	return th_run_suite(suite());
}
