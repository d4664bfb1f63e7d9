/*
 * API tests of the foundation: plugin discovery over HTTP, the marketplace
 * of types, and the server's error documents. A real host runs on a free
 * loopback port with the fixture plugins.
 */
#include <check.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check_run.h"
#include "harness.h"

static th_host host;

static void start_fixture_host(void)
{
	static const char *const extra[] = {"--max-body", "4096", NULL};

	th_start(&host, CH_TEST_FIXTURES, extra);
}

static void stop_host(void)
{
	th_stop(&host);
}

/* GET @p path, expecting @p status and a JSON body. */
static void get_json(const char *path, long status, th_resp *r)
{
	ck_assert_int_eq(th_request(&host, "GET", path, NULL, NULL, r), 0);
	ck_assert_msg(r->status == status, "GET %s: %ld, expected %ld: %s", path, r->status, status,
		      r->body ? r->body : "");
	ck_assert_msg(r->json != NULL, "GET %s: body is not JSON: %s", path, r->body);
}

/* Asserts @p r is an RFC 9457 problem document with @p status. */
static void assert_problem(const th_resp *r, long status)
{
	ck_assert_int_eq(r->status, status);
	ck_assert_str_eq(r->content_type, "application/problem+json");
	ck_assert_ptr_nonnull(r->json);
	ck_assert_int_eq(json_object_get_int(json_object_object_get(r->json, "status")), status);
	ck_assert_ptr_nonnull(th_str(r->json, "type"));
	ck_assert_ptr_nonnull(th_str(r->json, "title"));
	ck_assert_ptr_nonnull(th_str(r->json, "detail"));
}

static json_object *data_at(const th_resp *r, size_t i)
{
	return json_object_array_get_idx(json_object_object_get(r->json, "data"), i);
}

static size_t data_len(const th_resp *r)
{
	return json_object_array_length(json_object_object_get(r->json, "data"));
}

static int64_t meta(const th_resp *r, const char *key)
{
	return json_object_get_int64(
		json_object_object_get(json_object_object_get(r->json, "meta"), key));
}

/* --- health and plugins -------------------------------------------------- */

START_TEST(healthz_answers)
{
	th_resp r;

	get_json("/healthz", 200, &r);
	ck_assert_str_eq(th_str(r.json, "status"), "ok");
	ck_assert_str_eq(r.content_type, "application/json");
	th_resp_free(&r);
	ck_assert_int_eq(th_request(&host, "HEAD", "/healthz", NULL, NULL, &r), 0);
	ck_assert_int_eq(r.status, 200);
	th_resp_free(&r);
}
END_TEST

/* The entry of file @p name in GET /api/v1/plugins. */
static json_object *plugin_entry(const th_resp *r, const char *name)
{
	for (size_t i = 0; i < data_len(r); i++) {
		const char *path = th_str(data_at(r, i), "path");
		const char *slash = strrchr(path, '/');

		if (strcmp(slash ? slash + 1 : path, name) == 0)
			return data_at(r, i);
	}
	ck_abort_msg("no plugin entry for %s", name);
	return NULL;
}

static void assert_rejected(const th_resp *r, const char *file, const char *reason)
{
	json_object *e = plugin_entry(r, file);

	ck_assert_str_eq(th_str(e, "status"), "rejected");
	ck_assert_msg(strstr(th_str(e, "reason"), reason) != NULL, "%s: reason \"%s\" lacks \"%s\"",
		      file, th_str(e, "reason"), reason);
	ck_assert_int_eq(json_object_array_length(json_object_object_get(e, "types")), 0);
}

