/*
 * Fixture: "fixture-nested" 1.0.0, a type whose secret is nested in an
 * object, for the tests of merging a change over stored secrets (built
 * into the wizard fixtures' directory: both are about stored secrets).
 *
 *   config  {name?, auth?: {user, key? (writeOnly)}, tags?: [string]}
 *   test    valid when auth.key is "nested-right-key"; otherwise a
 *           config_error at /auth/key saying whether the key is missing or
 *           another one (never which)
 */
#include <string.h>

#include <connhub/sdk.h>

#define NESTED_KEY "nested-right-key"

#define NESTED_SCHEMA                                                                       \
	"{\"type\":\"object\",\"properties\":{"                                             \
	"\"name\":{\"type\":\"string\"},"                                                   \
	"\"auth\":{\"type\":\"object\",\"properties\":{"                                    \
	"\"user\":{\"type\":\"string\",\"minLength\":1},"                                   \
	"\"key\":{\"type\":\"string\",\"writeOnly\":true,\"minLength\":3}},"                \
	"\"required\":[\"user\"],\"additionalProperties\":false},"                          \
	"\"tags\":{\"type\":\"array\",\"items\":{\"type\":\"string\"}}},"                   \
	"\"additionalProperties\":false}"

/* Judges auth.key without ever saying it. */
static int nested_check(ch_call *call, json_object *config, json_object **result)
{
	const char *key = ch_sdk_str(ch_sdk_obj(config, "auth"), "key", NULL);

	(void)call;
	if (key && strcmp(key, NESTED_KEY) == 0) {
		*result = ch_sdk_test_result(true, NULL, "auth.key is the expected key");
		return CH_OK;
	}
	*result = ch_sdk_test_result(false, CH_FAILURE_CONFIG, "auth.key is not the expected key");
	if (*result)
		ch_sdk_test_error(*result, "/auth/key", key ? "is another key" : "is missing");
	return CH_OK;
}

static int nested_test(ch_call *call, const char *in, char **out)
{
	return ch_sdk_test(call, in, out, nested_check);
}

static const char *const nested_categories[] = {"test", NULL};

static const ch_type_desc fixture_nested = {
	CH_TYPE_HEADER,
	.id = "fixture-nested",
	.name = "Fixture Nested",
	.version = "1.0.0",
	.vendor = "connhub tests",
	.description = "A type whose secret is nested: auth.key.",
	.categories = nested_categories,
	.license = CH_LICENSE_FREE,
	.config_schema = NESTED_SCHEMA,
	.test = nested_test,
};

CH_PLUGIN_DEFINE("nested", "1.0.0", &fixture_nested)
