/*
 * connhub: the host (serve) and the tools plugin authors use
 * (plugin inspect / plugin call).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "api/api.h"
#include "clock.h"
#include "config.h"
#include "error.h"
#include "log.h"
#include "host.h"
#include "plugin/cache.h"
#include "plugin/pool.h"
#include "plugin/runner.h"

#ifndef CH_VERSION
#define CH_VERSION "0.0.0"
#endif

static void usage(FILE *out)
{
	fprintf(out,
		"connhub %s: a connector platform\n\n"
		"Usage:\n"
		"  connhub serve [OPTIONS]             run the host (see connhub serve --help)\n"
		"  connhub plugin inspect FILE         load one plugin file and print its manifest\n"
		"  connhub plugin call FILE TYPE OP [JSON|-]\n"
		"                                      run one operation of a type in-process and\n"
		"                                      print its output (input from stdin with -)\n"
		"  connhub accounts create NAME [--data-dir DIR]\n"
		"                                      create an account (prints its id)\n"
		"  connhub tokens create ACCOUNT [--admin] [--data-dir DIR]\n"
		"                                      create an API token (printed once)\n"
		"  connhub keys rotate [--data-dir DIR] [--key-file FILE]\n"
		"                                      re-encrypt every secret under a new master\n"
		"                                      key (the host must be stopped)\n"
		"  connhub schema validate SCHEMA.json INSTANCE.json\n"
		"                                      check an instance against a JSON Schema\n"
		"                                      (exit 0 valid, 1 invalid, 2 unusable schema)\n"
		"  connhub --help | --version\n",
		CH_VERSION);
}

/* Every option of connhub serve, for both --help texts. */
static void serve_options(FILE *out)
{
	fprintf(out, "  --help, -h\n      this text (only as the first option)\n");
	ch_config_usage(out);
}

static void serve_usage(FILE *out)
{
	fprintf(out, "Usage: connhub serve [OPTIONS]\n\n"
		     "Serves the HTTP API with the plugins of --plugins-dir. Prints the URL it\n"
		     "listens on as the first line of standard output; logs go to standard error.\n"
		     "SIGTERM or SIGINT stops it after requests in flight finish.\n\nOptions:\n");
	serve_options(out);
}

/* The URL clients use: the listen host with the port actually bound. */
static void print_url(const ch_config *cfg, unsigned port)
{
	const char *colon = strrchr(cfg->listen, ':');
	int hostlen = colon ? (int)(colon - cfg->listen) : 0;

	printf("connhub listening on http://%.*s:%u\n", hostlen, cfg->listen, port);
	fflush(stdout);
}

static int wait_for_stop(void)
{
	sigset_t set;
	int sig = 0;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	if (sigwait(&set, &sig) != 0)
		return -1;
	return sig;
}

static int run_server(const ch_config *cfg, ch_app *app, const char *token)
{
	ch_http_opts opts = {
		.listen = cfg->listen,
		.threads = cfg->threads,
		.conn_limit = cfg->conn_limit,
		.per_ip_limit = cfg->per_ip_limit,
		.timeout_s = cfg->timeout_s,
		.body_limit = cfg->body_limit,
		.workers = cfg->workers,
	};
	ch_http_server *srv = NULL;
	int sig;

	if (ch_http_start(&srv, &opts, ch_api_handle, app) != CH_OK) {
		ch_log_error("%s", ch_error_last()->message);
		return 1;
	}
	ch_log_info("listening on %s (port %u), %u threads", cfg->listen, ch_http_port(srv),
		    cfg->threads);
	print_url(cfg, ch_http_port(srv));
	if (token[0]) {
		/* Shown once, on standard output only: never logged. */
		printf("admin token (shown once): %s\n", token);
		fflush(stdout);
	}
	sig = wait_for_stop();
	ch_log_info("received %s, stopping", sig == SIGINT ? "SIGINT" : "SIGTERM");
	ch_http_stop(srv, (int)cfg->shutdown_s * 1000);
	return 0;
}

/* Signals are taken by sigwait() in the main thread only: block them
 * before any other thread exists so every thread inherits the mask. */
