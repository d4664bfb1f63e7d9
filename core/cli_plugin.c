/*
 * connhub plugin inspect|call: load one plugin file in-process, the way the
 * host does, so a plugin author can check it before shipping it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "plugin/cache.h"
#include "plugin/loader.h"

int ch_cmd_plugin(int argc, char **argv);

static int load_or_explain(const char *path, ch_plugin **out)
{
	char *reason = NULL;
	int rc = ch_plugin_load(out, path, &reason);

	if (rc != CH_OK)
		fprintf(stderr, "connhub: %s rejected: %s\n", path,
			reason ? reason : ch_status_name(rc));
	free(reason);
	return rc;
}

static int inspect(const char *path)
{
	json_object *o, *types;
	ch_plugin *p = NULL;

	if (load_or_explain(path, &p) != CH_OK)
		return 1;
	o = json_object_new_object();
	types = json_object_new_array();
	for (size_t i = 0; i < ch_plugin_type_count(p); i++)
		json_object_array_add(types, ch_type_manifest_copy(ch_plugin_type(p, i), 1));
	json_object_object_add(o, "path", json_object_new_string(path));
	json_object_object_add(o, "plugin", ch_plugin_info(p));
	json_object_object_add(o, "types", types);
	puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	ch_plugin_unload(p);
	return 0;
}

static char *read_all(FILE *in)
{
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap), *p;
	size_t n;

	while (buf && (n = fread(buf + len, 1, cap - len - 1, in)) > 0) {
		len += n;
		if (cap - len > 1)
			continue;
		cap *= 2;
		p = realloc(buf, cap);
		if (!p) {
			free(buf);
			return NULL;
		}
		buf = p;
	}
	if (buf)
		buf[len] = '\0';
	return buf;
}

/* The newest version of type @p id in plugin @p p. */
static const ch_type *find_type(const ch_plugin *p, const char *id)
{
	const ch_type *best = NULL;

	for (size_t i = 0; i < ch_plugin_type_count(p); i++) {
		const ch_type *t = ch_plugin_type(p, i);

		if (strcmp(ch_type_id(t), id) == 0 && !best)
			best = t;
	}
	return best;
}

static int call(const char *path, const char *id, const char *opname, const char *arg)
{
	char *input = NULL, *out = NULL, *msg = NULL;
	const ch_type *t;
	ch_plugin *p = NULL;
	int op = ch_op_parse(opname), rc = 1;

	if (op < 0) {
		fprintf(stderr, "connhub: unknown operation \"%s\"\n", opname);
		return 2;
	}
	if (load_or_explain(path, &p) != CH_OK)
		return 1;
	t = find_type(p, id);
	if (!t) {
		fprintf(stderr, "connhub: %s provides no type \"%s\"\n", path, id);
		goto out;
	}
	input = strcmp(arg, "-") == 0 ? read_all(stdin) : strdup(arg);
	if (!input)
		goto out;
	if (ch_plugin_call(t, (ch_op)op, "cli", input, &out, &msg) == CH_OK) {
		puts(out);
		rc = 0;
	} else {
		fprintf(stderr, "connhub: %s %s failed: %s\n", id, opname, msg ? msg : "?");
	}
out:
	free(input);
	free(out);
	free(msg);
	ch_plugin_unload(p);
	ch_cache_reset();
	return rc;
}

int ch_cmd_plugin(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[0], "inspect") == 0)
		return inspect(argv[1]);
	if ((argc == 4 || argc == 5) && strcmp(argv[0], "call") == 0)
		return call(argv[1], argv[2], argv[3], argc == 5 ? argv[4] : "{}");
	fprintf(stderr, "usage: connhub plugin inspect FILE\n"
			"       connhub plugin call FILE TYPE OP [JSON|-]\n");
	return 2;
}
