/*
 * The "http" connector type: an HTTP(S) API, checked with libcurl.
 *
 * Built only against the SDK, like a third party's plugin. Operations:
 *   setup    "endpoint" → "auth" → "basic" | "bearer" | "api_key" (the
 *            fields of the chosen kind; none skips it) → "health"
 *   test     GET base_url + health_path with the configured credentials;
 *            valid when the status is the expected one
 * There is no refresh: the type keeps nothing in the cache.
 *
 * Threads: every call makes its own curl easy handle, so calls may run at
 * once on several threads. libcurl's global initialisation runs once,
 * lazily, from the first test (pthread_once), and is undone when the
 * plugin is unloaded (a destructor); see ht_global_init().
 *
 * Secrets (password, token, api_key) never appear in a message or a log
 * line: messages show the URL without its query and are scrubbed of every
 * secret of the configuration.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include <connhub/sdk.h>

#define HT_VERSION "1.0.0"
#define HT_USER_AGENT "connhub-http/" HT_VERSION
#define HT_STATUS_DEFAULT 200
#define HT_TIMEOUT_DEFAULT_MS 10000
#define HT_TIMEOUT_MIN_MS 100
#define HT_TIMEOUT_MAX_MS 120000

/* --- metadata ---------------------------------------------------------- */

static const char ht_config_schema[] =
	"{\"$schema\":\"https://json-schema.org/draft/2020-12/schema\","
	"\"type\":\"object\","
	"\"title\":\"HTTP API\","
	"\"required\":[\"base_url\",\"auth\"],"
	"\"properties\":{"
	"\"base_url\":{\"type\":\"string\",\"format\":\"uri\","
	"\"pattern\":\"^[Hh][Tt][Tt][Pp][Ss]?://\",\"title\":\"Base URL\","
	"\"description\":\"http:// or https:// URL the API lives under, without "
	"credentials.\"},"
	"\"auth\":{\"type\":\"string\",\"enum\":[\"none\",\"basic\",\"bearer\",\"api_key\"],"
	"\"title\":\"Authentication\"},"
	"\"user\":{\"type\":\"string\",\"minLength\":1,\"title\":\"User\"},"
	"\"password\":{\"type\":\"string\",\"writeOnly\":true,\"format\":\"password\","
	"\"title\":\"Password\"},"
	"\"token\":{\"type\":\"string\",\"minLength\":1,\"writeOnly\":true,"
	"\"format\":\"password\",\"title\":\"Bearer token\"},"
	"\"header_name\":{\"type\":\"string\",\"pattern\":\"^[-A-Za-z0-9!#$%&'*+.^_`|~]+$\","
	"\"default\":\"X-API-Key\",\"title\":\"API key header\"},"
	"\"api_key\":{\"type\":\"string\",\"minLength\":1,\"writeOnly\":true,"
	"\"format\":\"password\",\"title\":\"API key\"},"
	"\"health_path\":{\"type\":\"string\",\"pattern\":\"^/\",\"default\":\"/\","
	"\"title\":\"Health path\"},"
	"\"expected_status\":{\"type\":\"integer\",\"minimum\":100,\"maximum\":599,"
	"\"default\":200,\"title\":\"Expected status\"},"
	"\"timeout_ms\":{\"type\":\"integer\",\"minimum\":100,\"maximum\":120000,"
	"\"default\":10000,\"title\":\"Timeout (ms)\"},"
	"\"verify_tls\":{\"type\":\"boolean\",\"default\":true,"
	"\"title\":\"Verify TLS certificates\"}},"
	"\"allOf\":["
	"{\"if\":{\"properties\":{\"auth\":{\"const\":\"basic\"}},\"required\":[\"auth\"]},"
	"\"then\":{\"required\":[\"user\",\"password\"]}},"
	"{\"if\":{\"properties\":{\"auth\":{\"const\":\"bearer\"}},\"required\":[\"auth\"]},"
	"\"then\":{\"required\":[\"token\"]}},"
	"{\"if\":{\"properties\":{\"auth\":{\"const\":\"api_key\"}},\"required\":[\"auth\"]},"
	"\"then\":{\"required\":[\"header_name\",\"api_key\"]}}],"
	"\"additionalProperties\":false}";

static const char *const ht_categories[] = {"api", "web", NULL};

static const char *const ht_auth_names[] = {"none", "basic", "bearer", "api_key", NULL};

/* --- setup ------------------------------------------------------------- */

static const ch_field ht_endpoint_fields[] = {
	{
		.key = "base_url",
		.label = "Base URL",
		.widget = CH_WIDGET_TEXT,
		.help = "The http:// or https:// URL the API lives under, without "
			"credentials.",
		.placeholder = "https://api.example.com/v1",
		.required = true,
		.schema = "{\"type\":\"string\",\"format\":\"uri\","
			  "\"pattern\":\"^[Hh][Tt][Tt][Pp][Ss]?://\"}",
	},
};

