#include "http.h"

#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>

#include "clock.h"
#include "error.h"
#include "listen.h"
#include "log.h"

struct ch_http_server {
	struct MHD_Daemon *daemon;
	ch_http_handler handler;
	void *app;
	size_t body_limit;
	uint16_t port;
	pthread_mutex_t lock;
	pthread_cond_t idle;
	unsigned inflight; /* requests begun and not completed */
	/* workers for deferred handlers */
	pthread_mutex_t jobs_lock;
	pthread_cond_t jobs_cv;
	ch_http_req *jobs_head, *jobs_tail;
	int stopping;
	unsigned nworkers;
	pthread_t *workers;
};

/* --- requests ------------------------------------------------------------- */

static ch_http_req *req_new(ch_http_server *srv, struct MHD_Connection *c, const char *url,
			    const char *method)
{
	ch_http_req *req = calloc(1, sizeof(*req));

	if (!req)
		return NULL;
	req->conn = c;
	req->method = method;
	req->path = url;
	pthread_mutex_lock(&srv->lock);
	srv->inflight++;
	pthread_mutex_unlock(&srv->lock);
	return req;
}

static void resp_free(ch_http_resp *resp);

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	ch_http_server *srv = cls;
	ch_http_req *req = *con_cls;

	(void)c;
	(void)toe;
	if (!req)
		return;
	if (req->deferred) {
		resp_free(req->deferred);
		free(req->deferred);
	}
	free(req->body);
	json_object_put(req->json);
	free(req->user);
	free(req->pathbuf);
	free(req);
	*con_cls = NULL;
	pthread_mutex_lock(&srv->lock);
	if (--srv->inflight == 0)
		pthread_cond_broadcast(&srv->idle);
	pthread_mutex_unlock(&srv->lock);
}

/* Appends upload data, or marks the request too large (and drops it). */
static void body_append(ch_http_server *srv, ch_http_req *req, const char *data, size_t n)
{
	size_t need = req->body_len + n + 1;

	if (req->too_large || req->body_len + n > srv->body_limit) {
		req->too_large = 1;
		return;
	}
	if (need > req->body_cap) {
		size_t cap = req->body_cap ? req->body_cap : 1024;
		char *p;

		while (cap < need)
			cap *= 2;
		p = realloc(req->body, cap);
		if (!p) {
			req->too_large = 1;
			return;
		}
		req->body = p;
		req->body_cap = cap;
	}
	memcpy(req->body + req->body_len, data, n);
	req->body_len += n;
	req->body[req->body_len] = '\0';
}

const char *ch_http_query(ch_http_req *req, const char *key)
{
	return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, key);
}

struct query_walk {
	int (*fn)(void *cls, const char *key, const char *value);
	void *cls;
	int result;
};

static enum MHD_Result query_step(void *cls, enum MHD_ValueKind kind, const char *key,
				  const char *value)
{
	struct query_walk *w = cls;

	(void)kind;
	w->result = w->fn(w->cls, key, value);
	return w->result ? MHD_NO : MHD_YES;
}

int ch_http_query_each(ch_http_req *req, int (*fn)(void *cls, const char *key, const char *value),
		       void *cls)
{
	struct query_walk w = {fn, cls, 0};

	MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND, query_step, &w);
	return w.result;
}

const char *ch_http_header(ch_http_req *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

const char *ch_http_param(const ch_http_req *req, const char *name)
{
	for (size_t i = 0; i < req->nparams; i++)
		if (strcmp(req->param_names[i], name) == 0)
			return req->param_values[i];
	return NULL;
}

/* --- responses ------------------------------------------------------------ */

static void resp_free(ch_http_resp *resp)
{
	json_object_put(resp->body);
	free(resp->text);
	for (size_t i = 0; i < resp->nheaders; i++) {
		free(resp->header_names[i]);
		free(resp->header_values[i]);
	}
}

static enum MHD_Result send_resp(struct MHD_Connection *c, ch_http_resp *resp)
{
	size_t len;
	const char *text = ch_http_rendered(resp, &len);
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(len, (void *)text, MHD_RESPMEM_MUST_COPY);
	if (!r)
		return MHD_NO;
	if (resp->body || resp->text)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
					resp->content_type ? resp->content_type : "application/json");
	for (size_t i = 0; i < resp->nheaders; i++)
		MHD_add_response_header(r, resp->header_names[i], resp->header_values[i]);
	ret = MHD_queue_response(c, (unsigned)resp->status, r);
	MHD_destroy_response(r);
	return ret;
}

/* A request body that declares a length over the limit is refused before
 * it is read (libmicrohttpd then closes the connection). */
