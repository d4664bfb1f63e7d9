/*
 * Fixture: a type whose test misbehaves as its configuration says, to prove
 * a plugin's faults cannot take the host down: "ok", "segv", "abort",
 * "hang" (never returns), "hog" (allocates without bound), "exit" (calls
 * exit(0)), "stdout" (writes garbage to standard output, then succeeds),
 * "flood" (floods the runner's channel with cache requests and never reads
 * a reply), "oversized" (writes a 4 GiB length prefix on it), "garbage"
 * (writes a frame of no JSON on it), "slow" (takes two seconds), "threads"
 * (several threads log and use the cache at once; the result says whether
 * every exchange came back right), "sandbox" (reports what the runner
 * inherited and its hard limits), "spin" (burns CPU without end), "cache"
 * (reports and sets the cache), "error" (fails with a message through the
 * host). Refresh misbehaves the same way, then logs a line; setup is a
 * one-step wizard asking for the mode.
 */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <connhub/sdk.h>

/* Grows as a leaking plugin does, a few MiB at a time, touching what it
 * gets, and aborts when malloc fails. */
static void hog(void)
{
	for (;;) {
		char *p = malloc(4 * 1024 * 1024);

		if (!p)
			abort();
		memset(p, 1, 4 * 1024 * 1024);
	}
}

/* The runner's channel to the host (CH_RUNNER_FD of core/plugin/runner.h):
 * what a plugin that scribbles on it reaches. */
#define RUNNER_FD 3

/* Writes framed host-API requests to the runner's channel as fast as it
 * takes them and never reads a reply: the host's replies fill the socket
 * until it stops taking them. */
static void flood(void)
{
	static const char msg[] = "{\"kind\":\"cache_get\",\"key\":\"k\"}";
	unsigned char frame[4 + sizeof(msg) - 1] = {0, 0, 0, sizeof(msg) - 1};

	memcpy(frame + 4, msg, sizeof(msg) - 1);
	while (write(RUNNER_FD, frame, sizeof(frame)) == (ssize_t)sizeof(frame))
		;
	for (;;)
		pause();
}

/* Writes one frame head (and body) on the runner's channel, then waits to
 * be killed: the host must see the violation at once, not wait. */
static void scribble(const unsigned char *bytes, size_t len)
{
	if (write(RUNNER_FD, bytes, len) == (ssize_t)len)
		for (;;)
			pause();
}

/* A pointer the compiler cannot see through: a real invalid write. */
static volatile int *volatile bad_address = (volatile int *)(uintptr_t)8;

static void misbehave(const char *mode)
{
	if (strcmp(mode, "segv") == 0)
		*bad_address = 1;
	else if (strcmp(mode, "abort") == 0)
		abort();
	else if (strcmp(mode, "hang") == 0)
		for (;;)
			pause();
	else if (strcmp(mode, "spin") == 0)
		for (volatile unsigned long n = 0;; n++)
			;
	else if (strcmp(mode, "slow") == 0)
		nanosleep(&(struct timespec){.tv_sec = 2}, NULL);
	else if (strcmp(mode, "hog") == 0)
		hog();
	else if (strcmp(mode, "exit") == 0)
		exit(0);
	else if (strcmp(mode, "flood") == 0)
		flood();
	else if (strcmp(mode, "oversized") == 0)
		scribble((const unsigned char *)"\xff\xff\xff\xff", 4);
	else if (strcmp(mode, "garbage") == 0)
		scribble((const unsigned char *)"\0\0\0\5hello", 9);
	else if (strcmp(mode, "stdout") == 0 && write(STDOUT_FILENO, "\x00\xffgarbage\n", 10) < 0)
		return;
}

/* --- modes whose test reports what it found ------------------------------ */

#define CHATTERERS 4
#define CHATTER_ROUNDS 100

struct chatterer {
	ch_call *call;
	int index;
	int wrong;
};

/* A plugin thread using the host API while others do: it logs, and puts
 * and reads back its own key through the host's cache. */