static const ch_field ht_auth_fields[] = {
	{
		.key = "auth",
		.label = "Authentication",
		.widget = CH_WIDGET_SELECT,
		.help = "none sends no credentials; basic a user name and password; "
			"bearer a token; api_key a key in a header of your choice.",
		.required = true,
		.options = ht_auth_names,
		.default_json = "\"none\"",
	},
};

static const ch_field ht_basic_fields[] = {
	{
		.key = "user",
		.label = "User",
		.widget = CH_WIDGET_TEXT,
		.help = "The user name for HTTP basic authentication.",
		.required = true,
		.schema = "{\"type\":\"string\",\"minLength\":1}",
	},
	{
		.key = "password",
		.label = "Password",
		.widget = CH_WIDGET_PASSWORD,
		.help = "The password. It is stored encrypted and never shown again.",
		.required = true,
	},
};

static const ch_field ht_bearer_fields[] = {
	{
		.key = "token",
		.label = "Bearer token",
		.widget = CH_WIDGET_PASSWORD,
		.help = "Sent as \"Authorization: Bearer <token>\". It is stored "
			"encrypted and never shown again.",
		.required = true,
		.schema = "{\"type\":\"string\",\"minLength\":1}",
	},
};

static const ch_field ht_api_key_fields[] = {
	{
		.key = "header_name",
		.label = "Header",
		.widget = CH_WIDGET_TEXT,
		.help = "The request header that carries the key.",
		.placeholder = "X-API-Key",
		.required = true,
		.schema = "{\"type\":\"string\",\"pattern\":\"^[-A-Za-z0-9!#$%&'*+.^_`|~]+$\"}",
		.default_json = "\"X-API-Key\"",
	},
	{
		.key = "api_key",
		.label = "API key",
		.widget = CH_WIDGET_PASSWORD,
		.help = "The key. It is stored encrypted and never shown again.",
		.required = true,
		.schema = "{\"type\":\"string\",\"minLength\":1}",
	},
};

static const ch_field ht_health_fields[] = {
	{
		.key = "health_path",
		.label = "Health path",
		.widget = CH_WIDGET_TEXT,
		.help = "Path under the base URL that test requests with GET, "
			"optionally with a ?query.",
		.placeholder = "/health",
		.schema = "{\"type\":\"string\",\"pattern\":\"^/\"}",
		.default_json = "\"/\"",
	},
	{
		.key = "expected_status",
		.label = "Expected status",
		.widget = CH_WIDGET_NUMBER,
		.help = "The HTTP status a healthy API answers (100 to 599).",
		.schema = "{\"type\":\"integer\",\"minimum\":100,\"maximum\":599}",
		.default_json = "200",
	},
	{
		.key = "timeout_ms",
		.label = "Timeout (ms)",
		.widget = CH_WIDGET_NUMBER,
		.help = "How long the whole request may take (100 to 120000 ms).",
		.schema = "{\"type\":\"integer\",\"minimum\":100,\"maximum\":120000}",
		.default_json = "10000",
	},
};

/* Shown on the health step of an https:// base URL only. */
static const ch_field ht_tls_fields[] = {
	{
		.key = "verify_tls",
		.label = "Verify TLS certificates",
		.widget = CH_WIDGET_CHECKBOX,
		.help = "Check the server's certificate against the host's trusted "
			"authorities. Turn off only for a test server.",
		.default_json = "true",
	},
};

static const ch_step_def ht_step_endpoint = {
	"endpoint", "Endpoint", "Where the API is.",
	ht_endpoint_fields, CH_SDK_COUNT(ht_endpoint_fields), true, false,
};

static const ch_step_def ht_step_auth = {
	"auth", "Authentication", "How the connector proves who it is to the API.",
	ht_auth_fields, CH_SDK_COUNT(ht_auth_fields), true, false,
};

/* The credential steps, in the order of ht_auth_names after "none". */
static const ch_step_def ht_step_creds[] = {
	{"basic", "Basic authentication", "The user name and password to send.",
	 ht_basic_fields, CH_SDK_COUNT(ht_basic_fields), true, false},
	{"bearer", "Bearer token", "The token to send.",
	 ht_bearer_fields, CH_SDK_COUNT(ht_bearer_fields), true, false},
	{"api_key", "API key", "The key to send, and the header that carries it.",
	 ht_api_key_fields, CH_SDK_COUNT(ht_api_key_fields), true, false},
};

static const ch_step_def ht_step_health = {
	"health", "Health check", "What test requests, and what a healthy API answers.",
	ht_health_fields, CH_SDK_COUNT(ht_health_fields), false, true,
};

