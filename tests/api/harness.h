/*
 * API test harness: starts a real connhub host on a free loopback port with
 * a temporary data directory and talks HTTP to it with libcurl.
 */
#ifndef CH_TEST_HARNESS_H
#define CH_TEST_HARNESS_H

#include <sys/types.h>

#include <check.h>
#include <json-c/json.h>

typedef struct th_host {
	pid_t pid;
	char url[256];
	char data_dir[256];
	char log_path[300];
	char token[128]; /* the admin token the host printed on first start */
} th_host;

typedef struct th_resp {
	long status;
	char *body;
	size_t body_len;
	json_object *json; /* the body parsed, NULL when it is not JSON */
	char content_type[128];
	char allow[128];
	char etag[64];
	char location[256];
	char www_authenticate[128];
	char replayed[16]; /* Idempotent-Replayed */
	char retry_after[16];
} th_resp;

/**
 * Starts `connhub serve --listen 127.0.0.1:0 --plugins-dir DIR` with a new
 * temporary data directory and waits for the URL it prints. @p extra is a
 * NULL-terminated list of more arguments, or NULL. Aborts the test on
 * failure.
 */
void th_start(th_host *h, const char *plugins_dir, const char *const *extra);

/** Sends @p sig and waits for the host; returns its exit status (-1 when
 *  killed by a signal or not running). Keeps the data directory. */
int th_kill_wait(th_host *h, int sig);

/** Sends SIGTERM and returns the exit status (-1 when killed by a signal or
 *  no longer running). Removes the data directory and the log. */
int th_stop(th_host *h);

/**
 * One request, authenticated with the host's admin token unless @p headers
 * carries an "Authorization:" line (use "Authorization:" alone to send
 * none). @p body may be NULL; @p headers is a NULL-terminated list of
 * "Name: value" lines or NULL. Returns 0 or -1 on a transport error.
 */
int th_request(const th_host *h, const char *method, const char *path, const char *body,
	       const char *const *headers, th_resp *out);

/** Like th_request(), as the holder of @p token (NULL: no token). */
int th_request_as(const th_host *h, const char *token, const char *method, const char *path,
		  const char *body, th_resp *out);

/**
 * Runs `connhub ARGS --data-dir <the host's>` and returns its first line of
 * output in @p out (e.g. a new token). Returns the exit status.
 */
int th_cli(const th_host *h, const char *args, char *out, size_t outlen);

/** A new TCP connection to the host (blocking), or -1. */
int th_connect(const th_host *h);

/** Like th_connect(), from loopback address @p from (e.g. "127.0.0.2"),
 *  so the host sees another client address. */
int th_connect_from(const th_host *h, const char *from);

/** Writes all of @p data to @p fd; 0 or -1. */
int th_send(int fd, const char *data);

/**
 * Reads from @p fd until @p until (may be NULL) has been read, the peer
 * closes the connection, or @p timeout_ms pass; what was read is
 * NUL-terminated in @p buf (cut at @p len - 1).
 * @param[out] eof_ms  when the peer closed, in ms after the call (-1: it
 *                     did not; may be NULL).
 * @return the number of bytes read.
 */
size_t th_read(int fd, char *buf, size_t len, int timeout_ms, const char *until, long *eof_ms);

/** Frees a response. */
void th_resp_free(th_resp *r);

/** The string at JSON pointer-ish path "a.b" of r->json, or NULL. */
const char *th_str(json_object *obj, const char *key);

/** Prints the host's log (for a failing test). */
void th_dump_log(const th_host *h);

/**
 * Stops the host with SIGTERM (asserting it exits 0) and starts it again
 * with the same arguments and the SAME data directory (a new port: h->url
 * changes). The admin token is kept: a host with a database prints none.
 * The log of the second run is appended to the first's.
 */
void th_restart(th_host *h);

/**
 * Runs @p s like ch_check_run() (and frees it), with libcurl's global
 * state set up before and cleaned up after: an API test's main(). Returns
 * EXIT_SUCCESS when every test passed.
 */
int th_run_suite(Suite *s);

/**
 * Runs @p tests (NULL-terminated) with one host for them all: @p h started
 * on @p plugins_dir (th_start) before the first, then @p seed (NULL: none),
 * and stopped after the last. Each test gets @p timeout seconds (0:
 * check's default).
 * @return EXIT_SUCCESS when every test passed and the host exited 0 on
 *         SIGTERM.
 */
int th_run_shared(const char *name, const TTest *const *tests, th_host *h,
		  const char *plugins_dir, void (*seed)(void), double timeout);

#endif /* CH_TEST_HARNESS_H */