START_TEST(plugins_lists_every_file_with_reason)
{
	th_resp r;
	json_object *good, *types;

	get_json("/api/v1/plugins", 200, &r);
	ck_assert_int_eq(data_len(&r), 18);
	ck_assert_int_eq(meta(&r, "loaded"), 2);
	ck_assert_int_eq(meta(&r, "rejected"), 16);
	good = plugin_entry(&r, "good.so");
	ck_assert_str_eq(th_str(good, "status"), "loaded");
	ck_assert_ptr_null(th_str(good, "reason"));
	types = json_object_object_get(good, "types");
	ck_assert_int_eq(json_object_array_length(types), 2);
	ck_assert_str_eq(th_str(json_object_array_get_idx(types, 0), "id"), "fixture-a");
	ck_assert_str_eq(th_str(json_object_array_get_idx(types, 1), "version"), "2.1.0");
	ck_assert_str_eq(th_str(json_object_object_get(good, "plugin"), "abi"), "1.0");
	ck_assert_str_eq(th_str(plugin_entry(&r, "good_v2.so"), "status"), "loaded");
	assert_rejected(&r, "abi2.so",
			"ABI mismatch: plugin built for ABI 2.0, this host supports ABI 1");
	assert_rejected(&r, "small_struct.so",
			"ABI mismatch: descriptor struct_size is 8 bytes, ABI 1.0 needs at least");
	assert_rejected(&r, "no_entry.so", "missing entry symbol connhub_plugin_entry");
	assert_rejected(&r, "bad_schema.so",
			"bad metadata: types[0].config_schema is not a valid JSON Schema: "
			"/properties/port/type");
	assert_rejected(&r, "bad_version.so",
			"bad metadata: types[0].version \"1.0\" is not a semantic version");
	assert_rejected(&r, "x.so", "not a shared object (no ELF header)");
	assert_rejected(&r, "meta_id.so", "bad metadata: types[0].id \"Bad_Id\" must match ");
	assert_rejected(&r, "meta_no_name.so", "bad metadata: types[0].name is missing");
	assert_rejected(&r, "meta_license.so",
			"bad metadata: types[0].license must be \"free\" or \"licensed\"");
	assert_rejected(&r, "meta_abi_minor.so",
			"ABI mismatch: plugin built for ABI 1.1, newer than the host's 1.0");
	assert_rejected(&r, "meta_small_type.so",
			"ABI mismatch: types[0] struct_size is 16 bytes, ABI 1.0 needs at least ");
	assert_rejected(&r, "meta_no_types.so", "bad metadata: types: the plugin provides no type");
	assert_rejected(&r, "meta_null_desc.so", "the entry returned no descriptor");
	assert_rejected(&r, "meta_schema_json.so",
			"bad metadata: types[0].config_schema is not a valid JSON Schema: /: not "
			"valid JSON");
	assert_rejected(&r, "meta_twice.so",
			"bad metadata: types[1] repeats type bad-meta 1.0.0 of types[0]");
	assert_rejected(&r, "zz_duplicate.so", "duplicate type fixture-a 1.0.0: already provided by ");
	ck_assert_ptr_nonnull(strstr(th_str(plugin_entry(&r, "zz_duplicate.so"), "reason"), "/good.so"));
	th_resp_free(&r);
}
END_TEST

/* --- the marketplace of types ---------------------------------------------- */

START_TEST(types_list_shows_newest_of_each)
{
	th_resp r;
	json_object *a, *versions;

	get_json("/api/v1/connectors/types", 200, &r);
	ck_assert_int_eq(data_len(&r), 2);
	ck_assert_int_eq(meta(&r, "total"), 2);
	ck_assert_int_eq(meta(&r, "page"), 1);
	ck_assert_int_eq(meta(&r, "per_page"), 25);
	a = data_at(&r, 0);
	ck_assert_str_eq(th_str(a, "id"), "fixture-a");
	ck_assert_str_eq(th_str(a, "version"), "1.1.0");
	versions = json_object_object_get(a, "versions");
	ck_assert_int_eq(json_object_array_length(versions), 2);
	ck_assert_str_eq(json_object_get_string(json_object_array_get_idx(versions, 0)), "1.1.0");
	ck_assert_str_eq(json_object_get_string(json_object_array_get_idx(versions, 1)), "1.0.0");
	ck_assert(!json_object_object_get_ex(a, "config_schema", NULL));
	ck_assert_str_eq(th_str(data_at(&r, 1), "id"), "fixture-b");
	ck_assert_str_eq(th_str(data_at(&r, 1), "license"), "licensed");
	th_resp_free(&r);
}
END_TEST

START_TEST(types_list_pages_and_sorts)
{
	th_resp r;

	get_json("/api/v1/connectors/types?per_page=1&page=2", 200, &r);
	ck_assert_int_eq(data_len(&r), 1);
	ck_assert_str_eq(th_str(data_at(&r, 0), "id"), "fixture-b");
	ck_assert_int_eq(meta(&r, "page"), 2);
	ck_assert_int_eq(meta(&r, "per_page"), 1);
	ck_assert_int_eq(meta(&r, "total"), 2);
	th_resp_free(&r);
	get_json("/api/v1/connectors/types?page=3&per_page=1", 200, &r);
	ck_assert_int_eq(data_len(&r), 0);
	ck_assert_int_eq(meta(&r, "total"), 2);
	th_resp_free(&r);
	get_json("/api/v1/connectors/types?sort=-id", 200, &r);
	ck_assert_str_eq(th_str(data_at(&r, 0), "id"), "fixture-b");
	th_resp_free(&r);
	get_json("/api/v1/connectors/types?sort=-name", 200, &r);
	ck_assert_str_eq(th_str(data_at(&r, 0), "name"), "Fixture B");
	th_resp_free(&r);
}
END_TEST

