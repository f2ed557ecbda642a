/* test_evcodec.c - the cluster's event codec: round trips and every refusal. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "evcodec.h"

static struct evdec dec;
static char err[256];

/* Decode what evcodec_encode made of ev. */
static int round_trip(const struct event *ev, uint64_t seq)
{
	struct evenc e;
	int pairs = evcodec_encode(ev, seq, &e);
	cr_assert_eq(pairs * 2, e.n);
	const char *f[EVCODEC_MAXPAIRS], *v[EVCODEC_MAXPAIRS];
	size_t fl[EVCODEC_MAXPAIRS], vl[EVCODEC_MAXPAIRS];
	for (int i = 0; i < pairs; i++) {
		f[i] = e.f[2 * i], fl[i] = e.len[2 * i];
		v[i] = e.f[2 * i + 1], vl[i] = e.len[2 * i + 1];
	}
	err[0] = '\0';
	return evcodec_decode(pairs, f, fl, v, vl, &dec, err, sizeof err);
}

static void str_eq(const char *a, const char *b, const char *what)
{
	if (!a || !b)
		cr_assert(a == b, "%s: %s vs %s", what, a ? a : "NULL", b ? b : "NULL");
	else
		cr_assert_str_eq(a, b, "%s", what);
}

static void same(const struct event *a, const struct event *b)
{
	cr_assert_eq(a->type, b->type);
	str_eq(a->node, b->node, "node");
	str_eq(a->uid, b->uid, "uid");
	str_eq(a->target, b->target, "target");
	str_eq(a->chan, b->chan, "chan");
	str_eq(a->text, b->text, "text");
	str_eq(a->tags, b->tags, "tags");
	cr_assert_eq(a->nargs, b->nargs);
	for (int i = 0; i < a->nargs; i++)
		str_eq(a->args[i], b->args[i], "arg");
	cr_assert_eq(a->ts, b->ts);
	cr_assert_eq(a->time_ms, b->time_ms);
}

static void ok(const struct event *ev)
{
	cr_assert_eq(round_trip(ev, 42), 0, "type %d refused: %s", ev->type, err);
	same(ev, &dec.ev);
	cr_assert_eq(dec.seq, 42);
	cr_assert_null(dec.ev.id);
	cr_assert_null(dec.ev.label);
}

static void bad(const struct event *ev, const char *why)
{
	cr_assert_eq(round_trip(ev, 1), -1, "type %d accepted", ev->type);
	cr_assert_not_null(strstr(err, why), "\"%s\" not in: %s", why, err);
}

#define N "irc1.example.org"
#define U1 "0AAAAAAAB"
#define U2 "1ZZ000009"