static int declared_too_large(ch_http_server *srv, struct MHD_Connection *c)
{
	const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
						     MHD_HTTP_HEADER_CONTENT_LENGTH);
	unsigned long long n;
	char *end = NULL;

	if (!cl)
		return 0;
	errno = 0;
	n = strtoull(cl, &end, 10);
	return end != cl && errno == 0 && n > srv->body_limit;
}

static void log_request(ch_http_req *req, int status, int64_t t0)
{
	ch_log_debug("%s %s -> %d (%lld ms)", req->method, req->path, status,
		     (long long)(ch_clock_mono_ms() - t0));
}

/* Queues a deferred handler for the workers; the connection waits
 * suspended until a worker resumes it. */
static enum MHD_Result defer(ch_http_server *srv, ch_http_req *req, ch_http_resp *resp)
{
	req->deferred = malloc(sizeof(*resp));
	if (!req->deferred)
		return MHD_NO;
	*req->deferred = *resp;
	req->deferred_state = 1;
	MHD_suspend_connection(req->conn);
	pthread_mutex_lock(&srv->jobs_lock);
	if (srv->jobs_tail)
		srv->jobs_tail->next_job = req;
	else
		srv->jobs_head = req;
	srv->jobs_tail = req;
	pthread_cond_signal(&srv->jobs_cv);
	pthread_mutex_unlock(&srv->jobs_lock);
	return MHD_YES;
}

static void *worker(void *arg)
{
	ch_http_server *srv = arg;

	for (;;) {
		ch_http_req *req;
		ch_http_resp *resp;

		pthread_mutex_lock(&srv->jobs_lock);
		while (!srv->jobs_head && !srv->stopping)
			pthread_cond_wait(&srv->jobs_cv, &srv->jobs_lock);
		req = srv->jobs_head;
		if (req) {
			srv->jobs_head = req->next_job;
			if (!srv->jobs_head)
				srv->jobs_tail = NULL;
		}
		pthread_mutex_unlock(&srv->jobs_lock);
		if (!req)
			return NULL;
		resp = req->deferred;
		resp->defer(resp->defer_app, req, resp);
		resp->defer = NULL;
		req->deferred_state = 2;
		MHD_resume_connection(req->conn);
	}
}

static enum MHD_Result finish(ch_http_server *srv, ch_http_req *req)
{
	ch_http_resp resp = {.status = 500};
	enum MHD_Result ret;
	int64_t t0 = ch_clock_mono_ms();

	if (req->too_large) {
		char detail[128];

		snprintf(detail, sizeof(detail), "the request body is larger than %zu bytes",
			 srv->body_limit);
		ch_http_problem_code(&resp, req, CH_E_TOO_LARGE, detail);
	} else {
		srv->handler(srv->app, req, &resp);
		if (resp.defer && srv->nworkers > 0)
			return defer(srv, req, &resp);
		if (resp.defer)
			resp.defer(resp.defer_app, req, &resp); /* no workers: inline */
	}
	ret = send_resp(req->conn, &resp);
	log_request(req, resp.status, t0);
	resp_free(&resp);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version, const char *data,
				  size_t *data_size, void **con_cls)
{
	ch_http_server *srv = cls;
	ch_http_req *req = *con_cls;

	(void)version;
	if (!req) {
		req = req_new(srv, c, url, method);
		if (!req)
			return MHD_NO;
		*con_cls = req;
		if (declared_too_large(srv, c)) {
			req->too_large = 1;
			return finish(srv, req);
		}
		/* Answer on a later call: answering now makes libmicrohttpd
		 * close the connection instead of keeping it alive. */
		return MHD_YES;
	}
	if (req->deferred_state == 2)
		return send_resp(c, req->deferred);
	if (req->deferred_state == 1)
		return MHD_YES; /* still with a worker */
	if (*data_size) {
		body_append(srv, req, data, *data_size);
		*data_size = 0;
		return MHD_YES;
	}
	return finish(srv, req);
}

/* --- server --------------------------------------------------------------- */

static void mhd_log(void *cls, const char *fmt, va_list ap) CH_PRINTF(2, 0);

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	ch_logv(CH_LOG_WARN, fmt, ap);
}

static int resolve(const char *listen, struct sockaddr_storage *ss)
{
	struct addrinfo hints = {0}, *ai = NULL;
	char host[256], port[16], why[128];
	unsigned portnum = 0;
	int rc;

	if (ch_listen_parse(listen, host, sizeof(host), &portnum, why, sizeof(why)) != CH_OK)
		return ch_error_set(CH_E_INVALID, "listen address \"%s\" %s", listen, why);
	snprintf(port, sizeof(port), "%u", portnum);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	rc = getaddrinfo(host, port, &hints, &ai);
	if (rc != 0)
		return ch_error_set(CH_E_INVALID, "listen address \"%s\": %s", listen,
				    gai_strerror(rc));
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	freeaddrinfo(ai);
	return CH_OK;
}


