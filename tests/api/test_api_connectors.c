/*
 * API tests of /api/v1/connectors: create (by POST and by chosen name),
 * validation errors (every failure, with its pointer), read by id and by
 * name, secrets masked and kept, merging changes, ETag / If-Match, rename,
 * delete, isolation between accounts, Idempotency-Key, and the list with
 * its pages, sorts, filters and includes. A real host runs on a free
 * loopback port with the fixture plugins (fixture-a 1.0.0 and 1.1.0,
 * fixture-b 2.1.0).
 *
 * The tests share one host; each one uses names of its own, and those that
 * count connectors use an account of their own (created with the CLI) so
 * that totals are exact.
 */
#include <check.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_run.h"
#include "error.h"
#include "harness.h"
#include "jsonschema.h"

#define CONNECTORS "/api/v1/connectors"
#define PROBLEM "urn:connhub:problem:"
#define MASK "********"
/* A well-formed connector id that no connector has. */
#define NO_SUCH_ID "con_aaaaaaaaaaaaaaaaaaaaaaaaaa"

static th_host host;
static int host_exit_status; /* how the shared host stopped */

static void start_fixture_host(void)
{
	static const char *const extra[] = {"--max-body", "4096", NULL};

	th_start(&host, CH_TEST_FIXTURES, extra);
	ck_assert_msg(host.token[0], "the host printed no admin token");
}

/* Runs in the runner (unchecked fixture): a host that does not exit 0 on
 * SIGTERM fails the program from main(). */
static void stop_host(void)
{
	host_exit_status = th_stop(&host);
	if (host_exit_status != 0)
		fprintf(stderr, "the host exited with %d on SIGTERM\n", host_exit_status);
}

/* --- requests ---------------------------------------------------------------- */

/* One request as the holder of @p token (NULL: the default account's admin
 * token) with up to two more header lines. */
static void send_req(const char *token, const char *method, const char *path, const char *body,
		     const char *h1, const char *h2, th_resp *r)
{
	char auth[200];
	const char *headers[4];
	size_t n = 0;

	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token ? token : host.token);
	headers[n++] = auth;
	if (h1)
		headers[n++] = h1;
	if (h2)
		headers[n++] = h2;
	headers[n] = NULL;
	ck_assert_msg(th_request(&host, method, path, body, headers, r) == 0, "%s %s: no answer",
		      method, path);
}

static void req(const char *method, const char *path, const char *body, th_resp *r)
{
	send_req(NULL, method, path, body, NULL, NULL, r);
}

static void expect_status(const th_resp *r, long status, const char *what)
{
	ck_assert_msg(r->status == status, "%s: %ld, expected %ld: %.600s", what, r->status, status,
		      r->body ? r->body : "(no body)");
}

/* Asserts @p r is an RFC 9457 problem with @p status and type
 * urn:connhub:problem:<kind>, about @p instance (NULL: not checked). */
static void assert_problem(const th_resp *r, long status, const char *kind, const char *instance)
{
	char type[128];

	expect_status(r, status, "problem");
	ck_assert_str_eq(r->content_type, "application/problem+json");
	ck_assert_ptr_nonnull(r->json);
	ck_assert_int_eq(json_object_get_int(json_object_object_get(r->json, "status")), status);
	snprintf(type, sizeof(type), PROBLEM "%s", kind);
	ck_assert_msg(th_str(r->json, "type") && strcmp(th_str(r->json, "type"), type) == 0,
		      "problem type is not %s: %.600s", type, r->body);
	ck_assert_ptr_nonnull(th_str(r->json, "title"));
	ck_assert_ptr_nonnull(th_str(r->json, "detail"));
	if (instance)
		ck_assert_str_eq(th_str(r->json, "instance"), instance);
}

static json_object *errors_of(const th_resp *r)
{
	json_object *e = json_object_object_get(r->json, "errors");

	ck_assert_msg(json_object_is_type(e, json_type_array), "no errors list: %.600s", r->body);
	return e;
}

/* Asserts the problem's errors name exactly the pointers of @p want
 * (NULL-terminated), in any order, each once. */
static void assert_pointers(const th_resp *r, const char *const *want)
{
	json_object *errors = errors_of(r);
	size_t n = json_object_array_length(errors), nwant = 0;

	for (; want[nwant]; nwant++) {
		size_t hits = 0;

		for (size_t i = 0; i < n; i++)
			if (strcmp(th_str(json_object_array_get_idx(errors, i), "pointer"),
				   want[nwant]) == 0)
				hits++;
		ck_assert_msg(hits == 1, "pointer %s reported %zu times: %.600s", want[nwant], hits,
			      r->body);
	}
	ck_assert_msg(n == nwant, "%zu errors, expected %zu: %.600s", n, nwant, r->body);
}

/* A 422 validation problem naming exactly the pointers of @p want. */
static void assert_invalid(const th_resp *r, const char *instance, const char *const *want)
{
	assert_problem(r, 422, "validation-failed", instance);
	assert_pointers(r, want);
}

/* The message of the error at @p pointer. */
static const char *message_at(const th_resp *r, const char *pointer)
{
	json_object *errors = errors_of(r);

	for (size_t i = 0; i < json_object_array_length(errors); i++) {
		json_object *e = json_object_array_get_idx(errors, i);

		if (strcmp(th_str(e, "pointer"), pointer) == 0)
			return th_str(e, "message");
	}
	ck_abort_msg("no error at %s: %.600s", pointer, r->body);
	return NULL;
}

static json_object *at(json_object *o, const char *key)
{
	return json_object_object_get(o, key);
}

static int64_t int_at(json_object *o, const char *key)
{
	return json_object_get_int64(at(o, key));
}

static json_object *data_of(const th_resp *r)
{
	json_object *d = at(r->json, "data");

	ck_assert_msg(json_object_is_type(d, json_type_array), "no data list: %.600s", r->body);
	return d;
}

static int64_t meta(const th_resp *r, const char *key)
{
	return int_at(at(r->json, "meta"), key);
}

/* The variable @p key of a connector, or NULL. */
static json_object *variable(json_object *connector, const char *key)
{
	json_object *vars = at(connector, "variables");

	for (size_t i = 0; i < json_object_array_length(vars); i++)
		if (strcmp(th_str(json_object_array_get_idx(vars, i), "key"), key) == 0)
			return json_object_array_get_idx(vars, i);
	return NULL;
}

/* --- connectors and accounts ----------------------------------------------------- */

/* Validates a connector against schemas/connector.json. */
static void assert_valid_connector(json_object *doc)
{
	static ch_schema *schema;
	json_object *errors = NULL;
	char err[256];

	if (!schema) {
		json_object *d = json_object_from_file(CH_TEST_SCHEMAS "/connector.json");

		ck_assert_msg(d != NULL, "cannot read %.600s", CH_TEST_SCHEMAS "/connector.json");
		ck_assert_msg(ch_schema_compile(&schema, d, err, sizeof(err)) == CH_OK, "%s",
			      err);
		json_object_put(d); /* the schema holds its own reference */
	}
	if (ch_schema_validate(schema, doc, &errors) != CH_OK)
		ck_abort_msg("not a valid connector: %.300s\n%.600s",
			     json_object_to_json_string(errors), json_object_to_json_string(doc));
}

/* Creates a connector as @p token (NULL: default account); its id in @p id. */
static void create_as(const char *token, const char *body, char id[64])
{
	th_resp r;

	send_req(token, "POST", CONNECTORS, body, NULL, NULL, &r);
	expect_status(&r, 201, body);
	snprintf(id, 64, "%s", th_str(r.json, "id"));
	th_resp_free(&r);
}

static void create(const char *body, char id[64])
{
	create_as(NULL, body, id);
}

/* Creates account @p name with the CLI and a token for it in @p token. */
static void new_account(const char *name, int admin, char token[128])
{
	char args[200], out[128];

	snprintf(args, sizeof(args), "accounts create %s", name);
	ck_assert_int_eq(th_cli(&host, args, out, sizeof(out)), 0);
	ck_assert_msg(strncmp(out, "acc_", 4) == 0, "accounts create printed \"%s\"", out);
	snprintf(args, sizeof(args), "tokens create %s%s", name, admin ? " --admin" : "");
	ck_assert_int_eq(th_cli(&host, args, token, 128), 0);
	ck_assert_msg(strncmp(token, "cht_", 4) == 0, "tokens create printed \"%s\"", token);
}

/* GET @p path as @p token, expecting 200 and a list. */
static void list_as(const char *token, const char *query, th_resp *r)
{
	char path[512];

	snprintf(path, sizeof(path), CONNECTORS "%s%s", query[0] ? "?" : "", query);
	send_req(token, "GET", path, NULL, NULL, NULL, r);
	expect_status(r, 200, path);
	data_of(r);
}

static int64_t total_as(const char *token, const char *query)
{
	th_resp r;
	int64_t n;

	list_as(token, query, &r);
	n = meta(&r, "total");
	th_resp_free(&r);
	return n;
}

/* GET one connector, expecting 200. */
static void get_ok(const char *key, th_resp *r)
{
	char path[200];

	snprintf(path, sizeof(path), CONNECTORS "/%s", key);
	req("GET", path, NULL, r);
	expect_status(r, 200, path);
}

static void get_revision(const char *key, int64_t revision)
{
	th_resp r;

	get_ok(key, &r);
	ck_assert_int_eq(int_at(r.json, "revision"), revision);
	th_resp_free(&r);
}

static void put(const char *key, const char *body, const char *if_match, th_resp *r)
{
	char path[200], header[100];

	snprintf(path, sizeof(path), CONNECTORS "/%s", key);
	snprintf(header, sizeof(header), "If-Match: %s", if_match ? if_match : "");
	send_req(NULL, "PUT", path, body, if_match ? header : NULL, NULL, r);
}

static void put_ok(const char *key, const char *body, th_resp *r)
{
	put(key, body, NULL, r);
	expect_status(r, 200, body);
}

/* --- authentication -------------------------------------------------------------- */

