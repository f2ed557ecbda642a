/* test_tables.c - the nick table (client.c) and channels (channel.c) on the
 * global `srv`, without sockets or an event loop. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "channel.h"
#include "client.h"
#include "server.h"

#define MAXC 16
static struct client *made[MAXC];
static int nmade;

static void setup_rfc1459(void)
{
	config_defaults(&srv.cfg);
	srv.cfg.casemapping = CASEMAP_RFC1459;
}

static void setup_ascii(void)
{
	config_defaults(&srv.cfg);
	srv.cfg.casemapping = CASEMAP_ASCII;
}

/* Leave every channel, drop from the nick table, free; the tables must
 * end up empty, which also checks the counters. */
static void teardown(void)
{
	for (int i = 0; i < nmade; i++) {
		struct client *c = made[i];
		while (c->chans)
			channel_remove(c->chans->chan, c);
		channel_forget_invites(c);
		if (c->key[0])
			HASH_DEL(srv.nicks, c);
		free(c);
	}
	nmade = 0;
	cr_expect_null(srv.channels, "channels left over");
	cr_expect_eq(srv.nchannels, 0);
	cr_expect_null(srv.nicks, "nicks left over");
	config_free(&srv.cfg);
}

static struct client *mk(const char *nick, const char *user, const char *host)
{
	cr_assert_lt(nmade, MAXC);
	struct client *c = calloc(1, sizeof *c);
	cr_assert_not_null(c);
	made[nmade++] = c;
	snprintf(c->user, sizeof c->user, "%s", user);
	snprintf(c->host, sizeof c->host, "%s", host);
	if (nick)
		client_set_nick(c, nick);
	return c;
}

static struct client *mkn(const char *nick)
{
	return mk(nick, "u", "127.0.0.1");
}

/* Both directions agree: m is on the channel's list and on the client's. */
static void assert_linked(const struct channel *ch, const struct client *c)
{
	int in_chan = 0, in_client = 0;
	for (const struct member *m = ch->members; m; m = m->cnext) {
		cr_assert_eq(m->chan, ch);
		if (m->cnext)
			cr_assert_eq(m->cnext->cprev, m, "broken cprev link");
		if (m->cl == c)
			in_chan++;
	}
	for (const struct member *m = c->chans; m; m = m->unext)
		if (m->chan == ch) {
			cr_assert_eq(m->cl, c);
			in_client++;
		}
	cr_assert_eq(in_chan, 1, "%s in %s's member list %d times", c->nick, ch->name, in_chan);
	cr_assert_eq(in_client, 1, "%s in %s's channel list %d times", ch->name, c->nick, in_client);
	cr_assert_not_null(channel_member(ch, c));
}

static unsigned count_members(const struct channel *ch)
{
	unsigned n = 0;
	const struct member *last = NULL;
	for (const struct member *m = ch->members; m; m = m->cnext) {
		cr_assert_eq(m->cprev, last);
		last = m;
		n++;
	}
	return n;
}

static unsigned count_chans(const struct client *c)
{
	unsigned n = 0;
	for (const struct member *m = c->chans; m; m = m->unext)
		n++;
	return n;
}

TestSuite(nicks, .init = setup_rfc1459, .fini = teardown);
TestSuite(nicks_ascii, .init = setup_ascii, .fini = teardown);
TestSuite(chans, .init = setup_rfc1459, .fini = teardown);
TestSuite(chans_ascii, .init = setup_ascii, .fini = teardown);

/* ---- nick table */

Test(nicks, find_is_case_insensitive)
{
	struct client *a = mkn("Alice");
	cr_assert_eq(client_find("Alice"), a);
	cr_assert_eq(client_find("alice"), a);
	cr_assert_eq(client_find("ALICE"), a);
	cr_assert_null(client_find("Alic"));
	cr_assert_null(client_find("Alicee"));
	cr_assert_str_eq(a->nick, "Alice");
	cr_assert_str_eq(a->key, "alice");
}

Test(nicks, rfc1459_collisions)
{
	struct client *a = mkn("[Foo]");
	cr_assert_eq(client_find("{foo}"), a);
	cr_assert_eq(client_find("[FOO]"), a);
	cr_assert_eq(client_find("{FOO]"), a);
	struct client *b = mkn("a\\b^");
	cr_assert_eq(client_find("A|B~"), b);
	cr_assert_eq(HASH_COUNT(srv.nicks), 2);
}

