/* state_snap.c - the whole network state as events (a snapshot a new node
 * applies to catch up) and dropping the replicated view of other nodes. */
#include <stdio.h>
#include <string.h>

#include "channel.h"
#include "node.h"
#include "server.h"
#include "state.h"
#include "state_int.h"

static void snap_users(void (*out)(const struct event *, void *), void *arg)
{
	struct client *u, *tmp;
	HASH_ITER(hh_uid, srv.uids, u, tmp) {
		if (!client_registered(u))
			continue;
		char umodes[8], *p = umodes;
		*p++ = '+';
		if (u->umodes & UMODE_INVISIBLE) *p++ = 'i';
		if (u->umodes & UMODE_OPER) *p++ = 'o';
		if (u->umodes & UMODE_WALLOPS) *p++ = 'w';
		*p = '\0';
		char ip[NETADDR_TEXT];
		struct event ev = {
			.type = EV_USER, .node = u->node->name, .uid = u->uid,
			.text = u->realname ? u->realname : "", .nargs = u->certfp ? 6 : 5,
			.args = { u->nick, u->user, u->host, umodes, u->addr.family ? client_ip(u, ip) : "",
			          u->certfp },
			.ts = (int64_t)u->signon,
		};
		out(&ev, arg);
		if (u->away) {
			struct event aw = { .type = EV_AWAY, .node = u->node->name, .uid = u->uid, .text = u->away };
			out(&aw, arg);
		}
	}
}

/* A list mode's entries (`flag` "+b", "+e" or "+I") oldest first (the
 * list is newest first: apply prepends), each with its setter and time.
 * Recursion depth: [limits] max_bans. */
static void snap_list(const struct channel *ch, const char *flag, const struct ban *b,
                      void (*out)(const struct event *, void *), void *arg)
{
	if (!b)
		return;
	snap_list(ch, flag, b->next, out, arg);
	struct event ev = { .type = EV_CMODE, .node = srv.cfg.name, .chan = ch->name, .nargs = 2,
	                    .args = { flag, b->mask }, .text = b->by, .ts = (int64_t)b->when };
	out(&ev, arg);
}

/* "-<flags not set>+<flags set>[k][l]": the exact modes, whatever the
 * receiving side had (a new channel starts +nt). */
static void snap_modes(const struct channel *ch, void (*out)(const struct event *, void *), void *arg)
{
	static const struct { uint16_t bit; char c; } flags[] = {
		{ CMODE_INVITE, 'i' }, { CMODE_MODERATED, 'm' }, { CMODE_NOEXTERNAL, 'n' },
		{ CMODE_PRIVATE, 'p' }, { CMODE_SECRET, 's' }, { CMODE_TOPIC, 't' },
	};
	char modes[32], limit[16], *p = modes;
	struct event ev = { .type = EV_CMODE, .node = srv.cfg.name, .chan = ch->name, .nargs = 1,
	                    .args = { modes } };
	*p++ = '-';
	for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++)
		if (!(ch->modes & flags[i].bit))
			*p++ = flags[i].c;
	*p++ = '+';
	for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++)
		if (ch->modes & flags[i].bit)
			*p++ = flags[i].c;
	if (ch->modes & CMODE_KEY && ch->chkey) {
		*p++ = 'k';
		ev.args[ev.nargs++] = ch->chkey;
	}
	if (ch->modes & CMODE_LIMIT) {
		*p++ = 'l';
		snprintf(limit, sizeof limit, "%u", ch->limit);
		ev.args[ev.nargs++] = limit;
	}
	*p = '\0';
	out(&ev, arg);
	snap_list(ch, "+b", ch->bans, out, arg);
	snap_list(ch, "+e", ch->excepts, out, arg);
	snap_list(ch, "+I", ch->invex, out, arg);
}

static void snap_channels(void (*out)(const struct event *, void *), void *arg)
{
	struct channel *ch, *tmp;
	HASH_ITER(hh, srv.channels, ch, tmp) {
		/* members oldest first (the list is newest first), so the
		 * rebuilt list has the same order; the first JOIN creates it */
		struct member *last = ch->members;
		while (last && last->cnext)
			last = last->cnext;
		for (struct member *m = last; m; m = m->cprev) {
			char modes[3], *p = modes;
			if (m->modes & MEMBER_OP) *p++ = 'o';
			if (m->modes & MEMBER_VOICE) *p++ = 'v';
			*p = '\0';
			struct event ev = { .type = EV_JOIN, .node = srv.cfg.name, .uid = m->cl->uid, .chan = ch->name,
			                    .nargs = 1, .args = { modes }, .ts = (int64_t)ch->created };
			out(&ev, arg);
		}
		snap_modes(ch, out, arg);
		if (ch->topic || ch->topic_by) {
			struct event ev = { .type = EV_TOPIC, .node = srv.cfg.name, .chan = ch->name,
			                    .text = ch->topic ? ch->topic : "", .nargs = 1,
			                    .args = { ch->topic_by ? ch->topic_by : srv.cfg.name },
			                    .ts = (int64_t)ch->topic_time };
			out(&ev, arg);
		}
		for (const struct invite *i = ch->invites; i; i = i->cnext) {
			struct event ev = { .type = EV_INVITE, .node = srv.cfg.name, .target = i->cl->uid,
			                    .chan = ch->name };
			out(&ev, arg);
		}
	}
}

void state_snapshot(void (*out)(const struct event *ev, void *arg), void *arg)
{
	for (const struct node *n = srv.nodes; n; n = n->next) {
		struct event ev = { .type = EV_NODE_UP, .node = n->name, .nargs = 3,
		                    .args = { n->name, n->sid, n->description }, .ts = n->since };
		out(&ev, arg);
	}
	snap_users(out, arg);
	snap_channels(out, arg);
}

void state_reset_remote(const char *reason)
{
	struct client *u, *tmp;
	HASH_ITER(hh_uid, srv.uids, u, tmp)
		if (u->remote)
			state_user_remove(u, reason ? reason : "", reason == NULL);
	for (struct node *n = srv.nodes, *next; n; n = next) {
		next = n->next;
		node_remove(n);   /* never this one */
	}
}