START_TEST(every_route_needs_a_token)
{
	static const char *const routes[][3] = {
		{"GET", CONNECTORS, NULL},
		{"POST", CONNECTORS, "{\"name\":\"noauth\",\"type\":\"fixture-b\"}"},
		{"GET", CONNECTORS "/noauth", NULL},
		{"POST", CONNECTORS "/noauth", "{\"type\":\"fixture-b\"}"},
		{"PUT", CONNECTORS "/noauth", "{}"},
		{"DELETE", CONNECTORS "/noauth", NULL},
		{"GET", "/api/v1/openapi.json", NULL},
	};
	th_resp r;

	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		const char *path = routes[i][1];

		ck_assert_int_eq(th_request_as(&host, NULL, routes[i][0], path, routes[i][2], &r),
				 0);
		assert_problem(&r, 401, "unauthorized", path);
		ck_assert_str_eq(r.www_authenticate, "Bearer realm=\"connhub\"");
		th_resp_free(&r);
		ck_assert_int_eq(th_request_as(&host, "cht_not-a-token", routes[i][0], path,
					       routes[i][2], &r), 0);
		assert_problem(&r, 401, "unauthorized", path);
		ck_assert_str_eq(r.www_authenticate,
				 "Bearer realm=\"connhub\", error=\"invalid_token\"");
		th_resp_free(&r);
	}
	ck_assert_int_eq(total_as(NULL, "filter[name]=noauth"), 0);
}
END_TEST

/* --- create ---------------------------------------------------------------------- */

START_TEST(create_minimal_gets_defaults)
{
	th_resp r, g;
	char location[200];
	const char *id;

	req("POST", CONNECTORS, "{\"name\":\"min-1\",\"type\":\"fixture-a\"}", &r);
	expect_status(&r, 201, "create");
	ck_assert_str_eq(r.content_type, "application/json");
	assert_valid_connector(r.json);
	id = th_str(r.json, "id");
	ck_assert_int_eq(strlen(id), 30);
	ck_assert_int_eq(strncmp(id, "con_", 4), 0);
	ck_assert_int_eq(strspn(id + 4, "abcdefghijklmnopqrstuvwxyz234567"), 26);
	snprintf(location, sizeof(location), CONNECTORS "/%s", id);
	ck_assert_str_eq(r.location, location);
	ck_assert_str_eq(r.etag, "\"1\"");
	ck_assert_str_eq(th_str(r.json, "name"), "min-1");
	ck_assert_str_eq(th_str(r.json, "type"), "fixture-a");
	ck_assert_str_eq(th_str(r.json, "type_version"), "1.1.0"); /* the newest */
	ck_assert_str_eq(th_str(r.json, "status"), "CREATED");
	ck_assert(json_object_object_get_ex(r.json, "config", NULL));
	ck_assert_ptr_null(at(r.json, "config"));
	ck_assert_str_eq(th_str(r.json, "timezone"), "UTC");
	ck_assert_str_eq(th_str(r.json, "date_format"), "YYYY-MM-DD");
	ck_assert(json_object_object_get_ex(r.json, "rate_limit", NULL));
	ck_assert_ptr_null(at(r.json, "rate_limit"));
	ck_assert_int_eq(int_at(r.json, "revision"), 1);
	ck_assert(json_object_is_type(at(r.json, "variables"), json_type_array));
	ck_assert_int_eq(json_object_array_length(at(r.json, "variables")), 0);
	ck_assert_str_eq(th_str(r.json, "created_at"), th_str(r.json, "updated_at"));
	/* What the create answered is what a read answers, at its Location. */
	req("GET", r.location, NULL, &g);
	expect_status(&g, 200, r.location);
	ck_assert_str_eq(g.etag, "\"1\"");
	ck_assert_msg(json_object_equal(g.json, r.json), "%.600s\n%.600s", g.body, r.body);
	th_resp_free(&g);
	th_resp_free(&r);
}
END_TEST

START_TEST(create_full_pins_version_and_masks_secrets)
{
	th_resp r;
	json_object *config, *vars;

	req("POST", CONNECTORS,
	    "{\"name\":\"full-1\",\"type\":\"fixture-a\",\"type_version\":\"1.0.0\","
	    "\"config\":{\"host\":\"db.example\",\"port\":5432,\"password\":\"pw-full-1\"},"
	    "\"variables\":[{\"key\":\"API_KEY\",\"value\":\"var-full-1\",\"secret\":true},"
	    "{\"key\":\"REGION\",\"value\":\"eu-west\",\"label\":\"Region\"}],"
	    "\"timezone\":\"Europe/Paris\",\"date_format\":\"DD/MM/YYYY\","
	    "\"rate_limit\":{\"unit\":\"minute\",\"duration\":10}}",
	    &r);
	expect_status(&r, 201, "create");
	assert_valid_connector(r.json);
	ck_assert_str_eq(r.etag, "\"1\"");
	ck_assert_str_eq(th_str(r.json, "type_version"), "1.0.0");
	ck_assert_str_eq(th_str(r.json, "status"), "CONFIGURED");
	config = at(r.json, "config");
	ck_assert_str_eq(th_str(config, "host"), "db.example");
	ck_assert_int_eq(int_at(config, "port"), 5432);
	ck_assert_str_eq(th_str(config, "password"), MASK);
	vars = at(r.json, "variables");
	ck_assert_int_eq(json_object_array_length(vars), 2);
	ck_assert_str_eq(th_str(variable(r.json, "API_KEY"), "value"), MASK);
	ck_assert(json_object_get_boolean(at(variable(r.json, "API_KEY"), "secret")));
	ck_assert_str_eq(th_str(variable(r.json, "REGION"), "value"), "eu-west");
	ck_assert_str_eq(th_str(variable(r.json, "REGION"), "label"), "Region");
	ck_assert_str_eq(th_str(r.json, "timezone"), "Europe/Paris");
	ck_assert_str_eq(th_str(r.json, "date_format"), "DD/MM/YYYY");
	ck_assert_str_eq(th_str(at(r.json, "rate_limit"), "unit"), "minute");
	ck_assert_int_eq(int_at(at(r.json, "rate_limit"), "duration"), 10);
	ck_assert_ptr_null(strstr(r.body, "pw-full-1"));
	ck_assert_ptr_null(strstr(r.body, "var-full-1"));
	th_resp_free(&r);
	/* fixture-b takes any object. */
	req("POST", CONNECTORS,
	    "{\"name\":\"full-2\",\"type\":\"fixture-b\","
	    "\"config\":{\"anything\":[1,{\"x\":null}]}}",
	    &r);
	expect_status(&r, 201, "create fixture-b");
	ck_assert_str_eq(th_str(r.json, "type_version"), "2.1.0");
	ck_assert_str_eq(th_str(r.json, "status"), "CONFIGURED");
	th_resp_free(&r);
}
END_TEST

START_TEST(create_by_name_in_path)
{
	static const char *const name_ptr[] = {"/name", NULL};
	th_resp r;
	char id[64];

	req("POST", CONNECTORS "/named-1", "{\"type\":\"fixture-b\"}", &r);
	expect_status(&r, 201, "create named");
	assert_valid_connector(r.json);
	ck_assert_str_eq(th_str(r.json, "name"), "named-1");
	snprintf(id, sizeof(id), "%s", th_str(r.json, "id"));
	ck_assert_ptr_nonnull(strstr(r.location, id));
	ck_assert_str_eq(r.etag, "\"1\"");
	th_resp_free(&r);
	/* The body may repeat the name. */
	req("POST", CONNECTORS "/named-2", "{\"name\":\"named-2\",\"type\":\"fixture-b\"}", &r);
	expect_status(&r, 201, "create named, same name in body");
	th_resp_free(&r);
	/* ... but not name another. */
	req("POST", CONNECTORS "/named-3", "{\"name\":\"other-3\",\"type\":\"fixture-b\"}", &r);
	assert_invalid(&r, CONNECTORS "/named-3", name_ptr);
	th_resp_free(&r);
	ck_assert_int_eq(total_as(NULL, "filter[name]=named-3"), 0);
	ck_assert_int_eq(total_as(NULL, "filter[name]=other-3"), 0);
	/* A name that is taken. */
	req("POST", CONNECTORS "/named-1", "{\"type\":\"fixture-a\"}", &r);
	assert_problem(&r, 409, "already-exists", CONNECTORS "/named-1");
	th_resp_free(&r);
	get_ok("named-1", &r);
	ck_assert_str_eq(th_str(r.json, "id"), id);
	ck_assert_str_eq(th_str(r.json, "type"), "fixture-b");
	th_resp_free(&r);
	/* Names the path cannot have. */
	req("POST", CONNECTORS "/Named-4", "{\"type\":\"fixture-b\"}", &r);
	assert_invalid(&r, CONNECTORS "/Named-4", name_ptr);
	th_resp_free(&r);
	req("POST", CONNECTORS "/" NO_SUCH_ID, "{\"type\":\"fixture-b\"}", &r);
	assert_invalid(&r, CONNECTORS "/" NO_SUCH_ID, name_ptr);
	ck_assert_str_eq(message_at(&r, "/name"), "must not look like a connector id");
	th_resp_free(&r);
	/* POST /connectors with a taken name is a conflict too. */
	req("POST", CONNECTORS, "{\"name\":\"named-1\",\"type\":\"fixture-b\"}", &r);
	assert_problem(&r, 409, "already-exists", CONNECTORS);
	th_resp_free(&r);
	ck_assert_int_eq(total_as(NULL, "filter[name]=named-1"), 1);
}
END_TEST