START_TEST(types_list_filters)
{
	th_resp r;

	get_json("/api/v1/connectors/types?filter[category]=storage", 200, &r);
	ck_assert_int_eq(data_len(&r), 1);
	ck_assert_str_eq(th_str(data_at(&r, 0), "id"), "fixture-b");
	th_resp_free(&r);
	/* The newest fixture-a implements test but not refresh. */
	get_json("/api/v1/connectors/types?filter[capability]=test", 200, &r);
	ck_assert_int_eq(data_len(&r), 1);
	ck_assert_str_eq(th_str(data_at(&r, 0), "id"), "fixture-a");
	th_resp_free(&r);
	get_json("/api/v1/connectors/types?filter[capability]=refresh", 200, &r);
	ck_assert_int_eq(data_len(&r), 0);
	ck_assert_int_eq(meta(&r, "total"), 0);
	th_resp_free(&r);
	get_json("/api/v1/connectors/types?filter[license]=licensed&filter[category]=storage", 200,
		 &r);
	ck_assert_int_eq(data_len(&r), 1);
	th_resp_free(&r);
}
END_TEST

/* A bad list parameter answers 400 naming the parameter. */
static void assert_bad_param(const char *query, const char *param)
{
	char path[256];
	th_resp r;
	json_object *e;

	snprintf(path, sizeof(path), "/api/v1/connectors/types?%s", query);
	ck_assert_int_eq(th_request(&host, "GET", path, NULL, NULL, &r), 0);
	assert_problem(&r, 400);
	e = json_object_array_get_idx(json_object_object_get(r.json, "errors"), 0);
	ck_assert_msg(e && strcmp(th_str(e, "parameter"), param) == 0, "%s: %s", query, r.body);
	th_resp_free(&r);
}

START_TEST(types_list_rejects_bad_parameters)
{
	assert_bad_param("per_page=0", "per_page");
	assert_bad_param("per_page=101", "per_page");
	assert_bad_param("per_page=ten", "per_page");
	assert_bad_param("page=0", "page");
	assert_bad_param("page=-1", "page");
	assert_bad_param("sort=colour", "sort");
	assert_bad_param("filter[colour]=red", "filter[colour]");
	assert_bad_param("filter[capability]=bogus", "filter[capability]");
	assert_bad_param("filter[capability]=", "filter[capability]");
	assert_bad_param("filter[license]=gratis", "filter[license]");
	assert_bad_param("filter[category]=storage&filter[license]=FREE", "filter[license]");
}
END_TEST

START_TEST(bad_filter_value_names_the_values)
{
	th_resp r;

	ck_assert_int_eq(th_request(&host, "GET", "/api/v1/connectors/types?filter[capability]=bogus",
				    NULL, NULL, &r), 0);
	assert_problem(&r, 400);
	ck_assert_str_eq(th_str(r.json, "detail"),
			 "query parameter filter[capability] must be one of setup, test, refresh, "
			 "install, update, uninstall, start, stop, export, import");
	th_resp_free(&r);
	ck_assert_int_eq(th_request(&host, "GET", "/api/v1/connectors/types?filter[license]=x", NULL,
				    NULL, &r), 0);
	assert_problem(&r, 400);
	ck_assert_str_eq(th_str(r.json, "detail"),
			 "query parameter filter[license] must be one of free, licensed");
	th_resp_free(&r);
	/* Known values that nothing has still answer 200 with an empty page. */
	get_json("/api/v1/connectors/types?filter[capability]=export", 200, &r);
	ck_assert_int_eq(meta(&r, "total"), 0);
	th_resp_free(&r);
}
END_TEST

START_TEST(type_get_by_id_and_version)
{
	th_resp r;
	json_object *caps, *schema;

	get_json("/api/v1/connectors/types/fixture-a", 200, &r);
	ck_assert_str_eq(th_str(r.json, "version"), "1.1.0");
	ck_assert(json_object_object_get_ex(r.json, "config_schema", &schema));
	ck_assert_str_eq(th_str(schema, "type"), "object");
	th_resp_free(&r);
	get_json("/api/v1/connectors/types/fixture-a?version=1.0.0", 200, &r);
	ck_assert_str_eq(th_str(r.json, "version"), "1.0.0");
	ck_assert_str_eq(th_str(r.json, "websiteURL"), "https://example.org/a");
	caps = json_object_object_get(r.json, "capabilities");
	ck_assert_int_eq(json_object_array_length(caps), 2);
	ck_assert_str_eq(json_object_get_string(json_object_array_get_idx(caps, 0)), "test");
	ck_assert_str_eq(json_object_get_string(json_object_array_get_idx(caps, 1)), "refresh");
	ck_assert_ptr_null(th_str(r.json, "imageURL"));
	th_resp_free(&r);
}
END_TEST