static struct MHD_Daemon *daemon_start(ch_http_server *srv, const ch_http_opts *o,
				       struct sockaddr_storage *ss)
{
	unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ITC | MHD_USE_ERROR_LOG |
			 MHD_ALLOW_SUSPEND_RESUME;

	if (ss->ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	return MHD_start_daemon(
		flags, 0, NULL, NULL, on_request, srv,
		MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL, /* first, to catch all */
		MHD_OPTION_SOCK_ADDR, (struct sockaddr *)ss,
		MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)(o->threads ? o->threads : 1),
		MHD_OPTION_CONNECTION_LIMIT, (unsigned int)o->conn_limit,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned int)o->per_ip_limit,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)o->timeout_s,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CH_HTTP_CONNECTION_MEMORY,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
		MHD_OPTION_END);
}

static void start_workers(ch_http_server *srv, unsigned n)
{
	srv->workers = calloc(n ? n : 1, sizeof(*srv->workers));
	for (unsigned i = 0; srv->workers && i < n; i++)
		if (pthread_create(&srv->workers[srv->nworkers], NULL, worker, srv) == 0)
			srv->nworkers++;
}

static void stop_workers(ch_http_server *srv)
{
	pthread_mutex_lock(&srv->jobs_lock);
	srv->stopping = 1;
	pthread_cond_broadcast(&srv->jobs_cv);
	pthread_mutex_unlock(&srv->jobs_lock);
	for (unsigned i = 0; i < srv->nworkers; i++)
		pthread_join(srv->workers[i], NULL);
	free(srv->workers);
	srv->workers = NULL;
	srv->nworkers = 0;
}

int ch_http_start(ch_http_server **out, const ch_http_opts *o, ch_http_handler handler, void *app)
{
	struct sockaddr_storage ss = {0};
	const union MHD_DaemonInfo *info;
	ch_http_server *srv;
	int rc;

	*out = NULL;
	rc = resolve(o->listen, &ss);
	if (rc != CH_OK)
		return rc;
	srv = calloc(1, sizeof(*srv));
	if (!srv)
		return CH_E_NOMEM;
	srv->handler = handler;
	srv->app = app;
	srv->body_limit = o->body_limit;
	pthread_mutex_init(&srv->lock, NULL);
	pthread_cond_init(&srv->idle, NULL);
	pthread_mutex_init(&srv->jobs_lock, NULL);
	pthread_cond_init(&srv->jobs_cv, NULL);
	start_workers(srv, o->workers);
	srv->daemon = daemon_start(srv, o, &ss);
	if (!srv->daemon) {
		ch_http_stop(srv, 0);
		return ch_error_set(CH_E_IO, "cannot listen on %s: %s", o->listen, strerror(errno));
	}
	info = MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_BIND_PORT);
	srv->port = info ? info->port : 0;
	*out = srv;
	return CH_OK;
}

uint16_t ch_http_port(const ch_http_server *srv)
{
	return srv->port;
}

static void drain(ch_http_server *srv, int drain_ms)
{
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += drain_ms / 1000;
	until.tv_nsec += (long)(drain_ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&srv->lock);
	while (srv->inflight > 0)
		if (pthread_cond_timedwait(&srv->idle, &srv->lock, &until) != 0)
			break;
	if (srv->inflight > 0)
		ch_log_warn("stopping with %u request(s) still in flight", srv->inflight);
	pthread_mutex_unlock(&srv->lock);
}

void ch_http_stop(ch_http_server *srv, int drain_ms)
{
	if (!srv)
		return;
	if (srv->daemon) {
		MHD_socket fd = MHD_quiesce_daemon(srv->daemon);

		/* New connections are refused from here on (a listening socket
		 * shut down stops listening); it is closed only at the end. */
		if (fd != MHD_INVALID_SOCKET)
			shutdown(fd, SHUT_RDWR);
		if (drain_ms > 0)
			drain(srv, drain_ms);
		/* Workers finish the jobs they hold (plugin deadlines bound
		 * them) and resume those connections before the daemon stops. */
		stop_workers(srv);
		MHD_stop_daemon(srv->daemon);
		/* Only now: each of the daemon's threads takes the socket out of
		 * its epoll set when it wakes up to the quiesce, and aborts the
		 * process ("Failed to remove listen FD from epoll set") if the
		 * socket is closed by then. */
		if (fd != MHD_INVALID_SOCKET)
			close(fd);
	}
	stop_workers(srv);
	pthread_cond_destroy(&srv->jobs_cv);
	pthread_mutex_destroy(&srv->jobs_lock);
	pthread_cond_destroy(&srv->idle);
	pthread_mutex_destroy(&srv->lock);
	free(srv);
}
