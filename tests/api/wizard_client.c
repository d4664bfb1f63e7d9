/* See wizard_client.h. */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "wizard_client.h"

#define PROBLEM "urn:connhub:problem:"

void wz_call(const th_host *h, const char *token, const char *method, const char *name,
	     const char *tail, const char *body, long status, th_resp *r)
{
	char path[300];
	int rc;

	snprintf(path, sizeof(path), WZ_CONNECTORS "/%s%s", name, tail);
	rc = token ? th_request_as(h, token, method, path, body, r)
		   : th_request(h, method, path, body, NULL, r);
	ck_assert_msg(rc == 0, "%s %s: no answer", method, path);
	ck_assert_msg(r->status == status, "%s %s %s: %ld, expected %ld: %.800s", method, path,
		      body ? body : "", r->status, status, r->body ? r->body : "(no body)");
}

void wz_call0(const th_host *h, const char *method, const char *name, const char *tail,
	      const char *body, long status)
{
	th_resp r;

	wz_call(h, NULL, method, name, tail, body, status, &r);
	th_resp_free(&r);
}

json_object *wz_at(json_object *o, const char *key)
{
	return json_object_object_get(o, key);
}

int wz_flag(json_object *o, const char *key)
{
	json_object *v = wz_at(o, key);

	ck_assert_msg(json_object_is_type(v, json_type_boolean), "%s is not a boolean: %s", key,
		      json_object_to_json_string(o));
	return json_object_get_boolean(v);
}

void wz_assert_problem(const th_resp *r, long status, const char *kind)
{
	char type[128];

	ck_assert_msg(r->status == status, "%ld, expected %ld: %.600s", r->status, status,
		      r->body ? r->body : "");
	ck_assert_str_eq(r->content_type, "application/problem+json");
	ck_assert_ptr_nonnull(r->json);
	snprintf(type, sizeof(type), PROBLEM "%s", kind);
	ck_assert_msg(th_str(r->json, "type") && strcmp(th_str(r->json, "type"), type) == 0,
		      "problem type is not %s: %.600s", type, r->body);
	ck_assert_int_eq(json_object_get_int(wz_at(r->json, "status")), status);
	ck_assert_ptr_nonnull(th_str(r->json, "title"));
	ck_assert_ptr_nonnull(th_str(r->json, "detail"));
	ck_assert_ptr_nonnull(th_str(r->json, "instance"));
}

void wz_assert_pointers(const th_resp *r, const char *const *want)
{
	json_object *errors = wz_at(r->json, "errors");
	size_t n, nwant = 0;

	ck_assert_msg(json_object_is_type(errors, json_type_array), "no errors: %.600s", r->body);
	n = json_object_array_length(errors);
	for (; want[nwant]; nwant++) {
		size_t hits = 0;

		for (size_t i = 0; i < n; i++) {
			const char *p = th_str(json_object_array_get_idx(errors, i), "pointer");

			if (p && strcmp(p, want[nwant]) == 0)
				hits++;
		}
		ck_assert_msg(hits == 1, "pointer %s reported %zu times: %.600s", want[nwant], hits,
			      r->body);
	}
	ck_assert_msg(n == nwant, "%zu errors, expected %zu: %.600s", n, nwant, r->body);
}

void wz_assert_invalid(const th_resp *r, const char *const *want)
{
	wz_assert_problem(r, 422, "validation-failed");
	wz_assert_pointers(r, want);
}

void wz_assert_step(json_object *step, const char *id, int has_next, int has_previous,
		    int can_finish)
{
	const char *text = json_object_to_json_string(step);

	ck_assert_msg(json_object_is_type(step, json_type_object), "not a step: %s", text);
	ck_assert_msg(th_str(step, "id") && strcmp(th_str(step, "id"), id) == 0,
		      "step %s expected: %s", id, text);
	ck_assert_msg(json_object_is_type(wz_at(step, "title"), json_type_string), "title: %s",
		      text);
	ck_assert_msg(json_object_is_type(wz_at(step, "description"), json_type_string),
		      "description: %s", text);
	ck_assert_msg(json_object_is_type(wz_at(step, "model"), json_type_object), "model: %s",
		      text);
	ck_assert_msg(json_object_is_type(wz_at(step, "form"), json_type_array), "form: %s", text);
	ck_assert_msg(json_object_is_type(wz_at(step, "schema"), json_type_object), "schema: %s",
		      text);
	ck_assert_msg(wz_flag(step, "hasNext") == has_next, "hasNext != %d: %s", has_next, text);
	ck_assert_msg(wz_flag(step, "hasPrevious") == has_previous, "hasPrevious != %d: %s",
		      has_previous, text);
	ck_assert_msg(wz_flag(step, "canFinish") == can_finish, "canFinish != %d: %s", can_finish,
		      text);
	ck_assert_msg(json_object_object_length(step) == 9, "a step has 9 members: %s", text);
}

