/*
 * Errors: the thread's last error and the one table that maps a ch_status
 * code to an HTTP status and an RFC 9457 problem type.
 */
#ifndef CH_ERROR_H
#define CH_ERROR_H

#include <connhub/plugin.h>

typedef struct ch_error {
	int code;            /**< a ch_status code */
	const char *message; /**< never NULL; valid until the next set */
} ch_error;

/** Records the calling thread's last error and returns @p code. */
int ch_error_set(int code, const char *fmt, ...) CH_PRINTF(2, 3);

/** The calling thread's last error; never NULL ({CH_OK, ""} when none). */
const ch_error *ch_error_last(void);

/** Forgets the calling thread's last error. */
void ch_error_clear(void);

/** Symbolic name of a code ("CH_E_NOTFOUND"), "CH_E_UNKNOWN" if none. */
const char *ch_status_name(int code);

/** HTTP status a code answers with (500 for unknown codes). */
int ch_status_http(int code);

/** Problem type slug for a code ("not-found"). */
const char *ch_status_slug(int code);

/** Problem title for a code ("Plugin quarantined"), or NULL when it is the
 *  HTTP status's reason phrase. */
const char *ch_status_title(int code);

#endif /* CH_ERROR_H */
