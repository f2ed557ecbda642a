/* evcodec.c - struct event <-> Redis Stream field/value pairs (evcodec.h). */
#include "evcodec.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Field bits, for the per-type rules. */
enum {
	F_UID = 1 << 0, F_TARGET = 1 << 1, F_CHAN = 1 << 2, F_TEXT = 1 << 3,
	F_TAGS = 1 << 4, F_TS = 1 << 5,
	F_CHAN_OR_TARGET = 1 << 6,   /* exactly one of chan and target */
};

/* What an argument may be. */
enum { A_NICK = 1, A_WORD, A_HOST, A_HOST0, A_MODES, A_FLAGS, A_TEXT, A_SID, A_NAME };

struct rule {
	int known;             /* 0: a type this version does not know */
	unsigned req, allow;   /* fields that must / may be present (node always must) */
	int minargs, maxargs;
	uint8_t kind[5];       /* kinds of the first args; later ones are A_WORD */
};

/* Indexed by enum ev_type: the shapes event.h documents. */
static const struct rule rules[EV_TYPE_MAX] = {
	[EV_USER] = { 1, F_UID | F_TEXT, F_TS, 5, 6, { A_NICK, A_WORD, A_HOST, A_MODES, A_HOST0 } },
	[EV_NICK] = { 1, F_UID, F_TS, 1, 1, { A_NICK } },
	[EV_JOIN] = { 1, F_UID | F_CHAN, F_TS, 0, 1, { A_FLAGS } },
	[EV_PART] = { 1, F_UID | F_CHAN, F_TEXT, 0, 0, { 0 } },
	[EV_KICK] = { 1, F_UID | F_CHAN | F_TARGET, F_TEXT, 0, 0, { 0 } },
	[EV_QUIT] = { 1, F_UID, F_TEXT, 0, 0, { 0 } },
	[EV_KILL] = { 1, F_TARGET, F_UID | F_TEXT, 0, 0, { 0 } },
	[EV_CMODE] = { 1, F_CHAN, F_UID | F_TS | F_TEXT, 1, EV_MAXARGS, { A_MODES } },
	[EV_UMODE] = { 1, F_UID, 0, 1, 1, { A_MODES } },
	[EV_TOPIC] = { 1, F_CHAN | F_TEXT, F_UID | F_TS, 0, 1, { A_WORD } },
	[EV_AWAY] = { 1, F_UID, F_TEXT, 0, 0, { 0 } },
	[EV_SETNAME] = { 1, F_UID | F_TEXT, 0, 0, 0, { 0 } },
	/* no uid: a snapshot's pending invitation (state_snap.c) */
	[EV_INVITE] = { 1, F_TARGET | F_CHAN, F_UID, 0, 0, { 0 } },
	[EV_PRIVMSG] = { 1, F_UID | F_TEXT | F_CHAN_OR_TARGET, F_TAGS, 0, 0, { 0 } },
	[EV_NOTICE] = { 1, F_UID | F_TEXT | F_CHAN_OR_TARGET, F_TAGS, 0, 0, { 0 } },
	[EV_TAGMSG] = { 1, F_UID | F_CHAN_OR_TARGET, F_TAGS, 0, 0, { 0 } },
	[EV_OPER] = { 1, F_UID, 0, 1, 1, { A_WORD } },
	[EV_NODE_UP] = { 1, 0, F_TS, 3, 3, { A_NAME, A_SID, A_TEXT } },
	[EV_NODE_LOST] = { 1, 0, F_TEXT | F_TS, 1, 1, { A_NAME } },
	[EV_LOGIN] = { 1, 0, F_UID | F_TARGET, 0, 1, { A_WORD } },
	[EV_CHGHOST] = { 1, F_TARGET, F_UID, 1, 1, { A_HOST } },
	[EV_CHANTS] = { 1, F_CHAN | F_TS, F_UID, 0, 0, { 0 } },
	[EV_WALLOPS] = { 1, F_TEXT, F_UID, 0, 1, { A_NAME } },
};

