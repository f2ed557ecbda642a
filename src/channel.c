/* channel.c - see channel.h */
#include "channel.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "list.h"
#include "match.h"
#include "server.h"
#include "stats.h"

struct channel *channel_find(const char *name)
{
	char key[CHAN_MAX + 1];
	struct channel *ch;
	if (strlen(name) > CHAN_MAX)
		return NULL;
	casemap_fold(srv.cfg.casemapping, key, sizeof key, name);
	HASH_FIND_STR(srv.channels, key, ch);
	return ch;
}

struct channel *channel_find_for(const char *name, const struct client *c)
{
	struct channel *ch = channel_find(name);
	return ch && channel_visible_to(ch, c) ? ch : NULL;
}

int channel_name_valid(const char *name)
{
	size_t len = strlen(name);
	if (name[0] != '#' || len < 2 || len > (size_t)srv.cfg.channellen)
		return 0;
	/* RFC 2812 1.3: no space, BELL, comma; we also refuse other controls */
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		if (*p <= ' ' || *p == ',' || *p == 7 || *p == ':')
			return 0;
	return 1;
}

struct channel *channel_create(const char *name)
{
	struct channel *ch = calloc(1, sizeof *ch);
	if (!ch)
		return NULL;
	snprintf(ch->name, sizeof ch->name, "%s", name);
	casemap_fold(srv.cfg.casemapping, ch->key, sizeof ch->key, name);
	ch->created = time(NULL);
	ch->modes = CMODE_TOPIC | CMODE_NOEXTERNAL;
	HASH_ADD_STR(srv.channels, key, ch);
	srv.nchannels++;
	return ch;
}

struct member *channel_member(const struct channel *ch, const struct client *c)
{
	/* a client is in few channels (max_channels): scan its own list */
	for (struct member *m = c->chans; m; m = m->unext)
		if (m->chan == ch)
			return m;
	return NULL;
}

struct member *channel_add(struct channel *ch, struct client *c, uint8_t modes)
{
	struct member *m = calloc(1, sizeof *m);
	if (!m)
		return NULL;
	m->chan = ch;
	m->cl = c;
	m->modes = modes;
	m->caps = c->caps;
	m->remote = c->remote;
	/* prepend: O(1); nobody relies on join order */
	m->cnext = ch->members;
	if (ch->members)
		ch->members->cprev = m;
	ch->members = m;
	ch->nmembers++;
	m->unext = c->chans;
	c->chans = m;
	c->nchans++;
	return m;
}

static void drop_invite(struct invite *i)
{
	if (i->cprev)
		i->cprev->cnext = i->cnext;
	else
		i->ch->invites = i->cnext;
	if (i->cnext)
		i->cnext->cprev = i->cprev;
	if (i->uprev)
		i->uprev->unext = i->unext;
	else
		i->cl->invites = i->unext;
	if (i->unext)
		i->unext->uprev = i->uprev;
	i->cl->ninvites--;
	free(i);
}

struct ban **channel_list(struct channel *ch, char mode)
{
	return mode == 'b' ? &ch->bans : mode == 'e' ? &ch->excepts : mode == 'I' ? &ch->invex : NULL;
}

const struct ban *channel_list_head(const struct channel *ch, char mode)
{
	return mode == 'b' ? ch->bans : mode == 'e' ? ch->excepts : mode == 'I' ? ch->invex : NULL;
}

static void free_channel(struct channel *ch)
{
	if (ch->list_cursors)
		list_channel_gone(ch);
	HASH_DEL(srv.channels, ch);
	srv.nchannels--;
	for (const char *l = CHAN_LIST_MODES; *l; l++) {
		struct ban **pp = channel_list(ch, *l);
		while (*pp) {
			struct ban *b = *pp;
			*pp = b->next;
			free(b->mask);
			free(b->by);
			free(b);
		}
	}
	while (ch->invites)
		drop_invite(ch->invites);
	free(ch->topic);
	free(ch->topic_by);
	free(ch->chkey);
	free(ch);
}

