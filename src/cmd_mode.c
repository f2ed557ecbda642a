/* cmd_mode.c - MODE for channels (flags, ops/voices, key, limit, bans)
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
	char mask[160];
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
	char added[8] = "", removed[8] = "";
	size_t na = 0, nr = 0;
	int plus = 1, unknown = 0;
	for (const char *p = m->params[1]; *p; p++) {
		uint8_t bit = 0;
		switch (*p) {
		case '+': plus = 1; continue;
		case '-': plus = 0; continue;
		case 'i': bit = UMODE_INVISIBLE; break;
		case 'w': bit = UMODE_WALLOPS; break;
		case 'o':
			/* +o only through OPER */
			if (plus)
				continue;
			bit = UMODE_OPER;
			break;
		default:
			unknown = 1;
			continue;
		}
		if (plus && !(c->umodes & bit)) {
			c->umodes |= bit;
			if (bit == UMODE_INVISIBLE)
				srv.invisible++;
			if (na < 6) added[na++] = *p;
		} else if (!plus && c->umodes & bit) {
			c->umodes &= (uint8_t)~bit;
			if (bit == UMODE_INVISIBLE)
				srv.invisible--;
			if (bit == UMODE_OPER)
				srv.opers--;
			if (nr < 6) removed[nr++] = *p;
		}
	}
	added[na] = removed[nr] = '\0';
	if (unknown)
		send_numeric(c, ERR_UMODEUNKNOWNFLAG, ":Unknown MODE flag");
	if (na || nr)
		send_line(c, ":%s MODE %s :%s%s%s%s", client_mask(c, mask, sizeof mask), c->nick, na ? "+" : "", added,
		          nr ? "-" : "", removed);
}

/* ---- channel modes */

/* nick -> nick!*@*, user@host -> *!user@host, so every ban is a full mask */
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

static void send_banlist(struct client *c, struct channel *ch)
{
	for (struct ban *b = ch->bans; b; b = b->next)
		send_numeric(c, RPL_BANLIST, "%s %s %s %lld", ch->name, b->mask, b->by, (long long)b->when);
	send_numeric(c, RPL_ENDOFBANLIST, "%s :End of channel ban list", ch->name);
}

static int ban_add(struct client *c, struct channel *ch, const char *mask)
{
	for (struct ban *b = ch->bans; b; b = b->next)
		if (casemap_cmp(srv.cfg.casemapping, b->mask, mask) == 0)
			return 0;
	/* memory per channel: max_bans entries, max_ban_bytes of text */
	size_t bytes = strlen(mask) + strlen(c->nick);
	for (const struct ban *b = ch->bans; b; b = b->next)
		bytes += strlen(b->mask) + strlen(b->by);
	if (ch->nbans >= (unsigned)srv.cfg.max_bans || bytes > (size_t)srv.cfg.max_ban_bytes) {
		send_numeric(c, ERR_BANLISTFULL, "%s %s :Channel ban list is full", ch->name, mask);
		return 0;
	}
	struct ban *b = calloc(1, sizeof *b);
	if (!b)
		return 0;
	b->mask = strdup(mask);
	b->by = strdup(c->nick);
	b->when = time(NULL);
	b->next = ch->bans;
	ch->bans = b;
	ch->nbans++;
	return 1;
}

static int ban_del(struct channel *ch, const char *mask)
{
	for (struct ban **pp = &ch->bans; *pp; pp = &(*pp)->next)
		if (casemap_cmp(srv.cfg.casemapping, (*pp)->mask, mask) == 0) {
			struct ban *b = *pp;
			*pp = b->next;
			free(b->mask);
			free(b->by);
			free(b);
			ch->nbans--;
			return 1;
		}
	return 0;
}

/* The MODE line being built. Applied changes are never dropped: when the
 * next one would not fit one line, the line so far is sent first. */
struct change {
	struct channel *ch;
	const char *source;  /* nick!user@host of the setter */
	size_t head;         /* length of ":source MODE #chan " */
	char flags[64];      /* "+o-v" */
	size_t nflags;
	char args[512];
	size_t nargs;
	int last_sign;       /* +1 / -1 / 0 */
};

static void flush_changes(struct change *chg)
{
	if (chg->nflags == 0)
		return;
	struct sbuf *b = line_new(":%s MODE %s %s%s", chg->source, chg->ch->name, chg->flags, chg->args);
	send_to_channel(chg->ch, NULL, b);
	if (b)
		sbuf_unref(b);
	chg->nflags = chg->nargs = 0;
	chg->flags[0] = chg->args[0] = '\0';
	chg->last_sign = 0;
}