static void *chatter_run(void *arg)
{
	struct chatterer *c = arg;
	const ch_host_api *api = ch_sdk_host();
	char key[16], value[32];

	snprintf(key, sizeof(key), "t%d", c->index);
	for (int i = 0; i < CHATTER_ROUNDS; i++) {
		char *got = NULL;

		snprintf(value, sizeof(value), "%d-%d", c->index, i);
		ch_sdk_log(c->call, CH_LOG_DEBUG, "thread %d, round %d", c->index, i);
		if (api->cache_put(c->call, key, value, 0) != CH_OK ||
		    api->cache_get(c->call, key, &got) != CH_OK || strcmp(got, value) != 0)
			c->wrong++;
		api->free(got);
	}
	return NULL;
}

/* "threads": several threads talk to the host at once. */
static json_object *chatter(ch_call *call)
{
	struct chatterer c[CHATTERERS];
	pthread_t th[CHATTERERS];
	char msg[64];
	int wrong = 0;

	for (int i = 0; i < CHATTERERS; i++) {
		c[i] = (struct chatterer){call, i, 0};
		if (pthread_create(&th[i], NULL, chatter_run, &c[i]) != 0) {
			c[i].call = NULL;
			c[i].wrong = CHATTER_ROUNDS;
		}
	}
	for (int i = 0; i < CHATTERERS; i++) {
		if (c[i].call)
			pthread_join(th[i], NULL);
		wrong += c[i].wrong;
	}
	snprintf(msg, sizeof(msg), "%d of %d exchanges went wrong", wrong,
		 CHATTERERS * CHATTER_ROUNDS);
	return ch_sdk_test_result(wrong == 0, wrong ? CH_FAILURE_SYSTEM : NULL, msg);
}

/* The hard limit of @p resource, as text. */
static const char *hard_limit(int resource, char *buf, size_t len)
{
	struct rlimit rl;

	if (getrlimit(resource, &rl) != 0 || rl.rlim_max == RLIM_INFINITY)
		return "unlimited";
	snprintf(buf, len, "%llu", (unsigned long long)rl.rlim_max);
	return buf;
}

/* "sandbox": what the runner inherited from the host (open descriptors
 * beyond its channel, blocked signals) and the limits the plugin cannot
 * raise. */
static json_object *sandbox(ch_call *call)
{
	char fds[96] = "", msg[256], as[24], nofile[24], cpu[24];
	sigset_t blocked;
	struct sigaction term;
	size_t n = 0;
	int clean;

	(void)call;
	for (int fd = RUNNER_FD + 1; fd < 1024 && n + 8 < sizeof(fds); fd++)
		if (fcntl(fd, F_GETFD) != -1)
			n += (size_t)snprintf(fds + n, sizeof(fds) - n, " %d", fd);
	pthread_sigmask(SIG_BLOCK, NULL, &blocked);
	sigaction(SIGTERM, NULL, &term);
	clean = n == 0 && !sigismember(&blocked, SIGTERM) && !sigismember(&blocked, SIGINT) &&
		term.sa_handler == SIG_DFL;
	snprintf(msg, sizeof(msg), "open fds:%s; SIGTERM, SIGINT %s; hard limits: AS %s, NOFILE %s, "
		 "CPU %s", n ? fds : " none", clean ? "free" : "blocked or caught",
		 hard_limit(RLIMIT_AS, as, sizeof(as)), hard_limit(RLIMIT_NOFILE, nofile, sizeof(nofile)),
		 hard_limit(RLIMIT_CPU, cpu, sizeof(cpu)));
	return ch_sdk_test_result(clean, clean ? NULL : CH_FAILURE_SYSTEM, msg);
}

/* "cache": what the host's cache held under "n" since the last call,
 * which then stores "1" there. */
