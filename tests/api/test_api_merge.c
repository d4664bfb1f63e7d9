/*
 * API tests of a PUT merged over a stored connector where it is delicate:
 * secrets nested in the configuration (fixture-nested's auth.key), and the
 * flags of variables (locked, configurable, required). The nested secret is
 * proved kept by the plugin's test operation, which runs with the
 * decrypted configuration and says whether auth.key is the expected key.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_run.h"
#include "harness.h"

#define CONNECTORS "/api/v1/connectors"
#define RIGHT_KEY "nested-right-key"

static th_host host;

/* One request on connector @p name (NULL: the collection) + @p suffix,
 * expecting @p status. */
static void call(const char *method, const char *name, const char *suffix, const char *body,
		 long status, th_resp *r)
{
	char path[256];

	snprintf(path, sizeof(path), CONNECTORS "%s%s%s", name ? "/" : "", name ? name : "",
		 suffix);
	ck_assert_msg(th_request_as(&host, host.token, method, path, body, r) == 0, "%s %s",
		      method, path);
	ck_assert_msg(r->status == status, "%s %s %s: %ld, expected %ld: %.600s", method, path,
		      body ? body : "", r->status, status, r->body ? r->body : "");
}

static void ok(const char *method, const char *name, const char *body, long status)
{
	th_resp r;

	call(method, name, "", body, status, &r);
	th_resp_free(&r);
}

/* A 422 whose errors name @p pointer. */
static void refused(const char *method, const char *name, const char *body, const char *pointer)
{
	json_object *errors;
	int found = 0;
	th_resp r;

	call(method, name, "", body, 422, &r);
	errors = json_object_object_get(r.json, "errors");
	for (size_t i = 0; i < json_object_array_length(errors); i++)
		found |= strcmp(th_str(json_object_array_get_idx(errors, i), "pointer"), pointer) == 0;
	ck_assert_msg(found, "%s: no error at %s: %.600s", body, pointer, r.body);
	th_resp_free(&r);
}

/* The plugin's verdict on the stored auth.key: 1 the expected key, 0 not;
 * @p why gets the message of its error. */
static int key_is_right(const char *name, char *why, size_t len)
{
	json_object *errors;
	th_resp r;
	int valid;

	call("POST", name, "/test", NULL, 200, &r);
	valid = json_object_get_boolean(json_object_object_get(r.json, "valid"));
	errors = json_object_object_get(r.json, "errors");
	snprintf(why, len, "%s",
		 errors ? th_str(json_object_array_get_idx(errors, 0), "message") : "");
	th_resp_free(&r);
	return valid;
}

/* The connector's config.auth as answered. */
static json_object *auth_of(const char *name, th_resp *r)
{
	call("GET", name, "", NULL, 200, r);
	return json_object_object_get(json_object_object_get(r->json, "config"), "auth");
}

/* --- nested secrets ---------------------------------------------------------------- */

START_TEST(nested_mask_keeps_the_stored_secret)
{
	char why[128];
	json_object *auth;
	th_resp r;

	ok("POST", NULL, "{\"name\":\"n1\",\"type\":\"fixture-nested\",\"config\":{\"name\":\"a\","
	   "\"auth\":{\"user\":\"u1\",\"key\":\"" RIGHT_KEY "\"}}}", 201);
	ck_assert(key_is_right("n1", why, sizeof(why)));
	ok("PUT", "n1", "{\"config\":{\"auth\":{\"user\":\"u2\",\"key\":\"********\"}}}", 200);
	auth = auth_of("n1", &r);
	ck_assert_str_eq(th_str(auth, "user"), "u2");
	ck_assert_str_eq(th_str(auth, "key"), "********");
	th_resp_free(&r);
	ck_assert_msg(key_is_right("n1", why, sizeof(why)), "after the mask: %s", why);
	/* a nested object merges key by key: auth.key not named stays */
	ok("PUT", "n1", "{\"config\":{\"auth\":{\"user\":\"u3\"}}}", 200);
	ck_assert_msg(key_is_right("n1", why, sizeof(why)), "after a change beside it: %s", why);
	ok("PUT", "n1", "{\"config\":{\"name\":\"b\"}}", 200);
	ck_assert(key_is_right("n1", why, sizeof(why)));
	/* a new value replaces it */
	ok("PUT", "n1", "{\"config\":{\"auth\":{\"key\":\"another-key\"}}}", 200);
	ck_assert(!key_is_right("n1", why, sizeof(why)));
	ck_assert_str_eq(why, "is another key");
	auth = auth_of("n1", &r);
	ck_assert_str_eq(th_str(auth, "user"), "u3");
	th_resp_free(&r);
}
END_TEST