START_TEST(type_get_unknown_is_404_problem)
{
	th_resp r;

	ck_assert_int_eq(th_request(&host, "GET", "/api/v1/connectors/types/nope", NULL, NULL, &r), 0);
	assert_problem(&r, 404);
	ck_assert_str_eq(th_str(r.json, "instance"), "/api/v1/connectors/types/nope");
	th_resp_free(&r);
	ck_assert_int_eq(th_request(&host, "GET", "/api/v1/connectors/types/fixture-a?version=9.9.9",
				    NULL, NULL, &r), 0);
	assert_problem(&r, 404);
	ck_assert_ptr_nonnull(strstr(th_str(r.json, "detail"), "has no version 9.9.9"));
	th_resp_free(&r);
	/* A rejected plugin's type is not in the marketplace. */
	ck_assert_int_eq(th_request(&host, "GET", "/api/v1/connectors/types/bad-schema", NULL, NULL,
				    &r), 0);
	assert_problem(&r, 404);
	th_resp_free(&r);
}
END_TEST

/* --- the server's error documents -------------------------------------------- */

START_TEST(unknown_path_is_404)
{
	th_resp r;

	ck_assert_int_eq(th_request(&host, "GET", "/api/v1/nothing/here", NULL, NULL, &r), 0);
	assert_problem(&r, 404);
	ck_assert_str_eq(th_str(r.json, "type"), "urn:connhub:problem:not-found");
	th_resp_free(&r);
}
END_TEST

START_TEST(wrong_method_is_405_with_allow)
{
	th_resp r;

	ck_assert_int_eq(th_request(&host, "DELETE", "/api/v1/plugins", NULL, NULL, &r), 0);
	assert_problem(&r, 405);
	ck_assert_str_eq(r.allow, "GET, HEAD");
	th_resp_free(&r);
	ck_assert_int_eq(th_request(&host, "GET", "/api/v1/plugins/rescan", NULL, NULL, &r), 0);
	assert_problem(&r, 405);
	ck_assert_str_eq(r.allow, "POST");
	th_resp_free(&r);
}
END_TEST

/* The literal /connectors/types owns its path: other methods get 405, never
 * the /connectors/{connector} routes with a connector named "types". */
START_TEST(types_path_is_405_for_other_methods)
{
	static const char *const cases[][2] = {
		{"POST", "/api/v1/connectors/types"},
		{"PUT", "/api/v1/connectors/types"},
		{"DELETE", "/api/v1/connectors/types"},
		{"PATCH", "/api/v1/connectors/types"},
		{"POST", "/api/v1/connectors/types/fixture-a"},
		{"DELETE", "/api/v1/connectors/types/fixture-a"},
		{"POST", "/api/v1/connectors/types/test"},
		{"POST", "/api/v1/connectors/types/setup"},
	};
	th_resp r;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ck_assert_int_eq(th_request(&host, cases[i][0], cases[i][1], "{}", NULL, &r), 0);
		ck_assert_msg(r.status == 405, "%s %s: %ld %s", cases[i][0], cases[i][1], r.status,
			      r.body ? r.body : "");
		assert_problem(&r, 405);
		ck_assert_str_eq(r.allow, "GET, HEAD");
		th_resp_free(&r);
	}
}
END_TEST

START_TEST(oversized_body_is_413)
{
	char *big = malloc(8192 + 1);
	th_resp r;

	memset(big, ' ', 8192);
	big[0] = '{';
	big[8191] = '}';
	big[8192] = '\0';
	ck_assert_int_eq(th_request(&host, "POST", "/api/v1/plugins/rescan", big, NULL, &r), 0);
	assert_problem(&r, 413);
	th_resp_free(&r);
	free(big);
	/* The host is still there. */
	get_json("/healthz", 200, &r);
	th_resp_free(&r);
}
END_TEST

START_TEST(malformed_body_is_400)
{
	th_resp r;
	json_object *e;

	ck_assert_int_eq(th_request(&host, "POST", "/api/v1/plugins/rescan", "{\"a\": ", NULL, &r), 0);
	assert_problem(&r, 400);
	e = json_object_array_get_idx(json_object_object_get(r.json, "errors"), 0);
	ck_assert_str_eq(th_str(e, "pointer"), "");
	ck_assert_ptr_nonnull(strstr(th_str(e, "message"), "offset"));
	th_resp_free(&r);
	ck_assert_int_eq(th_request(&host, "POST", "/api/v1/plugins/rescan", "[1,2]", NULL, &r), 0);
	assert_problem(&r, 400);
	ck_assert_ptr_nonnull(strstr(th_str(r.json, "detail"), "must be a JSON object"));
	th_resp_free(&r);
	ck_assert_int_eq(th_request(&host, "POST", "/api/v1/plugins/rescan", "{} x", NULL, &r), 0);
	assert_problem(&r, 400);
	th_resp_free(&r);
}
END_TEST

/* Sends @p request on a new connection and returns the answer (read until
 * the host closes the connection) in @p buf. */
