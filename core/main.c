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

#include "api/api.h"
#include "clock.h"
#include "config.h"
#include "error.h"
#include "log.h"
#include "plugin/cache.h"

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
		"  connhub --help | --version\n",
		CH_VERSION);
}

static void serve_usage(FILE *out)
{
	fprintf(out, "Usage: connhub serve [OPTIONS]\n\n"
		     "Serves the HTTP API with the plugins of --plugins-dir. Prints the URL it\n"
		     "listens on as the first line of standard output; logs go to standard error.\n"
		     "SIGTERM or SIGINT stops it after requests in flight finish.\n\nOptions:\n");
	ch_config_usage(out);
}

/* mkdir -p with mode 0700 for the directories it creates. */
static int make_dirs(const char *path)
{
	char buf[CH_PATH_MAX];
	size_t len = strlen(path);

	if (len == 0 || len >= sizeof(buf))
		return ch_error_set(CH_E_INVALID, "bad directory name");
	memcpy(buf, path, len + 1);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0700) != 0 && errno != EEXIST)
			return ch_error_set(CH_E_IO, "%s: %s", buf, strerror(errno));
		*p = '/';
	}
	if (mkdir(buf, 0700) != 0 && errno != EEXIST)
		return ch_error_set(CH_E_IO, "%s: %s", buf, strerror(errno));
	return CH_OK;
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

static int run_server(const ch_config *cfg, ch_app *app)
{
	ch_http_opts opts = {
		.listen = cfg->listen,
		.threads = cfg->threads,
		.conn_limit = cfg->conn_limit,
		.per_ip_limit = cfg->per_ip_limit,
		.timeout_s = cfg->timeout_s,
		.body_limit = cfg->body_limit,
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
	sig = wait_for_stop();
	ch_log_info("received %s, stopping", sig == SIGINT ? "SIGINT" : "SIGTERM");
	ch_http_stop(srv, (int)cfg->shutdown_s * 1000);
	return 0;
}

static int cmd_serve(int argc, char **argv)
{
	ch_config cfg;
	ch_app app = {0};
	char err[512];
	sigset_t set;
	int rc;

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
	if (make_dirs(cfg.data_dir) != CH_OK) {
		ch_log_error("data directory: %s", ch_error_last()->message);
		return 1;
	}
	/* Signals are taken by sigwait() in this thread only: block them before
	 * any other thread exists so every thread inherits the mask. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	app.cfg = &cfg;
	app.started_ms = ch_clock_mono_ms();
	if (ch_registry_slot_init(&app.plugins, cfg.plugins_dir) != CH_OK) {
		ch_log_error("out of memory loading plugins");
		ch_registry_slot_destroy(&app.plugins);
		return 1;
	}
	rc = run_server(&cfg, &app);
	ch_registry_slot_destroy(&app.plugins);
	ch_cache_reset();
	ch_log_info("stopped");
	return rc;
}

int ch_cmd_plugin(int argc, char **argv);

int main(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("connhub %s (plugin ABI %d.%d)\n", CH_VERSION, CH_ABI_MAJOR, CH_ABI_MINOR);
		return 0;
	}
	if (strcmp(argv[1], "serve") == 0)
		return cmd_serve(argc - 2, argv + 2);
	if (strcmp(argv[1], "plugin") == 0)
		return ch_cmd_plugin(argc - 2, argv + 2);
	fprintf(stderr, "connhub: unknown command \"%s\"\n\n", argv[1]);
	usage(stderr);
	return 2;
}
