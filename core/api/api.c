#include "api.h"

#include "http/router.h"

static const ch_route routes[] = {
	{"GET", "/healthz", ch_api_healthz},
	{"GET", "/api/v1/plugins", ch_api_plugins_list},
	{"POST", "/api/v1/plugins/rescan", ch_api_plugins_rescan},
	{"GET", "/api/v1/connectors/types", ch_api_types_list},
	{"GET", "/api/v1/connectors/types/{type}", ch_api_types_get},
};

void ch_api_handle(void *app, ch_http_req *req, ch_http_resp *resp)
{
	ch_router_dispatch(routes, sizeof(routes) / sizeof(routes[0]), app, req, resp);
}
