/*
 * The setup wizard (seed 000): /connectors/{connector}/setup and its
 * current, next, previous, cancel and finish. The plugin computes each step
 * from every answer so far, so a wizard can branch. The session lives in the
 * database ({type, type_version, answers, current, history}) with secret
 * answers sealed like any secret, so it survives a restart; each write
 * checks the session's revision, so of two concurrent calls one gets 409.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "api.h"
#include "error.h"

typedef struct wizard {
	ch_app *app;
	ch_http_req *req;
	ch_http_resp *resp;
	ch_connector_row row;
	ch_registry *reg;
	const ch_type *type;
	json_object *session; /* stored form: secrets sealed */
	int64_t revision;
} wizard;

/* --- plumbing ---------------------------------------------------------------- */

/* A private deep copy: documents holding secrets in clear are wiped when
 * done, so they never share values with one that lives on. */
static json_object *copy(json_object *v)
{
	json_object *c = NULL;

	if (v)
		json_object_deep_copy(v, &c, NULL);
	return c;
}

static void wizard_done(wizard *w)
{
	json_object_put(w->session);
	ch_registry_unref(w->reg);
	ch_connector_row_clear(&w->row);
}

static int problem(wizard *w, int code, const char *detail)
{
	ch_http_problem_code(w->resp, w->req, code, detail);
	return code;
}

/* Loads the connector, its type and (when @p need_session) its session. */
static int wizard_open(wizard *w, ch_app *a, ch_http_req *req, ch_http_resp *resp,
		       int need_session)
{
	char detail[200];
	int rc;

	memset(w, 0, sizeof(*w));
	w->app = a;
	w->req = req;
	w->resp = resp;
	rc = ch_api_load_connector(a, req, resp, &w->row);
	if (rc != CH_OK)
		return rc;
	w->reg = ch_registry_slot_get(&a->plugins);
	w->type = ch_registry_find(w->reg, w->row.type, w->row.type_version);
	if (!w->type) {
		snprintf(detail, sizeof(detail), "connector type %s %s is not loaded", w->row.type,
			 w->row.type_version);
		return problem(w, CH_E_UNAVAILABLE, detail);
	}
	if (!ch_type_has_op(w->type, CH_OP_SETUP))
		return problem(w, CH_E_UNSUPPORTED, "this connector type has no setup wizard");
	rc = ch_store_session_get(a->store, w->row.account_id, w->row.id, &w->session, &w->revision);
	if (rc == CH_E_NOTFOUND && need_session)
		return problem(w, rc, "no setup session is open; POST .../setup starts one");
	if (rc != CH_OK && rc != CH_E_NOTFOUND) {
		ch_api_fail(req, resp, rc, "the setup session could not be read");
		return rc;
	}
	return CH_OK;
}

static int flag(json_object *step, const char *key)
{
	return json_object_get_boolean(json_object_object_get(step, key));
}

static json_object *current(const wizard *w)
{
	return json_object_object_get(w->session, "current");
}

static json_object *history(const wizard *w)
{
	return json_object_object_get(w->session, "history");
}

/* Top-level keys a step's schema marks secret, plus the type's secret
 * config fields: the answers sealed in the session. */
static json_object *secret_keys(const wizard *w, json_object *step)
{
	json_object *keys = ch_secret_schema_paths(ch_type_schema(w->type)), *more = NULL;
	ch_schema *schema = NULL;
	char err[256];

	if (!keys)
		keys = json_object_new_array();
	if (ch_schema_compile(&schema, json_object_object_get(step, "schema"), err, sizeof(err)) ==
	    CH_OK)
		more = ch_secret_schema_paths(schema);
	for (size_t i = 0; more && i < json_object_array_length(more); i++)
		json_object_array_add(keys, json_object_get(json_object_array_get_idx(more, i)));
	json_object_put(more);
	ch_schema_free(schema);
	return keys;
}

/* The member @p key of the stored document @p doc with its secrets opened
 * (a new object the caller wipes; an empty object when @p doc lacks it),
 * or NULL after a problem. Envelopes are opened where they were sealed,
 * in the whole document, so their associated data match. */
static json_object *open_member(wizard *w, json_object *doc, const char *key)
{
	json_object *opened = copy(doc), *member;
	char err[256];

	if (ch_secret_open_all(w->app->keys, opened, w->row.account_id, w->row.id, err,
			       sizeof(err)) != CH_OK) {
		ch_secret_wipe(opened);
		ch_http_problem(w->resp, w->req, 500, "secret-unreadable", NULL, err);
		return NULL;
	}
	member = copy(json_object_object_get(opened, key));
	ch_secret_wipe(opened);
	return member ? member : json_object_new_object();
}

