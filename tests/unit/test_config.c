#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "check_run.h"

static int load(ch_config *cfg, char **argv, int argc, char *err)
{
	ch_config_defaults(cfg);
	return ch_config_load(cfg, argc, argv, err, 256);
}

START_TEST(defaults)
{
	ch_config cfg;
	char err[256];

	unsetenv("CONNHUB_LISTEN");
	ck_assert_int_eq(load(&cfg, NULL, 0, err), CH_OK);
	ck_assert_str_eq(cfg.listen, "127.0.0.1:8080");
	ck_assert_uint_eq(cfg.body_limit, 1024 * 1024);
	ck_assert_int_eq(cfg.log_level, CH_LOG_INFO);
}
END_TEST

START_TEST(arguments_both_forms)
{
	char *argv[] = {"--listen", "127.0.0.1:9", "--threads=7", "--log-level", "debug",
			"--max-body", "10"};
	ch_config cfg;
	char err[256];

	ck_assert_int_eq(load(&cfg, argv, 7, err), CH_OK);
	ck_assert_str_eq(cfg.listen, "127.0.0.1:9");
	ck_assert_uint_eq(cfg.threads, 7);
	ck_assert_int_eq(cfg.log_level, CH_LOG_DEBUG);
	ck_assert_uint_eq(cfg.body_limit, 10);
}
END_TEST

START_TEST(bad_arguments)
{
	char *unknown[] = {"--colour", "red"};
	char *missing[] = {"--listen"};
	char *notnum[] = {"--threads", "12x"};
	char *level[] = {"--log-level", "loud"};
	char *positional[] = {"serve"};
	ch_config cfg;
	char err[256];

	ck_assert_int_eq(load(&cfg, unknown, 2, err), CH_E_INVALID);
	ck_assert_str_eq(err, "unknown option --colour (see --help)");
	ck_assert_int_eq(load(&cfg, missing, 1, err), CH_E_INVALID);
	ck_assert_str_eq(err, "--listen needs a value");
	ck_assert_int_eq(load(&cfg, notnum, 2, err), CH_E_INVALID);
	ck_assert_str_eq(err, "--threads must be a whole number from 1 to 256");
	ck_assert_int_eq(load(&cfg, level, 2, err), CH_E_INVALID);
	ck_assert_int_eq(load(&cfg, positional, 1, err), CH_E_INVALID);
	ck_assert_str_eq(err, "unexpected argument \"serve\"");
}
END_TEST

/* Loads "--NAME VALUE" alone: CH_OK or the message in @p err. */
static int load_one(const char *name, const char *value, ch_config *cfg, char *err)
{
	char *argv[] = {(char *)name, (char *)value};

	return load(cfg, argv, 2, err);
}

START_TEST(listen_addresses_accepted)
{
	static const char *const good[] = {"127.0.0.1:0", "127.0.0.1:65535", "0.0.0.0:8080",
					   "localhost:80", "[::1]:8080", "[::]:0",
					   "[2001:db8::7]:443", "host-1.example_x:443", NULL};
	ch_config cfg;
	char err[256];

	for (int i = 0; good[i]; i++) {
		ck_assert_msg(load_one("--listen", good[i], &cfg, err) == CH_OK, "%s: %s", good[i],
			      err);
		ck_assert_str_eq(cfg.listen, good[i]);
	}
}
END_TEST

