/* evcodec.h - a struct event as Redis Stream field/value pairs, and back.
 *
 * The cluster (cluster.c) appends every event to a stream; what it reads
 * back is outside input: another node, another version, or whoever can
 * write to Redis. evcodec_decode() checks an entry as strictly as a
 * client's line (types, lengths, UID and channel shape, no CR/LF/NUL,
 * the fields and argument count each type allows) and refuses it with a
 * reason; the caller logs and skips it, the same way on every node.
 *
 * Wire fields (all values are text):
 *   t  type number (event.h)        n  origin node name
 *   s  origin sequence number       u  acting uid      g  target uid
 *   c  channel                      x  text            tg client tags
 *   ts type-defined timestamp       tm origin time in ms
 *   a  one per argument, in order
 * An absent field is NULL; a present empty value is "" (TOPIC "" clears,
 * AWAY without x is "back").
 *
 * A snapshot (the whole state as a list of events) is packed into one
 * string: per event "<npairs>\n" then each field and value as
 * "<len>:<bytes>". evcodec_unpack() checks the framing and decodes each
 * event with the same rules. */
#ifndef IRCMINI_EVCODEC_H
#define IRCMINI_EVCODEC_H

#include <stddef.h>
#include <stdint.h>

#include "event.h"

/* Field/value pairs of one entry: up to 10 fixed fields and the args. */
#define EVCODEC_MAXPAIRS (10 + EV_MAXARGS)
/* Bytes of all values of one entry together (text 512, tags 4096, args). */
#define EVCODEC_MAXBYTES 16384

struct evenc {
	int n;                 /* entries in f (fields and values alternate) */
	const char *f[2 * EVCODEC_MAXPAIRS];
	size_t len[2 * EVCODEC_MAXPAIRS];
	char num[4][24];       /* type, seq, ts, time_ms as text */
};

struct evdec {
	struct event ev;       /* strings point into store */
	uint64_t seq;          /* the origin's sequence number (0: none) */
	char store[EVCODEC_MAXBYTES + 2 * EVCODEC_MAXPAIRS];
};

/* Encode ev (borrowed strings: out points at them) with the origin's
 * sequence number. Returns the number of pairs. */
int evcodec_encode(const struct event *ev, uint64_t seq, struct evenc *out);

/* Decode npairs field/value pairs (not NUL-terminated, lengths given).
 * Returns 0, or -1 with the reason in err. */
int evcodec_decode(int npairs, const char *const *field, const size_t *flen,
                   const char *const *value, const size_t *vlen,
                   struct evdec *out, char *err, size_t errlen);

/* A growable byte string for snapshots. */
struct evblob {
	char *p;
	size_t len, cap;
};
/* Append ev, encoded, to b. Returns 0, -1 when out of memory. */
int evcodec_pack(struct evblob *b, const struct event *ev);
void evblob_free(struct evblob *b);

/* Decode the events of a packed snapshot in order, calling fn for each.
 * Stops at the first bad event or framing error: -1 with the reason
 * (naming the event's index) in err; a snapshot is all or nothing.
 * Returns the number of events. */
long evcodec_unpack(const char *p, size_t len,
                    void (*fn)(const struct event *ev, void *arg), void *arg,
                    char *err, size_t errlen);

/* Shapes the decoder checks, for the tests and the fuzz harness. */
int evcodec_uid_ok(const char *s, size_t len);
int evcodec_sid_ok(const char *s, size_t len);
int evcodec_chan_ok(const char *s, size_t len);
int evcodec_nick_ok(const char *s, size_t len);

#endif