#define MAX_TEXT 1024   /* a message body, topic, reason or realname */
#define MAX_TAGS 4096   /* IRCv3: client tags are at most 4094 bytes */
#define MAX_ARG 512
#define MAX_NAME 63     /* a server (node) name, as [server] name */

static int ucalnum(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

int evcodec_sid_ok(const char *s, size_t len)
{
	return len == 3 && s[0] >= '0' && s[0] <= '9' && ucalnum(s[1]) && ucalnum(s[2]);
}

int evcodec_uid_ok(const char *s, size_t len)
{
	if (len != UID_LEN || !evcodec_sid_ok(s, 3))
		return 0;
	for (size_t i = 3; i < len; i++)
		if (!ucalnum(s[i]))
			return 0;
	return 1;
}

/* As channel.c's channel_name_valid, with the largest CHANNELLEN (50):
 * nodes may differ in [limits] channellen, not in what a name is. */
int evcodec_chan_ok(const char *s, size_t len)
{
	if (len < 2 || len > 50 || s[0] != '#')
		return 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c <= ' ' || c == ',' || c == ':' || c == 7)
			return 0;
	}
	return 1;
}

static int nick_special(char c)
{
	return strchr("[]\\`_^{|}", c) != NULL && c != '\0';
}

/* As client.c's nick_valid, with the largest NICKLEN (30). */
int evcodec_nick_ok(const char *s, size_t len)
{
	if (len == 0 || len > 30)
		return 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		int ok = ((c | 32) >= 'a' && (c | 32) <= 'z') || nick_special(s[i]) ||
		         (i > 0 && ((c >= '0' && c <= '9') || c == '-'));
		if (!ok)
			return 0;
	}
	return 1;
}

/* A host or address may start with ':' ("::1"): it is never the last
 * parameter of a line, unlike a mode parameter. */
static int word_ok(const char *s, size_t len, int empty_ok, int colon_ok)
{
	if (len == 0)
		return empty_ok;
	if (len > MAX_ARG || (s[0] == ':' && !colon_ok))
		return 0;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] <= ' ')
			return 0;
	return 1;
}

static int modes_ok(const char *s, size_t len)
{
	/* "+" alone: no modes (a USER without any) */
	if (len < 1 || len > 64 || (s[0] != '+' && s[0] != '-'))
		return 0;
	for (size_t i = 0; i < len; i++)
		if (!(s[i] == '+' || s[i] == '-' || ((s[i] | 32) >= 'a' && (s[i] | 32) <= 'z')))
			return 0;
	return 1;
}

/* Member modes of a JOIN in a snapshot: "", "o", "ov". */
static int flags_ok(const char *s, size_t len)
{
	if (len > 8)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (!((s[i] | 32) >= 'a' && (s[i] | 32) <= 'z'))
			return 0;
	return 1;
}

static int name_ok(const char *s, size_t len)
{
	if (len == 0 || len > MAX_NAME || !memchr(s, '.', len))
		return 0;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if ((unsigned char)c <= ' ' || strchr(":,*?!@", c))
			return 0;
	}
	return 1;
}

static int arg_ok(int kind, const char *s, size_t len)
{
	switch (kind) {
	case A_NICK: return evcodec_nick_ok(s, len);
	case A_HOST: return word_ok(s, len, 0, 1);
	case A_HOST0: return word_ok(s, len, 1, 1);
	case A_MODES: return modes_ok(s, len);
	case A_FLAGS: return flags_ok(s, len);
	case A_TEXT: return len <= MAX_TEXT;
	case A_SID: return evcodec_sid_ok(s, len);
	case A_NAME: return name_ok(s, len);
	default: return word_ok(s, len, 0, 0);
	}
}

/* ---- encode */