static void raw_exchange(const char *request, char *buf, size_t len)
{
	int fd = th_connect(&host);
	long eof_ms;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(th_send(fd, request), 0);
	th_read(fd, buf, len, 10000, NULL, &eof_ms);
	close(fd);
	ck_assert_msg(eof_ms >= 0, "the host kept the connection open after: %.60s", request);
}

/* "GET /healthz" with one header X-Big of @p n bytes. */
static char *big_header_request(size_t n)
{
	const char *head = "GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\nX-Big: ";
	char *req = malloc(strlen(head) + n + 5);

	ck_assert_ptr_nonnull(req);
	memcpy(req, head, strlen(head));
	memset(req + strlen(head), 'a', n);
	memcpy(req + strlen(head) + n, "\r\n\r\n", 5);
	return req;
}

/* Headers of 40 kB pass (libmicrohttpd's default memory answered 431);
 * what the HTTP library still answers itself is what the README lists. */
START_TEST(http_library_limits_and_errors)
{
	static const struct {
		const char *request, *status;
	} early[] = {
		{"GET /healthz HTTP/1.1\r\nHost: t\r\nno colon here\r\n\r\n", "HTTP/1.1 400 "},
		{"POST /api/v1/plugins/rescan HTTP/1.1\r\nHost: t\r\nContent-Length: -5\r\n\r\n",
		 "HTTP/1.1 400 "},
		{"GET /healthz HTTP/2.0\r\nHost: t\r\n\r\n", "HTTP/1.1 505 "},
	};
	char buf[4096], *req;
	th_resp r;

	req = big_header_request(40000);
	raw_exchange(req, buf, sizeof(buf));
	free(req);
	ck_assert_msg(strncmp(buf, "HTTP/1.1 200 ", 13) == 0, "40 kB header: %.80s", buf);
	req = big_header_request(100000);
	raw_exchange(req, buf, sizeof(buf));
	free(req);
	ck_assert_msg(strncmp(buf, "HTTP/1.1 431 ", 13) == 0, "100 kB header: %.80s", buf);
	for (size_t i = 0; i < sizeof(early) / sizeof(early[0]); i++) {
		raw_exchange(early[i].request, buf, sizeof(buf));
		ck_assert_msg(strncmp(buf, early[i].status, strlen(early[i].status)) == 0,
			      "%.40s: %.80s", early[i].request, buf);
	}
	/* A declared length over --max-body is ours: a problem document. */
	raw_exchange("POST /api/v1/plugins/rescan HTTP/1.1\r\nHost: t\r\nContent-Length: 5000\r\n"
		     "Content-Type: application/json\r\n\r\n",
		     buf, sizeof(buf));
	ck_assert_msg(strncmp(buf, "HTTP/1.1 413 ", 13) == 0, "declared 5000: %.80s", buf);
	ck_assert_ptr_nonnull(strstr(buf, "application/problem+json"));
	get_json("/healthz", 200, &r);
	th_resp_free(&r);
}
END_TEST

/* --- authentication ----------------------------------------------------------- */

START_TEST(api_needs_a_token)
{
	th_resp r;

	ck_assert_int_eq(th_request_as(&host, NULL, "GET", "/api/v1/plugins", NULL, &r), 0);
	assert_problem(&r, 401);
	ck_assert_str_eq(r.www_authenticate, "Bearer realm=\"connhub\"");
	th_resp_free(&r);
	ck_assert_int_eq(th_request_as(&host, "cht_not-a-real-token", "GET",
				       "/api/v1/connectors/types", NULL, &r), 0);
	assert_problem(&r, 401);
	ck_assert_ptr_nonnull(strstr(r.www_authenticate, "invalid_token"));
	th_resp_free(&r);
	/* /healthz stays open for load balancers. */
	ck_assert_int_eq(th_request_as(&host, NULL, "GET", "/healthz", NULL, &r), 0);
	ck_assert_int_eq(r.status, 200);
	th_resp_free(&r);
}
END_TEST

START_TEST(rescan_is_admin_only)
{
	char token[128];
	th_resp r;

	ck_assert_int_eq(th_cli(&host, "tokens create default", token, sizeof(token)), 0);
	ck_assert_int_eq(strncmp(token, "cht_", 4), 0);
	ck_assert_int_eq(th_request_as(&host, token, "POST", "/api/v1/plugins/rescan", NULL, &r), 0);
	assert_problem(&r, 403);
	th_resp_free(&r);
	ck_assert_int_eq(th_request_as(&host, token, "GET", "/api/v1/plugins", NULL, &r), 0);
	ck_assert_int_eq(r.status, 200);
	th_resp_free(&r);
}
END_TEST

/* --- rescan and shutdown, each with a host of its own ----------------------- */

static void copy_file(const char *from, const char *to)
{
	char cmd[1200];

	snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", from, to);
	ck_assert_int_eq(system(cmd), 0);
}

