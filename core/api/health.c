#include "api.h"
#include "clock.h"

#ifndef CH_VERSION
#define CH_VERSION "0.0.0"
#endif

void ch_api_healthz(void *app, ch_http_req *req, ch_http_resp *resp)
{
	ch_app *a = app;
	json_object *o = json_object_new_object();

	(void)req;
	json_object_object_add(o, "status", json_object_new_string("ok"));
	json_object_object_add(o, "version", json_object_new_string(CH_VERSION));
	json_object_object_add(o, "uptime_s",
			       json_object_new_int64((ch_clock_mono_ms() - a->started_ms) / 1000));
	ch_http_json(resp, 200, o);
}