START_TEST(create_reports_every_failure)
{
	static const char *const all[] = {
		"/id", "/account", "/account_id", "/status", "/revision", "/created_at",
		"/updated_at", "/bogus", "/name", "/type", "/timezone", "/variables/1/key",
		"/rate_limit/unit", NULL,
	};
	static const char *const config[] = {"/name", "/config/host", "/config/port",
					     "/config/password", NULL};
	static const char *const version[] = {"/type_version", NULL};
	static const char *const required[] = {"/name", "/type", NULL};
	static const char *const shapes[] = {"/config", "/variables/0/key", "/rate_limit/duration",
					     "/date_format", NULL};
	static const char *const id_name[] = {"/name", NULL};
	char token[128];
	th_resp r;

	new_account("val-acct", 0, token);
	send_req(token, "POST", CONNECTORS,
		 "{\"name\":\"" NO_SUCH_ID "\",\"type\":\"no-such-type\",\"id\":\"con_x\","
		 "\"account\":\"a\",\"account_id\":\"acc_x\",\"status\":\"RUNNING\",\"revision\":7,"
		 "\"created_at\":\"2020-01-01T00:00:00Z\",\"updated_at\":\"2020-01-01T00:00:00Z\","
		 "\"bogus\":1,\"timezone\":\"Mars/Olympus_Mons\","
		 "\"variables\":[{\"key\":\"A\",\"value\":\"1\"},{\"key\":\"A\",\"value\":\"2\"}],"
		 "\"rate_limit\":{\"unit\":\"week\",\"duration\":1}}",
		 NULL, NULL, &r);
	assert_invalid(&r, CONNECTORS, all);
	ck_assert_str_eq(message_at(&r, "/status"), "is set by the server and cannot be given");
	ck_assert_str_eq(message_at(&r, "/type"), "no connector type no-such-type is installed");
	ck_assert_str_eq(message_at(&r, "/variables/1/key"), "repeats the key of /variables/0");
	th_resp_free(&r);
	send_req(token, "POST", CONNECTORS,
		 "{\"name\":\"Bad Name\",\"type\":\"fixture-a\",\"type_version\":\"1.0.0\","
		 "\"config\":{\"port\":70000,\"password\":\"x\"}}",
		 NULL, NULL, &r);
	assert_invalid(&r, CONNECTORS, config);
	ck_assert_str_eq(message_at(&r, "/config/port"), "must be at most 65535");
	ck_assert_str_eq(message_at(&r, "/config/host"), "is required");
	th_resp_free(&r);
	send_req(token, "POST", CONNECTORS,
		 "{\"name\":\"v-1\",\"type\":\"fixture-a\",\"type_version\":\"9.9.9\"}", NULL, NULL,
		 &r);
	assert_invalid(&r, CONNECTORS, version);
	ck_assert_str_eq(message_at(&r, "/type_version"),
			 "connector type fixture-a has no version 9.9.9");
	th_resp_free(&r);
	send_req(token, "POST", CONNECTORS, "{}", NULL, NULL, &r);
	assert_invalid(&r, CONNECTORS, required);
	th_resp_free(&r);
	send_req(token, "POST", CONNECTORS,
		 "{\"name\":\"v-2\",\"type\":\"fixture-b\",\"config\":5,"
		 "\"variables\":[{\"key\":\"1a\"}],"
		 "\"rate_limit\":{\"unit\":\"day\"},\"date_format\":\"\"}",
		 NULL, NULL, &r);
	assert_invalid(&r, CONNECTORS, shapes);
	th_resp_free(&r);
	send_req(token, "POST", CONNECTORS,
		 "{\"name\":\"con_abcdefghijklmnopqrstuvwxyz\",\"type\":\"fixture-b\"}", NULL, NULL,
		 &r);
	assert_invalid(&r, CONNECTORS, id_name);
	th_resp_free(&r);
	/* Time zones are IANA names, nothing else. */
	send_req(token, "POST", CONNECTORS,
		 "{\"name\":\"v-3\",\"type\":\"fixture-b\",\"timezone\":\"../../etc/passwd\"}",
		 NULL, NULL, &r);
	assert_problem(&r, 422, "validation-failed", CONNECTORS);
	ck_assert_str_eq(message_at(&r, "/timezone"),
			 "is not a known IANA time zone (e.g. Europe/Paris)");
	th_resp_free(&r);
	/* None of it changed anything. */
	ck_assert_int_eq(total_as(token, ""), 0);
	create_as(token,
		  "{\"name\":\"v-ok\",\"type\":\"fixture-b\",\"timezone\":\"America/New_York\"}",
		  (char[64]){0});
	ck_assert_int_eq(total_as(token, ""), 1);
}
END_TEST

/*
 * "********" stands for a stored secret; at creation nothing is stored, so
 * it must be refused as it is on a change, not stored as the password.
 */
START_TEST(create_with_mask_is_refused)
{
	static const char *const pw[] = {"/config/password", NULL};
	static const char *const var[] = {"/variables/0/value", NULL};
	th_resp r;

	req("POST", CONNECTORS,
	    "{\"name\":\"mask-create-1\",\"type\":\"fixture-a\",\"type_version\":\"1.0.0\","
	    "\"config\":{\"host\":\"h\",\"password\":\"" MASK "\"}}",
	    &r);
	assert_invalid(&r, CONNECTORS, pw);
	th_resp_free(&r);
	req("POST", CONNECTORS,
	    "{\"name\":\"mask-create-2\",\"type\":\"fixture-b\","
	    "\"variables\":[{\"key\":\"K\",\"value\":\"" MASK "\",\"secret\":true}]}",
	    &r);
	assert_invalid(&r, CONNECTORS, var);
	th_resp_free(&r);
	ck_assert_int_eq(total_as(NULL, "filter[name]=mask-create-"), 0);
}
END_TEST

START_TEST(bad_bodies_are_400_and_413)
{
	const char *prefix = "{\"name\":\"big\",\"type\":\"fixture-b\",\"date_format\":\"";
	char *big = malloc(5001);
	th_resp r;
	char id[64];

	ck_assert_ptr_nonnull(big);

	req("POST", CONNECTORS, "{\"name\":", &r);
	assert_problem(&r, 400, "invalid-json", CONNECTORS);
	ck_assert_str_eq(th_str(json_object_array_get_idx(errors_of(&r), 0), "pointer"), "");
	th_resp_free(&r);
	req("POST", CONNECTORS, "[{\"name\":\"arr\",\"type\":\"fixture-b\"}]", &r);
	assert_problem(&r, 400, "invalid-json", CONNECTORS);
	th_resp_free(&r);
	req("POST", CONNECTORS, "\"a string\"", &r);
	assert_problem(&r, 400, "invalid-json", CONNECTORS);
	th_resp_free(&r);
	req("POST", CONNECTORS, "{\"name\":\"trail\",\"type\":\"fixture-b\"} {}", &r);
	assert_problem(&r, 400, "invalid-json", CONNECTORS);
	th_resp_free(&r);
	req("POST", CONNECTORS, NULL, &r);
	assert_problem(&r, 400, "invalid-json", CONNECTORS);
	th_resp_free(&r);
	/* The same on a change. */
	create("{\"name\":\"body-1\",\"type\":\"fixture-b\"}", id);
	put("body-1", "{\"timezone\":", NULL, &r);
	assert_problem(&r, 400, "invalid-json", CONNECTORS "/body-1");
	th_resp_free(&r);
	put("body-1", "[]", NULL, &r);
	assert_problem(&r, 400, "invalid-json", CONNECTORS "/body-1");
	th_resp_free(&r);
	put("body-1", NULL, NULL, &r);
	assert_problem(&r, 400, "invalid-json", CONNECTORS "/body-1");
	th_resp_free(&r);
	get_revision(id, 1);
	/* Over --max-body (4096). */
	memset(big, 'x', 5000);
	memcpy(big, prefix, strlen(prefix));
	memcpy(big + 4998, "\"}", 3);
	req("POST", CONNECTORS, big, &r);
	assert_problem(&r, 413, "payload-too-large", NULL);
	th_resp_free(&r);
	put("body-1", big, NULL, &r);
	assert_problem(&r, 413, "payload-too-large", NULL);
	th_resp_free(&r);
	free(big);
	ck_assert_int_eq(total_as(NULL, "filter[name]=big"), 0);
	ck_assert_int_eq(total_as(NULL, "filter[name]=arr"), 0);
	ck_assert_int_eq(total_as(NULL, "filter[name]=trail"), 0);
	get_revision(id, 1);
}
END_TEST

/* --- read ------------------------------------------------------------------------- */

START_TEST(get_by_id_and_by_name)
{
	th_resp c, a, b;
	char path[200];

	req("POST", CONNECTORS, "{\"name\":\"get-1\",\"type\":\"fixture-b\"}", &c);
	expect_status(&c, 201, "create");
	get_ok(th_str(c.json, "id"), &a);
	get_ok("get-1", &b);
	ck_assert_str_eq(a.content_type, "application/json");
	ck_assert_str_eq(a.etag, "\"1\"");
	ck_assert_str_eq(b.etag, "\"1\"");
	assert_valid_connector(a.json);
	ck_assert(json_object_equal(a.json, c.json));
	ck_assert(json_object_equal(a.json, b.json));
	th_resp_free(&a);
	th_resp_free(&b);
	th_resp_free(&c);
	req("GET", CONNECTORS "/" NO_SUCH_ID, NULL, &a);
	assert_problem(&a, 404, "not-found", CONNECTORS "/" NO_SUCH_ID);
	ck_assert_str_eq(th_str(a.json, "detail"), "no connector " NO_SUCH_ID);
	th_resp_free(&a);
	req("GET", CONNECTORS "/get-nothing", NULL, &a);
	assert_problem(&a, 404, "not-found", CONNECTORS "/get-nothing");
	th_resp_free(&a);
	/* HEAD answers like GET, without a body. */
	snprintf(path, sizeof(path), CONNECTORS "/get-1");
	req("HEAD", path, NULL, &a);
	ck_assert_int_eq(a.status, 200);
	ck_assert_str_eq(a.etag, "\"1\"");
	th_resp_free(&a);
}
END_TEST

/*
 * Every connector can be read back by the name it was created with. The
 * name "types" passes the name pattern, but GET /api/v1/connectors/types is
 * the marketplace route: the name must be refused (422 /name), or the
 * connector must be readable by it.
 */
START_TEST(every_created_name_reads_back)
{
	th_resp c, g;

	req("POST", CONNECTORS, "{\"name\":\"types\",\"type\":\"fixture-b\"}", &c);
	if (c.status == 201) {
		get_ok("types", &g);
		ck_assert_msg(th_str(g.json, "id") && strcmp(th_str(g.json, "id"),
							     th_str(c.json, "id")) == 0,
			      "created connector \"types\" (%s), GET by name answers %.200s",
			      th_str(c.json, "id"), g.body);
		th_resp_free(&g);
	} else {
		static const char *const name_ptr[] = {"/name", NULL};

		assert_invalid(&c, CONNECTORS, name_ptr);
	}
	th_resp_free(&c);
}
END_TEST

START_TEST(openapi_document)
{
	th_resp r;

	req("GET", "/api/v1/openapi.json", NULL, &r);
	expect_status(&r, 200, "openapi");
	ck_assert_ptr_nonnull(r.json);
	ck_assert_str_eq(th_str(r.json, "openapi"), "3.1.0");
	ck_assert(json_object_is_type(at(r.json, "paths"), json_type_object));
	th_resp_free(&r);
}
END_TEST

