/*
 * HTTP servers of the tests' own, for the tests of the bundled http type
 * (the plugin with a fake host, and the API through a real host): two
 * libmicrohttpd servers on free loopback ports, one plain and one speaking
 * TLS with a self-signed certificate for 127.0.0.1 and localhost. Both
 * answer the same paths:
 *   /open/...   200 to anyone, and records the request (hs_last_open())
 *   /basic      200 with user HS_USER, password HS_PASSWORD; else 401
 *   /bearer     200 with token HS_TOKEN; else 401
 *   /apikey     200 with HS_KEY_HEADER: HS_API_KEY; else 401
 *   /forbidden  403
 *   /down       503
 *   /slow       200 after two seconds (sooner when the servers stop)
 *   anything else 404
 * The servers run on threads, so they are started and stopped inside each
 * forked test: hs_start() and hs_stop() are check's checked fixtures.
 */
#ifndef CH_TEST_HTTP_SERVER_H
#define CH_TEST_HTTP_SERVER_H

#define HS_USER "alice"
#define HS_PASSWORD "s3cret-pw"
#define HS_TOKEN "tok-123abc"
#define HS_KEY_HEADER "X-Test-Key"
#define HS_API_KEY "key-456def"

/* What /open saw last (empty strings before any request). */
typedef struct hs_seen {
	char method[16];
	char path[256];
	char query[64]; /* the query parameter "full" */
	char agent[64]; /* User-Agent */
} hs_seen;

/** Unsets the proxy variables curl honours (the servers are direct).
 *  Call it before starting whatever runs curl: the host inherits the
 *  environment when it starts. */
void hs_no_proxy(void);

/** Starts both servers. Aborts the test when they cannot start or
 *  libmicrohttpd has no TLS. */
void hs_start(void);

/** Stops both servers, ending /slow requests early. */
void hs_stop(void);

/** The plain server's port on 127.0.0.1. */
int hs_port(void);

/** The TLS server's port on 127.0.0.1. */
int hs_tls_port(void);

/** A copy of what /open saw last. */
hs_seen hs_last_open(void);

#endif /* CH_TEST_HTTP_SERVER_H */