static void put(struct evenc *o, const char *f, const char *v, size_t vlen)
{
	o->f[o->n] = f;
	o->len[o->n++] = strlen(f);
	o->f[o->n] = v;
	o->len[o->n++] = vlen;
}

static void put_str(struct evenc *o, const char *f, const char *v)
{
	if (v)
		put(o, f, v, strlen(v));
}

static void put_num(struct evenc *o, const char *f, int slot, int64_t v)
{
	int n = snprintf(o->num[slot], sizeof o->num[slot], "%" PRId64, v);
	put(o, f, o->num[slot], (size_t)n);
}

int evcodec_encode(const struct event *ev, uint64_t seq, struct evenc *o)
{
	o->n = 0;
	put_num(o, "t", 0, ev->type);
	put_str(o, "n", ev->node);
	if (seq) {
		int n = snprintf(o->num[1], sizeof o->num[1], "%" PRIu64, seq);
		put(o, "s", o->num[1], (size_t)n);
	}
	put_str(o, "u", ev->uid);
	put_str(o, "g", ev->target);
	put_str(o, "c", ev->chan);
	put_str(o, "x", ev->text);
	put_str(o, "tg", ev->tags);
	if (ev->ts)
		put_num(o, "ts", 2, ev->ts);
	if (ev->time_ms)
		put_num(o, "tm", 3, ev->time_ms);
	for (int i = 0; i < ev->nargs && i < EV_MAXARGS; i++)
		put_str(o, "a", ev->args[i] ? ev->args[i] : "");
	return o->n / 2;
}

/* ---- decode */

