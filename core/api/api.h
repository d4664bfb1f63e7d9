/*
 * The HTTP API: the application state handlers share and the route table.
 */
#ifndef CH_API_H
#define CH_API_H

#include <stdint.h>

#include "config.h"
#include "http/http.h"
#include "plugin/registry.h"

typedef struct ch_app {
	const ch_config *cfg;
	ch_registry_slot plugins;
	int64_t started_ms;
} ch_app;

/** Routes one complete request (the server's handler). */
void ch_api_handle(void *app, ch_http_req *req, ch_http_resp *resp);

/* Handlers, one file per resource. */
void ch_api_healthz(void *app, ch_http_req *req, ch_http_resp *resp);
void ch_api_plugins_list(void *app, ch_http_req *req, ch_http_resp *resp);
void ch_api_plugins_rescan(void *app, ch_http_req *req, ch_http_resp *resp);
void ch_api_types_list(void *app, ch_http_req *req, ch_http_resp *resp);
void ch_api_types_get(void *app, ch_http_req *req, ch_http_resp *resp);

#endif /* CH_API_H */
