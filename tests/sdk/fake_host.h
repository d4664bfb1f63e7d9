/*
 * A fake host for the SDK and plugin tests: the services table a real host
 * gives connhub_plugin_entry(), recording what the plugin does with it.
 */
#ifndef CH_TEST_FAKE_HOST_H
#define CH_TEST_FAKE_HOST_H

#include <stdatomic.h>

#include <connhub/plugin.h>

/* The host's side of a call: what the plugin reported through it. */
struct ch_call {
	int code;            /* last code given to error_set, CH_OK if none */
	char message[4096];  /* last message given to error_set */
	int errors;          /* how many times error_set ran */
	int cache_clears;    /* how many times cache_clear ran */
	int cache_clear_rc;  /* what cache_clear returns */
};

/* The table; abi 1.0, every entry set. Tests copy it to change fields. */
extern const ch_host_api fake_host_api;

/* What log() saw last (the fake is for one thread at a time). */
extern int fake_log_count;
extern int fake_log_level;
extern char fake_log_message[4096];

/* Make alloc() fail while non-zero. */
extern atomic_int fake_alloc_fail;

/* alloc() minus free() of non-NULL pointers. */
extern atomic_long fake_live_allocs;

/* Resets the counters and a call. */
void fake_host_reset(void);
void fake_call_init(ch_call *call);

#endif /* CH_TEST_FAKE_HOST_H */
