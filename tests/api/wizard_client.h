/*
 * What the API tests of the setup wizard share: requests on a connector's
 * routes with the status asserted, the checks of a step and of a problem
 * document, and walking steps. Every function aborts the test on failure.
 */
#ifndef CH_TEST_WIZARD_CLIENT_H
#define CH_TEST_WIZARD_CLIENT_H

#include <json-c/json.h>

#include "harness.h"

#define WZ_CONNECTORS "/api/v1/connectors"
#define WZ_MASK "********"

/**
 * METHOD /api/v1/connectors/NAME/TAIL on @p h as @p token (NULL: the admin
 * token of @p h), @p body NULL for none; asserts the status and leaves the
 * answer in @p r (th_resp_free() it).
 */
void wz_call(const th_host *h, const char *token, const char *method, const char *name,
	     const char *tail, const char *body, long status, th_resp *r);

/** The same with the answer thrown away. */
void wz_call0(const th_host *h, const char *method, const char *name, const char *tail,
	      const char *body, long status);

/** The member @p key of @p o (borrowed), or NULL. */
json_object *wz_at(json_object *o, const char *key);

/** The boolean @p key of @p o; asserts it is one. */
int wz_flag(json_object *o, const char *key);

/** Asserts @p r is an RFC 9457 problem of @p status and type
 *  urn:connhub:problem:@p kind, with title, detail and instance. */
void wz_assert_problem(const th_resp *r, long status, const char *kind);

/** Asserts the problem's errors name exactly the pointers of @p want
 *  (NULL-terminated), each once. */
void wz_assert_pointers(const th_resp *r, const char *const *want);

/** A 422 validation-failed problem naming exactly @p want. */
void wz_assert_invalid(const th_resp *r, const char *const *want);

/** Asserts @p step is {id, title, description, model, form, schema,
 *  hasNext, hasPrevious, canFinish} with those values, and no more. */
void wz_assert_step(json_object *step, const char *id, int has_next, int has_previous,
		    int can_finish);

/** Asserts the form's keys are exactly @p keys (NULL-terminated), in order. */
void wz_assert_form(json_object *step, const char *const *keys);

/** The string at @p key of the step's model in @p r, or NULL. */
const char *wz_model_str(const th_resp *r, const char *key);

/** POST .../setup: step @p id, the first (no previous; has a next). */
void wz_start(const th_host *h, const char *name, const char *id, th_resp *r);

/** POST .../setup/next with @p model: 200, step @p id with a previous one
 *  (the answer kept in @p r when not NULL). */
void wz_next(const th_host *h, const char *name, const char *model, const char *id, th_resp *r);

/** Creates a connector of @p type on @p h (@p config NULL: none, CREATED). */
void wz_create(const th_host *h, const char *name, const char *type, const char *config);

/** The connector's "config" object in @p r (asserted). */
json_object *wz_config_of(const th_resp *r);

/** Asserts @p r is a test result {valid, message, failure_type, errors,
 *  duration_ms} with valid == @p valid (and, valid, no failure_type nor
 *  errors). */
void wz_assert_test_result(const th_resp *r, int valid);

/**
 * POST and GET .../test on @p h: both 200, equal but for duration_ms,
 * {valid, message, failure_type, errors, duration_ms} with valid == @p valid.
 * Leaves the POST answer in @p r.
 */
void wz_run_test(const th_host *h, const char *name, int valid, th_resp *r);

/** Counts the steps behind the current one by going back until 409 (the
 *  session is left at its first step). */
int wz_history_length(const th_host *h, const char *name);

#endif /* CH_TEST_WIZARD_CLIENT_H */
