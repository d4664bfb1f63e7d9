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

static const ch_field myplugin_server_fields[] = {
	{
		.key = "url", .label = "Server URL", .widget = CH_WIDGET_TEXT,
		.placeholder = "https://example.com", .required = true,
	},
	{
		.key = "token", .label = "API token", .widget = CH_WIDGET_PASSWORD,
		.help = "Stored encrypted; never shown again.",
	},
};

/* The only step: it has no next one, and finishes the setup. */
static const ch_step_def myplugin_server = {
	"server", "Server", "Where the service runs.",
	myplugin_server_fields, CH_SDK_COUNT(myplugin_server_fields), false, true,
};

/* The step after @p answered (NULL: the first); @p answers lets it branch. */
static int myplugin_next(ch_call *call, const char *answered, json_object *answers,
			 json_object **step)
{
	(void)answers;
	if (answered == NULL)
		return ch_sdk_step_make(call, &myplugin_server, NULL, 0, step);
	return ch_sdk_fail(call, CH_E_INVALID, "unknown setup step \"%s\"", answered);
}

/* setup: {"connector", "step": null | "<id>", "answers"} -> the next step. */
static int myplugin_setup(ch_call *call, const char *in, char **out)
{
	return ch_sdk_setup(call, in, out, myplugin_next);
}

/* Judges a configuration: {valid, message, failure_type, errors}. */
static int myplugin_check(ch_call *call, json_object *config, json_object **result)
{
	ch_problems problems = {NULL, 0};
	const char *url = ch_sdk_str(config, "url", NULL);

	(void)call;
	if (url == NULL || url[0] == '\0')
		ch_sdk_problem(&problems, "/url", "is required");
	if (problems.count > 0)
		*result = problems.result;
	else /* Replace with a real check of the service. */
		*result = ch_sdk_test_result(true, NULL, "reachable");
	return CH_OK;
}

/* test: {"connector", "config"} -> {valid, message, failure_type, errors}. */
static int myplugin_test(ch_call *call, const char *in, char **out)
{
	return ch_sdk_test(call, in, out, myplugin_check);
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
