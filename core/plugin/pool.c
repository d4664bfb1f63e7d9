#define _GNU_SOURCE /* sigabbrev_np */
#include "pool.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cache.h"
#include "clock.h"
#include "error.h"
#include "log.h"
#include "proto.h"
#include "runner.h"
#include "secret/secret.h"

extern char **environ;

#define MAX_RUNNERS 16
#define CRASH_MEMORY 64
#define EXIT_GRACE_MS 1000

/* --- health: crashes and quarantine, per file, across rescans ------------ */

typedef struct health {
	char *path;
	dev_t dev;
	ino_t ino;
	struct timespec mtime;
	off_t size;
	int64_t crash_at[CRASH_MEMORY]; /* recent crashes (ms), ring */
	unsigned ncrash;
	uint64_t crashes;
	char last_crash[256];
	int quarantined;
	struct health *next;
} health;

static pthread_mutex_t health_lock = PTHREAD_MUTEX_INITIALIZER;
static health *healths;

static int same_file(const health *h, const struct stat *st)
{
	return h->dev == st->st_dev && h->ino == st->st_ino && h->size == st->st_size &&
	       h->mtime.tv_sec == st->st_mtim.tv_sec && h->mtime.tv_nsec == st->st_mtim.tv_nsec;
}

/* Starts @p h afresh when its file is no longer the one it recorded: that
 * lifts a quarantine (the operator replaced the plugin). health_lock held. */
static void health_renew(health *h, const struct stat *st)
{
	if (same_file(h, st))
		return;
	if (h->quarantined)
		ch_log_info("plugin %s changed on disk: its quarantine is lifted", h->path);
	h->ncrash = 0;
	h->quarantined = 0;
	h->dev = st->st_dev;
	h->ino = st->st_ino;
	h->size = st->st_size;
	h->mtime = st->st_mtim;
}

/* Notices that @p h's file changed since its record was made. */
static void health_check(health *h)
{
	struct stat st;

	if (!h || stat(h->path, &st) != 0)
		return; /* a file gone keeps its record: nothing replaced it */
	pthread_mutex_lock(&health_lock);
	health_renew(h, &st);
	pthread_mutex_unlock(&health_lock);
}

/* The record of @p path, made when there is none. */
static health *health_of(const char *path)
{
	health *h;

	pthread_mutex_lock(&health_lock);
	for (h = healths; h && strcmp(h->path, path) != 0; h = h->next)
		;
	if (!h && (h = calloc(1, sizeof(*h))) && (h->path = strdup(path))) {
		h->next = healths;
		healths = h;
	}
	pthread_mutex_unlock(&health_lock);
	if (h && !h->path) {
		free(h);
		h = NULL;
	}
	health_check(h);
	return h;
}

static void health_crash(health *h, const ch_plugin_opts *o, const char *reason)
{
	int64_t now = ch_clock_mono_ms(), since = now - (int64_t)o->quarantine_window_s * 1000;
	unsigned recent = 0;

	pthread_mutex_lock(&health_lock);
	h->crash_at[h->ncrash++ % CRASH_MEMORY] = now;
	h->crashes++;
	snprintf(h->last_crash, sizeof(h->last_crash), "%s", reason);
	for (unsigned i = 0; i < h->ncrash && i < CRASH_MEMORY; i++)
		recent += h->crash_at[i] >= since;
	if (o->quarantine_crashes && recent >= o->quarantine_crashes && !h->quarantined) {
		h->quarantined = 1;
		ch_log_error("plugin %s quarantined: %u crashes within %u s (last: %s)", h->path, recent,
			     o->quarantine_window_s, reason);
	}
	pthread_mutex_unlock(&health_lock);
}

void ch_pool_forget_all(void)
{
	pthread_mutex_lock(&health_lock);
	while (healths) {
		health *h = healths;

		healths = h->next;
		free(h->path);
		free(h);
	}
	pthread_mutex_unlock(&health_lock);
}

/* --- runners ------------------------------------------------------------------ */

