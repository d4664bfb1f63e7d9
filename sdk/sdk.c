/*
 * connhub SDK: the host's services table, logging, errors, and the JSON
 * text that enters and leaves an operation. Setup steps and test results
 * are in step.c.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <connhub/sdk.h>

#include "sdk_private.h"

/* Size of a host table that has every ABI 1.0 entry. */
#define CH_SDK_API_MIN_SIZE                                                   \
	(offsetof(ch_host_api, monotonic_ms) + sizeof(((ch_host_api *)0)->monotonic_ms))

/* Size of a host table that has at least the log entry. */
#define CH_SDK_API_LOG_SIZE                                                   \
	(offsetof(ch_host_api, log) + sizeof(((ch_host_api *)0)->log))

/* Bytes formatted on the stack before a message moves to the heap. */
#define CH_SDK_MSG_STACK 512

/*
 * The host's table. Written by ch_sdk_init() from connhub_plugin_entry()
 * (once per load) and read by every operation, possibly from several
 * threads at once; atomic so a second load never races with a call.
 */
static _Atomic(const ch_host_api *) ch_sdk_api;

/* Tells the host why the SDK refuses its table, when the table is sound
 * enough to reach log(): same major and large enough. */
static void sdk_refuse(const ch_host_api *api, const char *why)
{
	if (api->abi_major != CH_ABI_MAJOR || api->struct_size < CH_SDK_API_LOG_SIZE)
		return;
	if (api->log != NULL)
		api->log(NULL, CH_LOG_ERROR, "connhub SDK %s: %s", CH_SDK_VERSION, why);
}

int ch_sdk_init(const ch_host_api *api)
{
	int rc = CH_E_ABI;

	if (api == NULL || api->abi_major != CH_ABI_MAJOR)
		goto out;
	if (api->struct_size < CH_SDK_API_MIN_SIZE) {
		sdk_refuse(api, "the host's services table is older than ABI 1.0");
		goto out;
	}
	if (api->alloc == NULL || api->free == NULL || api->error_set == NULL) {
		sdk_refuse(api, "the host's services table lacks alloc, free or error_set");
		goto out;
	}
	atomic_store(&ch_sdk_api, api);
	rc = CH_OK;
out:
	return rc;
}

const ch_host_api *ch_sdk_host(void)
{
	return atomic_load(&ch_sdk_api);
}

/*
 * Formats a message into @p stack, or into memory from api->alloc when it
 * does not fit. Returns @p stack or the heap copy (free it with api->free);
 * when the heap copy cannot be had, the truncated stack text.
 */
CH_PRINTF(4, 0)
static char *sdk_vformat(const ch_host_api *api, char *stack, size_t size,
			 const char *fmt, va_list ap)
{
	char *msg = stack;
	char *heap = NULL;
	va_list again;
	int len;

	va_copy(again, ap);
	len = vsnprintf(stack, size, fmt, ap);
	if (len < 0) {
		snprintf(stack, size, "%s", "(message could not be formatted)");
		goto out;
	}
	if ((size_t)len < size)
		goto out;
	heap = api->alloc((size_t)len + 1);
	if (heap == NULL)
		goto out; /* keep the truncated text */
	vsnprintf(heap, (size_t)len + 1, fmt, again);
	msg = heap;
out:
	va_end(again);
	return msg;
}

void ch_sdk_log(ch_call *call, int level, const char *fmt, ...)
{
	const ch_host_api *api = atomic_load(&ch_sdk_api);
	char stack[CH_SDK_MSG_STACK];
	char *msg;
	va_list ap;

	if (api == NULL || api->log == NULL || fmt == NULL)
		return;
	va_start(ap, fmt);
	msg = sdk_vformat(api, stack, sizeof(stack), fmt, ap);
	va_end(ap);
	api->log(call, level, "%s", msg);
	if (msg != stack)
		api->free(msg);
}

int ch_sdk_fail(ch_call *call, int code, const char *fmt, ...)
{
	const ch_host_api *api = atomic_load(&ch_sdk_api);
	char stack[CH_SDK_MSG_STACK];
	char *msg;
	va_list ap;

	if (code >= 0)
		code = CH_E_GENERIC; /* a failure is never CH_OK */
	if (api == NULL)
		return code;
	if (fmt == NULL) {
		api->error_set(call, code, "%s", "unknown error");
		return code;
	}
	va_start(ap, fmt);
	msg = sdk_vformat(api, stack, sizeof(stack), fmt, ap);
	va_end(ap);
	api->error_set(call, code, "%s", msg);
	if (msg != stack)
		api->free(msg);
	return code;
}

/* --- JSON text ------------------------------------------------------- */

/* Copies the reason a parse failed into err. */
static void sdk_parse_error(char *err, size_t errlen, const char *what, size_t offset)
{
	if (errlen > 0)
		snprintf(err, errlen, "%s at offset %zu", what, offset);
}

