/* See http_server.h. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <check.h>
#include <microhttpd.h>

#include "http_server.h"

/* base64(HS_USER ":" HS_PASSWORD) */
#define BASIC_HEADER "Basic YWxpY2U6czNjcmV0LXB3"

/* A self-signed certificate for 127.0.0.1 and localhost, valid until
 * 2126, and its key: for the TLS tests only. */
static const char tls_key[] =
	"-----BEGIN PRIVATE KEY-----\n"
	"MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgz8ybNYz7+TSRyb8+\n"
	"8xnitTNuSq8rJ1GcqTAbQl1FAOahRANCAAQtS7B1fJvnxkj/1nXA3o4jDShQe1Uw\n"
	"9d+Mqaq9w8AJjq4rCwRMPrFZ3wS2kWkQ8aBmUNSaHkNquw3HQIx5QbsG\n"
	"-----END PRIVATE KEY-----\n";
static const char tls_cert[] =
	"-----BEGIN CERTIFICATE-----\n"
	"MIIBmjCCAUGgAwIBAgIUInCZCeUffB9i0Dmvtu4loAp2+W4wCgYIKoZIzj0EAwIw\n"
	"FDESMBAGA1UEAwwJMTI3LjAuMC4xMCAXDTI2MTEyMzE5NDkxMloYDzIxMjYxMDMw\n"
	"MTk0OTEyWjAUMRIwEAYDVQQDDAkxMjcuMC4wLjEwWTATBgcqhkjOPQIBBggqhkjO\n"
	"PQMBBwNCAAQtS7B1fJvnxkj/1nXA3o4jDShQe1Uw9d+Mqaq9w8AJjq4rCwRMPrFZ\n"
	"3wS2kWkQ8aBmUNSaHkNquw3HQIx5QbsGo28wbTAdBgNVHQ4EFgQUzeA8Yd032xB3\n"
	"VdH7Q8n5/pJO38wwHwYDVR0jBBgwFoAUzeA8Yd032xB3VdH7Q8n5/pJO38wwDwYD\n"
	"VR0TAQH/BAUwAwEB/zAaBgNVHREEEzARhwR/AAABgglsb2NhbGhvc3QwCgYIKoZI\n"
	"zj0EAwIDRwAwRAIgTnMMJRitgvDhRZt/swq6OQUTSg2kG51YVDJ6v3X5ApwCIA3o\n"
	"XzBfF0fpd2ELANQwrDYcoXt/MKOHbCPBiFczsnk/\n"
	"-----END CERTIFICATE-----\n";

static struct MHD_Daemon *server;
static struct MHD_Daemon *tls_server;
static int port;
static int tls_port;
static atomic_bool stopping; /* ends /slow early in hs_stop() */

/* What /open saw last. */
static pthread_mutex_t seen_lock = PTHREAD_MUTEX_INITIALIZER;
static hs_seen seen;

static enum MHD_Result answer(struct MHD_Connection *c, unsigned int status)
{
	static const char body[] = "{}";
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_PERSISTENT);
	if (r == NULL)
		return MHD_NO;
	if (status == MHD_HTTP_UNAUTHORIZED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Basic realm=\"t\"");
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

/* Whether the request's header @p name is exactly @p value. */
static bool header_is(struct MHD_Connection *c, const char *name, const char *value)
{
	const char *got = MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);

	return got != NULL && strcmp(got, value) == 0;
}

static void remember(struct MHD_Connection *c, const char *method, const char *url)
{
	const char *query = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "full");
	const char *agent = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
							MHD_HTTP_HEADER_USER_AGENT);

	pthread_mutex_lock(&seen_lock);
	snprintf(seen.method, sizeof(seen.method), "%s", method);
	snprintf(seen.path, sizeof(seen.path), "%s", url);
	snprintf(seen.query, sizeof(seen.query), "%s", query != NULL ? query : "");
	snprintf(seen.agent, sizeof(seen.agent), "%s", agent != NULL ? agent : "");
	pthread_mutex_unlock(&seen_lock);
}

