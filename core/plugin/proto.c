#include "proto.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <sodium.h>

#include <connhub/plugin.h>

#include "clock.h"

static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return CH_E_IO;
		p += n;
		len -= (size_t)n;
	}
	return CH_OK;
}

int ch_proto_send(int fd, json_object *msg)
{
	size_t len = 0;
	const char *text = json_object_to_json_string_length(msg, JSON_C_TO_STRING_PLAIN, &len);
	uint8_t head[4] = {(uint8_t)(len >> 24), (uint8_t)(len >> 16), (uint8_t)(len >> 8),
			   (uint8_t)len};
	int rc;

	if (len > CH_PROTO_MAX)
		return CH_E_TOO_LARGE;
	rc = write_all(fd, head, sizeof(head));
	if (rc == CH_OK)
		rc = write_all(fd, text, len);
	/* Messages carry decrypted configurations: leave no copy behind in
	 * the text json-c printed (it is reprinted if ever needed again). */
	sodium_memzero((char *)text, len);
	return rc;
}

/* Waits for data until the deadline. */
static int wait_readable(int fd, int64_t deadline_ms)
{
	struct pollfd pfd = {.fd = fd, .events = POLLIN};

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

static int read_all(int fd, void *buf, size_t len, int64_t deadline_ms)
{
	char *p = buf;

	while (len > 0) {
		ssize_t n;
		int rc = wait_readable(fd, deadline_ms);

		if (rc != CH_OK)
			return rc;
		n = recv(fd, p, len, 0);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			return CH_E_IO;
		p += n;
		len -= (size_t)n;
	}
	return CH_OK;
}

int ch_proto_recv(int fd, int64_t deadline_ms, json_object **msg)
{
	uint8_t head[4];
	uint32_t len;
	char *text;
	int rc = read_all(fd, head, sizeof(head), deadline_ms);

	*msg = NULL;
	if (rc != CH_OK)
		return rc;
	len = (uint32_t)head[0] << 24 | (uint32_t)head[1] << 16 | (uint32_t)head[2] << 8 | head[3];
	if (len > CH_PROTO_MAX)
		return CH_E_IO;
	text = malloc((size_t)len + 1);
	if (!text)
		return CH_E_NOMEM;
	rc = read_all(fd, text, len, deadline_ms);
	text[len] = '\0';
	if (rc == CH_OK) {
		*msg = json_tokener_parse(text);
		if (!json_object_is_type(*msg, json_type_object)) {
			json_object_put(*msg);
			*msg = NULL;
			rc = CH_E_IO;
		}
	}
	sodium_memzero(text, len);
	free(text);
	return rc;
}