__attribute__((format(printf, 3, 4)))
static int refuse(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

static int parse_num(const char *s, size_t len, int64_t *out)
{
	if (len == 0 || len > 19)
		return -1;
	int64_t v = 0;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

static int feq(const char *f, size_t flen, const char *name)
{
	return flen == strlen(name) && memcmp(f, name, flen) == 0;
}

int evcodec_decode(int npairs, const char *const *field, const size_t *flen,
                   const char *const *value, const size_t *vlen,
                   struct evdec *out, char *err, size_t errlen)
{
	struct event *ev = &out->ev;
	memset(ev, 0, sizeof *ev);
	out->seq = 0;
	if (npairs < 2 || npairs > EVCODEC_MAXPAIRS)
		return refuse(err, errlen, "%d fields (2..%d)", npairs, EVCODEC_MAXPAIRS);

	const char **slot;
	unsigned seen = 0, bit;
	int have_type = 0;
	size_t used = 0;
	for (int i = 0; i < npairs; i++) {
		const char *f = field[i], *v = value[i];
		size_t fl = flen[i], vl = vlen[i];
		if (!f || !v)
			return refuse(err, errlen, "field %d missing", i);
		if (memchr(v, '\0', vl) || memchr(v, '\r', vl) || memchr(v, '\n', vl))
			return refuse(err, errlen, "field %.*s: NUL, CR or LF in value", (int)(fl < 8 ? fl : 8), f);
		int64_t num;
		slot = NULL;
		bit = 0;
		size_t max = MAX_TEXT;
		if (feq(f, fl, "t")) {
			if (have_type++ || parse_num(v, vl, &num) < 0 || num <= EV_INVALID || num >= EV_TYPE_MAX)
				return refuse(err, errlen, "bad or repeated type \"%.*s\"", (int)(vl < 20 ? vl : 20), v);
			ev->type = (uint8_t)num;
			continue;
		} else if (feq(f, fl, "s") || feq(f, fl, "ts") || feq(f, fl, "tm")) {
			bit = f[0] == 's' ? 1u << 8 : f[1] == 's' ? F_TS : 1u << 9;
			if (seen & bit)
				return refuse(err, errlen, "repeated field %.*s", (int)fl, f);
			seen |= bit;
			if (parse_num(v, vl, &num) < 0)
				return refuse(err, errlen, "field %.*s: not a number", (int)fl, f);
			if (f[0] == 's')
				out->seq = (uint64_t)num;
			else if (f[1] == 's')
				ev->ts = num;
			else
				ev->time_ms = num;
			continue;
		} else if (feq(f, fl, "a")) {
			if (ev->nargs == EV_MAXARGS)
				return refuse(err, errlen, "more than %d args", EV_MAXARGS);
			slot = &ev->args[ev->nargs++];
			max = MAX_ARG;
		} else if (feq(f, fl, "n")) {
			slot = &ev->node, bit = 1u << 10, max = MAX_NAME;
		} else if (feq(f, fl, "u")) {
			slot = &ev->uid, bit = F_UID;
		} else if (feq(f, fl, "g")) {
			slot = &ev->target, bit = F_TARGET;
		} else if (feq(f, fl, "c")) {
			slot = &ev->chan, bit = F_CHAN;
		} else if (feq(f, fl, "x")) {
			slot = &ev->text, bit = F_TEXT;
		} else if (feq(f, fl, "tg")) {
			slot = &ev->tags, bit = F_TAGS, max = MAX_TAGS;
		} else {
			return refuse(err, errlen, "unknown field \"%.*s\"", (int)(fl < 16 ? fl : 16), f);
		}
		if (seen & bit)
			return refuse(err, errlen, "repeated field %.*s", (int)fl, f);
		seen |= bit;
		if (vl > max)
			return refuse(err, errlen, "field %.*s: %zu bytes (max %zu)", (int)fl, f, vl, max);
		if (used + vl + 1 > sizeof out->store)
			return refuse(err, errlen, "entry too large");
		memcpy(out->store + used, v, vl);
		out->store[used + vl] = '\0';
		*slot = out->store + used;
		used += vl + 1;
	}
	if (!have_type)
		return refuse(err, errlen, "no type");
	if (!ev->node || !name_ok(ev->node, strlen(ev->node)))
		return refuse(err, errlen, "type %d: missing or bad node name", ev->type);

	const struct rule *r = &rules[ev->type];
	if (!r->known)
		return refuse(err, errlen, "type %d: unknown to this version", ev->type);
	if (ev->type == EV_LOGIN && !ev->uid && !ev->target)
		return refuse(err, errlen, "type %d: needs a uid or a target", ev->type);
	unsigned present = seen & (F_UID | F_TARGET | F_CHAN | F_TEXT | F_TAGS | F_TS);
	unsigned req = r->req & ~F_CHAN_OR_TARGET, allow = req | r->allow;
	if (r->req & F_CHAN_OR_TARGET) {
		unsigned ct = present & (F_CHAN | F_TARGET);
		if (ct != F_CHAN && ct != F_TARGET)
			return refuse(err, errlen, "type %d: needs a channel or a target, not both", ev->type);
		allow |= ct;
	}
	if ((present & req) != req)
		return refuse(err, errlen, "type %d: missing field (have %#x, need %#x)", ev->type, present, req);
	if (present & ~allow)
		return refuse(err, errlen, "type %d: field not allowed (have %#x, allowed %#x)", ev->type, present, allow);
	if (ev->nargs < r->minargs || ev->nargs > r->maxargs)
		return refuse(err, errlen, "type %d: %d args (%d..%d)", ev->type, ev->nargs, r->minargs, r->maxargs);
	if (ev->uid && !evcodec_uid_ok(ev->uid, strlen(ev->uid)))
		return refuse(err, errlen, "type %d: bad uid", ev->type);
	if (ev->target && !evcodec_uid_ok(ev->target, strlen(ev->target)))
		return refuse(err, errlen, "type %d: bad target uid", ev->type);
	if (ev->chan && !evcodec_chan_ok(ev->chan, strlen(ev->chan)))
		return refuse(err, errlen, "type %d: bad channel name", ev->type);
	if (ev->tags && (!ev->tags[0] || ev->tags[0] == '@' || strchr(ev->tags, ' ')))
		return refuse(err, errlen, "type %d: bad tags", ev->type);
	for (int i = 0; i < ev->nargs; i++) {
		int kind = i < 5 && r->kind[i] ? r->kind[i] : A_WORD;
		if (!arg_ok(kind, ev->args[i], strlen(ev->args[i])))
			return refuse(err, errlen, "type %d: bad arg %d", ev->type, i);
	}
	return 0;
}

/* ---- snapshots */

static int blob_put(struct evblob *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		while (cap < b->len + n + 1)
			cap *= 2;
		char *p = realloc(b->p, cap);
		if (!p)
			return -1;
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

static int blob_item(struct evblob *b, const char *s, size_t n)
{
	char head[24];
	int h = snprintf(head, sizeof head, "%zu:", n);
	return blob_put(b, head, (size_t)h) < 0 || blob_put(b, s, n) < 0 ? -1 : 0;
}

int evcodec_pack(struct evblob *b, const struct event *ev)
{
	struct evenc e;
	int pairs = evcodec_encode(ev, 0, &e);
	char head[24];
	int h = snprintf(head, sizeof head, "%d\n", pairs);
	if (blob_put(b, head, (size_t)h) < 0)
		return -1;
	for (int i = 0; i < e.n; i++)
		if (blob_item(b, e.f[i], e.len[i]) < 0)
			return -1;
	return 0;
}

void evblob_free(struct evblob *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

/* "<digits><end>" at *p (at most 9 digits); advances past end. */
static int read_len(const char **p, const char *end, char stop, size_t *out)
{
	size_t v = 0;
	int digits = 0;
	while (*p < end && **p >= '0' && **p <= '9' && digits < 9) {
		v = v * 10 + (size_t)(**p - '0');
		(*p)++;
		digits++;
	}
	if (!digits || *p >= end || **p != stop)
		return -1;
	(*p)++;
	*out = v;
	return 0;
}

static long walk(const char *p, size_t len,
                 void (*fn)(const struct event *ev, void *arg), void *arg,
                 char *err, size_t errlen)
{
	const char *end = p + len;
	struct evdec *d = malloc(sizeof *d);
	if (!d)
		return refuse(err, errlen, "out of memory");
	long count = 0;
	const char *f[EVCODEC_MAXPAIRS], *v[EVCODEC_MAXPAIRS];
	size_t fl[EVCODEC_MAXPAIRS], vl[EVCODEC_MAXPAIRS];
	char why[160];
	while (p < end) {
		size_t pairs;
		if (read_len(&p, end, '\n', &pairs) < 0 || pairs == 0 || pairs > EVCODEC_MAXPAIRS) {
			refuse(err, errlen, "snapshot event %ld: bad pair count", count);
			goto fail;
		}
		for (size_t i = 0; i < 2 * pairs; i++) {
			size_t n;
			if (read_len(&p, end, ':', &n) < 0 || n > (size_t)(end - p)) {
				refuse(err, errlen, "snapshot event %ld: bad length", count);
				goto fail;
			}
			if (i % 2 == 0)
				f[i / 2] = p, fl[i / 2] = n;
			else
				v[i / 2] = p, vl[i / 2] = n;
			p += n;
		}
		if (evcodec_decode((int)pairs, f, fl, v, vl, d, why, sizeof why) < 0) {
			refuse(err, errlen, "snapshot event %ld: %s", count, why);
			goto fail;
		}
		if (fn)
			fn(&d->ev, arg);
		count++;
	}
	free(d);
	return count;
fail:
	free(d);
	return -1;
}

long evcodec_unpack(const char *p, size_t len,
                    void (*fn)(const struct event *ev, void *arg), void *arg,
                    char *err, size_t errlen)
{
	/* check it all first, so a bad event late in it applies nothing */
	long n = walk(p, len, NULL, NULL, err, errlen);
	if (n < 0 || !fn)
		return n;
	return walk(p, len, fn, arg, err, errlen);
}
