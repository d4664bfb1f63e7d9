/*
 * List parameters shared by every collection: page, per_page (1-100,
 * default 25), sort ("name" or "-name" among allowed fields) and
 * filter[field] among allowed filters; the answer's {data, meta}.
 */
#ifndef CH_API_LIST_H
#define CH_API_LIST_H

#include <stddef.h>

#include "error.h"
#include "http/http.h"

#define CH_LIST_PER_PAGE_DEFAULT 25
#define CH_LIST_PER_PAGE_MAX 100

typedef struct ch_list_params {
	size_t page;     /* from 1 */
	size_t per_page; /* 1..100 */
	const char *sort;   /* field name without '-' (borrowed) */
	int descending;
} ch_list_params;

/**
 * Reads the list parameters. @p sorts and @p filters are NULL-terminated
 * lists of the allowed names; @p default_sort is used when none is given.
 * On a bad value fills @p resp with a 400 problem whose errors name the
 * parameter, and returns CH_E_INVALID.
 */
int ch_list_parse(ch_http_req *req, ch_http_resp *resp, const char *const *sorts,
		  const char *const *filters, const char *default_sort, ch_list_params *out);

/** Sizes of a cursor's parts and of its text (base64url, NUL included). */
#define CH_LIST_CURSOR_KEY 80
#define CH_LIST_CURSOR_ID 48
#define CH_LIST_CURSOR_MAX 256

/** A position in a sorted list: the sort key and id of the row to continue
 *  after. */
typedef struct ch_list_cursor {
	char key[CH_LIST_CURSOR_KEY];
	char id[CH_LIST_CURSOR_ID];
} ch_list_cursor;

/**
 * The opaque cursor of the row (@p key, @p id) in a list sorted as @p p
 * says: base64url (no padding) of "v1\n<sort>\n<key>\n<id>", the sort
 * with its '-' when descending. Keys and ids hold no newline.
 * @param[out] out  the text, NUL-terminated (truncated to nothing when
 *                  @p key or @p id is too long).
 */
void ch_list_cursor_make(char out[CH_LIST_CURSOR_MAX], const ch_list_params *p, const char *key,
			 const char *id);

/**
 * Reads ?cursor= for a list sorted as @p p says (after ch_list_parse()).
 * @param[out] out  the position, when there is a cursor.
 * @return 0 without a cursor, 1 with one; CH_E_INVALID after filling
 *         @p resp with a 400 naming "cursor" when it is malformed, was made
 *         for another sort, or comes with page.
 */
int ch_list_cursor_parse(ch_http_req *req, ch_http_resp *resp, const ch_list_params *p,
			 ch_list_cursor *out);

/** The same 400 problem as the list parameters' ("query parameter @p param
 *  <message>", errors [{parameter, message}]); returns CH_E_INVALID. */
int ch_list_bad_param(ch_http_req *req, ch_http_resp *resp, const char *param, const char *fmt,
		      ...) CH_PRINTF(4, 5);

/** The value of filter[@p name], or NULL. */
const char *ch_list_filter(ch_http_req *req, const char *name);

/**
 * The value of filter[@p name], which must be one of @p values (a
 * NULL-terminated list). On another value fills @p resp with a 400 problem
 * naming filter[@p name] and the values it takes, and returns CH_E_INVALID.
 * @param[out] out  the value (borrowed from the request), NULL when absent.
 */
int ch_list_filter_in(ch_http_req *req, ch_http_resp *resp, const char *name,
		      const char *const *values, const char **out);

/** {data: page of @p items (an array, consumed), meta: {page, per_page,
 *  total}}; @p items holds the whole sorted list, the page is cut here. */
json_object *ch_list_page(json_object *items, const ch_list_params *p);

#endif /* CH_API_LIST_H */