/* The session's answers in clear (see open_member()). */
static json_object *open_answers(wizard *w)
{
	return open_member(w, w->session, "answers");
}

/* The step as clients see it: the model holds the answers given so far for
 * its fields (secrets masked), hasPrevious comes from the history. */
static json_object *step_view(const wizard *w)
{
	json_object *step = NULL, *model, *answers = json_object_object_get(w->session, "answers");
	json_object *form;

	json_object_deep_copy(current(w), &step, NULL);
	model = json_object_object_get(step, "model");
	form = json_object_object_get(step, "form");
	for (size_t i = 0; json_object_is_type(model, json_type_object) &&
			   i < json_object_array_length(form);
	     i++) {
		const char *key = json_object_get_string(
			json_object_object_get(json_object_array_get_idx(form, i), "key"));
		json_object *v = NULL;

		if (!key || !json_object_object_get_ex(answers, key, &v))
			continue;
		json_object_object_add(model, key,
				       ch_secret_is_envelope(v) ? json_object_new_string(CH_SECRET_MASK)
								: json_object_get(v));
	}
	json_object_object_add(step, "hasPrevious",
			       json_object_new_boolean(json_object_array_length(history(w)) > 0));
	return step;
}

static void answer_step(wizard *w)
{
	ch_http_json(w->resp, 200, step_view(w));
}

/* --- the plugin ------------------------------------------------------------------ */

static int step_valid(json_object *step)
{
	json_object *id = json_object_object_get(step, "id");
	ch_schema *schema = NULL;
	char err[256];
	int ok = json_object_is_type(step, json_type_object) &&
		 json_object_is_type(id, json_type_string) &&
		 json_object_is_type(json_object_object_get(step, "form"), json_type_array) &&
		 json_object_is_type(json_object_object_get(step, "model"), json_type_object) &&
		 ch_schema_compile(&schema, json_object_object_get(step, "schema"), err,
				   sizeof(err)) == CH_OK;

	ch_schema_free(schema);
	return ok;
}

/* Asks the plugin for the step after @p after (NULL: the first). */
static json_object *plugin_step(wizard *w, const char *after, json_object *answers)
{
	json_object *in = json_object_new_object(), *who = json_object_new_object(), *step;
	char *text, *out = NULL, *msg = NULL;
	int rc;

	json_object_object_add(who, "id", json_object_new_string(w->row.id));
	json_object_object_add(who, "name", json_object_new_string(w->row.name));
	json_object_object_add(in, "connector", who);
	json_object_object_add(in, "step", after ? json_object_new_string(after) : NULL);
	json_object_object_add(in, "answers", copy(answers));
	text = strdup(json_object_to_json_string_ext(in, JSON_C_TO_STRING_PLAIN));
	ch_secret_wipe(in);
	rc = text ? ch_plugin_call(w->type, CH_OP_SETUP, w->row.id, text, &out, &msg) : CH_E_NOMEM;
	if (text)
		sodium_memzero(text, strlen(text));
	free(text);
	step = rc == CH_OK ? json_tokener_parse(out) : NULL;
	if (rc == CH_OK && !step_valid(step)) {
		json_object_put(step);
		step = NULL;
		ch_http_problem(w->resp, w->req, 502, "bad-plugin-answer", NULL,
				"the plugin answered a malformed setup step");
	} else if (rc != CH_OK) {
		ch_api_call_problem(w->req, w->resp, rc == CH_E_INVALID ? CH_E_GENERIC : rc,
				    msg ? msg : "the plugin's setup failed");
	}
	if (out) /* a plugin may echo a secret answer in its step */
		sodium_memzero(out, strlen(out));
	free(out);
	free(msg);
	return step;
}

/* Keeps secrets out of a stored step: its model's secret values masked. */
static void scrub_step(const wizard *w, json_object *step)
{
	json_object *keys = secret_keys(w, step), *model = json_object_object_get(step, "model");

	for (size_t i = 0; i < json_object_array_length(keys); i++) {
		const char *p = json_object_get_string(json_object_array_get_idx(keys, i));

		json_object *v = NULL;

		/* an empty default is no secret: masking it would claim one */
		if (p[0] != '/' || strchr(p + 1, '/') || !json_object_object_get_ex(model, p + 1, &v) ||
		    !v || (json_object_is_type(v, json_type_string) && !*json_object_get_string(v)))
			continue;
		json_object_get(v); /* kept past the replacement, to be wiped */
		json_object_object_add(model, p + 1, json_object_new_string(CH_SECRET_MASK));
		ch_secret_wipe(v);
	}
	json_object_put(keys);
}