void wz_assert_form(json_object *step, const char *const *keys)
{
	json_object *form = wz_at(step, "form");
	size_t n = 0;

	for (; keys[n]; n++) {
		ck_assert_msg(n < json_object_array_length(form), "form lacks %s: %s", keys[n],
			      json_object_to_json_string(form));
		ck_assert_str_eq(th_str(json_object_array_get_idx(form, n), "key"), keys[n]);
	}
	ck_assert_int_eq(json_object_array_length(form), n);
}

const char *wz_model_str(const th_resp *r, const char *key)
{
	return th_str(wz_at(r->json, "model"), key);
}

void wz_start(const th_host *h, const char *name, const char *id, th_resp *r)
{
	wz_call(h, NULL, "POST", name, "/setup", NULL, 200, r);
	wz_assert_step(r->json, id, 1, 0, 0);
}

void wz_next(const th_host *h, const char *name, const char *model, const char *id, th_resp *r)
{
	th_resp own, *a = r ? r : &own;

	wz_call(h, NULL, "POST", name, "/setup/next", model, 200, a);
	ck_assert_str_eq(th_str(a->json, "id"), id);
	ck_assert(wz_flag(a->json, "hasPrevious"));
	if (!r)
		th_resp_free(&own);
}

void wz_create(const th_host *h, const char *name, const char *type, const char *config)
{
	char body[1200];
	th_resp r;

	snprintf(body, sizeof(body), "{\"name\":\"%s\",\"type\":\"%s\"%s%s}", name, type,
		 config ? ",\"config\":" : "", config ? config : "");
	ck_assert_int_eq(th_request(h, "POST", WZ_CONNECTORS, body, NULL, &r), 0);
	ck_assert_msg(r.status == 201, "create %s: %ld %.600s", name, r.status, r.body);
	ck_assert_str_eq(th_str(r.json, "status"), config ? "CONFIGURED" : "CREATED");
	th_resp_free(&r);
}

json_object *wz_config_of(const th_resp *r)
{
	json_object *c = wz_at(r->json, "config");

	ck_assert_msg(json_object_is_type(c, json_type_object), "no config: %.600s", r->body);
	return c;
}

/* A test result with duration_ms left out, for comparing two of them. */
static json_object *without_duration(json_object *res)
{
	json_object *c = NULL;

	json_object_deep_copy(res, &c, NULL);
	json_object_object_del(c, "duration_ms");
	return c;
}

void wz_assert_test_result(const th_resp *r, int valid)
{
	json_object *dur;

	ck_assert_msg(wz_flag(r->json, "valid") == valid, "valid != %d: %s", valid, r->body);
	ck_assert(json_object_is_type(wz_at(r->json, "message"), json_type_string));
	ck_assert(json_object_is_type(wz_at(r->json, "errors"), json_type_array));
	ck_assert(json_object_object_get_ex(r->json, "failure_type", NULL));
	if (valid) {
		ck_assert_ptr_null(wz_at(r->json, "failure_type"));
		ck_assert_int_eq(json_object_array_length(wz_at(r->json, "errors")), 0);
	}
	dur = wz_at(r->json, "duration_ms");
	ck_assert_msg(json_object_is_type(dur, json_type_int) && json_object_get_int64(dur) >= 0,
		      "duration_ms: %s", r->body);
}

void wz_run_test(const th_host *h, const char *name, int valid, th_resp *r)
{
	json_object *a, *b;
	th_resp g;

	wz_call(h, NULL, "POST", name, "/test", NULL, 200, r);
	wz_call(h, NULL, "GET", name, "/test", NULL, 200, &g);
	wz_assert_test_result(r, valid);
	a = without_duration(r->json);
	b = without_duration(g.json);
	ck_assert_msg(json_object_equal(a, b), "GET /test %s differs from POST /test %s", g.body,
		      r->body);
	json_object_put(a);
	json_object_put(b);
	th_resp_free(&g);
}

int wz_history_length(const th_host *h, const char *name)
{
	int n = 0;

	for (;;) {
		char path[200];
		th_resp r;

		snprintf(path, sizeof(path), WZ_CONNECTORS "/%s/setup/previous", name);
		ck_assert_int_eq(th_request(h, "POST", path, NULL, NULL, &r), 0);
		if (r.status == 409) {
			wz_assert_problem(&r, 409, "conflict");
			th_resp_free(&r);
			return n;
		}
		ck_assert_msg(r.status == 200, "previous: %ld %.600s", r.status, r.body);
		th_resp_free(&r);
		ck_assert_int_lt(++n, 100);
	}
}