/* Whether @p url starts with the scheme @p scheme ("https") and "://". */
static bool ht_has_scheme(const char *url, const char *scheme)
{
	size_t n = strlen(scheme);

	return url != NULL && strncasecmp(url, scheme, n) == 0 && strncmp(url + n, "://", 3) == 0;
}

/* The health step; it offers verify_tls when the base URL is https. */
static int ht_health_step(ch_call *call, json_object *answers, json_object **out)
{
	if (ht_has_scheme(ch_sdk_str(answers, "base_url", NULL), "https"))
		return ch_sdk_step_make(call, &ht_step_health, ht_tls_fields,
					CH_SDK_COUNT(ht_tls_fields), out);
	return ch_sdk_step_make(call, &ht_step_health, NULL, 0, out);
}

/* After the auth step: the chosen kind's credentials, or the health step
 * when there are none. */
static int ht_after_auth(ch_call *call, json_object *answers, json_object **out)
{
	const char *auth = ch_sdk_str(answers, "auth", NULL);
	size_t i;

	*out = NULL;
	if (auth != NULL && strcmp(auth, "none") == 0)
		return ht_health_step(call, answers, out);
	for (i = 0; auth != NULL && i < CH_SDK_COUNT(ht_step_creds); i++) {
		if (strcmp(auth, ht_step_creds[i].id) == 0)
			return ch_sdk_step_make(call, &ht_step_creds[i], NULL, 0, out);
	}
	return ch_sdk_fail(call, CH_E_INVALID,
			   "answer \"auth\" must be one of none, basic, bearer, api_key");
}

/* Whether @p id names one of the credential steps. */
static bool ht_is_cred_step(const char *id)
{
	size_t i;

	for (i = 0; i < CH_SDK_COUNT(ht_step_creds); i++) {
		if (strcmp(id, ht_step_creds[i].id) == 0)
			return true;
	}
	return false;
}

/* The step that follows the one called @p answered (NULL: the first). */
static int ht_step_next(ch_call *call, const char *answered, json_object *answers,
			json_object **out)
{
	*out = NULL;
	if (answered == NULL)
		return ch_sdk_step_make(call, &ht_step_endpoint, NULL, 0, out);
	if (strcmp(answered, ht_step_endpoint.id) == 0)
		return ch_sdk_step_make(call, &ht_step_auth, NULL, 0, out);
	if (strcmp(answered, ht_step_auth.id) == 0)
		return ht_after_auth(call, answers, out);
	if (ht_is_cred_step(answered))
		return ht_health_step(call, answers, out);
	if (strcmp(answered, ht_step_health.id) == 0)
		return ch_sdk_fail(call, CH_E_INVALID,
				   "setup step \"health\" is the last one: finish the setup");
	return ch_sdk_fail(call, CH_E_INVALID, "unknown setup step \"%s\"", answered);
}

static int ht_setup(ch_call *call, const char *in, char **out)
{
	return ch_sdk_setup(call, in, out, ht_step_next);
}

/* --- configuration ------------------------------------------------------ */

typedef enum ht_auth {
	HT_AUTH_NONE = 0,
	HT_AUTH_BASIC,
	HT_AUTH_BEARER,
	HT_AUTH_API_KEY,
	HT_AUTH_INVALID
} ht_auth;

typedef struct ht_config {
	const char *base_url; /* strings borrowed from the input */
	ht_auth auth;
	const char *user;
	const char *password;
	const char *token;
	const char *header_name;
	const char *api_key;
	const char *health_path;
	long expected_status;
	long timeout_ms;
	bool verify_tls;
} ht_config;

/* Whether @p s holds a control character (a header or URL could be split
 * by CR or LF). */
static bool ht_has_control(const char *s)
{
	for (; *s != '\0'; s++) {
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	}
	return false;
}

/* A string at @p key that goes into a request header: present (and not
 * empty unless @p may_be_empty), without control characters. */
static const char *ht_header_value(json_object *config, const char *key, bool may_be_empty,
				   ch_problems *rep)
{
	const char *value = ch_sdk_str(config, key, NULL);
	char pointer[64];

	snprintf(pointer, sizeof(pointer), "/%s", key);
	if (value == NULL || (value[0] == '\0' && !may_be_empty)) {
		ch_sdk_problem(rep, pointer, "is required");
		return NULL;
	}
	if (ht_has_control(value)) {
		ch_sdk_problem(rep, pointer, "must not contain control characters or line breaks");
		return NULL;
	}
	return value;
}

