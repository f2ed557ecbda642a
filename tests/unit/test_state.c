/* test_state.c - the apply layer (state.c) on remote users only, so no
 * socket is needed: races settled the same way everywhere, and a snapshot
 * applied to an empty state rebuilds the same network. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "channel.h"
#include "client.h"
#include "config.h"
#include "evcodec.h"
#include "node.h"
#include "server.h"
#include "state.h"

static void setup(void)
{
	memset(&srv, 0, sizeof srv);
	config_defaults(&srv.cfg);
	snprintf(srv.cfg.name, sizeof srv.cfg.name, "one.test");
	snprintf(srv.cfg.sid, sizeof srv.cfg.sid, "0AA");
	node_init_self();
}

static void teardown(void)
{
	state_reset_remote(NULL);
	cr_expect_null(srv.channels, "channels left over");
	cr_expect_null(srv.nicks, "nicks left over");
	cr_expect_null(srv.uids, "uids left over");
	cr_expect_eq(srv.users, 0);
	cr_expect_eq(srv.nnodes, 1);
	free(srv.me);
	config_free(&srv.cfg);
}

static void apply(struct event ev)
{
	if (!ev.node)
		ev.node = "two.test";
	if (!ev.time_ms)
		ev.time_ms = 1700000000000;
	state_apply(&ev);
}

static void node(const char *name, const char *sid)
{
	apply((struct event){ .type = EV_NODE_UP, .nargs = 3, .args = { name, sid, "a node" }, .ts = 5 });
}

static void user(const char *uid, const char *nick, const char *umodes)
{
	apply((struct event){ .type = EV_USER, .uid = uid, .text = "Real Name", .nargs = 5,
	                      .args = { nick, "u", "h.test", umodes, "192.0.2.1" }, .ts = 100 });
}

static void join(const char *uid, const char *chan, int64_t ts)
{
	apply((struct event){ .type = EV_JOIN, .uid = uid, .chan = chan, .ts = ts });
}

static struct client *nick(const char *n)
{
	struct client *c = client_find(n);
	return c && client_registered(c) ? c : NULL;
}

/* The whole state as text, in a fixed order (tables are hashes). */
static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *dump(void)
{
	char *lines[256];
	size_t n = 0;
	char buf[2048];
	struct client *u, *ut;
	HASH_ITER(hh_uid, srv.uids, u, ut) {
		char ip[NETADDR_TEXT];
		snprintf(buf, sizeof buf, "U %s %s %s %s ip=%s %s +%d away=%s signon=%lld node=%s", u->uid, u->nick,
		         u->user, u->host, u->addr.family ? client_ip(u, ip) : "", u->realname, u->umodes, u->away ? u->away : "-", (long long)u->signon,
		         u->node->name);
		lines[n++] = strdup(buf);
	}
	struct channel *ch, *ct;
	HASH_ITER(hh, srv.channels, ch, ct) {
		char modes[128];
		channel_mode_string(ch, 1, modes, sizeof modes);
		int len = snprintf(buf, sizeof buf, "C %s created=%lld modes=%s topic=%s by=%s at=%lld members=",
		                   ch->name, (long long)ch->created, modes, ch->topic ? ch->topic : "-",
		                   ch->topic_by ? ch->topic_by : "-", (long long)ch->topic_time);
		for (struct member *m = ch->members; m; m = m->cnext)
			len += snprintf(buf + len, sizeof buf - (size_t)len, "%s%s,", member_prefix(m, 1), m->cl->nick);
		for (const char *l = CHAN_LIST_MODES; *l; l++) {
			len += snprintf(buf + len, sizeof buf - (size_t)len, " %c=", *l);
			for (const struct ban *b = channel_list_head(ch, *l); b; b = b->next)
				len += snprintf(buf + len, sizeof buf - (size_t)len, "%s/%s/%lld,", b->mask, b->by,
				                (long long)b->when);
		}
		len += snprintf(buf + len, sizeof buf - (size_t)len, " n=%u", ch->nbans);
		len += snprintf(buf + len, sizeof buf - (size_t)len, " invites=");
		for (struct invite *i = ch->invites; i; i = i->cnext)
			len += snprintf(buf + len, sizeof buf - (size_t)len, "%s,", i->cl->nick);
		lines[n++] = strdup(buf);
	}
	for (struct node *nd = srv.nodes; nd; nd = nd->next) {
		snprintf(buf, sizeof buf, "N %s %s %s users=%u", nd->name, nd->sid, nd->description, nd->users);
		lines[n++] = strdup(buf);
	}
	qsort(lines, n, sizeof lines[0], cmp_str);
	size_t total = 1;
	for (size_t i = 0; i < n; i++)
		total += strlen(lines[i]) + 1;
	char *s = calloc(1, total);
	for (size_t i = 0; i < n; i++) {
		strcat(s, lines[i]);
		strcat(s, "\n");
		free(lines[i]);
	}
	return s;
}