Test(evcodec, round_trip_every_type)
{
	struct event evs[] = {
		{ .type = EV_USER, .node = N, .uid = U1, .text = "Real Name", .ts = 1700000000,
		  .nargs = 5, .args = { "alice", "~al", "host.example", "+iw", "127.0.0.1" } },
		{ .type = EV_USER, .node = N, .uid = U1, .text = "",
		  .nargs = 5, .args = { "[b]-1", "u", "h", "+i", "" } },
		/* with a TLS client certificate fingerprint */
		{ .type = EV_USER, .node = N, .uid = U1, .text = "R", .ts = 2, .nargs = 6,
		  .args = { "c", "u", "h", "+", "::1",
		            "9b6b5a60805577b0c94769c9ae78e8476f0b618d20babb386485c8b8510446b9" } },
		{ .type = EV_NICK, .node = N, .uid = U1, .ts = 5, .nargs = 1, .args = { "bob" } },
		{ .type = EV_JOIN, .node = N, .uid = U1, .chan = "#chan", .ts = 99 },
		{ .type = EV_PART, .node = N, .uid = U1, .chan = "#chan" },
		{ .type = EV_PART, .node = N, .uid = U1, .chan = "#chan", .text = "bye now" },
		{ .type = EV_KICK, .node = N, .uid = U1, .target = U2, .chan = "#c", .text = "out" },
		{ .type = EV_QUIT, .node = N, .uid = U1, .text = "Quit: x" },
		{ .type = EV_KILL, .node = N, .target = U2, .text = "server kill" },
		{ .type = EV_KILL, .node = N, .uid = U1, .target = U2, .text = "oper kill" },
		{ .type = EV_CMODE, .node = N, .uid = U1, .chan = "#c", .nargs = 3,
		  .args = { "+ob-k", "alice", "*!*@x" } },
		{ .type = EV_UMODE, .node = N, .uid = U1, .nargs = 1, .args = { "+iw-o" } },
		{ .type = EV_TOPIC, .node = N, .uid = U1, .chan = "#c", .text = "a topic: with colons" },
		{ .type = EV_TOPIC, .node = N, .uid = U1, .chan = "#c", .text = "" },
		{ .type = EV_AWAY, .node = N, .uid = U1, .text = "gone" },
		{ .type = EV_AWAY, .node = N, .uid = U1 },
		{ .type = EV_SETNAME, .node = N, .uid = U1, .text = "New Name" },
		{ .type = EV_INVITE, .node = N, .uid = U1, .target = U2, .chan = "#c" },
		{ .type = EV_INVITE, .node = N, .target = U2, .chan = "#c" },
		{ .type = EV_USER, .node = N, .uid = U1, .text = "R", .ts = 1, .nargs = 5,
		  .args = { "n", "u", "h", "+", "h" } },
		{ .type = EV_PRIVMSG, .node = N, .uid = U1, .chan = "#c", .text = "hi :)",
		  .tags = "+draft/reply=abc;+x", .time_ms = 1700000000123 },
		{ .type = EV_PRIVMSG, .node = N, .uid = U1, .target = U2, .text = "" },
		{ .type = EV_NOTICE, .node = N, .uid = U1, .target = U2, .text = "n" },
		{ .type = EV_TAGMSG, .node = N, .uid = U1, .chan = "#c", .tags = "+typing=active" },
		{ .type = EV_OPER, .node = N, .uid = U1, .nargs = 1, .args = { "alice" } },
		{ .type = EV_NODE_UP, .node = N, .nargs = 3, .args = { N, "0AA", "the first node" } },
		{ .type = EV_NODE_LOST, .node = "irc2.example.org", .nargs = 1, .args = { N },
		  .text = "heartbeat lost" },
		{ .type = EV_JOIN, .node = N, .uid = U1, .chan = "#c", .nargs = 1, .args = { "ov" } },
		{ .type = EV_JOIN, .node = N, .uid = U1, .chan = "#c", .nargs = 1, .args = { "" } },
		{ .type = EV_CMODE, .node = N, .chan = "#c", .nargs = 2, .args = { "+b", "a!b@::1" },
		  .text = "op!u@h", .ts = 1700000000 },
		{ .type = EV_TOPIC, .node = N, .chan = "#c", .text = "t", .nargs = 1,
		  .args = { "alice!u@h" }, .ts = 1700000000 },
		{ .type = EV_NODE_UP, .node = N, .nargs = 3, .args = { N, "0AA", "d" }, .ts = 17 },
		{ .type = EV_LOGIN, .node = N, .uid = U1, .nargs = 1, .args = { "acct" } },
		{ .type = EV_LOGIN, .node = N, .target = U1 },
		{ .type = EV_CHGHOST, .node = N, .target = U1, .nargs = 1, .args = { "vhost.example" } },
		{ .type = EV_CHANTS, .node = N, .chan = "#c", .ts = 1600000000 },
		{ .type = EV_WALLOPS, .node = N, .uid = U1, .text = "to the operators" },
		{ .type = EV_WALLOPS, .node = N, .nargs = 1, .args = { "services.example.org" },
		  .text = "from a server" },
	};
	for (size_t i = 0; i < sizeof evs / sizeof evs[0]; i++)
		ok(&evs[i]);
}

Test(evcodec, sixteen_mode_args)
{
	struct event ev = { .type = EV_CMODE, .node = N, .chan = "#c", .nargs = EV_MAXARGS };
	ev.args[0] = "+ooooooooooooooo";
	for (int i = 1; i < EV_MAXARGS; i++)
		ev.args[i] = "nick";
	ok(&ev);
}

