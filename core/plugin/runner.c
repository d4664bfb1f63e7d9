/*
 * Runner mode: `connhub __runner` serves one plugin file for the host over
 * the socket on fd 3. It loads the plugin with the same strict checks as
 * the host, answers operation calls, and forwards the plugin's host-API
 * calls (log, cache) to the host. A plugin that crashes, hangs or eats
 * memory takes this process down, never the host.
 */
#include "runner.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "clock.h"
#include "hostapi.h"
#include "local.h"
#include "proto.h"
#include "secret/secret.h"

static int channel_fd = -1;

/* The channel carries one conversation: a message, or a request and its
 * reply, must never interleave with another thread's. The main thread holds
 * the lock except while the plugin runs (loading or a call), which is when
 * the host serves requests; a plugin thread that logs or uses the cache
 * between calls waits for the next one. */
static pthread_mutex_t channel_lock = PTHREAD_MUTEX_INITIALIZER;

/* --- the host API, proxied to the host ------------------------------------ */

/* Sends with channel_lock held. */
static void send_or_die(json_object *msg)
{
	int rc = ch_proto_send(channel_fd, msg, 0);

	json_object_put(msg);
	if (rc != CH_OK)
		_exit(0); /* the host is gone */
}

/* Sends a request and waits for the host's reply. */
static json_object *ask(json_object *msg)
{
	json_object *reply = NULL;

	pthread_mutex_lock(&channel_lock);
	send_or_die(msg);
	if (ch_proto_recv(channel_fd, 0, &reply) != CH_OK)
		_exit(0);
	pthread_mutex_unlock(&channel_lock);
	return reply;
}

static json_object *message(const char *kind)
{
	json_object *m = json_object_new_object();

	json_object_object_add(m, "kind", json_object_new_string(kind));
	return m;
}

static void r_log(ch_call *call, int level, const char *fmt, ...) CH_PRINTF(3, 4);

static void r_log(ch_call *call, int level, const char *fmt, ...)
{
	json_object *m = message("log");
	char text[1024];
	va_list ap;

	(void)call;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	json_object_object_add(m, "level", json_object_new_int(level));
	json_object_object_add(m, "message", json_object_new_string(text));
	pthread_mutex_lock(&channel_lock);
	send_or_die(m);
	pthread_mutex_unlock(&channel_lock);
}

static int status_of(json_object *reply)
{
	int rc = json_object_get_int(json_object_object_get(reply, "status"));

	json_object_put(reply);
	return rc;
}

static int r_cache_get(ch_call *call, const char *key, char **value_out)
{
	json_object *m, *reply, *v;
	int rc;

	if (value_out)
		*value_out = NULL;
	if (!call || !call->connector_id || !key || !value_out)
		return CH_E_NOTFOUND;
	m = message("cache_get");
	json_object_object_add(m, "key", json_object_new_string(key));
	reply = ask(m);
	v = json_object_object_get(reply, "value");
	if (json_object_is_type(v, json_type_string))
		*value_out = strdup(json_object_get_string(v));
	rc = *value_out ? CH_OK : CH_E_NOTFOUND;
	json_object_put(reply);
	return rc;
}

static int r_cache_put(ch_call *call, const char *key, const char *value, int64_t ttl_ms)
{
	json_object *m;

	if (!call || !call->connector_id || !key || !value)
		return CH_E_INVALID;
	m = message("cache_put");
	json_object_object_add(m, "key", json_object_new_string(key));
	json_object_object_add(m, "value", json_object_new_string(value));
	json_object_object_add(m, "ttl_ms", json_object_new_int64(ttl_ms));
	return status_of(ask(m));
}

static int r_cache_clear(ch_call *call)
{
	if (!call || !call->connector_id)
		return CH_OK;
	return status_of(ask(message("cache_clear")));
}

static const ch_host_api runner_api = {
	.abi_major = CH_ABI_MAJOR,
	.abi_minor = CH_ABI_MINOR,
	.struct_size = sizeof(ch_host_api),
	.log = r_log,
	.alloc = ch_hostapi_alloc,
	.free = ch_hostapi_free,
	.error_set = ch_hostapi_error_set,
	.cache_get = r_cache_get,
	.cache_put = r_cache_put,
	.cache_clear = r_cache_clear,
	.clock_ms = ch_clock_wall_ms,
	.monotonic_ms = ch_clock_mono_ms,
};