static void record(struct change *chg, int plus, char mode, const char *arg)
{
	size_t alen = arg ? strlen(arg) + 1 : 0;
	/* worst case a sign and the letter; 510 is the line limit without CRLF */
	if (chg->nflags + 3 >= sizeof chg->flags || chg->nargs + alen >= sizeof chg->args ||
	    chg->head + chg->nflags + 2 + chg->nargs + alen > 510)
		flush_changes(chg);
	if (chg->last_sign != (plus ? 1 : -1)) {
		chg->flags[chg->nflags++] = plus ? '+' : '-';
		chg->last_sign = plus ? 1 : -1;
	}
	chg->flags[chg->nflags++] = mode;
	chg->flags[chg->nflags] = '\0';
	if (arg)
		chg->nargs += (size_t)snprintf(chg->args + chg->nargs, sizeof chg->args - chg->nargs, " %s", arg);
}

static const uint16_t flag_bits[128] = {
	['i'] = CMODE_INVITE, ['m'] = CMODE_MODERATED, ['n'] = CMODE_NOEXTERNAL,
	['p'] = CMODE_PRIVATE, ['s'] = CMODE_SECRET, ['t'] = CMODE_TOPIC,
};

static void channel_mode(struct client *c, struct message *m)
{
	char mask[160];
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
	int plus = 1, argi = 2, withargs = 0, denied = 0, listed = 0;
	struct change chg = { .ch = ch, .source = client_mask(c, mask, sizeof mask) };
	chg.head = strlen(chg.source) + strlen(ch->name) + 8;  /* ":" " MODE " " " */

	for (const char *p = m->params[1]; *p; p++) {
		char mode = *p;
		const char *arg = NULL;
		if (mode == '+' || mode == '-') {
			plus = mode == '+';
			continue;
		}
		/* which modes take an argument in this direction */
		int takes = mode == 'o' || mode == 'v' || mode == 'b' || mode == 'k' || (mode == 'l' && plus);
		if (takes && argi < m->nparams) {
			if (withargs >= MODES_PER_LINE)
				break;
			arg = m->params[argi++];
			withargs++;
		}
		if (mode == 'b' && !arg) {
			if (!listed++)
				send_banlist(c, ch);
			continue;
		}
		if (!strchr("biklmnopstv", mode)) {
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
			struct member *tm = channel_member(ch, t);
			if (!tm) {
				send_numeric(c, ERR_USERNOTINCHANNEL, "%s %s :They aren't on that channel", t->nick, ch->name);
				break;
			}
			uint8_t bit = mode == 'o' ? MEMBER_OP : MEMBER_VOICE;
			if (plus == !!(tm->modes & bit))
				break;
			tm->modes = plus ? (uint8_t)(tm->modes | bit) : (uint8_t)(tm->modes & ~bit);
			record(&chg, plus, mode, t->nick);
			break;
		}
		case 'b': {
			char full[160];
			/* a mask is sent back as a middle parameter of MODE and 367:
			 * one with a space (a trailing ":a b") would read as two */
			if (plus && !msg_is_middle(arg)) {
				send_numeric(c, ERR_INVALIDMODEPARAM, "%s b * :Invalid ban mask", ch->name);
				break;
			}
			normalise_mask(arg, full, sizeof full);
			if (plus ? ban_add(c, ch, full) : ban_del(ch, full))
				record(&chg, plus, mode, full);
			break;
		}
		case 'k':
			if (plus) {
				if (!arg || !msg_is_middle(arg) || strchr(arg, ',') || strlen(arg) > 23) {
					if (arg)
						send_numeric(c, ERR_INVALIDKEY, "%s :Key is not well-formed", ch->name);
					break;
				}
				free(ch->chkey);
				ch->chkey = strdup(arg);
				ch->modes |= CMODE_KEY;
				record(&chg, 1, 'k', arg);
			} else if (ch->modes & CMODE_KEY) {
				ch->modes &= (uint16_t)~CMODE_KEY;
				record(&chg, 0, 'k', "*");
				free(ch->chkey);
				ch->chkey = NULL;
			}
			break;
		case 'l':
			if (plus) {
				long n = arg ? strtol(arg, NULL, 10) : 0;
				if (n <= 0 || n > 1000000)
					break;
				ch->limit = (unsigned)n;
				ch->modes |= CMODE_LIMIT;
				char num[16];
				snprintf(num, sizeof num, "%ld", n);
				record(&chg, 1, 'l', num);
			} else if (ch->modes & CMODE_LIMIT) {
				ch->modes &= (uint16_t)~CMODE_LIMIT;
				record(&chg, 0, 'l', NULL);
			}
			break;
		default: {
			uint16_t bit = flag_bits[(unsigned char)mode];
			if (plus == !!(ch->modes & bit))
				break;
			ch->modes = plus ? (uint16_t)(ch->modes | bit) : (uint16_t)(ch->modes & ~bit);
			record(&chg, plus, mode, NULL);
		}
		}
	}
	flush_changes(&chg);
}

HANDLER(cmd_mode)
{
	if (m->params[0][0] == '#')
		channel_mode(c, m);
	else
		user_mode(c, m);
}
