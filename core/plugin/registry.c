#include "answers.h"
#include "registry.h"

#include <dirent.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "semver.h"

typedef struct file_entry {
	char *path;
	ch_plugin *plugin; /* NULL when rejected */
	char *reason;      /* NULL when loaded */
} file_entry;

/* What the cache of a registry's answers may hold (marketplace pages). */
#define REGISTRY_ANSWERS_BYTES (256 * 1024)

struct ch_registry {
	atomic_int refs;
	size_t nfiles;
	file_entry *files;
	size_t ntypes;
	const ch_type **types; /* by id, then newest version first */
	size_t nlatest;
	const ch_type **latest; /* the first of each id in types */
	ch_answers *answers;    /* answers made from this registry alone */
};

static int is_plugin_name(const struct dirent *d)
{
	size_t n = strlen(d->d_name);

	return d->d_name[0] != '.' && n > 3 && strcmp(d->d_name + n - 3, ".so") == 0;
}

/* The file (before @p self) already providing a type of @p self, or NULL. */
static const file_entry *provider_of(const ch_registry *r, const file_entry *self,
				     const ch_type **dup)
{
	const ch_plugin *p = self->plugin;

	for (size_t t = 0; t < ch_plugin_type_count(p); t++) {
		const ch_type *mine = ch_plugin_type(p, t);

		for (const file_entry *f = r->files; f < self; f++) {
			const ch_plugin *other = f->plugin;

			for (size_t k = 0; other && k < ch_plugin_type_count(other); k++) {
				const ch_type *theirs = ch_plugin_type(other, k);

				if (strcmp(ch_type_id(mine), ch_type_id(theirs)) == 0 &&
				    strcmp(ch_type_version(mine), ch_type_version(theirs)) == 0) {
					*dup = mine;
					return f;
				}
			}
		}
	}
	return NULL;
}

static int reason_dup(file_entry *e, const ch_type *dup, const file_entry *owner)
{
	char buf[1024];

	snprintf(buf, sizeof(buf), "duplicate type %s %s: already provided by %s", ch_type_id(dup),
		 ch_type_version(dup), owner->path);
	e->reason = strdup(buf);
	return e->reason ? CH_OK : CH_E_NOMEM;
}

/* Loads one file into the next entry; the entry is rejected or loaded. */
static int load_file(ch_registry *r, const char *dir, const char *name)
{
	file_entry *e = &r->files[r->nfiles];
	const file_entry *owner;
	const ch_type *dup = NULL;
	size_t len = strlen(dir) + strlen(name) + 2;
	int rc;

	e->path = malloc(len);
	if (!e->path)
		return CH_E_NOMEM;
	snprintf(e->path, len, "%s/%s", dir, name);
	r->nfiles++;
	rc = ch_plugin_load(&e->plugin, e->path, &e->reason);
	if (rc == CH_E_NOMEM)
		return rc;
	if (rc == CH_OK) {
		owner = provider_of(r, e, &dup);
		if (owner) {
			rc = reason_dup(e, dup, owner);
			ch_plugin_unload(e->plugin);
			e->plugin = NULL;
			if (rc != CH_OK)
				return rc;
		}
	}
	if (e->plugin)
		ch_log_info("plugin %s loaded: %zu type(s)", e->path, ch_plugin_type_count(e->plugin));
	else
		ch_log_warn("plugin %s rejected: %s", e->path, e->reason);
	return CH_OK;
}

static int cmp_types(const void *a, const void *b)
{
	const ch_type *ta = *(const ch_type *const *)a, *tb = *(const ch_type *const *)b;
	int c = strcmp(ch_type_id(ta), ch_type_id(tb));

	return c ? c : ch_semver_cmp(ch_type_version(tb), ch_type_version(ta));
}

static int index_types(ch_registry *r)
{
	size_t n = 0;

	for (size_t f = 0; f < r->nfiles; f++)
		if (r->files[f].plugin)
			n += ch_plugin_type_count(r->files[f].plugin);
	r->types = calloc(n ? n : 1, sizeof(*r->types));
	r->latest = calloc(n ? n : 1, sizeof(*r->latest));
	if (!r->types || !r->latest)
		return CH_E_NOMEM;
	for (size_t f = 0; f < r->nfiles; f++)
		for (size_t t = 0; r->files[f].plugin && t < ch_plugin_type_count(r->files[f].plugin); t++)
			r->types[r->ntypes++] = ch_plugin_type(r->files[f].plugin, t);
	qsort(r->types, r->ntypes, sizeof(*r->types), cmp_types);
	for (size_t i = 0; i < r->ntypes; i++)
		if (i == 0 || strcmp(ch_type_id(r->types[i]), ch_type_id(r->types[i - 1])) != 0)
			r->latest[r->nlatest++] = r->types[i];
	return CH_OK;
}

static int scan_dir(ch_registry *r, const char *dir)
{
	struct dirent **names = NULL;
	int n = scandir(dir, &names, is_plugin_name, alphasort);
	int rc = CH_OK;

	if (n < 0) {
		ch_log_warn("plugins directory %s: %s; no plugin loaded", dir, strerror(errno));
		return CH_OK;
	}
	r->files = calloc((size_t)n + 1, sizeof(*r->files));
	if (!r->files)
		rc = CH_E_NOMEM;
	for (int i = 0; i < n; i++) {
		if (rc == CH_OK)
			rc = load_file(r, dir, names[i]->d_name);
		free(names[i]);
	}
	free(names);
	return rc;
}

