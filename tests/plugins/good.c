/* Fixture: a good plugin with two types, fixture-a 1.0.0 and fixture-b. */
#include <connhub/sdk.h>

#define SCHEMA_A                                                                            \
	"{\"type\":\"object\",\"properties\":{\"host\":{\"type\":\"string\"},"              \
	"\"port\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":65535},"                  \
	"\"password\":{\"type\":\"string\",\"writeOnly\":true,\"minLength\":3}},"          \
	"\"required\":[\"host\"]}"

/* Echoes the configuration it was given; fails when config.fail is set. */
static int a_test(ch_call *call, const char *in, char **out)
{
	json_object *input = NULL, *res;
	const char *fail;
	int rc = ch_sdk_input(call, in, &input);

	if (rc != CH_OK)
		return rc;
	fail = ch_sdk_str(ch_sdk_obj(input, "config"), "fail", NULL);
	if (fail) {
		rc = ch_sdk_fail(call, CH_E_CONFIG, "asked to fail: %s", fail);
		json_object_put(input); /* fail points into input */
		return rc;
	}
	res = ch_sdk_test_result(true, NULL, "fixture-a is fine");
	json_object_object_add(res, "echo", json_object_get(ch_sdk_obj(input, "config")));
	json_object_put(input);
	return ch_sdk_output(call, res, out);
}

/* Counts its calls in the per-connector cache. */
static int a_refresh(ch_call *call, const char *in, char **out)
{
	const ch_host_api *api = ch_sdk_host();
	char *seen = NULL;
	json_object *res = json_object_new_object();

	(void)in;
	if (api->cache_get(call, "seen", &seen) == CH_OK) {
		json_object_object_add(res, "cached", json_object_new_string(seen));
		api->free(seen);
	}
	api->cache_put(call, "seen", "yes", 0);
	return ch_sdk_output(call, res, out);
}

static const char *const a_categories[] = {"database", "test", NULL};

static const ch_type_desc fixture_a = {
	CH_TYPE_HEADER,
	.id = "fixture-a",
	.name = "Fixture A",
	.version = "1.0.0",
	.vendor = "connhub tests",
	.description = "A type that echoes its configuration.",
	.website_url = "https://example.org/a",
	.categories = a_categories,
	.license = CH_LICENSE_FREE,
	.config_schema = SCHEMA_A,
	.test = a_test,
	.refresh = a_refresh,
};

static const char *const b_categories[] = {"storage", NULL};

static const ch_type_desc fixture_b = {
	CH_TYPE_HEADER,
	.id = "fixture-b",
	.name = "Fixture B",
	.version = "2.1.0",
	.vendor = "connhub tests",
	.description = "A licensed type with no operations.",
	.categories = b_categories,
	.license = CH_LICENSE_LICENSED,
	.config_schema = "{\"type\":\"object\"}",
};

CH_PLUGIN_DEFINE("good", "1.0.0", &fixture_a, &fixture_b)