Test(evcodec, refusals_by_shape)
{
	struct event base = { .type = EV_PRIVMSG, .node = N, .uid = U1, .chan = "#c", .text = "x" };
	struct event e;

	e = base; e.type = 0; bad(&e, "type");
	e = base; e.type = EV_TYPE_MAX; bad(&e, "type");
	e = base; e.type = 200; bad(&e, "type");
	e = base; e.node = NULL; bad(&e, "node");
	e = base; e.node = "nodot"; bad(&e, "node");
	e = base; e.node = "a b.org"; bad(&e, "node");
	e = base; e.uid = NULL; bad(&e, "missing field");
	e = base; e.uid = "0AAAAAAB"; bad(&e, "bad uid");          /* 8 chars */
	e = base; e.uid = "0AAAAAAABC"; bad(&e, "bad uid");        /* 10 */
	e = base; e.uid = "AAAAAAAAB"; bad(&e, "bad uid");         /* SID starts with a letter */
	e = base; e.uid = "0aaAAAAAB"; bad(&e, "bad uid");         /* lower case */
	e = base; e.target = "0AA!AAAAB"; e.chan = NULL; bad(&e, "bad target");
	e = base; e.target = U2; bad(&e, "not both");               /* chan and target */
	e = base; e.chan = NULL; bad(&e, "channel or a target");
	e = base; e.chan = "chan"; bad(&e, "bad channel");
	e = base; e.chan = "#"; bad(&e, "bad channel");
	e = base; e.chan = "#a,b"; bad(&e, "bad channel");
	e = base; e.chan = "#a b"; bad(&e, "bad channel");
	e = base; e.chan = "#a:b"; bad(&e, "bad channel");
	e = base; e.chan = "#a\ab"; bad(&e, "bad channel");
	e = base; e.chan = "#123456789012345678901234567890123456789012345678901"; bad(&e, "bad channel");
	e = base; e.text = NULL; bad(&e, "missing field");
	e = base; e.text = "a\r\nQUIT"; bad(&e, "CR or LF");
	e = base; e.text = "a\nb"; bad(&e, "CR or LF");
	e = base; e.tags = ""; bad(&e, "bad tags");
	e = base; e.tags = "@a"; bad(&e, "bad tags");
	e = base; e.tags = "+a b"; bad(&e, "bad tags");
	e = base; e.nargs = 1; e.args[0] = "x"; bad(&e, "args");
	e = base; e.ts = 5; bad(&e, "not allowed");
	e = (struct event){ .type = EV_TAGMSG, .node = N, .uid = U1, .chan = "#c", .text = "t" };
	bad(&e, "not allowed");
	e = (struct event){ .type = EV_NICK, .node = N, .uid = U1, .nargs = 1, .args = { "1abc" } };
	bad(&e, "bad arg 0");
	e.args[0] = "a123456789012345678901234567890"; bad(&e, "bad arg 0");   /* 31 */
	e.args[0] = "a b"; bad(&e, "bad arg 0");
	e.nargs = 0; bad(&e, "args");
	e.nargs = 2; e.args[0] = "a"; e.args[1] = "b"; bad(&e, "args");
	e = (struct event){ .type = EV_USER, .node = N, .uid = U1, .text = "r", .nargs = 5,
	                    .args = { "n", "u", "h", "iw", "" } };
	bad(&e, "bad arg 3");                                        /* modes need a sign */
	e.args[3] = "+i"; e.args[1] = ""; bad(&e, "bad arg 1");
	e.args[1] = ":u"; bad(&e, "bad arg 1");
	e.args[1] = "u"; e.nargs = 6; e.args[5] = "a b"; bad(&e, "bad arg 5");  /* fingerprint: a word */
	e.args[5] = ""; bad(&e, "bad arg 5");
	e.nargs = 7; e.args[5] = "ab"; e.args[6] = "x"; bad(&e, "args");
	e = (struct event){ .type = EV_CMODE, .node = N, .chan = "#c", .nargs = 2,
	                    .args = { "+o", "a b" } };
	bad(&e, "bad arg 1");
	e.args[0] = "+1"; e.args[1] = "x"; bad(&e, "bad arg 0");
	e = (struct event){ .type = EV_NODE_UP, .node = N, .nargs = 3, .args = { N, "AAA", "d" } };
	bad(&e, "bad arg 1");
	e.args[1] = "0AA"; e.uid = U1; bad(&e, "not allowed");
	e = (struct event){ .type = EV_NODE_LOST, .node = N, .nargs = 1, .args = { "x" } };
	bad(&e, "bad arg 0");
	e = (struct event){ .type = EV_KICK, .node = N, .uid = U1, .chan = "#c" };
	bad(&e, "missing field");
	e = (struct event){ .type = EV_JOIN, .node = N, .uid = U1, .chan = "#c", .nargs = 1,
	                    .args = { "+o" } };
	bad(&e, "bad arg 0");
	e = (struct event){ .type = EV_LOGIN, .node = N, .nargs = 1, .args = { "a" } };
	bad(&e, "uid or a target");
	e = (struct event){ .type = EV_CHANTS, .node = N, .chan = "#c" };
	bad(&e, "missing field");
	e = (struct event){ .type = EV_WALLOPS, .node = N, .uid = U1 };
	bad(&e, "missing field");
	e = (struct event){ .type = EV_WALLOPS, .node = N, .text = "x", .nargs = 1, .args = { "a b" } };
	bad(&e, "bad arg 0");
}