START_TEST(rescan_picks_up_new_files)
{
	char dir[] = "/tmp/connhub-plugins-XXXXXX", to[256], cmd[300];
	th_host h;
	th_resp r;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(to, sizeof(to), "%s/good.so", dir);
	copy_file(CH_TEST_FIXTURES "/good.so", to);
	th_start(&h, dir, NULL);
	ck_assert_int_eq(th_request(&h, "GET", "/api/v1/connectors/types/fixture-a", NULL, NULL, &r), 0);
	ck_assert_str_eq(th_str(r.json, "version"), "1.0.0");
	th_resp_free(&r);
	/* the marketplace page, rendered once and kept for this registry */
	for (int i = 0; i < 2; i++) {
		ck_assert_int_eq(th_request(&h, "GET", "/api/v1/connectors/types", NULL, NULL, &r), 0);
		ck_assert_ptr_nonnull(strstr(r.body, "\"versions\":[\"1.0.0\"]"));
		th_resp_free(&r);
	}
	snprintf(to, sizeof(to), "%s/good_v2.so", dir);
	copy_file(CH_TEST_FIXTURES "/good_v2.so", to);
	ck_assert_int_eq(th_request(&h, "POST", "/api/v1/plugins/rescan", NULL, NULL, &r), 0);
	ck_assert_int_eq(r.status, 200);
	ck_assert_int_eq(meta(&r, "loaded"), 2);
	th_resp_free(&r);
	ck_assert_int_eq(th_request(&h, "GET", "/api/v1/connectors/types/fixture-a", NULL, NULL, &r), 0);
	ck_assert_str_eq(th_str(r.json, "version"), "1.1.0");
	th_resp_free(&r);
	/* a rescan is a new registry: the page rendered before is not served */
	ck_assert_int_eq(th_request(&h, "GET", "/api/v1/connectors/types", NULL, NULL, &r), 0);
	ck_assert_msg(strstr(r.body, "\"versions\":[\"1.1.0\",\"1.0.0\"]"), "%s", r.body);
	th_resp_free(&r);
	ck_assert_int_eq(th_stop(&h), 0);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}
END_TEST

START_TEST(missing_plugins_dir_still_serves)
{
	th_host h;
	th_resp r;

	th_start(&h, "/nonexistent/connhub/plugins", NULL);
	ck_assert_int_eq(th_request(&h, "GET", "/api/v1/connectors/types", NULL, NULL, &r), 0);
	ck_assert_int_eq(r.status, 200);
	ck_assert_int_eq(meta(&r, "total"), 0);
	th_resp_free(&r);
	ck_assert_int_eq(th_stop(&h), 0);
}
END_TEST

/* Waits up to 10 s for the host to stop accepting (it closes its listening
 * socket on SIGTERM before it drains); returns whether it did. */
static int stops_accepting(const th_host *h)
{
	for (int i = 0; i < 500; i++) {
		int fd = th_connect(h);

		if (fd < 0)
			return 1;
		close(fd);
		usleep(20000);
	}
	return 0;
}

/* Asserts the database was closed: SQLite removes the -wal file then. */
static void assert_db_closed(const th_host *h)
{
	char wal[300];

	snprintf(wal, sizeof(wal), "%s/connhub.db-wal", h->data_dir);
	ck_assert_msg(access(wal, F_OK) != 0, "%s is left: the database was not closed", wal);
}

/* SIGTERM while a request body is half sent: the host stops accepting,
 * the request still completes (200), then the host exits 0, its database
 * closed. The request is begun for sure before the signal: the host's
 * "100 Continue" comes once the request reached its handler. */
START_TEST(sigterm_lets_request_in_flight_finish)
{
	const char *half = "{\"x\":", *rest = "1}";
	char head[512], answer[8192];
	th_host h;
	long eof_ms;
	int fd;

	th_start(&h, CH_TEST_FIXTURES, NULL);
	fd = th_connect(&h);
	ck_assert_int_ge(fd, 0);
	snprintf(head, sizeof(head),
		 "POST /api/v1/plugins/rescan HTTP/1.1\r\nHost: t\r\n"
		 "Authorization: Bearer %s\r\nContent-Type: application/json\r\n"
		 "Expect: 100-continue\r\nContent-Length: %zu\r\n\r\n",
		 h.token, strlen(half) + strlen(rest));
	ck_assert_int_eq(th_send(fd, head), 0);
	th_read(fd, answer, sizeof(answer), 15000, "\r\n\r\n", &eof_ms);
	ck_assert_msg(strncmp(answer, "HTTP/1.1 100 ", 13) == 0, "before the body: %.200s", answer);
	ck_assert_int_eq(th_send(fd, half), 0);
	kill(h.pid, SIGTERM);
	ck_assert_msg(stops_accepting(&h), "the host still accepts connections after SIGTERM");
	ck_assert_int_eq(th_send(fd, rest), 0);
	th_read(fd, answer, sizeof(answer), 15000, NULL, &eof_ms);
	close(fd);
	ck_assert_msg(strncmp(answer, "HTTP/1.1 200 ", 13) == 0, "answer: %.200s", answer);
	ck_assert_ptr_nonnull(strstr(answer, "\"loaded\":2"));
	ck_assert_int_eq(th_kill_wait(&h, SIGTERM), 0);
	assert_db_closed(&h);
	ck_assert_int_eq(th_stop(&h), -1); /* gone already; removes its files */
}
END_TEST

