/*
 * The HTTP API: the application state handlers share and the route table.
 */
#ifndef CH_API_H
#define CH_API_H

#include <stdint.h>

#include "auth.h"
#include "config.h"
#include "connector.h"
#include "http/http.h"
#include "jsonschema.h"
#include "plugin/registry.h"
#include "secret/secret.h"
#include "store/store.h"

/** Access levels of routes. */
enum { CH_ACCESS_PUBLIC = 0, CH_ACCESS_TOKEN, CH_ACCESS_ADMIN };

/* How long a token checked stays trusted without a lookup: a token taken
 * out of the store works on for this long at most. */
#define CH_API_TOKEN_CACHE_MS 10000

typedef struct ch_app {
	const ch_config *cfg;
	ch_registry_slot plugins;
	ch_store *store;
	ch_keyring *keys;
	uint8_t token_key[CH_TOKEN_KEY_LEN];
	ch_auth_cache *tokens; /* tokens checked lately (ch_api_init) */
	ch_schema *create_schema;
	ch_schema *update_schema;
	int64_t started_ms;
} ch_app;

/** Compiles the request schemas the API validates with. */
int ch_api_init(ch_app *app);

/** Frees what ch_api_init() made. */
void ch_api_cleanup(ch_app *app);

/** Routes one complete request (the server's handler). */
void ch_api_handle(void *app, ch_http_req *req, ch_http_resp *resp);

/** The API's route table (static), its length in *@p n: for the router
 *  fuzzer, which routes requests without running them. */
const struct ch_route *ch_api_routes(size_t *n);

/** The caller of an authenticated route (set by the guard). */
const ch_principal *ch_api_principal(const ch_http_req *req);

/* Handlers, one file per resource. */
void ch_api_healthz(void *app, ch_http_req *req, ch_http_resp *resp);
void ch_api_openapi(void *app, ch_http_req *req, ch_http_resp *resp);
void ch_api_plugins_list(void *app, ch_http_req *req, ch_http_resp *resp);
void ch_api_plugins_rescan(void *app, ch_http_req *req, ch_http_resp *resp);
void ch_api_plugins_reset(void *app, ch_http_req *req, ch_http_resp *resp);
void ch_api_setup_start(void *app, ch_http_req *req, ch_http_resp *resp);
void ch_api_setup_current(void *app, ch_http_req *req, ch_http_resp *resp);
void ch_api_setup_next(void *app, ch_http_req *req, ch_http_resp *resp);
void ch_api_setup_previous(void *app, ch_http_req *req, ch_http_resp *resp);
void ch_api_setup_cancel(void *app, ch_http_req *req, ch_http_resp *resp);
void ch_api_setup_finish(void *app, ch_http_req *req, ch_http_resp *resp);
void ch_api_connectors_test(void *app, ch_http_req *req, ch_http_resp *resp);
void ch_api_connectors_refresh(void *app, ch_http_req *req, ch_http_resp *resp);

/** Reads {connector} of the caller's account into @p row, or fills a 404
 *  (another account's connector is "not found" too) and returns non-OK. */
int ch_api_load_connector(ch_app *a, ch_http_req *req, ch_http_resp *resp, ch_connector_row *row);

/** Fills a problem for a failed call, with the detail of ch_error_last()
 *  when it is about @p rc, else @p what. */
void ch_api_fail(ch_http_req *req, ch_http_resp *resp, int rc, const char *what);

/**
 * Fills the problem of a failed plugin call (ch_plugin_call()): the status,
 * type and title of @p rc, @p message as the detail (NULL: a generic one),
 * and Retry-After when the plugin's queue is full. Every route that calls a
 * plugin answers its failures through it.
 */
void ch_api_call_problem(ch_http_req *req, ch_http_resp *resp, int rc, const char *message);
void ch_api_types_list(void *app, ch_http_req *req, ch_http_resp *resp);
void ch_api_types_get(void *app, ch_http_req *req, ch_http_resp *resp);
void ch_api_connectors_list(void *app, ch_http_req *req, ch_http_resp *resp);
void ch_api_connectors_create(void *app, ch_http_req *req, ch_http_resp *resp);
void ch_api_connectors_create_named(void *app, ch_http_req *req, ch_http_resp *resp);
void ch_api_connectors_get(void *app, ch_http_req *req, ch_http_resp *resp);
void ch_api_connectors_update(void *app, ch_http_req *req, ch_http_resp *resp);
void ch_api_connectors_delete(void *app, ch_http_req *req, ch_http_resp *resp);

#endif /* CH_API_H */