int ch_sdk_priv_parse(const char *text, json_object **out, char *err, size_t errlen)
{
	json_tokener *tok = NULL;
	json_object *val = NULL;
	enum json_tokener_error jerr;
	size_t len = strlen(text);
	int rc = CH_E_INVALID;

	*out = NULL;
	if (errlen > 0)
		err[0] = '\0';
	if (len >= INT_MAX) {
		sdk_parse_error(err, errlen, "text too large", 0);
		goto out;
	}
	tok = json_tokener_new();
	if (tok == NULL) {
		rc = CH_E_NOMEM;
		sdk_parse_error(err, errlen, "out of memory", 0);
		goto out;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	/* len + 1 hands over the NUL too, so "42" or "null" ends there. */
	val = json_tokener_parse_ex(tok, text, (int)len + 1);
	jerr = json_tokener_get_error(tok);
	if (jerr != json_tokener_success) {
		sdk_parse_error(err, errlen, json_tokener_error_desc(jerr),
				json_tokener_get_parse_end(tok));
		goto out;
	}
	*out = val;
	val = NULL; /* the caller owns it now */
	rc = CH_OK;
out:
	json_object_put(val);
	if (tok != NULL)
		json_tokener_free(tok);
	return rc;
}

int ch_sdk_input(ch_call *call, const char *input, json_object **out)
{
	json_object *obj = NULL;
	char err[128];
	int rc;

	if (out == NULL)
		return ch_sdk_fail(call, CH_E_INVALID, "ch_sdk_input: no output pointer");
	*out = NULL;
	if (input == NULL) {
		rc = ch_sdk_fail(call, CH_E_INVALID, "input is not a JSON object: no input");
		goto out;
	}
	rc = ch_sdk_priv_parse(input, &obj, err, sizeof(err));
	if (rc != CH_OK) {
		rc = ch_sdk_fail(call, rc, "input is not a JSON object: %s", err);
		goto out;
	}
	if (!json_object_is_type(obj, json_type_object)) {
		rc = ch_sdk_fail(call, CH_E_INVALID, "input is not a JSON object: found %s",
				 json_type_to_name(json_object_get_type(obj)));
		goto out;
	}
	*out = obj;
	obj = NULL; /* the caller owns it now */
out:
	json_object_put(obj);
	return rc;
}

int ch_sdk_output(ch_call *call, json_object *obj, char **output)
{
	const ch_host_api *api = atomic_load(&ch_sdk_api);
	const char *text;
	char *copy;
	size_t len = 0;
	int rc = CH_E_NOMEM;

	if (output == NULL) {
		rc = ch_sdk_fail(call, CH_E_INVALID, "ch_sdk_output: no output pointer");
		goto out;
	}
	*output = NULL;
	if (api == NULL) {
		rc = CH_E_ABI; /* ch_sdk_init() never ran: no allocator to use */
		goto out;
	}
	if (obj == NULL) {
		rc = ch_sdk_fail(call, CH_E_NOMEM, "out of memory building the output");
		goto out;
	}
	text = json_object_to_json_string_length(obj, CH_SDK_JSON_FLAGS, &len);
	copy = text != NULL ? api->alloc(len + 1) : NULL;
	if (copy == NULL) {
		rc = ch_sdk_fail(call, CH_E_NOMEM, "out of memory serialising the output");
		goto out;
	}
	memcpy(copy, text, len + 1);
	*output = copy; /* the host owns it now */
	rc = CH_OK;
out:
	json_object_put(obj);
	return rc;
}

/* --- reading values -------------------------------------------------- */

/* The member @p key of @p obj when it has type @p type, else NULL. */
static json_object *sdk_member(json_object *obj, const char *key, json_type type)
{
	json_object *val = NULL;

	if (obj == NULL || key == NULL || !json_object_is_type(obj, json_type_object))
		return NULL;
	if (!json_object_object_get_ex(obj, key, &val))
		return NULL;
	return json_object_is_type(val, type) ? val : NULL;
}

const char *ch_sdk_str(json_object *obj, const char *key, const char *dflt)
{
	json_object *val = sdk_member(obj, key, json_type_string);

	return val != NULL ? json_object_get_string(val) : dflt;
}

int64_t ch_sdk_int(json_object *obj, const char *key, int64_t dflt)
{
	json_object *val = sdk_member(obj, key, json_type_int);

	return val != NULL ? json_object_get_int64(val) : dflt;
}

bool ch_sdk_bool(json_object *obj, const char *key, bool dflt)
{
	json_object *val = sdk_member(obj, key, json_type_boolean);

	return val != NULL ? json_object_get_boolean(val) != 0 : dflt;
}

json_object *ch_sdk_obj(json_object *obj, const char *key)
{
	return sdk_member(obj, key, json_type_object);
}

/* --- building values ------------------------------------------------- */

int ch_sdk_priv_put(json_object *obj, const char *key, json_object *val)
{
	if (val == NULL)
		return CH_E_NOMEM;
	if (json_object_object_add(obj, key, val) != 0) {
		json_object_put(val);
		return CH_E_NOMEM;
	}
	return CH_OK;
}

int ch_sdk_priv_put_str(json_object *obj, const char *key, const char *str)
{
	if (str == NULL)
		return json_object_object_add(obj, key, NULL) == 0 ? CH_OK : CH_E_NOMEM;
	return ch_sdk_priv_put(obj, key, json_object_new_string(str));
}

int ch_sdk_priv_append(json_object *arr, json_object *val)
{
	if (val == NULL)
		return CH_E_NOMEM;
	if (json_object_array_add(arr, val) != 0) {
		json_object_put(val);
		return CH_E_NOMEM;
	}
	return CH_OK;
}
