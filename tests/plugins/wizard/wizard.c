/*
 * Fixture: "branchy" 1.0.0, a type whose setup wizard branches and asks
 * for secrets, for the wizard API tests.
 *
 *   setup    null → "server" (host) → "auth" (key | oauth) →
 *            "key" (api_key, a secret) or "oauth" (client_id, client_secret,
 *            a secret) → "region" (eu | us; the last step, can finish)
 *   test     valid when api_key is "right-key" or client_secret is
 *            "right-secret"; otherwise a config_error pointing at the
 *            credential of the chosen auth
 *   refresh  reads then writes the host's per-connector cache ("n": the
 *            value before + 1), logs the value before ("branchy refresh:
 *            cached n was N", 0 when absent) and answers
 *            {"cached": <the value before, or null>}; test logs the value
 *            ("branchy test: cached n is N")
 * The type's schema is stricter than the oauth step's: a client id holds
 * no space, which only finish's validation of the whole configuration
 * checks.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <connhub/sdk.h>

#define BR_SCHEMA                                                                              \
	"{\"type\":\"object\","                                                                \
	"\"properties\":{"                                                                     \
	"\"host\":{\"type\":\"string\",\"minLength\":1},"                                      \
	"\"auth\":{\"type\":\"string\",\"enum\":[\"key\",\"oauth\"]},"                         \
	"\"api_key\":{\"type\":\"string\",\"writeOnly\":true},"                                \
	"\"client_id\":{\"type\":\"string\",\"pattern\":\"^[^ ]+$\"},"                         \
	"\"client_secret\":{\"type\":\"string\",\"format\":\"password\"},"                     \
	"\"region\":{\"type\":\"string\",\"enum\":[\"eu\",\"us\"],\"default\":\"eu\"}},"       \
	"\"required\":[\"host\",\"auth\"],"                                                    \
	"\"allOf\":["                                                                          \
	"{\"if\":{\"properties\":{\"auth\":{\"const\":\"key\"}},\"required\":[\"auth\"]},"     \
	"\"then\":{\"required\":[\"api_key\"]}},"                                              \
	"{\"if\":{\"properties\":{\"auth\":{\"const\":\"oauth\"}},\"required\":[\"auth\"]},"   \
	"\"then\":{\"required\":[\"client_id\",\"client_secret\"]}}],"                         \
	"\"additionalProperties\":false}"

static const char *const br_auth_kinds[] = {"key", "oauth", NULL};
static const char *const br_regions[] = {"eu", "us", NULL};

static const ch_field br_server_fields[] = {
	{.key = "host", .label = "Host", .widget = CH_WIDGET_TEXT, .help = "The API's host name.",
	 .placeholder = "api.example.org", .required = true,
	 .schema = "{\"type\":\"string\",\"minLength\":1}"},
};

static const ch_field br_auth_fields[] = {
	{.key = "auth", .label = "Authentication", .widget = CH_WIDGET_SELECT, .required = true,
	 .options = br_auth_kinds},
};

static const ch_field br_key_fields[] = {
	{.key = "api_key", .label = "API key", .widget = CH_WIDGET_PASSWORD, .required = true},
};

static const ch_field br_oauth_fields[] = {
	{.key = "client_id", .label = "Client id", .widget = CH_WIDGET_TEXT, .required = true},
	{.key = "client_secret", .label = "Client secret", .widget = CH_WIDGET_PASSWORD,
	 .required = true},
};

static const ch_field br_region_fields[] = {
	{.key = "region", .label = "Region", .widget = CH_WIDGET_SELECT, .options = br_regions,
	 .default_json = "\"eu\""},
};

static const ch_step_def br_steps[] = {
	{"server", "Server", "Step server of the branchy wizard.", br_server_fields,
	 CH_SDK_COUNT(br_server_fields), true, false},
	{"auth", "Authentication", "Step auth of the branchy wizard.", br_auth_fields,
	 CH_SDK_COUNT(br_auth_fields), true, false},
	{"key", "API key", "Step key of the branchy wizard.", br_key_fields,
	 CH_SDK_COUNT(br_key_fields), true, false},
	{"oauth", "OAuth client", "Step oauth of the branchy wizard.", br_oauth_fields,
	 CH_SDK_COUNT(br_oauth_fields), true, false},
	{"region", "Region", "Step region of the branchy wizard.", br_region_fields,
	 CH_SDK_COUNT(br_region_fields), false, true},
};

/* The id of the step after @p answered (NULL: the first), from the answers. */
static const char *br_next_id(const char *answered, json_object *answers)
{
	if (answered == NULL)
		return "server";
	if (strcmp(answered, "server") == 0)
		return "auth";
	if (strcmp(answered, "auth") == 0)
		return strcmp(ch_sdk_str(answers, "auth", ""), "key") == 0 ? "key" : "oauth";
	if (strcmp(answered, "key") == 0 || strcmp(answered, "oauth") == 0)
		return "region";
	return NULL;
}

