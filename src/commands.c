/* commands.c - the one dispatch table. Every command's handler is named
 * here; handlers live in cmd_<family>.c. */
#include "commands.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cap.h"
#include "numeric.h"
#include "send.h"

enum {
	F_PREREG = 1 << 0,   /* allowed before registration */
};

struct command {
	const char *name;
	cmd_handler fn;
	int min_params;
	int flags;
};

/* sorted by name for bsearch */
static const struct command table[] = {
	{ "ADMIN", cmd_admin, 0, 0 },
	{ "AUTHENTICATE", cmd_authenticate, 1, F_PREREG },
	{ "AWAY", cmd_away, 0, 0 },
	{ "CAP", cmd_cap, 1, F_PREREG },
	{ "DLINE", cmd_dline, 1, 0 },
	{ "HELP", cmd_help, 0, 0 },
	{ "HELPOP", cmd_help, 0, 0 },
	{ "INFO", cmd_info, 0, 0 },
	{ "INVITE", cmd_invite, 2, 0 },
	{ "ISON", cmd_ison, 1, 0 },
	{ "JOIN", cmd_join, 1, 0 },
	{ "KICK", cmd_kick, 2, 0 },
	{ "KILL", cmd_kill, 1, 0 },
	{ "KLINE", cmd_kline, 1, 0 },
	{ "LINKS", cmd_links, 0, 0 },
	{ "LIST", cmd_list, 0, 0 },
	{ "LUSERS", cmd_lusers, 0, 0 },
	{ "MODE", cmd_mode, 1, 0 },
	{ "MOTD", cmd_motd, 0, 0 },
	{ "NAMES", cmd_names, 0, 0 },
	{ "NICK", cmd_nick, 0, F_PREREG },
	{ "NOTICE", cmd_notice, 0, 0 },
	{ "OPER", cmd_oper, 2, 0 },
	{ "PART", cmd_part, 1, 0 },
	{ "PASS", cmd_pass, 1, F_PREREG },
	{ "PING", cmd_ping, 0, F_PREREG },
	{ "PONG", cmd_pong, 0, F_PREREG },
	{ "PRIVMSG", cmd_privmsg, 0, 0 },
	{ "QUIT", cmd_quit, 0, F_PREREG },
	{ "REHASH", cmd_rehash, 0, 0 },
	{ "SETNAME", cmd_setname, 1, 0 },
	{ "STATS", cmd_stats, 0, 0 },
	{ "TAGMSG", cmd_tagmsg, 0, 0 },
	{ "TIME", cmd_time, 0, 0 },
	{ "TOPIC", cmd_topic, 1, 0 },
	{ "UNDLINE", cmd_undline, 1, 0 },
	{ "UNKLINE", cmd_unkline, 1, 0 },
	{ "USER", cmd_user, 4, F_PREREG },
	{ "USERHOST", cmd_userhost, 1, 0 },
	{ "VERSION", cmd_version, 0, 0 },
	{ "WALLOPS", cmd_wallops, 1, 0 },
	{ "WHO", cmd_who, 0, 0 },
	{ "WHOIS", cmd_whois, 1, 0 },
	{ "WHOWAS", cmd_whowas, 1, 0 },
};

static int by_name(const void *key, const void *elem)
{
	return strcasecmp(key, ((const struct command *)elem)->name);
}

static void dispatch(struct client *c, struct message *m)
{
	const struct command *cmd = bsearch(m->command, table, sizeof table / sizeof table[0],
	                                    sizeof table[0], by_name);
	if (!cmd) {
		send_numeric(c, ERR_UNKNOWNCOMMAND, "%s :Unknown command", m->command);
		return;
	}
	if (!(cmd->flags & F_PREREG) && !client_registered(c)) {
		send_numeric(c, ERR_NOTREGISTERED, ":You have not registered");
		return;
	}
	if (m->nparams < cmd->min_params) {
		send_needmore(c, cmd->name);
		return;
	}
	cmd->fn(c, m);
}

/* The value of the label tag, if any, into buf (labels over 64 bytes are
 * ignored: the command then runs unlabeled). */
static const char *label_of(const char *tags, char *buf, size_t len)
{
	for (const char *p = tags; p && *p;) {
		size_t n = strcspn(p, ";");
		if (n > 6 && strncmp(p, "label=", 6) == 0 && n - 6 < len) {
			memcpy(buf, p + 6, n - 6);
			buf[n - 6] = '\0';
			return buf;
		}
		p += n;
		if (*p == ';')
			p++;
	}
	return NULL;
}

void command_dispatch(struct client *c, struct message *m)
{
	char buf[65];
	const char *label = NULL;
	/* labeled-response needs batch for replies of several lines */
	if ((c->caps & (CAP_LABELED_RESPONSE | CAP_BATCH)) == (CAP_LABELED_RESPONSE | CAP_BATCH))
		label = label_of(m->tags, buf, sizeof buf);
	if (!label) {
		dispatch(c, m);
		return;
	}
	send_label_begin(c, label);
	dispatch(c, m);
	send_label_end(c);
}