Test(nicks_ascii, specials_do_not_collide)
{
	struct client *a = mkn("[Foo]");
	cr_assert_eq(client_find("[foo]"), a);
	cr_assert_null(client_find("{foo}"));
	struct client *b = mkn("{foo}");
	cr_assert_eq(client_find("{FOO}"), b);
	cr_assert_eq(client_find("[FOO]"), a);
	cr_assert_eq(HASH_COUNT(srv.nicks), 2);
}

Test(nicks, change_moves_the_key)
{
	struct client *a = mkn("Alice");
	struct client *b = mkn("Bob");
	client_set_nick(a, "Carol");
	cr_assert_null(client_find("alice"));
	cr_assert_eq(client_find("carol"), a);
	cr_assert_eq(client_find("bob"), b);
	cr_assert_eq(HASH_COUNT(srv.nicks), 2);
	/* a case-only change keeps one entry and the new spelling */
	client_set_nick(a, "CAROL");
	cr_assert_eq(client_find("carol"), a);
	cr_assert_str_eq(a->nick, "CAROL");
	cr_assert_eq(HASH_COUNT(srv.nicks), 2);
	/* the old nick is free for someone else */
	struct client *d = mkn("alice");
	cr_assert_eq(client_find("ALICE"), d);
	cr_assert_eq(HASH_COUNT(srv.nicks), 3);
}

Test(nicks, many_clients)
{
	char nick[16];
	for (int i = 0; i < MAXC; i++) {
		snprintf(nick, sizeof nick, "User%d", i);
		mkn(nick);
	}
	cr_assert_eq(HASH_COUNT(srv.nicks), MAXC);
	for (int i = 0; i < MAXC; i++) {
		snprintf(nick, sizeof nick, "USER%d", i);
		cr_assert_eq(client_find(nick), made[i]);
	}
}

Test(nicks, longer_name_does_not_find_a_prefix)
{
	/* a 30-character nick must not answer to that nick plus more letters */
	const char *nick30 = "abcdefghijklmnopqrstuvwxyz0123";
	cr_assert_eq(strlen(nick30), NICK_MAX);
	struct client *a = mkn(nick30);
	cr_assert_eq(client_find(nick30), a);
	cr_assert_null(client_find("abcdefghijklmnopqrstuvwxyz0123X"));
	cr_assert_null(client_find("abcdefghijklmnopqrstuvwxyz0123456789"));
}

Test(nicks, unnamed_client_is_not_in_table)
{
	mk(NULL, "u", "h");
	cr_assert_null(srv.nicks);
	cr_assert_null(client_find(""));
}

Test(nicks, valid_names)
{
	static const char *ok[] = {
		"a", "alice", "Alice", "[Foo]", "{foo}", "a\\b", "a|b", "_x", "^caret", "`tick",
		"a-b", "a1", "x9-_[]{}|\\^`", "abcdefghijklmnopqrstuvwxyz0123",
	};
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
		cr_assert(nick_valid(ok[i]), "refused \"%s\"", ok[i]);
}