/* A snapshot kept as deep copies, as the cluster link would keep it. */
struct saved {
	struct event ev[256];
	int n;
};

static const char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

static void keep(const struct event *ev, void *arg)
{
	struct saved *sv = arg;
	cr_assert_lt(sv->n, 256);
	struct event *e = &sv->ev[sv->n++];
	*e = *ev;
	e->node = dup_or_null(ev->node);
	e->uid = dup_or_null(ev->uid);
	e->target = dup_or_null(ev->target);
	e->chan = dup_or_null(ev->chan);
	e->text = dup_or_null(ev->text);
	e->tags = dup_or_null(ev->tags);
	for (int i = 0; i < ev->nargs; i++)
		e->args[i] = dup_or_null(ev->args[i]);
}

static void forget(struct saved *sv)
{
	for (int k = 0; k < sv->n; k++) {
		struct event *e = &sv->ev[k];
		free((char *)e->node); free((char *)e->uid); free((char *)e->target);
		free((char *)e->chan); free((char *)e->text); free((char *)e->tags);
		for (int i = 0; i < e->nargs; i++)
			free((char *)e->args[i]);
	}
}

/* A small network: two other nodes, three users, two channels with every
 * kind of channel state. */
static void build(void)
{
	node("two.test", "1BB");
	node("three.test", "2CC");
	user("1BBAAAAAA", "alice", "+");
	user("1BBAAAAAB", "bob", "+i");
	user("2CCAAAAAA", "carol", "+o");
	apply((struct event){ .type = EV_AWAY, .uid = "1BBAAAAAB", .text = "lunch" });
	join("1BBAAAAAA", "#Chan", 1000);
	join("1BBAAAAAB", "#chan", 1001);
	join("2CCAAAAAA", "#CHAN", 1002);
	join("2CCAAAAAA", "#other", 2000);
	apply((struct event){ .type = EV_CMODE, .uid = "1BBAAAAAA", .chan = "#chan", .nargs = 4,
	                      .args = { "+imkl-t+v", "sekrit", "25", "1BBAAAAAB" } });
	/* args: letters, then k, l, v in order */
	apply((struct event){ .type = EV_CMODE, .uid = "1BBAAAAAA", .chan = "#chan", .nargs = 3,
	                      .args = { "+bb", "*!*@bad.test", "x!*@*" }, .time_ms = 1700000001000 });
	apply((struct event){ .type = EV_CMODE, .uid = "1BBAAAAAA", .chan = "#chan", .nargs = 2,
	                      .args = { "+o", "2CCAAAAAA" } });
	apply((struct event){ .type = EV_CMODE, .uid = "2CCAAAAAA", .chan = "#chan", .nargs = 4,
	                      .args = { "+eIe", "*!*@good.test", "friend!*@*", "x!*@*" }, .time_ms = 1700000003000 });
	apply((struct event){ .type = EV_TOPIC, .uid = "2CCAAAAAA", .chan = "#chan", .text = "the topic",
	                      .time_ms = 1700000002000 });
	apply((struct event){ .type = EV_INVITE, .uid = "2CCAAAAAA", .target = "1BBAAAAAA", .chan = "#other" });
}

TestSuite(state, .init = setup, .fini = teardown);

Test(state, build_applies_every_kind)
{
	build();
	cr_assert_eq(srv.users, 3);
	cr_assert_eq(srv.invisible, 1);
	cr_assert_eq(srv.opers, 1);
	cr_assert_eq(srv.nnodes, 3);
	struct channel *ch = channel_find("#chan");
	cr_assert_not_null(ch);
	cr_assert_eq(ch->created, 1000);
	cr_assert_str_eq(ch->name, "#Chan", "the first joiner's spelling");
	char modes[64];
	channel_mode_string(ch, 1, modes, sizeof modes);
	cr_assert_str_eq(modes, "+imnkl sekrit 25");
	cr_assert_eq(ch->nbans, 5, "bans, exceptions and invite exceptions together");
	cr_assert_str_eq(ch->bans->by, "alice");
	cr_assert_eq(ch->bans->when, 1700000001);
	cr_assert_str_eq(ch->excepts->mask, "x!*@*");
	cr_assert_str_eq(ch->excepts->next->mask, "*!*@good.test");
	cr_assert_str_eq(ch->invex->mask, "friend!*@*");
	cr_assert_str_eq(ch->invex->by, "carol");
	cr_assert_eq(ch->invex->when, 1700000003);
	cr_assert_str_eq(ch->topic, "the topic");
	cr_assert_str_eq(ch->topic_by, "carol!u@h.test");
	cr_assert_eq(ch->topic_time, 1700000002);
	cr_assert_eq(channel_member(ch, nick("alice"))->modes, MEMBER_OP, "the creator gets op");
	cr_assert_eq(channel_member(ch, nick("bob"))->modes, MEMBER_VOICE);
	cr_assert_eq(channel_member(ch, nick("carol"))->modes, MEMBER_OP);
	cr_assert(channel_is_invited(channel_find("#other"), nick("alice")));
	cr_assert_str_eq(nick("bob")->away, "lunch");
	cr_assert_eq(node_find("two.test")->users, 2);
}

