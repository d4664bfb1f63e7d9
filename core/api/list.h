/*
 * List parameters shared by every collection: page, per_page (1-100,
 * default 25), sort ("name" or "-name" among allowed fields) and
 * filter[field] among allowed filters; the answer's {data, meta}.
 */
#ifndef CH_API_LIST_H
#define CH_API_LIST_H

#include <stddef.h>

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
