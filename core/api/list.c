#include "list.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "error.h"

int ch_list_bad_param(ch_http_req *req, ch_http_resp *resp, const char *param, const char *fmt,
		      ...)
{
	char msg[256], detail[320];
	json_object *p, *errors = json_object_new_array(), *e = json_object_new_object();
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(detail, sizeof(detail), "query parameter %s %s", param, msg);
	p = ch_http_problem(resp, req, 400, "invalid-parameter", "Bad Request", detail);
	json_object_object_add(e, "parameter", json_object_new_string(param));
	json_object_object_add(e, "message", json_object_new_string(msg));
	json_object_array_add(errors, e);
	json_object_object_add(p, "errors", errors);
	return CH_E_INVALID;
}

static int parse_size(const char *v, size_t min, size_t max, size_t *out)
{
	unsigned long long n;
	char *end = NULL;

	if (!v || *v < '0' || *v > '9')
		return CH_E_INVALID;
	errno = 0;
	n = strtoull(v, &end, 10);
	if (errno || *end || n < min || n > max)
		return CH_E_INVALID;
	*out = (size_t)n;
	return CH_OK;
}

static int in_list(const char *const *list, const char *s, size_t len)
{
	for (; list && *list; list++)
		if (strlen(*list) == len && strncmp(*list, s, len) == 0)
			return 1;
	return 0;
}

struct filter_check {
	const char *const *allowed;
	const char *bad;
};

/* Stops at the first filter[...] argument that names no allowed filter. */
static int check_filter(void *cls, const char *key, const char *value)
{
	struct filter_check *fc = cls;
	size_t len = strlen(key);

	(void)value;
	if (strncmp(key, "filter[", 7) != 0)
		return 0;
	if (len > 8 && key[len - 1] == ']' && in_list(fc->allowed, key + 7, len - 8))
		return 0;
	fc->bad = key;
	return 1;
}

static void join(char *out, size_t outlen, const char *const *list)
{
	size_t used = 0;

	out[0] = '\0';
	for (; list && *list && used < outlen; list++) {
		int w = snprintf(out + used, outlen - used, "%s%s", used ? ", " : "", *list);

		if (w < 0)
			break;
		used += (size_t)w;
	}
}

static int parse_sort(ch_http_req *req, ch_http_resp *resp, const char *const *sorts,
		      const char *default_sort, ch_list_params *out)
{
	const char *sort = ch_http_query(req, "sort");
	char allowed[256];

	if (!sort)
		sort = default_sort;
	out->descending = sort[0] == '-';
	out->sort = sort + out->descending;
	if (in_list(sorts, out->sort, strlen(out->sort)))
		return CH_OK;
	join(allowed, sizeof(allowed), sorts);
	return ch_list_bad_param(req, resp, "sort", "must be one of %s (prefix - for descending)",
				 allowed);
}

int ch_list_parse(ch_http_req *req, ch_http_resp *resp, const char *const *sorts,
		  const char *const *filters, const char *default_sort, ch_list_params *out)
{
	const char *page = ch_http_query(req, "page"), *per = ch_http_query(req, "per_page");
	struct filter_check fc = {filters, NULL};
	char allowed[256];

	out->page = 1;
	out->per_page = CH_LIST_PER_PAGE_DEFAULT;
	if (page && parse_size(page, 1, 1000000000, &out->page) != CH_OK)
		return ch_list_bad_param(req, resp, "page", "must be a whole number of at least 1");
	if (per && parse_size(per, 1, CH_LIST_PER_PAGE_MAX, &out->per_page) != CH_OK)
		return ch_list_bad_param(req, resp, "per_page",
					 "must be a whole number from 1 to %d", CH_LIST_PER_PAGE_MAX);
	if (ch_http_query_each(req, check_filter, &fc)) {
		join(allowed, sizeof(allowed), filters);
		return ch_list_bad_param(req, resp, fc.bad, "is not a known filter (known: %s)",
					 allowed[0] ? allowed : "none");
	}
	return parse_sort(req, resp, sorts, default_sort, out);
}

/* --- cursors ------------------------------------------------------------------ */

#define CURSOR_VERSION "v1"

static void sort_text(char *out, size_t len, const ch_list_params *p)
{
	snprintf(out, len, "%s%s", p->descending ? "-" : "", p->sort);
}

