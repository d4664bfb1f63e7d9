#include "hostapi.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "clock.h"
#include "log.h"

static void api_log(ch_call *call, int level, const char *fmt, ...) CH_PRINTF(3, 4);

static void api_log(ch_call *call, int level, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (level < CH_LOG_ERROR)
		level = CH_LOG_ERROR;
	if (level > CH_LOG_DEBUG)
		level = CH_LOG_DEBUG;
	if (call && call->connector_id)
		ch_log(level, "plugin %s [%s]: %s", call->plugin_name, call->connector_id, msg);
	else
		ch_log(level, "plugin %s: %s", call ? call->plugin_name : "-", msg);
}

void *ch_hostapi_alloc(size_t size)
{
	return malloc(size ? size : 1);
}

void ch_hostapi_free(void *ptr)
{
	free(ptr);
}

void ch_hostapi_error_set(ch_call *call, int code, const char *fmt, ...)
{
	va_list ap;

	if (!call)
		return;
	call->code = code < 0 ? code : CH_E_GENERIC;
	va_start(ap, fmt);
	vsnprintf(call->message, sizeof(call->message), fmt, ap);
	va_end(ap);
}

/* The cache is per connector; a call about no connector has none. */
static int api_cache_get(ch_call *call, const char *key, char **value_out)
{
	if (value_out)
		*value_out = NULL;
	if (!call || !call->connector_id || !key || !value_out)
		return CH_E_NOTFOUND;
	return ch_cache_get(call->connector_id, key, value_out);
}

static int api_cache_put(ch_call *call, const char *key, const char *value, int64_t ttl_ms)
{
	if (!call || !call->connector_id || !key || !value)
		return CH_E_INVALID;
	return ch_cache_put(call->connector_id, key, value, ttl_ms);
}

static int api_cache_clear(ch_call *call)
{
	if (!call || !call->connector_id)
		return CH_OK;
	return ch_cache_clear(call->connector_id);
}

static const ch_host_api host_api = {
	.abi_major = CH_ABI_MAJOR,
	.abi_minor = CH_ABI_MINOR,
	.struct_size = sizeof(ch_host_api),
	.log = api_log,
	.alloc = ch_hostapi_alloc,
	.free = ch_hostapi_free,
	.error_set = ch_hostapi_error_set,
	.cache_get = api_cache_get,
	.cache_put = api_cache_put,
	.cache_clear = api_cache_clear,
	.clock_ms = ch_clock_wall_ms,
	.monotonic_ms = ch_clock_mono_ms,
};

const ch_host_api *ch_hostapi(void)
{
	return &host_api;
}

void ch_call_init(ch_call *call, const char *plugin_name, const char *connector_id)
{
	memset(call, 0, sizeof(*call));
	call->plugin_name = plugin_name ? plugin_name : "-";
	call->connector_id = connector_id;
}
