/*
 * One-line log records on stderr: "<UTC time> <LEVEL> <message>".
 */
#ifndef CH_LOG_H
#define CH_LOG_H

#include <stdarg.h>

#include <connhub/plugin.h>

/** Sets the most verbose level written (CH_LOG_ERROR..CH_LOG_DEBUG). */
void ch_log_set_level(int level);

/** Parses "error", "warn", "info" or "debug". Returns the level or -1. */
int ch_log_level_parse(const char *name);

/** Writes one record if @p level is enabled. Newlines in the message are
 *  replaced by spaces so a record is always one line. */
void ch_log(int level, const char *fmt, ...) CH_PRINTF(2, 3);

/** Like ch_log(), with a va_list. */
void ch_logv(int level, const char *fmt, va_list ap) CH_PRINTF(2, 0);

#define ch_log_error(...) ch_log(CH_LOG_ERROR, __VA_ARGS__)
#define ch_log_warn(...) ch_log(CH_LOG_WARN, __VA_ARGS__)
#define ch_log_info(...) ch_log(CH_LOG_INFO, __VA_ARGS__)
#define ch_log_debug(...) ch_log(CH_LOG_DEBUG, __VA_ARGS__)

#endif /* CH_LOG_H */