/* --- secrets ----------------------------------------------------------------------- */

START_TEST(secrets_are_masked_and_kept)
{
	static const char *const pw[] = {"/config/password", NULL};
	static const char *const var0[] = {"/variables/0/value", NULL};
	th_resp r;
	char id[64], other[64];

	create("{\"name\":\"sec-1\",\"type\":\"fixture-a\",\"type_version\":\"1.0.0\","
	       "\"config\":{\"host\":\"db\",\"port\":5432,\"password\":\"pw-sec-1\"},"
	       "\"variables\":[{\"key\":\"API_KEY\",\"value\":\"var-sec-1\",\"secret\":true},"
	       "{\"key\":\"REGION\",\"value\":\"eu\"}]}",
	       id);
	get_ok(id, &r);
	ck_assert_str_eq(th_str(at(r.json, "config"), "password"), MASK);
	ck_assert_str_eq(th_str(variable(r.json, "API_KEY"), "value"), MASK);
	ck_assert_str_eq(th_str(variable(r.json, "REGION"), "value"), "eu");
	ck_assert_ptr_null(strstr(r.body, "pw-sec-1"));
	ck_assert_ptr_null(strstr(r.body, "var-sec-1"));
	th_resp_free(&r);
	list_as(NULL, "include=variables&filter[name]=sec-1", &r);
	ck_assert_int_eq(json_object_array_length(data_of(&r)), 1);
	ck_assert_str_eq(th_str(variable(json_object_array_get_idx(data_of(&r), 0), "API_KEY"),
				"value"), MASK);
	ck_assert_ptr_null(strstr(r.body, "pw-sec-1"));
	ck_assert_ptr_null(strstr(r.body, "var-sec-1"));
	th_resp_free(&r);
	/* The mask keeps the stored value; the merged config is valid. */
	put_ok(id, "{\"config\":{\"password\":\"" MASK "\",\"port\":6543}}", &r);
	ck_assert_str_eq(th_str(at(r.json, "config"), "password"), MASK);
	ck_assert_str_eq(th_str(at(r.json, "config"), "host"), "db");
	ck_assert_int_eq(int_at(at(r.json, "config"), "port"), 6543);
	ck_assert_int_eq(int_at(r.json, "revision"), 2);
	th_resp_free(&r);
	put_ok(id, "{\"variables\":[{\"key\":\"API_KEY\",\"value\":\"" MASK "\",\"secret\":true},"
		   "{\"key\":\"REGION\",\"value\":\"us\"}]}",
	       &r);
	ck_assert_str_eq(th_str(variable(r.json, "API_KEY"), "value"), MASK);
	ck_assert_str_eq(th_str(variable(r.json, "REGION"), "value"), "us");
	th_resp_free(&r);
	/* A new secret is validated in clear (minLength 3)... */
	put(id, "{\"config\":{\"password\":\"ab\"}}", NULL, &r);
	assert_invalid(&r, NULL, pw);
	ck_assert_str_eq(message_at(&r, "/config/password"), "must be at least 3 characters long");
	th_resp_free(&r);
	get_revision(id, 3);
	/* ... null removes it, and then there is nothing for the mask to keep. */
	put_ok(id, "{\"config\":{\"password\":null}}", &r);
	ck_assert(!json_object_object_get_ex(at(r.json, "config"), "password", NULL));
	ck_assert_str_eq(th_str(at(r.json, "config"), "host"), "db");
	th_resp_free(&r);
	put(id, "{\"config\":{\"password\":\"" MASK "\"}}", NULL, &r);
	assert_invalid(&r, NULL, pw);
	ck_assert_str_eq(message_at(&r, "/config/password"),
			 "\"********\" keeps a stored secret, but none is stored");
	th_resp_free(&r);
	get_revision(id, 4);
	/* A connector that never had the secret. */
	create("{\"name\":\"sec-2\",\"type\":\"fixture-a\",\"type_version\":\"1.0.0\","
	       "\"config\":{\"host\":\"db\"}}",
	       other);
	put(other, "{\"config\":{\"password\":\"" MASK "\"}}", NULL, &r);
	assert_invalid(&r, NULL, pw);
	th_resp_free(&r);
	put(other, "{\"variables\":[{\"key\":\"NEW\",\"value\":\"" MASK "\",\"secret\":true}]}",
	    NULL, &r);
	assert_invalid(&r, NULL, var0);
	th_resp_free(&r);
	get_revision(other, 1);
}
END_TEST

/* --- change ------------------------------------------------------------------------- */

/* Changes @p id (a date_format change, up to 500 times, the clock having
 * millisecond resolution) until updated_at moves past created_at; it never
 * goes back, and created_at never moves. Ends at date_format "YYYY-MM-DD". */
static void assert_updated_at_moves(const char *id)
{
	char created[64], last[64];
	int moved = 0;
	th_resp r;

	get_ok(id, &r);
	snprintf(created, sizeof(created), "%s", th_str(r.json, "created_at"));
	snprintf(last, sizeof(last), "%s", th_str(r.json, "updated_at"));
	th_resp_free(&r);
	for (int i = 0; i < 500 && !moved; i++) {
		put_ok(id, i % 2 ? "{\"date_format\":\"YYYY-MM-DD\"}" : "{\"date_format\":\"YY\"}",
		       &r);
		ck_assert_str_eq(th_str(r.json, "created_at"), created);
		ck_assert_str_ge(th_str(r.json, "updated_at"), last);
		snprintf(last, sizeof(last), "%s", th_str(r.json, "updated_at"));
		moved = strcmp(last, created) > 0 && i % 2;
		th_resp_free(&r);
	}
	ck_assert_msg(moved, "updated_at stayed %s after 500 changes", created);
}

START_TEST(change_merges_and_validates_the_whole)
{
	static const char *const port[] = {"/config/port", NULL};
	static const char *const host_ptr[] = {"/config/host", NULL};
	static const char *const type[] = {"/type", NULL};
	static const char *const version[] = {"/type_version", NULL};
	static const char *const owned[] = {"/id", "/status", "/revision", "/bogus", NULL};
	static const char *const misc[] = {"/rate_limit/unit", "/timezone", "/variables/1/key",
					   "/name", NULL};
	th_resp r, before;
	char id[64];

	create("{\"name\":\"chg-1\",\"type\":\"fixture-a\",\"type_version\":\"1.0.0\","
	       "\"config\":{\"host\":\"db\"}}",
	       id);
	get_ok(id, &before);
	put_ok(id, "{\"config\":{\"port\":5432}}", &r);
	assert_valid_connector(r.json);
	ck_assert_str_eq(r.etag, "\"2\"");
	ck_assert_int_eq(int_at(r.json, "revision"), 2);
	ck_assert_str_eq(th_str(at(r.json, "config"), "host"), "db");
	ck_assert_int_eq(int_at(at(r.json, "config"), "port"), 5432);
	ck_assert_str_eq(th_str(r.json, "created_at"), th_str(before.json, "created_at"));
	ck_assert_str_ge(th_str(r.json, "updated_at"), th_str(before.json, "updated_at"));
	ck_assert_str_eq(th_str(r.json, "id"), id);
	th_resp_free(&r);
	th_resp_free(&before);
	get_ok(id, &r);
	ck_assert_str_eq(r.etag, "\"2\"");
	ck_assert_int_eq(int_at(at(r.json, "config"), "port"), 5432);
	th_resp_free(&r);
	/* Failures change nothing. */
	put(id, "{\"config\":{\"port\":70000}}", NULL, &r);
	assert_invalid(&r, NULL, port);
	ck_assert_str_eq(message_at(&r, "/config/port"), "must be at most 65535");
	th_resp_free(&r);
	put(id, "{\"config\":{\"host\":null}}", NULL, &r);
	assert_invalid(&r, NULL, host_ptr);
	th_resp_free(&r);
	put(id, "{\"type\":\"fixture-b\"}", NULL, &r);
	assert_invalid(&r, NULL, type);
	th_resp_free(&r);
	put(id, "{\"type_version\":\"1.1.0\"}", NULL, &r);
	assert_invalid(&r, NULL, version);
	th_resp_free(&r);
	put(id, "{\"id\":\"con_x\",\"status\":\"RUNNING\",\"revision\":9,\"bogus\":true}", NULL,
	    &r);
	assert_invalid(&r, NULL, owned);
	th_resp_free(&r);
	put(id, "{\"rate_limit\":{\"unit\":\"fortnight\",\"duration\":1},"
		"\"timezone\":\"Nowhere/X\","
		"\"variables\":[{\"key\":\"A\"},{\"key\":\"A\"}],\"name\":\"" NO_SUCH_ID "\"}",
	    NULL, &r);
	assert_invalid(&r, NULL, misc);
	th_resp_free(&r);
	get_ok(id, &r);
	ck_assert_int_eq(int_at(r.json, "revision"), 2);
	ck_assert_int_eq(int_at(at(r.json, "config"), "port"), 5432);
	ck_assert_str_eq(th_str(r.json, "type"), "fixture-a");
	ck_assert_str_eq(th_str(r.json, "timezone"), "UTC");
	th_resp_free(&r);
	/* The same type and version may be repeated. */
	put_ok(id, "{\"type\":\"fixture-a\",\"type_version\":\"1.0.0\",\"timezone\":\"Asia/Tokyo\","
		   "\"rate_limit\":{\"unit\":\"hour\",\"duration\":100},\"date_format\":\"YYYY\"}",
	       &r);
	ck_assert_str_eq(th_str(r.json, "timezone"), "Asia/Tokyo");
	ck_assert_str_eq(th_str(r.json, "date_format"), "YYYY");
	ck_assert_str_eq(th_str(at(r.json, "rate_limit"), "unit"), "hour");
	ck_assert_int_eq(int_at(at(r.json, "config"), "port"), 5432); /* untouched */
	ck_assert_int_eq(int_at(r.json, "revision"), 3);
	th_resp_free(&r);
	/* config null: no configuration, back to CREATED; and forth. */
	put_ok(id, "{\"config\":null,\"rate_limit\":null}", &r);
	ck_assert_ptr_null(at(r.json, "config"));
	ck_assert_ptr_null(at(r.json, "rate_limit"));
	ck_assert_str_eq(th_str(r.json, "status"), "CREATED");
	th_resp_free(&r);
	put_ok(id, "{\"config\":{\"host\":\"db2\"}}", &r);
	ck_assert_str_eq(th_str(r.json, "status"), "CONFIGURED");
	ck_assert_str_eq(th_str(at(r.json, "config"), "host"), "db2");
	ck_assert(!json_object_object_get_ex(at(r.json, "config"), "port", NULL));
	ck_assert_str_eq(r.etag, "\"5\"");
	th_resp_free(&r);
	get_revision(id, 5);
	create("{\"name\":\"chg-time\",\"type\":\"fixture-b\"}", id);
	assert_updated_at_moves(id);
}
END_TEST

