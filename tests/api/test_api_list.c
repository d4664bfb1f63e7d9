/*
 * API tests of paging the connector list by cursor (keyset): every list
 * answer's meta.next_cursor continues after its last row; following the
 * cursors visits every connector exactly once, in the order of the sort,
 * for every sort and direction and under filters, and ends with
 * next_cursor null; a cursor that is malformed, was made for another sort,
 * or comes with page is a 400 naming "cursor".
 *
 * A host of its own with the fixture plugins and NCON connectors in the
 * default account, created in an order unrelated to their names, of two
 * types and two statuses, some changed after creation.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_run.h"
#include "harness.h"

#define CONNECTORS "/api/v1/connectors"
#define NCON 240

static th_host host;

static void req(const char *method, const char *path, const char *body, th_resp *r)
{
	ck_assert_msg(th_request_as(&host, host.token, method, path, body, r) == 0,
		      "%s %s: no answer", method, path);
}

static void expect_status(const th_resp *r, long status, const char *what)
{
	ck_assert_msg(r->status == status, "%s: %ld, expected %ld: %.600s", what, r->status, status,
		      r->body ? r->body : "(no body)");
}

/* The connectors: name l-NNN for a permutation of 0..NCON-1 (7 is prime to
 * NCON), fixture-a with a config (CONFIGURED) or fixture-b without one
 * (CREATED); every fifth changed after, so updated_at has its own order. */
static void seed(void)
{
	char body[256], path[128];
	th_resp r;

	for (int i = 0; i < NCON; i++) {
		int n = (i * 7) % NCON;

		if (n % 3 == 0)
			snprintf(body, sizeof(body),
				 "{\"name\":\"l-%03d\",\"type\":\"fixture-b\"}", n);
		else
			snprintf(body, sizeof(body),
				 "{\"name\":\"l-%03d\",\"type\":\"fixture-a\",\"type_version\":"
				 "\"1.0.0\",\"config\":{\"host\":\"h%d\"}}",
				 n, n);
		req("POST", CONNECTORS, body, &r);
		expect_status(&r, 201, body);
		th_resp_free(&r);
	}
	for (int n = 0; n < NCON; n += 5) {
		snprintf(path, sizeof(path), CONNECTORS "/l-%03d", n);
		req("PUT", path, "{\"date_format\":\"DD.MM.YYYY\"}", &r);
		expect_status(&r, 200, path);
		th_resp_free(&r);
	}
}

static json_object *meta_of(const th_resp *r)
{
	return json_object_object_get(r->json, "meta");
}

/* Appends the ids of a page's data to @p ids; returns how many. */
static size_t take_ids(const th_resp *r, json_object *ids)
{
	json_object *data = json_object_object_get(r->json, "data");
	size_t n = json_object_array_length(data);

	ck_assert_msg(json_object_is_type(data, json_type_array), "no data: %.300s", r->body);
	for (size_t i = 0; i < n; i++)
		json_object_array_add(ids, json_object_get(json_object_object_get(
						   json_object_array_get_idx(data, i), "id")));
	return n;
}

/* The whole list of @p query by page numbers, 100 a page: the reference. */
static json_object *by_pages(const char *query, int64_t *total)
{
	json_object *ids = json_object_new_array();
	char path[512];
	size_t got = 1;
	th_resp r;

	for (int page = 1; got > 0; page++) {
		snprintf(path, sizeof(path), CONNECTORS "?per_page=100&page=%d%s", page, query);
		req("GET", path, NULL, &r);
		expect_status(&r, 200, path);
		got = take_ids(&r, ids);
		*total = json_object_get_int64(json_object_object_get(meta_of(&r), "total"));
		th_resp_free(&r);
	}
	return ids;
}

/* The whole list of @p query following next_cursor, 13 a page. */
static json_object *by_cursor(const char *query, int64_t total)
{
	json_object *ids = json_object_new_array();
	char path[1024], cursor[300] = "";
	th_resp r;

	for (int pages = 0;; pages++) {
		json_object *next;

		ck_assert_msg(pages <= NCON, "%s: the cursors do not end", query);
		snprintf(path, sizeof(path), CONNECTORS "?per_page=13%s%s%s", query,
			 cursor[0] ? "&cursor=" : "", cursor);
		req("GET", path, NULL, &r);
		expect_status(&r, 200, path);
		take_ids(&r, ids);
		ck_assert_int_eq(json_object_get_int64(json_object_object_get(meta_of(&r), "total")),
				 total);
		ck_assert_msg(json_object_object_get_ex(meta_of(&r), "next_cursor", &next),
			      "no meta.next_cursor: %.300s", r.body);
		ck_assert_msg(!cursor[0] || !json_object_object_get_ex(meta_of(&r), "page", NULL),
			      "a cursor page has meta.page: %.300s", r.body);
		if (!next) {
			th_resp_free(&r);
			return ids;
		}
		snprintf(cursor, sizeof(cursor), "%s", json_object_get_string(next));
		th_resp_free(&r);
	}
}