/* Whether @p name is an HTTP header name (an RFC 9110 token). */
static bool ht_is_token(const char *name)
{
	static const char extra[] = "!#$%&'*+-.^_`|~";

	if (name == NULL || name[0] == '\0')
		return false;
	for (; *name != '\0'; name++) {
		if (!((*name >= 'a' && *name <= 'z') || (*name >= 'A' && *name <= 'Z') ||
		      (*name >= '0' && *name <= '9') || strchr(extra, *name) != NULL))
			return false;
	}
	return true;
}

/* Reads the credentials the auth kind calls for. */
static void ht_config_auth(json_object *config, ht_config *cfg, ch_problems *rep)
{
	const char *auth = ch_sdk_str(config, "auth", NULL);
	size_t i;

	cfg->auth = HT_AUTH_INVALID;
	for (i = 0; auth != NULL && ht_auth_names[i] != NULL; i++) {
		if (strcmp(auth, ht_auth_names[i]) == 0)
			cfg->auth = (ht_auth)i;
	}
	cfg->user = cfg->password = cfg->token = cfg->header_name = cfg->api_key = NULL;
	if (cfg->auth == HT_AUTH_BASIC) {
		cfg->user = ht_header_value(config, "user", false, rep);
		cfg->password = ht_header_value(config, "password", true, rep);
		if (cfg->user != NULL && strchr(cfg->user, ':') != NULL)
			ch_sdk_problem(rep, "/user", "must not contain ':'");
	} else if (cfg->auth == HT_AUTH_BEARER) {
		cfg->token = ht_header_value(config, "token", false, rep);
	} else if (cfg->auth == HT_AUTH_API_KEY) {
		cfg->header_name = ch_sdk_str(config, "header_name", NULL);
		if (cfg->header_name == NULL || cfg->header_name[0] == '\0')
			ch_sdk_problem(rep, "/header_name", "is required");
		else if (!ht_is_token(cfg->header_name))
			ch_sdk_problem(rep, "/header_name", "must be an HTTP header name");
		cfg->api_key = ht_header_value(config, "api_key", false, rep);
	} else if (cfg->auth == HT_AUTH_INVALID) {
		ch_sdk_problem(rep, "/auth",
			       auth == NULL ? "is required"
					    : "must be one of none, basic, bearer, api_key");
	}
}

/* Reads base_url and health_path. */
static void ht_config_url(json_object *config, ht_config *cfg, ch_problems *rep)
{
	cfg->base_url = ch_sdk_str(config, "base_url", NULL);
	cfg->health_path = ch_sdk_str(config, "health_path", "/");
	if (cfg->base_url == NULL || cfg->base_url[0] == '\0')
		ch_sdk_problem(rep, "/base_url", "is required");
	else if (!ht_has_scheme(cfg->base_url, "http") && !ht_has_scheme(cfg->base_url, "https"))
		ch_sdk_problem(rep, "/base_url", "must be an http:// or https:// URL");
	if (cfg->health_path[0] != '/' || ht_has_control(cfg->health_path) ||
	    strpbrk(cfg->health_path, " #") != NULL)
		ch_sdk_problem(rep, "/health_path",
			       "must start with / and hold no spaces, # or control characters");
}

/*
 * Reads the configuration. Returns CH_OK, or CH_E_CONFIG with *res the
 * failed test result listing every problem (NULL when memory ran out).
 */
static int ht_config_read(json_object *config, ht_config *cfg, json_object **res)
{
	ch_problems report = {NULL, 0};
	int64_t status = ch_sdk_int(config, "expected_status", HT_STATUS_DEFAULT);
	int64_t timeout = ch_sdk_int(config, "timeout_ms", HT_TIMEOUT_DEFAULT_MS);

	ht_config_url(config, cfg, &report);
	ht_config_auth(config, cfg, &report);
	cfg->expected_status = (long)status;
	cfg->timeout_ms = (long)timeout;
	cfg->verify_tls = ch_sdk_bool(config, "verify_tls", true);
	if (status < 100 || status > 599)
		ch_sdk_problem(&report, "/expected_status", "must be between 100 and 599");
	if (timeout < HT_TIMEOUT_MIN_MS || timeout > HT_TIMEOUT_MAX_MS)
		ch_sdk_problem(&report, "/timeout_ms", "must be between 100 and 120000");
	*res = report.result;
	return report.count > 0 ? CH_E_CONFIG : CH_OK;
}

/* --- messages ----------------------------------------------------------- */

/* A test result "GET <url>: <reason>" (just the reason when @p shown is
 * NULL): valid when @p type is NULL, else failed of that kind, blaming the
 * configuration field at @p pointer (with @p detail) when there is one.
 * The message is scrubbed of every secret. */