/* A runner's fields change only under its pool's lock (ch_pool_status
 * reads them from other threads); the thread that holds a busy runner is
 * the only one that changes them, so it may read them without the lock. */
typedef struct runner {
	pid_t pid; /* 0: not running */
	int fd;
	int busy;
	uint64_t calls;
} runner;

struct ch_pool {
	char *path;
	const char *file; /* basename of path */
	ch_plugin_opts opts;
	pthread_mutex_t lock;
	pthread_cond_t freed;
	unsigned waiting;
	uint64_t calls;
	runner r[MAX_RUNNERS];
	health *h;
	json_object *wire; /* the manifest the host holds (a reference) */
};

#if defined(__SANITIZE_ADDRESS__)
/* No RLIMIT_AS under AddressSanitizer: bound the runner's memory through the
 * sanitizer instead (past soft_rss_limit_mb malloc returns NULL, as past
 * RLIMIT_AS; hard_rss_limit_mb backs it for memory got otherwise), and let
 * a plugin's fatal signals end the runner as they would without it (so the
 * host can name them). A new array per spawn: several threads may start
 * runners at once. */
static char **runner_env(const ch_pool *p, char *asan, size_t len)
{
	size_t n = 0;
	char **env;

	for (char **e = environ; *e; e++)
		n++;
	env = calloc(n + 2, sizeof(*env));
	if (!env)
		return NULL;
	n = 0;
	for (char **e = environ; *e; e++)
		if (strncmp(*e, "ASAN_OPTIONS=", 13) != 0)
			env[n++] = *e;
	snprintf(asan, len,
		 "ASAN_OPTIONS=soft_rss_limit_mb=%u:hard_rss_limit_mb=%u:allocator_may_return_null=1:"
		 "detect_leaks=0:handle_segv=0:handle_sigbus=0:handle_abort=0:handle_sigfpe=0:"
		 "handle_sigill=0",
		 p->opts.memory_mb, p->opts.memory_mb ? 4 * p->opts.memory_mb : 1024);
	env[n] = asan;
	return env;
}

static void runner_env_free(char **env)
{
	free(env);
}
#else
static char **runner_env(const ch_pool *p, char *asan, size_t len)
{
	(void)p;
	(void)asan;
	(void)len;
	return environ;
}

static void runner_env_free(char **env)
{
	(void)env;
}
#endif

/* Records that @p r runs as @p pid on channel @p fd (pid 0: stopped). */
static void runner_set(ch_pool *p, runner *r, pid_t pid, int fd)
{
	pthread_mutex_lock(&p->lock);
	r->pid = pid;
	r->fd = fd;
	if (pid > 0)
		r->calls = 0;
	pthread_mutex_unlock(&p->lock);
}

/* What a runner starts from: its channel on CH_RUNNER_FD, /dev/null for
 * stdin and stdout, the host's stderr for its log, and no other descriptor
 * of the host (libraries open theirs without O_CLOEXEC). Signals start
 * unblocked at their defaults: the host blocks SIGINT and SIGTERM for
 * sigwait() and ignores SIGPIPE, and a plugin must not inherit either. */
