/*
 * connhub SDK: ready-made operations. ch_sdk_setup() and ch_sdk_test() do
 * the plumbing every setup and test operation repeats (parse the input,
 * pick out what the plugin needs, write the output); the plugin gives the
 * part that is its own. ch_sdk_refresh_cache() is a whole refresh.
 */
#include <stddef.h>

#include <connhub/sdk.h>

/* Reads "step" of the setup input: null (or absent) or a step id. */
static int sdk_step_answered(ch_call *call, json_object *input, const char **out)
{
	json_object *step = NULL;

	*out = NULL;
	if (!json_object_object_get_ex(input, "step", &step) || step == NULL)
		return CH_OK;
	if (!json_object_is_type(step, json_type_string))
		return ch_sdk_fail(call, CH_E_INVALID, "\"step\" must be null or a step id");
	*out = json_object_get_string(step);
	return CH_OK;
}

int ch_sdk_setup(ch_call *call, const char *input, char **output, ch_sdk_next_fn next)
{
	json_object *in = NULL;
	json_object *answers;
	json_object *step = NULL;
	const char *answered = NULL;
	int rc;

	if (next == NULL)
		return ch_sdk_fail(call, CH_E_INVALID, "ch_sdk_setup: no next-step function");
	rc = ch_sdk_input(call, input, &in);
	if (rc == CH_OK)
		rc = sdk_step_answered(call, in, &answered);
	answers = ch_sdk_obj(in, "answers");
	if (rc == CH_OK)
		rc = next(call, answered, answers, &step);
	if (rc != CH_OK)
		goto out;
	ch_sdk_step_fill(step, answers);
	rc = ch_sdk_output(call, step, output);
	step = NULL; /* ch_sdk_output released it */
out:
	json_object_put(step);
	json_object_put(in);
	return rc;
}

int ch_sdk_test(ch_call *call, const char *input, char **output, ch_sdk_check_fn check)
{
	json_object *in = NULL;
	json_object *config;
	json_object *res = NULL;
	int rc;

	if (check == NULL)
		return ch_sdk_fail(call, CH_E_INVALID, "ch_sdk_test: no check function");
	rc = ch_sdk_input(call, input, &in);
	if (rc != CH_OK)
		goto out;
	config = ch_sdk_obj(in, "config");
	if (config == NULL) {
		rc = ch_sdk_fail(call, CH_E_INVALID, "test input has no \"config\" object");
		goto out;
	}
	rc = check(call, config, &res);
	if (rc != CH_OK)
		goto out;
	rc = ch_sdk_output(call, res, output);
	res = NULL; /* ch_sdk_output released it */
out:
	json_object_put(res);
	json_object_put(in);
	return rc;
}

int ch_sdk_refresh_cache(ch_call *call, const char *input, char **output)
{
	const ch_host_api *api = ch_sdk_host();
	int rc;

	(void)input; /* nothing in the input matters */
	if (api == NULL || api->cache_clear == NULL)
		return ch_sdk_fail(call, CH_E_UNSUPPORTED, "the host has no cache to clear");
	rc = api->cache_clear(call);
	if (rc != CH_OK)
		return ch_sdk_fail(call, rc, "cannot clear the connector's cache");
	return ch_sdk_output(call, json_object_new_object(), output);
}