START_TEST(listen_addresses_refused)
{
	static const struct {
		const char *value, *why;
	} bad[] = {
		{"127.0.0.1:99999", "has a port that is not a number from 0 to 65535"},
		{"127.0.0.1:65536", "has a port that is not a number from 0 to 65535"},
		{"127.0.0.1:-1", "has a port that is not a number from 0 to 65535"},
		{"127.0.0.1:80x", "has a port that is not a number from 0 to 65535"},
		{"127.0.0.1:", "has a port that is not a number from 0 to 65535"},
		{"127.0.0.1:0080800", "has a port that is not a number from 0 to 65535"},
		{"nohost", "is not HOST:PORT (no port)"},
		{":8080", "has no host"},
		{"::1:8080", "has an IPv6 address without brackets"},
		{"[::1]8080", "is not [IPV6]:PORT"},
		{"[]:80", "has no host"},
		{"[127.0.0.1]:80", "has no IPv6 address inside [ ]"},
		{"[fe80::1%lo]:1", "has no IPv6 address inside [ ]"},
		{"a b:80", "has a host that is neither an address nor a host name"},
		{"host/x:80", "has a host that is neither an address nor a host name"},
	};
	ch_config cfg;
	char err[256], want[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(load_one("--listen", bad[i].value, &cfg, err) == CH_E_INVALID, "%s",
			      bad[i].value);
		snprintf(want, sizeof(want), "--listen \"%s\" %s", bad[i].value, bad[i].why);
		ck_assert_msg(strncmp(err, want, strlen(want)) == 0, "%s: got \"%s\"", bad[i].value,
			      err);
	}
	/* The environment and the config file are checked the same way. */
	setenv("CONNHUB_LISTEN", "127.0.0.1:70000", 1);
	ck_assert_int_eq(load(&cfg, NULL, 0, err), CH_E_INVALID);
	ck_assert_str_eq(err, "CONNHUB_LISTEN \"127.0.0.1:70000\" has a port that is not a number "
			      "from 0 to 65535");
	unsetenv("CONNHUB_LISTEN");
}
END_TEST

START_TEST(numbers_have_minima)
{
	static const struct {
		const char *name, *value, *err;
	} bad[] = {
		{"--max-body", "0", "--max-body must be a whole number from 1 to 1073741824"},
		{"--max-body", "1073741825", "--max-body must be a whole number from 1 to 1073741824"},
		{"--threads", "0", "--threads must be a whole number from 1 to 256"},
		{"--workers", "0", "--workers must be a whole number from 1 to 1024"},
		{"--max-connections", "0", "--max-connections must be a whole number from 1 to 1000000"},
		{"--plugin-runners", "0", "--plugin-runners must be a whole number from 1 to 16"},
		{"--plugin-runners", "17", "--plugin-runners must be a whole number from 1 to 16"},
		{"--plugin-timeout-ms", "0", "--plugin-timeout-ms must be a whole number from 1 to 3600000"},
		{"--plugin-load-timeout-ms", "0",
		 "--plugin-load-timeout-ms must be a whole number from 1 to 600000"},
		{"--quarantine-window-s", "0", "--quarantine-window-s must be a whole number from 1 to 604800"},
		{"--plugin-memory-mb", "8", "--plugin-memory-mb must be 0 or a whole number from 32 to 1048576"},
		{"--plugin-files", "3", "--plugin-files must be 0 or a whole number from 16 to 1048576"},
	};
	ch_config cfg;
	char err[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(load_one(bad[i].name, bad[i].value, &cfg, err) == CH_E_INVALID, "%s %s",
			      bad[i].name, bad[i].value);
		ck_assert_str_eq(err, bad[i].err);
	}
	/* 0 where it means "none" or "inherit", and the minima themselves. */
	ck_assert_int_eq(load_one("--plugin-memory-mb", "0", &cfg, err), CH_OK);
	ck_assert_uint_eq(cfg.plugin_memory_mb, 0);
	ck_assert_int_eq(load_one("--plugin-files", "0", &cfg, err), CH_OK);
	ck_assert_int_eq(load_one("--plugin-files", "16", &cfg, err), CH_OK);
	ck_assert_uint_eq(cfg.plugin_files, 16);
	ck_assert_int_eq(load_one("--max-connections-per-ip", "0", &cfg, err), CH_OK);
	ck_assert_int_eq(load_one("--max-body", "1", &cfg, err), CH_OK);
	ck_assert_uint_eq(cfg.body_limit, 1);
}
END_TEST

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