const ch_host_api *ch_runner_hostapi(void)
{
	return &runner_api;
}

/* --- a fatal signal at the memory limit ------------------------------------ */

#if defined(__SANITIZE_ADDRESS__)
#define MEMORY_FIELD 1 /* resident pages: AddressSanitizer's soft RSS limit */
/* Out of memory, the sanitizer's bookkeeping before a noreturn call fails. */
#define NOT_SANITIZED __attribute__((no_sanitize_address))
#else
#define MEMORY_FIELD 0 /* the address space: RLIMIT_AS */
#define NOT_SANITIZED
#endif

static long memory_limit_pages; /* 0: no limit */

/* The process's size in pages as its limit counts it, from
 * /proc/self/statm, with async-signal-safe calls only. */
static long memory_pages(void)
{
	char buf[128];
	int fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC), field = MEMORY_FIELD;
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
	long v = 0;

	if (fd >= 0)
		close(fd);
	for (ssize_t i = 0; i < n; i++) {
		if (buf[i] != ' ')
			v = v * 10 + (buf[i] - '0');
		else if (field-- == 0)
			break;
		else
			v = 0;
	}
	return v;
}

/* A plugin that runs out of memory mostly dies of what follows: an abort
 * on a NULL from malloc, a write through it. Such a death within an eighth
 * of the limit exits with CH_RUNNER_EXIT_MEMORY, so the host can say the
 * limit stopped it; any other goes on to die of its own signal. */
NOT_SANITIZED static void on_fatal(int sig)
{
	if (memory_pages() >= memory_limit_pages - memory_limit_pages / 8)
		_exit(CH_RUNNER_EXIT_MEMORY);
	raise(sig); /* pending until this returns, then the default action */
}

static void watch_memory(unsigned memory_mb)
{
	static const int fatal[] = {SIGSEGV, SIGBUS, SIGABRT, SIGILL, SIGFPE};
	static char altstack[64 * 1024]; /* a stack overflow must reach on_fatal too */
	stack_t ss = {.ss_sp = altstack, .ss_size = sizeof(altstack)};
	struct sigaction sa = {.sa_handler = on_fatal, .sa_flags = SA_RESETHAND | SA_ONSTACK};

	if (memory_mb == 0)
		return;
	memory_limit_pages = (long)memory_mb * (1024 * 1024 / sysconf(_SC_PAGESIZE));
	sigaltstack(&ss, NULL);
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(fatal) / sizeof(fatal[0]); i++)
		sigaction(fatal[i], &sa, NULL);
}

/* --- serving --------------------------------------------------------------- */

/* Lowers both limits of @p resource to @p value (0: leaves them), so the
 * plugin cannot raise them again. */
static void limit(int resource, rlim_t value)
{
	struct rlimit rl;

	if (value == 0 || getrlimit(resource, &rl) != 0)
		return;
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < value)
		value = rl.rlim_max;
	rl.rlim_cur = value;
	rl.rlim_max = value;
	setrlimit(resource, &rl);
}

/*
 * CPU time: the hard limit, set once to CPU_CALLS calls' worth, bounds what
 * a plugin can grant itself (it may raise its soft limit up to it). Each
 * call gets a soft limit cpu_s above what the runner has used so far, so
 * SIGXCPU ends a call that spins past its share; a runner whose hard limit
 * cannot cover one more call asks the host to retire it after answering.
 */
#define CPU_CALLS 4

/* The soft limit the next call would get. */
static rlim_t cpu_next(unsigned cpu_s)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) != 0)
		return RLIM_INFINITY;
	return (rlim_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) + 1 + cpu_s;
}

static void limit_cpu_for_call(unsigned cpu_s)
{
	struct rlimit rl;

	if (cpu_s == 0 || getrlimit(RLIMIT_CPU, &rl) != 0)
		return;
	rl.rlim_cur = cpu_next(cpu_s);
	if (rl.rlim_cur > rl.rlim_max)
		rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_CPU, &rl);
}

/* Whether the hard limit leaves less than a call's share. */
static int cpu_spent(unsigned cpu_s)
{
	struct rlimit rl;

	return cpu_s && getrlimit(RLIMIT_CPU, &rl) == 0 && cpu_next(cpu_s) > rl.rlim_max;
}

