#include "router.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

/* Length of the segment starting at @p s (up to '/' or the end). */
static size_t seg_len(const char *s)
{
	const char *slash = strchr(s, '/');

	return slash ? (size_t)(slash - s) : strlen(s);
}

static int is_param(const char *seg, size_t len)
{
	return len > 2 && seg[0] == '{' && seg[len - 1] == '}';
}

/* Copies @p len bytes into the buffer at *cursor as a string. */
static const char *put(char **cursor, const char *s, size_t len)
{
	char *start = *cursor;

	memcpy(start, s, len);
	start[len] = '\0';
	*cursor = start + len + 1;
	return start;
}

/* Walks pattern and path one segment at a time. With @p buf (room for both
 * strings), records every {param} name and value in req. */
static int match(const char *pat, const char *path, ch_http_req *req, char *buf)
{
	size_t n = 0;

	while (*pat == '/' && *path == '/') {
		size_t pl = seg_len(++pat), sl = seg_len(++path);

		if (is_param(pat, pl)) {
			if (sl == 0 || n == CH_HTTP_MAX_PARAMS)
				return 0;
			if (buf) {
				req->param_names[n] = put(&buf, pat + 1, pl - 2);
				req->param_values[n] = put(&buf, path, sl);
			}
			n++;
		} else if (pl != sl || strncmp(pat, path, pl) != 0) {
			return 0;
		}
		pat += pl;
		path += sl;
	}
	if (*pat || *path)
		return 0;
	if (buf)
		req->nparams = n;
	return 1;
}

int ch_route_match(const char *pattern, ch_http_req *req)
{
	char *buf;

	if (!match(pattern, req->path, req, NULL))
		return 0;
	buf = malloc(strlen(pattern) + strlen(req->path) + 2 * CH_HTTP_MAX_PARAMS + 2);
	if (!buf)
		return 0;
	free(req->pathbuf);
	req->pathbuf = buf;
	return match(pattern, req->path, req, buf);
}

static int method_is(const ch_route *r, const char *method)
{
	return strcmp(r->method, method) == 0 ||
	       (strcmp(method, "HEAD") == 0 && strcmp(r->method, "GET") == 0);
}

/* Compares two patterns that both match one path, segment by segment: > 0
 * when @p a is the more specific (a literal where @p b has a {param}), < 0
 * when @p b is, 0 when they have their params in the same places. */
static int specificity(const char *a, const char *b)
{
	while (*a == '/' && *b == '/') {
		size_t al = seg_len(++a), bl = seg_len(++b);
		int pa = is_param(a, al), pb = is_param(b, bl);

		if (pa != pb)
			return pb - pa;
		a += al;
		b += bl;
	}
	return 0;
}

/* The route that owns the path: the first of the most specific patterns
 * matching it (GET /things/new owns the path for POST too, so that request
 * never falls to POST /things/{id}); n when no pattern matches. */
static size_t owner(const ch_route *routes, size_t n, const ch_http_req *req)
{
	size_t best = n;

	for (size_t i = 0; i < n; i++)
		if (match(routes[i].pattern, req->path, NULL, NULL) &&
		    (best == n || specificity(routes[i].pattern, routes[best].pattern) > 0))
			best = i;
	return best;
}

static int same_shape(const ch_route *a, const ch_route *b)
{
	return specificity(a->pattern, b->pattern) == 0;
}

/* "GET, HEAD, POST": the methods of the routes shaped like @p best that
 * match the path. */
static void allow_list(const ch_route *routes, size_t n, size_t best, const ch_http_req *req,
		       char *out, size_t outlen)
{
	size_t used = 0;

	out[0] = '\0';
	for (size_t i = best; i < n; i++) {
		const char *m = routes[i].method;
		int w;

		if (!same_shape(&routes[i], &routes[best]) ||
		    !match(routes[i].pattern, req->path, NULL, NULL) || strstr(out, m))
			continue;
		w = snprintf(out + used, outlen - used, "%s%s%s", used ? ", " : "", m,
			     strcmp(m, "GET") == 0 ? ", HEAD" : "");
		if (w < 0 || (size_t)w >= outlen - used)
			break;
		used += (size_t)w;
	}
}

static void run(const ch_route *r, void *app, ch_route_guard guard, ch_http_req *req,
		ch_http_resp *resp)
{
	if (guard && guard(app, r, req, resp))
		return;
	if (ch_http_body_json(req, resp, 1, &req->json) != CH_OK)
		return;
	if (r->slow) {
		resp->defer = r->handler;
		resp->defer_app = app;
	} else {
		r->handler(app, req, resp);
	}
}

const ch_route *ch_router_find(const ch_route *routes, size_t n, ch_http_req *req, char *allow,
			       size_t allowlen)
{
	size_t best = owner(routes, n, req);

	allow[0] = '\0';
	if (best == n)
		return NULL;
	for (size_t i = best; i < n; i++)
		if (method_is(&routes[i], req->method) && same_shape(&routes[i], &routes[best]) &&
		    ch_route_match(routes[i].pattern, req))
			return &routes[i];
	allow_list(routes, n, best, req, allow, allowlen);
	return NULL;
}

void ch_router_dispatch(const ch_route *routes, size_t n, void *app, ch_route_guard guard,
			ch_http_req *req, ch_http_resp *resp)
{
	char allow[128], detail[256];
	const ch_route *r = ch_router_find(routes, n, req, allow, sizeof(allow));

	if (r) {
		run(r, app, guard, req, resp);
	} else if (!allow[0]) {
		snprintf(detail, sizeof(detail), "no resource at %.200s", req->path);
		ch_http_problem_code(resp, req, CH_E_NOTFOUND, detail);
	} else {
		snprintf(detail, sizeof(detail), "%.16s is not allowed here; allowed: %s",
			 req->method, allow);
		ch_http_problem(resp, req, 405, "method-not-allowed", NULL, detail);
		ch_http_add_header(resp, "Allow", allow);
	}
}