static json_object *ht_result(const ht_config *cfg, const char *shown, const char *type,
			      const char *pointer, const char *detail, const char *reason)
{
	const char *secrets[] = {cfg->password, cfg->token, cfg->api_key};
	/* Sized to fit: a truncation could cut a secret before the scrub. */
	size_t size = (shown != NULL ? strlen(shown) + 6 : 0) + strlen(reason) + 1;
	char *msg = malloc(size);
	char *clean;
	json_object *res;

	if (msg == NULL)
		return NULL;
	if (shown != NULL)
		snprintf(msg, size, "GET %s: %s", shown, reason);
	else
		snprintf(msg, size, "%s", reason);
	clean = ch_sdk_scrub(msg, secrets, CH_SDK_COUNT(secrets));
	free(msg);
	if (clean == NULL)
		return NULL;
	res = ch_sdk_test_result(type == NULL, type, clean);
	free(clean);
	if (pointer != NULL)
		ch_sdk_test_error(res, pointer, detail);
	return res;
}

/* --- the request -------------------------------------------------------- */

static pthread_once_t ht_once = PTHREAD_ONCE_INIT;
static CURLcode ht_global_rc = CURLE_FAILED_INIT;

/*
 * libcurl's global initialisation, once per load of the plugin.
 *
 * Why lazily from the test operation rather than from a constructor: a
 * constructor runs inside dlopen() — also when the host only scans or
 * inspects the plugin — and would set up TLS libraries for nothing, with
 * no way to report a failure (the host API is not known yet). Here a
 * failure becomes the test's system_error through the host. pthread_once
 * makes the first calls on several threads safe; libcurl >= 7.84 makes
 * curl_global_init() itself thread-safe too, for hosts that use libcurl
 * elsewhere.
 */
