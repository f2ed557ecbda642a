/* readable.c - see readable.h */
#include "readable.h"

#include <grp.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* The first component of `path` (a directory or the file itself) that
 * "other" cannot search or read; 0 if there is none. `st` gets its stat. */
static int blocked_at(const char *path, char *where, size_t wlen, struct stat *st)
{
	char abs[PATH_MAX];
	if (!realpath(path, abs))
		return 0;          /* missing files were reported by the load itself */
	for (char *p = abs + 1;; p++) {
		int last = (*p == '\0');
		if (*p != '/' && !last)
			continue;
		char c = *p;
		*p = '\0';
		if (stat(abs, st) < 0)
			return 0;
		mode_t need = last ? S_IROTH : S_IXOTH;
		if (!(st->st_mode & need)) {
			snprintf(where, wlen, "%s", abs);
			return 1;
		}
		if (last)
			return 0;
		*p = c;
	}
}

int readable_report(const char *const files[], int nfiles)
{
	int bad = 0;
	for (int i = 0; i < nfiles; i++) {
		const char *f = files[i];
		char where[PATH_MAX];
		struct stat st;
		if (!f || !f[0] || !blocked_at(f, where, sizeof where, &st))
			continue;
		bad++;
		/* the blocking component: the file itself, or a directory above it */
		char what[PATH_MAX + 16];
		int dir = S_ISDIR(st.st_mode);
		if (dir)
			snprintf(what, sizeof what, "directory %s", where);
		else
			snprintf(what, sizeof what, "the file");
		struct group *g = getgrgid(st.st_gid);
		if (st.st_gid != 0 && (st.st_mode & (dir ? S_IXGRP : S_IRGRP)) && g)
			fprintf(stderr, "ircmini: warning: %s: %s (mode %04o) lets only group %s in: "
			        "the service needs SupplementaryGroups=%s (systemctl edit ircmini)\n",
			        f, what, (unsigned)(st.st_mode & 07777), g->gr_name, g->gr_name);
		else
			fprintf(stderr, "ircmini: warning: %s: %s (mode %04o) keeps the service's "
			        "unprivileged user out\n", f, what, (unsigned)(st.st_mode & 07777));
	}
	return bad;
}
