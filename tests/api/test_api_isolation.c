/*
 * Plugin isolation over HTTP: plugins that crash or hang while loading are
 * rejected with the reason, at start or by a rescan under traffic;
 * operations that segfault, abort, hang, exhaust memory, exit, flood or
 * break their channel answer 502/504 with a readable reason while other
 * traffic flows untouched; the host API works through a runner; runners
 * start clean and within hard limits; a plugin that keeps crashing is
 * quarantined until an admin resets it or its file changes; deadlines are
 * per operation; a busy plugin answers 503 with Retry-After while one slow
 * call leaves the other runners free; no runner outlives its host.
 */
#include <check.h>
#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check_run.h"
#include "harness.h"

#define MAX_PIDS 64

static th_host host;
static pid_t seen_pids[MAX_PIDS];
static int nseen;

static const char *const fault_args[] = {
	"--plugin-timeout-ms", "4000", "--plugin-load-timeout-ms", "2000",
	"--quarantine-crashes", "1000", "--plugin-memory-mb", "256", NULL,
};

static void start_fault_host(void)
{
	th_start(&host, CH_TEST_FAULTS, fault_args);
}

static void stop_host(void)
{
	th_stop(&host);
}

/* Creates a "faulty" connector with test mode @p mode; returns its name. */
static void make_connector(const th_host *h, const char *name, const char *mode)
{
	char body[256];
	th_resp r;

	snprintf(body, sizeof(body), "{\"name\":\"%s\",\"type\":\"faulty\",\"config\":{\"mode\":\"%s\"}}",
		 name, mode);
	ck_assert_int_eq(th_request(h, "POST", "/api/v1/connectors", body, NULL, &r), 0);
	ck_assert_msg(r.status == 201 || r.status == 409, "create %s: %ld %s", name, r.status, r.body);
	th_resp_free(&r);
}

/* POST /connectors/NAME/OP; the response is the caller's. */
static void run_op(const th_host *h, const char *name, const char *op, th_resp *r)
{
	char path[128];

	snprintf(path, sizeof(path), "/api/v1/connectors/%s/%s", name, op);
	ck_assert_int_eq(th_request(h, "POST", path, NULL, NULL, r), 0);
}

static void run_test(const th_host *h, const char *name, th_resp *r)
{
	run_op(h, name, "test", r);
}

static void assert_detail(const th_resp *r, long status, const char *text)
{
	ck_assert_msg(r->status == status, "%ld, expected %ld: %s", r->status, status, r->body);
	ck_assert_str_eq(r->content_type, "application/problem+json");
	ck_assert_msg(strstr(th_str(r->json, "detail"), text), "detail \"%s\" lacks \"%s\"",
		      th_str(r->json, "detail"), text);
}

/* The entry of @p file in GET /api/v1/plugins (borrowed from @p r). */
static json_object *plugin_entry(const th_resp *r, const char *file)
{
	json_object *data = json_object_object_get(r->json, "data");

	for (size_t i = 0; i < json_object_array_length(data); i++) {
		json_object *e = json_object_array_get_idx(data, i);
		const char *slash = strrchr(th_str(e, "path"), '/');

		if (slash && strcmp(slash + 1, file) == 0)
			return e;
	}
	return NULL;
}

static json_object *runtime_of(const th_host *h, const char *file, th_resp *r)
{
	json_object *e;

	ck_assert_int_eq(th_request(h, "GET", "/api/v1/plugins", NULL, NULL, r), 0);
	e = plugin_entry(r, file);
	ck_assert_ptr_nonnull(e);
	return json_object_object_get(e, "runtime");
}

/* Remembers every runner pid the host reports, to check they are gone. */
static void note_pids(const th_host *h)
{
	th_resp r;
	json_object *runners = json_object_object_get(runtime_of(h, "faults.so", &r), "runners");

	for (size_t i = 0; i < json_object_array_length(runners); i++) {
		json_object *pid = json_object_object_get(json_object_array_get_idx(runners, i), "pid");

		if (pid && nseen < MAX_PIDS)
			seen_pids[nseen++] = json_object_get_int(pid);
	}
	th_resp_free(&r);
}

/* --- plugins directories of a test's own ----------------------------------- */

