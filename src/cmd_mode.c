/* cmd_mode.c - MODE for channels (flags, ops/voices, key, limit, the
 * lists: bans, ban exceptions, invite exceptions)
 * and for users (+i, +w, -o). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "channel.h"
#include "commands.h"
#include "numeric.h"
#include "send.h"
#include "server.h"

#define MODES_PER_LINE 6   /* MODES= in 005: param-taking modes per command */

/* ---- user modes */

static void user_mode(struct client *c, struct message *m)
{
	struct client *t = client_find(m->params[0]);
	if (!t) {
		send_numeric(c, ERR_NOSUCHNICK, "%s :No such nick/channel", m->params[0]);
		return;
	}
	if (t != c) {
		send_numeric(c, ERR_USERSDONTMATCH, ":Can't change mode for other users");
		return;
	}
	if (m->nparams < 2) {
		char buf[8], *p = buf;
		*p++ = '+';
		if (c->umodes & UMODE_INVISIBLE) *p++ = 'i';
		if (c->umodes & UMODE_OPER) *p++ = 'o';
		if (c->umodes & UMODE_WALLOPS) *p++ = 'w';
		*p = '\0';
		send_numeric(c, RPL_UMODEIS, "%s", buf);
		return;
	}
	/* the known letters go to the apply layer, which keeps what changes */
	char modes[64];
	size_t n = 0;
	int unknown = 0;
	for (const char *p = m->params[1]; *p && n < sizeof modes - 1; p++) {
		if (strchr("+-iwo", *p))
			modes[n++] = *p;
		else
			unknown = 1;
	}
	modes[n] = '\0';
	if (unknown)
		send_numeric(c, ERR_UMODEUNKNOWNFLAG, ":Unknown MODE flag");
	if (strpbrk(modes, "iwo")) {
		struct event ev = { .type = EV_UMODE, .uid = c->uid, .u_hint = c, .nargs = 1, .args = { modes } };
		event_emit(&ev);
	}
}

/* ---- channel modes */

/* nick -> nick!*@*, user@host -> *!user@host, so every list entry is a
 * full mask */
static void normalise_mask(const char *in, char *out, size_t len)
{
	const char *bang = strchr(in, '!'), *at = strchr(in, '@');
	if (bang && at)
		snprintf(out, len, "%s", in);
	else if (at)
		snprintf(out, len, "*!%s", in);
	else if (bang)
		snprintf(out, len, "%s@*", in);
	else
		snprintf(out, len, "%s!*@*", in);
}

/* Each list mode's entry and end numerics (the end texts solanum's). */
static void send_list(struct client *c, struct channel *ch, char mode)
{
	int entry = mode == 'b' ? RPL_BANLIST : mode == 'e' ? RPL_EXCEPTLIST : RPL_INVEXLIST;
	for (const struct ban *b = channel_list_head(ch, mode); b; b = b->next)
		send_numeric(c, entry, "%s %s %s %lld", ch->name, b->mask, b->by, (long long)b->when);
	if (mode == 'b')
		send_numeric(c, RPL_ENDOFBANLIST, "%s :End of channel ban list", ch->name);
	else if (mode == 'e')
		send_numeric(c, RPL_ENDOFEXCEPTLIST, "%s :End of Channel Exception List", ch->name);
	else
		send_numeric(c, RPL_ENDOFINVEXLIST, "%s :End of Channel Invite List", ch->name);
}

/* The event being built: args[0] the letters, args[1..] their parameters. */
struct modes_ev {
	char flags[64];
	size_t nflags;
	int last_sign;
	struct event ev;
};

static void add_change(struct modes_ev *me, int plus, char mode, const char *arg)
{
	if (me->nflags + 3 >= sizeof me->flags || (arg && me->ev.nargs >= EV_MAXARGS))
		return;
	if (me->last_sign != (plus ? 1 : -1)) {
		me->flags[me->nflags++] = plus ? '+' : '-';
		me->last_sign = plus ? 1 : -1;
	}
	me->flags[me->nflags++] = mode;
	me->flags[me->nflags] = '\0';
	if (arg)
		me->ev.args[me->ev.nargs++] = arg;
}

