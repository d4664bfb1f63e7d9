#include "harness.h"

#include "check_run.h"

#include <check.h>
#include <curl/curl.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

/* Reads one line from @p fd (unbuffered, so nothing after it is lost). */
static int read_line(int fd, char *buf, size_t len)
{
	size_t n = 0;

	while (n + 1 < len) {
		ssize_t r = read(fd, buf + n, 1);

		if (r <= 0)
			return -1;
		if (buf[n] == '\n')
			break;
		n++;
	}
	buf[n] = '\0';
	return 0;
}

static void spawn_host(th_host *h, const char *plugins_dir, const char *const *extra, int out_fd)
{
	const char *argv[32] = {CH_TEST_CONNHUB, "serve", "--listen", "127.0.0.1:0",
				"--plugins-dir", plugins_dir, "--data-dir", h->data_dir,
				"--log-level", "debug"};
	posix_spawn_file_actions_t fa;
	size_t n = 10;
	int rc;

	for (; extra && *extra && n < 31; extra++)
		argv[n++] = *extra;
	argv[n] = NULL;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, out_fd, STDOUT_FILENO);
	posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, h->log_path,
					 O_WRONLY | O_CREAT | O_TRUNC, 0600);
	rc = posix_spawn(&h->pid, CH_TEST_CONNHUB, &fa, NULL, (char *const *)argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	ck_assert_msg(rc == 0, "posix_spawn %s: %s", CH_TEST_CONNHUB, strerror(rc));
}

