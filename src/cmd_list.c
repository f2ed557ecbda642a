/* cmd_list.c - LIST with the ELIST=CMNTU filters, answered a slice at a
 * time ("safelist", as solanum, InspIRCd and ergo do; list.h).
 *
 * A slice looks at no more than [limits] list_chunk channels and stops
 * early once the client's queue passes half its sendq; the next slice runs
 * in a later loop pass, when conn.c finds the queue drained
 * (conn_when_drained). So one LIST of 100,000 channels costs the loop many
 * short turns instead of one long stall, and the client's queue never
 * holds more than a slice past the drain mark: a slow reader slows only
 * itself, and is not cut off for "SendQ exceeded".
 *
 * Meanwhile the client's other commands run as usual (PING, PRIVMSG; their
 * replies interleave with the 322s). A second LIST ends the first with
 * its 323, then starts over: every LIST gets one 321 and one 323.
 *
 * A labeled LIST (labeled-response) runs in one go, as before: its reply
 * is one BATCH held by send.c, which cannot span loop passes; the held
 * bytes count against the sendq, so it is bounded all the same. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "channel.h"
#include "commands.h"
#include "list.h"
#include "match.h"
#include "message.h"
#include "numeric.h"
#include "send.h"
#include "server.h"
#include "stats.h"

/* ELIST=CMNTU: ">n"/"<n" users, "C>n"/"C<n" created more/less than n
 * minutes ago, "T>n"/"T<n" topic set more/less than n minutes ago, masks
 * and "!mask". All conditions must hold; masks: any one of them. */
struct list_filter {
	long min_users, max_users;          /* -1: none */
	long c_older, c_newer, t_older, t_newer; /* minutes, -1: none */
	const char *no[8];
	int nno, nyes;
	const char *yes_masks[8];
};

/* A LIST in progress: its filter (masks point into `items`), and the
 * next channel to look at. While parked between slices, `next` counts in
 * next->list_cursors, and the parked LISTs are on one list so that a
 * channel going away can move them on. */
struct safelist {
	struct client *c;
	struct channel *next;          /* NULL: every channel seen */
	struct safelist *prev_s, *next_s;
	int filtered;
	struct list_filter f;
	char items[512];
};

static struct safelist *parked;

static void list_one(struct client *c, struct channel *ch)
{
	if (!channel_visible_to(ch, c))
		return;
	send_numeric(c, RPL_LIST, "%s %u :%s", ch->name, ch->nmembers, ch->topic ? ch->topic : "");
}

static int list_filter_parse(struct list_filter *f, char *items)
{
	memset(f, 0, sizeof *f);
	f->min_users = f->max_users = f->c_older = f->c_newer = f->t_older = f->t_newer = -1;
	int any = 0;
	char *item;
	while ((item = msg_next_item(&items))) {
		char *end;
		long v;
		if ((item[0] == '>' || item[0] == '<') && (v = strtol(item + 1, &end, 10)) >= 0 && !*end && item[1]) {
			*(item[0] == '>' ? &f->min_users : &f->max_users) = v;
		} else if ((item[0] == 'C' || item[0] == 'T') && (item[1] == '>' || item[1] == '<') && item[2] &&
		           (v = strtol(item + 2, &end, 10)) >= 0 && !*end) {
			long *older = item[0] == 'C' ? &f->c_older : &f->t_older;
			long *newer = item[0] == 'C' ? &f->c_newer : &f->t_newer;
			*(item[1] == '>' ? older : newer) = v;
		} else if (item[0] == '!' && item[1]) {
			if (f->nno < 8)
				f->no[f->nno++] = item + 1;
		} else if (strpbrk(item, "*?")) {
			if (f->nyes < 8)
				f->yes_masks[f->nyes++] = item;
		} else {
			return 0;   /* a channel name: the plain form */
		}
		any = 1;
	}
	return any;
}

