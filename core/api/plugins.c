#include "api.h"
#include <stdio.h>

#include "error.h"
#include "log.h"

static void plugins_answer(ch_app *a, ch_http_resp *resp)
{
	ch_registry *reg = ch_registry_slot_get(&a->plugins);
	json_object *o = json_object_new_object(), *meta = json_object_new_object();
	size_t loaded, rejected;

	ch_registry_counts(reg, &loaded, &rejected);
	json_object_object_add(o, "data", ch_registry_plugins_json(reg));
	json_object_object_add(meta, "directory", json_object_new_string(a->plugins.dir));
	json_object_object_add(meta, "loaded", json_object_new_int64((int64_t)loaded));
	json_object_object_add(meta, "rejected", json_object_new_int64((int64_t)rejected));
	json_object_object_add(o, "meta", meta);
	ch_registry_unref(reg);
	ch_http_json(resp, 200, o);
}

void ch_api_plugins_list(void *app, ch_http_req *req, ch_http_resp *resp)
{
	(void)req;
	plugins_answer(app, resp);
}

void ch_api_plugins_rescan(void *app, ch_http_req *req, ch_http_resp *resp)
{
	ch_app *a = app;
	int rc = ch_registry_slot_rescan(&a->plugins);

	if (rc != CH_OK) {
		ch_http_problem_code(resp, req, rc, "the plugins directory could not be rescanned");
		return;
	}
	plugins_answer(a, resp);
}

void ch_api_plugins_reset(void *app, ch_http_req *req, ch_http_resp *resp)
{
	ch_app *a = app;
	ch_registry *reg = ch_registry_slot_get(&a->plugins);
	const ch_plugin *p = ch_registry_plugin(reg, ch_http_param(req, "plugin"));
	char detail[200];

	if (p) {
		ch_plugin_reset(p);
		ch_log_info("plugin %s reset by an admin", ch_plugin_path(p));
	}
	ch_registry_unref(reg);
	if (!p) {
		snprintf(detail, sizeof(detail), "no loaded plugin file %.100s",
			 ch_http_param(req, "plugin"));
		ch_http_problem_code(resp, req, CH_E_NOTFOUND, detail);
		return;
	}
	plugins_answer(a, resp);
}