/* Seals @p answers (consumed) into a new session document and stores it. */
static int save(wizard *w, json_object *answers, json_object *step, json_object *hist)
{
	json_object *doc = json_object_new_object(), *keys = secret_keys(w, step);
	json_object *ptrs = json_object_new_array();
	char ptr[300];
	int rc;

	for (size_t i = 0; i < json_object_array_length(keys); i++) {
		snprintf(ptr, sizeof(ptr), "/answers%s",
			 json_object_get_string(json_object_array_get_idx(keys, i)));
		json_object_array_add(ptrs, json_object_new_string(ptr));
	}
	scrub_step(w, step);
	json_object_object_add(doc, "answers", answers);
	json_object_object_add(doc, "current", step);
	json_object_object_add(doc, "history", hist);
	rc = ch_secret_seal(w->app->keys, doc, ptrs, w->row.account_id, w->row.id);
	if (rc == CH_OK)
		rc = ch_store_session_put(w->app->store, w->row.account_id, w->row.id, doc, w->revision);
	if (rc == CH_E_CONFLICT)
		problem(w, rc, "another setup call changed this session first; GET .../setup/current");
	else if (rc != CH_OK)
		ch_api_fail(w->req, w->resp, rc, "the setup session could not be stored");
	json_object_put(ptrs);
	json_object_put(keys);
	json_object_put(w->session);
	w->session = doc;
	w->revision++;
	return rc;
}

/* --- answers from the request -------------------------------------------------------- */

/* The form entry of @p step for @p key, or NULL. */
static json_object *form_entry(json_object *step, const char *key)
{
	json_object *form = json_object_object_get(step, "form");

	for (size_t i = 0; i < json_object_array_length(form); i++) {
		json_object *entry = json_object_array_get_idx(form, i);
		const char *k = json_object_get_string(json_object_object_get(entry, "key"));

		if (k && strcmp(k, key) == 0)
			return entry;
	}
	return NULL;
}

/* Whether a form entry applies to @p answers: it has no "when", or each
 * key of its "when" has that answer. */
static int entry_applies(json_object *entry, json_object *answers)
{
	json_object *when = json_object_object_get(entry, "when");

	if (!json_object_is_type(when, json_type_object))
		return 1;
	json_object_object_foreach(when, key, want)
	{
		json_object *got = NULL;

		if (!json_object_object_get_ex(answers, key, &got) || !json_object_equal(got, want))
			return 0;
	}
	return 1;
}

/* Marks in @p keep the keys of @p step's fields that apply to @p answers. */
static void path_keys(json_object *keep, json_object *step, json_object *answers)
{
	json_object *form = json_object_object_get(step, "form");

	for (size_t i = 0; i < json_object_array_length(form); i++) {
		json_object *entry = json_object_array_get_idx(form, i);
		const char *key = json_object_get_string(json_object_object_get(entry, "key"));

		if (key && entry_applies(entry, answers))
			json_object_object_add(keep, key, NULL);
	}
}

/*
 * Keeps only the answers of the path taken: the fields of the steps in the
 * history and of the current one that apply. Answers to a branch left by
 * previous, and stored values no step on the path asks for, are dropped
 * (and wiped: they may be secrets).
 */
static void keep_path_answers(const wizard *w, json_object *answers)
{
	json_object *keep = json_object_new_object(), *drop = json_object_new_array();

	path_keys(keep, current(w), answers);
	for (size_t i = 0; i < json_object_array_length(history(w)); i++)
		path_keys(keep, json_object_array_get_idx(history(w), i), answers);
	json_object_object_foreach(answers, key, val)
	{
		(void)val;
		if (!json_object_object_get_ex(keep, key, NULL))
			json_object_array_add(drop, json_object_new_string(key));
	}
	for (size_t i = 0; i < json_object_array_length(drop); i++) {
		const char *k = json_object_get_string(json_object_array_get_idx(drop, i));
		json_object *v = json_object_get(json_object_object_get(answers, k));

		json_object_object_del(answers, k);
		ch_secret_wipe(v);
	}
	json_object_put(drop);
	json_object_put(keep);
}

/* Rewrites the pointers of @p errors from "/config/x" (the connector's
 * field) to "/x", the answer at fault, as next's errors say it. */
