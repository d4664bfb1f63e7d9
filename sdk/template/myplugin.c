/*
 * Template of a connhub plugin: one connector type with a one-step setup
 * wizard and a test. Rename "myplugin", then replace the bodies.
 *
 * Rules that keep a plugin loadable (see <connhub/plugin.h>):
 *  - only connhub_plugin_entry is exported (CH_PLUGIN_DEFINE does it);
 *    keep every other function static;
 *  - operations get JSON text and return JSON text allocated by the host
 *    (ch_sdk_output does it);
 *  - report errors with ch_sdk_fail(), never print or abort;
 *  - no global mutable state: several calls may run at once.
 */
#include <stdio.h>

#include <connhub/sdk.h>

#define MYPLUGIN_VERSION "0.1.0"

static const char myplugin_schema[] =
	"{\"$schema\":\"https://json-schema.org/draft/2020-12/schema\","
	"\"type\":\"object\",\"required\":[\"url\"],"
	"\"properties\":{"
	"\"url\":{\"type\":\"string\",\"minLength\":1,\"title\":\"Server URL\"},"
	"\"token\":{\"type\":\"string\",\"title\":\"API token\","
	"\"writeOnly\":true,\"format\":\"password\"}},"
	"\"additionalProperties\":false}";

/* Adds the fields of the only step. */
static int myplugin_fields(json_object *step)
{
	static const ch_field url = {
		.key = "url", .label = "Server URL", .widget = CH_WIDGET_TEXT,
		.placeholder = "https://example.com", .required = true,
	};
	static const ch_field token = {
		.key = "token", .label = "API token", .widget = CH_WIDGET_PASSWORD,
		.help = "Stored encrypted; never shown again.",
	};
	int rc = ch_sdk_step_field(step, &url);

	if (rc == CH_OK)
		rc = ch_sdk_step_field(step, &token);
	return rc;
}

/* setup: {"connector", "step": null | "<id>", "answers"} -> the next step. */
static int myplugin_setup(ch_call *call, const char *in, char **out)
{
	json_object *input = NULL;
	json_object *step = NULL;
	int rc;

	rc = ch_sdk_input(call, in, &input);
	if (rc != CH_OK)
		goto out;
	step = ch_sdk_step_new("server", "Server", "Where the service runs.");
	if (step == NULL) {
		rc = ch_sdk_fail(call, CH_E_NOMEM, "out of memory");
		goto out;
	}
	rc = myplugin_fields(step);
	if (rc != CH_OK) {
		rc = ch_sdk_fail(call, rc, "cannot build the setup step");
		goto out;
	}
	ch_sdk_step_flags(step, false, true);
	ch_sdk_step_fill(step, ch_sdk_obj(input, "answers"));
	rc = ch_sdk_output(call, step, out);
	step = NULL; /* ch_sdk_output released it */
out:
	json_object_put(step);
	json_object_put(input);
	return rc;
}

/* test: {"connector", "config"} -> {valid, message, failure_type, errors}. */
static int myplugin_test(ch_call *call, const char *in, char **out)
{
	json_object *input = NULL;
	json_object *res;
	const char *url;
	int rc;

	rc = ch_sdk_input(call, in, &input);
	if (rc != CH_OK)
		return rc;
	url = ch_sdk_str(ch_sdk_obj(input, "config"), "url", NULL);
	if (url == NULL || url[0] == '\0') {
		res = ch_sdk_test_result(false, CH_FAILURE_CONFIG, "no server URL");
		ch_sdk_test_error(res, "/url", "is required");
	} else {
		/* Replace with a real check of the service. */
		res = ch_sdk_test_result(true, NULL, "reachable");
	}
	json_object_put(input);
	return ch_sdk_output(call, res, out);
}

static const char *const myplugin_categories[] = {"other", NULL};

static const ch_type_desc myplugin_type = {
	CH_TYPE_HEADER,
	.id = "myplugin",
	.name = "My plugin",
	.version = MYPLUGIN_VERSION,
	.vendor = "Example Inc.",
	.description = "Template connector type: replace this paragraph with what "
		       "the connector connects to and what it can do.",
	.website_url = "https://example.com/",
	.categories = myplugin_categories,
	.license = CH_LICENSE_FREE,
	.config_schema = myplugin_schema,
	.setup = myplugin_setup,
	.test = myplugin_test,
};

CH_PLUGIN_DEFINE("myplugin", MYPLUGIN_VERSION, &myplugin_type)