static void block_signals(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static int configure_plugins(const ch_config *cfg, char *exe, size_t len)
{
	ch_plugin_opts o = {
		.isolation = strcmp(cfg->plugin_isolation, "none") == 0 ? CH_ISOLATION_NONE
									 : CH_ISOLATION_PROCESS,
		.runner_exe = exe,
		.runners = cfg->plugin_runners,
		.queue = cfg->plugin_queue,
		.call_timeout_ms = cfg->plugin_timeout_ms,
		.load_timeout_ms = cfg->plugin_load_timeout_ms,
		.memory_mb = cfg->plugin_memory_mb,
		.cpu_s = cfg->plugin_cpu_s,
		.files = cfg->plugin_files,
		.quarantine_crashes = cfg->quarantine_crashes,
		.quarantine_window_s = cfg->quarantine_window_s,
	};
	/* Runners are this very binary, started by path (never fork()ed from
	 * the threaded server). */
	ssize_t n = readlink("/proc/self/exe", exe, len - 1);

	memcpy(o.op_timeout_ms, cfg->plugin_op_timeout_ms, sizeof(o.op_timeout_ms));

	if (n <= 0)
		return ch_error_set(CH_E_IO, "cannot find the connhub binary: %s", strerror(errno));
	exe[n] = '\0';
	ch_plugin_configure(&o);
	return CH_OK;
}

static int serve(const ch_config *cfg)
{
	char exe[CH_PATH_MAX];
	char token[CH_TOKEN_LEN] = "";
	ch_app app = {0};
	ch_host host;
	int rc = ch_host_open(&host, cfg, 1, 1);

	if (rc != CH_OK) {
		ch_log_error("%s", ch_error_last()->message);
		return 1;
	}
	block_signals();
	app.cfg = cfg;
	app.store = host.store;
	app.keys = host.keys;
	memcpy(app.token_key, host.token_key, sizeof(app.token_key));
	app.started_ms = ch_clock_mono_ms();
	rc = configure_plugins(cfg, exe, sizeof(exe));
	if (rc == CH_OK)
		rc = ch_api_init(&app);
	if (rc == CH_OK)
		rc = ch_registry_slot_init(&app.plugins, cfg->plugins_dir);
	if (rc == CH_OK)
		rc = ch_host_bootstrap(&host, token) < 0 ? CH_E_IO : CH_OK;
	if (rc == CH_OK)
		rc = run_server(cfg, &app, token) == 0 ? CH_OK : CH_E_IO;
	else
		ch_log_error("cannot start: %s", ch_error_last()->message);
	sodium_memzero(token, sizeof(token));
	sodium_memzero(app.token_key, sizeof(app.token_key));
	ch_registry_slot_destroy(&app.plugins);
	ch_pool_forget_all();
	ch_api_cleanup(&app);
	ch_cache_reset();
	ch_host_close(&host);
	ch_log_info("stopped");
	return rc == CH_OK ? 0 : 1;
}

static int cmd_serve(int argc, char **argv)
{
	ch_config cfg;
	char err[512];

	if (argc > 0 && (strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0)) {
		serve_usage(stdout);
		return 0;
	}
	ch_config_defaults(&cfg);
	if (ch_config_load(&cfg, argc, argv, err, sizeof(err)) != CH_OK) {
		fprintf(stderr, "connhub serve: %s\n", err);
		return 2;
	}
	ch_log_set_level(cfg.log_level);
	return serve(&cfg);
}

int ch_cmd_plugin(int argc, char **argv);
int ch_cmd_admin(const char *cmd, int argc, char **argv);

int main(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		if (argc < 2) {
			usage(stderr);
			return 2;
		}
		usage(stdout);
		printf("\nOptions of connhub serve:\n");
		serve_options(stdout);
		return 0;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("connhub %s (plugin ABI %d.%d)\n", CH_VERSION, CH_ABI_MAJOR, CH_ABI_MINOR);
		return 0;
	}
	if (strcmp(argv[1], CH_RUNNER_COMMAND) == 0)
		return ch_runner_main(argc - 2, argv + 2);
	if (strcmp(argv[1], "serve") == 0)
		return cmd_serve(argc - 2, argv + 2);
	if (strcmp(argv[1], "plugin") == 0)
		return ch_cmd_plugin(argc - 2, argv + 2);
	if (strcmp(argv[1], "accounts") == 0 || strcmp(argv[1], "tokens") == 0 ||
	    strcmp(argv[1], "keys") == 0 || strcmp(argv[1], "schema") == 0)
		return ch_cmd_admin(argv[1], argc - 2, argv + 2);
	fprintf(stderr, "connhub: unknown command \"%s\"\n\n", argv[1]);
	usage(stderr);
	return 2;
}