static void answer_pointers(json_object *errors)
{
	for (size_t i = 0; i < json_object_array_length(errors); i++) {
		json_object *e = json_object_array_get_idx(errors, i);
		const char *p = json_object_get_string(json_object_object_get(e, "pointer"));

		if (p && strncmp(p, "/config", 7) == 0 && (p[7] == '/' || p[7] == '\0'))
			json_object_object_add(e, "pointer", json_object_new_string(p + 7));
	}
}

static void add_error(json_object *errors, const char *pointer, const char *message)
{
	json_object *e = json_object_new_object();

	json_object_object_add(e, "pointer", json_object_new_string(pointer));
	json_object_object_add(e, "message", json_object_new_string(message));
	json_object_array_add(errors, e);
}

/* Merges the request's model into @p answers (in clear): "********" keeps
 * a stored secret. Validates the model against the step's schema; on
 * failure answers 422 with every error and returns CH_E_INVALID. */
static int take_model(wizard *w, json_object *answers, json_object *body)
{
	json_object *step = current(w), *model = NULL, *errors = json_object_new_array(), *found;
	ch_schema *schema = NULL;
	char err[256], ptr[300];
	int rc;

	json_object_deep_copy(body ? body : json_object_object_get(step, "model"), &model, NULL);
	json_object_object_foreach(model, key, val)
	{
		const char *s = json_object_is_type(val, json_type_string) ? json_object_get_string(val)
									   : NULL;
		json_object *kept = json_object_object_get(answers, key);

		snprintf(ptr, sizeof(ptr), "/%s", key);
		if (!form_entry(step, key) &&
		    !json_object_object_get_ex(json_object_object_get(step, "model"), key, NULL))
			add_error(errors, ptr, "is not a field of this step");
		if (!s || strcmp(s, CH_SECRET_MASK) != 0)
			continue;
		if (kept)
			json_object_object_add(model, key, copy(kept));
		else
			add_error(errors, ptr, "\"********\" keeps a stored secret, but none is stored");
	}
	rc = ch_schema_compile(&schema, json_object_object_get(step, "schema"), err, sizeof(err));
	found = NULL;
	if (rc == CH_OK && ch_schema_validate(schema, model, &found) != CH_OK)
		for (size_t i = 0; i < json_object_array_length(found); i++)
			json_object_array_add(errors, json_object_get(json_object_array_get_idx(found, i)));
	json_object_put(found);
	ch_schema_free(schema);
	if (json_object_array_length(errors) == 0) {
		json_object_object_foreach(model, k, v)
			json_object_object_add(answers, k, copy(v));
		rc = CH_OK;
	} else {
		json_object *p = ch_http_problem(w->resp, w->req, 422, "validation-failed", NULL,
						 "the step's answers are invalid; see errors");

		json_object_object_add(p, "errors", json_object_get(errors));
		rc = CH_E_INVALID;
	}
	json_object_put(errors);
	ch_secret_wipe(model);
	return rc;
}

/* --- routes ------------------------------------------------------------------------- */

void ch_api_setup_start(void *app, ch_http_req *req, ch_http_resp *resp)
{
	json_object *answers, *step;
	wizard w;
	int rc;

	if (wizard_open(&w, app, req, resp, 0) != CH_OK)
		goto out;
	if (w.session) {
		answer_step(&w); /* a session is open: its step */
		goto out;
	}
	/* A wizard run again starts from the stored configuration. */
	answers = open_member(&w, w.row.doc, "config");
	if (!answers)
		goto out;
	step = plugin_step(&w, NULL, answers);
	if (!step) {
		ch_secret_wipe(answers);
		goto out;
	}
	rc = save(&w, answers, step, json_object_new_array());
	if (rc == CH_E_CONFLICT) { /* a start at the same time opened one first */
		json_object_put(w.session);
		w.session = NULL;
		rc = ch_store_session_get(w.app->store, w.row.account_id, w.row.id, &w.session,
					  &w.revision);
	}
	if (rc == CH_OK)
		answer_step(&w);
out:
	wizard_done(&w);
}

void ch_api_setup_current(void *app, ch_http_req *req, ch_http_resp *resp)
{
	wizard w;

	if (wizard_open(&w, app, req, resp, 1) == CH_OK)
		answer_step(&w);
	wizard_done(&w);
}