static void ht_global_init(void)
{
	ht_global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* Balances ht_global_init() when the host dlclose()s the plugin; no call
 * is running then. */
__attribute__((destructor)) static void ht_global_fini(void)
{
	if (ht_global_rc == CURLE_OK)
		curl_global_cleanup();
}

/* The response body is not needed: only its status. */
static size_t ht_discard(char *data, size_t size, size_t n, void *arg)
{
	(void)data;
	(void)arg;
	return size * n;
}

/* What test requests: the URL (curl's parsed form) and how to show it. */
typedef struct ht_target {
	CURLU *url;
	char *shown; /* scheme://host[:port]/path, without query (malloc) */
} ht_target;

/* Appends the first @p len bytes of the health path to the base URL's
 * path, without doubling the slash: "/v1/" + "/health" is "/v1/health". */
static CURLUcode ht_join_path(CURLU *url, const char *health_path, size_t len)
{
	char *base = NULL;
	char *path = NULL;
	size_t base_len;
	CURLUcode uc;

	uc = curl_url_get(url, CURLUPART_PATH, &base, 0);
	if (uc != CURLUE_OK)
		return uc;
	base_len = strlen(base);
	while (base_len > 0 && base[base_len - 1] == '/')
		base_len--;
	path = malloc(base_len + len + 1);
	if (path == NULL) {
		uc = CURLUE_OUT_OF_MEMORY;
		goto out;
	}
	memcpy(path, base, base_len);
	memcpy(path + base_len, health_path, len);
	path[base_len + len] = '\0';
	uc = curl_url_set(url, CURLUPART_PATH, path, 0);
out:
	free(path);
	curl_free(base);
	return uc;
}

/* Puts the health path under the base URL. Its path part "/" is the base
 * URL itself ("/v1" stays "/v1"); its query, if any, replaces the base
 * URL's. The fragment is dropped (it is never sent). */
static CURLUcode ht_target_path(CURLU *url, const char *health_path)
{
	const char *query = strchr(health_path, '?');
	size_t len = query != NULL ? (size_t)(query - health_path) : strlen(health_path);
	CURLUcode uc = CURLUE_OK;

	if (len > 1)
		uc = ht_join_path(url, health_path, len);
	if (uc == CURLUE_OK && query != NULL)
		uc = curl_url_set(url, CURLUPART_QUERY, query + 1, 0);
	if (uc == CURLUE_OK)
		uc = curl_url_set(url, CURLUPART_FRAGMENT, NULL, 0);
	return uc;
}

/* Sets t->shown to "<scheme>://<host>[:<port>]<path>". */
static CURLUcode ht_show_parts(ht_target *t, const char *scheme, const char *host,
			       const char *port, const char *path)
{
	size_t size = strlen(scheme) + strlen(host) + (port != NULL ? strlen(port) : 0) +
		      strlen(path) + 5;

	t->shown = malloc(size);
	if (t->shown == NULL)
		return CURLUE_OUT_OF_MEMORY;
	snprintf(t->shown, size, "%s://%s%s%s%s", scheme, host, port != NULL ? ":" : "",
		 port != NULL ? port : "", path);
	return CURLUE_OK;
}

/* Fills t->shown from the parsed URL. */
static CURLUcode ht_target_show(ht_target *t)
{
	char *scheme = NULL, *host = NULL, *port = NULL, *path = NULL;
	CURLUcode uc;

	uc = curl_url_get(t->url, CURLUPART_SCHEME, &scheme, 0);
	if (uc == CURLUE_OK)
		uc = curl_url_get(t->url, CURLUPART_HOST, &host, 0);
	if (uc == CURLUE_OK && curl_url_get(t->url, CURLUPART_PORT, &port, 0) != CURLUE_OK)
		port = NULL; /* none given */
	if (uc == CURLUE_OK)
		uc = curl_url_get(t->url, CURLUPART_PATH, &path, 0);
	if (uc == CURLUE_OK)
		uc = ht_show_parts(t, scheme, host, port, path);
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_free(path);
	return uc;
}

/* Whether the parsed URL carries a user name or password. */
static bool ht_has_userinfo(CURLU *url)
{
	char *part = NULL;
	bool has;

	has = curl_url_get(url, CURLUPART_USER, &part, 0) == CURLUE_OK;
	curl_free(part);
	part = NULL;
	has = has || curl_url_get(url, CURLUPART_PASSWORD, &part, 0) == CURLUE_OK;
	curl_free(part);
	return has;
}

/*
 * Parses base_url and appends health_path. Returns true with t->url the
 * URL to request and t->shown how to show it (the caller frees both), or
 * false with *res the failed test result (NULL when memory ran out).
 */
static bool ht_target_make(const ht_config *cfg, ht_target *t, json_object **res)
{
	char reason[256];
	CURLUcode uc = CURLUE_OUT_OF_MEMORY;

	*res = NULL;
	t->url = curl_url();
	if (t->url != NULL)
		uc = curl_url_set(t->url, CURLUPART_URL, cfg->base_url, 0);
	if (uc == CURLUE_OK && ht_has_userinfo(t->url)) {
		*res = ht_result(cfg, NULL, CH_FAILURE_CONFIG, "/base_url",
				 "must not hold credentials: use auth basic",
				 "the base URL holds a user name or password");
		return false;
	}
	if (uc == CURLUE_OK)
		uc = ht_target_path(t->url, cfg->health_path);
	if (uc == CURLUE_OK)
		uc = ht_target_show(t);
	if (uc == CURLUE_OK)
		return true;
	if (uc == CURLUE_OUT_OF_MEMORY) {
		*res = ht_result(cfg, NULL, CH_FAILURE_SYSTEM, NULL, NULL, "out of memory");
	} else {
		snprintf(reason, sizeof(reason), "the base URL is not valid: %s",
			 curl_url_strerror(uc));
		*res = ht_result(cfg, NULL, CH_FAILURE_CONFIG, "/base_url",
				 "is not a valid http(s) URL", reason);
	}
	return false;
}

/* The header list holding "<header_name>: <api_key>", or NULL when
 * memory ran out. The line built on the way is wiped: curl has its copy. */
static struct curl_slist *ht_key_header(const ht_config *cfg)
{
	size_t size = strlen(cfg->header_name) + strlen(cfg->api_key) + 3;
	struct curl_slist *list;
	char *line = malloc(size);

	if (line == NULL)
		return NULL;
	snprintf(line, size, "%s: %s", cfg->header_name, cfg->api_key);
	list = curl_slist_append(NULL, line);
	memset(line, 0, size);
	free(line);
	return list;
}

/* Sets the credentials of the auth kind on @p h; *headers receives the
 * header list to free after the request. */
static CURLcode ht_easy_auth(CURL *h, const ht_config *cfg, struct curl_slist **headers)
{
	CURLcode cc = CURLE_OK;

	*headers = NULL;
	switch (cfg->auth) {
	case HT_AUTH_BASIC:
		cc = curl_easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		if (cc == CURLE_OK)
			cc = curl_easy_setopt(h, CURLOPT_USERNAME, cfg->user);
		if (cc == CURLE_OK)
			cc = curl_easy_setopt(h, CURLOPT_PASSWORD, cfg->password);
		break;
	case HT_AUTH_BEARER:
		cc = curl_easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BEARER);
		if (cc == CURLE_OK)
			cc = curl_easy_setopt(h, CURLOPT_XOAUTH2_BEARER, cfg->token);
		break;
	case HT_AUTH_API_KEY:
		*headers = ht_key_header(cfg);
		cc = *headers != NULL ? curl_easy_setopt(h, CURLOPT_HTTPHEADER, *headers)
				      : CURLE_OUT_OF_MEMORY;
		break;
	default:
		break;
	}
	return cc;
}