START_TEST(change_with_if_match)
{
	th_resp r;
	char id[64];

	create("{\"name\":\"ifm-1\",\"type\":\"fixture-b\"}", id);
	put_ok(id, "{\"timezone\":\"Europe/Berlin\"}", &r);
	ck_assert_str_eq(r.etag, "\"2\"");
	th_resp_free(&r);
	/* A stale ETag: 412, nothing changed. */
	put(id, "{\"timezone\":\"Europe/Rome\"}", "\"1\"", &r);
	assert_problem(&r, 412, "precondition-failed", NULL);
	ck_assert_str_eq(r.etag, "\"2\"");
	th_resp_free(&r);
	put("ifm-1", "{\"timezone\":\"Europe/Rome\"}", "\"1\"", &r);
	assert_problem(&r, 412, "precondition-failed", CONNECTORS "/ifm-1");
	ck_assert_str_eq(r.etag, "\"2\"");
	th_resp_free(&r);
	put(id, "{\"timezone\":\"Europe/Rome\"}", "\"3\"", &r);
	assert_problem(&r, 412, "precondition-failed", NULL);
	th_resp_free(&r);
	get_ok(id, &r);
	ck_assert_int_eq(int_at(r.json, "revision"), 2);
	ck_assert_str_eq(th_str(r.json, "timezone"), "Europe/Berlin");
	th_resp_free(&r);
	/* The current ETag (strong or weak) or "*": 200. */
	put(id, "{\"timezone\":\"Europe/Rome\"}", "\"2\"", &r);
	expect_status(&r, 200, "If-Match current");
	ck_assert_str_eq(r.etag, "\"3\"");
	ck_assert_str_eq(th_str(r.json, "timezone"), "Europe/Rome");
	th_resp_free(&r);
	put(id, "{\"timezone\":\"Europe/Oslo\"}", "W/\"3\"", &r);
	expect_status(&r, 200, "If-Match weak current");
	ck_assert_str_eq(r.etag, "\"4\"");
	th_resp_free(&r);
	put(id, "{\"timezone\":\"Europe/Madrid\"}", "*", &r);
	expect_status(&r, 200, "If-Match *");
	ck_assert_str_eq(r.etag, "\"5\"");
	th_resp_free(&r);
	/* Malformed If-Match: 400, nothing changed. */
	put(id, "{\"timezone\":\"UTC\"}", "5", &r);
	assert_problem(&r, 400, "invalid-header", NULL);
	th_resp_free(&r);
	put(id, "{\"timezone\":\"UTC\"}", "\"abc\"", &r);
	assert_problem(&r, 400, "invalid-header", NULL);
	th_resp_free(&r);
	put(id, "{\"timezone\":\"UTC\"}", "\"5", &r);
	assert_problem(&r, 400, "invalid-header", NULL);
	th_resp_free(&r);
	get_ok(id, &r);
	ck_assert_int_eq(int_at(r.json, "revision"), 5);
	ck_assert_str_eq(th_str(r.json, "timezone"), "Europe/Madrid");
	th_resp_free(&r);
}
END_TEST

START_TEST(rename_connector)
{
	static const char *const name_ptr[] = {"/name", NULL};
	th_resp r;
	char id[64], other[64];

	create("{\"name\":\"ren-1\",\"type\":\"fixture-b\"}", id);
	create("{\"name\":\"ren-2\",\"type\":\"fixture-b\"}", other);
	put_ok("ren-1", "{\"name\":\"ren-1b\"}", &r);
	ck_assert_str_eq(th_str(r.json, "name"), "ren-1b");
	ck_assert_str_eq(th_str(r.json, "id"), id);
	th_resp_free(&r);
	req("GET", CONNECTORS "/ren-1", NULL, &r);
	assert_problem(&r, 404, "not-found", CONNECTORS "/ren-1");
	th_resp_free(&r);
	get_ok("ren-1b", &r);
	ck_assert_str_eq(th_str(r.json, "id"), id);
	th_resp_free(&r);
	/* A taken name: 409, nothing changed. */
	put(id, "{\"name\":\"ren-2\",\"timezone\":\"Europe/Paris\"}", NULL, &r);
	assert_problem(&r, 409, "already-exists", NULL);
	th_resp_free(&r);
	get_ok(id, &r);
	ck_assert_str_eq(th_str(r.json, "name"), "ren-1b");
	ck_assert_str_eq(th_str(r.json, "timezone"), "UTC");
	ck_assert_int_eq(int_at(r.json, "revision"), 2);
	th_resp_free(&r);
	get_ok("ren-2", &r);
	ck_assert_str_eq(th_str(r.json, "id"), other);
	th_resp_free(&r);
	/* Names that are not names. */
	put(id, "{\"name\":\"Ren 3\"}", NULL, &r);
	assert_invalid(&r, NULL, name_ptr);
	th_resp_free(&r);
	put(id, "{\"name\":\"" NO_SUCH_ID "\"}", NULL, &r);
	assert_invalid(&r, NULL, name_ptr);
	th_resp_free(&r);
	get_revision(id, 2);
}
END_TEST

/* --- delete ----------------------------------------------------------------------------- */

START_TEST(delete_connector)
{
	char token[128], id[64], path[200];
	th_resp r;

	new_account("del-acct", 0, token);
	create_as(token, "{\"name\":\"del-1\",\"type\":\"fixture-b\"}", id);
	create_as(token, "{\"name\":\"del-2\",\"type\":\"fixture-b\"}", (char[64]){0});
	ck_assert_int_eq(total_as(token, ""), 2);
	snprintf(path, sizeof(path), CONNECTORS "/%s", id);
	send_req(token, "DELETE", path, NULL, "If-Match: \"7\"", NULL, &r);
	assert_problem(&r, 412, "precondition-failed", path);
	ck_assert_str_eq(r.etag, "\"1\"");
	th_resp_free(&r);
	send_req(token, "DELETE", path, NULL, "If-Match: one", NULL, &r);
	assert_problem(&r, 400, "invalid-header", path);
	th_resp_free(&r);
	ck_assert_int_eq(total_as(token, ""), 2);
	send_req(token, "GET", path, NULL, NULL, NULL, &r);
	expect_status(&r, 200, "still there");
	th_resp_free(&r);
	send_req(token, "DELETE", path, NULL, "If-Match: \"1\"", NULL, &r);
	expect_status(&r, 204, "delete");
	ck_assert(r.body == NULL || r.body_len == 0);
	th_resp_free(&r);
	send_req(token, "GET", path, NULL, NULL, NULL, &r);
	assert_problem(&r, 404, "not-found", path);
	th_resp_free(&r);
	send_req(token, "DELETE", path, NULL, NULL, NULL, &r);
	assert_problem(&r, 404, "not-found", path);
	th_resp_free(&r);
	ck_assert_int_eq(total_as(token, ""), 1);
	/* By name, without If-Match. */
	send_req(token, "DELETE", CONNECTORS "/del-2", NULL, NULL, NULL, &r);
	expect_status(&r, 204, "delete by name");
	th_resp_free(&r);
	send_req(token, "GET", CONNECTORS "/del-2", NULL, NULL, NULL, &r);
	assert_problem(&r, 404, "not-found", CONNECTORS "/del-2");
	th_resp_free(&r);
	ck_assert_int_eq(total_as(token, ""), 0);
	/* The name is free again. */
	create_as(token, "{\"name\":\"del-1\",\"type\":\"fixture-b\"}", (char[64]){0});
	ck_assert_int_eq(total_as(token, ""), 1);
}
END_TEST

/* --- accounts ----------------------------------------------------------------------------- */

/* @p got (another account's connector) answers exactly like @p missing. */
static void assert_same_not_found(const th_resp *got, const th_resp *missing, const char *path)
{
	assert_problem(got, 404, "not-found", path);
	assert_problem(missing, 404, "not-found", NULL);
	ck_assert_str_eq(th_str(got->json, "type"), th_str(missing->json, "type"));
	ck_assert_str_eq(th_str(got->json, "title"), th_str(missing->json, "title"));
	ck_assert_int_eq(int_at(got->json, "status"), int_at(missing->json, "status"));
	ck_assert_int_eq(json_object_object_length(got->json),
			 json_object_object_length(missing->json));
	ck_assert_str_eq(got->etag, "");
}

