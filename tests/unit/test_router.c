#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/router.h"
#include "check_run.h"

static void req_init(ch_http_req *req, const char *method, const char *path)
{
	memset(req, 0, sizeof(*req));
	req->method = method;
	req->path = path;
}

static void req_done(ch_http_req *req)
{
	free(req->pathbuf);
	json_object_put(req->json);
}

START_TEST(literal_and_params)
{
	ch_http_req req;

	req_init(&req, "GET", "/api/v1/connectors/types/sqlite");
	ck_assert(ch_route_match("/api/v1/connectors/types/{type}", &req));
	ck_assert_int_eq(req.nparams, 1);
	ck_assert_str_eq(ch_http_param(&req, "type"), "sqlite");
	ck_assert_ptr_null(ch_http_param(&req, "other"));
	req_done(&req);

	req_init(&req, "GET", "/a/one/b/two");
	ck_assert(ch_route_match("/a/{x}/b/{y}", &req));
	ck_assert_str_eq(ch_http_param(&req, "x"), "one");
	ck_assert_str_eq(ch_http_param(&req, "y"), "two");
	req_done(&req);
}
END_TEST

START_TEST(mismatches)
{
	const char *paths[] = {"/api/v1/connectors/types", "/api/v1/connectors/types/",
			       "/api/v1/connectors/types/a/b", "/api/v1/connectors/typesx/a",
			       "api/v1/connectors/types/a", "", NULL};
	ch_http_req req;

	for (int i = 0; paths[i]; i++) {
		req_init(&req, "GET", paths[i]);
		ck_assert_msg(!ch_route_match("/api/v1/connectors/types/{type}", &req), "%s",
			      paths[i]);
		req_done(&req);
	}
	req_init(&req, "GET", "/healthz");
	ck_assert(ch_route_match("/healthz", &req));
	ck_assert_int_eq(req.nparams, 0);
	req_done(&req);
}
END_TEST

static int hits;
static char matched[32]; /* the first {param} of the route that ran, or "-" */

static void count(void *app, ch_http_req *req, ch_http_resp *resp)
{
	(void)app;
	hits++;
	snprintf(matched, sizeof(matched), "%s", req->nparams ? req->param_names[0] : "-");
	ch_http_json(resp, 200, json_object_new_object());
}

/* The literal routes come after the {id} ones on purpose: the most specific
 * pattern wins whatever the order. */
static const ch_route routes[] = {
	{"GET", "/things", count, 0, 0},
	{"POST", "/things", count, 0, 0},
	{"GET", "/things/{id}", count, 0, 0},
	{"DELETE", "/things/{id}", count, 0, 0},
	{"POST", "/things/{id}/run", count, 0, 0},
	{"GET", "/things/kinds", count, 0, 0},
	{"GET", "/things/kinds/{kind}", count, 0, 0},
};

static void dispatch(const char *method, const char *path, ch_http_resp *resp)
{
	ch_http_req req;

	req_init(&req, method, path);
	memset(resp, 0, sizeof(*resp));
	ch_router_dispatch(routes, sizeof(routes) / sizeof(routes[0]), NULL, NULL, &req, resp);
	req_done(&req);
}

static void resp_done(ch_http_resp *resp)
{
	json_object_put(resp->body);
	for (size_t i = 0; i < resp->nheaders; i++) {
		free(resp->header_names[i]);
		free(resp->header_values[i]);
	}
}

/* Asserts METHOD PATH answers 405 with @p allow. */
static void assert_405(const char *method, const char *path, const char *allow)
{
	ch_http_resp resp;

	dispatch(method, path, &resp);
	ck_assert_msg(resp.status == 405, "%s %s: %d", method, path, resp.status);
	ck_assert_int_eq(resp.nheaders, 1);
	ck_assert_str_eq(resp.header_names[0], "Allow");
	ck_assert_str_eq(resp.header_values[0], allow);
	resp_done(&resp);
}

START_TEST(dispatch_404_405)
{
	ch_http_resp resp;

	hits = 0;
	dispatch("GET", "/things/7", &resp);
	ck_assert_int_eq(resp.status, 200);
	ck_assert_int_eq(hits, 1);
	resp_done(&resp);
	dispatch("HEAD", "/things", &resp);
	ck_assert_int_eq(resp.status, 200);
	resp_done(&resp);
	dispatch("GET", "/nothing", &resp);
	ck_assert_int_eq(resp.status, 404);
	ck_assert_str_eq(resp.content_type, "application/problem+json");
	resp_done(&resp);
	assert_405("PUT", "/things/7", "GET, HEAD, DELETE");
	ck_assert_int_eq(hits, 2);
}
END_TEST

/* Asserts METHOD PATH ran the route whose first {param} is @p param ("-":
 * none). */
static void assert_ran(const char *method, const char *path, const char *param)
{
	ch_http_resp resp;

	dispatch(method, path, &resp);
	ck_assert_msg(resp.status == 200, "%s %s: %d", method, path, resp.status);
	ck_assert_msg(strcmp(matched, param) == 0, "%s %s ran the route of {%s}", method, path,
		      matched);
	resp_done(&resp);
}

START_TEST(literal_segment_owns_its_path)
{
	hits = 0;
	assert_ran("GET", "/things/kinds", "-"); /* never /things/{id} with id "kinds" */
	assert_ran("GET", "/things/kinds/big", "kind");
	/* Another method on a literal path: 405 with the literal route's
	 * methods, not DELETE /things/{id} or POST /things/{id}/run. */
	assert_405("DELETE", "/things/kinds", "GET, HEAD");
	assert_405("POST", "/things/kinds", "GET, HEAD");
	assert_405("POST", "/things/kinds/run", "GET, HEAD");
	ck_assert_int_eq(hits, 2);
	/* Paths no literal route matches still reach the {param} routes. */
	assert_ran("POST", "/things/7/run", "id");
	assert_ran("DELETE", "/things/kind", "id");
	assert_405("GET", "/things/7/run", "POST");
}
END_TEST

int main(void)
{
	const TTest *tests[] = {
		literal_and_params,
		mismatches,
		dispatch_404_405,
		literal_segment_owns_its_path,
		NULL,
	};

	return ch_check_run(ch_check_suite("router", tests));
}
