/* log.c - see log.h */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
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

/* systemd sets JOURNAL_STREAM=DEV:INODE when it connects stderr to the
 * journal; a child whose stderr was redirected keeps the variable, so the
 * descriptor itself must still be that stream (sd_journal_stream_fd(3)). */
int log_stderr_is_journal(void)
{
	const char *e = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;
	char end;

	if (!e || sscanf(e, "%llu:%llu%c", &dev, &ino, &end) != 2)
		return 0;
	if (fstat(2, &st) < 0)
		return 0;
	return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

void log_msg(int level, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int n;

	if (level > log_level)
		return;
	/* sd-daemon "<N>" priority prefixes are for journald only: anywhere
	 * else (a terminal, a file, a pipe) a plain "ircmini: level:" reads better */
	static int journal = -1;
	if (journal < 0)
		journal = log_stderr_is_journal();
	static const int prio[] = { 3, 4, 6, 7 };
	if (journal)
		n = snprintf(buf, sizeof buf, "<%d>%s: ", prio[level], names[level]);
	else
		n = snprintf(buf, sizeof buf, "ircmini: %s: ", names[level]);
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