Test(nicks, invalid_names)
{
	static const char *bad[] = {
		"", "1abc", "-abc", "a b", "a!b", "a@b", "a,b", "a.b", "a*b", "a?b", "#chan",
		"&chan", ":a", "a:b", "~tilde", "a~b", "\xc3\xa9t\xc3\xa9", "a\x01", "a\tb",
		"abcdefghijklmnopqrstuvwxyz01234",  /* 31 > NICKLEN 30 */
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		cr_assert_not(nick_valid(bad[i]), "accepted \"%s\"", bad[i]);
}

Test(nicks, valid_follows_nicklen)
{
	srv.cfg.nicklen = 9;
	cr_assert(nick_valid("ninechars"));
	cr_assert_not(nick_valid("tenchars10"));
}

Test(nicks, mask)
{
	char buf[160];
	struct client *a = mk("Alice", "al", "host.example");
	cr_assert_str_eq(client_mask(a, buf, sizeof buf), "Alice!al@host.example");
	struct client *b = mk("Bob", "", "1.2.3.4");
	cr_assert_str_eq(client_mask(b, buf, sizeof buf), "Bob!*@1.2.3.4");
	char small[6];
	cr_assert_str_eq(client_mask(a, small, sizeof small), "Alice");
}

/* ---- channels */

Test(chans, create_and_find)
{
	struct channel *ch = channel_create("#Foo[1]");
	cr_assert_not_null(ch);
	cr_assert_str_eq(ch->name, "#Foo[1]");
	cr_assert_eq(srv.nchannels, 1);
	cr_assert_eq(channel_find("#Foo[1]"), ch);
	cr_assert_eq(channel_find("#foo{1}"), ch);
	cr_assert_eq(channel_find("#FOO[1}"), ch);
	cr_assert_null(channel_find("#foo"));
	cr_assert_eq(ch->nmembers, 0);
	cr_assert_null(ch->members);
	cr_assert_eq(ch->modes, CMODE_TOPIC | CMODE_NOEXTERNAL);
	struct client *a = mkn("a");
	channel_add(ch, a, MEMBER_OP);  /* so teardown frees it */
}

Test(chans_ascii, specials_do_not_collide)
{
	struct channel *ch = channel_create("#[x]");
	cr_assert_eq(channel_find("#[X]"), ch);
	cr_assert_null(channel_find("#{x}"));
	struct channel *ch2 = channel_create("#{x}");
	cr_assert_eq(channel_find("#{X}"), ch2);
	cr_assert_eq(srv.nchannels, 2);
	struct client *a = mkn("a");
	channel_add(ch, a, 0);
	channel_add(ch2, a, 0);
}

Test(chans, find_too_long_name)
{
	char name[CHAN_MAX + 10];
	memset(name, 'x', sizeof name - 1);
	name[0] = '#';
	name[sizeof name - 1] = '\0';
	cr_assert_null(channel_find(name));
}

Test(chans, name_valid)
{
	static const char *ok[] = { "#a", "#chan", "#Foo[1]", "#a-b.c", "#\xc3\xa9t\xc3\xa9" };
	static const char *bad[] = { "", "#", "a", "&chan", "chan", "#a b", "#a,b", "#a\x07", "#a:b",
	                             "#a\tb" };
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
		cr_assert(channel_name_valid(ok[i]), "refused \"%s\"", ok[i]);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		cr_assert_not(channel_name_valid(bad[i]), "accepted \"%s\"", bad[i]);

	char name[CHAN_MAX + 2];
	memset(name, 'c', sizeof name - 1);
	name[0] = '#';
	name[CHAN_MAX] = '\0';     /* exactly CHANNELLEN 50 */
	cr_assert(channel_name_valid(name));
	name[CHAN_MAX] = 'c';
	name[CHAN_MAX + 1] = '\0'; /* 51 */
	cr_assert_not(channel_name_valid(name));
	srv.cfg.channellen = 10;
	cr_assert_not(channel_name_valid("#elevenchar"));
	cr_assert(channel_name_valid("#tenchars9"));
}

Test(chans, membership_both_directions)
{
	struct client *a = mkn("a"), *b = mkn("b"), *c = mkn("c");
	struct channel *x = channel_create("#x"), *y = channel_create("#y");

	struct member *ma = channel_add(x, a, MEMBER_OP);
	cr_assert_not_null(ma);
	cr_assert_eq(ma->chan, x);
	cr_assert_eq(ma->cl, a);
	channel_add(x, b, 0);
	channel_add(y, a, 0);
	channel_add(y, c, MEMBER_VOICE);

	cr_assert_eq(x->nmembers, 2);
	cr_assert_eq(y->nmembers, 2);
	cr_assert_eq(count_members(x), 2);
	cr_assert_eq(count_members(y), 2);
	cr_assert_eq(a->nchans, 2);
	cr_assert_eq(b->nchans, 1);
	cr_assert_eq(c->nchans, 1);
	cr_assert_eq(count_chans(a), 2);
	assert_linked(x, a);
	assert_linked(x, b);
	assert_linked(y, a);
	assert_linked(y, c);
	cr_assert_null(channel_member(x, c));
	cr_assert_null(channel_member(y, b));

	cr_assert_eq(channel_member(x, a), ma);
	cr_assert_eq(channel_member(x, a)->modes, MEMBER_OP);
	cr_assert_eq(channel_member(y, a)->modes, 0);
	cr_assert_eq(channel_member(y, c)->modes, MEMBER_VOICE);
}

Test(chans, remove_keeps_both_lists_consistent)
{
	struct client *a = mkn("a"), *b = mkn("b"), *c = mkn("c");
	struct channel *x = channel_create("#x");
	channel_add(x, a, MEMBER_OP);
	channel_add(x, b, 0);
	channel_add(x, c, 0);

	/* b is in the middle of the member list whatever the insertion order */
	cr_assert_eq(channel_remove(x, b), 0);
	cr_assert_eq(x->nmembers, 2);
	cr_assert_eq(count_members(x), 2);
	cr_assert_null(channel_member(x, b));
	cr_assert_null(b->chans);
	cr_assert_eq(b->nchans, 0);
	assert_linked(x, a);
	assert_linked(x, c);

	/* not a member: nothing changes */
	cr_assert_eq(channel_remove(x, b), 0);
	cr_assert_eq(x->nmembers, 2);
	cr_assert_eq(srv.nchannels, 1);

	/* the head of the list */
	cr_assert_eq(channel_remove(x, x->members->cl), 0);
	cr_assert_eq(x->nmembers, 1);
	cr_assert_eq(count_members(x), 1);
	cr_assert_null(x->members->cprev);
	cr_assert_eq(channel_find("#x"), x);
}

Test(chans, last_part_frees_the_channel)
{
	struct client *a = mkn("a"), *b = mkn("b");
	struct channel *x = channel_create("#Gone");
	x->topic = strdup("a topic");
	x->topic_by = strdup("a");
	x->chkey = strdup("key");
	channel_add(x, a, MEMBER_OP);
	channel_add(x, b, 0);
	cr_assert_eq(srv.nchannels, 1);
	cr_assert_eq(channel_remove(x, a), 0);
	cr_assert_eq(channel_find("#gone"), x);
	cr_assert_eq(channel_remove(x, b), 1);
	/* x is freed now; ASan would catch any later use */
	cr_assert_null(channel_find("#gone"));
	cr_assert_null(channel_find("#Gone"));
	cr_assert_eq(srv.nchannels, 0);
	cr_assert_null(srv.channels);
	cr_assert_null(a->chans);
	cr_assert_null(b->chans);

	/* the name can be created again, fresh */
	struct channel *again = channel_create("#gone");
	cr_assert_eq(channel_find("#GONE"), again);
	cr_assert_eq(again->nmembers, 0);
	cr_assert_null(again->topic);
	channel_add(again, a, MEMBER_OP);
	cr_assert_eq(srv.nchannels, 1);
}

Test(chans, one_client_many_channels)
{
	struct client *a = mkn("a");
	char name[16];
	struct channel *ch[8];
	for (int i = 0; i < 8; i++) {
		snprintf(name, sizeof name, "#c%d", i);
		ch[i] = channel_create(name);
		channel_add(ch[i], a, MEMBER_OP);
	}
	cr_assert_eq(a->nchans, 8);
	cr_assert_eq(srv.nchannels, 8);
	/* leave the middle one, then the first and the last joined */
	cr_assert_eq(channel_remove(ch[4], a), 1);
	cr_assert_eq(channel_remove(ch[0], a), 1);
	cr_assert_eq(channel_remove(ch[7], a), 1);
	cr_assert_eq(a->nchans, 5);
	cr_assert_eq(count_chans(a), 5);
	cr_assert_eq(srv.nchannels, 5);
	cr_assert_null(channel_find("#c4"));
	cr_assert_null(channel_find("#c0"));
	cr_assert_null(channel_find("#c7"));
	for (int i = 1; i < 7; i++) {
		if (i == 4)
			continue;
		snprintf(name, sizeof name, "#C%d", i);
		cr_assert_eq(channel_find(name), ch[i]);
		assert_linked(ch[i], a);
	}
}

Test(chans, prefixes)
{
	struct client *a = mkn("a");
	struct channel *x = channel_create("#x");
	struct member *m = channel_add(x, a, 0);
	cr_assert_str_eq(member_prefix(m, 0), "");
	cr_assert_str_eq(member_prefix(m, 1), "");
	m->modes = MEMBER_VOICE;
	cr_assert_str_eq(member_prefix(m, 0), "+");
	cr_assert_str_eq(member_prefix(m, 1), "+");
	m->modes = MEMBER_OP;
	cr_assert_str_eq(member_prefix(m, 0), "@");
	cr_assert_str_eq(member_prefix(m, 1), "@");
	m->modes = MEMBER_OP | MEMBER_VOICE;
	cr_assert_str_eq(member_prefix(m, 0), "@");
	cr_assert_str_eq(member_prefix(m, 1), "@+");
}

Test(chans, mode_string)
{
	struct client *a = mkn("a");
	struct channel *x = channel_create("#x");
	channel_add(x, a, MEMBER_OP);
	char buf[64];

	channel_mode_string(x, 1, buf, sizeof buf);
	cr_assert_str_eq(buf, "+nt");
	x->modes = 0;
	channel_mode_string(x, 1, buf, sizeof buf);
	cr_assert_str_eq(buf, "+");

	x->modes = CMODE_TOPIC | CMODE_NOEXTERNAL | CMODE_KEY | CMODE_LIMIT;
	x->chkey = strdup("sekrit");
	x->limit = 25;
	channel_mode_string(x, 1, buf, sizeof buf);
	cr_assert_str_eq(buf, "+ntkl sekrit 25");
	channel_mode_string(x, 0, buf, sizeof buf);
	cr_assert_str_eq(buf, "+ntkl * 25");

	x->modes = CMODE_TOPIC | CMODE_NOEXTERNAL | CMODE_MODERATED | CMODE_INVITE | CMODE_SECRET |
	           CMODE_PRIVATE | CMODE_KEY | CMODE_LIMIT;
	channel_mode_string(x, 1, buf, sizeof buf);
	cr_assert_str_eq(buf, "+imnpstkl sekrit 25");

	x->modes = CMODE_LIMIT;
	channel_mode_string(x, 1, buf, sizeof buf);
	cr_assert_str_eq(buf, "+l 25");
}

Test(chans, mode_string_truncates_safely)
{
	struct client *a = mkn("a");
	struct channel *x = channel_create("#x");
	channel_add(x, a, MEMBER_OP);
	x->modes = CMODE_TOPIC | CMODE_NOEXTERNAL | CMODE_KEY | CMODE_LIMIT;
	x->chkey = strdup("averyveryverylongkey");
	x->limit = 1234567;
	/* every short buffer: NUL-terminated prefix of the full string, no overrun */
	const char *full = "+ntkl averyveryverylongkey 1234567";
	for (size_t len = 1; len <= strlen(full) + 1; len++) {
		char buf[64];
		memset(buf, 'Z', sizeof buf);
		channel_mode_string(x, 1, buf, len);
		cr_assert_lt(strlen(buf), len, "len %zu", len);
		cr_assert(strncmp(buf, full, strlen(buf)) == 0, "len %zu: \"%s\"", len, buf);
		for (size_t i = len; i < sizeof buf; i++)
			cr_assert_eq(buf[i], 'Z', "len %zu wrote byte %zu", len, i);
	}
}

static void add_ban(struct channel *ch, const char *mask)
{
	struct ban *b = calloc(1, sizeof *b);
	cr_assert_not_null(b);
	b->mask = strdup(mask);
	b->by = strdup("op");
	b->next = ch->bans;
	ch->bans = b;
	ch->nbans++;
}

Test(chans, bans)
{
	struct client *a = mk("Alice", "al", "good.example");
	struct client *e = mk("Eve", "eve", "evil.example");
	struct client *f = mk("[Bad]", "x", "1.2.3.4");
	struct channel *x = channel_create("#x");
	channel_add(x, a, MEMBER_OP);

	cr_assert_not(channel_is_banned(x, e));
	add_ban(x, "*!*@EVIL.example");
	cr_assert(channel_is_banned(x, e));
	cr_assert_not(channel_is_banned(x, a));
	cr_assert_not(channel_is_banned(x, f));
	/* rfc1459 folding applies to masks too */
	add_ban(x, "{bad}!*@*");
	cr_assert(channel_is_banned(x, f));
	cr_assert_not(channel_is_banned(x, a));
	add_ban(x, "al?ce!al@*");
	cr_assert(channel_is_banned(x, a));
}

Test(chans_ascii, bans_fold_ascii_only)
{
	struct client *f = mk("[Bad]", "x", "1.2.3.4");
	struct channel *x = channel_create("#x");
	channel_add(x, f, MEMBER_OP);
	add_ban(x, "{bad}!*@*");
	cr_assert_not(channel_is_banned(x, f));
	add_ban(x, "[BAD]!*@*");
	cr_assert(channel_is_banned(x, f));
}

static void add_invite(struct channel *ch, struct client *c)
{
	channel_invite(ch, c);
	cr_assert(channel_is_invited(ch, c));
}

Test(chans, invites)
{
	struct client *a = mkn("a"), *b = mkn("b"), *c = mkn("c");
	struct channel *x = channel_create("#x"), *y = channel_create("#y");
	channel_add(x, a, MEMBER_OP);
	channel_add(y, a, MEMBER_OP);
	add_invite(x, b);
	add_invite(y, b);
	add_invite(x, c);
	cr_assert(channel_is_invited(x, b));
	cr_assert(channel_is_invited(y, b));
	cr_assert(channel_is_invited(x, c));
	cr_assert_not(channel_is_invited(y, c));
	cr_assert_not(channel_is_invited(x, a));
	channel_forget_invites(b);
	cr_assert_not(channel_is_invited(x, b));
	cr_assert_not(channel_is_invited(y, b));
	cr_assert(channel_is_invited(x, c));
	channel_uninvite(x, c);
	cr_assert_not(channel_is_invited(x, c));
	cr_assert_eq(c->ninvites, 0);
}

Test(chans, invites_leave_with_either_end)
{
	struct client *a = mkn("a"), *b = mkn("b");
	struct channel *x = channel_create("#x"), *y = channel_create("#y");
	channel_add(x, a, MEMBER_OP);
	channel_add(y, a, MEMBER_OP);
	add_invite(x, b);
	add_invite(y, b);
	add_invite(x, b);   /* twice: still one */
	cr_assert_eq(b->ninvites, 2);
	/* the channel goes first: b's list loses it, no dangling pointer */
	channel_remove(x, a);
	cr_assert_eq(b->ninvites, 1);
	cr_assert_eq(b->invites->ch, y);
	cr_assert_null(b->invites->unext);
}

Test(chans, invites_held_are_capped)
{
	srv.cfg.max_channels = 3;
	struct client *a = mkn("a"), *b = mkn("b");
	struct channel *ch[5];
	char name[8];
	for (int i = 0; i < 5; i++) {
		snprintf(name, sizeof name, "#c%d", i);
		ch[i] = channel_create(name);
		channel_add(ch[i], a, MEMBER_OP);
		channel_invite(ch[i], b);
	}
	cr_assert_eq(b->ninvites, 3);
	/* the oldest went */
	cr_assert_not(channel_is_invited(ch[0], b));
	cr_assert_not(channel_is_invited(ch[1], b));
	cr_assert(channel_is_invited(ch[4], b));
	cr_assert_null(ch[0]->invites);
}

Test(chans, secret_and_private_hide_from_outsiders)
{
	struct client *a = mkn("a"), *out = mkn("out");
	struct channel *x = channel_create("#x");
	channel_add(x, a, MEMBER_OP);
	cr_assert(channel_visible_to(x, out));
	x->modes |= CMODE_SECRET;
	cr_assert_not(channel_visible_to(x, out));
	cr_assert(channel_visible_to(x, a));
	x->modes = CMODE_PRIVATE;
	cr_assert_not(channel_visible_to(x, out));
	cr_assert(channel_visible_to(x, a));
}

static void count_visit(struct client *peer, void *arg)
{
	int *seen = arg;
	for (int i = 0; i < nmade; i++)
		if (made[i] == peer)
			seen[i]++;
}

Test(chans, peers_visited_once_each)
{
	/* a shares #x and #y with b, #y with c; d shares nothing */
	struct client *a = mkn("a"), *b = mkn("b"), *c = mkn("c");
	mkn("d");
	struct channel *x = channel_create("#x"), *y = channel_create("#y");
	channel_add(x, a, 0);
	channel_add(x, b, 0);
	channel_add(y, a, 0);
	channel_add(y, b, 0);
	channel_add(y, c, 0);
	for (int round = 0; round < 2; round++) {
		int seen[MAXC] = { 0 };
		client_visit_peers(a, count_visit, seen);
		cr_assert_eq(seen[0], 0, "visited itself");
		cr_assert_eq(seen[1], 1, "b seen %d times", seen[1]);
		cr_assert_eq(seen[2], 1, "c seen %d times", seen[2]);
		cr_assert_eq(seen[3], 0, "d is not a peer");
	}
}

/* ---- per-address state (ratelimit.c): an IPv6 /64 is one address */
#include "ratelimit.h"

Test(addr_slot, ipv6_groups_share_one_slot)
{
	srv.cfg.ipv6_prefix = 64;
	struct addr_slot *a = addr_slot("2001:db8:1:2::1");
	a->oper_fails = 7;
	cr_assert_eq(addr_slot("2001:db8:1:2:ffff::9"), a);
	cr_assert_eq(addr_slot("2001:db8:1:2::1")->oper_fails, 7);
	struct addr_slot *v4 = addr_slot("192.0.2.1");
	v4->oper_fails = 3;
	cr_assert_eq(addr_slot("192.0.2.1")->oper_fails, 3);
	/* another IPv4 address is another user: never its state */
	cr_assert_eq(addr_slot("192.0.2.2")->oper_fails, 0);
	cr_assert_eq(addr_slot("2001:db8:1:3::1")->oper_fails, 0);
}
