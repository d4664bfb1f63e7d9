/*
 * Settings of `connhub serve`: defaults, then the config file (--config,
 * JSON with the same names as the options), then CONNHUB_* environment
 * variables, then the command line. Later sources win.
 */
#ifndef CH_CONFIG_H
#define CH_CONFIG_H

#include <stddef.h>
#include <stdio.h>

#include "plugin/loader.h"

#define CH_PATH_MAX 4096

typedef struct ch_config {
	char listen[256];
	char data_dir[CH_PATH_MAX];
	char plugins_dir[CH_PATH_MAX];
	char key_file[CH_PATH_MAX]; /* "" until loaded: then <data-dir>/master.key */
	char config_file[CH_PATH_MAX];
	unsigned threads;
	unsigned workers;
	unsigned conn_limit;
	unsigned per_ip_limit;
	unsigned timeout_s;
	unsigned shutdown_s;
	size_t body_limit;
	int log_level;
	char plugin_isolation[16]; /* "process" or "none" */
	unsigned plugin_runners;
	unsigned plugin_queue;
	unsigned plugin_timeout_ms;
	unsigned plugin_op_timeout_ms[CH_OP_COUNT]; /* per operation; 0: plugin_timeout_ms */
	unsigned plugin_load_timeout_ms;
	unsigned plugin_memory_mb;
	unsigned plugin_cpu_s;
	unsigned plugin_files;
	unsigned quarantine_crashes;
	unsigned quarantine_window_s;
} ch_config;

/** Fills the defaults. */
void ch_config_defaults(ch_config *cfg);

/**
 * Applies, in order, the config file named by --config (or
 * CONNHUB_CONFIG), the environment and the arguments.
 * @param argv  arguments after the subcommand; "--help" is not handled
 *              here.
 * @param[out] err  why the settings were refused.
 * @return CH_OK or CH_E_INVALID.
 */
int ch_config_load(ch_config *cfg, int argc, char **argv, char *err, size_t errlen);

/** Prints every option with its environment variable and default. */
void ch_config_usage(FILE *out);

#endif /* CH_CONFIG_H */