static int list_filter_ok(const struct list_filter *f, const struct channel *ch, time_t now)
{
	if (f->min_users >= 0 && ch->nmembers <= (unsigned long)f->min_users)
		return 0;
	if (f->max_users >= 0 && ch->nmembers >= (unsigned long)f->max_users)
		return 0;
	long age = (long)(now - ch->created) / 60, tage = ch->topic ? (long)(now - ch->topic_time) / 60 : -1;
	if ((f->c_older >= 0 && age <= f->c_older) || (f->c_newer >= 0 && age >= f->c_newer))
		return 0;
	if ((f->t_older >= 0 && (tage < 0 || tage <= f->t_older)) || (f->t_newer >= 0 && (tage < 0 || tage >= f->t_newer)))
		return 0;
	for (int i = 0; i < f->nno; i++)
		if (match_glob(srv.cfg.casemapping, f->no[i], ch->name))
			return 0;
	if (!f->nyes)
		return 1;
	for (int i = 0; i < f->nyes; i++)
		if (match_glob(srv.cfg.casemapping, f->yes_masks[i], ch->name))
			return 1;
	return 0;
}

static void park(struct safelist *s)
{
	s->next->list_cursors++;
	s->prev_s = NULL;
	s->next_s = parked;
	if (parked)
		parked->prev_s = s;
	parked = s;
	conn_when_drained(&s->c->conn);
}

static void unpark(struct safelist *s)
{
	if (s->next)
		s->next->list_cursors--;
	if (s->prev_s)
		s->prev_s->next_s = s->next_s;
	else
		parked = s->next_s;
	if (s->next_s)
		s->next_s->prev_s = s->prev_s;
	conn_drain_cancel(&s->c->conn);
}

void list_channel_gone(struct channel *ch)
{
	for (struct safelist *s = parked; s && ch->list_cursors; s = s->next_s)
		if (s->next == ch) {
			ch->list_cursors--;
			s->next = ch->hh.next;
			if (s->next)
				s->next->list_cursors++;
		}
}

/* Look at up to `budget` channels, stopping early past half the sendq;
 * budget 0: all of them (the walk still ends if the client is cut off).
 * Returns 1 when done. */
static int list_slice(struct safelist *s, unsigned budget)
{
	struct client *c = s->c;
	time_t now = time(NULL);
	size_t high = srv.cfg.sendq / 2;
	while (s->next) {
		if (c->conn.flags & CONN_DEAD)
			return 1;
		struct channel *ch = s->next;
		s->next = ch->hh.next;
		work.walk++;
		if (!s->filtered || list_filter_ok(&s->f, ch, now))
			list_one(c, ch);
		if (budget && (--budget == 0 || conn_sendq_exceeded(&c->conn, high)))
			break;
	}
	return s->next == NULL;
}

static void list_end(struct safelist *s)
{
	struct client *c = s->c;
	c->listing = NULL;
	send_numeric(c, RPL_LISTEND, ":End of /LIST");
	free(s);
}

void list_drained(struct conn *conn)
{
	struct client *c = client_of(conn);
	struct safelist *s = c->listing;
	if (!s)
		return;
	unpark(s);
	work.list_slices++;
	if (list_slice(s, (unsigned)srv.cfg.list_chunk))
		list_end(s);
	else
		park(s);
}

void list_cancel(struct client *c)
{
	if (!c->listing)
		return;
	unpark(c->listing);
	free(c->listing);
	c->listing = NULL;
}

HANDLER(cmd_list)
{
	if (c->listing) {
		/* a new LIST replaces the one in progress, which ends first */
		struct safelist *old = c->listing;
		unpark(old);
		list_end(old);
	}
	send_numeric(c, RPL_LISTSTART, "Channel :Users  Name");
	struct safelist *s = calloc(1, sizeof *s);
	if (!s) {
		send_numeric(c, RPL_LISTEND, ":End of /LIST");
		return;
	}
	s->c = c;
	s->next = srv.channels;
	if (m->nparams > 0 && m->params[0][0]) {
		snprintf(s->items, sizeof s->items, "%s", m->params[0]);
		s->filtered = list_filter_parse(&s->f, s->items);
		if (!s->filtered) {
			/* the plain form: the channels named */
			char *names = m->params[0], *name;
			while ((name = msg_next_item(&names))) {
				struct channel *ch = channel_find(name);
				if (ch)
					list_one(c, ch);
			}
			s->next = NULL;
		}
	}
	c->listing = s;
	work.list_slices++;
	/* labeled: in one go (see the top) */
	if (list_slice(s, send_label_for(c->uid) ? 0 : (unsigned)srv.cfg.list_chunk))
		list_end(s);
	else
		park(s);
}
