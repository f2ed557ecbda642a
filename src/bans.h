/* bans.h - server bans: K-lines (nick!user@host masks, matched against the
 * real address and the cloak) and D-lines (CIDR blocks, checked on accept
 * before any state exists). Those set by operators carry an optional
 * expiry and are kept in <state_directory>/bans, rewritten on every change;
 * those in the config's [bans] section are re-read on reload and cannot be
 * removed by command. */
#ifndef IRCMINI_BANS_H
#define IRCMINI_BANS_H

#include <time.h>

#include "config.h"
#include "netaddr.h"

struct xban {
	struct xban *next;
	struct ban_entry e;
	time_t set;
	time_t expires;        /* 0 = permanent */
	char setter[64];
	int from_config;
};

/* Replace the config bans with cfg's and (re)read the ban file from its
 * state directory. Called at start and on every reload. */
void bans_load(const struct config *cfg);
/* Add (or replace: same kind and mask) an operator ban and save the file.
 * duration in seconds, 0 = permanent. Returns the ban, or NULL with
 * the reason in err. */
const struct xban *bans_add(char kind, const char *mask, long duration, const char *setter,
                            const char *reason, char *err, size_t errlen);
/* 0 removed; -1 no such ban; -2 it is in the config file. */
int bans_remove(char kind, const char *mask);
const struct xban *bans_match_ip(const struct netaddr *a);
/* nick!user@ip and nick!user@cloak against every K-line. */
const struct xban *bans_match_user(const char *nick, const char *user, const char *ip,
                                   const char *cloak);
/* Every live ban of kind, oldest first (expired ones are dropped first). */
void bans_foreach(char kind, void (*fn)(const struct xban *b, void *arg), void *arg);
/* Where the file is, for messages. */
const char *bans_path(void);
void bans_free(void);

#endif
