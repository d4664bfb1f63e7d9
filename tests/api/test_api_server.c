/*
 * The HTTP server's connection limits and idle timeout, each with a host of
 * its own, over raw sockets: the per-address limit closes a connection at
 * once, the global limit holds it until a slot frees, an idle connection is
 * closed after --connection-timeout.
 */
#include <check.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_run.h"
#include "harness.h"

#define HEALTHZ "GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n"

/* The /healthz answer's body is the only '}' in it. */
static int served(int fd, int timeout_ms, long *eof_ms)
{
	char buf[2048];

	th_read(fd, buf, sizeof(buf), timeout_ms, "}", eof_ms);
	return strncmp(buf, "HTTP/1.1 200 ", 13) == 0 && strchr(buf, '}') != NULL;
}

/* A new connection from @p from (NULL: 127.0.0.1) with one keep-alive
 * request on it: the connection when the host answered 200 and kept it,
 * -1 when the host closed it without an answer. */
static int open_served(const th_host *h, const char *from)
{
	int fd = th_connect_from(h, from);
	long eof_ms = -1;

	ck_assert_int_ge(fd, 0);
	if (th_send(fd, HEALTHZ) == 0 && served(fd, 5000, &eof_ms) && eof_ms < 0)
		return fd;
	ck_assert_msg(eof_ms >= 0, "from %s: neither served nor closed", from ? from : "127.0.0.1");
	close(fd);
	return -1;
}

START_TEST(per_ip_limit_closes_the_next_connection)
{
	static const char *const args[] = {"--max-connections-per-ip", "2", NULL};
	th_host h;
	int a, b, c, d = -1;

	th_start(&h, "/nonexistent", args);
	a = open_served(&h, NULL);
	b = open_served(&h, NULL);
	ck_assert_int_ge(a, 0);
	ck_assert_int_ge(b, 0);
	ck_assert_msg(open_served(&h, NULL) < 0, "a third connection from 127.0.0.1 was served");
	c = open_served(&h, "127.0.0.2");
	ck_assert_msg(c >= 0, "another client address was refused too");
	/* A limit, not a ban: once one closes, the address is served again
	 * (as soon as the host has seen the close). */
	close(a);
	for (int i = 0; i < 250 && d < 0; i++) {
		d = open_served(&h, NULL);
		if (d < 0)
			usleep(20000);
	}
	ck_assert_msg(d >= 0, "127.0.0.1 stayed refused after one of its connections closed");
	close(b);
	close(c);
	close(d);
	ck_assert_int_eq(th_stop(&h), 0);
}
END_TEST

START_TEST(connection_limit_holds_the_next_until_one_closes)
{
	static const char *const args[] = {"--max-connections", "2", "--max-connections-per-ip", "0",
					   NULL};
	th_host h;
	long eof_ms;
	int a, b, c;

	th_start(&h, "/nonexistent", args);
	a = open_served(&h, NULL);
	b = open_served(&h, "127.0.0.2");
	ck_assert_int_ge(a, 0);
	ck_assert_int_ge(b, 0);
	/* The third waits in the listen backlog: no answer, no close... */
	c = th_connect_from(&h, "127.0.0.3");
	ck_assert_int_ge(c, 0);
	ck_assert_int_eq(th_send(c, HEALTHZ), 0);
	ck_assert_msg(!served(c, 1000, &eof_ms) && eof_ms < 0,
		      "a third connection was served or closed with --max-connections 2");
	/* ...until a slot frees, and then it is served. */
	close(a);
	ck_assert_msg(served(c, 5000, &eof_ms), "the waiting connection was not served");
	close(b);
	close(c);
	ck_assert_int_eq(th_stop(&h), 0);
}
END_TEST

/* Asserts @p fd is closed by the host within N + 2 s, and not before
 * N - 0.5 s, for --connection-timeout N. */
static void assert_dropped_after(int fd, int n, const char *what)
{
	char buf[256];
	long eof_ms;

	th_read(fd, buf, sizeof(buf), (n + 2) * 1000, NULL, &eof_ms);
	ck_assert_msg(eof_ms >= 0, "%s: still open after %d s", what, n + 2);
	ck_assert_msg(eof_ms >= n * 1000 - 500, "%s: closed after %ld ms, before %d s", what, eof_ms,
		      n);
	ck_assert_msg(buf[0] == '\0', "%s: an answer came: %.80s", what, buf);
}

START_TEST(idle_connections_are_dropped_after_the_timeout)
{
	static const char *const args[] = {"--connection-timeout", "2", NULL};
	th_host h;
	int quiet, used;

	th_start(&h, "/nonexistent", args);
	quiet = th_connect(&h); /* never sends a byte */
	ck_assert_int_ge(quiet, 0);
	assert_dropped_after(quiet, 2, "a silent connection");
	close(quiet);
	used = open_served(&h, NULL); /* idle after one request */
	ck_assert_int_ge(used, 0);
	assert_dropped_after(used, 2, "a kept-alive connection");
	close(used);
	ck_assert_int_eq(th_stop(&h), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("api_server");
	TCase *tc = tcase_create("own_host");
	int rc;

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, per_ip_limit_closes_the_next_connection);
	tcase_add_test(tc, connection_limit_holds_the_next_until_one_closes);
	tcase_add_test(tc, idle_connections_are_dropped_after_the_timeout);
	suite_add_tcase(s, tc);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = ch_check_run(s);
	curl_global_cleanup();
	return rc;
}