int channel_remove(struct channel *ch, struct client *c)
{
	struct member **pp = &c->chans, *m;
	while ((m = *pp) && m->chan != ch)
		pp = &m->unext;
	if (!m)
		return 0;
	*pp = m->unext;
	c->nchans--;
	if (m->cprev)
		m->cprev->cnext = m->cnext;
	else
		ch->members = m->cnext;
	if (m->cnext)
		m->cnext->cprev = m->cprev;
	free(m);
	if (--ch->nmembers == 0) {
		free_channel(ch);
		return 1;
	}
	return 0;
}

static int list_matches(const struct ban *b, const char *mask)
{
	for (; b; b = b->next) {
		work.bans++;
		if (match_glob(srv.cfg.casemapping, b->mask, mask))
			return 1;
	}
	return 0;
}

int channel_is_banned(const struct channel *ch, const struct client *c)
{
	char mask[160];
	if (!ch->bans)
		return 0;
	client_mask(c, mask, sizeof mask);
	return list_matches(ch->bans, mask) && !list_matches(ch->excepts, mask);
}

int channel_is_invex(const struct channel *ch, const struct client *c)
{
	char mask[160];
	if (!ch->invex)
		return 0;
	client_mask(c, mask, sizeof mask);
	return list_matches(ch->invex, mask);
}

static struct invite *find_invite(const struct channel *ch, const struct client *c)
{
	/* the client's list: at most max_channels long */
	for (struct invite *i = c->invites; i; i = i->unext)
		if (i->ch == ch)
			return i;
	return NULL;
}

int channel_is_invited(const struct channel *ch, const struct client *c)
{
	return find_invite(ch, c) != NULL;
}

void channel_invite(struct channel *ch, struct client *c)
{
	if (find_invite(ch, c))
		return;
	if (c->invites && c->ninvites >= (unsigned)(srv.cfg.max_channels > 0 ? srv.cfg.max_channels : 1)) {
		struct invite *old = c->invites;
		while (old->unext)
			old = old->unext;
		drop_invite(old);
	}
	struct invite *i = calloc(1, sizeof *i);
	if (!i)
		return;
	i->ch = ch;
	i->cl = c;
	i->cnext = ch->invites;
	if (ch->invites)
		ch->invites->cprev = i;
	ch->invites = i;
	i->unext = c->invites;
	if (c->invites)
		c->invites->uprev = i;
	c->invites = i;
	c->ninvites++;
}

void channel_uninvite(struct channel *ch, struct client *c)
{
	struct invite *i = find_invite(ch, c);
	if (i)
		drop_invite(i);
}

void channel_forget_invites(struct client *c)
{
	while (c->invites) {
		work.invites++;
		drop_invite(c->invites);
	}
}

void channel_mode_string(const struct channel *ch, int show_key, char *buf, size_t len)
{
	char flags[16], *p = flags;
	*p++ = '+';
	static const struct { uint16_t bit; char ch; } order[] = {
		{ CMODE_INVITE, 'i' }, { CMODE_MODERATED, 'm' }, { CMODE_NOEXTERNAL, 'n' },
		{ CMODE_PRIVATE, 'p' }, { CMODE_SECRET, 's' }, { CMODE_TOPIC, 't' },
		{ CMODE_KEY, 'k' }, { CMODE_LIMIT, 'l' },
	};
	for (size_t i = 0; i < sizeof order / sizeof order[0]; i++)
		if (ch->modes & order[i].bit)
			*p++ = order[i].ch;
	*p = '\0';
	int n = snprintf(buf, len, "%s", flags);
	if (ch->modes & CMODE_KEY && n >= 0 && (size_t)n < len)
		n += snprintf(buf + n, len - (size_t)n, " %s", show_key ? ch->chkey : "*");
	if (ch->modes & CMODE_LIMIT && n >= 0 && (size_t)n < len)
		snprintf(buf + n, len - (size_t)n, " %u", ch->limit);
}

const char *member_prefix(const struct member *m, int all)
{
	if ((m->modes & (MEMBER_OP | MEMBER_VOICE)) == (MEMBER_OP | MEMBER_VOICE))
		return all ? "@+" : "@";
	if (m->modes & MEMBER_OP)
		return "@";
	if (m->modes & MEMBER_VOICE)
		return "+";
	return "";
}

int channel_visible_to(const struct channel *ch, const struct client *c)
{
	if (!(ch->modes & (CMODE_SECRET | CMODE_PRIVATE)))
		return 1;
	return channel_member(ch, c) != NULL;
}