START_TEST(file_env_args_precedence)
{
	char path[] = "/tmp/connhub-config-XXXXXX";
	int fd = mkstemp(path);
	char *argv[] = {"--config", path, "--threads", "5"};
	ch_config cfg;
	char err[256];

	ck_assert_int_ge(fd, 0);
	close(fd);
	write_file(path, "{\"listen\": \"127.0.0.1:7000\", \"threads\": 3, \"max-body\": 99,"
			 " \"plugins-dir\": \"/p\"}");
	setenv("CONNHUB_MAX_BODY", "1234", 1);
	ck_assert_int_eq(load(&cfg, argv, 4, err), CH_OK);
	ck_assert_str_eq(cfg.listen, "127.0.0.1:7000"); /* from the file */
	ck_assert_str_eq(cfg.plugins_dir, "/p");
	ck_assert_uint_eq(cfg.body_limit, 1234); /* the environment beats the file */
	ck_assert_uint_eq(cfg.threads, 5);       /* the command line beats both */
	unsetenv("CONNHUB_MAX_BODY");
	write_file(path, "{\"colour\": 1}");
	ck_assert_int_eq(load(&cfg, argv, 4, err), CH_E_INVALID);
	ck_assert_ptr_nonnull(strstr(err, "unknown setting \"colour\""));
	write_file(path, "{\"threads\": \"x\"}");
	ck_assert_int_eq(load(&cfg, argv, 4, err), CH_E_INVALID);
	write_file(path, "{\"max-body\": 0}");
	ck_assert_int_eq(load(&cfg, argv, 4, err), CH_E_INVALID);
	ck_assert_ptr_nonnull(strstr(err, ": max-body must be a whole number from 1 to"));
	write_file(path, "{\"listen\": \"nohost\"}");
	ck_assert_int_eq(load(&cfg, argv, 4, err), CH_E_INVALID);
	ck_assert_ptr_nonnull(strstr(err, ": listen \"nohost\" is not HOST:PORT"));
	write_file(path, "not json");
	ck_assert_int_eq(load(&cfg, argv, 4, err), CH_E_INVALID);
	ck_assert_ptr_nonnull(strstr(err, "not a JSON object"));
	unlink(path);
}
END_TEST

START_TEST(op_timeouts_parse)
{
	char *argv[] = {"--plugin-op-timeout-ms", "test=1000,refresh=250"};
	char *eq[] = {"--plugin-op-timeout-ms=setup=7"};
	ch_config cfg;
	char err[256];

	ck_assert_int_eq(load(&cfg, NULL, 0, err), CH_OK);
	for (int op = 0; op < CH_OP_COUNT; op++)
		ck_assert_uint_eq(cfg.plugin_op_timeout_ms[op], 0); /* all: --plugin-timeout-ms */
	ck_assert_int_eq(load(&cfg, argv, 2, err), CH_OK);
	ck_assert_uint_eq(cfg.plugin_op_timeout_ms[CH_OP_TEST], 1000);
	ck_assert_uint_eq(cfg.plugin_op_timeout_ms[CH_OP_REFRESH], 250);
	ck_assert_uint_eq(cfg.plugin_op_timeout_ms[CH_OP_SETUP], 0);
	ck_assert_uint_eq(cfg.plugin_timeout_ms, 30000);     /* the others keep the default */
	ck_assert_uint_eq(cfg.plugin_load_timeout_ms, 5000); /* and loading its own */
	ck_assert_int_eq(load(&cfg, eq, 1, err), CH_OK);
	ck_assert_uint_eq(cfg.plugin_op_timeout_ms[CH_OP_SETUP], 7);
}
END_TEST

