/*
 * The host's view of a plugin file: its manifest and a way to call it,
 * either in this process (isolation "none") or through a pool of runner
 * processes (isolation "process", the default). Both give the same
 * manifest ("wire" form, see local.h) and the same call semantics.
 */
#include "loader.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hostapi.h"
#include "jsonschema.h"
#include "local.h"
#include "pool.h"

struct ch_type {
	const ch_plugin *plugin;
	const ch_type_desc *desc; /* in-process only */
	json_object *manifest;    /* borrowed from the plugin's wire */
	ch_schema *schema;
	const char *id;
	const char *version;
	unsigned ops; /* bit per ch_op */
};

struct ch_plugin {
	char *path;
	json_object *wire;
	const char *name;
	size_t ntypes;
	ch_type *types;
	ch_local local; /* isolation none */
	ch_pool *pool;  /* isolation process */
};

static ch_plugin_opts opts = {.isolation = CH_ISOLATION_NONE};

void ch_plugin_configure(const ch_plugin_opts *o)
{
	opts = *o;
}

const ch_plugin_opts *ch_plugin_options(void)
{
	return &opts;
}

static unsigned ops_of(json_object *manifest)
{
	json_object *caps = json_object_object_get(manifest, "capabilities");
	unsigned ops = 0;

	for (size_t i = 0; i < json_object_array_length(caps); i++) {
		int op = ch_op_parse(json_object_get_string(json_object_array_get_idx(caps, i)));

		if (op >= 0)
			ops |= 1u << op;
	}
	return ops;
}

/* Builds the types from a checked wire manifest. */
static int types_from_wire(ch_plugin *p, char **reason)
{
	json_object *types = json_object_object_get(p->wire, "types");
	char err[512];

	p->ntypes = json_object_array_length(types);
	p->types = calloc(p->ntypes ? p->ntypes : 1, sizeof(*p->types));
	if (!p->types)
		return CH_E_NOMEM;
	for (size_t i = 0; i < p->ntypes; i++) {
		ch_type *t = &p->types[i];

		t->plugin = p;
		t->manifest = json_object_array_get_idx(types, i);
		t->id = json_object_get_string(json_object_object_get(t->manifest, "id"));
		t->version = json_object_get_string(json_object_object_get(t->manifest, "version"));
		t->ops = ops_of(t->manifest);
		if (p->local.desc)
			t->desc = ch_local_type(&p->local, t->id, t->version);
		if (ch_schema_compile(&t->schema, json_object_object_get(t->manifest, "config_schema"),
				      err, sizeof(err)) != CH_OK) {
			*reason = strdup(err);
			return CH_E_INVALID;
		}
	}
	p->name = json_object_get_string(
		json_object_object_get(json_object_object_get(p->wire, "plugin"), "name"));
	return CH_OK;
}

int ch_plugin_load(ch_plugin **out, const char *path, char **reason)
{
	ch_plugin *p = calloc(1, sizeof(*p));
	int rc;

	*out = NULL;
	*reason = NULL;
	if (!p || !(p->path = strdup(path))) {
		free(p);
		return CH_E_NOMEM;
	}
	if (opts.isolation == CH_ISOLATION_PROCESS)
		rc = ch_pool_open(&p->pool, path, &opts, &p->wire, reason);
	else
		rc = ch_local_open(&p->local, path, ch_hostapi(), &p->wire, reason);
	if (rc == CH_OK)
		rc = types_from_wire(p, reason);
	if (rc != CH_OK) {
		ch_plugin_unload(p);
		return rc;
	}
	*out = p;
	return CH_OK;
}

void ch_plugin_unload(ch_plugin *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->ntypes; i++)
		ch_schema_free(p->types[i].schema);
	free(p->types);
	ch_pool_close(p->pool);
	ch_local_close(&p->local);
	json_object_put(p->wire);
	free(p->path);
	free(p);
}

const char *ch_plugin_path(const ch_plugin *p)
{
	return p->path;
}

/* A private deep copy of a shared object (see ch_type_manifest). */
static json_object *copy_of(json_object *shared)
{
	json_object *copy = NULL;

	if (json_object_deep_copy(shared, &copy, NULL) != 0)
		return NULL;
	return copy;
}

json_object *ch_plugin_info(const ch_plugin *p)
{
	return copy_of(json_object_object_get(p->wire, "plugin"));
}

json_object *ch_plugin_runtime(const ch_plugin *p)
{
	return p->pool ? ch_pool_status(p->pool) : NULL;
}

int ch_plugin_reset(const ch_plugin *p)
{
	return p->pool ? ch_pool_reset(p->pool) : CH_OK;
}

size_t ch_plugin_type_count(const ch_plugin *p)
{
	return p->ntypes;
}

const ch_type *ch_plugin_type(const ch_plugin *p, size_t i)
{
	return i < p->ntypes ? &p->types[i] : NULL;
}

const ch_plugin *ch_type_plugin(const ch_type *t)
{
	return t->plugin;
}

const char *ch_type_id(const ch_type *t)
{
	return t->id;
}

const char *ch_type_version(const ch_type *t)
{
	return t->version;
}

json_object *ch_type_manifest(const ch_type *t)
{
	return t->manifest;
}

json_object *ch_type_manifest_copy(const ch_type *t, int with_schema)
{
	json_object *o = json_object_new_object();

	json_object_object_foreach(t->manifest, key, val)
	{
		if (!with_schema && strcmp(key, "config_schema") == 0)
			continue;
		json_object_object_add(o, key, val ? copy_of(val) : NULL);
	}
	return o;
}

const ch_schema *ch_type_schema(const ch_type *t)
{
	return t->schema;
}

int ch_type_has_op(const ch_type *t, ch_op op)
{
	return (unsigned)op < CH_OP_COUNT && (t->ops & (1u << op)) != 0;
}

int ch_plugin_call(const ch_type *type, ch_op op, const char *connector_id, const char *input,
		   char **output, char **message)
{
	const ch_plugin *p = type->plugin;
	ch_call call;
	char buf[256];

	*output = NULL;
	*message = NULL;
	if (!ch_type_has_op(type, op)) {
		snprintf(buf, sizeof(buf), "type %s %s does not implement %s", type->id,
			 type->version, ch_op_name(op) ? ch_op_name(op) : "?");
		*message = strdup(buf);
		return CH_E_UNSUPPORTED;
	}
	if (p->pool)
		return ch_pool_call(p->pool, type->id, type->version, op, connector_id, input, output,
				    message);
	ch_call_init(&call, p->name, connector_id);
	return ch_local_call(type->desc, op, &call, input, output, message);
}