START_TEST(nested_null_removes)
{
	char why[128];
	json_object *auth;
	th_resp r;

	ok("POST", NULL, "{\"name\":\"n2\",\"type\":\"fixture-nested\",\"config\":{\"auth\":{"
	   "\"user\":\"u\",\"key\":\"" RIGHT_KEY "\"},\"tags\":[\"x\"]}}", 201);
	ok("PUT", "n2", "{\"config\":{\"auth\":{\"key\":null},\"tags\":null}}", 200);
	auth = auth_of("n2", &r);
	ck_assert_str_eq(th_str(auth, "user"), "u");
	ck_assert(!json_object_object_get_ex(auth, "key", NULL));
	ck_assert(!json_object_object_get_ex(json_object_object_get(r.json, "config"), "tags",
					     NULL));
	th_resp_free(&r);
	ck_assert(!key_is_right("n2", why, sizeof(why)));
	ck_assert_str_eq(why, "is missing");
	/* the result is validated whole: removing a required member is refused */
	refused("PUT", "n2", "{\"config\":{\"auth\":{\"user\":null}}}", "/config/auth/user");
}
END_TEST

START_TEST(nested_mask_with_nothing_stored_is_422)
{
	char why[128];

	refused("POST", NULL, "{\"name\":\"n3\",\"type\":\"fixture-nested\",\"config\":{\"auth\":{"
		"\"user\":\"u\",\"key\":\"********\"}}}", "/config/auth/key");
	ok("POST", NULL, "{\"name\":\"n4\",\"type\":\"fixture-nested\",\"config\":{\"auth\":{"
	   "\"user\":\"u\"}}}", 201);
	refused("PUT", "n4", "{\"config\":{\"auth\":{\"key\":\"********\"}}}", "/config/auth/key");
	refused("PUT", "n4", "{\"config\":{\"name\":\"********\"}}", "/config/name");
	ck_assert(!key_is_right("n4", why, sizeof(why)));
	ck_assert_str_eq(why, "is missing"); /* the mask was not stored as the key */
}
END_TEST

/* --- variables ------------------------------------------------------------------------ */

static void put_vars(const char *name, const char *list, long status)
{
	char body[1024];

	snprintf(body, sizeof(body), "{\"variables\":[%s]}", list);
	ok("PUT", name, body, status);
}

static void put_vars_refused(const char *name, const char *list, const char *pointer)
{
	char body[1024];

	snprintf(body, sizeof(body), "{\"variables\":[%s]}", list);
	refused("PUT", name, body, pointer);
}

#define L_V1 "{\"key\":\"L\",\"value\":\"v1\",\"locked\":true}"
#define S_KEPT "{\"key\":\"S\",\"value\":\"********\",\"secret\":true,\"locked\":true}"

START_TEST(locked_variables_change_in_nothing)
{
	th_resp r;

	ok("POST", NULL, "{\"name\":\"v1\",\"type\":\"fixture-nested\",\"variables\":[" L_V1 ","
	   "{\"key\":\"S\",\"value\":\"s1\",\"secret\":true,\"locked\":true},"
	   "{\"key\":\"U\",\"value\":\"u1\"}]}", 201);
	/* neither unlocked, nor changed, nor relabelled, nor left out */
	put_vars_refused("v1", "{\"key\":\"L\",\"value\":\"v1\",\"locked\":false}," S_KEPT,
			 "/variables/0/locked");
	put_vars_refused("v1", "{\"key\":\"L\",\"value\":\"v2\",\"locked\":true}," S_KEPT,
			 "/variables/0/value");
	put_vars_refused("v1", "{\"key\":\"L\",\"value\":\"v1\",\"locked\":true,\"label\":\"x\"},"
			 S_KEPT, "/variables/0/label");
	put_vars_refused("v1", L_V1 ",{\"key\":\"S\",\"value\":\"********\",\"secret\":true}",
			 "/variables/1/locked");
	put_vars_refused("v1", L_V1 ",{\"key\":\"S\",\"value\":\"new\",\"secret\":true,"
			 "\"locked\":true}", "/variables/1/value");
	put_vars_refused("v1", L_V1 ",{\"key\":\"S\",\"value\":\"********\",\"locked\":true}",
			 "/variables/1/secret");
	put_vars_refused("v1", L_V1, "/variables");
	/* sent back as they are: fine; an unlocked one may be locked, once */
	put_vars("v1", L_V1 "," S_KEPT ",{\"key\":\"U\",\"value\":\"u2\",\"locked\":true}", 200);
	put_vars_refused("v1", L_V1 "," S_KEPT ",{\"key\":\"U\",\"value\":\"u3\",\"locked\":true}",
			 "/variables/2/value");
	call("GET", "v1", "", NULL, 200, &r);
	ck_assert_int_eq(json_object_get_int(json_object_object_get(r.json, "revision")), 2);
	th_resp_free(&r);
}
END_TEST