Test(state, snapshot_rebuilds_the_same_state)
{
	build();
	char *before = dump();
	struct saved *sv = calloc(1, sizeof *sv);
	state_snapshot(keep, sv);
	state_reset_remote(NULL);
	cr_assert_null(srv.channels);
	cr_assert_eq(srv.users, 0);
	cr_assert_eq(srv.nnodes, 1);
	for (int i = 0; i < sv->n; i++)
		state_apply(&sv->ev[i]);
	char *after = dump();
	cr_assert_str_eq(after, before);
	/* and a second snapshot of the rebuilt state is the same again */
	struct saved *sv2 = calloc(1, sizeof *sv2);
	state_snapshot(keep, sv2);
	cr_assert_eq(sv2->n, sv->n);
	forget(sv);
	forget(sv2);
	free(sv);
	free(sv2);
	free(before);
	free(after);
}

static void pack_one(const struct event *ev, void *arg)
{
	cr_assert_eq(evcodec_pack(arg, ev), 0, "event type %d does not pack", ev->type);
}

static void apply_one(const struct event *ev, void *arg)
{
	(void)arg;
	state_apply(ev);
}

/* Through the cluster's codec, as a new node would get it from Redis:
 * every snapshot event passes the decoder and rebuilds the same state. */
Test(state, snapshot_survives_the_codec)
{
	build();
	char *before = dump(), err[256] = "";
	struct evblob blob = { 0 };
	state_snapshot(pack_one, &blob);
	state_reset_remote(NULL);
	long n = evcodec_unpack(blob.p, blob.len, apply_one, NULL, err, sizeof err);
	cr_assert_gt(n, 0, "unpack: %s", err);
	char *after = dump();
	cr_assert_str_eq(after, before);
	evblob_free(&blob);
	free(before);
	free(after);
}

static void cmode(const char *chan, const char *modes, const char *arg)
{
	apply((struct event){ .type = EV_CMODE, .uid = "1BBAAAAAA", .chan = chan, .nargs = 2, .args = { modes, arg } });
}

/* +e lifts a matching ban, +I matches for +i; both on nick!user@host as
 * the apply layer knows it, one bound for the three lists together. */
Test(state, exceptions_lift_bans_and_share_the_bound)
{
	srv.cfg.max_bans = 4;
	node("two.test", "1BB");
	user("1BBAAAAAA", "alice", "+");
	user("1BBAAAAAB", "bob", "+");
	join("1BBAAAAAA", "#c", 10);
	struct channel *ch = channel_find("#c");
	struct client *bob = nick("bob");
	cr_assert_not(channel_is_banned(ch, bob));
	cr_assert_not(channel_is_invex(ch, bob));
	cmode("#c", "+b", "*!*@h.test");
	cr_assert(channel_is_banned(ch, bob));
	cmode("#c", "+e", "alice!*@*");
	cr_assert(channel_is_banned(ch, bob), "an exception for someone else");
	cmode("#c", "+e", "bob!u@*");
	cr_assert_not(channel_is_banned(ch, bob));
	cmode("#c", "+I", "BOB!*@*");
	cr_assert(channel_is_invex(ch, bob), "casemapped like bans");
	cr_assert_eq(ch->nbans, 4);
	cmode("#c", "+I", "more!*@*");               /* the fifth entry: full */
	cr_assert_null(ch->invex->next);
	cmode("#c", "+e", "bob!u@*");                /* a duplicate: nothing */
	cr_assert_eq(ch->nbans, 4);
	cmode("#c", "-e", "bob!u@*");
	cr_assert(channel_is_banned(ch, bob));
	cmode("#c", "-e", "bob!u@*");                /* absent: nothing */
	cmode("#c", "-I", "bob!*@*");
	cr_assert_not(channel_is_invex(ch, bob));
	cr_assert_eq(ch->nbans, 2);
	/* an older TS from a peer clears every list */
	apply((struct event){ .type = EV_CHANTS, .chan = "#c", .ts = 5 });
	cr_assert_null(ch->bans);
	cr_assert_null(ch->excepts);
	cr_assert_eq(ch->nbans, 0);
}

