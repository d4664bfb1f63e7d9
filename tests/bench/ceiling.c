/*
 * The ceiling server of the benchmark (tools/bench): libmicrohttpd with the
 * host's thread model and options (core/http/server.c: an epoll internal
 * thread pool with an inter-thread channel, the same connection limits,
 * timeout and memory, the body read and the answer given on a later
 * handler call) that
 * answers every method and path with one fixed JSON body of about 300
 * bytes. No routing, no authentication, no database: the fastest any API on
 * this machine can answer through libmicrohttpd, measured in the same run
 * as the host so the ratio of the two means something.
 *
 *   bench_ceiling [--listen PORT] [--threads N] [--max-connections N]
 *                 [--max-connections-per-ip N] [--connection-timeout S]
 *
 * Prints "ceiling listening on http://127.0.0.1:PORT" on standard output
 * (port 0, the default, picks a free one) and serves until SIGTERM/SIGINT.
 * The defaults are the host's: threads = number of CPUs (at least 2), 1024
 * connections, 256 per address, 30 s timeout.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <microhttpd.h>

#include "http/http.h" /* CH_HTTP_CONNECTION_MEMORY */

/* About 300 bytes, shaped like a connector answer. */
static const char body[] =
	"{\"id\":\"con_aaaaaaaaaaaaaaaaaaaaaaaaaa\",\"name\":\"ceiling\",\"type\":\"sqlite\","
	"\"type_version\":\"1.0.0\",\"status\":\"CONFIGURED\",\"config\":{\"path\":\"/tmp/bench.db\","
	"\"mode\":\"create\"},\"timezone\":\"UTC\",\"date_format\":\"YYYY-MM-DD\","
	"\"revision\":1,\"created_at\":\"2026-01-01T00:00:00.000Z\",\"updated_at\":"
	"\"2026-01-01T00:00:00.000Z\"}";

/* Per request state, like the host's ch_http_req: a marker that the first
 * call happened and a count of body bytes (the body is read and dropped). */
typedef struct req {
	size_t body_len;
} req;

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)c;
	(void)toe;
	free(*con_cls);
	*con_cls = NULL;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version, const char *data,
				  size_t *data_size, void **con_cls)
{
	req *r = *con_cls;
	struct MHD_Response *resp;
	enum MHD_Result ret;

	(void)cls;
	(void)url;
	(void)method;
	(void)version;
	(void)data;
	if (!r) {
		r = calloc(1, sizeof(*r));
		if (!r)
			return MHD_NO;
		*con_cls = r;
		/* As the host: answering on the first call would make
		 * libmicrohttpd close the connection. */
		return MHD_YES;
	}
	if (*data_size) {
		r->body_len += *data_size;
		*data_size = 0;
		return MHD_YES;
	}
	/* A response per request, as the host makes one (it copies its
	 * serialised JSON; this one points at the constant). */
	resp = MHD_create_response_from_buffer(sizeof(body) - 1, (void *)body,
					       MHD_RESPMEM_PERSISTENT);
	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	ret = MHD_queue_response(c, MHD_HTTP_OK, resp);
	MHD_destroy_response(resp);
	return ret;
}

static unsigned opt_uint(const char *name, const char *v)
{
	char *end = NULL;
	unsigned long n;

	errno = 0;
	n = strtoul(v ? v : "", &end, 10);
	if (!v || !*v || *end || errno || n > 1000000) {
		fprintf(stderr, "bench_ceiling: %s wants a whole number\n", name);
		exit(2);
	}
	return (unsigned)n;
}

int main(int argc, char **argv)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned port = 0, threads = cpus > 2 ? (unsigned)cpus : 2, conn_limit = 1024,
		 per_ip = 256, timeout_s = 30;
	struct sockaddr_in sa;
	struct MHD_Daemon *d;
	const union MHD_DaemonInfo *info;
	sigset_t set;
	int sig = 0;

	for (int i = 1; i < argc; i++) {
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(argv[i], "--listen") == 0)
			port = opt_uint(argv[i], v);
		else if (strcmp(argv[i], "--threads") == 0)
			threads = opt_uint(argv[i], v);
		else if (strcmp(argv[i], "--max-connections") == 0)
			conn_limit = opt_uint(argv[i], v);
		else if (strcmp(argv[i], "--max-connections-per-ip") == 0)
			per_ip = opt_uint(argv[i], v);
		else if (strcmp(argv[i], "--connection-timeout") == 0)
			timeout_s = opt_uint(argv[i], v);
		else {
			fprintf(stderr, "usage: bench_ceiling [--listen PORT] [--threads N] "
					"[--max-connections N] [--max-connections-per-ip N] "
					"[--connection-timeout S]\n");
			return 2;
		}
		i++;
	}
	if (port > 65535 || threads == 0) {
		fprintf(stderr, "bench_ceiling: bad port or thread count\n");
		return 2;
	}

	/* Signals go to sigwait() in this thread only, as in the host. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	d = MHD_start_daemon(MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ITC | MHD_USE_ERROR_LOG, 0,
			     NULL, NULL, on_request, NULL,
			     MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
			     MHD_OPTION_THREAD_POOL_SIZE, threads,
			     MHD_OPTION_CONNECTION_LIMIT, conn_limit,
			     MHD_OPTION_PER_IP_CONNECTION_LIMIT, per_ip,
			     MHD_OPTION_CONNECTION_TIMEOUT, timeout_s,
			     MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CH_HTTP_CONNECTION_MEMORY,
			     MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
			     MHD_OPTION_END);
	if (!d) {
		fprintf(stderr, "bench_ceiling: cannot listen on 127.0.0.1:%u: %s\n", port,
			strerror(errno));
		return 1;
	}
	info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	printf("ceiling listening on http://127.0.0.1:%u\n", info ? info->port : port);
	fflush(stdout);
	sigwait(&set, &sig);
	MHD_stop_daemon(d);
	return 0;
}
