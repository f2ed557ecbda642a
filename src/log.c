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

/* connection-event lines: a burst of LOGCONN_BURST, then LOGCONN_RATE per
 * second; the rest are counted and the count logged when lines flow again */
#define LOGCONN_BURST 100
#define LOGCONN_RATE 20

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
	char text[sizeof buf];
	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	/* the text carries client bytes (QUIT and KILL reasons, nicks, -d
	 * lines): control bytes would reach a terminal (ESC sequences) or
	 * forge log lines, so they are written as \xNN */
	size_t len = (size_t)n;
	for (const unsigned char *p = (const unsigned char *)text; *p && len + 5 < sizeof buf; p++) {
		if (*p < 0x20 || *p == 0x7f) {
			static const char hex[] = "0123456789abcdef";
			buf[len++] = '\\';
			buf[len++] = 'x';
			buf[len++] = hex[*p >> 4];
			buf[len++] = hex[*p & 15];
		} else {
			buf[len++] = (char)*p;
		}
	}
	buf[len] = '\0';
	if (len < sizeof buf - 1)
		buf[len++] = '\n';
	else
		buf[len - 1] = '\n';
	/* one write per line so concurrent writers never interleave mid-line */
	ssize_t w = write(2, buf, len);
	(void)w;
}

int log_conn_allow(void)
{
	static double tokens = LOGCONN_BURST, last;
	static unsigned long dropped;
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	double now = (double)ts.tv_sec + ts.tv_nsec / 1e9;
	if (last > 0) {
		tokens += (now - last) * LOGCONN_RATE;
		if (tokens > LOGCONN_BURST)
			tokens = LOGCONN_BURST;
	}
	last = now;
	if (tokens < 1) {
		if (dropped++ == 0)
			log_msg(LOG_WARN, "connection storm: logging at most %d connection lines per second",
			        LOGCONN_RATE);
		return 0;
	}
	tokens -= 1;
	if (dropped) {
		log_msg(LOG_WARN, "connection storm: %lu connection log lines suppressed", dropped);
		dropped = 0;
	}
	return 1;
}