static void channel_mode(struct client *c, struct message *m)
{
	struct channel *ch = channel_find_for(m->params[0], c);
	if (!ch) {
		send_numeric(c, ERR_NOSUCHCHANNEL, "%s :No such channel", m->params[0]);
		return;
	}
	struct member *me = channel_member(ch, c);
	if (m->nparams < 2) {
		char modes[128];
		channel_mode_string(ch, me != NULL, modes, sizeof modes);
		send_numeric(c, RPL_CHANNELMODEIS, "%s %s", ch->name, modes);
		send_numeric(c, RPL_CREATIONTIME, "%s %lld", ch->name, (long long)ch->created);
		return;
	}
	int is_op = me && me->modes & MEMBER_OP;
	int plus = 1, argi = 2, withargs = 0, denied = 0;
	char listed[sizeof CHAN_LIST_MODES] = "";   /* lists sent: each once */
	/* checked here, applied (and re-checked) by the apply layer */
	char masks[MODES_PER_LINE][160];
	int nmasks = 0;
	struct modes_ev chg = { .ev = { .type = EV_CMODE, .uid = c->uid, .u_hint = c, .chan = ch->name,
	                                  .ch_hint = ch, .nargs = 1 } };
	chg.ev.args[0] = chg.flags;

	for (const char *p = m->params[1]; *p; p++) {
		char mode = *p;
		const char *arg = NULL;
		if (mode == '+' || mode == '-') {
			plus = mode == '+';
			continue;
		}
		/* which modes take an argument in this direction */
		int list = strchr(CHAN_LIST_MODES, mode) != NULL;
		int takes = list || mode == 'o' || mode == 'v' || mode == 'k' || (mode == 'l' && plus);
		if (takes && argi < m->nparams) {
			if (withargs >= MODES_PER_LINE)
				break;
			arg = m->params[argi++];
			withargs++;
		}
		if (list && !arg) {
			/* anyone who sees the channel sees its bans; only its ops
			 * the exceptions (solanum too): who is let past a ban or
			 * +i, and by which mask, is the ops' business */
			if (mode != 'b' && !is_op) {
				if (!denied++)
					send_numeric(c, ERR_CHANOPRIVSNEEDED, "%s :You're not channel operator", ch->name);
			} else if (!strchr(listed, mode)) {
				listed[strlen(listed)] = mode;
				send_list(c, ch, mode);
			}
			continue;
		}
		if (!strchr("beIiklmnopstv", mode)) {
			send_numeric(c, ERR_UNKNOWNMODE, "%c :is unknown mode char to me for %s", mode, ch->name);
			continue;
		}
		if (!is_op) {
			if (!denied++)
				send_numeric(c, ERR_CHANOPRIVSNEEDED, "%s :You're not channel operator", ch->name);
			continue;
		}
		switch (mode) {
		case 'o':
		case 'v': {
			if (!arg)
				break;
			struct client *t = client_find(arg);
			if (!t) {
				send_numeric(c, ERR_NOSUCHNICK, "%s :No such nick/channel", arg);
				break;
			}
			if (!channel_member(ch, t)) {
				send_numeric(c, ERR_USERNOTINCHANNEL, "%s %s :They aren't on that channel", t->nick, ch->name);
				break;
			}
			add_change(&chg, plus, mode, t->uid);
			break;
		}
		case 'b':
		case 'e':
		case 'I':
			/* a mask is sent back as a middle parameter of MODE and 367:
			 * one with a space (a trailing ":a b") would read as two */
			if (plus && !msg_is_middle(arg)) {
				send_numeric(c, ERR_INVALIDMODEPARAM, "%s %c * :Invalid ban mask", ch->name, mode);
				break;
			}
			normalise_mask(arg, masks[nmasks], sizeof masks[0]);
			add_change(&chg, plus, mode, masks[nmasks++]);
			break;
		case 'k':
			if (plus) {
				if (!arg || !msg_is_middle(arg) || strchr(arg, ',') || strlen(arg) > 23) {
					if (arg)
						send_numeric(c, ERR_INVALIDKEY, "%s :Key is not well-formed", ch->name);
					break;
				}
				add_change(&chg, 1, 'k', arg);
			} else {
				add_change(&chg, 0, 'k', NULL);
			}
			break;
		case 'l':
			if (plus) {
				long n = arg ? strtol(arg, NULL, 10) : 0;
				if (n <= 0 || n > 1000000)
					break;
				add_change(&chg, 1, 'l', arg);
			} else {
				add_change(&chg, 0, 'l', NULL);
			}
			break;
		default:
			add_change(&chg, plus, mode, NULL);
		}
	}
	if (chg.nflags)
		event_emit(&chg.ev);
}

HANDLER(cmd_mode)
{
	if (m->params[0][0] == '#')
		channel_mode(c, m);
	else
		user_mode(c, m);
}
