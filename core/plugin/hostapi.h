/*
 * The host services table given to plugins, and the per-call context.
 */
#ifndef CH_PLUGIN_HOSTAPI_H
#define CH_PLUGIN_HOSTAPI_H

#include <connhub/plugin.h>

/** The context of one operation call (opaque to plugins). */
struct ch_call {
	const char *connector_id; /* NULL when the call is about no connector */
	const char *plugin_name;  /* for log lines */
	int code;                 /* set by error_set */
	char message[1024];
	void *channel;            /* a runner's link to the host, or NULL */
};

/** The table passed to every plugin's entry in the host process. */
const ch_host_api *ch_hostapi(void);

/** The table a runner process passes to its plugin: cache calls and logs
 *  travel to the host over call->channel (see runner.c). */
const ch_host_api *ch_runner_hostapi(void);

/* The entries both tables share: memory is the C heap's, and error_set
 * records into the call context. */
void *ch_hostapi_alloc(size_t size);
void ch_hostapi_free(void *ptr);
void ch_hostapi_error_set(ch_call *call, int code, const char *fmt, ...) CH_PRINTF(3, 4);

/** Prepares a call context. */
void ch_call_init(ch_call *call, const char *plugin_name, const char *connector_id);

#endif /* CH_PLUGIN_HOSTAPI_H */
