/*
 * /api/v1/connectors: create (by POST, or by chosen name), list, read,
 * change and delete, scoped to the caller's account. ETag / If-Match guard
 * writes against lost updates; Idempotency-Key makes a create safe to retry.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "api.h"
#include "error.h"
#include "list.h"

#define MAX_IDEM_KEY 255
#define WRITE_RETRIES 3

static const char *const sorts[] = {"name", "created_at", "updated_at", NULL};
static const char *const filters[] = {"type", "status", "name", NULL};
static const char *const statuses[] = {"CREATED", "CONFIGURED", "STARTING", "RUNNING",
				       "STOPPING", "STOPPED", "FAILED", NULL};

/* --- shared pieces ------------------------------------------------------------- */

static void env_init(ch_connector_env *env, ch_app *a, ch_registry *reg)
{
	env->keys = a->keys;
	env->types = reg;
	env->create_schema = a->create_schema;
	env->update_schema = a->update_schema;
	env->replace_config = 0;
}

static void invalid(ch_http_req *req, ch_http_resp *resp, json_object *errors)
{
	json_object *p = ch_http_problem(resp, req, 422, "validation-failed", "Unprocessable Content",
					 "the request has invalid fields; see errors");

	json_object_object_add(p, "errors", errors); /* the problem owns them now */
}

void ch_api_fail(ch_http_req *req, ch_http_resp *resp, int rc, const char *what)
{
	const ch_error *e = ch_error_last();
	const char *detail = e->code == rc && e->message[0] ? e->message : what;

	/* A stored secret that does not decrypt is the server's fault, not
	 * the caller's authentication. */
	if (rc == CH_E_AUTH)
		ch_http_problem(resp, req, 500, "secret-unreadable", NULL, detail);
	else
		ch_http_problem_code(resp, req, rc, detail);
}

static void set_etag(ch_http_resp *resp, int64_t revision)
{
	char etag[32];

	snprintf(etag, sizeof(etag), "\"%" PRId64 "\"", revision);
	ch_http_add_header(resp, "ETag", etag);
}

/* The revision If-Match asks for: -1 for none or "*". -2 when malformed. */
static int64_t if_match(ch_http_req *req)
{
	const char *v = ch_http_header(req, "If-Match");
	char *end = NULL;
	long long n;

	if (!v || strcmp(v, "*") == 0)
		return -1;
	if (strncmp(v, "W/", 2) == 0)
		v += 2;
	if (*v != '"')
		return -2;
	n = strtoll(v + 1, &end, 10);
	return end && end[0] == '"' && end[1] == '\0' && n > 0 ? (int64_t)n : -2;
}

/* Reads {connector} (an id or a name) of the caller's account. Another
 * account's connector is "not found", exactly like a missing one. */
int ch_api_load_connector(ch_app *a, ch_http_req *req, ch_http_resp *resp, ch_connector_row *row)
{
	const char *key = ch_http_param(req, "connector");
	const ch_principal *who = ch_api_principal(req);
	char detail[160];
	int rc;

	if (ch_connector_is_id(key))
		rc = ch_store_connector_get(a->store, who->account_id, key, NULL, row);
	else
		rc = ch_store_connector_get(a->store, who->account_id, NULL, key, row);
	if (rc == CH_E_NOTFOUND) {
		snprintf(detail, sizeof(detail), "no connector %.100s", key);
		ch_http_problem_code(resp, req, rc, detail);
	} else if (rc != CH_OK) {
		ch_api_fail(req, resp, rc, "the connector could not be read");
	}
	return rc;
}

/* Answers @p row, taking its document (see ch_connector_json_take()). */
static void answer_row(ch_http_resp *resp, int status, ch_connector_row *row)
{
	ch_http_json(resp, status, ch_connector_json_take(row, 1));
	set_etag(resp, row->revision);
}

/* --- create -------------------------------------------------------------------- */

static void request_hash(ch_http_req *req, uint8_t out[32])
{
	crypto_generichash_state st;

	crypto_generichash_init(&st, NULL, 0, 32);
	crypto_generichash_update(&st, (const unsigned char *)req->path, strlen(req->path) + 1);
	if (req->body)
		crypto_generichash_update(&st, (const unsigned char *)req->body, req->body_len);
	crypto_generichash_final(&st, out, 32);
}

