/* cmd_stats.c - STATS: "k"/"d" the server bans (cmd_xline.c), "w" the
 * work counters (stats.h, match.h), both for IRC operators; "u" uptime for
 * everyone. Other letters end the list empty. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "commands.h"
#include "match.h"
#include "numeric.h"
#include "send.h"
#include "server.h"
#include "stats.h"

struct work_counters work;

HANDLER(cmd_stats)
{
	const char *q = m->nparams > 0 && m->params[0][0] ? m->params[0] : "*";
	char letter = q[1] ? '*' : q[0];
	if (strchr("kKdD", letter)) {
		if (!xline_stats(c, letter))
			return;
	} else if (letter == 'u') {
		long long up = (long long)(time(NULL) - srv.started);
		send_numeric(c, RPL_STATSUPTIME, ":Server Up %lld days %lld:%02lld:%02lld", up / 86400,
		             up / 3600 % 24, up / 60 % 60, up % 60);
	} else if (letter == 'w') {
		if (!(c->umodes & UMODE_OPER)) {
			send_numeric(c, ERR_NOPRIVILEGES, ":Permission Denied- You're not an IRC operator");
			return;
		}
		send_numeric(c, RPL_STATSDEBUG, "w :match=%llu walk=%llu overlap=%llu invites=%llu bans=%llu crypt=%llu list=%llu",
		             match_steps, work.walk, work.overlap, work.invites, work.bans, work.crypts,
		             work.list_slices);
	}
	send_numeric(c, RPL_ENDOFSTATS, "%c :End of /STATS report", letter);
}
