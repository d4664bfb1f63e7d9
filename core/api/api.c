#include "api.h"

#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "http/router.h"
#include "schemas.h"

#define T CH_ACCESS_TOKEN
/* Runs on a worker thread, the connection suspended meanwhile: a route that
 * calls a plugin, or that writes (it waits for its group commit; with the
 * HTTP threads alone, no more writes than threads could share one). */
#define SLOW 1

static const ch_route routes[] = {
	{"GET", "/healthz", ch_api_healthz, CH_ACCESS_PUBLIC, 0},
	{"GET", "/api/v1/openapi.json", ch_api_openapi, T, 0},
	{"GET", "/api/v1/plugins", ch_api_plugins_list, T, 0},
	{"POST", "/api/v1/plugins/rescan", ch_api_plugins_rescan, CH_ACCESS_ADMIN, SLOW},
	{"POST", "/api/v1/plugins/{plugin}/reset", ch_api_plugins_reset, CH_ACCESS_ADMIN, 0},
	{"GET", "/api/v1/connectors/types", ch_api_types_list, T, 0},
	{"GET", "/api/v1/connectors/types/{type}", ch_api_types_get, T, 0},
	{"GET", "/api/v1/connectors", ch_api_connectors_list, T, 0},
	{"POST", "/api/v1/connectors", ch_api_connectors_create, T, SLOW},
	{"GET", "/api/v1/connectors/{connector}", ch_api_connectors_get, T, 0},
	{"POST", "/api/v1/connectors/{connector}", ch_api_connectors_create_named, T, SLOW},
	{"PUT", "/api/v1/connectors/{connector}", ch_api_connectors_update, T, SLOW},
	{"DELETE", "/api/v1/connectors/{connector}", ch_api_connectors_delete, T, SLOW},
	{"POST", "/api/v1/connectors/{connector}/setup", ch_api_setup_start, T, SLOW},
	{"GET", "/api/v1/connectors/{connector}/setup/current", ch_api_setup_current, T, 0},
	{"POST", "/api/v1/connectors/{connector}/setup/next", ch_api_setup_next, T, SLOW},
	{"POST", "/api/v1/connectors/{connector}/setup/previous", ch_api_setup_previous, T, SLOW},
	{"POST", "/api/v1/connectors/{connector}/setup/cancel", ch_api_setup_cancel, T, SLOW},
	{"POST", "/api/v1/connectors/{connector}/setup/finish", ch_api_setup_finish, T, SLOW},
	{"GET", "/api/v1/connectors/{connector}/test", ch_api_connectors_test, T, SLOW},
	{"POST", "/api/v1/connectors/{connector}/test", ch_api_connectors_test, T, SLOW},
	{"POST", "/api/v1/connectors/{connector}/refresh", ch_api_connectors_refresh, T, SLOW},
};

int ch_api_init(ch_app *app)
{
	char err[256];
	int rc = ch_schema_compile_text(&app->create_schema, ch_embedded_connector_create, err,
					sizeof(err));

	if (rc == CH_OK)
		rc = ch_schema_compile_text(&app->update_schema, ch_embedded_connector_update, err,
					    sizeof(err));
	if (rc != CH_OK)
		return ch_error_set(rc, "schemas/connector-*.json: %s", err);
	app->tokens = ch_auth_cache_new(CH_API_TOKEN_CACHE_MS);
	return app->tokens ? CH_OK : ch_error_set(CH_E_NOMEM, "out of memory");
}

void ch_api_cleanup(ch_app *app)
{
	ch_schema_free(app->create_schema);
	ch_schema_free(app->update_schema);
	ch_auth_cache_free(app->tokens);
	app->create_schema = NULL;
	app->update_schema = NULL;
	app->tokens = NULL;
}

static int unauthorized(ch_http_req *req, ch_http_resp *resp, int token_given)
{
	ch_http_problem_code(resp, req, CH_E_AUTH, ch_error_last()->message);
	ch_http_add_header(resp, "WWW-Authenticate",
			   token_given ? "Bearer realm=\"connhub\", error=\"invalid_token\""
				       : "Bearer realm=\"connhub\"");
	return 1;
}

/* Authenticates every route above CH_ACCESS_PUBLIC. */
static int guard(void *app, const ch_route *route, ch_http_req *req, ch_http_resp *resp)
{
	ch_app *a = app;
	const char *header;
	ch_principal *who;
	int rc;

	if (route->access == CH_ACCESS_PUBLIC)
		return 0;
	header = ch_http_header(req, "Authorization");
	who = calloc(1, sizeof(*who));
	if (!who) {
		ch_http_problem_code(resp, req, CH_E_NOMEM, "out of memory");
		return 1;
	}
	req->user = who; /* freed with the request */
	rc = ch_auth_check(a->store, a->token_key, a->tokens, header, who);
	if (rc == CH_E_AUTH)
		return unauthorized(req, resp, header != NULL);
	if (rc != CH_OK) {
		ch_http_problem_code(resp, req, rc, "the token could not be checked");
		return 1;
	}
	if (route->access == CH_ACCESS_ADMIN && !who->admin) {
		ch_http_problem_code(resp, req, CH_E_FORBIDDEN, "this route needs an admin token");
		return 1;
	}
	return 0;
}

const ch_principal *ch_api_principal(const ch_http_req *req)
{
	return req->user;
}

void ch_api_handle(void *app, ch_http_req *req, ch_http_resp *resp)
{
	ch_router_dispatch(routes, sizeof(routes) / sizeof(routes[0]), app, guard, req, resp);
}

const ch_route *ch_api_routes(size_t *n)
{
	*n = sizeof(routes) / sizeof(routes[0]);
	return routes;
}
