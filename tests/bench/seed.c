/*
 * Seeds a data directory for the benchmark (tools/bench) with real
 * connectors: each one built as the API builds it (the stored document
 * {config, variables, timezone, date_format, rate_limit}), its secret
 * variable sealed with the data directory's master key (XChaCha20-Poly1305
 * bound to account, connector and field, ch_secret_seal) and inserted with
 * ch_store_connector_insert (one transaction each, the account's counter
 * kept), so the host reads, decrypts and lists them exactly as rows it
 * wrote itself. Takes the data directory's lock: run it with the host
 * stopped.
 *
 *   bench_seed DATA_DIR COUNT TYPE_VERSION CONFIG_PATH OUT_DIR ACCOUNT...
 *
 * Connector i (from 0) goes to ACCOUNT[i % number of accounts], named
 * "seed-%07d"; its id is appended to OUT_DIR/<ACCOUNT>.ids (one a line).
 * The accounts must exist (connhub accounts create).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "error.h"
#include "host.h"
#include "secret/secret.h"
#include "store/store.h"

#define MAX_ACCOUNTS 64

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The document POST /api/v1/connectors stores for
 *   {"config": {"path": PATH, "mode": "create"},
 *    "variables": [{"key": "API_KEY", "value": "...", "secret": true}]}
 * before sealing (variables keyed by key, defaults filled in). */
static json_object *new_doc(const char *config_path, long i)
{
	json_object *doc = json_object_new_object(), *config = json_object_new_object();
	json_object *vars = json_object_new_object(), *var = json_object_new_object();
	char value[64];

	json_object_object_add(config, "path", json_object_new_string(config_path));
	json_object_object_add(config, "mode", json_object_new_string("create"));
	snprintf(value, sizeof(value), "bench-secret-%07ld-0123456789abcdef", i);
	json_object_object_add(var, "value", json_object_new_string(value));
	json_object_object_add(var, "secret", json_object_new_boolean(1));
	json_object_object_add(vars, "API_KEY", var);
	json_object_object_add(doc, "config", config);
	json_object_object_add(doc, "variables", vars);
	json_object_object_add(doc, "timezone", json_object_new_string("UTC"));
	json_object_object_add(doc, "date_format", json_object_new_string("YYYY-MM-DD"));
	json_object_object_add(doc, "rate_limit", NULL);
	return doc;
}

int main(int argc, char **argv)
{
	char *cfg_args[2], err[512], ids[MAX_ACCOUNTS][CH_ID_LEN], path[CH_PATH_MAX + 80];
	FILE *out[MAX_ACCOUNTS] = {0};
	const char *type_version, *config_path, *out_dir;
	json_object *pointers;
	int naccounts, rc = CH_OK;
	long count;
	ch_config cfg;
	ch_host h;
	double t0;

	if (argc < 7 || argc - 6 > MAX_ACCOUNTS) {
		fprintf(stderr, "usage: bench_seed DATA_DIR COUNT TYPE_VERSION CONFIG_PATH OUT_DIR "
				"ACCOUNT...\n");
		return 2;
	}
	count = strtol(argv[2], NULL, 10);
	type_version = argv[3];
	config_path = argv[4];
	out_dir = argv[5];
	naccounts = argc - 6;
	if (count < 0) {
		fprintf(stderr, "bench_seed: bad count %s\n", argv[2]);
		return 2;
	}

	/* The data directory, master key and lock as the host opens them. */
	cfg_args[0] = "--data-dir";
	cfg_args[1] = argv[1];
	ch_config_defaults(&cfg);
	if (ch_config_load(&cfg, 2, cfg_args, err, sizeof(err)) != CH_OK) {
		fprintf(stderr, "bench_seed: %s\n", err);
		return 2;
	}
	if (ch_host_open(&h, &cfg, 1, 1) != CH_OK) {
		fprintf(stderr, "bench_seed: %s\n", ch_error_last()->message);
		return 1;
	}
	for (int a = 0; a < naccounts; a++) {
		if (ch_store_account_find(h.store, argv[6 + a], ids[a]) != CH_OK) {
			fprintf(stderr, "bench_seed: no account %s\n", argv[6 + a]);
			rc = CH_E_NOTFOUND;
			break;
		}
		snprintf(path, sizeof(path), "%s/%s.ids", out_dir, argv[6 + a]);
		out[a] = fopen(path, "w");
		if (!out[a]) {
			perror(path);
			rc = CH_E_IO;
			break;
		}
	}

	pointers = json_object_new_array();
	json_object_array_add(pointers, json_object_new_string("/variables/API_KEY/value"));
	t0 = now_s();
	for (long i = 0; rc == CH_OK && i < count; i++) {
		int a = (int)(i % naccounts);
		ch_connector_row row;

		memset(&row, 0, sizeof(row));
		ch_store_new_id("con", row.id);
		snprintf(row.account_id, sizeof(row.account_id), "%s", ids[a]);
		snprintf(row.name, sizeof(row.name), "seed-%07ld", i);
		snprintf(row.type, sizeof(row.type), "sqlite");
		snprintf(row.type_version, sizeof(row.type_version), "%s", type_version);
		snprintf(row.status, sizeof(row.status), "CONFIGURED");
		row.revision = 1;
		ch_store_now(row.created_at);
		memcpy(row.updated_at, row.created_at, sizeof(row.updated_at));
		row.doc = new_doc(config_path, i);
		rc = ch_secret_seal(h.keys, row.doc, pointers, row.account_id, row.id);
		if (rc == CH_OK)
			rc = ch_store_connector_insert(h.store, &row, NULL, NULL);
		if (rc == CH_OK)
			fprintf(out[a], "%s\n", row.id);
		else
			fprintf(stderr, "bench_seed: connector %ld: %s\n", i,
				ch_error_last()->message);
		ch_connector_row_clear(&row);
	}
	json_object_put(pointers);
	for (int a = 0; a < naccounts; a++)
		if (out[a] && fclose(out[a]) != 0)
			rc = CH_E_IO;
	ch_host_close(&h);
	if (rc == CH_OK)
		printf("seeded %ld connectors across %d accounts in %.2f s\n", count, naccounts,
		       now_s() - t0);
	return rc == CH_OK ? 0 : 1;
}