static void replay(ch_http_req *req, ch_http_resp *resp, const ch_idem_record *rec,
		   const uint8_t hash[32])
{
	json_object *body, *rev;
	int64_t revision;

	if (sodium_memcmp(rec->request_hash, hash, 32) != 0) {
		ch_http_problem(resp, req, 422, "idempotency-key-reused", NULL,
				"this Idempotency-Key was used with a different request");
		return;
	}
	body = json_tokener_parse(rec->body);
	/* The answer replayed is the first one: its ETag is the revision it
	 * showed (the connector may have changed since). */
	rev = json_object_object_get(body, "revision");
	revision = rev ? json_object_get_int64(rev) : 0;
	ch_http_json(resp, rec->status, body); /* resp owns body now */
	if (revision > 0)
		set_etag(resp, revision);
	if (rec->location[0])
		ch_http_add_header(resp, "Location", rec->location);
	ch_http_add_header(resp, "Idempotent-Replayed", "true");
}

/* Answers from a stored result of @p key; 0 when there is none. */
static int replayed(ch_app *a, ch_http_req *req, ch_http_resp *resp, const char *key,
		    const uint8_t hash[32])
{
	const ch_principal *who = ch_api_principal(req);
	ch_idem_record rec;
	int rc;

	if (!key)
		return 0;
	rc = ch_store_idem_get(a->store, who->account_id, key, &rec);
	if (rc == CH_E_NOTFOUND)
		return 0;
	if (rc == CH_OK)
		replay(req, resp, &rec, hash);
	else
		ch_api_fail(req, resp, rc, "the idempotency key could not be read");
	ch_idem_record_clear(&rec);
	return 1;
}

static void conflict_name(ch_http_req *req, ch_http_resp *resp, const char *name)
{
	char detail[160];

	snprintf(detail, sizeof(detail), "a connector named %.64s exists already", name);
	ch_http_problem_code(resp, req, CH_E_EXISTS, detail);
}

/* Inserts the row and answers 201, storing the answer under @p key. */
static void insert(ch_app *a, ch_http_req *req, ch_http_resp *resp, ch_connector_row *row,
		   const char *key, const uint8_t hash[32])
{
	json_object *body = ch_connector_json(row, 1);
	ch_idem_record rec = {.status = 201};
	int rc;

	memcpy(rec.request_hash, hash, 32);
	snprintf(rec.location, sizeof(rec.location), "/api/v1/connectors/%s", row->id);
	rec.body = (char *)json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN);
	rc = ch_store_connector_insert(a->store, row, key, &rec);
	if (rc == CH_OK) {
		ch_http_json(resp, 201, body);
		ch_http_add_header(resp, "Location", rec.location);
		set_etag(resp, row->revision);
		return;
	}
	json_object_put(body);
	if (rc == CH_E_EXISTS)
		conflict_name(req, resp, row->name);
	else if (rc != CH_E_CONFLICT || !replayed(a, req, resp, key, hash))
		ch_api_fail(req, resp, rc, "the connector could not be stored");
}

static void create(ch_app *a, ch_http_req *req, ch_http_resp *resp, const char *path_name)
{
	const char *key = ch_http_header(req, "Idempotency-Key");
	const ch_principal *who = ch_api_principal(req);
	ch_registry *reg;
	ch_connector_env env;
	ch_connector_row row;
	json_object *errors = NULL;
	uint8_t hash[32];
	int rc;

	if (key && (!*key || strlen(key) > MAX_IDEM_KEY)) {
		ch_http_problem(resp, req, 400, "invalid-header", NULL,
				"Idempotency-Key must be 1 to 255 characters");
		return;
	}
	request_hash(req, hash);
	if (replayed(a, req, resp, key, hash))
		return;
	if (!req->json) {
		ch_http_body_json(req, resp, 0, &req->json);
		return;
	}
	reg = ch_registry_slot_get(&a->plugins);
	env_init(&env, a, reg);
	rc = ch_connector_create(&env, who->account_id, req->json, path_name, &row, &errors);
	ch_registry_unref(reg);
	if (rc == CH_E_INVALID)
		invalid(req, resp, errors);
	else if (rc != CH_OK)
		ch_api_fail(req, resp, rc, "the connector could not be created");
	else
		insert(a, req, resp, &row, key, hash);
	ch_connector_row_clear(&row);
}

void ch_api_connectors_create(void *app, ch_http_req *req, ch_http_resp *resp)
{
	create(app, req, resp, NULL);
}

void ch_api_connectors_create_named(void *app, ch_http_req *req, ch_http_resp *resp)
{
	create(app, req, resp, ch_http_param(req, "connector"));
}

/* --- read, change, delete --------------------------------------------------------- */

void ch_api_connectors_get(void *app, ch_http_req *req, ch_http_resp *resp)
{
	ch_connector_row row;

	if (ch_api_load_connector(app, req, resp, &row) != CH_OK)
		return;
	answer_row(resp, 200, &row);
	ch_connector_row_clear(&row);
}

