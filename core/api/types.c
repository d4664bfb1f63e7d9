#include <string.h>

#include "answers.h"
#include "api.h"
#include "error.h"
#include "list.h"

static const char *const type_sorts[] = {"id", "name", "vendor", NULL};
static const char *const type_filters[] = {"category", "capability", "license", NULL};

/* Whether the string array @p arr of the manifest holds @p value. */
static int has_value(json_object *manifest, const char *key, const char *value)
{
	json_object *arr = json_object_object_get(manifest, key);

	for (size_t i = 0; i < json_object_array_length(arr); i++)
		if (strcmp(json_object_get_string(json_object_array_get_idx(arr, i)), value) == 0)
			return 1;
	return 0;
}

static const char *const licenses[] = {CH_LICENSE_FREE, CH_LICENSE_LICENSED, NULL};

/* The filters of a type list; the values of capability and license are
 * checked, so a typo answers 400 rather than an empty list. */
typedef struct type_filter {
	const char *category, *capability, *license;
} type_filter;

static int parse_filter(ch_http_req *req, ch_http_resp *resp, type_filter *f)
{
	const char *ops[CH_OP_COUNT + 1];
	int rc;

	for (int op = 0; op < CH_OP_COUNT; op++)
		ops[op] = ch_op_name((ch_op)op);
	ops[CH_OP_COUNT] = NULL;
	f->category = ch_list_filter(req, "category");
	rc = ch_list_filter_in(req, resp, "capability", ops, &f->capability);
	if (rc == CH_OK)
		rc = ch_list_filter_in(req, resp, "license", licenses, &f->license);
	return rc;
}

static int type_matches(const type_filter *f, json_object *m)
{
	if (f->category && !has_value(m, "categories", f->category))
		return 0;
	if (f->capability && !has_value(m, "capabilities", f->capability))
		return 0;
	return !f->license || strcmp(json_object_get_string(json_object_object_get(m, "license")),
				     f->license) == 0;
}

/* A type as the API shows it: a private copy of the manifest plus every
 * loaded version. */
static json_object *type_json(const ch_registry *reg, const ch_type *t, int with_schema)
{
	json_object *o = ch_type_manifest_copy(t, with_schema);

	json_object_object_add(o, "versions", ch_registry_versions(reg, ch_type_id(t)));
	return o;
}

static const char *field(const json_object *item, const char *key)
{
	return json_object_get_string(json_object_object_get(item, key));
}

/* json_object_array_sort() takes no context: the order is per thread. */
static _Thread_local const ch_list_params *sort_by;

static int cmp_items(const void *a, const void *b)
{
	const json_object *ia = *(const json_object *const *)a;
	const json_object *ib = *(const json_object *const *)b;
	int c = strcmp(field(ia, sort_by->sort), field(ib, sort_by->sort));

	if (c == 0)
		c = strcmp(field(ia, "id"), field(ib, "id"));
	return sort_by->descending ? -c : c;
}

/* The page of the marketplace @p p and @p f ask for. */
static json_object *types_page(const ch_registry *reg, const ch_list_params *p,
			       const type_filter *f)
{
	const ch_type *const *latest;
	size_t n = ch_registry_latest(reg, &latest);
	json_object *items = json_object_new_array();

	for (size_t i = 0; i < n; i++)
		if (type_matches(f, ch_type_manifest(latest[i])))
			json_object_array_add(items, type_json(reg, latest[i], 0));
	sort_by = p;
	json_object_array_sort(items, cmp_items);
	return ch_list_page(items, p);
}

/*
 * The marketplace changes only with a rescan (a new registry): a page is
 * rendered once per registry and query, then answered from the registry's
 * cache of answers.
 */
void ch_api_types_list(void *app, ch_http_req *req, ch_http_resp *resp)
{
	ch_app *a = app;
	ch_list_params p;
	type_filter f;
	ch_registry *reg;
	ch_answers *answers;
	char key[512], *text;
	size_t len;
	int n;

	if (ch_list_parse(req, resp, type_sorts, type_filters, "id", &p) != CH_OK ||
	    parse_filter(req, resp, &f) != CH_OK)
		return;
	n = snprintf(key, sizeof(key), "types %zu %zu %s%s\n%s\n%s\n%s", p.page, p.per_page,
		     p.descending ? "-" : "", p.sort, f.category ? f.category : "",
		     f.capability ? f.capability : "", f.license ? f.license : "");
	reg = ch_registry_slot_get(&a->plugins);
	answers = n < (int)sizeof(key) ? ch_registry_answers(reg) : NULL; /* NULL: no cache */
	text = answers ? ch_answers_get(answers, key, &len) : NULL;
	if (text) {
		ch_http_text(resp, 200, text, len);
	} else {
		ch_http_json(resp, 200, types_page(reg, &p, &f));
		if (answers) {
			const char *rendered = ch_http_rendered(resp, &len);

			ch_answers_put(answers, key, rendered, len);
		}
	}
	ch_registry_unref(reg);
}

void ch_api_types_get(void *app, ch_http_req *req, ch_http_resp *resp)
{
	ch_app *a = app;
	const char *id = ch_http_param(req, "type"), *version = ch_http_query(req, "version");
	ch_registry *reg = ch_registry_slot_get(&a->plugins);
	const ch_type *t = ch_registry_find(reg, id, version);
	char detail[256];
	json_object *o;

	if (!t) {
		if (version && ch_registry_find(reg, id, NULL))
			snprintf(detail, sizeof(detail), "connector type %.64s has no version %.64s",
				 id, version);
		else
			snprintf(detail, sizeof(detail), "no connector type %.64s", id);
		ch_registry_unref(reg);
		ch_http_problem_code(resp, req, CH_E_NOTFOUND, detail);
		return;
	}
	o = type_json(reg, t, 1);
	ch_registry_unref(reg);
	ch_http_json(resp, 200, o);
}
