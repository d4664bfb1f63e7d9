/*
 * The HTTP layer on libmicrohttpd: a request as the API handlers see it,
 * the response they fill, and the server that runs them (thread pool +
 * epoll, bounded connections, bodies and time).
 */
#ifndef CH_HTTP_H
#define CH_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#define CH_HTTP_MAX_PARAMS 8
#define CH_HTTP_MAX_HEADERS 8

struct MHD_Connection;

/* libmicrohttpd's per-connection memory: the request line, the headers
 * and the read buffer must fit in it, or it answers 431 itself. Its default
 * of 32 KiB refuses headers past about 16 KiB, below what browsers and
 * proxies send with big cookies or tokens; 64 KiB takes headers of up to
 * about 48 KiB (README, "Running the host"). The benchmark's ceiling server
 * uses it too: libmicrohttpd clears it for every request. */
#define CH_HTTP_CONNECTION_MEMORY (64 * 1024)

typedef struct ch_http_resp ch_http_resp;
typedef struct ch_http_req ch_http_req;

struct ch_http_req {
	struct MHD_Connection *conn;
	const char *method;
	const char *path;
	char *body; /* NUL-terminated; NULL when the request has none */
	size_t body_len;
	size_t body_cap;
	int too_large;
	json_object *json; /* the body parsed, set by the router; NULL if none */
	void *user;        /* the application's per-request data, free()d after */
	char *pathbuf; /* router's copy of path, split into params */
	size_t nparams;
	const char *param_names[CH_HTTP_MAX_PARAMS];
	const char *param_values[CH_HTTP_MAX_PARAMS];
	ch_http_resp *deferred; /* the answer of a deferred handler */
	int deferred_state;     /* 0, 1 running on a worker, 2 done */
	struct ch_http_req *next_job;
};

/** A request handler: fills @p resp. */
typedef void (*ch_http_handler)(void *app, ch_http_req *req, ch_http_resp *resp);

struct ch_http_resp {
	int status;
	json_object *body;        /* owned; NULL for no body */
	char *text;               /* owned: a JSON body already rendered,
	                             answered instead of body (ch_http_text) */
	size_t text_len;
	const char *content_type; /* default application/json */
	size_t nheaders;
	char *header_names[CH_HTTP_MAX_HEADERS];
	char *header_values[CH_HTTP_MAX_HEADERS];
	/* Set (instead of answering) to run a slow handler, one that calls a
	 * plugin, on a worker thread: the connection is suspended meanwhile, so
	 * the server's threads keep serving everyone else. */
	ch_http_handler defer;
	void *defer_app;
};

/** Value of query argument @p key, or NULL. */
const char *ch_http_query(ch_http_req *req, const char *key);

/** Calls @p fn for every query argument, in order; stops when it returns
 *  non-zero and returns that value (0 when it never did). */
int ch_http_query_each(ch_http_req *req, int (*fn)(void *cls, const char *key, const char *value),
		       void *cls);

/** Value of request header @p name, or NULL. */
const char *ch_http_header(ch_http_req *req, const char *name);

/** Value of path parameter {name}, or NULL. */
const char *ch_http_param(const ch_http_req *req, const char *name);

/**
 * Parses the request body as a JSON object. On failure fills @p resp with a
 * 400 problem (with the offset of the syntax error) and returns
 * CH_E_INVALID. An empty body is CH_E_INVALID too unless @p allow_empty,
 * in which case *out is NULL.
 */
int ch_http_body_json(ch_http_req *req, ch_http_resp *resp, int allow_empty, json_object **out);

/** Sets status and JSON body (the reference passes to @p resp). */
void ch_http_json(ch_http_resp *resp, int status, json_object *body);

/** Sets status and a JSON body rendered already: @p text (malloc'd, @p len
 *  bytes) passes to @p resp. */
void ch_http_text(ch_http_resp *resp, int status, char *text, size_t len);

/** The text the body renders to (borrowed from @p resp until it changes;
 *  "" without a body), its length in *@p len. */
const char *ch_http_rendered(ch_http_resp *resp, size_t *len);

/**
 * Sets an RFC 9457 problem document {type, title, status, detail, instance}
 * and returns it so the caller can add members ("errors"). Borrowed.
 */
json_object *ch_http_problem(ch_http_resp *resp, const ch_http_req *req, int status,
			     const char *slug, const char *title, const char *detail);

/** Adds a response header (copied). Silently ignored past the limit. */
void ch_http_add_header(ch_http_resp *resp, const char *name, const char *value);

/** A problem whose status, type and title come from a ch_status code. */
json_object *ch_http_problem_code(ch_http_resp *resp, const ch_http_req *req, int code,
				  const char *detail);

typedef struct ch_http_opts {
	const char *listen;      /* "127.0.0.1:8080", "[::1]:0" */
	unsigned threads;        /* size of the thread pool */
	unsigned conn_limit;     /* open connections in all */
	unsigned per_ip_limit;   /* open connections per client address */
	unsigned timeout_s;      /* idle connection timeout */
	size_t body_limit;       /* largest request body, bytes */
	unsigned workers;        /* threads for deferred (slow) handlers */
} ch_http_opts;

typedef struct ch_http_server ch_http_server;

/**
 * Starts serving. @p handler runs for every complete request.
 * @return CH_OK; CH_E_INVALID for a bad listen address; CH_E_IO when the
 *         socket cannot be bound (message in ch_error_last()).
 */
int ch_http_start(ch_http_server **out, const ch_http_opts *opts, ch_http_handler handler,
		  void *app);

/** The port actually bound (useful with port 0). */
uint16_t ch_http_port(const ch_http_server *srv);

/**
 * Stops accepting, lets requests in flight finish for up to @p drain_ms,
 * then closes every connection and frees the server. NULL is a no-op.
 */
void ch_http_stop(ch_http_server *srv, int drain_ms);

#endif /* CH_HTTP_H */
