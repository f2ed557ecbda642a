/* log.c - see log.h */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

int log_level = LOG_INFO;

static const char *const names[] = { "error", "warn", "info", "debug" };

int log_level_parse(const char *s)
{
	for (int i = 0; i < 4; i++)
		if (strcasecmp(s, names[i]) == 0)
			return i;
	if (strcasecmp(s, "warning") == 0)
		return LOG_WARN;
	return -1;
}

void log_msg(int level, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int n;

	if (level > log_level)
		return;
	/* sd-daemon style "<N>" priority prefixes let journald set the level
	 * without any terminal colour codes; on a terminal a plain word reads better */
	static int tty = -1;
	if (tty < 0)
		tty = isatty(2);
	static const int prio[] = { 3, 4, 6, 7 };
	if (tty)
		n = snprintf(buf, sizeof buf, "ircmini: %s: ", names[level]);
	else
		n = snprintf(buf, sizeof buf, "<%d>%s: ", prio[level], names[level]);
	va_start(ap, fmt);
	vsnprintf(buf + n, sizeof buf - (size_t)n, fmt, ap);
	va_end(ap);
	size_t len = strlen(buf);
	if (len < sizeof buf - 1)
		buf[len++] = '\n';
	else
		buf[len - 1] = '\n';
	/* one write per line so concurrent writers never interleave mid-line */
	ssize_t w = write(2, buf, len);
	(void)w;
}