static int br_next(ch_call *call, const char *answered, json_object *answers, json_object **step)
{
	const char *id = br_next_id(answered, answers);

	for (size_t i = 0; id && i < CH_SDK_COUNT(br_steps); i++)
		if (strcmp(br_steps[i].id, id) == 0)
			return ch_sdk_step_make(call, &br_steps[i], NULL, 0, step);
	return ch_sdk_fail(call, CH_E_INVALID, "no step follows \"%s\"",
			   answered ? answered : "(null)");
}

static int br_setup(ch_call *call, const char *in, char **out)
{
	return ch_sdk_setup(call, in, out, br_next);
}

/* Logs the cache's "n" (0 when absent), so the tests see the cache. */
static void br_log_cache(ch_call *call)
{
	const ch_host_api *api = ch_sdk_host();
	char *v = NULL;

	if (api->cache_get(call, "n", &v) == CH_OK) {
		ch_sdk_log(call, CH_LOG_INFO, "branchy test: cached n is %s", v);
		api->free(v);
	} else {
		ch_sdk_log(call, CH_LOG_INFO, "branchy test: cached n is 0");
	}
}

static int br_test(ch_call *call, const char *in, char **out)
{
	json_object *input = NULL, *config, *res;
	int rc = ch_sdk_input(call, in, &input);

	if (rc != CH_OK)
		return rc;
	br_log_cache(call);
	config = ch_sdk_obj(input, "config");
	if (strcmp(ch_sdk_str(config, "api_key", ""), "right-key") == 0 ||
	    strcmp(ch_sdk_str(config, "client_secret", ""), "right-secret") == 0) {
		res = ch_sdk_test_result(true, NULL, "the credentials are right");
	} else {
		int key = strcmp(ch_sdk_str(config, "auth", "key"), "key") == 0;

		res = ch_sdk_test_result(false, CH_FAILURE_CONFIG, "the credentials are wrong");
		ch_sdk_test_error(res, key ? "/api_key" : "/client_secret", "is not accepted");
	}
	json_object_put(input);
	return ch_sdk_output(call, res, out);
}

static int br_refresh(ch_call *call, const char *in, char **out)
{
	const ch_host_api *api = ch_sdk_host();
	json_object *res = json_object_new_object();
	char *v = NULL, next[32];
	long n = 0;

	(void)in;
	if (api->cache_get(call, "n", &v) == CH_OK) {
		json_object_object_add(res, "cached", json_object_new_string(v));
		n = strtol(v, NULL, 10);
		api->free(v);
	} else {
		json_object_object_add(res, "cached", NULL);
	}
	ch_sdk_log(call, CH_LOG_INFO, "branchy refresh: cached n was %ld", n);
	snprintf(next, sizeof(next), "%ld", n + 1);
	api->cache_put(call, "n", next, 0);
	return ch_sdk_output(call, res, out);
}

static const char *const br_categories[] = {"test", NULL};

static const ch_type_desc branchy = {
	CH_TYPE_HEADER,
	.id = "branchy",
	.name = "Branchy",
	.version = "1.0.0",
	.vendor = "connhub tests",
	.description = "A type whose setup wizard branches on the authentication chosen.",
	.categories = br_categories,
	.license = CH_LICENSE_FREE,
	.config_schema = BR_SCHEMA,
	.setup = br_setup,
	.test = br_test,
	.refresh = br_refresh,
};

CH_PLUGIN_DEFINE("wizard", "1.0.0", &branchy)