static int precondition(ch_http_req *req, ch_http_resp *resp, const ch_connector_row *row,
			int64_t want)
{
	char detail[128];

	if (want == -2) {
		ch_http_problem(resp, req, 400, "invalid-header", NULL,
				"If-Match must be \"*\" or an ETag such as \"3\"");
		return 1;
	}
	if (want >= 0 && want != row->revision) {
		snprintf(detail, sizeof(detail),
			 "the connector is at revision %" PRId64 ", not %" PRId64, row->revision, want);
		ch_http_problem(resp, req, 412, "precondition-failed", NULL, detail);
		set_etag(resp, row->revision);
		return 1;
	}
	return 0;
}

/* One attempt at a change: CH_E_CONFLICT when another write came first. */
static int change_once(ch_app *a, ch_http_req *req, ch_http_resp *resp, int64_t want)
{
	ch_connector_row row, out = {0};
	json_object *errors = NULL;
	ch_registry *reg;
	ch_connector_env env;
	int rc = ch_api_load_connector(a, req, resp, &row);

	if (rc != CH_OK)
		return CH_OK; /* answered */
	if (precondition(req, resp, &row, want))
		goto out;
	reg = ch_registry_slot_get(&a->plugins);
	env_init(&env, a, reg);
	rc = ch_connector_change(&env, &row, req->json, &out, &errors);
	ch_registry_unref(reg);
	if (rc == CH_OK)
		rc = ch_store_connector_update(a->store, &out, row.revision);
	if (rc == CH_OK) {
		out.revision = row.revision + 1;
		answer_row(resp, 200, &out);
	} else if (rc == CH_E_INVALID) {
		invalid(req, resp, errors);
		errors = NULL;
	} else if (rc == CH_E_EXISTS) {
		conflict_name(req, resp, out.name);
	} else if (rc != CH_E_CONFLICT || want >= 0) {
		ch_api_fail(req, resp, rc, "the connector could not be changed");
	}
	rc = rc == CH_E_CONFLICT && want < 0 ? CH_E_CONFLICT : CH_OK;
out:
	json_object_put(errors);
	ch_connector_row_clear(&out);
	ch_connector_row_clear(&row);
	return rc;
}

void ch_api_connectors_update(void *app, ch_http_req *req, ch_http_resp *resp)
{
	int64_t want = if_match(req);
	int rc = CH_E_CONFLICT;

	if (!req->json) {
		ch_http_body_json(req, resp, 0, &req->json);
		return;
	}
	/* Without If-Match the last writer wins: retry on a concurrent write. */
	for (int i = 0; i < WRITE_RETRIES && rc == CH_E_CONFLICT; i++)
		rc = change_once(app, req, resp, want);
	if (rc == CH_E_CONFLICT)
		ch_http_problem_code(resp, req, CH_E_CONFLICT, "the connector kept changing; retry");
}

void ch_api_connectors_delete(void *app, ch_http_req *req, ch_http_resp *resp)
{
	ch_app *a = app;
	int64_t want = if_match(req);
	ch_connector_row row;
	int rc;

	if (ch_api_load_connector(a, req, resp, &row) != CH_OK)
		return;
	if (!precondition(req, resp, &row, want)) {
		rc = ch_store_connector_delete(a->store, row.account_id, row.id, want);
		if (rc == CH_OK || rc == CH_E_NOTFOUND)
			resp->status = 204;
		else if (rc == CH_E_CONFLICT)
			precondition(req, resp, &row, row.revision + 1);
		else
			ch_api_fail(req, resp, rc, "the connector could not be deleted");
	}
	ch_connector_row_clear(&row);
}

/* --- list --------------------------------------------------------------------------- */

static int include_error(ch_http_req *req, ch_http_resp *resp)
{
	json_object *p = ch_http_problem(resp, req, 400, "invalid-parameter", NULL,
					 "query parameter include takes type, variables or both");
	json_object *e = json_object_new_object(), *list = json_object_new_array();

	json_object_object_add(e, "parameter", json_object_new_string("include"));
	json_object_object_add(e, "message", json_object_new_string("must be type, variables or both"));
	json_object_array_add(list, e);
	json_object_object_add(p, "errors", list);
	return CH_E_INVALID;
}

/* include=type,variables (either, both, in any order). */
static int parse_include(ch_http_req *req, ch_http_resp *resp, int *types, int *variables)
{
	const char *p = ch_http_query(req, "include");

	*types = *variables = 0;
	while (p && *p) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);

		if (len == 4 && strncmp(p, "type", 4) == 0)
			*types = 1;
		else if (len == 9 && strncmp(p, "variables", 9) == 0)
			*variables = 1;
		else
			return include_error(req, resp);
		p = comma ? comma + 1 : NULL;
	}
	return CH_OK;
}

