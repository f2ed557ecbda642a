/* readable.h - would an unprivileged user be able to read these files?
 * `ircmini -t` run as root reads everything; the systemd unit runs the
 * server as a dynamic user that only "other" (or a supplementary group)
 * permission lets in, so -t says which files that user would be refused. */
#ifndef IRCMINI_READABLE_H
#define IRCMINI_READABLE_H

/* Write one warning line to stderr per file of files[0..nfiles) (NULL or
 * "" entries are skipped) that a user with no privileges and no shared
 * group could not read, naming the group that could. Judged from the mode
 * bits of the file and every directory above it (ACLs are not read).
 * Returns how many such files there are. */
int readable_report(const char *const files[], int nfiles);

#endif