START_TEST(other_accounts_connectors_do_not_exist)
{
	static const char *const methods[][2] = {
		{"GET", NULL}, {"PUT", "{\"timezone\":\"Europe/Paris\"}"}, {"DELETE", NULL},
	};
	char token[128], admin[128], id[64], path[200], missing[200];
	th_resp r, m;

	new_account("iso-other", 0, token);
	new_account("iso-admin", 1, admin);
	create("{\"name\":\"iso-1\",\"type\":\"fixture-a\",\"type_version\":\"1.0.0\","
	       "\"config\":{\"host\":\"h\",\"password\":\"iso-pw\"}}",
	       id);
	for (size_t i = 0; i < 3; i++) {
		for (int by_name = 0; by_name < 2; by_name++) {
			const char *tokens[] = {token, admin};

			snprintf(path, sizeof(path), CONNECTORS "/%s", by_name ? "iso-1" : id);
			snprintf(missing, sizeof(missing), CONNECTORS "/%s",
				 by_name ? "iso-none" : NO_SUCH_ID);
			for (int t = 0; t < 2; t++) {
				send_req(tokens[t], methods[i][0], path, methods[i][1], NULL, NULL,
					 &r);
				send_req(tokens[t], methods[i][0], missing, methods[i][1], NULL,
					 NULL, &m);
				assert_same_not_found(&r, &m, path);
				th_resp_free(&r);
				th_resp_free(&m);
				/* With If-Match too: still 404, not 412. */
				send_req(tokens[t], methods[i][0], path, methods[i][1],
					 "If-Match: \"9\"", NULL, &r);
				if (strcmp(methods[i][0], "GET") != 0)
					assert_problem(&r, 404, "not-found", path);
				th_resp_free(&r);
			}
		}
	}
	/* Nothing happened to it. */
	get_ok(id, &r);
	ck_assert_int_eq(int_at(r.json, "revision"), 1);
	ck_assert_str_eq(th_str(r.json, "timezone"), "UTC");
	th_resp_free(&r);
	/* The other account's list does not show it, whatever the filter. */
	ck_assert_int_eq(total_as(token, ""), 0);
	ck_assert_int_eq(total_as(token, "filter[name]=iso"), 0);
	ck_assert_int_eq(total_as(token, "filter[type]=fixture-a&include=type,variables"), 0);
	ck_assert_int_eq(total_as(admin, ""), 0);
	/* POST /connectors/{its id}: answered as for any id-like name. */
	snprintf(path, sizeof(path), CONNECTORS "/%s", id);
	send_req(token, "POST", path, "{\"type\":\"fixture-b\"}", NULL, NULL, &r);
	send_req(token, "POST", CONNECTORS "/" NO_SUCH_ID, "{\"type\":\"fixture-b\"}", NULL, NULL,
		 &m);
	assert_problem(&r, 422, "validation-failed", path);
	ck_assert_str_eq(th_str(r.json, "type"), th_str(m.json, "type"));
	ck_assert(json_object_equal(at(r.json, "errors"), at(m.json, "errors")));
	th_resp_free(&r);
	th_resp_free(&m);
	/* The same name in another account is another connector. */
	send_req(token, "POST", CONNECTORS "/iso-1", "{\"type\":\"fixture-b\"}", NULL, NULL, &r);
	expect_status(&r, 201, "same name, other account");
	ck_assert_str_ne(th_str(r.json, "id"), id);
	th_resp_free(&r);
	send_req(token, "POST", CONNECTORS, "{\"name\":\"iso-1\",\"type\":\"fixture-b\"}", NULL,
		 NULL, &r);
	assert_problem(&r, 409, "already-exists", CONNECTORS); /* now taken there */
	th_resp_free(&r);
	send_req(token, "GET", CONNECTORS "/iso-1", NULL, NULL, NULL, &r);
	expect_status(&r, 200, "other's own");
	ck_assert_str_ne(th_str(r.json, "id"), id);
	ck_assert_str_eq(th_str(r.json, "type"), "fixture-b");
	th_resp_free(&r);
	get_ok("iso-1", &r);
	ck_assert_str_eq(th_str(r.json, "id"), id);
	ck_assert_str_eq(th_str(r.json, "type"), "fixture-a");
	th_resp_free(&r);
	ck_assert_int_eq(total_as(NULL, "filter[name]=iso-1"), 1);
	ck_assert_int_eq(total_as(token, ""), 1);
}
END_TEST

/* --- Idempotency-Key ------------------------------------------------------------------------ */

START_TEST(idempotent_create)
{
	const char *body = "{\"name\":\"idem-1\",\"type\":\"fixture-b\",\"config\":{\"a\":1}}";
	const char *key = "Idempotency-Key: idem-key-1";
	char token[128], long_key[300];
	th_resp a, b, c;

	send_req(NULL, "POST", CONNECTORS, body, key, NULL, &a);
	expect_status(&a, 201, "first");
	ck_assert_str_eq(a.replayed, "");
	send_req(NULL, "POST", CONNECTORS, body, key, NULL, &b);
	expect_status(&b, 201, "repeat");
	ck_assert_str_eq(b.replayed, "true");
	ck_assert_str_eq(b.location, a.location);
	/* the replay carries the first answer's ETag too */
	ck_assert_str_eq(a.etag, "\"1\"");
	ck_assert_str_eq(b.etag, a.etag);
	ck_assert_str_eq(th_str(b.json, "id"), th_str(a.json, "id"));
	ck_assert_msg(json_object_equal(a.json, b.json), "%.600s\n%.600s", a.body, b.body);
	ck_assert_int_eq(total_as(NULL, "filter[name]=idem-1"), 1);
	/* Again, after the connector changed: still the first answer. */
	put(th_str(a.json, "id"), "{\"timezone\":\"Europe/Paris\"}", NULL, &c);
	expect_status(&c, 200, "change");
	th_resp_free(&c);
	send_req(NULL, "POST", CONNECTORS, body, key, NULL, &c);
	expect_status(&c, 201, "third");
	ck_assert_str_eq(c.replayed, "true");
	ck_assert(json_object_equal(a.json, c.json));
	ck_assert_str_eq(c.etag, "\"1\""); /* the first answer's, not the connector's now */
	ck_assert_str_eq(c.location, a.location);
	th_resp_free(&c);
	/* The same key with another body (or path): refused. */
	send_req(NULL, "POST", CONNECTORS, "{\"name\":\"idem-2\",\"type\":\"fixture-b\"}", key,
		 NULL, &c);
	assert_problem(&c, 422, "idempotency-key-reused", CONNECTORS);
	th_resp_free(&c);
	send_req(NULL, "POST", CONNECTORS "/idem-2", body, key, NULL, &c);
	assert_problem(&c, 422, "idempotency-key-reused", CONNECTORS "/idem-2");
	th_resp_free(&c);
	ck_assert_int_eq(total_as(NULL, "filter[name]=idem-2"), 0);
	ck_assert_int_eq(total_as(NULL, "filter[name]=idem-1"), 1);
	/* Keys belong to an account. */
	new_account("idem-other", 0, token);
	send_req(token, "POST", CONNECTORS, body, key, NULL, &c);
	expect_status(&c, 201, "other account, same key");
	ck_assert_str_eq(c.replayed, "");
	ck_assert_str_ne(th_str(c.json, "id"), th_str(a.json, "id"));
	th_resp_free(&c);
	ck_assert_int_eq(total_as(token, ""), 1);
	/* A failed request stores nothing under its key. */
	send_req(NULL, "POST", CONNECTORS, "{\"name\":\"idem-3\",\"type\":\"nope\"}",
		 "Idempotency-Key: idem-key-3", NULL, &c);
	assert_problem(&c, 422, "validation-failed", CONNECTORS);
	th_resp_free(&c);
	send_req(NULL, "POST", CONNECTORS, "{\"name\":\"idem-3\",\"type\":\"fixture-b\"}",
		 "Idempotency-Key: idem-key-3", NULL, &c);
	expect_status(&c, 201, "after a failure");
	ck_assert_str_eq(c.replayed, "");
	th_resp_free(&c);
	/* Keys of 1 to 255 characters. */
	memcpy(long_key, "Idempotency-Key: ", 17);
	memset(long_key + 17, 'k', 256);
	long_key[17 + 256] = '\0';
	send_req(NULL, "POST", CONNECTORS, "{\"name\":\"idem-4\",\"type\":\"fixture-b\"}", long_key,
		 NULL, &c);
	assert_problem(&c, 400, "invalid-header", CONNECTORS);
	th_resp_free(&c);
	long_key[17 + 255] = '\0';
	send_req(NULL, "POST", CONNECTORS, "{\"name\":\"idem-4\",\"type\":\"fixture-b\"}", long_key,
		 NULL, &c);
	expect_status(&c, 201, "255-character key");
	th_resp_free(&c);
	th_resp_free(&a);
	th_resp_free(&b);
}
END_TEST

/* Concurrent retries of one create (a client that timed out and retried
 * while the first attempt was still running) are one create: every answer
 * is 201 with the same connector, never "a connector named ... exists". */

#define RACERS 8
#define RACE_ROUNDS 100

struct racer {
	char *body;
	size_t len;
};

static size_t racer_data(char *data, size_t size, size_t nmemb, void *cls)
{
	struct racer *r = cls;
	size_t n = size * nmemb;
	char *p = realloc(r->body, r->len + n + 1);

	if (!p)
		return 0;
	memcpy(p + r->len, data, n);
	r->body = p;
	r->len += n;
	r->body[r->len] = '\0';
	return n;
}

/* Sends @p body to POST /connectors of @p h from RACERS connections at
 * once; their statuses in @p status, their bodies in @p racers. */
static void race(const th_host *h, const char *body, const char *key, long status[RACERS],
		 struct racer racers[RACERS])
{
	CURLM *multi = curl_multi_init();
	CURL *easy[RACERS];
	struct curl_slist *headers = NULL;
	char url[300], auth[200], idem[100];
	int running = 1;

