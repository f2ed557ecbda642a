/* sbuf.h - reference-counted output buffers.
 * A line broadcast to N clients is serialised once into one sbuf that
 * every recipient's output queue points at (refs = number of queues). */
#ifndef IRCMINI_SBUF_H
#define IRCMINI_SBUF_H

#include <stdint.h>
#include <stdlib.h>

struct sbuf {
	uint32_t refs;
	uint32_t len;
	uint32_t cap;
	char data[];
};

static inline struct sbuf *sbuf_new(uint32_t cap)
{
	struct sbuf *b = malloc(sizeof *b + cap);
	if (b) {
		b->refs = 1;
		b->len = 0;
		b->cap = cap;
	}
	return b;
}

static inline void sbuf_unref(struct sbuf *b)
{
	if (--b->refs == 0)
		free(b);
}

#endif
