#include <check.h>
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

static void count(void *app, ch_http_req *req, ch_http_resp *resp)
{
	(void)app;
	(void)req;
	hits++;
	ch_http_json(resp, 200, json_object_new_object());
}

static const ch_route routes[] = {
	{"GET", "/things", count, 0, 0},
	{"POST", "/things", count, 0, 0},
	{"GET", "/things/{id}", count, 0, 0},
	{"DELETE", "/things/{id}", count, 0, 0},
};

static void dispatch(const char *method, const char *path, ch_http_resp *resp)
{
	ch_http_req req;

	req_init(&req, method, path);
	memset(resp, 0, sizeof(*resp));
	ch_router_dispatch(routes, 4, NULL, NULL, &req, resp);
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
	dispatch("PUT", "/things/7", &resp);
	ck_assert_int_eq(resp.status, 405);
	ck_assert_int_eq(resp.nheaders, 1);
	ck_assert_str_eq(resp.header_names[0], "Allow");
	ck_assert_str_eq(resp.header_values[0], "GET, HEAD, DELETE");
	resp_done(&resp);
	ck_assert_int_eq(hits, 2);
}
END_TEST

int main(void)
{
	const TTest *tests[] = {
		literal_and_params,
		mismatches,
		dispatch_404_405,
		NULL,
	};

	return ch_check_run(ch_check_suite("router", tests));
}
