/* state_chan.c - applying channel events: JOIN, PART, KICK, TOPIC,
 * INVITE, channel MODE. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cap.h"
#include "channel.h"
#include "commands.h"
#include "log.h"
#include "numeric.h"
#include "send.h"
#include "server.h"
#include "state_int.h"

/* The channel an event names, or NULL (dropped, logged). */
static struct channel *chan_of(const struct event *ev)
{
	struct channel *ch = ev->ch_hint ? ev->ch_hint : ev->chan ? channel_find(ev->chan) : NULL;
	if (!ch)
		log_debug("state: event %d for unknown channel %s, dropped", ev->type, ev->chan ? ev->chan : "(none)");
	return ch;
}

static int64_t ev_seconds(const struct event *ev)
{
	return ev->ts ? ev->ts : ev->time_ms / 1000;
}

void state_join(const struct event *ev)
{
	char mask[160];
	struct client *u = state_user(ev, ev->uid);
	if (!u)
		return;
	if (!ev->chan || !channel_name_valid(ev->chan)) {
		log_warn("state: JOIN to a bad channel name from %s, dropped", ev->node ? ev->node : "?");
		return;
	}
	struct channel *ch = ev->ch_hint ? ev->ch_hint : channel_find(ev->chan);
	if (ch && channel_member(ch, u))
		return;
	uint8_t modes = 0;
	if (ev->nargs > 0) {
		/* exact member modes (snapshot) */
		for (const char *p = ev->args[0]; *p; p++)
			modes |= *p == 'o' ? MEMBER_OP : *p == 'v' ? MEMBER_VOICE : 0;
	} else if (!ch) {
		modes = MEMBER_OP;   /* whoever creates it, first in the log */
	}
	if (!ch) {
		if (!(ch = channel_create(ev->chan)))
			return;
		ch->created = (time_t)ev_seconds(ev);
	} else {
		channel_uninvite(ch, u);
	}
	if (!channel_add(ch, u, modes))
		return;
	/* extended-join adds the account ("*": not logged in) and realname */
	struct fanout f;
	client_mask(u, mask, sizeof mask);
	fanout_init(&f, line_new(":%s JOIN %s", mask, ch->name));
	f.v[4] = line_new(":%s JOIN %s %s :%s", mask, ch->name, u->account ? u->account : "*",
	                  u->realname ? u->realname : "");
	f.alt_cap = CAP_EXTENDED_JOIN;
	f.account = u->account;
	fanout_channel(&f, ch, NULL);
	fanout_done(&f);
	if (u->away) {
		/* away-notify: members learn the newcomer is away */
		fanout_init(&f, line_new(":%s AWAY :%s", mask, u->away));
		f.need = CAP_AWAY_NOTIFY;
		f.account = u->account;
		fanout_channel(&f, ch, u);
		fanout_done(&f);
	}
	if (!u->remote) {
		if (ch->topic)
			send_topic(u, ch);
		send_names(u, ch);
	}
}

/* u leaves ch: line b (PART or KICK, taken over) to every member, u
 * included; account: the source's (the parting user, the kicker). */
static void leave(struct channel *ch, struct client *u, struct sbuf *b, const char *account)
{
	send_to_channel(ch, NULL, b, account);
	if (b)
		sbuf_unref(b);
	channel_remove(ch, u);
}

void state_part(const struct event *ev)
{
	char mask[160];
	struct client *u = state_user(ev, ev->uid);
	struct channel *ch = u ? chan_of(ev) : NULL;
	if (!ch || !channel_member(ch, u))
		return;
	client_mask(u, mask, sizeof mask);
	leave(ch, u, ev->text && ev->text[0] ? line_new(":%s PART %s :%s", mask, ch->name, ev->text)
	                                      : line_new(":%s PART %s", mask, ch->name), u->account);
}

void state_kick(const struct event *ev)
{
	char mask[160];
	struct client *k = ev->uid ? state_user(ev, ev->uid) : NULL;
	struct client *t = state_user(ev, ev->target);
	struct channel *ch = t && (k || !ev->uid) ? chan_of(ev) : NULL;
	if (!ch || !channel_member(ch, t))
		return;  /* gone already: nothing to do, on every node */
	leave(ch, t, line_new(":%s KICK %s %s :%s", state_source(ev, k, mask, sizeof mask), ch->name,
	                      t->nick, ev->text ? ev->text : t->nick), k ? k->account : NULL);
}

