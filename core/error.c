#include "error.h"

#include <stdarg.h>
#include <stdio.h>

struct status_row {
	int code;
	const char *name;
	int http;
	const char *slug;
	const char *title; /* NULL: the HTTP status's reason phrase */
};

/* The single table from status codes to HTTP. Index = -code. */
static const struct status_row rows[] = {
	{CH_OK, "CH_OK", 200, "ok", NULL},
	{CH_E_GENERIC, "CH_E_GENERIC", 500, "internal-error", NULL},
	{CH_E_NOMEM, "CH_E_NOMEM", 503, "out-of-memory", NULL},
	{CH_E_INVALID, "CH_E_INVALID", 422, "validation-failed", NULL},
	{CH_E_NOTFOUND, "CH_E_NOTFOUND", 404, "not-found", NULL},
	{CH_E_EXISTS, "CH_E_EXISTS", 409, "already-exists", NULL},
	{CH_E_UNSUPPORTED, "CH_E_UNSUPPORTED", 501, "not-implemented", NULL},
	{CH_E_CONFIG, "CH_E_CONFIG", 422, "configuration-error", NULL},
	{CH_E_TRANSIENT, "CH_E_TRANSIENT", 503, "temporarily-unavailable", NULL},
	{CH_E_TIMEOUT, "CH_E_TIMEOUT", 504, "timeout", NULL},
	{CH_E_IO, "CH_E_IO", 500, "io-error", NULL},
	{CH_E_CONFLICT, "CH_E_CONFLICT", 409, "conflict", NULL},
	{CH_E_ABI, "CH_E_ABI", 500, "abi-mismatch", NULL},
	{CH_E_TOO_LARGE, "CH_E_TOO_LARGE", 413, "payload-too-large", NULL},
	{CH_E_AUTH, "CH_E_AUTH", 401, "unauthorized", NULL},
	{CH_E_FORBIDDEN, "CH_E_FORBIDDEN", 403, "forbidden", NULL},
	{CH_E_CRASHED, "CH_E_CRASHED", 502, "plugin-crashed", NULL},
	{CH_E_UNAVAILABLE, "CH_E_UNAVAILABLE", 503, "unavailable", NULL},
	{CH_E_BUSY, "CH_E_BUSY", 503, "busy", NULL},
	{CH_E_QUARANTINED, "CH_E_QUARANTINED", 503, "plugin-quarantined", "Plugin quarantined"},
};

#define ROW_COUNT (sizeof(rows) / sizeof(rows[0]))

static _Thread_local char last_message[1024];
static _Thread_local ch_error last = {CH_OK, ""};

static const struct status_row *row_of(int code)
{
	if (code > 0 || (unsigned)-code >= ROW_COUNT)
		return &rows[1]; /* unknown codes are internal errors */
	return &rows[-code];
}

int ch_error_set(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last_message, sizeof(last_message), fmt, ap);
	va_end(ap);
	last.code = code;
	last.message = last_message;
	return code;
}

const ch_error *ch_error_last(void)
{
	if (!last.message)
		last.message = "";
	return &last;
}

void ch_error_clear(void)
{
	last.code = CH_OK;
	last_message[0] = '\0';
	last.message = last_message;
}

const char *ch_status_name(int code)
{
	if (code > 0 || (unsigned)-code >= ROW_COUNT)
		return "CH_E_UNKNOWN";
	return rows[-code].name;
}

int ch_status_http(int code)
{
	return row_of(code)->http;
}

const char *ch_status_slug(int code)
{
	return row_of(code)->slug;
}

const char *ch_status_title(int code)
{
	return row_of(code)->title;
}
