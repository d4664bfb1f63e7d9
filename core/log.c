#include "log.h"

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static atomic_int log_level = CH_LOG_INFO;

static const char *const level_names[] = {"ERROR", "WARN", "INFO", "DEBUG"};

void ch_log_set_level(int level)
{
	if (level >= CH_LOG_ERROR && level <= CH_LOG_DEBUG)
		atomic_store(&log_level, level);
}

int ch_log_level_parse(const char *name)
{
	static const char *const lower[] = {"error", "warn", "info", "debug"};

	for (int i = 0; name && i < 4; i++)
		if (strcmp(name, lower[i]) == 0)
			return i;
	return -1;
}

void ch_logv(int level, const char *fmt, va_list ap)
{
	char line[2048];
	struct timeval tv;
	struct tm tm;
	size_t n;
	int w;

	if (level < CH_LOG_ERROR || level > atomic_load(&log_level))
		return;
	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	n = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%S", &tm);
	w = snprintf(line + n, sizeof(line) - n, ".%03ldZ %-5s ", (long)(tv.tv_usec / 1000),
		     level_names[level]);
	n += (size_t)(w > 0 ? w : 0);
	w = vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
	if (w < 0)
		w = 0;
	n = n + (size_t)w < sizeof(line) - 1 ? n + (size_t)w : sizeof(line) - 2;
	for (size_t i = 0; i < n; i++)
		if (line[i] == '\n' || line[i] == '\r')
			line[i] = ' ';
	line[n++] = '\n';
	/* One write(2) per record keeps lines whole across threads. */
	if (write(STDERR_FILENO, line, n) < 0)
		return;
}

void ch_log(int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ch_logv(level, fmt, ap);
	va_end(ap);
}