Test(state, nick_races_are_settled_by_order)
{
	node("two.test", "1BB");
	user("1BBAAAAAA", "alice", "+");
	/* a second user with that nick, in any case: refused, on every node */
	user("1BBAAAAAB", "ALICE", "+");
	cr_assert_eq(srv.users, 1);
	cr_assert_null(client_find_uid("1BBAAAAAB", 0));
	user("1BBAAAAAB", "bob", "+");
	/* a rename onto a taken nick keeps the old one */
	apply((struct event){ .type = EV_NICK, .uid = "1BBAAAAAB", .nargs = 1, .args = { "Alice" } });
	cr_assert_str_eq(client_find_uid("1BBAAAAAB", 0)->nick, "bob");
	apply((struct event){ .type = EV_NICK, .uid = "1BBAAAAAB", .nargs = 1, .args = { "robert" } });
	cr_assert_null(client_find("bob"), "the old nick is free");
	cr_assert_str_eq(nick("robert")->uid, "1BBAAAAAB");
	/* the same uid twice is one user */
	user("1BBAAAAAA", "zed", "+");
	cr_assert_eq(srv.users, 2);
	cr_assert_null(client_find("zed"));
}

Test(state, events_for_users_no_longer_there_change_nothing)
{
	node("two.test", "1BB");
	user("1BBAAAAAA", "alice", "+");
	user("1BBAAAAAB", "bob", "+");
	join("1BBAAAAAA", "#c", 10);
	join("9ZZAAAAAA", "#c", 10);                   /* unknown uid */
	join("1BBAAAAAC", "#d", 10);
	cr_assert_null(channel_find("#d"));
	apply((struct event){ .type = EV_PART, .uid = "1BBAAAAAB", .chan = "#c" });  /* not a member */
	apply((struct event){ .type = EV_KICK, .uid = "1BBAAAAAA", .target = "1BBAAAAAB", .chan = "#c",
	                      .text = "bye" });
	cr_assert_eq(channel_find("#c")->nmembers, 1);
	user("9ZZAAAAAA", "ghost", "+");                /* a node nobody announced */
	cr_assert_null(client_find("ghost"));
	apply((struct event){ .type = EV_QUIT, .uid = "1BBAAAAAB", .text = "bye" });
	apply((struct event){ .type = EV_QUIT, .uid = "1BBAAAAAB", .text = "bye again" });
	cr_assert_eq(srv.users, 1);
	/* malformed: dropped, nothing breaks */
	apply((struct event){ .type = 200 });
	apply((struct event){ .type = EV_USER, .uid = "short", .nargs = 1, .args = { "x" } });
	apply((struct event){ .type = EV_CMODE, .uid = "1BBAAAAAA", .chan = "#c", .nargs = 1, .args = { "+k" } });
	apply((struct event){ .type = EV_JOIN, .uid = "1BBAAAAAA", .chan = "nohash" });
	cr_assert_eq(srv.nchannels, 1);
}

Test(state, a_lost_node_takes_its_users)
{
	node("two.test", "1BB");
	node("three.test", "2CC");
	user("1BBAAAAAA", "alice", "+");
	user("2CCAAAAAA", "carol", "+");
	join("1BBAAAAAA", "#c", 10);
	join("2CCAAAAAA", "#c", 10);
	join("1BBAAAAAA", "#solo", 10);
	apply((struct event){ .type = EV_NODE_LOST, .nargs = 1, .args = { "two.test" } });
	cr_assert_null(client_find("alice"), "its nick is free again");
	cr_assert_null(channel_find("#solo"));
	cr_assert_eq(channel_find("#c")->nmembers, 1);
	cr_assert_eq(srv.users, 1);
	cr_assert_null(node_find("two.test"));
	cr_assert_eq(srv.nnodes, 2);
	/* its SID may come back */
	node("two.test", "1BB");
	user("1BBAAAAAA", "alice", "+");
	cr_assert_not_null(nick("alice"));
}

Test(state, node_sid_conflicts_are_refused)
{
	node("two.test", "1BB");
	node("three.test", "1BB");
	cr_assert_null(node_find("three.test"));
	node("four.test", "0AA");   /* this node's SID */
	cr_assert_null(node_find("four.test"));
}

Test(state, uids_are_ts6)
{
	struct client a = { 0 }, b = { 0 };
	client_assign_uid(&a);
	client_assign_uid(&b);
	cr_assert_eq(strlen(a.uid), UID_LEN);
	cr_assert(strncmp(a.uid, "0AA", 3) == 0);
	cr_assert(a.uid[3] >= 'A' && a.uid[3] <= 'Z');
	cr_assert_str_neq(a.uid, b.uid);
}