/* Sets everything but the credentials on @p h. */
static CURLcode ht_easy_setup(CURL *h, const ht_config *cfg, CURLU *url, char *errbuf)
{
	long verify = cfg->verify_tls ? 1L : 0L;
	CURLcode cc;

	cc = curl_easy_setopt(h, CURLOPT_CURLU, url);
	if (cc == CURLE_OK)
		cc = curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	if (cc == CURLE_OK) /* no SIGALRM for DNS timeouts: calls run on threads */
		cc = curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
#if LIBCURL_VERSION_NUM >= 0x075500 /* 7.85.0 */
	if (cc == CURLE_OK)
		cc = curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
#else
	if (cc == CURLE_OK)
		cc = curl_easy_setopt(h, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	if (cc == CURLE_OK)
		cc = curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
	if (cc == CURLE_OK)
		cc = curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, cfg->timeout_ms);
	if (cc == CURLE_OK)
		cc = curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, verify);
	if (cc == CURLE_OK)
		cc = curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, verify * 2);
	if (cc == CURLE_OK)
		cc = curl_easy_setopt(h, CURLOPT_USERAGENT, HT_USER_AGENT);
	if (cc == CURLE_OK)
		cc = curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, ht_discard);
	return cc;
}

/* The pointer at the configured credential, for a 401 or 403. */
static const char *ht_credential_pointer(ht_auth auth)
{
	switch (auth) {
	case HT_AUTH_BASIC:
		return "/password";
	case HT_AUTH_BEARER:
		return "/token";
	case HT_AUTH_API_KEY:
		return "/api_key";
	default:
		return "/auth";
	}
}

/* The test result of an answer with status @p status after @p ms. */
static json_object *ht_answered(const ht_config *cfg, const char *shown, long status, long ms)
{
	const char *detail;
	char reason[256];

	if (status == cfg->expected_status) {
		snprintf(reason, sizeof(reason), "answered %ld in %ld ms", status, ms);
		return ht_result(cfg, shown, NULL, NULL, NULL, reason);
	}
	if (status == 401 || status == 403) {
		detail = cfg->auth == HT_AUTH_NONE ? "the API wants credentials"
						   : "the API refused the credentials";
		snprintf(reason, sizeof(reason), "answered %ld in %ld ms: %s", status, ms, detail);
		return ht_result(cfg, shown, CH_FAILURE_CONFIG, ht_credential_pointer(cfg->auth),
				 detail, reason);
	}
	snprintf(reason, sizeof(reason), "answered %ld in %ld ms, expected %ld", status, ms,
		 cfg->expected_status);
	/* A gateway's or an overloaded API's answer: it may pass later. */
	if (status == 502 || status == 503 || status == 504)
		return ht_result(cfg, shown, CH_FAILURE_TRANSIENT, NULL, NULL, reason);
	return ht_result(cfg, shown, CH_FAILURE_CONFIG, "/expected_status",
			 "the API answered another status", reason);
}

/* What a curl error means for the test. */
typedef struct ht_reason {
	CURLcode code;
	const char *type;    /* failure kind */
	const char *pointer; /* the configuration field at fault, or NULL */
	const char *detail;  /* what is wrong with it */
} ht_reason;

static const ht_reason ht_reasons[] = {
	{CURLE_COULDNT_RESOLVE_HOST, CH_FAILURE_CONFIG, "/base_url", "unknown host name"},
	{CURLE_URL_MALFORMAT, CH_FAILURE_CONFIG, "/base_url", "is not a valid http(s) URL"},
	{CURLE_UNSUPPORTED_PROTOCOL, CH_FAILURE_CONFIG, "/base_url", "is not an http(s) URL"},
	{CURLE_WEIRD_SERVER_REPLY, CH_FAILURE_CONFIG, "/base_url",
	 "the server does not speak HTTP"},
	{CURLE_PEER_FAILED_VERIFICATION, CH_FAILURE_CONFIG, "/verify_tls",
	 "the server's certificate cannot be verified"},
	{CURLE_SSL_CACERT_BADFILE, CH_FAILURE_SYSTEM, NULL, NULL},
	{CURLE_OUT_OF_MEMORY, CH_FAILURE_SYSTEM, NULL, NULL},
	{CURLE_COULDNT_CONNECT, CH_FAILURE_TRANSIENT, "/base_url",
	 "nothing accepts connections at this host and port"},
	{CURLE_OPERATION_TIMEDOUT, CH_FAILURE_TRANSIENT, "/timeout_ms",
	 "the API did not answer in time"},
	{CURLE_COULDNT_RESOLVE_PROXY, CH_FAILURE_TRANSIENT, NULL, NULL},
	{CURLE_GOT_NOTHING, CH_FAILURE_TRANSIENT, NULL, NULL},
	{CURLE_SEND_ERROR, CH_FAILURE_TRANSIENT, NULL, NULL},
	{CURLE_RECV_ERROR, CH_FAILURE_TRANSIENT, NULL, NULL},
	{CURLE_PARTIAL_FILE, CH_FAILURE_TRANSIENT, NULL, NULL},
	{CURLE_HTTP2, CH_FAILURE_TRANSIENT, NULL, NULL},
	{CURLE_HTTP2_STREAM, CH_FAILURE_TRANSIENT, NULL, NULL},
	{CURLE_SSL_CONNECT_ERROR, CH_FAILURE_TRANSIENT, NULL, NULL},
	{CURLE_SSL_CIPHER, CH_FAILURE_TRANSIENT, NULL, NULL},
	{CURLE_SSL_CERTPROBLEM, CH_FAILURE_TRANSIENT, NULL, NULL},
	{CURLE_SSL_SHUTDOWN_FAILED, CH_FAILURE_TRANSIENT, NULL, NULL},
};