START_TEST(non_configurable_values_are_set_once)
{
	ok("POST", NULL, "{\"name\":\"v2\",\"type\":\"fixture-nested\",\"variables\":["
	   "{\"key\":\"C\",\"value\":\"c1\",\"configurable\":false}]}", 201);
	put_vars_refused("v2", "{\"key\":\"C\",\"value\":\"c2\",\"configurable\":false}",
			 "/variables/0/value");
	put_vars_refused("v2", "{\"key\":\"C\",\"value\":\"c1\"}", "/variables/0/configurable");
	put_vars_refused("v2", "", "/variables");
	/* its other fields may change; a new variable may be non-configurable */
	put_vars("v2", "{\"key\":\"C\",\"value\":\"c1\",\"configurable\":false,\"label\":\"C\","
		 "\"advanced\":true,\"alias\":\"c\"},"
		 "{\"key\":\"D\",\"value\":\"d1\",\"configurable\":false}", 200);
	put_vars_refused("v2", "{\"key\":\"C\",\"value\":\"c1\",\"configurable\":false},"
			 "{\"key\":\"D\",\"value\":\"d2\",\"configurable\":false}",
			 "/variables/1/value");
}
END_TEST

START_TEST(required_variables_need_a_value)
{
	refused("POST", NULL, "{\"name\":\"v3\",\"type\":\"fixture-nested\",\"variables\":["
		"{\"key\":\"R\",\"required\":true}]}", "/variables/0/value");
	refused("POST", NULL, "{\"name\":\"v3\",\"type\":\"fixture-nested\",\"variables\":["
		"{\"key\":\"A\",\"value\":\"a\"},{\"key\":\"R\",\"value\":\"\",\"required\":true}]}",
		"/variables/1/value");
	ok("POST", NULL, "{\"name\":\"v3\",\"type\":\"fixture-nested\",\"variables\":["
	   "{\"key\":\"R\",\"value\":\"r\",\"required\":true},"
	   "{\"key\":\"RS\",\"value\":\"x\",\"secret\":true,\"required\":true},"
	   "{\"key\":\"O\"}]}", 201);
	put_vars_refused("v3", "{\"key\":\"R\",\"value\":null,\"required\":true}",
			 "/variables/0/value");
	put_vars_refused("v3", "{\"key\":\"R\",\"value\":\"r\",\"required\":true},"
			 "{\"key\":\"O\",\"required\":true}", "/variables/1/value");
	/* a kept secret is a value */
	put_vars("v3", "{\"key\":\"RS\",\"value\":\"********\",\"secret\":true,\"required\":true}",
		 200);
}
END_TEST

/* A kept secret value stays secret: "********" with secret false would
 * store the sealed value in a plain variable. A new value may be plain. */
START_TEST(a_kept_secret_stays_secret)
{
	th_resp r;

	ok("POST", NULL, "{\"name\":\"v4\",\"type\":\"fixture-nested\",\"variables\":["
	   "{\"key\":\"S\",\"value\":\"s-4410\",\"secret\":true}]}", 201);
	put_vars_refused("v4", "{\"key\":\"S\",\"value\":\"********\"}", "/variables/0/secret");
	put_vars_refused("v4", "{\"key\":\"S\",\"value\":\"********\",\"secret\":false}",
			 "/variables/0/secret");
	put_vars("v4", "{\"key\":\"S\",\"value\":\"plain-now\",\"secret\":false}", 200);
	call("GET", "v4", "?include=variables", NULL, 200, &r);
	ck_assert_ptr_nonnull(strstr(r.body, "plain-now"));
	ck_assert_ptr_null(strstr(r.body, "s-4410"));
	th_resp_free(&r);
}
END_TEST

int main(void)
{
	const TTest *tests[] = {
		nested_mask_keeps_the_stored_secret,
		nested_null_removes,
		nested_mask_with_nothing_stored_is_422,
		locked_variables_change_in_nothing,
		non_configurable_values_are_set_once,
		required_variables_need_a_value,
		a_kept_secret_stays_secret,
		NULL,
	};

	return th_run_shared("api_merge", tests, &host, CH_TEST_WIZARD, NULL, 0);
}