START_TEST(sigint_stops_cleanly)
{
	th_host h;
	th_resp r;

	th_start(&h, CH_TEST_FIXTURES, NULL);
	ck_assert_int_eq(th_request(&h, "GET", "/healthz", NULL, NULL, &r), 0);
	ck_assert_int_eq(r.status, 200);
	th_resp_free(&r);
	ck_assert_int_eq(th_kill_wait(&h, SIGINT), 0);
	assert_db_closed(&h);
	ck_assert_int_eq(th_stop(&h), -1);
}
END_TEST

/* Runs `connhub serve ARGS --data-dir DIR` (DIR must not exist) and
 * returns its exit status; asserts it printed @p message on stderr and left
 * no data directory behind (bad settings stop it before it opens one). */
static void assert_refused(const char *args, const char *message)
{
	char dir[] = "/tmp/connhub-refused-XXXXXX", cmd[1024], err[512] = "";
	FILE *p;
	int status;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_int_eq(rmdir(dir), 0);
	snprintf(cmd, sizeof(cmd), "%s serve %s --data-dir %s 2>&1 >/dev/null", CH_TEST_CONNHUB,
		 args, dir);
	p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	if (!fgets(err, sizeof(err), p))
		err[0] = '\0';
	status = pclose(p);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 2, "%s: status 0x%x", args, status);
	ck_assert_msg(strstr(err, message) != NULL, "%s: \"%s\" lacks \"%s\"", args, err, message);
	ck_assert_msg(access(dir, F_OK) != 0, "%s: %s was created", args, dir);
}

START_TEST(bad_options_are_refused)
{
	assert_refused("--threads many", "--threads must be a whole number");
	assert_refused("--no-such-option 1", "unknown option --no-such-option");
	assert_refused("--listen 127.0.0.1:99999", "--listen \"127.0.0.1:99999\" has a port");
	assert_refused("--listen nohost", "--listen \"nohost\" is not HOST:PORT");
	assert_refused("--listen ::1:80", "--listen \"::1:80\" has an IPv6 address without brackets");
	assert_refused("--max-body 0", "--max-body must be a whole number from 1 to");
	assert_refused("--plugin-runners 0", "--plugin-runners must be a whole number from 1 to 16");
}
END_TEST

/* The output of `connhub ARGS` (at most @p len - 1 bytes). */
static void run_output(const char *args, char *out, size_t len)
{
	char cmd[512];
	size_t n;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "%s %s", CH_TEST_CONNHUB, args);
	p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	n = fread(out, 1, len - 1, p);
	out[n] = '\0';
	ck_assert_int_eq(pclose(p), 0);
}

/* Whether @p text has "--name" not followed by more of an option name
 * (so --max-connections is not found in --max-connections-per-ip). */
static int mentions(const char *text, const char *opt)
{
	size_t n = strlen(opt);

	for (const char *at = strstr(text, opt); at; at = strstr(at + 1, opt)) {
		char next = at[n];

		if (!((next >= 'a' && next <= 'z') || (next >= '0' && next <= '9') || next == '-'))
			return 1;
	}
	return 0;
}

/* The options of the README's table in "Running the host" ("--name"),
 * newline-separated in @p out; returns how many. */
static int readme_options(char *out, size_t len)
{
	FILE *f = fopen(CH_TEST_SOURCE "/README.md", "r");
	char line[2048];
	int in_section = 0, n = 0;
	size_t used = 0;

	ck_assert_ptr_nonnull(f);
	out[0] = '\0';
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "## ", 3) == 0)
			in_section = strcmp(line, "## Running the host\n") == 0;
		if (!in_section || strncmp(line, "| `--", 5) != 0)
			continue;
		line[5 + strcspn(line + 5, " `")] = '\0';
		used += (size_t)snprintf(out + used, len - used, "%s\n", line + 3);
		ck_assert_uint_lt(used, len);
		n++;
	}
	fclose(f);
	return n;
}

