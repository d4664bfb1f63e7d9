#include "api.h"
#include "schemas.h"

void ch_api_openapi(void *app, ch_http_req *req, ch_http_resp *resp)
{
	(void)app;
	(void)req;
	ch_http_json(resp, 200, json_tokener_parse(ch_embedded_openapi));
}