START_TEST(op_timeouts_refuse_bad_lists)
{
	static const char *const bad[][2] = {
		{"tset=5", "--plugin-op-timeout-ms: unknown operation \"tset\""},
		{"test=0", "--plugin-op-timeout-ms: test must be a whole number of "
			   "milliseconds from 1 to 3600000"},
		{"test=9999999", "--plugin-op-timeout-ms: test must be a whole number "
				 "of milliseconds from 1 to 3600000"},
		{"test=1x", "--plugin-op-timeout-ms: test must be a whole number of "
			    "milliseconds from 1 to 3600000"},
		{"test", "--plugin-op-timeout-ms must be OP=MS pairs separated by "
			 "commas, e.g. test=30000,refresh=10000"},
		{"test=5,", "--plugin-op-timeout-ms must be OP=MS pairs separated by "
			    "commas, e.g. test=30000,refresh=10000"},
		{"=5", "--plugin-op-timeout-ms: unknown operation \"\""},
		{"", "--plugin-op-timeout-ms must be OP=MS pairs separated by commas, "
		     "e.g. test=30000,refresh=10000"},
	};
	ch_config cfg;
	char err[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *argv[] = {"--plugin-op-timeout-ms", (char *)bad[i][0]};

		ck_assert_int_eq(load(&cfg, argv, 2, err), CH_E_INVALID);
		ck_assert_str_eq(err, bad[i][1]);
	}
}
END_TEST

START_TEST(op_timeouts_from_file_and_env)
{
	char path[] = "/tmp/connhub-config-XXXXXX";
	int fd = mkstemp(path);
	char *argv[] = {"--config", path};
	char *cli[] = {"--config", path, "--plugin-op-timeout-ms", "test=3"};
	ch_config cfg;
	char err[256];

	ck_assert_int_ge(fd, 0);
	close(fd);
	write_file(path, "{\"plugin-op-timeout-ms\": \"refresh=100,setup=200\"}");
	ck_assert_int_eq(load(&cfg, argv, 2, err), CH_OK);
	ck_assert_uint_eq(cfg.plugin_op_timeout_ms[CH_OP_REFRESH], 100);
	ck_assert_uint_eq(cfg.plugin_op_timeout_ms[CH_OP_SETUP], 200);
	setenv("CONNHUB_PLUGIN_OP_TIMEOUT_MS", "setup=300", 1);
	ck_assert_int_eq(load(&cfg, argv, 2, err), CH_OK);
	/* a later source replaces the whole list */
	ck_assert_uint_eq(cfg.plugin_op_timeout_ms[CH_OP_SETUP], 300);
	ck_assert_uint_eq(cfg.plugin_op_timeout_ms[CH_OP_REFRESH], 0);
	ck_assert_int_eq(load(&cfg, cli, 4, err), CH_OK);
	ck_assert_uint_eq(cfg.plugin_op_timeout_ms[CH_OP_TEST], 3);
	ck_assert_uint_eq(cfg.plugin_op_timeout_ms[CH_OP_SETUP], 0);
	setenv("CONNHUB_PLUGIN_OP_TIMEOUT_MS", "test=nope", 1);
	ck_assert_int_eq(load(&cfg, argv, 2, err), CH_E_INVALID);
	ck_assert_str_eq(err, "CONNHUB_PLUGIN_OP_TIMEOUT_MS: test must be a "
			      "whole number of milliseconds from 1 to 3600000");
	unsetenv("CONNHUB_PLUGIN_OP_TIMEOUT_MS");
	write_file(path, "{\"plugin-op-timeout-ms\": \"stop=1,nope=2\"}");
	ck_assert_int_eq(load(&cfg, argv, 2, err), CH_E_INVALID);
	ck_assert_ptr_nonnull(strstr(err, "plugin-op-timeout-ms: unknown operation \"nope\""));
	unlink(path);
}
END_TEST

int main(void)
{
	const TTest *tests[] = {
		defaults,
		arguments_both_forms,
		bad_arguments,
		listen_addresses_accepted,
		listen_addresses_refused,
		numbers_have_minima,
		file_env_args_precedence,
		op_timeouts_parse,
		op_timeouts_refuse_bad_lists,
		op_timeouts_from_file_and_env,
		NULL,
	};

	return ch_check_run(ch_check_suite("config", tests));
}