void state_topic(const struct event *ev)
{
	char mask[160];
	struct client *u = ev->uid ? state_user(ev, ev->uid) : NULL;
	struct channel *ch = u || !ev->uid ? chan_of(ev) : NULL;
	if (!ch)
		return;
	const char *topic = ev->text ? ev->text : "";
	state_source(ev, u, mask, sizeof mask);
	free(ch->topic);
	free(ch->topic_by);
	ch->topic = topic[0] ? strdup(topic) : NULL;
	ch->topic_by = strdup(ev->nargs > 0 ? ev->args[0] : mask);
	ch->topic_time = (time_t)ev_seconds(ev);
	struct sbuf *b = line_new(":%s TOPIC %s :%s", mask, ch->name, topic);
	send_to_channel(ch, NULL, b, u ? u->account : NULL);
	if (b)
		sbuf_unref(b);
}

void state_invite(const struct event *ev)
{
	char mask[160];
	struct client *u = ev->uid ? state_user(ev, ev->uid) : NULL;
	struct client *t = state_user(ev, ev->target);
	struct channel *ch = t && (u || !ev->uid) ? chan_of(ev) : NULL;
	if (!ch || channel_member(ch, t))
		return;
	channel_invite(ch, t);
	if (!u)
		return;   /* a snapshot's invitation: no lines */
	struct fanout f;
	fanout_init(&f, line_new(":%s INVITE %s :%s", client_mask(u, mask, sizeof mask), t->nick, ch->name));
	f.account = u->account;
	fanout_to(&f, t);
	/* invite-notify: members with the cap; on a +i channel only its ops,
	 * who could have invited too */
	f.need = CAP_INVITE_NOTIFY;
	for (struct member *mb = ch->members; mb; mb = mb->cnext)
		if (mb->cl != u && (!(ch->modes & CMODE_INVITE) || mb->modes & MEMBER_OP))
			fanout_to(&f, mb->cl);
	fanout_done(&f);
}

/* ---- channel MODE */

/* The MODE line being built. Applied changes are never dropped: when the
 * next one would not fit one line, the line so far is sent first. */
