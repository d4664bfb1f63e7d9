#include "proto.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <sodium.h>

#include <connhub/plugin.h>

#include "clock.h"
#include "error.h"

/* Waits until @p fd is ready for @p events or the deadline passes. */
static int wait_for(int fd, short events, int64_t deadline_ms)
{
	struct pollfd pfd = {.fd = fd, .events = events};

	for (;;) {
		int left = -1, n;

		if (deadline_ms > 0) {
			int64_t d = deadline_ms - ch_clock_mono_ms();

			if (d <= 0)
				return CH_E_TIMEOUT;
			left = d > 60000 ? 60000 : (int)d;
		}
		n = poll(&pfd, 1, left);
		if (n > 0)
			return CH_OK;
		if (n < 0 && errno != EINTR)
			return CH_E_IO;
	}
}

/* Moves @p len bytes through @p fd (sent when @p out, else received)
 * without ever blocking past the deadline. */
static int transfer(int fd, char *p, size_t len, int out, int64_t deadline_ms)
{
	while (len > 0) {
		ssize_t n = out ? send(fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT)
				: recv(fd, p, len, MSG_DONTWAIT);
		int rc = CH_OK;

		if (n > 0) {
			p += n;
			len -= (size_t)n;
			continue;
		}
		if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
			return CH_E_IO; /* closed, or broken */
		if (errno != EINTR)
			rc = wait_for(fd, out ? POLLOUT : POLLIN, deadline_ms);
		if (rc != CH_OK)
			return rc;
	}
	return CH_OK;
}

int ch_proto_send(int fd, json_object *msg, int64_t deadline_ms)
{
	size_t len = 0;
	char *text = (char *)json_object_to_json_string_length(msg, JSON_C_TO_STRING_PLAIN, &len);
	char head[4] = {(char)(len >> 24), (char)(len >> 16), (char)(len >> 8), (char)len};
	int rc;

	if (len > CH_PROTO_MAX)
		return CH_E_TOO_LARGE;
	rc = transfer(fd, head, sizeof(head), 1, deadline_ms);
	if (rc == CH_OK)
		rc = transfer(fd, text, len, 1, deadline_ms);
	/* Messages carry decrypted configurations: leave no copy behind in
	 * the text json-c printed (it is reprinted if ever needed again). */
	sodium_memzero(text, len);
	return rc;
}

int ch_proto_recv(int fd, int64_t deadline_ms, json_object **msg)
{
	unsigned char head[4];
	uint32_t len;
	char *text;
	int rc = transfer(fd, (char *)head, sizeof(head), 0, deadline_ms);

	*msg = NULL;
	if (rc != CH_OK)
		return rc;
	len = (uint32_t)head[0] << 24 | (uint32_t)head[1] << 16 | (uint32_t)head[2] << 8 | head[3];
	if (len > CH_PROTO_MAX)
		return ch_error_set(CH_E_TOO_LARGE, "sent a message of %lu bytes, over the %u MiB limit",
				    (unsigned long)len, CH_PROTO_MAX >> 20);
	text = malloc((size_t)len + 1);
	if (!text)
		return CH_E_NOMEM;
	rc = transfer(fd, text, len, 0, deadline_ms);
	text[len] = '\0';
	if (rc == CH_OK) {
		*msg = json_tokener_parse(text);
		if (!json_object_is_type(*msg, json_type_object)) {
			json_object_put(*msg);
			*msg = NULL;
			rc = ch_error_set(CH_E_INVALID, "sent a message of %lu bytes that is not a "
					  "JSON object", (unsigned long)len);
		}
	}
	sodium_memzero(text, len);
	free(text);
	return rc;
}
