/* fuzz_evcodec.c - libFuzzer harness for src/evcodec.c, the decoder of
 * what cluster nodes read back from Redis.
 *
 * The first input byte picks the form, the rest is the data:
 *   even  a packed snapshot (evcodec_unpack): framing and every event;
 *   odd   one stream entry: the data split at 0xff bytes into fields and
 *         values, alternately (a value may hold any byte, NUL included).
 * For every event the decoder accepts, the harness checks what it promises
 * (no CR/LF/NUL in any string, UID and channel shapes, args within
 * bounds) and that encoding it again and decoding that gives the same
 * event (round trip). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "evcodec.h"

#define CHECK(cond)                                                                \
	do {                                                                       \
		if (!(cond)) {                                                     \
			fprintf(stderr, "fuzz_evcodec: invariant failed: %s (line %d)\n", \
			        #cond, __LINE__);                                  \
			abort();                                                   \
		}                                                                  \
	} while (0)

static void clean(const char *s)
{
	if (s)
		CHECK(!strpbrk(s, "\r\n"));
}

static int same_str(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static void check_event(const struct event *ev)
{
	CHECK(ev->type > EV_INVALID && ev->type < EV_TYPE_MAX);
	CHECK(ev->node && ev->node[0]);
	CHECK(ev->nargs >= 0 && ev->nargs <= EV_MAXARGS);
	if (ev->uid)
		CHECK(evcodec_uid_ok(ev->uid, strlen(ev->uid)));
	if (ev->target)
		CHECK(evcodec_uid_ok(ev->target, strlen(ev->target)));
	if (ev->chan)
		CHECK(evcodec_chan_ok(ev->chan, strlen(ev->chan)));
	clean(ev->node), clean(ev->text), clean(ev->tags);
	for (int i = 0; i < ev->nargs; i++) {
		CHECK(ev->args[i]);
		clean(ev->args[i]);
	}
	CHECK(ev->ts >= 0 && ev->time_ms >= 0);

	/* round trip */
	static struct evdec again;
	struct evenc e;
	int pairs = evcodec_encode(ev, 7, &e);
	CHECK(pairs >= 2 && pairs <= EVCODEC_MAXPAIRS);
	const char *f[EVCODEC_MAXPAIRS], *v[EVCODEC_MAXPAIRS];
	size_t fl[EVCODEC_MAXPAIRS], vl[EVCODEC_MAXPAIRS];
	for (int i = 0; i < pairs; i++) {
		f[i] = e.f[2 * i], fl[i] = e.len[2 * i];
		v[i] = e.f[2 * i + 1], vl[i] = e.len[2 * i + 1];
	}
	char err[256];
	CHECK(evcodec_decode(pairs, f, fl, v, vl, &again, err, sizeof err) == 0);
	const struct event *b = &again.ev;
	CHECK(again.seq == 7 && b->type == ev->type && b->nargs == ev->nargs);
	CHECK(same_str(b->node, ev->node) && same_str(b->uid, ev->uid));
	CHECK(same_str(b->target, ev->target) && same_str(b->chan, ev->chan));
	CHECK(same_str(b->text, ev->text) && same_str(b->tags, ev->tags));
	CHECK(b->ts == ev->ts && b->time_ms == ev->time_ms);
	for (int i = 0; i < ev->nargs; i++)
		CHECK(strcmp(b->args[i], ev->args[i]) == 0);
}

static void on_event(const struct event *ev, void *arg)
{
	(*(long *)arg)++;
	check_event(ev);
}

static struct evdec dec;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	char err[256];
	const char *p = (const char *)data + 1;
	size_t len = size - 1;
	if ((data[0] & 1) == 0) {
		long seen = 0;
		long n = evcodec_unpack(p, len, on_event, &seen, err, sizeof err);
		CHECK(n == -1 ? seen == 0 : n == seen);
		return 0;
	}
	const char *part[2 * EVCODEC_MAXPAIRS + 2];
	size_t plen[2 * EVCODEC_MAXPAIRS + 2];
	int n = 0;
	const char *start = p, *end = p + len;
	for (const char *q = p; q <= end && n < (int)(sizeof part / sizeof part[0]); q++) {
		if (q == end || (unsigned char)*q == 0xff) {
			part[n] = start;
			plen[n++] = (size_t)(q - start);
			start = q + 1;
		}
	}
	int pairs = n / 2;
	const char *f[EVCODEC_MAXPAIRS + 1], *v[EVCODEC_MAXPAIRS + 1];
	size_t fl[EVCODEC_MAXPAIRS + 1], vl[EVCODEC_MAXPAIRS + 1];
	for (int i = 0; i < pairs; i++) {
		f[i] = part[2 * i], fl[i] = plen[2 * i];
		v[i] = part[2 * i + 1], vl[i] = plen[2 * i + 1];
	}
	if (evcodec_decode(pairs, f, fl, v, vl, &dec, err, sizeof err) == 0)
		check_event(&dec.ev);
	else
		CHECK(err[0]);
	return 0;
}