/* The test result of the curl error @p cc, with curl's @p errbuf. */
static json_object *ht_curl_failed(const ht_config *cfg, const char *shown, CURLcode cc,
				   const char *errbuf)
{
	const char *reason = errbuf[0] != '\0' ? errbuf : curl_easy_strerror(cc);
	size_t i;

	for (i = 0; i < CH_SDK_COUNT(ht_reasons); i++) {
		if (ht_reasons[i].code == cc)
			return ht_result(cfg, shown, ht_reasons[i].type, ht_reasons[i].pointer,
					 ht_reasons[i].detail, reason);
	}
	return ht_result(cfg, shown, CH_FAILURE_SYSTEM, NULL, NULL, reason);
}

/* Sends the request and judges the answer. Never NULL unless memory ran
 * out. */
static json_object *ht_request(const ht_config *cfg, const ht_target *t)
{
	char errbuf[CURL_ERROR_SIZE] = "";
	struct curl_slist *headers = NULL;
	json_object *res;
	curl_off_t us = 0;
	long status = 0;
	CURLcode cc;
	CURL *h;

	h = curl_easy_init();
	if (h == NULL)
		return ht_result(cfg, t->shown, CH_FAILURE_SYSTEM, NULL, NULL,
				 "cannot make a curl handle");
	cc = ht_easy_setup(h, cfg, t->url, errbuf);
	if (cc == CURLE_OK)
		cc = ht_easy_auth(h, cfg, &headers);
	if (cc == CURLE_OK)
		cc = curl_easy_perform(h);
	if (cc == CURLE_OK)
		cc = curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	if (cc == CURLE_OK)
		cc = curl_easy_getinfo(h, CURLINFO_TOTAL_TIME_T, &us);
	if (cc == CURLE_OK)
		res = ht_answered(cfg, t->shown, status, (long)(us / 1000));
	else
		res = ht_curl_failed(cfg, t->shown, cc, errbuf);
	curl_easy_cleanup(h);
	curl_slist_free_all(headers);
	return res;
}

/* Makes the URL and requests it. */
static json_object *ht_check(const ht_config *cfg)
{
	ht_target t = {.url = NULL, .shown = NULL};
	json_object *res = NULL;

	if (ht_target_make(cfg, &t, &res))
		res = ht_request(cfg, &t);
	curl_url_cleanup(t.url);
	free(t.shown);
	return res;
}

/* Judges the configuration: its problems, or what the API answers. */
static int ht_check_config(ch_call *call, json_object *config, json_object **res)
{
	ht_config cfg;

	(void)call;
	if (ht_config_read(config, &cfg, res) == CH_OK)
		*res = ht_check(&cfg);
	return CH_OK;
}

static int ht_test(ch_call *call, const char *in, char **out)
{
	pthread_once(&ht_once, ht_global_init);
	if (ht_global_rc != CURLE_OK)
		return ch_sdk_fail(call, CH_E_GENERIC, "cannot initialise libcurl: %s",
				   curl_easy_strerror(ht_global_rc));
	return ch_sdk_test(call, in, out, ht_check_config);
}

/* --- descriptor -------------------------------------------------------- */

static const ch_type_desc ht_type = {
	CH_TYPE_HEADER,
	.id = "http",
	.name = "HTTP API",
	.version = HT_VERSION,
	.vendor = "connhub",
	.description = "An HTTP or HTTPS API. The connector sends no credentials, "
		       "HTTP basic authentication, a bearer token or an API key in "
		       "a header, and its test requests a health path with GET and "
		       "checks the status, telling refused credentials, a wrong "
		       "URL or an untrusted certificate apart from an API that is "
		       "down or slow.",
	.categories = ht_categories,
	.license = CH_LICENSE_FREE,
	.config_schema = ht_config_schema,
	.setup = ht_setup,
	.test = ht_test,
};

CH_PLUGIN_DEFINE("http", HT_VERSION, &ht_type)