void ch_list_cursor_make(char out[CH_LIST_CURSOR_MAX], const ch_list_params *p, const char *key,
			 const char *id)
{
	char sort[64], plain[CH_LIST_CURSOR_MAX / 2];
	int n;

	out[0] = '\0';
	sort_text(sort, sizeof(sort), p);
	n = snprintf(plain, sizeof(plain), CURSOR_VERSION "\n%s\n%s\n%s", sort, key, id);
	if (n < 0 || (size_t)n >= sizeof(plain) || strlen(key) >= CH_LIST_CURSOR_KEY ||
	    strlen(id) >= CH_LIST_CURSOR_ID)
		return;
	sodium_bin2base64(out, CH_LIST_CURSOR_MAX, (const unsigned char *)plain, (size_t)n,
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

/* Copies the part of @p s up to a newline (or the end) into @p out; the
 * text after it, or NULL when the part is empty, too long or holds a
 * control character. */
static const char *cursor_part(const char *s, char *out, size_t len, int last)
{
	size_t n = 0;

	while (s[n] && s[n] != '\n') {
		if ((unsigned char)s[n] < 0x20 || n + 1 >= len)
			return NULL;
		out[n] = s[n];
		n++;
	}
	out[n] = '\0';
	if (n == 0 || (last ? s[n] != '\0' : s[n] != '\n'))
		return NULL;
	return s + n + (last ? 0 : 1);
}

/* Decodes @p text; CH_OK with @p sort, @p out filled. */
static int cursor_decode(const char *text, char sort[64], ch_list_cursor *out)
{
	char plain[CH_LIST_CURSOR_MAX], version[8];
	size_t len = 0;
	const char *end = NULL, *p = plain;

	if (strlen(text) >= CH_LIST_CURSOR_MAX ||
	    sodium_base642bin((unsigned char *)plain, sizeof(plain) - 1, text, strlen(text), NULL,
			      &len, &end, sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
	    *end != '\0' || memchr(plain, '\0', len))
		return CH_E_INVALID;
	plain[len] = '\0';
	p = cursor_part(p, version, sizeof(version), 0);
	p = p ? cursor_part(p, sort, 64, 0) : NULL;
	p = p ? cursor_part(p, out->key, sizeof(out->key), 0) : NULL;
	p = p ? cursor_part(p, out->id, sizeof(out->id), 1) : NULL;
	return p && strcmp(version, CURSOR_VERSION) == 0 ? CH_OK : CH_E_INVALID;
}

int ch_list_cursor_parse(ch_http_req *req, ch_http_resp *resp, const ch_list_params *p,
			 ch_list_cursor *out)
{
	const char *text = ch_http_query(req, "cursor");
	char want[64], got[64];

	if (!text)
		return 0;
	if (ch_http_query(req, "page"))
		return ch_list_bad_param(req, resp, "cursor",
					 "cannot be combined with page (a cursor is the position)");
	if (cursor_decode(text, got, out) != CH_OK)
		return ch_list_bad_param(req, resp, "cursor",
					 "is not a cursor this server gave (use meta.next_cursor)");
	sort_text(want, sizeof(want), p);
	if (strcmp(want, got) != 0)
		return ch_list_bad_param(req, resp, "cursor",
					 "was made for sort=%s, not sort=%s: send the sort and "
					 "filters of the request it came from",
					 got, want);
	return 1;
}

const char *ch_list_filter(ch_http_req *req, const char *name)
{
	char key[80];

	snprintf(key, sizeof(key), "filter[%s]", name);
	return ch_http_query(req, key);
}

int ch_list_filter_in(ch_http_req *req, ch_http_resp *resp, const char *name,
		      const char *const *values, const char **out)
{
	char key[80], allowed[256];

	*out = ch_list_filter(req, name);
	if (!*out || in_list(values, *out, strlen(*out)))
		return CH_OK;
	snprintf(key, sizeof(key), "filter[%s]", name);
	join(allowed, sizeof(allowed), values);
	return ch_list_bad_param(req, resp, key, "must be one of %s", allowed);
}

json_object *ch_list_page(json_object *items, const ch_list_params *p)
{
	size_t total = json_object_array_length(items);
	size_t start = (p->page - 1) * p->per_page;
	json_object *data = json_object_new_array(), *meta = json_object_new_object();
	json_object *out = json_object_new_object();

	for (size_t i = start; i < total && i < start + p->per_page; i++)
		json_object_array_add(data, json_object_get(json_object_array_get_idx(items, i)));
	json_object_put(items);
	json_object_object_add(meta, "page", json_object_new_int64((int64_t)p->page));
	json_object_object_add(meta, "per_page", json_object_new_int64((int64_t)p->per_page));
	json_object_object_add(meta, "total", json_object_new_int64((int64_t)total));
	json_object_object_add(out, "data", data);
	json_object_object_add(out, "meta", meta);
	return out;
}
