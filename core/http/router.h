/*
 * A small router: method + path pattern with {params}. A path belongs to
 * the most specific patterns matching it (a literal segment beats a
 * {param} in the same place, whatever the table's order); among them the
 * first route with the request's method runs. Unknown paths answer 404;
 * a path whose owner has no route for the method answers 405 with Allow.
 */
#ifndef CH_HTTP_ROUTER_H
#define CH_HTTP_ROUTER_H

#include <stddef.h>

#include "http.h"

typedef struct ch_route {
	const char *method;  /* "GET", "POST", ... */
	const char *pattern; /* "/api/v1/connectors/types/{type}" */
	ch_http_handler handler;
	int access; /* the application's access level, for the guard */
	int slow;   /* runs on a worker thread (it calls a plugin) */
} ch_route;

/**
 * Runs after a route matched and before the body is parsed; returns 0 to
 * let the request through, non-zero after filling @p resp (401, 403).
 */
typedef int (*ch_route_guard)(void *app, const ch_route *route, ch_http_req *req,
			      ch_http_resp *resp);

/**
 * Matches @p path against @p pattern; on a match fills req's params
 * (pointing into req->pathbuf) and returns 1.
 */
int ch_route_match(const char *pattern, ch_http_req *req);

/**
 * The route owning the request's path (see above) for its method (HEAD
 * finds GET routes), its params filled in req; NULL when there is none,
 * with @p allow "" for an unknown path or the methods the path has
 * ("GET, HEAD, POST").
 */
const ch_route *ch_router_find(const ch_route *routes, size_t n, ch_http_req *req, char *allow,
			       size_t allowlen);

/**
 * Runs the handler of the route owning the request's path (see above) for
 * its method (HEAD runs GET routes) once @p guard (may be NULL) lets it
 * through; otherwise fills a 404 or 405 problem. Every
 * API body is JSON: a matched request with a body gets it parsed into
 * req->json first, and a body that is not a JSON object answers 400.
 */
void ch_router_dispatch(const ch_route *routes, size_t n, void *app, ch_route_guard guard,
			ch_http_req *req, ch_http_resp *resp);

#endif /* CH_HTTP_ROUTER_H */