struct change {
	struct channel *ch;
	const char *source;  /* nick!user@host of the setter, or the node */
	const char *account; /* the setter's services account (account-tag), or NULL */
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
	send_to_channel(chg->ch, NULL, b, chg->account);
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

/* An entry of list mode `mode` (b, e, I). One bound covers the three
 * lists together ([limits] max_bans entries, max_ban_bytes of text), so a
 * channel's memory for them stays what it was with bans alone. */
static int list_add(const struct event *ev, struct client *setter, struct channel *ch, char mode,
                    const char *mask)
{
	struct ban **list = channel_list(ch, mode);
	for (struct ban *b = *list; b; b = b->next)
		if (casemap_cmp(srv.cfg.casemapping, b->mask, mask) == 0)
			return 0;
	const char *by = ev->text ? ev->text : setter ? setter->nick : ev->node ? ev->node : srv.cfg.name;
	size_t bytes = strlen(mask) + strlen(by);
	for (const char *l = CHAN_LIST_MODES; *l; l++)
		for (const struct ban *b = channel_list_head(ch, *l); b; b = b->next)
			bytes += strlen(b->mask) + strlen(b->by);
	if (ch->nbans >= (unsigned)srv.cfg.max_bans || bytes > (size_t)srv.cfg.max_ban_bytes) {
		if (setter)
			send_numeric(setter, ERR_BANLISTFULL, "%s %s :Channel %s list is full", ch->name, mask,
			             mode == 'b' ? "ban" : mode == 'e' ? "exception" : "invite exception");
		return 0;
	}
	struct ban *b = calloc(1, sizeof *b);
	if (!b || !(b->mask = strdup(mask)) || !(b->by = strdup(by))) {
		if (b)
			free(b->mask);
		free(b);
		return 0;
	}
	b->when = (time_t)ev_seconds(ev);
	b->next = *list;
	*list = b;
	ch->nbans++;
	return 1;
}

static int list_del(struct channel *ch, char mode, const char *mask)
{
	for (struct ban **pp = channel_list(ch, mode); *pp; pp = &(*pp)->next)
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

static const uint16_t flag_bits[128] = {
	['i'] = CMODE_INVITE, ['m'] = CMODE_MODERATED, ['n'] = CMODE_NOEXTERNAL,
	['p'] = CMODE_PRIVATE, ['s'] = CMODE_SECRET, ['t'] = CMODE_TOPIC,
};

void state_cmode(const struct event *ev)
{
	char mask[160];
	struct client *u = ev->uid ? state_user(ev, ev->uid) : NULL;
	struct channel *ch = (u || !ev->uid) && ev->nargs > 0 ? chan_of(ev) : NULL;
	if (!ch)
		return;
	struct change chg = { .ch = ch, .source = state_source(ev, u, mask, sizeof mask),
	                      .account = u ? u->account : NULL };
	chg.head = strlen(chg.source) + strlen(ch->name) + 8;  /* ":" " MODE " " " */
	int plus = 1, argi = 1;
	for (const char *p = ev->args[0]; *p; p++) {
		char mode = *p;
		if (mode == '+' || mode == '-') {
			plus = mode == '+';
			continue;
		}
		int takes = strchr("ovbeI", mode) || (plus && (mode == 'k' || mode == 'l'));
		const char *arg = takes && argi < ev->nargs ? ev->args[argi++] : NULL;
		if (takes && (!arg || !arg[0] || strchr(arg, ' '))) {
			log_warn("state: MODE %s from %s: %c without a parameter, rest dropped", ch->name,
			         ev->node ? ev->node : "?", mode);
			break;
		}
		switch (mode) {
		case 'o':
		case 'v': {
			struct client *t = client_find_uid(arg, 0);
			struct member *tm = t ? channel_member(ch, t) : NULL;
			uint8_t bit = mode == 'o' ? MEMBER_OP : MEMBER_VOICE;
			if (!tm || plus == !!(tm->modes & bit))
				break;   /* gone meanwhile, or no change */
			tm->modes = plus ? (uint8_t)(tm->modes | bit) : (uint8_t)(tm->modes & ~bit);
			record(&chg, plus, mode, t->nick);
			break;
		}
		case 'b':
		case 'e':
		case 'I':
			if (plus ? list_add(ev, u, ch, mode, arg) : list_del(ch, mode, arg))
				record(&chg, plus, mode, arg);
			break;
		case 'k':
			if (plus) {
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
				long n = strtol(arg, NULL, 10);
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
			uint16_t bit = (unsigned char)mode < 128 ? flag_bits[(unsigned char)mode] : 0;
			if (!bit || plus == !!(ch->modes & bit))
				break;
			ch->modes = plus ? (uint16_t)(ch->modes | bit) : (uint16_t)(ch->modes & ~bit);
			record(&chg, plus, mode, NULL);
		}
		}
	}
	flush_changes(&chg);
}

/* TS6: a peer (services) knows the channel as older. The older one wins:
 * every mode, list entry and status here goes, members see it as one server MODE,
 * then the peer's modes follow as ordinary CMODE events. */
void state_chants(const struct event *ev)
{
	struct channel *ch = chan_of(ev);
	if (!ch || ev->ts <= 0 || ev->ts >= (int64_t)ch->created)
		return;
	char src[160];
	struct change chg = { .ch = ch, .source = state_source(ev, NULL, src, sizeof src) };
	chg.head = strlen(chg.source) + strlen(ch->name) + 8;
	for (int i = 0; i < 128; i++)
		if (flag_bits[i] && ch->modes & flag_bits[i])
			record(&chg, 0, (char)i, NULL);
	if (ch->modes & CMODE_KEY)
		record(&chg, 0, 'k', "*");
	if (ch->modes & CMODE_LIMIT)
		record(&chg, 0, 'l', NULL);
	ch->modes = 0;
	free(ch->chkey);
	ch->chkey = NULL;
	for (const char *l = CHAN_LIST_MODES; *l; l++) {
		struct ban **list = channel_list(ch, *l);
		while (*list) {
			record(&chg, 0, *l, (*list)->mask);
			list_del(ch, *l, (*list)->mask);
		}
	}
	for (struct member *m = ch->members; m; m = m->cnext) {
		if (m->modes & MEMBER_OP)
			record(&chg, 0, 'o', m->cl->nick);
		if (m->modes & MEMBER_VOICE)
			record(&chg, 0, 'v', m->cl->nick);
		m->modes = 0;
	}
	log_info("state: %s TS %lld -> %lld (older on %s)", ch->name, (long long)ch->created, (long long)ev->ts,
	         ev->node ? ev->node : "?");
	ch->created = (time_t)ev->ts;
	flush_changes(&chg);
}