	snprintf(url, sizeof(url), "%s" CONNECTORS, h->url);
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", h->token);
	snprintf(idem, sizeof(idem), "Idempotency-Key: %s", key);
	headers = curl_slist_append(headers, auth);
	headers = curl_slist_append(headers, idem);
	headers = curl_slist_append(headers, "Content-Type: application/json");
	for (int i = 0; i < RACERS; i++) {
		memset(&racers[i], 0, sizeof(racers[i]));
		easy[i] = curl_easy_init();
		curl_easy_setopt(easy[i], CURLOPT_URL, url);
		curl_easy_setopt(easy[i], CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(easy[i], CURLOPT_HTTPHEADER, headers);
		curl_easy_setopt(easy[i], CURLOPT_FRESH_CONNECT, 1L);
		curl_easy_setopt(easy[i], CURLOPT_FORBID_REUSE, 1L);
		curl_easy_setopt(easy[i], CURLOPT_TIMEOUT, 30L);
		curl_easy_setopt(easy[i], CURLOPT_WRITEFUNCTION, racer_data);
		curl_easy_setopt(easy[i], CURLOPT_WRITEDATA, &racers[i]);
		curl_multi_add_handle(multi, easy[i]);
	}
	/* Bounded: every transfer ends within its 30 s timeout. */
	for (int spins = 0; running && spins < 100000; spins++) {
		ck_assert_int_eq(curl_multi_perform(multi, &running), CURLM_OK);
		if (running)
			ck_assert_int_eq(curl_multi_poll(multi, NULL, 0, 1000, NULL), CURLM_OK);
	}
	ck_assert_int_eq(running, 0);
	for (int i = 0; i < RACERS; i++) {
		status[i] = 0;
		curl_easy_getinfo(easy[i], CURLINFO_RESPONSE_CODE, &status[i]);
		curl_multi_remove_handle(multi, easy[i]);
		curl_easy_cleanup(easy[i]);
	}
	curl_slist_free_all(headers);
	curl_multi_cleanup(multi);
}

START_TEST(idempotent_create_under_concurrency)
{
	static const char *const extra[] = {"--threads", "8", NULL};
	struct racer racers[RACERS];
	long status[RACERS];
	char body[300], key[64], path[128];
	int conflicts = 0, others = 0, split = 0, totals = 0, stopped;
	th_host h;
	th_resp r;

	/* Counts what goes wrong and asserts after the host is stopped, so a
	 * failure does not leave it running. */
	th_start(&h, CH_TEST_FIXTURES, extra);
	for (int round = 0; round < RACE_ROUNDS; round++) {
		json_object *first = NULL;

		snprintf(body, sizeof(body),
			 "{\"name\":\"race-%d\",\"type\":\"fixture-a\",\"type_version\":\"1.0.0\","
			 "\"config\":{\"host\":\"h\",\"password\":\"race-pw\"}}",
			 round);
		snprintf(key, sizeof(key), "race-key-%d", round);
		race(&h, body, key, status, racers);
		for (int i = 0; i < RACERS; i++) {
			json_object *j = racers[i].body ? json_tokener_parse(racers[i].body) : NULL;

			conflicts += status[i] == 409;
			others += status[i] != 409 && status[i] != 201;
			if (status[i] == 201 && !first)
				first = json_object_get(j);
			else if (status[i] == 201 && strcmp(th_str(j, "id"), th_str(first, "id")) != 0)
				split++; /* two connectors for one key */
			if (status[i] != 201 && conflicts + others <= 3)
				fprintf(stderr, "round %d racer %d: %ld %s\n", round, i, status[i],
					racers[i].body ? racers[i].body : "");
			json_object_put(j);
			free(racers[i].body);
		}
		json_object_put(first);
		snprintf(path, sizeof(path), CONNECTORS "?filter[name]=race-%d", round);
		if (th_request(&h, "GET", path, NULL, NULL, &r) != 0 || r.status != 200 ||
		    meta(&r, "total") != 1)
			totals++;
		th_resp_free(&r);
	}
	stopped = th_stop(&h);
	ck_assert_msg(conflicts == 0 && others == 0,
		      "%d of %d concurrent retries answered 409, %d another error, instead of "
		      "replaying the create",
		      conflicts, RACERS * RACE_ROUNDS, others);
	ck_assert_msg(split == 0, "%d answers named another connector than the first", split);
	ck_assert_msg(totals == 0, "%d rounds did not leave exactly one connector", totals);
	ck_assert_int_eq(stopped, 0);
}
END_TEST

/* --- list --------------------------------------------------------------------------------- */

#define PAGER_COUNT 23

static const char *const sort_names[] = {"name",       "-name",       "created_at",
					 "-created_at", "updated_at", "-updated_at"};

/* Asserts @p list (connectors) is in the order of @p sort: by the field,
 * then by id. */
static void assert_sorted(json_object *list, const char *sort)
{
	int desc = sort[0] == '-';
	const char *field = sort + desc;

	for (size_t i = 1; i < json_object_array_length(list); i++) {
		json_object *a = json_object_array_get_idx(list, i - 1);
		json_object *b = json_object_array_get_idx(list, i);
		int cmp = strcmp(th_str(a, field), th_str(b, field));

		if (cmp == 0)
			cmp = strcmp(th_str(a, "id"), th_str(b, "id"));
		ck_assert_msg(desc ? cmp > 0 : cmp < 0,
			      "sort=%s: item %zu (%s %s) before %zu (%s %s)", sort, i - 1,
			      th_str(a, field), th_str(a, "id"), i, th_str(b, field),
			      th_str(b, "id"));
	}
}

/* Pages through @p query with @p per_page; every page must be the slice of
 * @p full it stands for, and the page after the last empty. */
static void assert_pages(const char *token, const char *query, json_object *full, size_t per_page)
{
	size_t total = json_object_array_length(full), pages = (total + per_page - 1) / per_page;
	char q[400];
	th_resp r;

	for (size_t page = 1; page <= pages + 1; page++) {
		size_t start = (page - 1) * per_page;
		size_t left = start >= total ? 0 : total - start;
		size_t want = left < per_page ? left : per_page;
		json_object *data;

		snprintf(q, sizeof(q), "%s%sper_page=%zu&page=%zu", query, query[0] ? "&" : "",
			 per_page, page);
		list_as(token, q, &r);
		data = data_of(&r);
		ck_assert_msg(json_object_array_length(data) == want, "%s: %zu items, expected %zu",
			      q, json_object_array_length(data), want);
		ck_assert_int_eq(meta(&r, "total"), total);
		ck_assert_int_eq(meta(&r, "page"), page);
		ck_assert_int_eq(meta(&r, "per_page"), per_page);
		for (size_t i = 0; i < want; i++) {
			const char *got = th_str(json_object_array_get_idx(data, i), "id");
			const char *exp = th_str(json_object_array_get_idx(full, start + i), "id");

			ck_assert_msg(strcmp(got, exp) == 0, "%s: item %zu is %s, expected %s", q,
				      i, got, exp);
		}
		th_resp_free(&r);
	}
}

/* The whole list of @p query in one page (at most 100). */
static void whole_list(const char *token, const char *query, th_resp *r)
{
	char q[400];

	snprintf(q, sizeof(q), "%s%sper_page=100", query, query[0] ? "&" : "");
	list_as(token, q, r);
	ck_assert_int_eq(meta(r, "total"), json_object_array_length(data_of(r)));
}

START_TEST(list_pages_in_every_order)
{
	static const size_t per_pages[] = {5, 1, 4, 7, 11, 12, 22, 23, 100};
	char token[128], ids[PAGER_COUNT][64], body[200], q[64];
	th_resp r;

	new_account("pager", 0, token);
	/* Names out of creation order, and changes out of both. */
	for (int i = 0; i < PAGER_COUNT; i++) {
		snprintf(body, sizeof(body), "{\"name\":\"p%02d\",\"type\":\"fixture-%c\"}",
			 (i * 7) % PAGER_COUNT, i % 3 ? 'a' : 'b');
		create_as(token, body, ids[i]);
	}
	for (int i = 0; i < 10; i++) {
		char path[100];

		snprintf(path, sizeof(path), CONNECTORS "/%s", ids[(i * 5 + 3) % PAGER_COUNT]);
		send_req(token, "PUT", path, "{\"date_format\":\"DD.MM.YYYY\"}", NULL, NULL, &r);
		expect_status(&r, 200, path);
		th_resp_free(&r);
	}
	for (size_t s = 0; s < sizeof(sort_names) / sizeof(sort_names[0]); s++) {
		json_object *full;

		snprintf(q, sizeof(q), "sort=%s", sort_names[s]);
		whole_list(token, q, &r);
		full = data_of(&r);
		ck_assert_int_eq(json_object_array_length(full), PAGER_COUNT);
		assert_sorted(full, sort_names[s]);
		/* Every connector once. */
		for (int i = 0; i < PAGER_COUNT; i++) {
			int hits = 0;

			for (size_t j = 0; j < PAGER_COUNT; j++)
				hits += strcmp(th_str(json_object_array_get_idx(full, j), "id"),
					       ids[i]) == 0;
			ck_assert_int_eq(hits, 1);
		}
		for (size_t p = 0; p < sizeof(per_pages) / sizeof(per_pages[0]); p++)
			assert_pages(token, q, full, per_pages[p]);
		th_resp_free(&r);
	}
	/* The default order is by name; meta defaults to page 1 of 25. */
	list_as(token, "", &r);
	ck_assert_int_eq(meta(&r, "page"), 1);
	ck_assert_int_eq(meta(&r, "per_page"), 25);
	ck_assert_int_eq(meta(&r, "total"), PAGER_COUNT);
	ck_assert_int_eq(json_object_array_length(data_of(&r)), PAGER_COUNT);
	assert_sorted(data_of(&r), "name");
	th_resp_free(&r);
	/* Far past the end. */
	list_as(token, "per_page=5&page=1000000", &r);
	ck_assert_int_eq(json_object_array_length(data_of(&r)), 0);
	ck_assert_int_eq(meta(&r, "total"), PAGER_COUNT);
	th_resp_free(&r);
	/* A deletion in the middle: the pages close the gap. */
	send_req(token, "DELETE", CONNECTORS "/p11", NULL, NULL, NULL, &r);
	expect_status(&r, 204, "delete p11");
	th_resp_free(&r);
	for (size_t s = 0; s < sizeof(sort_names) / sizeof(sort_names[0]); s++) {
		snprintf(q, sizeof(q), "sort=%s", sort_names[s]);
		whole_list(token, q, &r);
		ck_assert_int_eq(json_object_array_length(data_of(&r)), PAGER_COUNT - 1);
		assert_sorted(data_of(&r), sort_names[s]);
		assert_pages(token, q, data_of(&r), 5);
		th_resp_free(&r);
	}
}
END_TEST

/* The names of a list, comma-separated. */
static void names_of(const th_resp *r, char *out, size_t len)
{
	json_object *data = data_of(r);
	size_t used = 0;

	out[0] = '\0';
	for (size_t i = 0; i < json_object_array_length(data) && used < len; i++)
		used += (size_t)snprintf(out + used, len - used, "%s%s", i ? "," : "",
					 th_str(json_object_array_get_idx(data, i), "name"));
}

static void assert_names(const char *token, const char *query, const char *want, int64_t total)
{
	char got[1024];
	th_resp r;

	list_as(token, query, &r);
	names_of(&r, got, sizeof(got));
	ck_assert_msg(strcmp(got, want) == 0, "%s: [%s], expected [%s]", query, got, want);
	ck_assert_int_eq(meta(&r, "total"), total);
	th_resp_free(&r);
}

START_TEST(list_filters)
{
	static const char *const names[] = {"al",     "alpha-1", "alpha-2", "alps",   "b-1",
					    "b.2",    "beta",    "zeta",    "alpha_3", "al-x"};
	char token[128], body[300];

	new_account("filters", 0, token);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (i % 3 == 0)
			snprintf(body, sizeof(body), "{\"name\":\"%s\",\"type\":\"fixture-b\"}",
				 names[i]);
		else if (i % 3 == 1)
			snprintf(body, sizeof(body),
				 "{\"name\":\"%s\",\"type\":\"fixture-a\","
				 "\"config\":{\"host\":\"h\"}}",
				 names[i]);
		else
			snprintf(body, sizeof(body), "{\"name\":\"%s\",\"type\":\"fixture-a\"}",
				 names[i]);
		create_as(token, body, (char[64]){0});
	}
	/* b: al, alps, beta, al-x; a configured: alpha-1, b-1, zeta; a created: alpha-2, b.2,
	 * alpha_3 */
	assert_names(token, "filter[type]=fixture-b", "al,al-x,alps,beta", 4);
	assert_names(token, "filter[type]=fixture-a&sort=-name",
		     "zeta,b.2,b-1,alpha_3,alpha-2,alpha-1", 6);
	assert_names(token, "filter[status]=CONFIGURED", "alpha-1,b-1,zeta", 3);
	assert_names(token, "filter[status]=CREATED", "al,al-x,alpha-2,alpha_3,alps,b.2,beta", 7);
	assert_names(token, "filter[status]=CREATED&filter[type]=fixture-a", "alpha-2,alpha_3,b.2",
		     3);
	assert_names(token, "filter[name]=al", "al,al-x,alpha-1,alpha-2,alpha_3,alps", 6);
	assert_names(token, "filter[name]=alpha", "alpha-1,alpha-2,alpha_3", 3);
	assert_names(token, "filter[name]=alpha-", "alpha-1,alpha-2", 2);
	assert_names(token, "filter[name]=b", "b-1,b.2,beta", 3);
	assert_names(token, "filter[name]=zeta", "zeta", 1);
	assert_names(token, "filter[name]=zz", "", 0);
	assert_names(token, "filter[name]=l", "", 0); /* a prefix, not a substring */
	assert_names(token, "filter[type]=nope", "", 0);
	assert_names(token, "filter[name]=al&filter[type]=fixture-b&filter[status]=CREATED",
		     "al,al-x,alps", 3);
	/* Filtered pages, from both ends. */
	assert_names(token, "filter[name]=al&per_page=2&page=1", "al,al-x", 6);
	assert_names(token, "filter[name]=al&per_page=2&page=2", "alpha-1,alpha-2", 6);
	assert_names(token, "filter[name]=al&per_page=2&page=3", "alpha_3,alps", 6);
	assert_names(token, "filter[name]=al&per_page=4&page=2", "alpha_3,alps", 6);
	assert_names(token, "filter[name]=al&per_page=4&page=3", "", 6);
	assert_names(token, "filter[name]=al&per_page=4&page=2&sort=-name", "al-x,al", 6);
	assert_names(token, "filter[status]=CREATED&per_page=3&page=3&sort=-name", "al", 7);
	assert_names(token, "filter[status]=CREATED&per_page=3&page=2&sort=-name",
		     "alpha_3,alpha-2,al-x", 7);
}
END_TEST

