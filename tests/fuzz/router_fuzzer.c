/*
 * Fuzzes request routing: the input is "METHOD\nPATH\nBODY", dispatched
 * over a table shaped like the API's (literal and {param} segments at
 * several depths, more params than a request may carry). Every request
 * must get an answer; a 405 must carry Allow.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "http/router.h"

static void ok(void *app, ch_http_req *req, ch_http_resp *resp)
{
	(void)app;
	(void)req;
	ch_http_json(resp, 200, json_object_new_object());
}

static const ch_route routes[] = {
	{"GET", "/healthz", ok, 0, 0},
	{"POST", "/api/v1/plugins/rescan", ok, 0, 1},
	{"POST", "/api/v1/plugins/{plugin}/reset", ok, 0, 0},
	{"GET", "/api/v1/connectors/types", ok, 0, 0},
	{"GET", "/api/v1/connectors/types/{type}", ok, 0, 0},
	{"GET", "/api/v1/connectors/{connector}", ok, 0, 0},
	{"DELETE", "/api/v1/connectors/{connector}", ok, 0, 0},
	{"POST", "/api/v1/connectors/{connector}/setup/next", ok, 0, 1},
	{"GET", "/p/{a}/{b}/{c}/{d}/{e}/{f}/{g}/{h}/{i}", ok, 0, 0},
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *f[3] = {"", "", NULL};
	ch_http_req req = {0};
	ch_http_resp resp = {0};
	size_t n;
	char *buf = ch_fuzz_split(data, size, '\n', f, 3, &n);

	if (!buf)
		return 0;
	req.method = f[0];
	req.path = f[1];
	if (f[2]) {
		req.body = f[2];
		req.body_len = strlen(f[2]);
	}
	ch_router_dispatch(routes, sizeof(routes) / sizeof(routes[0]), NULL, NULL, &req, &resp);
	if (resp.defer)
		resp.defer(resp.defer_app, &req, &resp);
	if (resp.status < 200 || (resp.status == 405 && resp.nheaders != 1))
		abort();
	json_object_put(resp.body);
	for (size_t i = 0; i < resp.nheaders; i++) {
		free(resp.header_names[i]);
		free(resp.header_values[i]);
	}
	json_object_put(req.json);
	free(req.pathbuf);
	free(buf);
	return 0;
}