void th_start(th_host *h, const char *plugins_dir, const char *const *extra)
{
	const char *prefix = "connhub listening on ";
	const char *token_prefix = "admin token (shown once): ";
	char line[200];
	int fds[2];

	memset(h, 0, sizeof(*h));
	snprintf(h->data_dir, sizeof(h->data_dir), "/tmp/connhub-test-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(h->data_dir));
	snprintf(h->log_path, sizeof(h->log_path), "%s.log", h->data_dir);
	ck_assert_int_eq(pipe(fds), 0);
	spawn_host(h, plugins_dir, extra, fds[1]);
	close(fds[1]);
	if (read_line(fds[0], line, sizeof(line)) != 0 || strncmp(line, prefix, strlen(prefix)) != 0) {
		th_dump_log(h);
		ck_abort_msg("the host did not print its URL (got \"%s\")", line);
	}
	snprintf(h->url, sizeof(h->url), "%s", line + strlen(prefix));
	/* A fresh data directory: the host prints its admin token next. */
	if (read_line(fds[0], line, sizeof(line)) == 0 && strncmp(line, token_prefix,
								   strlen(token_prefix)) == 0)
		snprintf(h->token, sizeof(h->token), "%.*s", (int)sizeof(h->token) - 1,
			 line + strlen(token_prefix));
	close(fds[0]);
}

int th_kill_wait(th_host *h, int sig)
{
	int status = 0;

	if (h->pid <= 0)
		return -1;
	kill(h->pid, sig);
	waitpid(h->pid, &status, 0);
	if (WIFSIGNALED(status)) /* say which, for the test that fails on it */
		fprintf(stderr, "the host (pid %d) died of signal %d (%s)%s\n", (int)h->pid,
			WTERMSIG(status), strsignal(WTERMSIG(status)),
			WCOREDUMP(status) ? ", core dumped" : "");
	h->pid = 0;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int th_stop(th_host *h)
{
	char cmd[600];
	int status = th_kill_wait(h, SIGTERM);

	if (status != 0) /* the log says why, before it goes */
		th_dump_log(h);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s' '%s'", h->data_dir, h->log_path);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", h->data_dir);
	return status;
}

void th_dump_log(const th_host *h)
{
	char buf[4096];
	FILE *f = fopen(h->log_path, "r");
	size_t n;

	if (!f)
		return;
	fprintf(stderr, "--- host log %s ---\n", h->log_path);
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		fwrite(buf, 1, n, stderr);
	fclose(f);
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *cls)
{
	th_resp *r = cls;
	size_t n = size * nmemb;
	char *p = realloc(r->body, r->body_len + n + 1);

	if (!p)
		return 0;
	memcpy(p + r->body_len, data, n);
	r->body = p;
	r->body_len += n;
	r->body[r->body_len] = '\0';
	return n;
}

static void copy_header(const char *line, size_t n, const char *name, char *out, size_t outlen)
{
	size_t nl = strlen(name);

	if (n <= nl + 1 || strncasecmp(line, name, nl) != 0 || line[nl] != ':')
		return;
	line += nl + 1;
	n -= nl + 1;
	while (n && (*line == ' '))
		line++, n--;
	while (n && (line[n - 1] == '\r' || line[n - 1] == '\n'))
		n--;
	snprintf(out, outlen, "%.*s", (int)n, line);
}

static size_t on_header(char *line, size_t size, size_t nmemb, void *cls)
{
	th_resp *r = cls;
	size_t n = size * nmemb;

	copy_header(line, n, "Content-Type", r->content_type, sizeof(r->content_type));
	copy_header(line, n, "Allow", r->allow, sizeof(r->allow));
	copy_header(line, n, "ETag", r->etag, sizeof(r->etag));
	copy_header(line, n, "Location", r->location, sizeof(r->location));
	copy_header(line, n, "WWW-Authenticate", r->www_authenticate, sizeof(r->www_authenticate));
	copy_header(line, n, "Idempotent-Replayed", r->replayed, sizeof(r->replayed));
	copy_header(line, n, "Retry-After", r->retry_after, sizeof(r->retry_after));
	return n;
}

static int has_auth(const char *const *headers)
{
	for (; headers && *headers; headers++)
		if (strncasecmp(*headers, "Authorization:", 14) == 0)
			return 1;
	return 0;
}

int th_request(const th_host *h, const char *method, const char *path, const char *body,
	       const char *const *headers, th_resp *out)
{
	struct curl_slist *hl = NULL;
	char auth[200];
	char url[1024];
	CURL *c = curl_easy_init();
	CURLcode rc;

	memset(out, 0, sizeof(*out));
	snprintf(url, sizeof(url), "%s%s", h->url, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	if (strcmp(method, "HEAD") == 0)
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	if (body) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		hl = curl_slist_append(hl, "Content-Type: application/json");
	}
	if (!has_auth(headers) && h->token[0]) {
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", h->token);
		hl = curl_slist_append(hl, auth);
	}
	for (; headers && *headers; headers++)
		hl = curl_slist_append(hl, *headers);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, out);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	rc = curl_easy_perform(c);
	if (rc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
	curl_slist_free_all(hl);
	curl_easy_cleanup(c);
	if (out->body)
		out->json = json_tokener_parse(out->body);
	return rc == CURLE_OK ? 0 : -1;
}

int th_request_as(const th_host *h, const char *token, const char *method, const char *path,
		  const char *body, th_resp *out)
{
	char auth[200];
	const char *headers[2] = {auth, NULL};

	if (token)
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
	else
		snprintf(auth, sizeof(auth), "Authorization:");
	return th_request(h, method, path, body, headers, out);
}

int th_cli(const th_host *h, const char *args, char *out, size_t outlen)
{
	char cmd[1024];
	FILE *p;
	int status;

	snprintf(cmd, sizeof(cmd), "%s %s --data-dir '%s'", CH_TEST_CONNHUB, args, h->data_dir);
	p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	out[0] = '\0';
	if (fgets(out, (int)outlen, p))
		out[strcspn(out, "\n")] = '\0';
	status = pclose(p);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

void th_resp_free(th_resp *r)
{
	free(r->body);
	json_object_put(r->json);
	memset(r, 0, sizeof(*r));
}

const char *th_str(json_object *obj, const char *key)
{
	json_object *v = NULL;

	if (!json_object_object_get_ex(obj, key, &v))
		return NULL;
	return json_object_get_string(v);
}

/* The arguments @p pid was started with (from /proc), NULL-terminated, in
 * @p buf; returns their count. */
static int read_cmdline(pid_t pid, char *buf, size_t len, char **argv, int max)
{
	char path[64];
	size_t n;
	int argc = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	f = fopen(path, "r");
	ck_assert_msg(f != NULL, "cannot read %s", path);
	n = fread(buf, 1, len - 1, f);
	fclose(f);
	ck_assert_msg(n > 0 && n < len - 1, "unexpected %s (%zu bytes)", path, n);
	buf[n] = '\0';
	for (size_t i = 0; i < n && argc < max - 1; i += strlen(buf + i) + 1)
		argv[argc++] = buf + i;
	argv[argc] = NULL;
	return argc;
}

void th_restart(th_host *h)
{
	const char *prefix = "connhub listening on ";
	char args[8192], line[200] = "", *argv[64];
	posix_spawn_file_actions_t fa;
	int fds[2], status = 0, rc;

	ck_assert_int_gt(h->pid, 0);
	read_cmdline(h->pid, args, sizeof(args), argv, 64);
	kill(h->pid, SIGTERM);
	waitpid(h->pid, &status, 0);
	h->pid = 0;
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "the host did not exit 0 on SIGTERM (status 0x%x)", status);
	ck_assert_int_eq(pipe(fds), 0);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO);
	posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, h->log_path,
					 O_WRONLY | O_CREAT | O_APPEND, 0600);
	rc = posix_spawn(&h->pid, CH_TEST_CONNHUB, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(fds[1]);
	ck_assert_msg(rc == 0, "posix_spawn %s: %s", CH_TEST_CONNHUB, strerror(rc));
	/* Only the URL line: a host whose database has an account prints no
	 * token, and waiting for a second line would wait until it exits. */
	if (read_line(fds[0], line, sizeof(line)) != 0 || strncmp(line, prefix, strlen(prefix)) != 0) {
		close(fds[0]);
		th_dump_log(h);
		ck_abort_msg("the restarted host did not print its URL (got \"%s\")", line);
	}
	snprintf(h->url, sizeof(h->url), "%s", line + strlen(prefix));
	close(fds[0]);
}

int th_run_suite(Suite *s)
{
	int rc;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = ch_check_run(s);
	curl_global_cleanup();
	return rc;
}

/* --- one host shared by a program's tests ------------------------------------ */

static struct {
	th_host *host;
	const char *plugins_dir;
	void (*seed)(void);
	int exit_status;
} shared;

static void shared_start(void)
{
	th_start(shared.host, shared.plugins_dir, NULL);
	if (shared.seed)
		shared.seed();
}

/* In the runner (unchecked fixture): the status is judged in
 * th_run_shared(). */
static void shared_stop(void)
{
	shared.exit_status = th_stop(shared.host);
	if (shared.exit_status != 0)
		fprintf(stderr, "the host exited with %d on SIGTERM\n", shared.exit_status);
}

int th_run_shared(const char *name, const TTest *const *tests, th_host *h,
		  const char *plugins_dir, void (*seed)(void), double timeout)
{
	int rc;

	shared.host = h;
	shared.plugins_dir = plugins_dir;
	shared.seed = seed;
	shared.exit_status = 0;
	rc = th_run_suite(ch_check_suite_shared(name, tests, shared_start, shared_stop, timeout));
	return rc == EXIT_SUCCESS && shared.exit_status == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

int th_connect_from(const th_host *h, const char *from)
{
	const char *colon = strrchr(h->url, ':');
	struct sockaddr_in sa = {.sin_family = AF_INET}, src = {.sin_family = AF_INET};
	int fd;

	if (!colon)
		return -1;
	sa.sin_port = htons((uint16_t)strtoul(colon + 1, NULL, 10));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if ((from && (inet_pton(AF_INET, from, &src.sin_addr) != 1 ||
		      bind(fd, (struct sockaddr *)&src, sizeof(src)) != 0)) ||
	    connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

int th_connect(const th_host *h)
{
	return th_connect_from(h, NULL);
}

int th_send(int fd, const char *data)
{
	size_t len = strlen(data), off = 0;

	while (off < len) {
		ssize_t n = send(fd, data + off, len - off, MSG_NOSIGNAL);

		if (n <= 0)
			return -1;
		off += (size_t)n;
	}
	return 0;
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

size_t th_read(int fd, char *buf, size_t len, int timeout_ms, const char *until, long *eof_ms)
{
	long start = now_ms();
	size_t used = 0;
	char sink[4096];

	if (eof_ms)
		*eof_ms = -1;
	buf[0] = '\0';
	while (!until || !strstr(buf, until)) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		long left = timeout_ms - (now_ms() - start);
		int room = used + 1 < len;
		ssize_t n;

		if (left <= 0 || poll(&p, 1, (int)left) <= 0)
			break;
		n = recv(fd, room ? buf + used : sink, room ? len - 1 - used : sizeof(sink), 0);
		if (n <= 0) {
			if (eof_ms)
				*eof_ms = now_ms() - start;
			break;
		}
		if (room)
			used += (size_t)n;
		buf[used] = '\0';
	}
	return used;
}