START_TEST(list_includes)
{
	char token[128];
	json_object *item, *types;
	th_resp r;

	new_account("includes", 0, token);
	create_as(token,
		  "{\"name\":\"inc-1\",\"type\":\"fixture-a\",\"type_version\":\"1.0.0\","
		  "\"config\":{\"host\":\"h\",\"password\":\"inc-pw\"},"
		  "\"variables\":[{\"key\":\"S\",\"value\":\"inc-var\",\"secret\":true},"
		  "{\"key\":\"P\",\"value\":\"plain\"}]}",
		  (char[64]){0});
	create_as(token, "{\"name\":\"inc-2\",\"type\":\"fixture-a\",\"type_version\":\"1.0.0\"}",
		  (char[64]){0});
	create_as(token, "{\"name\":\"inc-3\",\"type\":\"fixture-b\"}", (char[64]){0});
	/* Without include: no variables, no included. */
	list_as(token, "", &r);
	item = json_object_array_get_idx(data_of(&r), 0);
	ck_assert(!json_object_object_get_ex(item, "variables", NULL));
	ck_assert(!json_object_object_get_ex(r.json, "included", NULL));
	for (size_t i = 0; i < 3; i++)
		assert_valid_connector(json_object_array_get_idx(data_of(&r), i));
	ck_assert_str_eq(th_str(at(item, "config"), "password"), MASK);
	th_resp_free(&r);
	/* include=variables */
	list_as(token, "include=variables", &r);
	item = json_object_array_get_idx(data_of(&r), 0);
	ck_assert_str_eq(th_str(item, "name"), "inc-1");
	ck_assert_str_eq(th_str(variable(item, "S"), "value"), MASK);
	ck_assert_str_eq(th_str(variable(item, "P"), "value"), "plain");
	ck_assert_int_eq(json_object_array_length(at(json_object_array_get_idx(data_of(&r), 2),
						     "variables")), 0);
	ck_assert(!json_object_object_get_ex(r.json, "included", NULL));
	ck_assert_ptr_null(strstr(r.body, "inc-var"));
	ck_assert_ptr_null(strstr(r.body, "inc-pw"));
	for (size_t i = 0; i < 3; i++)
		assert_valid_connector(json_object_array_get_idx(data_of(&r), i));
	th_resp_free(&r);
	/* include=type: each type and version of the page, once. */
	list_as(token, "include=type", &r);
	item = json_object_array_get_idx(data_of(&r), 0);
	ck_assert(!json_object_object_get_ex(item, "variables", NULL));
	types = at(at(r.json, "included"), "types");
	ck_assert_int_eq(json_object_array_length(types), 2);
	ck_assert_str_eq(th_str(json_object_array_get_idx(types, 0), "id"), "fixture-a");
	ck_assert_str_eq(th_str(json_object_array_get_idx(types, 0), "version"), "1.0.0");
	ck_assert_str_eq(th_str(json_object_array_get_idx(types, 0), "name"), "Fixture A");
	ck_assert_str_eq(th_str(json_object_array_get_idx(types, 1), "id"), "fixture-b");
	ck_assert_str_eq(th_str(json_object_array_get_idx(types, 1), "version"), "2.1.0");
	th_resp_free(&r);
	/* Only the page's types. */
	list_as(token, "include=type&per_page=1&page=3", &r);
	types = at(at(r.json, "included"), "types");
	ck_assert_int_eq(json_object_array_length(types), 1);
	ck_assert_str_eq(th_str(json_object_array_get_idx(types, 0), "id"), "fixture-b");
	th_resp_free(&r);
	/* Both, in either order. */
	list_as(token, "include=variables,type", &r);
	ck_assert(json_object_object_get_ex(json_object_array_get_idx(data_of(&r), 0), "variables",
					    NULL));
	ck_assert_int_eq(json_object_array_length(at(at(r.json, "included"), "types")), 2);
	th_resp_free(&r);
	list_as(token, "include=type,variables", &r);
	ck_assert(json_object_object_get_ex(json_object_array_get_idx(data_of(&r), 0), "variables",
					    NULL));
	ck_assert_int_eq(json_object_array_length(at(at(r.json, "included"), "types")), 2);
	th_resp_free(&r);
}
END_TEST

/* A bad list parameter answers 400 naming it. */
static void assert_bad_param(const char *query, const char *param)
{
	char path[256];
	th_resp r;
	json_object *e;

	snprintf(path, sizeof(path), CONNECTORS "?%s", query);
	req("GET", path, NULL, &r);
	assert_problem(&r, 400, "invalid-parameter", CONNECTORS);
	e = json_object_array_get_idx(errors_of(&r), 0);
	ck_assert_msg(e && th_str(e, "parameter") && strcmp(th_str(e, "parameter"), param) == 0,
		      "%s: %.600s", query, r.body);
	th_resp_free(&r);
}

START_TEST(list_rejects_bad_parameters)
{
	assert_bad_param("per_page=0", "per_page");
	assert_bad_param("per_page=101", "per_page");
	assert_bad_param("per_page=abc", "per_page");
	assert_bad_param("per_page=-5", "per_page");
	assert_bad_param("page=0", "page");
	assert_bad_param("page=x", "page");
	assert_bad_param("sort=type", "sort");
	assert_bad_param("sort=-id", "sort");
	assert_bad_param("filter[colour]=red", "filter[colour]");
	assert_bad_param("filter[status]=BOGUS", "filter[status]");
	assert_bad_param("filter[status]=created", "filter[status]");
	assert_bad_param("include=types", "include");
	assert_bad_param("include=type,config", "include");
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("api_connectors");
	TCase *tc = tcase_create("connectors");
	TCase *own = tcase_create("own_host");

	tcase_add_unchecked_fixture(tc, start_fixture_host, stop_host);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, every_route_needs_a_token);
	tcase_add_test(tc, create_minimal_gets_defaults);
	tcase_add_test(tc, create_full_pins_version_and_masks_secrets);
	tcase_add_test(tc, create_by_name_in_path);
	tcase_add_test(tc, create_reports_every_failure);
	tcase_add_test(tc, create_with_mask_is_refused);
	tcase_add_test(tc, bad_bodies_are_400_and_413);
	tcase_add_test(tc, get_by_id_and_by_name);
	tcase_add_test(tc, every_created_name_reads_back);
	tcase_add_test(tc, openapi_document);
	tcase_add_test(tc, secrets_are_masked_and_kept);
	tcase_add_test(tc, change_merges_and_validates_the_whole);
	tcase_add_test(tc, change_with_if_match);
	tcase_add_test(tc, rename_connector);
	tcase_add_test(tc, delete_connector);
	tcase_add_test(tc, other_accounts_connectors_do_not_exist);
	tcase_add_test(tc, idempotent_create);
	tcase_add_test(tc, list_pages_in_every_order);
	tcase_add_test(tc, list_filters);
	tcase_add_test(tc, list_includes);
	tcase_add_test(tc, list_rejects_bad_parameters);
	suite_add_tcase(s, tc);
	tcase_set_timeout(own, 120);
	tcase_add_test(own, idempotent_create_under_concurrency);
	suite_add_tcase(s, own);
	return s;
}

int main(void)
{
	int rc;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = ch_check_run(suite());
	curl_global_cleanup();
	return rc == EXIT_SUCCESS && host_exit_status == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