void ch_api_setup_next(void *app, ch_http_req *req, ch_http_resp *resp)
{
	json_object *answers = NULL, *step, *hist = NULL;
	wizard w;

	if (wizard_open(&w, app, req, resp, 1) != CH_OK)
		goto out;
	if (!flag(current(&w), "hasNext")) {
		problem(&w, CH_E_CONFLICT, "this step has no next step; finish the setup instead");
		goto out;
	}
	answers = open_answers(&w);
	if (!answers || take_model(&w, answers, req->json) != CH_OK)
		goto out;
	step = plugin_step(&w, json_object_get_string(json_object_object_get(current(&w), "id")),
			   answers);
	if (!step)
		goto out;
	json_object_deep_copy(history(&w), &hist, NULL);
	json_object_array_add(hist, json_object_get(current(&w)));
	if (save(&w, answers, step, hist) == CH_OK)
		answer_step(&w);
	answers = NULL; /* the session owns them now */
out:
	ch_secret_wipe(answers);
	wizard_done(&w);
}

void ch_api_setup_previous(void *app, ch_http_req *req, ch_http_resp *resp)
{
	json_object *answers = NULL, *hist = NULL, *step;
	size_t n;
	wizard w;

	if (wizard_open(&w, app, req, resp, 1) != CH_OK)
		goto out;
	n = json_object_array_length(history(&w));
	if (n == 0) {
		problem(&w, CH_E_CONFLICT, "this is the first step; there is no previous one");
		goto out;
	}
	answers = open_answers(&w);
	if (!answers)
		goto out;
	json_object_deep_copy(history(&w), &hist, NULL);
	step = json_object_get(json_object_array_get_idx(hist, n - 1));
	json_object_array_del_idx(hist, n - 1, 1);
	if (save(&w, answers, step, hist) == CH_OK)
		answer_step(&w);
	answers = NULL;
out:
	ch_secret_wipe(answers);
	wizard_done(&w);
}

void ch_api_setup_cancel(void *app, ch_http_req *req, ch_http_resp *resp)
{
	wizard w;
	int rc;

	if (wizard_open(&w, app, req, resp, 1) == CH_OK) {
		rc = ch_store_session_delete(w.app->store, w.row.account_id, w.row.id);
		if (rc == CH_OK)
			resp->status = 204;
		else
			ch_api_fail(req, resp, rc, "the setup session could not be removed");
	}
	wizard_done(&w);
}

/* Validates the answers as the connector's configuration and stores it. */
static int configure(wizard *w, json_object *answers)
{
	ch_connector_env env = {w->app->keys, w->reg, w->app->create_schema, w->app->update_schema,
				1 /* the answers are the whole configuration */};
	json_object *body = json_object_new_object(), *errors = NULL;
	ch_connector_row out = {0};
	int rc;

	json_object_object_add(body, "config", json_object_get(answers));
	rc = ch_connector_change(&env, &w->row, body, &out, &errors);
	if (rc == CH_OK)
		rc = ch_store_session_finish(w->app->store, &out, w->row.revision, w->revision);
	if (rc == CH_OK) {
		out.revision = w->row.revision + 1;
		ch_http_json(w->resp, 200, ch_connector_json_take(&out, 1));
	} else if (rc == CH_E_CONFLICT) {
		problem(w, rc, "another call changed this setup session or connector first; GET "
			       ".../setup/current");
	} else if (rc == CH_E_INVALID) {
		json_object *p = ch_http_problem(w->resp, w->req, 422, "validation-failed", NULL,
						 "the configuration the wizard collected is invalid");

		answer_pointers(errors);
		json_object_object_add(p, "errors", errors);
		errors = NULL;
	} else {
		ch_api_fail(w->req, w->resp, rc, "the configuration could not be stored");
	}
	json_object_put(errors);
	ch_connector_row_clear(&out);
	ch_secret_wipe(body);
	return rc;
}

void ch_api_setup_finish(void *app, ch_http_req *req, ch_http_resp *resp)
{
	json_object *answers = NULL;
	wizard w;

	if (wizard_open(&w, app, req, resp, 1) != CH_OK)
		goto out;
	if (!flag(current(&w), "canFinish")) {
		problem(&w, CH_E_CONFLICT, "the setup cannot finish at this step; answer the next ones");
		goto out;
	}
	/* no body: the last step as shown, its model's defaults included */
	answers = open_answers(&w);
	if (!answers || take_model(&w, answers, req->json) != CH_OK)
		goto out;
	keep_path_answers(&w, answers);
	configure(&w, answers);
out:
	ch_secret_wipe(answers);
	wizard_done(&w);
}