static json_object *cached(ch_call *call)
{
	const ch_host_api *api = ch_sdk_host();
	char *v = NULL, msg[64];

	if (api->cache_get(call, "n", &v) == CH_OK)
		snprintf(msg, sizeof(msg), "cache: hit %s", v);
	else
		snprintf(msg, sizeof(msg), "cache: miss");
	api->free(v);
	api->cache_put(call, "n", "1", 0);
	return ch_sdk_test_result(true, NULL, msg);
}

static const struct {
	const char *mode;
	json_object *(*run)(ch_call *call);
} checks[] = {
	{"threads", chatter},
	{"sandbox", sandbox},
	{"cache", cached},
};

/* Parses the input, then misbehaves as its configuration's mode says (or
 * fails through the host: "error"). @p input stays the caller's. */
static int behave(ch_call *call, const char *in, json_object **input, const char **mode)
{
	int rc = ch_sdk_input(call, in, input);

	if (rc != CH_OK)
		return rc;
	*mode = ch_sdk_str(ch_sdk_obj(*input, "config"), "mode", "ok");
	if (strcmp(*mode, "error") == 0)
		return ch_sdk_fail(call, CH_E_CONFIG, "the fixture was asked to fail");
	misbehave(*mode);
	return CH_OK;
}

static int faulty_test(ch_call *call, const char *in, char **out)
{
	json_object *input = NULL, *res = NULL;
	const char *mode = NULL;
	int rc = behave(call, in, &input, &mode);

	for (size_t i = 0; rc == CH_OK && i < CH_SDK_COUNT(checks) && !res; i++)
		if (strcmp(mode, checks[i].mode) == 0)
			res = checks[i].run(call);
	if (rc == CH_OK)
		rc = ch_sdk_output(call, res ? res : ch_sdk_test_result(true, NULL, "behaved"), out);
	json_object_put(input);
	return rc;
}

/* Refresh misbehaves as test does, then logs through the host. */
static int faulty_refresh(ch_call *call, const char *in, char **out)
{
	json_object *input = NULL;
	const char *mode = NULL;
	int rc = behave(call, in, &input, &mode);

	json_object_put(input);
	if (rc != CH_OK)
		return rc;
	ch_sdk_log(call, CH_LOG_INFO, "refresh called");
	return ch_sdk_output(call, json_object_new_object(), out);
}

static const ch_field faulty_fields[] = {
	{.key = "mode", .label = "Mode", .widget = CH_WIDGET_TEXT, .required = true},
};

static const ch_step_def faulty_step = {
	"mode", "Mode", "How the fixture misbehaves.", faulty_fields,
	CH_SDK_COUNT(faulty_fields), false, true,
};

static int faulty_next(ch_call *call, const char *answered, json_object *answers,
		       json_object **step)
{
	(void)answers;
	if (answered == NULL)
		return ch_sdk_step_make(call, &faulty_step, NULL, 0, step);
	return ch_sdk_fail(call, CH_E_INVALID, "unknown setup step \"%s\"", answered);
}

/* A one-step wizard asking for the mode. */
static int faulty_setup(ch_call *call, const char *in, char **out)
{
	return ch_sdk_setup(call, in, out, faulty_next);
}

static const ch_type_desc faulty = {
	CH_TYPE_HEADER,
	.id = "faulty",
	.name = "Faulty",
	.version = "1.0.0",
	.vendor = "connhub tests",
	.description = "Misbehaves on request.",
	.license = CH_LICENSE_FREE,
	.config_schema = "{\"type\":\"object\",\"properties\":{\"mode\":{\"enum\":[\"ok\",\"segv\","
			 "\"abort\",\"hang\",\"hog\",\"exit\",\"stdout\",\"flood\",\"oversized\","
			 "\"garbage\",\"slow\",\"threads\",\"sandbox\",\"spin\",\"cache\",\"error\"]}},"
			 "\"required\":[\"mode\"]}",
	.setup = faulty_setup,
	.test = faulty_test,
	.refresh = faulty_refresh,
};

CH_PLUGIN_DEFINE("faults", "1.0.0", &faulty)