START_TEST(help_lists_every_option)
{
	static const char *const helps[] = {"--help", "serve --help", "serve -h"};
	char *help = malloc(65536), table[4096];
	int n = readme_options(table, sizeof(table));

	ck_assert_int_ge(n, 20); /* the table was found */
	for (size_t h = 0; h < sizeof(helps) / sizeof(helps[0]); h++) {
		run_output(helps[h], help, 65536);
		ck_assert_msg(mentions(help, "--help"), "connhub %s lacks --help", helps[h]);
		for (char *opt = table, *nl; (nl = strchr(opt, '\n')) != NULL; opt = nl + 1) {
			*nl = '\0';
			ck_assert_msg(mentions(help, opt), "connhub %s lacks %s", helps[h], opt);
			*nl = '\n';
		}
	}
	/* And the other way: every option serve --help lists is in the table. */
	run_output("serve --help", help, 65536);
	for (const char *at = strstr(help, "\n  --"); at; at = strstr(at + 1, "\n  --")) {
		char opt[64];

		snprintf(opt, sizeof(opt), "%.*s", (int)strcspn(at + 3, " ,\n"), at + 3);
		ck_assert_msg(strcmp(opt, "--help") == 0 || mentions(table, opt),
			      "%s is in serve --help but not in the README's table", opt);
	}
	free(help);
}
END_TEST

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

/* Runs `connhub schema validate S I`, returning its exit status and the
 * first line it printed in @p out. */
static int validate_cli(const char *schema, const char *instance, char *out, size_t len)
{
	char cmd[600];
	FILE *p;
	int status;

	snprintf(cmd, sizeof(cmd), "%s schema validate %s %s 2>&1", CH_TEST_CONNHUB, schema,
		 instance);
	p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	out[0] = '\0';
	if (!fgets(out, (int)len, p))
		out[0] = '\0';
	while (fgetc(p) != EOF)
		;
	status = pclose(p);
	return WEXITSTATUS(status);
}

START_TEST(schema_validate_cli_exit_codes)
{
	char dir[] = "/tmp/connhub-schema-XXXXXX", s[300], i[300], bad[300], out[512], cmd[320];
	int rc;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(s, sizeof(s), "%s/schema.json", dir);
	snprintf(i, sizeof(i), "%s/instance.json", dir);
	snprintf(bad, sizeof(bad), "%s/bad.json", dir);
	write_text(s, "{\"type\":\"object\",\"required\":[\"port\"],\"properties\":{\"port\":"
		      "{\"type\":\"integer\",\"maximum\":65535}}}");
	write_text(bad, "{\"type\":\"strng\"}");
	write_text(i, "{\"port\":5432}");
	ck_assert_int_eq(validate_cli(s, i, out, sizeof(out)), 0);
	ck_assert_str_eq(out, "valid\n");
	write_text(i, "{\"port\":70000}");
	rc = validate_cli(s, i, out, sizeof(out));
	ck_assert_int_eq(rc, 1);
	write_text(i, "{}");
	ck_assert_int_eq(validate_cli(s, i, out, sizeof(out)), 1);
	ck_assert_int_eq(validate_cli(bad, i, out, sizeof(out)), 2);
	ck_assert_ptr_nonnull(strstr(out, "not a usable schema"));
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("api_foundation");
	TCase *shared = tcase_create("shared_host");
	TCase *own = tcase_create("own_host");

	tcase_add_unchecked_fixture(shared, start_fixture_host, stop_host);
	tcase_set_timeout(shared, 60);
	tcase_add_test(shared, healthz_answers);
	tcase_add_test(shared, plugins_lists_every_file_with_reason);
	tcase_add_test(shared, types_list_shows_newest_of_each);
	tcase_add_test(shared, types_list_pages_and_sorts);
	tcase_add_test(shared, types_list_filters);
	tcase_add_test(shared, types_list_rejects_bad_parameters);
	tcase_add_test(shared, bad_filter_value_names_the_values);
	tcase_add_test(shared, type_get_by_id_and_version);
	tcase_add_test(shared, type_get_unknown_is_404_problem);
	tcase_add_test(shared, unknown_path_is_404);
	tcase_add_test(shared, wrong_method_is_405_with_allow);
	tcase_add_test(shared, types_path_is_405_for_other_methods);
	tcase_add_test(shared, oversized_body_is_413);
	tcase_add_test(shared, malformed_body_is_400);
	tcase_add_test(shared, http_library_limits_and_errors);
	tcase_add_test(shared, api_needs_a_token);
	tcase_add_test(shared, rescan_is_admin_only);
	suite_add_tcase(s, shared);
	tcase_set_timeout(own, 60);
	tcase_add_test(own, rescan_picks_up_new_files);
	tcase_add_test(own, missing_plugins_dir_still_serves);
	tcase_add_test(own, sigterm_lets_request_in_flight_finish);
	tcase_add_test(own, sigint_stops_cleanly);
	tcase_add_test(own, bad_options_are_refused);
	tcase_add_test(own, help_lists_every_option);
	tcase_add_test(own, schema_validate_cli_exit_codes);
	suite_add_tcase(s, own);
	return s;
}

int main(void)
{
	int rc;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = ch_check_run(suite());
	curl_global_cleanup();
	return rc;
}
