/*
 * Fixture: "fixture-nested" 1.0.0, a type whose secret is nested in an
 * object, for the tests of merging a change over stored secrets.
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

static int nested_test(ch_call *call, const char *in, char **out)
{
	json_object *input = NULL, *res;
	const char *key;
	int rc = ch_sdk_input(call, in, &input);

	if (rc != CH_OK)
		return rc;
	key = ch_sdk_str(ch_sdk_obj(ch_sdk_obj(input, "config"), "auth"), "key", NULL);
	if (key && strcmp(key, NESTED_KEY) == 0) {
		res = ch_sdk_test_result(true, NULL, "auth.key is the expected key");
	} else {
		res = ch_sdk_test_result(false, CH_FAILURE_CONFIG, "auth.key is not the expected key");
		ch_sdk_test_error(res, "/auth/key", key ? "is another key" : "is missing");
	}
	json_object_put(input);
	return ch_sdk_output(call, res, out);
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
