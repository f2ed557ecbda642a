/* stats.h - counters of work done on behalf of clients.
 *
 * The security audit (issue 15) measured lines that made the server do far
 * more than they looked like. These counters count that work in units that
 * do not depend on the machine (entries visited, checks made), so tests
 * can assert a bound on it and operators can see it: STATS w. */
#ifndef IRCMINI_STATS_H
#define IRCMINI_STATS_H

struct work_counters {
	unsigned long long walk;     /* users/channels visited by WHO, LIST, NAMES walks */
	unsigned long long overlap;  /* membership tests WHO made to see invisible users */
	unsigned long long invites;  /* invite entries looked at when clients leave */
	unsigned long long bans;     /* bans tried against joining clients */
	unsigned long long crypts;   /* crypt(3) runs for OPER */
	unsigned long long list_slices; /* LIST slices run (cmd_list.c): > 1 per LIST = resumed */
};

extern struct work_counters work;

#endif