/* Puts a copy of @p src as @p dir/@p file, replacing it the way an operator
 * should: a new file renamed over the old one (runners still map the old). */
static void install_as(const char *dir, const char *file, const char *src)
{
	char cmd[1200];

	snprintf(cmd, sizeof(cmd), "cp '%s' '%s/%s.tmp' && mv '%s/%s.tmp' '%s/%s'", src, dir, file,
		 dir, file, dir, file);
	ck_assert_int_eq(system(cmd), 0);
}

static void copy_dir_file(const char *dir, const char *file)
{
	char src[600];

	snprintf(src, sizeof(src), "%s/%s", CH_TEST_FAULTS, file);
	install_as(dir, file, src);
}

#define DIR_TEMPLATE "/tmp/connhub-plugins-XXXXXX"

/* Makes @p dir (a DIR_TEMPLATE copy) a plugins directory holding only
 * faults.so: a host on it starts without waiting out the load faults. */
static void faults_only_dir(char *dir)
{
	ck_assert_ptr_nonnull(mkdtemp(dir));
	copy_dir_file(dir, "faults.so");
}

static void drop_dir(const char *dir)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

static void rescan(const th_host *h)
{
	th_resp r;

	ck_assert_int_eq(th_request(h, "POST", "/api/v1/plugins/rescan", NULL, NULL, &r), 0);
	ck_assert_int_eq(r.status, 200);
	th_resp_free(&r);
}

START_TEST(load_faults_are_rejected_with_reason)
{
	th_resp r;
	json_object *e;

	ck_assert_int_eq(th_request(&host, "GET", "/api/v1/plugins", NULL, NULL, &r), 0);
	e = plugin_entry(&r, "crash_entry.so");
	ck_assert_str_eq(th_str(e, "status"), "rejected");
	ck_assert_str_eq(th_str(e, "reason"), "crashed with SIGSEGV during load");
	e = plugin_entry(&r, "hang_entry.so");
	ck_assert_str_eq(th_str(e, "status"), "rejected");
	ck_assert_str_eq(th_str(e, "reason"), "did not answer within 2 s");
	e = plugin_entry(&r, "faults.so");
	ck_assert_str_eq(th_str(e, "status"), "loaded");
	ck_assert_ptr_nonnull(json_object_object_get(json_object_object_get(e, "runtime"), "runners"));
	th_resp_free(&r);
}
END_TEST

/* --- background traffic during the faults ------------------------------------- */

typedef struct traffic {
	const th_host *h;
	volatile int stop;
	int requests;
	int errors;
	char first_error[256];
} traffic;

static void *drive(void *arg)
{
	traffic *t = arg;
	static const char *const paths[] = {"/healthz", "/api/v1/connectors/types"};

	/* Bounded: the faults take a few seconds; 100000 requests is far more. */
	for (int i = 0; !t->stop && i < 100000; i++) {
		th_resp r;
		int rc = th_request(t->h, "GET", paths[i % 2], NULL, NULL, &r);

		t->requests++;
		if (rc != 0 || r.status != 200) {
			if (!t->errors++)
				snprintf(t->first_error, sizeof(t->first_error), "%s -> %ld",
					 paths[i % 2], rc ? -1L : r.status);
		}
		th_resp_free(&r);
	}
	return NULL;
}

/* Stops the traffic and checks none of it failed. */
static void traffic_stop(traffic *t, pthread_t th)
{
	t->stop = 1;
	pthread_join(th, NULL);
	ck_assert_msg(t->errors == 0, "%d of %d background requests failed, first: %s", t->errors,
		      t->requests, t->first_error);
	ck_assert_int_gt(t->requests, 10);
}

struct fault_case {
	const char *mode;
	long status;
	const char *detail;
};

/* Stops @p h, which must exit 0, and checks that no runner it reported
 * (now or before, see note_pids) outlives it. */
static void stop_checking_runners(th_host *h)
{
	note_pids(h);
	ck_assert_int_gt(nseen, 0);
	ck_assert_int_eq(th_stop(h), 0);
	for (int i = 0; i < nseen; i++)
		ck_assert_msg(kill(seen_pids[i], 0) == -1 && errno == ESRCH,
			      "runner %d is still alive after the host stopped", seen_pids[i]);
}

