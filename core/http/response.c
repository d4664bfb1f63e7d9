#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>

#include "error.h"
#include "http.h"

#define PROBLEM_TYPE_PREFIX "urn:connhub:problem:"

void ch_http_json(ch_http_resp *resp, int status, json_object *body)
{
	json_object_put(resp->body);
	free(resp->text);
	resp->text = NULL;
	resp->status = status;
	resp->body = body;
	resp->content_type = "application/json";
}

void ch_http_text(ch_http_resp *resp, int status, char *text, size_t len)
{
	ch_http_json(resp, status, NULL);
	resp->text = text;
	resp->text_len = len;
}

const char *ch_http_rendered(ch_http_resp *resp, size_t *len)
{
	*len = 0;
	if (resp->text) {
		*len = resp->text_len;
		return resp->text;
	}
	if (!resp->body)
		return "";
	return json_object_to_json_string_length(
		resp->body, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, len);
}

json_object *ch_http_problem(ch_http_resp *resp, const ch_http_req *req, int status,
			     const char *slug, const char *title, const char *detail)
{
	json_object *p = json_object_new_object();
	char type[128];

	snprintf(type, sizeof(type), PROBLEM_TYPE_PREFIX "%s", slug);
	json_object_object_add(p, "type", json_object_new_string(type));
	json_object_object_add(p, "title",
			       json_object_new_string(title ? title
							    : MHD_get_reason_phrase_for((unsigned)status)));
	json_object_object_add(p, "status", json_object_new_int(status));
	if (detail)
		json_object_object_add(p, "detail", json_object_new_string(detail));
	if (req && req->path)
		json_object_object_add(p, "instance", json_object_new_string(req->path));
	ch_http_json(resp, status, p);
	resp->content_type = "application/problem+json";
	return p;
}

json_object *ch_http_problem_code(ch_http_resp *resp, const ch_http_req *req, int code,
				  const char *detail)
{
	return ch_http_problem(resp, req, ch_status_http(code), ch_status_slug(code),
			       ch_status_title(code), detail);
}

void ch_http_add_header(ch_http_resp *resp, const char *name, const char *value)
{
	size_t i = resp->nheaders;

	if (i >= CH_HTTP_MAX_HEADERS)
		return;
	resp->header_names[i] = strdup(name);
	resp->header_values[i] = strdup(value);
	if (!resp->header_names[i] || !resp->header_values[i]) {
		free(resp->header_names[i]);
		free(resp->header_values[i]);
		return;
	}
	resp->nheaders++;
}

static int bad_body(ch_http_resp *resp, const ch_http_req *req, const char *detail,
		    const char *message)
{
	json_object *p = ch_http_problem(resp, req, 400, "invalid-json", "Bad Request", detail);
	json_object *errors = json_object_new_array(), *e = json_object_new_object();

	json_object_object_add(e, "pointer", json_object_new_string(""));
	json_object_object_add(e, "message", json_object_new_string(message));
	json_object_array_add(errors, e);
	json_object_object_add(p, "errors", errors);
	return CH_E_INVALID;
}

/* Why the tokenizer stopped, for a person. */
static const char *parse_error(json_tokener *tok, json_object *obj)
{
	enum json_tokener_error err = json_tokener_get_error(tok);

	if (obj)
		return "unexpected data after the JSON value";
	if (err == json_tokener_continue)
		return "unexpected end of input";
	return json_tokener_error_desc(err);
}

static int only_space(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
		p++;
	return p == end;
}

int ch_http_body_json(ch_http_req *req, ch_http_resp *resp, int allow_empty, json_object **out)
{
	json_tokener *tok;
	json_object *obj;
	size_t end;
	char msg[256];

	*out = NULL;
	if (!req->body || only_space(req->body, req->body + req->body_len))
		return allow_empty ? CH_OK
				   : bad_body(resp, req, "the request needs a JSON body",
					      "a JSON object is required");
	tok = json_tokener_new();
	if (!tok)
		return CH_E_NOMEM;
	obj = json_tokener_parse_ex(tok, req->body, (int)req->body_len);
	end = json_tokener_get_parse_end(tok);
	if (!obj || json_tokener_get_error(tok) != json_tokener_success ||
	    !only_space(req->body + end, req->body + req->body_len)) {
		snprintf(msg, sizeof(msg), "%s at offset %zu", parse_error(tok, obj), end);
		json_object_put(obj);
		json_tokener_free(tok);
		return bad_body(resp, req, "the request body is not valid JSON", msg);
	}
	json_tokener_free(tok);
	if (!json_object_is_type(obj, json_type_object)) {
		json_object_put(obj);
		return bad_body(resp, req, "the request body must be a JSON object",
				"expected an object");
	}
	*out = obj;
	return CH_OK;
}
