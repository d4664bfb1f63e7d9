/*
 * Plugin operations on a connector: test and refresh. The configuration is
 * decrypted for the call only and wiped right after it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "api.h"
#include "clock.h"
#include "error.h"
#include "plugin/cache.h"

/* The type of a stored connector, or a problem (its plugin is gone). */
static const ch_type *type_of(ch_registry *reg, const ch_connector_row *row, ch_http_req *req,
			      ch_http_resp *resp)
{
	const ch_type *t = ch_registry_find(reg, row->type, row->type_version);
	char detail[200];

	if (!t) {
		snprintf(detail, sizeof(detail), "connector type %s %s is not loaded", row->type,
			 row->type_version);
		ch_http_problem_code(resp, req, CH_E_UNAVAILABLE, detail);
	}
	return t;
}

/* {"connector": {id, name}, "config": <decrypted>} as text, or NULL after
 * filling a problem. The caller wipes and frees it. */
static char *call_input(ch_app *a, const ch_connector_row *row, ch_http_req *req,
			ch_http_resp *resp)
{
	json_object *in = json_object_new_object(), *who = json_object_new_object(), *doc = NULL;
	char err[256], *text = NULL;
	int rc;

	json_object_deep_copy(row->doc, &doc, NULL);
	rc = ch_secret_open_all(a->keys, doc, row->account_id, row->id, err, sizeof(err));
	json_object_object_add(who, "id", json_object_new_string(row->id));
	json_object_object_add(who, "name", json_object_new_string(row->name));
	json_object_object_add(in, "connector", who);
	json_object_object_add(in, "config", json_object_get(json_object_object_get(doc, "config")));
	if (rc == CH_OK) {
		/* json-c keeps the text it printed inside "in": wipe it too */
		char *printed = (char *)json_object_to_json_string_ext(in, JSON_C_TO_STRING_PLAIN);

		text = strdup(printed);
		sodium_memzero(printed, strlen(printed));
	} else {
		ch_http_problem(resp, req, 500, "secret-unreadable", NULL, err);
	}
	ch_secret_wipe(in);
	ch_secret_wipe(doc);
	return text;
}

static void wipe_free(char *text)
{
	if (text) {
		sodium_memzero(text, strlen(text));
		free(text);
	}
}

static const char *failure_type(int rc)
{
	if (rc == CH_E_CONFIG || rc == CH_E_INVALID || rc == CH_E_AUTH)
		return "config_error";
	if (rc == CH_E_TRANSIENT)
		return "transient_error";
	return "system_error";
}

/* Whether a failed call is the runner's (timeout, crash, quarantine, busy):
 * those answer a problem, not a test result. */
static int runner_failure(int rc)
{
	return rc == CH_E_TIMEOUT || rc == CH_E_CRASHED || rc == CH_E_UNAVAILABLE ||
	       rc == CH_E_BUSY || rc == CH_E_QUARANTINED || rc == CH_E_NOMEM ||
	       rc == CH_E_UNSUPPORTED;
}

void ch_api_call_problem(ch_http_req *req, ch_http_resp *resp, int rc, const char *message)
{
	ch_http_problem_code(resp, req, rc, message ? message : "the plugin call failed");
	if (rc == CH_E_BUSY)
		ch_http_add_header(resp, "Retry-After", "1");
}

/* The plugin's test output made complete: {valid, message, failure_type,
 * errors, duration_ms}. */
static json_object *test_result(int rc, const char *output, const char *message, int64_t ms)
{
	json_object *res = rc == CH_OK ? json_tokener_parse(output) : NULL, *v = NULL;

	if (!json_object_is_type(res, json_type_object)) {
		json_object_put(res);
		res = json_object_new_object();
		json_object_object_add(res, "valid", json_object_new_boolean(0));
		json_object_object_add(res, "message",
				       json_object_new_string(rc == CH_OK ? "the plugin answered no JSON "
									   "object"
									 : message));
		json_object_object_add(res, "failure_type",
				       json_object_new_string(failure_type(rc == CH_OK ? CH_E_GENERIC : rc)));
	}
	if (!json_object_object_get_ex(res, "valid", &v))
		json_object_object_add(res, "valid", json_object_new_boolean(0));
	if (!json_object_object_get_ex(res, "failure_type", NULL))
		json_object_object_add(res, "failure_type", NULL);
	if (!json_object_object_get_ex(res, "errors", NULL))
		json_object_object_add(res, "errors", json_object_new_array());
	json_object_object_add(res, "duration_ms", json_object_new_int64(ms));
	return res;
}

void ch_api_connectors_test(void *app, ch_http_req *req, ch_http_resp *resp)
{
	ch_app *a = app;
	ch_connector_row row;
	ch_registry *reg;
	const ch_type *t;
	char *input = NULL, *out = NULL, *msg = NULL;
	int64_t t0;
	int rc;

	if (ch_api_load_connector(a, req, resp, &row) != CH_OK)
		return;
	reg = ch_registry_slot_get(&a->plugins);
	t = type_of(reg, &row, req, resp);
	if (t && !json_object_object_get(row.doc, "config"))
		ch_http_problem_code(resp, req, CH_E_CONFLICT,
				     "the connector has no configuration yet; run its setup first");
	else if (t)
		input = call_input(a, &row, req, resp);
	if (input) {
		t0 = ch_clock_mono_ms();
		rc = ch_plugin_call(t, CH_OP_TEST, row.id, input, &out, &msg);
		if (runner_failure(rc))
			ch_api_call_problem(req, resp, rc, msg);
		else
			ch_http_json(resp, 200, test_result(rc, out, msg, ch_clock_mono_ms() - t0));
	}
	wipe_free(input);
	free(out);
	free(msg);
	ch_registry_unref(reg);
	ch_connector_row_clear(&row);
}

void ch_api_connectors_refresh(void *app, ch_http_req *req, ch_http_resp *resp)
{
	ch_app *a = app;
	ch_connector_row row;
	ch_registry *reg;
	const ch_type *t;
	char *input = NULL, *out = NULL, *msg = NULL;
	int rc;

	if (ch_api_load_connector(a, req, resp, &row) != CH_OK)
		return;
	ch_cache_clear(row.id);
	reg = ch_registry_slot_get(&a->plugins);
	t = type_of(reg, &row, req, resp);
	if (t && ch_type_has_op(t, CH_OP_REFRESH))
		input = call_input(a, &row, req, resp);
	if (input) {
		rc = ch_plugin_call(t, CH_OP_REFRESH, row.id, input, &out, &msg);
		if (rc == CH_OK)
			resp->status = 204;
		else
			ch_api_call_problem(req, resp, rc, msg);
	} else if (t && !ch_type_has_op(t, CH_OP_REFRESH)) {
		resp->status = 204; /* the host's cache is cleared: nothing more to do */
	}
	wipe_free(input);
	free(out);
	free(msg);
	ch_registry_unref(reg);
	ch_connector_row_clear(&row);
}
