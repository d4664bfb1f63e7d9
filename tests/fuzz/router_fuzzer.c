/*
 * Fuzzes request routing over the API's own route table: the input is
 * "METHOD\nPATH\nBODY". The route is found without running its handler;
 * a found route must have the request's method (or GET for HEAD) and hand
 * over {params} that are single non-empty segments, a 405 must name
 * methods, and the body goes through the JSON body parser the router uses.
 */
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "fuzz.h"
#include "http/router.h"

static void check_route(const ch_route *r, const ch_http_req *req, const char *allow)
{
	if (!r)
		return;
	if (allow[0] || (strcmp(r->method, req->method) != 0 &&
			 !(strcmp(req->method, "HEAD") == 0 && strcmp(r->method, "GET") == 0)))
		abort();
	for (size_t i = 0; i < req->nparams; i++)
		if (!req->param_values[i][0] || strchr(req->param_values[i], '/'))
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *f[3] = {"", "", NULL}, allow[128];
	ch_http_req req = {0};
	ch_http_resp resp = {0};
	size_t n, nroutes;
	const ch_route *routes = ch_api_routes(&nroutes), *r;
	char *buf = ch_fuzz_split(data, size, '\n', f, 3, &n);

	if (!buf)
		return 0;
	req.method = f[0];
	req.path = f[1];
	if (f[2]) {
		req.body = f[2];
		req.body_len = strlen(f[2]);
	}
	r = ch_router_find(routes, nroutes, &req, allow, sizeof(allow));
	check_route(r, &req, allow);
	if (r && ch_http_body_json(&req, &resp, 1, &req.json) != CH_OK && resp.status != 400)
		abort();
	json_object_put(resp.body);
	json_object_put(req.json);
	free(req.pathbuf);
	free(buf);
	return 0;
}