static void assert_same_walk(const char *query)
{
	int64_t total = 0;
	json_object *pages = by_pages(query, &total), *cursors = by_cursor(query, total);
	json_object *seen = json_object_new_object();
	size_t n = json_object_array_length(cursors);

	ck_assert_int_eq(json_object_array_length(pages), total);
	ck_assert_msg(n == (size_t)total, "%s: the cursors visited %zu of %lld", query, n,
		      (long long)total);
	for (size_t i = 0; i < n; i++) {
		const char *id = json_object_get_string(json_object_array_get_idx(cursors, i));
		const char *want = json_object_get_string(json_object_array_get_idx(pages, i));

		ck_assert_msg(!json_object_object_get_ex(seen, id, NULL), "%s: %s visited twice",
			      query, id);
		json_object_object_add(seen, id, NULL);
		ck_assert_msg(strcmp(id, want) == 0, "%s: row %zu is %s, the pages have %s", query, i,
			      id, want);
	}
	json_object_put(seen);
	json_object_put(cursors);
	json_object_put(pages);
}

static const char *const sorts[] = {"name", "-name", "created_at", "-created_at", "updated_at",
				    "-updated_at"};

START_TEST(cursor_walk_visits_every_row_once_in_order)
{
	static const char *const filters[] = {
		"",
		"&filter[type]=fixture-a",
		"&filter[status]=CREATED",
		"&filter[type]=fixture-a&filter[status]=CONFIGURED",
		"&filter[name]=l-1",
	};
	char query[256];

	for (size_t s = 0; s < sizeof(sorts) / sizeof(sorts[0]); s++)
		for (size_t f = 0; f < sizeof(filters) / sizeof(filters[0]); f++) {
			snprintf(query, sizeof(query), "&sort=%s%s", sorts[s], filters[f]);
			assert_same_walk(query);
		}
}
END_TEST

START_TEST(the_last_page_has_no_next_cursor)
{
	th_resp r;

	req("GET", CONNECTORS "?per_page=100&page=3", NULL, &r);
	expect_status(&r, 200, "last page");
	ck_assert_int_eq(json_object_array_length(json_object_object_get(r.json, "data")),
			 NCON - 200);
	ck_assert(json_object_object_get_ex(meta_of(&r), "next_cursor", NULL));
	ck_assert_ptr_null(json_object_object_get(meta_of(&r), "next_cursor"));
	th_resp_free(&r);
	req("GET", CONNECTORS "?per_page=100&page=2", NULL, &r);
	ck_assert_ptr_nonnull(json_object_get_string(json_object_object_get(meta_of(&r),
									      "next_cursor")));
	th_resp_free(&r);
}
END_TEST

/* 400 naming "cursor". */
static void assert_bad_cursor(const char *query)
{
	char path[512];
	json_object *errors;
	th_resp r;

	snprintf(path, sizeof(path), CONNECTORS "?%s", query);
	req("GET", path, NULL, &r);
	expect_status(&r, 400, query);
	ck_assert_str_eq(th_str(r.json, "type"), "urn:connhub:problem:invalid-parameter");
	errors = json_object_object_get(r.json, "errors");
	ck_assert_int_eq(json_object_array_length(errors), 1);
	ck_assert_str_eq(th_str(json_object_array_get_idx(errors, 0), "parameter"), "cursor");
	th_resp_free(&r);
}

START_TEST(bad_cursors_are_400)
{
	char query[512], next[300];
	th_resp r;

	req("GET", CONNECTORS "?per_page=5&sort=-created_at", NULL, &r);
	expect_status(&r, 200, "first page");
	ck_assert_ptr_nonnull(json_object_get_string(json_object_object_get(meta_of(&r),
									      "next_cursor")));
	snprintf(next, sizeof(next), "%s",
		 json_object_get_string(json_object_object_get(meta_of(&r), "next_cursor")));
	th_resp_free(&r);
	/* another sort than the one it was made for */
	snprintf(query, sizeof(query), "sort=created_at&cursor=%s", next);
	assert_bad_cursor(query);
	snprintf(query, sizeof(query), "cursor=%s", next); /* the default sort, name */
	assert_bad_cursor(query);
	/* with page */
	snprintf(query, sizeof(query), "sort=-created_at&page=2&cursor=%s", next);
	assert_bad_cursor(query);
	/* the same cursor, as it came, works */
	snprintf(query, sizeof(query), CONNECTORS "?per_page=5&sort=-created_at&cursor=%s", next);
	req("GET", query, NULL, &r);
	expect_status(&r, 200, "the cursor as given");
	th_resp_free(&r);
	assert_bad_cursor("cursor=");
	assert_bad_cursor("cursor=!!!");
	assert_bad_cursor("cursor=bm90IGEgY3Vyc29y");         /* "not a cursor" */
	assert_bad_cursor("cursor=djIKbmFtZQpsLTAwMQpjb25feA"); /* "v2\nname\nl-001\ncon_x" */
	assert_bad_cursor("cursor=djEKbmFtZQpsLTAwMQ");         /* "v1\nname\nl-001" */
}
END_TEST

int main(void)
{
	const TTest *tests[] = {
		cursor_walk_visits_every_row_once_in_order,
		the_last_page_has_no_next_cursor,
		bad_cursors_are_400,
		NULL,
	};

	return th_run_shared("api_list", tests, &host, CH_TEST_FIXTURES, seed, 240);
}
