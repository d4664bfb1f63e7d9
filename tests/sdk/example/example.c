/*
 * A tiny out-of-tree plugin: one type "example" with a one-step setup and
 * a test that always passes. Built by tests/sdk/out_of_tree.sh both with
 * CMake (find_package(connhub)) and by hand with pkg-config.
 */
#include <connhub/sdk.h>

static int example_setup(ch_call *call, const char *in, char **out)
{
	static const ch_field name = {
		.key = "name", .label = "Name", .widget = CH_WIDGET_TEXT,
		.required = true, .placeholder = "world",
	};
	json_object *input = NULL;
	json_object *step = NULL;
	int rc;

	rc = ch_sdk_input(call, in, &input);
	if (rc != CH_OK)
		goto out;
	step = ch_sdk_step_new("hello", "Hello", "Whom to greet.");
	rc = step != NULL ? ch_sdk_step_field(step, &name) : CH_E_NOMEM;
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

static int example_test(ch_call *call, const char *in, char **out)
{
	json_object *input = NULL;
	int rc;

	rc = ch_sdk_input(call, in, &input);
	if (rc != CH_OK)
		return rc;
	json_object_put(input);
	return ch_sdk_output(call, ch_sdk_test_result(true, NULL, "example is fine"), out);
}

static const char *const example_categories[] = {"other", NULL};

static const ch_type_desc example_type = {
	CH_TYPE_HEADER,
	.id = "example",
	.name = "Example",
	.version = "1.0.0",
	.vendor = "connhub tests",
	.description = "A connector type built outside the connhub tree to test the SDK.",
	.website_url = "https://example.com/",
	.categories = example_categories,
	.license = CH_LICENSE_FREE,
	.config_schema = "{\"type\":\"object\",\"properties\":{\"name\":{\"type\":\"string\"}}}",
	.setup = example_setup,
	.test = example_test,
};

CH_PLUGIN_DEFINE("example", "1.0.0", &example_type)