static void spawn_setup(posix_spawn_file_actions_t *fa, posix_spawnattr_t *attr, int channel)
{
	sigset_t none, defaults;

	posix_spawn_file_actions_init(fa);
	posix_spawn_file_actions_adddup2(fa, channel, CH_RUNNER_FD);
	posix_spawn_file_actions_addopen(fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addclosefrom_np(fa, CH_RUNNER_FD + 1);
	sigemptyset(&none);
	sigemptyset(&defaults);
	sigaddset(&defaults, SIGINT);
	sigaddset(&defaults, SIGTERM);
	sigaddset(&defaults, SIGPIPE);
	posix_spawnattr_init(attr);
	posix_spawnattr_setsigmask(attr, &none);
	posix_spawnattr_setsigdefault(attr, &defaults);
	posix_spawnattr_setflags(attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
}

static int spawn(ch_pool *p, runner *r)
{
	char mem[16], cpu[16], files[16];
	char *argv[] = {(char *)p->opts.runner_exe, CH_RUNNER_COMMAND, "--memory-mb", mem, "--cpu-s",
			cpu, "--files", files, NULL};
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	char asan[256], **env;
	pid_t pid = 0;
	int sv[2], rc;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
		return CH_E_IO;
	snprintf(mem, sizeof(mem), "%u", p->opts.memory_mb);
	snprintf(cpu, sizeof(cpu), "%u", p->opts.cpu_s);
	snprintf(files, sizeof(files), "%u", p->opts.files);
	spawn_setup(&fa, &attr, sv[1]);
	env = runner_env(p, asan, sizeof(asan));
	rc = env ? posix_spawn(&pid, p->opts.runner_exe, &fa, &attr, argv, env) : ENOMEM;
	runner_env_free(env);
	posix_spawnattr_destroy(&attr);
	posix_spawn_file_actions_destroy(&fa);
	close(sv[1]);
	if (rc != 0) {
		close(sv[0]);
		ch_log_error("cannot start a runner for %s: %s", p->path, strerror(rc));
		return CH_E_IO;
	}
	runner_set(p, r, pid, sv[0]);
	return CH_OK;
}

/* Whether @p pid exits within @p ms; if it does, it is reaped into
 * *status. */
static int exits_within(pid_t pid, int ms, int *status)
{
	int pfd = pidfd_open(pid, 0), ready;

	if (pfd >= 0) {
		struct pollfd p = {.fd = pfd, .events = POLLIN};

		ready = poll(&p, 1, ms) > 0;
		close(pfd);
		if (ready)
			while (waitpid(pid, status, 0) < 0 && errno == EINTR)
				;
		return ready;
	}
	/* No pidfd_open() (kernels before 5.3, valgrind 3.19): ask every 10 ms. */
	for (int waited = 0; waited <= ms; waited += 10) {
		if (waitpid(pid, status, WNOHANG) == pid)
			return 1;
		usleep(10000);
	}
	return 0;
}

/* Waits up to EXIT_GRACE_MS for a runner to exit, then kills it; returns
 * its wait status and whether we had to kill it. */
static int reap(pid_t pid, int *killed)
{
	int status = 0;

	*killed = !exits_within(pid, EXIT_GRACE_MS, &status);
	if (*killed) {
		kill(pid, SIGKILL);
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	}
	return status;
}

static void describe_death(const ch_pool *p, int status, int killed, const char *during,
			   char *out, size_t len)
{
	if (killed)
		snprintf(out, len, "closed its channel during %s and was killed", during);
	else if (WIFSIGNALED(status) && WTERMSIG(status) == SIGXCPU)
		snprintf(out, len, "exceeded its CPU time limit during %s (SIGXCPU)", during);
	else if (WIFSIGNALED(status))
		snprintf(out, len, "crashed with SIG%s during %s", sigabbrev_np(WTERMSIG(status)),
			 during);
	else if (p->opts.memory_mb && WEXITSTATUS(status) == CH_RUNNER_EXIT_MEMORY)
		snprintf(out, len, "ran out of memory during %s (the %u MiB limit)", during,
			 p->opts.memory_mb);
	else
		snprintf(out, len, "exited with status %d during %s", WEXITSTATUS(status), during);
}

/* Closes the runner's channel: it leaves its loop, unloads the plugin and
 * exits (so valgrind, tracing it, sees it end); after EXIT_GRACE_MS it is
 * killed. */
static void stop_runner(ch_pool *p, runner *r)
{
	int killed;

	if (r->pid <= 0)
		return;
	if (r->fd >= 0)
		close(r->fd);
	reap(r->pid, &killed);
	runner_set(p, r, 0, -1);
}

/* --- the conversation with a runner -------------------------------------------- */

/* What bounds a wait: one absolute time, so a call's time in the queue, a
 * runner's restart and the call itself share one deadline. */
typedef struct deadline {
	int64_t at;       /* ch_clock_mono_ms() time */
	const char *what; /* "load", or the operation's name */
	unsigned limit_ms;
} deadline;

/* "30 s" or "250 ms". */
static void limit_text(unsigned ms, char *out, size_t len)
{
	if (ms % 1000 == 0)
		snprintf(out, len, "%u s", ms / 1000);
	else
		snprintf(out, len, "%u ms", ms);
}

static json_object *reply_status(int rc)
{
	json_object *m = json_object_new_object();

	json_object_object_add(m, "status", json_object_new_int(rc));
	return m;
}

static const char *str(json_object *m, const char *key)
{
	return json_object_get_string(json_object_object_get(m, key));
}

/* Serves one host-API request a plugin made; returns the reply or NULL. */
static json_object *serve(ch_pool *p, const char *connector, json_object *m)
{
	const char *kind = str(m, "kind");
	json_object *reply;
	char *value = NULL;

	if (strcmp(kind, "log") == 0) {
		ch_log(json_object_get_int(json_object_object_get(m, "level")), "plugin %s%s%s: %s",
		       p->file, connector ? " " : "", connector ? connector : "", str(m, "message"));
		return NULL;
	}
	if (!connector)
		return reply_status(CH_E_NOTFOUND);
	if (strcmp(kind, "cache_get") == 0) {
		reply = reply_status(ch_cache_get(connector, str(m, "key"), &value));
		json_object_object_add(reply, "value", value ? json_object_new_string(value) : NULL);
		free(value);
		return reply;
	}
	if (strcmp(kind, "cache_put") == 0)
		return reply_status(ch_cache_put(
			connector, str(m, "key"), str(m, "value") ? str(m, "value") : "",
			json_object_get_int64(json_object_object_get(m, "ttl_ms"))));
	if (strcmp(kind, "cache_clear") == 0)
		return reply_status(ch_cache_clear(connector));
	return reply_status(CH_E_UNSUPPORTED);
}

/* Reads messages until one of kind @p final, serving the plugin's requests
 * on the way. */
static int converse(ch_pool *p, runner *r, const char *connector, const char *final,
		    int64_t until, json_object **out)
{
	for (;;) {
		json_object *m = NULL, *reply;
		int rc = ch_proto_recv(r->fd, until, &m);

		if (rc != CH_OK)
			return rc;
		if (!str(m, "kind")) {
			json_object_put(m);
			return ch_error_set(CH_E_INVALID, "sent a message without a \"kind\"");
		}
		if (strcmp(str(m, "kind"), final) == 0) {
			*out = m;
			return CH_OK;
		}
		reply = serve(p, connector, m);
		json_object_put(m);
		rc = reply ? ch_proto_send(r->fd, reply, until) : CH_OK;
		json_object_put(reply);
		if (rc != CH_OK)
			return rc;
	}
}

/* "did not answer within 5 s" (loading), "did not answer test within 30 s". */
static void describe_timeout(const deadline *d, char *out, size_t len)
{
	int load = strcmp(d->what, "load") == 0;
	char limit[32];

	limit_text(d->limit_ms, limit, sizeof(limit));
	snprintf(out, len, "did not answer%s%s within %s", load ? "" : " ", load ? "" : d->what,
		 limit);
}

/* The runner failed (@p rc: timeout, a dead channel, or a protocol
 * violation): stop it, record a crash, and say what happened in @p what
 * ("crashed with SIGSEGV during test", "did not answer test within 30 s",
 * "broke the channel's protocol during test: sent ..."). */
static int runner_failed(ch_pool *p, runner *r, int rc, const char *during, const deadline *d,
			 char *what, size_t len)
{
	int violation = rc == CH_E_TOO_LARGE || rc == CH_E_INVALID;
	int status, killed;

	if (violation)
		snprintf(what, len, "broke the channel's protocol during %s: %s", during,
			 ch_error_last()->message);
	close(r->fd);
	/* past its deadline, or talking nonsense: nothing it would still
	 * send can be trusted, so no grace */
	if (rc == CH_E_TIMEOUT || violation)
		kill(r->pid, SIGKILL);
	status = reap(r->pid, &killed);
	if (rc == CH_E_TIMEOUT)
		describe_timeout(d, what, len);
	else if (!violation)
		describe_death(p, status, killed, during, what, len);
	if (rc != CH_E_TIMEOUT) {
		if (p->h)
			health_crash(p->h, &p->opts, what);
		rc = CH_E_CRASHED;
	}
	ch_log_error("plugin %s %s", p->file, what);
	runner_set(p, r, 0, -1);
	return rc;
}

static json_object *request(const char *kind)
{
	json_object *m = json_object_new_object();

	json_object_object_add(m, "kind", json_object_new_string(kind));
	return m;
}

/* The runner's answer to "load": the manifest, or why it refused the file.
 * A runner started after the pool's first must serve the manifest the host
 * holds: a file replaced since then may describe other types, and the
 * host's index of them changes only with a rescan. */
static int take_loaded(ch_pool *p, json_object *m, json_object **wire, char **reason)
{
	int rc = json_object_get_int(json_object_object_get(m, "status"));
	json_object *got = json_object_object_get(m, "wire");

	if (rc != CH_OK) {
		*reason = strdup(str(m, "reason") ? str(m, "reason") : "the runner refused it");
	} else if (p->wire && !json_object_equal(p->wire, got)) {
		ch_log_warn("plugin %s changed on disk and now describes other types", p->path);
		*reason = strdup("its file changed on disk and now describes other types than the "
				 "host serves; an admin must rescan the plugins (POST "
				 "/api/v1/plugins/rescan)");
		rc = CH_E_UNAVAILABLE;
	} else if (wire) {
		*wire = json_object_get(got);
	}
	return rc;
}

/* Starts a runner and has it load the plugin, within the load deadline or
 * the deadline of the call it is started for (@p call, or NULL), whichever
 * comes first. */
static int start_runner(ch_pool *p, runner *r, const deadline *call, json_object **wire,
			char **reason)
{
	deadline d = {ch_clock_mono_ms() + p->opts.load_timeout_ms, "load", p->opts.load_timeout_ms};
	json_object *req = request("load"), *m = NULL;
	int rc = spawn(p, r);

	if (call && call->at < d.at)
		d = *call;
	json_object_object_add(req, "path", json_object_new_string(p->path));
	if (rc == CH_OK)
		rc = ch_proto_send(r->fd, req, d.at);
	json_object_put(req);
	if (rc == CH_OK)
		rc = converse(p, r, NULL, "loaded", d.at, &m);
	if (rc != CH_OK && r->pid > 0) {
		char what[200];

		rc = runner_failed(p, r, rc, "load", &d, what, sizeof(what));
		*reason = strdup(what);
		return rc;
	}
	if (rc == CH_OK)
		rc = take_loaded(p, m, wire, reason);
	json_object_put(m);
	if (rc != CH_OK)
		stop_runner(p, r);
	return rc;
}

/* --- open, close ------------------------------------------------------------------ */

int ch_pool_open(ch_pool **out, const char *path, const ch_plugin_opts *opts, json_object **wire,
		 char **reason)
{
	ch_pool *p = calloc(1, sizeof(*p));
	pthread_condattr_t ca;
	const char *slash;
	int rc;

	*out = NULL;
	if (!p || !(p->path = strdup(path))) {
		free(p);
		return CH_E_NOMEM;
	}
	slash = strrchr(p->path, '/');
	p->file = slash ? slash + 1 : p->path;
	p->opts = *opts;
	if (p->opts.runners == 0 || p->opts.runners > MAX_RUNNERS)
		p->opts.runners = p->opts.runners ? MAX_RUNNERS : 1;
	pthread_mutex_init(&p->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC); /* the clock of deadlines */
	pthread_cond_init(&p->freed, &ca);
	pthread_condattr_destroy(&ca);
	p->h = health_of(path);
	rc = start_runner(p, &p->r[0], NULL, wire, reason);
	if (rc != CH_OK) {
		ch_pool_close(p);
		return rc == CH_E_TIMEOUT || rc == CH_E_CRASHED ? CH_E_INVALID : rc;
	}
	p->wire = json_object_get(*wire);
	*out = p;
	return CH_OK;
}

void ch_pool_close(ch_pool *p)
{
	if (!p)
		return;
	/* Every channel first, so the runners exit side by side. */
	for (unsigned i = 0; i < MAX_RUNNERS; i++)
		if (p->r[i].pid > 0) {
			close(p->r[i].fd);
			p->r[i].fd = -1;
		}
	for (unsigned i = 0; i < MAX_RUNNERS; i++)
		stop_runner(p, &p->r[i]);
	json_object_put(p->wire);
	pthread_cond_destroy(&p->freed);
	pthread_mutex_destroy(&p->lock);
	free(p->path);
	free(p);
}

/* --- calls -------------------------------------------------------------------------- */

/* Whether the plugin is quarantined (a changed file lifts it first). */
static int quarantined(ch_pool *p, char **message)
{
	char text[512];
	int q;

	health_check(p->h);
	pthread_mutex_lock(&health_lock);
	q = p->h && p->h->quarantined;
	if (q)
		snprintf(text, sizeof(text),
			 "plugin %s is quarantined after repeated crashes (last: %s); an admin can "
			 "POST /api/v1/plugins/%s/reset, or replace the file",
			 p->file, p->h->last_crash, p->file);
	pthread_mutex_unlock(&health_lock);
	if (q)
		*message = strdup(text);
	return q;
}

/* A runner for one call: an idle one, or a free slot to start one in, or
 * a place in the bounded queue until one frees up or the call's deadline
 * passes. */
static int acquire(ch_pool *p, const deadline *d, runner **out, char **message)
{
	struct timespec until = {.tv_sec = d->at / 1000, .tv_nsec = d->at % 1000 * 1000000};
	char limit[32];
	int rc = CH_OK;

	pthread_mutex_lock(&p->lock);
	for (*out = NULL; !*out && rc == CH_OK;) {
		for (unsigned pass = 0; pass < 2 && !*out; pass++)
			for (unsigned i = 0; i < p->opts.runners && !*out; i++)
				if (!p->r[i].busy && (pass == 1 || p->r[i].pid > 0))
					*out = &p->r[i];
		if (*out)
			break;
		if (p->waiting >= p->opts.queue) {
			rc = CH_E_BUSY;
			break;
		}
		p->waiting++;
		if (pthread_cond_timedwait(&p->freed, &p->lock, &until) == ETIMEDOUT)
			rc = CH_E_TIMEOUT;
		p->waiting--;
	}
	if (*out)
		(*out)->busy = 1;
	pthread_mutex_unlock(&p->lock);
	limit_text(d->limit_ms, limit, sizeof(limit));
	if (rc == CH_E_BUSY)
		return ch_plugin_reason(message, rc, "every runner of plugin %s is busy and its "
					"queue is full; retry %s later", p->file, d->what);
	if (rc == CH_E_TIMEOUT)
		return ch_plugin_reason(message, rc, "no runner of plugin %s was free for %s "
					"within %s", p->file, d->what, limit);
	return rc;
}

static void release(ch_pool *p, runner *r)
{
	pthread_mutex_lock(&p->lock);
	r->busy = 0;
	p->calls++;
	pthread_cond_signal(&p->freed);
	pthread_mutex_unlock(&p->lock);
}

static json_object *call_request(const char *type, const char *version, ch_op op,
				 const char *connector, const char *input)
{
	json_object *m = request("call");

	json_object_object_add(m, "type", json_object_new_string(type));
	json_object_object_add(m, "version", json_object_new_string(version));
	json_object_object_add(m, "op", json_object_new_int((int)op));
	json_object_object_add(m, "connector", connector ? json_object_new_string(connector) : NULL);
	json_object_object_add(m, "input", json_object_new_string(input));
	return m;
}

static int take_result(json_object *m, char **output, char **message)
{
	int rc = json_object_get_int(json_object_object_get(m, "status"));
	const char *out = str(m, "output"), *msg = str(m, "message");

	if (rc == CH_OK)
		*output = strdup(out ? out : "{}");
	else
		*message = strdup(msg ? msg : "the plugin failed without a message");
	return rc > 0 ? CH_E_GENERIC : rc;
}

static int call_in(ch_pool *p, runner *r, json_object *req, const char *connector,
		   const deadline *d, char **output, char **message)
{
	json_object *m = NULL;
	char what[200], *why = NULL;
	int rc = r->pid > 0 ? CH_OK : start_runner(p, r, d, NULL, &why);

	if (rc != CH_OK) {
		if (rc != CH_E_TIMEOUT && rc != CH_E_CRASHED)
			rc = CH_E_UNAVAILABLE; /* it refused the file, or serves other types */
		rc = ch_plugin_reason(message, rc, "plugin %s could not be restarted for %s: %s",
				      p->file, d->what, why ? why : "no runner could be started");
		free(why);
		return rc;
	}
	rc = ch_proto_send(r->fd, req, d->at);
	if (rc == CH_OK)
		rc = converse(p, r, connector, "result", d->at, &m);
	if (rc != CH_OK) {
		rc = runner_failed(p, r, rc, d->what, d, what, sizeof(what));
		return ch_plugin_reason(message, rc, "plugin %s %s", p->file, what);
	}
	pthread_mutex_lock(&p->lock);
	r->calls++;
	pthread_mutex_unlock(&p->lock);
	rc = take_result(m, output, message);
	if (json_object_get_boolean(json_object_object_get(m, "retire")))
		stop_runner(p, r); /* its CPU budget is spent: the next call starts afresh */
	json_object_put(m);
	return rc;
}

int ch_pool_call(ch_pool *p, const char *type, const char *version, ch_op op,
		 const char *connector, const char *input, char **output, char **message)
{
	unsigned ms = p->opts.op_timeout_ms[op] ? p->opts.op_timeout_ms[op] : p->opts.call_timeout_ms;
	deadline d = {ch_clock_mono_ms() + ms, ch_op_name(op), ms};
	json_object *req;
	runner *r = NULL;
	int rc;

	*output = NULL;
	*message = NULL;
	if (quarantined(p, message))
		return CH_E_QUARANTINED;
	rc = acquire(p, &d, &r, message);
	if (rc != CH_OK)
		return rc;
	req = call_request(type, version, op, connector, input);
	rc = call_in(p, r, req, connector, &d, output, message);
	ch_secret_wipe(req); /* the input held the decrypted configuration */
	release(p, r);
	return rc;
}

json_object *ch_pool_status(ch_pool *p)
{
	json_object *o = json_object_new_object(), *list = json_object_new_array();

	pthread_mutex_lock(&p->lock);
	for (unsigned i = 0; i < p->opts.runners; i++) {
		json_object *r = json_object_new_object();

		json_object_object_add(r, "pid", p->r[i].pid > 0 ? json_object_new_int(p->r[i].pid)
								 : NULL);
		json_object_object_add(r, "state", json_object_new_string(
							   p->r[i].pid <= 0 ? "stopped"
							   : p->r[i].busy   ? "busy"
									    : "idle"));
		json_object_object_add(r, "calls", json_object_new_int64((int64_t)p->r[i].calls));
		json_object_array_add(list, r);
	}
	json_object_object_add(o, "runners", list);
	json_object_object_add(o, "calls", json_object_new_int64((int64_t)p->calls));
	pthread_mutex_unlock(&p->lock);
	health_check(p->h);
	pthread_mutex_lock(&health_lock);
	json_object_object_add(o, "crashes", json_object_new_int64(p->h ? (int64_t)p->h->crashes : 0));
	json_object_object_add(o, "last_crash", p->h && p->h->last_crash[0]
							? json_object_new_string(p->h->last_crash)
							: NULL);
	json_object_object_add(o, "quarantined", json_object_new_boolean(p->h && p->h->quarantined));
	pthread_mutex_unlock(&health_lock);
	return o;
}

int ch_pool_reset(ch_pool *p)
{
	pthread_mutex_lock(&health_lock);
	if (p->h) {
		p->h->quarantined = 0;
		p->h->ncrash = 0;
	}
	pthread_mutex_unlock(&health_lock);
	return CH_OK;
}
