/*
 * Operator commands on a data directory: accounts create, tokens create,
 * keys rotate; and schema validate for plugin authors. Results go to
 * standard output alone (a token is printed once and never logged);
 * failures to standard error with exit status 1 (2 for bad usage).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "config.h"
#include "error.h"
#include "host.h"
#include "jsonschema.h"
#include "keys.h"

int ch_cmd_admin(const char *cmd, int argc, char **argv);

#define MAX_ARGS 32

typedef struct cli_args {
	const char *words[4]; /* positional arguments */
	int nwords;
	int admin;
	char *opts[MAX_ARGS]; /* --name value pairs for ch_config_load */
	int nopts;
} cli_args;

static int split_args(int argc, char **argv, cli_args *a)
{
	memset(a, 0, sizeof(*a));
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--admin") == 0) {
			a->admin = 1;
		} else if (strncmp(argv[i], "--", 2) == 0) {
			if (a->nopts + 2 > MAX_ARGS)
				return CH_E_INVALID;
			a->opts[a->nopts++] = argv[i];
			if (!strchr(argv[i], '=') && i + 1 < argc)
				a->opts[a->nopts++] = argv[++i];
		} else if (a->nwords < 4) {
			a->words[a->nwords++] = argv[i];
		} else {
			return CH_E_INVALID;
		}
	}
	return CH_OK;
}

static int load_config(cli_args *a, ch_config *cfg)
{
	char err[512];

	ch_config_defaults(cfg);
	if (ch_config_load(cfg, a->nopts, a->opts, err, sizeof(err)) != CH_OK) {
		fprintf(stderr, "connhub: %s\n", err);
		return CH_E_INVALID;
	}
	return CH_OK;
}

static int open_host(cli_args *a, ch_host *h, int exclusive, int with_keys)
{
	ch_config cfg;

	if (load_config(a, &cfg) != CH_OK)
		return CH_E_INVALID;
	if (ch_host_open(h, &cfg, exclusive, with_keys) != CH_OK) {
		fprintf(stderr, "connhub: %s\n", ch_error_last()->message);
		return CH_E_IO;
	}
	return CH_OK;
}

static int accounts_create(cli_args *a)
{
	char id[CH_ID_LEN];
	ch_host h;
	int rc;

	if (open_host(a, &h, 0, 0) != CH_OK)
		return 1;
	rc = ch_store_account_create(h.store, a->words[1], id);
	if (rc == CH_OK)
		printf("%s\n", id);
	else if (rc == CH_E_EXISTS)
		fprintf(stderr, "connhub: an account named %s exists already\n", a->words[1]);
	else
		fprintf(stderr, "connhub: %s\n", ch_error_last()->message);
	ch_host_close(&h);
	return rc == CH_OK ? 0 : 1;
}

static int tokens_create(cli_args *a)
{
	char id[CH_ID_LEN], token[CH_TOKEN_LEN];
	ch_host h;
	int rc;

	if (open_host(a, &h, 0, 0) != CH_OK)
		return 1;
	rc = ch_store_account_find(h.store, a->words[1], id);
	if (rc == CH_OK)
		rc = ch_auth_issue(h.store, h.token_key, id, a->admin, token);
	if (rc == CH_OK)
		printf("%s\n", token);
	else if (rc == CH_E_NOTFOUND)
		fprintf(stderr, "connhub: no account named %s\n", a->words[1]);
	else
		fprintf(stderr, "connhub: %s\n", ch_error_last()->message);
	sodium_memzero(token, sizeof(token));
	ch_host_close(&h);
	return rc == CH_OK ? 0 : 1;
}

static int keys_rotate(cli_args *a)
{
	ch_config cfg;
	ch_host h;
	int rc;

	if (load_config(a, &cfg) != CH_OK)
		return 2;
	if (getenv("CONNHUB_MASTER_KEY")) {
		fprintf(stderr, "connhub: keys rotate writes the new key to --key-file; unset "
				"CONNHUB_MASTER_KEY and point --key-file at the key\n");
		return 2;
	}
	if (ch_host_open(&h, &cfg, 1, 1) != CH_OK) {
		fprintf(stderr, "connhub: %s\n", ch_error_last()->message);
		return 1;
	}
	rc = ch_keys_rotate(h.store, h.keys, cfg.key_file);
	if (rc == CH_OK)
		printf("rotated: every secret is now under master key %d in %s\n",
		       ch_keyring_active(h.keys), cfg.key_file);
	else
		fprintf(stderr, "connhub: rotation failed, nothing changed: %s\n",
			ch_error_last()->message);
	ch_host_close(&h);
	return rc == CH_OK ? 0 : 1;
}

static json_object *read_json(const char *path)
{
	json_object *doc = json_object_from_file(path);

	if (!doc)
		fprintf(stderr, "connhub: %s: %s\n", path, json_util_get_last_err());
	return doc;
}

/* Exit status 0 valid, 1 invalid (errors printed as the API would),
 * 2 unusable schema or unreadable files. */
static int schema_validate(const char *schema_path, const char *instance_path)
{
	json_object *doc = read_json(schema_path), *inst = NULL, *errors = NULL;
	ch_schema *schema = NULL;
	char err[512];
	int rc = 2;

	if (!doc)
		return 2;
	if (ch_schema_compile(&schema, doc, err, sizeof(err)) != CH_OK) {
		fprintf(stderr, "connhub: %s is not a usable schema: %s\n", schema_path, err);
		goto out;
	}
	inst = read_json(instance_path);
	if (!inst && json_util_get_last_err())
		goto out;
	rc = ch_schema_validate(schema, inst, &errors) == CH_OK ? 0 : 1;
	if (rc == 1)
		printf("%s\n", json_object_to_json_string_ext(errors, JSON_C_TO_STRING_PRETTY |
									 JSON_C_TO_STRING_NOSLASHESCAPE));
	else
		printf("valid\n");
out:
	json_object_put(errors);
	json_object_put(inst);
	ch_schema_free(schema);
	json_object_put(doc);
	return rc;
}

static int usage(void)
{
	fprintf(stderr, "usage: connhub accounts create NAME [--data-dir DIR]\n"
			"       connhub tokens create ACCOUNT [--admin] [--data-dir DIR]\n"
			"       connhub keys rotate [--data-dir DIR] [--key-file FILE]\n"
			"       connhub schema validate SCHEMA.json INSTANCE.json\n");
	return 2;
}

int ch_cmd_admin(const char *cmd, int argc, char **argv)
{
	cli_args a;

	if (split_args(argc, argv, &a) != CH_OK)
		return usage();
	if (strcmp(cmd, "accounts") == 0 && a.nwords == 2 && strcmp(a.words[0], "create") == 0)
		return accounts_create(&a);
	if (strcmp(cmd, "tokens") == 0 && a.nwords == 2 && strcmp(a.words[0], "create") == 0)
		return tokens_create(&a);
	if (strcmp(cmd, "keys") == 0 && a.nwords == 1 && strcmp(a.words[0], "rotate") == 0)
		return keys_rotate(&a);
	if (strcmp(cmd, "schema") == 0 && a.nwords == 3 && strcmp(a.words[0], "validate") == 0 &&
	    a.nopts == 0)
		return schema_validate(a.words[1], a.words[2]);
	return usage();
}