int ch_registry_scan(ch_registry **out, const char *dir)
{
	ch_registry *r = calloc(1, sizeof(*r));
	int rc;

	*out = NULL;
	if (!r)
		return CH_E_NOMEM;
	atomic_init(&r->refs, 1);
	r->answers = ch_answers_new(REGISTRY_ANSWERS_BYTES);
	rc = r->answers ? scan_dir(r, dir) : CH_E_NOMEM;
	if (rc == CH_OK)
		rc = index_types(r);
	if (rc != CH_OK) {
		ch_registry_unref(r);
		return rc;
	}
	*out = r;
	return CH_OK;
}

ch_registry *ch_registry_ref(ch_registry *r)
{
	atomic_fetch_add(&r->refs, 1);
	return r;
}

void ch_registry_unref(ch_registry *r)
{
	if (!r || atomic_fetch_sub(&r->refs, 1) != 1)
		return;
	for (size_t f = 0; f < r->nfiles; f++) {
		ch_plugin_unload(r->files[f].plugin);
		free(r->files[f].reason);
		free(r->files[f].path);
	}
	free(r->files);
	free(r->types);
	free(r->latest);
	ch_answers_free(r->answers);
	free(r);
}

ch_answers *ch_registry_answers(const ch_registry *r)
{
	return r->answers;
}

static json_object *file_json(const file_entry *e)
{
	json_object *o = json_object_new_object(), *types = json_object_new_array();

	json_object_object_add(o, "path", json_object_new_string(e->path));
	json_object_object_add(o, "status", json_object_new_string(e->plugin ? "loaded" : "rejected"));
	json_object_object_add(o, "reason", e->reason ? json_object_new_string(e->reason) : NULL);
	json_object_object_add(o, "plugin", e->plugin ? ch_plugin_info(e->plugin) : NULL);
	for (size_t t = 0; e->plugin && t < ch_plugin_type_count(e->plugin); t++) {
		const ch_type *ty = ch_plugin_type(e->plugin, t);
		json_object *ref = json_object_new_object();

		json_object_object_add(ref, "id", json_object_new_string(ch_type_id(ty)));
		json_object_object_add(ref, "version", json_object_new_string(ch_type_version(ty)));
		json_object_array_add(types, ref);
	}
	json_object_object_add(o, "types", types);
	json_object_object_add(o, "runtime", e->plugin ? ch_plugin_runtime(e->plugin) : NULL);
	return o;
}

json_object *ch_registry_plugins_json(const ch_registry *r)
{
	json_object *list = json_object_new_array();

	for (size_t f = 0; f < r->nfiles; f++)
		json_object_array_add(list, file_json(&r->files[f]));
	return list;
}

const ch_plugin *ch_registry_plugin(const ch_registry *r, const char *file)
{
	size_t n = strlen(file);

	for (size_t f = 0; f < r->nfiles; f++) {
		const char *slash = strrchr(r->files[f].path, '/');
		const char *base = slash ? slash + 1 : r->files[f].path;

		if (!r->files[f].plugin)
			continue;
		if (strcmp(base, file) == 0 ||
		    (strlen(base) == n + 3 && strncmp(base, file, n) == 0 && strcmp(base + n, ".so") == 0))
			return r->files[f].plugin;
	}
	return NULL;
}

void ch_registry_counts(const ch_registry *r, size_t *loaded, size_t *rejected)
{
	*loaded = 0;
	*rejected = 0;
	for (size_t f = 0; f < r->nfiles; f++)
		(*(r->files[f].plugin ? loaded : rejected))++;
}

const ch_type *ch_registry_find(const ch_registry *r, const char *id, const char *version)
{
	for (size_t i = 0; i < r->ntypes; i++) {
		if (strcmp(ch_type_id(r->types[i]), id) != 0)
			continue;
		if (!version || strcmp(ch_type_version(r->types[i]), version) == 0)
			return r->types[i];
	}
	return NULL;
}

size_t ch_registry_latest(const ch_registry *r, const ch_type *const **out)
{
	*out = r->latest;
	return r->nlatest;
}

json_object *ch_registry_versions(const ch_registry *r, const char *id)
{
	json_object *list = json_object_new_array();

	for (size_t i = 0; i < r->ntypes; i++)
		if (strcmp(ch_type_id(r->types[i]), id) == 0)
			json_object_array_add(list,
					      json_object_new_string(ch_type_version(r->types[i])));
	return list;
}

int ch_registry_slot_init(ch_registry_slot *slot, const char *dir)
{
	memset(slot, 0, sizeof(*slot));
	pthread_mutex_init(&slot->lock, NULL);
	slot->dir = strdup(dir);
	if (!slot->dir)
		return CH_E_NOMEM;
	return ch_registry_scan(&slot->current, dir);
}

void ch_registry_slot_destroy(ch_registry_slot *slot)
{
	ch_registry_unref(slot->current);
	slot->current = NULL;
	free(slot->dir);
	slot->dir = NULL;
	pthread_mutex_destroy(&slot->lock);
}

ch_registry *ch_registry_slot_get(ch_registry_slot *slot)
{
	ch_registry *r;

	pthread_mutex_lock(&slot->lock);
	r = ch_registry_ref(slot->current);
	pthread_mutex_unlock(&slot->lock);
	return r;
}

int ch_registry_slot_rescan(ch_registry_slot *slot)
{
	ch_registry *fresh = NULL, *old;
	int rc = ch_registry_scan(&fresh, slot->dir);

	if (rc != CH_OK)
		return rc;
	pthread_mutex_lock(&slot->lock);
	old = slot->current;
	slot->current = fresh; /* the slot owns the new registry now */
	pthread_mutex_unlock(&slot->lock);
	ch_registry_unref(old);
	return CH_OK;
}