START_TEST(operation_faults_answer_and_traffic_flows)
{
	static const struct fault_case cases[] = {
		{"segv", 502, "plugin faults.so crashed with SIGSEGV during test"},
		{"abort", 502, "plugin faults.so crashed with SIGABRT during test"},
		{"hang", 504, "plugin faults.so did not answer test within 4 s"},
		{"hog", 502, "plugin faults.so ran out of memory during test (the 256 MiB limit)"},
		{"exit", 502, "plugin faults.so exited with status 0 during test"},
		/* replies the runner never reads fill the channel: the host's
		 * send is bounded by the deadline too */
		{"flood", 504, "plugin faults.so did not answer test within 4 s"},
		/* a broken frame is a protocol violation, reported at once */
		{"oversized", 502, "plugin faults.so broke the channel's protocol during test: sent a "
				   "message of 4294967295 bytes, over the 64 MiB limit"},
		{"garbage", 502, "plugin faults.so broke the channel's protocol during test: sent a "
				 "message of 5 bytes that is not a JSON object"},
	};
	th_host h;
	traffic t = {.h = &h};
	pthread_t th;
	th_resp r;

	th_start(&h, CH_TEST_FAULTS, fault_args);
	make_connector(&h, "good", "ok");
	make_connector(&h, "scribbler", "stdout");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		make_connector(&h, cases[i].mode, cases[i].mode);
	ck_assert_int_eq(pthread_create(&th, NULL, drive, &t), 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		note_pids(&h);
		run_test(&h, cases[i].mode, &r);
		assert_detail(&r, cases[i].status, cases[i].detail);
		th_resp_free(&r);
		/* the next call gets a fresh runner */
		run_test(&h, "good", &r);
		ck_assert_msg(r.status == 200, "after %s: %ld %s", cases[i].mode, r.status, r.body);
		ck_assert(json_object_get_boolean(json_object_object_get(r.json, "valid")));
		th_resp_free(&r);
	}
	run_test(&h, "scribbler", &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert(json_object_get_boolean(json_object_object_get(r.json, "valid")));
	th_resp_free(&r);
	traffic_stop(&t, th);
	stop_checking_runners(&h);
}
END_TEST

START_TEST(load_faults_during_traffic)
{
	static const char *const args[] = {"--plugin-load-timeout-ms", "2000", NULL};
	char dir[] = DIR_TEMPLATE;
	th_host h;
	traffic t = {.h = &h};
	pthread_t th;
	th_resp r;
	json_object *e;

	faults_only_dir(dir);
	th_start(&h, dir, args);
	note_pids(&h);
	ck_assert_int_eq(pthread_create(&th, NULL, drive, &t), 0);
	copy_dir_file(dir, "crash_entry.so");
	copy_dir_file(dir, "hang_entry.so");
	ck_assert_int_eq(th_request(&h, "POST", "/api/v1/plugins/rescan", NULL, NULL, &r), 0);
	traffic_stop(&t, th);
	ck_assert_int_eq(r.status, 200);
	e = plugin_entry(&r, "crash_entry.so");
	ck_assert_str_eq(th_str(e, "reason"), "crashed with SIGSEGV during load");
	e = plugin_entry(&r, "hang_entry.so");
	ck_assert_str_eq(th_str(e, "reason"), "did not answer within 2 s");
	ck_assert_str_eq(th_str(plugin_entry(&r, "faults.so"), "status"), "loaded");
	th_resp_free(&r);
	note_pids(&h);
	stop_checking_runners(&h);
	drop_dir(dir);
}
END_TEST

START_TEST(runtime_counts_calls_and_crashes)
{
	th_resp r;
	json_object *rt;

	make_connector(&host, "counted", "ok");
	make_connector(&host, "counted-crash", "abort");
	run_test(&host, "counted", &r);
	th_resp_free(&r);
	run_test(&host, "counted-crash", &r);
	th_resp_free(&r);
	rt = runtime_of(&host, "faults.so", &r);
	ck_assert_int_ge(json_object_get_int(json_object_object_get(rt, "crashes")), 1);
	ck_assert_int_ge(json_object_get_int(json_object_object_get(rt, "calls")), 2);
	ck_assert_str_eq(th_str(rt, "last_crash"), "crashed with SIGABRT during test");
	ck_assert(!json_object_get_boolean(json_object_object_get(rt, "quarantined")));
	th_resp_free(&r);
}
END_TEST

START_TEST(plugin_threads_share_the_channel)
{
	th_resp r;

	make_connector(&host, "chatty", "threads");
	run_test(&host, "chatty", &r);
	ck_assert_msg(r.status == 200, "%ld %s", r.status, r.body);
	ck_assert_str_eq(th_str(r.json, "message"), "0 of 400 exchanges went wrong");
	ck_assert(json_object_get_boolean(json_object_object_get(r.json, "valid")));
	th_resp_free(&r);
}
END_TEST

START_TEST(runners_start_clean)
{
	th_resp r;

	make_connector(&host, "sandbox", "sandbox");
	run_test(&host, "sandbox", &r);
	ck_assert_msg(r.status == 200, "%ld %s", r.status, r.body);
	/* nothing of the host's leaks in, signals are the runner's own, and
	 * the plugin cannot raise its limits (AddressSanitizer cannot run
	 * under an address-space limit: its memory bound is its own) */
#if defined(__SANITIZE_ADDRESS__)
	ck_assert_str_eq(th_str(r.json, "message"), "open fds: none; SIGTERM, SIGINT free; hard "
						    "limits: AS unlimited, NOFILE 256, CPU 124");
#else
	ck_assert_str_eq(th_str(r.json, "message"), "open fds: none; SIGTERM, SIGINT free; hard "
						    "limits: AS 268435456, NOFILE 256, CPU 124");
#endif
	ck_assert(json_object_get_boolean(json_object_object_get(r.json, "valid")));
	th_resp_free(&r);
}
END_TEST

/* Whether a line of the host's log holds @p text. */
static int log_has(const th_host *h, const char *text)
{
	FILE *f = fopen(h->log_path, "r");
	char line[4096];
	int found = 0;

	ck_assert_ptr_nonnull(f);
	while (!found && fgets(line, sizeof(line), f))
		found = strstr(line, text) != NULL;
	fclose(f);
	return found;
}

static void assert_message(const th_resp *r, const char *message)
{
	ck_assert_msg(r->status == 200, "%ld %s", r->status, r->body);
	ck_assert_str_eq(th_str(r->json, "message"), message);
}

START_TEST(host_api_through_a_runner)
{
	char line[200];
	th_resp r;

	make_connector(&host, "cached", "cache");
	make_connector(&host, "failing", "error");
	/* a value put in one call is there for the next */
	run_test(&host, "cached", &r);
	assert_message(&r, "cache: miss");
	th_resp_free(&r);
	run_test(&host, "cached", &r);
	assert_message(&r, "cache: hit 1");
	th_resp_free(&r);
	/* refresh clears it; the plugin's log line reaches the host's log */
	run_op(&host, "cached", "refresh", &r);
	ck_assert_int_eq(r.status, 204);
	th_resp_free(&r);
	run_test(&host, "cached", &r);
	assert_message(&r, "cache: miss");
	th_resp_free(&r);
	ck_assert_int_eq(th_request(&host, "GET", "/api/v1/connectors/cached", NULL, NULL, &r), 0);
	snprintf(line, sizeof(line), "INFO  plugin faults.so %s: refresh called", th_str(r.json, "id"));
	th_resp_free(&r);
	ck_assert_msg(log_has(&host, line), "the host's log lacks \"%s\"", line);
	/* error_set's message reaches the caller: the problem of a refresh,
	 * the result of a test */
	run_op(&host, "failing", "refresh", &r);
	assert_detail(&r, 422, "the fixture was asked to fail");
	ck_assert_str_eq(th_str(r.json, "type"), "urn:connhub:problem:configuration-error");
	th_resp_free(&r);
	run_test(&host, "failing", &r);
	assert_message(&r, "the fixture was asked to fail");
	ck_assert_str_eq(th_str(r.json, "failure_type"), "config_error");
	th_resp_free(&r);
}
END_TEST

START_TEST(isolation_none_serves_in_process)
{
	static const char *const args[] = {"--plugin-isolation", "none", NULL};
	char dir[] = DIR_TEMPLATE;
	th_host h;
	th_resp r;
	json_object *e;

	faults_only_dir(dir);
	th_start(&h, dir, args);
	make_connector(&h, "cached", "cache");
	run_test(&h, "cached", &r);
	assert_message(&r, "cache: miss");
	th_resp_free(&r);
	run_test(&h, "cached", &r);
	assert_message(&r, "cache: hit 1");
	th_resp_free(&r);
	ck_assert_int_eq(th_request(&h, "GET", "/api/v1/plugins", NULL, NULL, &r), 0);
	e = plugin_entry(&r, "faults.so");
	ck_assert_str_eq(th_str(e, "status"), "loaded");
	ck_assert(json_object_object_get_ex(e, "runtime", NULL));
	ck_assert_ptr_null(json_object_object_get(e, "runtime")); /* no runners */
	th_resp_free(&r);
	ck_assert_int_eq(th_stop(&h), 0);
	drop_dir(dir);
}
END_TEST

/* --- quarantine ------------------------------------------------------------------- */

static void crash_times(const th_host *h, int n)
{
	th_resp r;

	for (int i = 0; i < n; i++) {
		note_pids(h);
		run_test(h, "boom", &r);
		ck_assert_int_eq(r.status, 502);
		th_resp_free(&r);
	}
}

START_TEST(quarantine_reset_and_replacement)
{
	static const char *const args[] = {"--quarantine-crashes", "3", NULL};
	char dir[] = DIR_TEMPLATE;
	th_host h;
	th_resp r;

	faults_only_dir(dir);
	th_start(&h, dir, args);
	make_connector(&h, "boom", "segv");
	make_connector(&h, "fine", "ok");
	crash_times(&h, 3);
	run_test(&h, "fine", &r);
	assert_detail(&r, 503, "plugin faults.so is quarantined after repeated crashes (last: "
			       "crashed with SIGSEGV during test)");
	ck_assert_str_eq(th_str(r.json, "type"), "urn:connhub:problem:plugin-quarantined");
	ck_assert_str_eq(th_str(r.json, "title"), "Plugin quarantined");
	th_resp_free(&r);
	ck_assert(json_object_get_boolean(
		json_object_object_get(runtime_of(&h, "faults.so", &r), "quarantined")));
	th_resp_free(&r);
	/* an admin lifts it */
	ck_assert_int_eq(th_request(&h, "POST", "/api/v1/plugins/faults/reset", NULL, NULL, &r), 0);
	ck_assert_int_eq(r.status, 200);
	th_resp_free(&r);
	run_test(&h, "fine", &r);
	ck_assert_int_eq(r.status, 200);
	th_resp_free(&r);
	ck_assert_int_eq(th_request(&h, "POST", "/api/v1/plugins/nope/reset", NULL, NULL, &r), 0);
	ck_assert_int_eq(r.status, 404);
	th_resp_free(&r);
	/* a rescan of the same file keeps it */
	crash_times(&h, 3);
	rescan(&h);
	run_test(&h, "fine", &r);
	assert_detail(&r, 503, "is quarantined");
	th_resp_free(&r);
	/* a new file lifts it, rescanned or not */
	copy_dir_file(dir, "faults.so");
	run_test(&h, "fine", &r);
	ck_assert_msg(r.status == 200, "after replacing the file: %ld %s", r.status, r.body);
	th_resp_free(&r);
	ck_assert(!json_object_get_boolean(
		json_object_object_get(runtime_of(&h, "faults.so", &r), "quarantined")));
	th_resp_free(&r);
	/* a runner restarted on a file that is another plugin now refuses to
	 * serve it under the manifest the host holds */
	crash_times(&h, 1);
	install_as(dir, "faults.so", CH_TEST_FIXTURES "/good.so");
	run_test(&h, "fine", &r);
	assert_detail(&r, 503, "plugin faults.so could not be restarted for test: its file changed "
			       "on disk and now describes other types than the host serves; an "
			       "admin must rescan the plugins");
	th_resp_free(&r);
	stop_checking_runners(&h);
	drop_dir(dir);
}
END_TEST

START_TEST(reset_needs_admin)
{
	char token[128];
	th_resp r;

	ck_assert_int_eq(th_cli(&host, "tokens create default", token, sizeof(token)), 0);
	ck_assert_int_eq(th_request_as(&host, token, "POST", "/api/v1/plugins/faults/reset", NULL, &r),
			 0);
	ck_assert_int_eq(r.status, 403);
	th_resp_free(&r);
}
END_TEST

/* --- busy runners --------------------------------------------------------------- */

/* A host on a directory of its own with connectors "stuck" (its test
 * hangs) and "fine"; hang_one() puts the hanging test in flight. */
typedef struct busy_host {
	char dir[sizeof(DIR_TEMPLATE)];
	th_host h;
	pthread_t th;
	volatile long status; /* of the hanging test: 0 until answered */
} busy_host;

static void busy_open(busy_host *b, const char *const *args)
{
	snprintf(b->dir, sizeof(b->dir), "%s", DIR_TEMPLATE);
	faults_only_dir(b->dir);
	th_start(&b->h, b->dir, args);
	make_connector(&b->h, "stuck", "hang");
	make_connector(&b->h, "fine", "ok");
}

static void *hang_run(void *arg)
{
	busy_host *b = arg;
	th_resp r;

	run_test(&b->h, "stuck", &r);
	b->status = r.status;
	th_resp_free(&r);
	return NULL;
}

/* Starts the hanging test in a thread and waits until a runner is busy
 * with it. */
static void hang_one(busy_host *b)
{
	char last[512] = "";
	th_resp r;
	int busy = 0;

	b->status = 0;
	ck_assert_int_eq(pthread_create(&b->th, NULL, hang_run, b), 0);
	/* polls the host's own account of its runners: no sleeping on a guess */
	for (int i = 0; i < 20000 && !busy && !b->status; i++) {
		json_object *rt = runtime_of(&b->h, "faults.so", &r);
		json_object *runners = json_object_object_get(rt, "runners");

		for (size_t k = 0; k < json_object_array_length(runners); k++)
			busy |= strcmp(th_str(json_object_array_get_idx(runners, k), "state"), "busy") == 0;
		snprintf(last, sizeof(last), "%s", json_object_to_json_string(rt));
		th_resp_free(&r);
	}
	ck_assert_msg(busy, "no runner showed busy; last runtime: %s; the test: %ld", last,
		      b->status);
	note_pids(&b->h);
}

/* Waits for the hanging test to end at its deadline, then stops the host
 * (see stop_checking_runners). */
static void busy_close(busy_host *b)
{
	pthread_join(b->th, NULL);
	ck_assert_msg(b->status == 504, "the hanging test answered %ld", b->status);
	stop_checking_runners(&b->h);
	drop_dir(b->dir);
}

START_TEST(full_queue_is_503_with_retry_after)
{
	static const char *const args[] = {"--plugin-runners", "1", "--plugin-queue", "0",
					   "--plugin-timeout-ms", "3000", NULL};
	busy_host b;
	th_resp r;

	busy_open(&b, args);
	hang_one(&b);
	/* every route that calls a plugin says when to come back */
	for (int i = 0; i < 3; i++) {
		static const char *const ops[] = {"test", "refresh", "setup"};

		run_op(&b.h, "fine", ops[i], &r);
		assert_detail(&r, 503, "every runner of plugin faults.so is busy and its queue is "
				       "full; retry ");
		ck_assert_str_eq(th_str(r.json, "type"), "urn:connhub:problem:busy");
		ck_assert_msg(strcmp(r.retry_after, "1") == 0, "%s: Retry-After \"%s\"", ops[i],
			      r.retry_after);
		ck_assert_int_eq(b.status, 0); /* all while the test hangs */
		th_resp_free(&r);
	}
	busy_close(&b);
}
END_TEST

START_TEST(a_slow_call_does_not_block_others)
{
	static const char *const args[] = {"--plugin-runners", "2", "--plugin-timeout-ms", "4000",
					   NULL};
	busy_host b;
	th_resp r;

	busy_open(&b, args);
	hang_one(&b);
	for (int i = 0; i < 3; i++) {
		run_test(&b.h, "fine", &r); /* by the other runner */
		ck_assert_msg(r.status == 200, "%ld %s", r.status, r.body);
		th_resp_free(&r);
	}
	ck_assert_int_eq(b.status, 0); /* answered while the hanging call is in flight */
	note_pids(&b.h);
	busy_close(&b);
}
END_TEST

/* --- deadlines ------------------------------------------------------------------- */

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

START_TEST(per_operation_deadlines)
{
	static const char *const args[] = {"--plugin-runners", "1", "--plugin-queue", "1",
					   "--plugin-timeout-ms", "4000",
					   "--plugin-op-timeout-ms", "refresh=1000", NULL};
	busy_host b;
	int64_t t0;
	th_resp r;

	busy_open(&b, args);
	make_connector(&b.h, "slowpoke", "slow"); /* takes two seconds */
	/* test keeps the 4 s of --plugin-timeout-ms ... */
	run_test(&b.h, "slowpoke", &r);
	ck_assert_msg(r.status == 200, "%ld %s", r.status, r.body);
	th_resp_free(&r);
	/* ... while refresh has 1 s */
	run_op(&b.h, "slowpoke", "refresh", &r);
	assert_detail(&r, 504, "plugin faults.so did not answer refresh within 1 s");
	th_resp_free(&r);
	/* waiting in the queue counts against the one deadline of the call */
	hang_one(&b);
	t0 = now_ms();
	run_op(&b.h, "fine", "refresh", &r);
	assert_detail(&r, 504, "no runner of plugin faults.so was free for refresh within 1 s");
	ck_assert_msg(now_ms() - t0 < 1900, "the queued call took %lld ms",
		      (long long)(now_ms() - t0));
	ck_assert_int_eq(b.status, 0); /* the test still hangs */
	th_resp_free(&r);
	busy_close(&b);
}
END_TEST

/* --- resource limits -------------------------------------------------------------- */

START_TEST(cpu_limit_stops_a_spinning_call)
{
	static const char *const args[] = {"--plugin-cpu-s", "1", "--plugin-timeout-ms", "30000",
					   NULL};
	char dir[] = DIR_TEMPLATE;
	th_host h;
	th_resp r;

	faults_only_dir(dir);
	th_start(&h, dir, args);
	make_connector(&h, "spinner", "spin");
	make_connector(&h, "fine", "ok");
	note_pids(&h);
	run_test(&h, "spinner", &r);
	assert_detail(&r, 502, "plugin faults.so exceeded its CPU time limit during test (SIGXCPU)");
	th_resp_free(&r);
	run_test(&h, "fine", &r);
	ck_assert_int_eq(r.status, 200);
	th_resp_free(&r);
	stop_checking_runners(&h);
	drop_dir(dir);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("api_isolation");
	TCase *shared = tcase_create("fault_host");
	TCase *own = tcase_create("own_host");

	tcase_add_unchecked_fixture(shared, start_fault_host, stop_host);
	tcase_set_timeout(shared, 120);
	tcase_add_test(shared, load_faults_are_rejected_with_reason);
	tcase_add_test(shared, runtime_counts_calls_and_crashes);
	tcase_add_test(shared, host_api_through_a_runner);
	tcase_add_test(shared, plugin_threads_share_the_channel);
	tcase_add_test(shared, runners_start_clean);
	tcase_add_test(shared, reset_needs_admin);
	suite_add_tcase(s, shared);
	tcase_set_timeout(own, 120);
	tcase_add_test(own, operation_faults_answer_and_traffic_flows);
	tcase_add_test(own, quarantine_reset_and_replacement);
	tcase_add_test(own, full_queue_is_503_with_retry_after);
	tcase_add_test(own, per_operation_deadlines);
	tcase_add_test(own, cpu_limit_stops_a_spinning_call);
	tcase_add_test(own, a_slow_call_does_not_block_others);
	tcase_add_test(own, load_faults_during_traffic);
	tcase_add_test(own, isolation_none_serves_in_process);
	suite_add_tcase(s, own);
	return s;
}

int main(void)
{
	int rc;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = ch_check_run(suite());
	curl_global_cleanup();
	return rc;
}
