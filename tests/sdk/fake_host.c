/* A fake host services table for tests; see fake_host.h. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fake_host.h"

int fake_log_count;
int fake_log_level;
char fake_log_message[4096];
atomic_int fake_alloc_fail;
atomic_long fake_live_allocs;

static void fake_log(ch_call *call, int level, const char *fmt, ...) CH_PRINTF(3, 4);
static void fake_error_set(ch_call *call, int code, const char *fmt, ...) CH_PRINTF(3, 4);

static void fake_log(ch_call *call, int level, const char *fmt, ...)
{
	va_list ap;

	(void)call;
	fake_log_count++;
	fake_log_level = level;
	va_start(ap, fmt);
	vsnprintf(fake_log_message, sizeof(fake_log_message), fmt, ap);
	va_end(ap);
}

static void *fake_alloc(size_t size)
{
	void *p;

	if (atomic_load(&fake_alloc_fail))
		return NULL;
	p = malloc(size);
	if (p != NULL)
		atomic_fetch_add(&fake_live_allocs, 1);
	return p;
}

static void fake_free(void *ptr)
{
	if (ptr != NULL)
		atomic_fetch_sub(&fake_live_allocs, 1);
	free(ptr);
}

static void fake_error_set(ch_call *call, int code, const char *fmt, ...)
{
	va_list ap;

	if (call == NULL)
		return;
	call->code = code;
	call->errors++;
	va_start(ap, fmt);
	vsnprintf(call->message, sizeof(call->message), fmt, ap);
	va_end(ap);
}

static int fake_cache_get(ch_call *call, const char *key, char **value_out)
{
	(void)call;
	(void)key;
	*value_out = NULL;
	return CH_E_NOTFOUND;
}

static int fake_cache_put(ch_call *call, const char *key, const char *value, int64_t ttl_ms)
{
	(void)call;
	(void)key;
	(void)value;
	(void)ttl_ms;
	return CH_OK;
}

static int fake_cache_clear(ch_call *call)
{
	if (call == NULL)
		return CH_E_INVALID;
	call->cache_clears++;
	return call->cache_clear_rc;
}

static int64_t fake_ms(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t fake_clock_ms(void)
{
	return fake_ms(CLOCK_REALTIME);
}

static int64_t fake_monotonic_ms(void)
{
	return fake_ms(CLOCK_MONOTONIC);
}

const ch_host_api fake_host_api = {
	.abi_major = CH_ABI_MAJOR,
	.abi_minor = CH_ABI_MINOR,
	.struct_size = sizeof(ch_host_api),
	.log = fake_log,
	.alloc = fake_alloc,
	.free = fake_free,
	.error_set = fake_error_set,
	.cache_get = fake_cache_get,
	.cache_put = fake_cache_put,
	.cache_clear = fake_cache_clear,
	.clock_ms = fake_clock_ms,
	.monotonic_ms = fake_monotonic_ms,
};

void fake_host_reset(void)
{
	fake_log_count = 0;
	fake_log_level = -1;
	fake_log_message[0] = '\0';
	atomic_store(&fake_alloc_fail, 0);
	atomic_store(&fake_live_allocs, 0);
}

void fake_call_init(ch_call *call)
{
	memset(call, 0, sizeof(*call));
	call->code = CH_OK;
}
