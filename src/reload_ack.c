/* reload_ack.c - see reload_ack.h */
#include "reload_ack.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* $RUNTIME_DIRECTORY/reload into buf; 0 if there is no runtime directory */
static int ack_path(char *buf, size_t len)
{
	const char *dir = getenv("RUNTIME_DIRECTORY");
	if (!dir || !dir[0] || strchr(dir, ':'))    /* one directory only */
		return 0;
	return snprintf(buf, len, "%s/reload", dir) < (int)len;
}

/* the file's one line ("" if there is none yet) */
static void ack_read(const char *path, char *line, size_t len)
{
	FILE *f = fopen(path, "r");
	line[0] = '\0';
	if (f) {
		if (!fgets(line, (int)len, f))
			line[0] = '\0';
		fclose(f);
	}
}

void reload_ack_write(int ok)
{
	static unsigned long count;
	char path[4096], tmp[4104];
	if (!ack_path(path, sizeof path))
		return;
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	FILE *f = fopen(tmp, "w");
	if (!f)
		return;
	/* pid and count make every line differ from the one before, also
	 * across restarts; rename() so a reader never sees half a line */
	fprintf(f, "%ld %lu %s\n", (long)getpid(), ++count, ok ? "applied" : "refused");
	if (fclose(f) != 0 || rename(tmp, path) != 0)
		unlink(tmp);
}

int reload_ack_signal(pid_t pid, int seconds)
{
	char path[4096], before[128], now[128];
	int waiting = ack_path(path, sizeof path);
	if (waiting)
		ack_read(path, before, sizeof before);
	if (kill(pid, SIGHUP) < 0) {
		fprintf(stderr, "ircmini: cannot signal process %ld: %s\n", (long)pid, strerror(errno));
		return -1;
	}
	if (!waiting)
		return 0;
	const struct timespec tick = { 0, 10 * 1000 * 1000 };
	for (long i = 0; i < seconds * 100L; i++) {
		ack_read(path, now, sizeof now);
		if (now[0] && strcmp(now, before) != 0) {
			if (strstr(now, " applied"))
				return 0;
			fprintf(stderr, "ircmini: the server refused the new configuration and keeps "
			        "the running one (its reason is in journalctl -u ircmini)\n");
			return -1;
		}
		nanosleep(&tick, NULL);
	}
	fprintf(stderr, "ircmini: process %ld did not report on the reload within %d s\n",
	        (long)pid, seconds);
	return -1;
}