/* Two seconds, or less when the test is ending. */
static void slowly(void)
{
	struct timespec step = {0, 20 * 1000 * 1000};
	int i;

	for (i = 0; i < 100 && !atomic_load(&stopping); i++)
		nanosleep(&step, NULL);
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
			      const char *method, const char *version, const char *upload,
			      size_t *upload_size, void **req)
{
	(void)cls;
	(void)version;
	(void)upload;
	(void)upload_size;
	(void)req;
	if (strncmp(url, "/open", 5) == 0) {
		remember(c, method, url);
		return answer(c, MHD_HTTP_OK);
	}
	if (strcmp(url, "/basic") == 0)
		return answer(c, header_is(c, "Authorization", BASIC_HEADER) ? 200 : 401);
	if (strcmp(url, "/bearer") == 0)
		return answer(c, header_is(c, "Authorization", "Bearer " HS_TOKEN) ? 200 : 401);
	if (strcmp(url, "/apikey") == 0)
		return answer(c, header_is(c, HS_KEY_HEADER, HS_API_KEY) ? 200 : 401);
	if (strcmp(url, "/forbidden") == 0)
		return answer(c, MHD_HTTP_FORBIDDEN);
	if (strcmp(url, "/down") == 0)
		return answer(c, MHD_HTTP_SERVICE_UNAVAILABLE);
	if (strcmp(url, "/slow") == 0) {
		slowly();
		return answer(c, MHD_HTTP_OK);
	}
	return answer(c, MHD_HTTP_NOT_FOUND);
}

/* Starts a server on a free loopback port; TLS when @p tls. */
static struct MHD_Daemon *start(bool tls, int *bound)
{
	struct sockaddr_in addr;
	struct MHD_Daemon *d;
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION;
	const union MHD_DaemonInfo *info;

	memset(&addr, 0, sizeof(addr));
	addr.sin_family = AF_INET;
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (tls)
		d = MHD_start_daemon(flags | MHD_USE_TLS, 0, NULL, NULL, handle, NULL,
				     MHD_OPTION_SOCK_ADDR, &addr,
				     MHD_OPTION_HTTPS_MEM_KEY, tls_key,
				     MHD_OPTION_HTTPS_MEM_CERT, tls_cert, MHD_OPTION_END);
	else
		d = MHD_start_daemon(flags, 0, NULL, NULL, handle, NULL,
				     MHD_OPTION_SOCK_ADDR, &addr, MHD_OPTION_END);
	ck_assert_msg(d != NULL, "cannot start the %s test server", tls ? "TLS" : "HTTP");
	info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	ck_assert_ptr_nonnull(info);
	*bound = info->port;
	ck_assert_int_gt(*bound, 0);
	return d;
}

void hs_no_proxy(void)
{
	static const char *const proxies[] = {"http_proxy", "https_proxy", "all_proxy",
					      "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", NULL};
	size_t i;

	for (i = 0; proxies[i] != NULL; i++)
		unsetenv(proxies[i]);
}

void hs_start(void)
{
	atomic_store(&stopping, false);
	pthread_mutex_lock(&seen_lock);
	memset(&seen, 0, sizeof(seen));
	pthread_mutex_unlock(&seen_lock);
	ck_assert_msg(MHD_is_feature_supported(MHD_FEATURE_TLS) == MHD_YES,
		      "libmicrohttpd was built without TLS");
	server = start(false, &port);
	tls_server = start(true, &tls_port);
}

void hs_stop(void)
{
	atomic_store(&stopping, true);
	MHD_stop_daemon(tls_server);
	MHD_stop_daemon(server);
	tls_server = server = NULL;
}

int hs_port(void)
{
	return port;
}

int hs_tls_port(void)
{
	return tls_port;
}

hs_seen hs_last_open(void)
{
	hs_seen copy;

	pthread_mutex_lock(&seen_lock);
	copy = seen;
	pthread_mutex_unlock(&seen_lock);
	return copy;
}