Test(evcodec, too_long_values)
{
	static char big[6000];
	memset(big, 'a', sizeof big - 1);
	struct event e = { .type = EV_PRIVMSG, .node = N, .uid = U1, .chan = "#c", .text = big };
	bad(&e, "bytes");
	big[1025] = '\0';
	bad(&e, "bytes");
	big[1024] = '\0';
	cr_assert_eq(round_trip(&e, 1), 0, "%s", err);
	e.text = "x";
	big[1024] = 'a';
	big[1025] = 'a';
	big[4097] = '\0';
	e.tags = big;
	bad(&e, "bytes");
}

/* Entries made by hand: what another version or a stranger may write. */
static int raw(int n, const char *const *kv)
{
	const char *f[64], *v[64];
	size_t fl[64], vl[64];
	for (int i = 0; i < n; i++) {
		f[i] = kv[2 * i], fl[i] = strlen(kv[2 * i]);
		v[i] = kv[2 * i + 1], vl[i] = strlen(kv[2 * i + 1]);
	}
	err[0] = '\0';
	return evcodec_decode(n, f, fl, v, vl, &dec, err, sizeof err);
}

Test(evcodec, refusals_of_raw_entries)
{
	const char *good[] = { "t", "6", "n", N, "u", U1 };
	cr_assert_eq(raw(3, good), 0, "%s", err);
	cr_assert_eq(dec.ev.type, EV_QUIT);
	cr_assert_null(dec.ev.text);

	const char *one[] = { "t", "6" };
	cr_assert_eq(raw(1, one), -1);
	const char *unknown[] = { "t", "6", "n", N, "u", U1, "zz", "1" };
	cr_assert_eq(raw(4, unknown), -1);
	cr_assert_not_null(strstr(err, "unknown field"));
	const char *twice[] = { "t", "6", "n", N, "u", U1, "u", U2 };
	cr_assert_eq(raw(4, twice), -1);
	cr_assert_not_null(strstr(err, "repeated"));
	const char *type2[] = { "t", "6", "n", N, "u", U1, "t", "6" };
	cr_assert_eq(raw(4, type2), -1);
	const char *notype[] = { "n", N, "u", U1 };
	cr_assert_eq(raw(2, notype), -1);
	cr_assert_not_null(strstr(err, "no type"));
	const char *nan[] = { "t", "6x", "n", N, "u", U1 };
	cr_assert_eq(raw(3, nan), -1);
	const char *neg[] = { "t", "-6", "n", N, "u", U1 };
	cr_assert_eq(raw(3, neg), -1);
	const char *badts[] = { "t", "3", "n", N, "u", U1, "c", "#c", "ts", "12a" };
	cr_assert_eq(raw(5, badts), -1);
	cr_assert_not_null(strstr(err, "not a number"));
	const char *hugets[] = { "t", "3", "n", N, "u", U1, "c", "#c", "ts", "99999999999999999999" };
	cr_assert_eq(raw(5, hugets), -1);
	const char *badseq[] = { "t", "6", "n", N, "u", U1, "s", "" };
	cr_assert_eq(raw(4, badseq), -1);

	/* a NUL inside a value (lengths are given, so it can be there) */
	const char *f[] = { "t", "n", "u", "x" };
	const char *v[] = { "6", N, U1, "a\0b" };
	size_t fl[] = { 1, 1, 1, 1 }, vl[] = { 1, strlen(N), 9, 3 };
	cr_assert_eq(evcodec_decode(4, f, fl, v, vl, &dec, err, sizeof err), -1);
	cr_assert_not_null(strstr(err, "NUL"));

	/* seventeen args */
	const char *many[2 * 20] = { "t", "8", "n", N, "c", "#c", "a", "+o" };
	int n = 4;
	for (; n < 4 + EV_MAXARGS; n++)
		many[2 * n] = "a", many[2 * n + 1] = "x";
	cr_assert_eq(raw(n, many), -1);
	cr_assert_not_null(strstr(err, "args"), "%s", err);
}