static json_object *answer_load(ch_local *l, json_object *req)
{
	const char *path = json_object_get_string(json_object_object_get(req, "path"));
	json_object *m = message("loaded"), *wire = NULL;
	char *reason = NULL;
	int rc = ch_local_open(l, path, &runner_api, &wire, &reason);

	json_object_object_add(m, "status", json_object_new_int(rc));
	if (rc == CH_OK)
		json_object_object_add(m, "wire", wire);
	else
		json_object_object_add(m, "reason", json_object_new_string(reason ? reason : "?"));
	free(reason);
	return m;
}

static const char *str(json_object *req, const char *key)
{
	return json_object_get_string(json_object_object_get(req, key));
}

static json_object *answer_call(ch_local *l, json_object *req, unsigned cpu_s)
{
	const ch_type_desc *t = ch_local_type(l, str(req, "type"), str(req, "version"));
	json_object *m = message("result");
	char *out = NULL, *msg = NULL;
	ch_call call;
	int rc;

	ch_call_init(&call, l->desc ? l->desc->name : "-", str(req, "connector"));
	call.channel = &channel_fd;
	limit_cpu_for_call(cpu_s);
	if (!t)
		rc = CH_E_NOTFOUND, msg = strdup("the runner has no such type");
	else
		rc = ch_local_call(t, (ch_op)json_object_get_int(json_object_object_get(req, "op")),
				   &call, str(req, "input"), &out, &msg);
	json_object_object_add(m, "status", json_object_new_int(rc));
	json_object_object_add(m, "output", out ? json_object_new_string(out) : NULL);
	json_object_object_add(m, "message", msg ? json_object_new_string(msg) : NULL);
	if (cpu_spent(cpu_s))
		json_object_object_add(m, "retire", json_object_new_boolean(1));
	free(out);
	free(msg);
	return m;
}

/* Runs what the host asked for; the answer to send back, or NULL. */
static json_object *answer(ch_local *l, json_object *req, unsigned cpu_s)
{
	const char *kind = str(req, "kind");

	if (kind && strcmp(kind, "load") == 0 && !l->handle)
		return answer_load(l, req);
	if (kind && strcmp(kind, "call") == 0)
		return answer_call(l, req, cpu_s);
	return NULL;
}

int ch_runner_main(int argc, char **argv)
{
	unsigned memory_mb = 0, cpu_s = 0, files = 0;
	ch_local local = {0};
	json_object *req = NULL;

	for (int i = 0; i + 1 < argc; i += 2) {
		unsigned v = (unsigned)strtoul(argv[i + 1], NULL, 10);

		if (strcmp(argv[i], "--memory-mb") == 0)
			memory_mb = v;
		else if (strcmp(argv[i], "--cpu-s") == 0)
			cpu_s = v;
		else if (strcmp(argv[i], "--files") == 0)
			files = v;
	}
	prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive the host */
	if (getppid() == 1)
		return 0;
	signal(SIGPIPE, SIG_IGN);
	channel_fd = CH_RUNNER_FD;
#if !defined(__SANITIZE_ADDRESS__)
	/* AddressSanitizer reserves terabytes of address space: it cannot run
	 * under RLIMIT_AS (its own soft_rss_limit_mb is set instead). */
	limit(RLIMIT_AS, (rlim_t)memory_mb * 1024 * 1024);
#endif
	watch_memory(memory_mb);
	limit(RLIMIT_NOFILE, files);
	limit(RLIMIT_CPU, cpu_s ? (rlim_t)CPU_CALLS * (cpu_s + 1) : 0);
	pthread_mutex_lock(&channel_lock);
	while (ch_proto_recv(channel_fd, 0, &req) == CH_OK) {
		json_object *reply;

		pthread_mutex_unlock(&channel_lock); /* the plugin may talk to the host now */
		reply = answer(&local, req, cpu_s);
		ch_secret_wipe(req); /* it held the decrypted configuration */
		req = NULL;
		pthread_mutex_lock(&channel_lock);
		if (reply)
			send_or_die(reply);
	}
	pthread_mutex_unlock(&channel_lock);
	ch_local_close(&local);
	return 0;
}