static json_object *included_types(ch_app *a, const ch_connector_row *rows, size_t n)
{
	ch_registry *reg = ch_registry_slot_get(&a->plugins);
	json_object *list = json_object_new_array(), *seen = json_object_new_object();
	char key[200];

	for (size_t i = 0; i < n; i++) {
		const ch_type *t = ch_registry_find(reg, rows[i].type, rows[i].type_version);

		snprintf(key, sizeof(key), "%s@%s", rows[i].type, rows[i].type_version);
		if (!t || json_object_object_get_ex(seen, key, NULL))
			continue;
		json_object_object_add(seen, key, NULL);
		json_object_array_add(list, ch_type_manifest_copy(t, 0));
	}
	json_object_put(seen);
	ch_registry_unref(reg);
	return list;
}

static ch_connector_sort sort_of(const char *name)
{
	if (strcmp(name, "created_at") == 0)
		return CH_SORT_CREATED;
	return strcmp(name, "updated_at") == 0 ? CH_SORT_UPDATED : CH_SORT_NAME;
}

/* The key of @p row in sort order @p sort (what a cursor carries). */
static const char *sort_key(const ch_connector_row *row, ch_connector_sort sort)
{
	if (sort == CH_SORT_CREATED)
		return row->created_at;
	return sort == CH_SORT_UPDATED ? row->updated_at : row->name;
}

/* meta: {page (without a cursor), per_page, total, next_cursor}. */
static json_object *list_meta(const ch_list_params *p, const ch_connector_query *q,
			      const ch_connector_page *pg)
{
	json_object *meta = json_object_new_object();
	char cursor[CH_LIST_CURSOR_MAX] = "";

	if (pg->more && pg->count > 0)
		ch_list_cursor_make(cursor, p, sort_key(&pg->rows[pg->count - 1], q->sort),
				    pg->rows[pg->count - 1].id);
	if (!q->after_key)
		json_object_object_add(meta, "page", json_object_new_int64((int64_t)p->page));
	json_object_object_add(meta, "per_page", json_object_new_int64((int64_t)p->per_page));
	json_object_object_add(meta, "total", json_object_new_int64((int64_t)pg->total));
	json_object_object_add(meta, "next_cursor",
			       cursor[0] ? json_object_new_string(cursor) : NULL);
	return meta;
}

static json_object *list_answer(ch_app *a, json_object *meta, const ch_connector_page *pg,
				int types, int variables)
{
	json_object *o = json_object_new_object(), *data = json_object_new_array();

	for (size_t i = 0; i < pg->count; i++)
		json_object_array_add(data, ch_connector_json_take(&pg->rows[i], variables));
	json_object_object_add(o, "data", data);
	json_object_object_add(o, "meta", meta);
	if (types) {
		json_object *inc = json_object_new_object();

		json_object_object_add(inc, "types", included_types(a, pg->rows, pg->count));
		json_object_object_add(o, "included", inc);
	}
	return o;
}

/* Reads the query into @p q; CH_OK, or an error after answering 400. */
static int list_query(ch_http_req *req, ch_http_resp *resp, ch_list_params *p,
		      ch_list_cursor *cur, ch_connector_query *q, int *types, int *variables)
{
	int rc = ch_list_parse(req, resp, sorts, filters, "name", p), has_cursor;

	if (rc != CH_OK || (rc = parse_include(req, resp, types, variables)) != CH_OK)
		return rc;
	has_cursor = ch_list_cursor_parse(req, resp, p, cur);
	if (has_cursor < 0)
		return has_cursor;
	memset(q, 0, sizeof(*q));
	q->page = p->page;
	q->per_page = p->per_page;
	q->sort = sort_of(p->sort);
	q->descending = p->descending;
	q->type = ch_list_filter(req, "type");
	q->name_prefix = ch_list_filter(req, "name");
	q->after_key = has_cursor ? cur->key : NULL;
	q->after_id = has_cursor ? cur->id : NULL;
	return ch_list_filter_in(req, resp, "status", statuses, &q->status);
}

void ch_api_connectors_list(void *app, ch_http_req *req, ch_http_resp *resp)
{
	ch_app *a = app;
	ch_list_params p;
	ch_list_cursor cur;
	ch_connector_query q;
	ch_connector_page pg = {0};
	int types, variables, rc;

	if (list_query(req, resp, &p, &cur, &q, &types, &variables) != CH_OK)
		return;
	rc = ch_store_connector_list(a->store, ch_api_principal(req)->account_id, &q, &pg);
	if (rc == CH_OK)
		ch_http_json(resp, 200,
			     list_answer(a, list_meta(&p, &q, &pg), &pg, types, variables));
	else
		ch_api_fail(req, resp, rc, "the connectors could not be listed");
	ch_connector_page_clear(&pg);
}
