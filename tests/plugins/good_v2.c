/* Fixture: a newer version of fixture-a, loaded beside 1.0.0. */
#include <connhub/sdk.h>

static int v2_test(ch_call *call, const char *in, char **out)
{
	(void)in;
	return ch_sdk_output(call, ch_sdk_test_result(true, NULL, "fixture-a 1.1.0 is fine"), out);
}

static const char *const categories[] = {"database", "test", NULL};

static const ch_type_desc fixture_a_v2 = {
	CH_TYPE_HEADER,
	.id = "fixture-a",
	.name = "Fixture A",
	.version = "1.1.0",
	.vendor = "connhub tests",
	.description = "The newer fixture-a.",
	.categories = categories,
	.license = CH_LICENSE_FREE,
	.config_schema = "{\"type\":\"object\",\"properties\":{\"host\":{\"type\":\"string\"}}}",
	.test = v2_test,
};

CH_PLUGIN_DEFINE("good-v2", "1.1.0", &fixture_a_v2)