static int applied;
static void count(const struct event *ev, void *arg)
{
	(void)arg;
	cr_assert(ev->type > 0);
	applied++;
}

Test(evcodec, snapshot_pack_unpack)
{
	struct evblob b = { 0 };
	struct event evs[] = {
		{ .type = EV_NODE_UP, .node = N, .nargs = 3, .args = { N, "0AA", "d" } },
		{ .type = EV_USER, .node = N, .uid = U1, .text = "R", .ts = 1, .nargs = 5,
		  .args = { "alice", "u", "h", "+i", "::1" } },
		{ .type = EV_JOIN, .node = N, .uid = U1, .chan = "#c", .ts = 7 },
		{ .type = EV_TOPIC, .node = N, .uid = U1, .chan = "#c", .text = "t:o\tp" },
	};
	for (size_t i = 0; i < 4; i++)
		cr_assert_eq(evcodec_pack(&b, &evs[i]), 0);
	applied = 0;
	cr_assert_eq(evcodec_unpack(b.p, b.len, count, NULL, err, sizeof err), 4, "%s", err);
	cr_assert_eq(applied, 4);
	cr_assert_eq(evcodec_unpack("", 0, count, NULL, err, sizeof err), 0);

	/* every truncation is refused, and nothing is applied */
	for (size_t cut = 1; cut < b.len; cut++) {
		applied = 0;
		long n = evcodec_unpack(b.p, cut, count, NULL, err, sizeof err);
		if (n >= 0) {
			/* only a cut at an event boundary is a valid (shorter) snapshot */
			cr_assert(n < 4);
			cr_assert_eq(applied, n);
		} else {
			cr_assert_eq(applied, 0, "applied %d of a bad snapshot cut at %zu", applied, cut);
			cr_assert_not_null(strstr(err, "snapshot event"));
		}
	}
	/* a bad last event: nothing applied */
	struct evblob c = { 0 };
	cr_assert_eq(evcodec_pack(&c, &evs[0]), 0);
	struct event badev = { .type = EV_JOIN, .node = N, .uid = U1, .chan = "nochan" };
	cr_assert_eq(evcodec_pack(&c, &badev), 0);
	applied = 0;
	cr_assert_eq(evcodec_unpack(c.p, c.len, count, NULL, err, sizeof err), -1);
	cr_assert_eq(applied, 0);
	cr_assert_not_null(strstr(err, "snapshot event 1: "), "%s", err);
	cr_assert_eq(evcodec_unpack("x\n", 2, count, NULL, err, sizeof err), -1);
	cr_assert_eq(evcodec_unpack("1\n1:t", 5, count, NULL, err, sizeof err), -1);
	cr_assert_eq(evcodec_unpack("1\n1:t99999:6", 12, count, NULL, err, sizeof err), -1);
	cr_assert_eq(evcodec_unpack("0\n", 2, count, NULL, err, sizeof err), -1);
	evblob_free(&b);
	evblob_free(&c);
}
