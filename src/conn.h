/* conn.h - one client socket: libev watcher, read framing, output queue,
 * flood control and idle timeouts. Knows bytes and lines, not IRC. */
#ifndef IRCMINI_CONN_H
#define IRCMINI_CONN_H

#include <ev.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "sbuf.h"

struct oitem {
	struct sbuf *b;
	uint32_t off;   /* bytes of b already written */
};

enum conn_tlist { TL_NONE = 0, TL_UNREG, TL_ACTIVE, TL_PINGED, TL_COUNT };

enum {
	CONN_DEAD = 1 << 0,      /* being closed; ignore input, drop output */
	CONN_PENDING = 1 << 1,   /* on the flush list */
	CONN_WRITING = 1 << 2,   /* write watcher armed: kernel buffer was full */
	CONN_THROTTLED = 1 << 3, /* flood control holds input back */
	CONN_LINE_TOO_LONG = 1 << 4, /* discarding the rest of an overlong line */
	CONN_TLS_READ_WANTS_WRITE = 1 << 5,  /* SSL_read waits for writability */
	CONN_TLS_WRITE_WANTS_READ = 1 << 6,  /* SSL_write waits for input (handshake) */
	CONN_BACKLOG = 1 << 7,   /* complete lines left over after this pass's quota */
	CONN_LINK = 1 << 8,      /* a server link: no flood control, LINK_SENDQ_FACTOR x sendq */
	CONN_DRAIN = 1 << 9,     /* waits for its queue to drain (conn_when_drained) */
};

/* A link carries a burst of the whole network: more room than one user. */
#define LINK_SENDQ_FACTOR 16

struct ssl_st;
struct ws;

struct conn {
	ev_io io;
	char *inbuf;             /* unprocessed input; NULL while empty */
	struct oitem *oq;        /* ring buffer of output items; NULL while empty */
	uint32_t inlen;
	uint16_t ohead, ocount, ocap;
	uint16_t flags;
	uint8_t tlist;           /* which timeout list we are on */
	uint32_t obytes;         /* bytes queued, for sendq */
	double flood_time;       /* RFC 1459 style penalty clock */
	double last_active;      /* last input, or ping sent while TL_PINGED */
	struct conn *tprev, *tnext;  /* timeout list links */
	struct conn *dnext;      /* dead / throttled list link */
	char *dead_reason;
	struct ssl_st *tls;      /* TLS transport (tls.h); NULL for plain text */
	const struct conn_handlers *h;  /* NULL: the conn_init() ones (clients) */
	struct ws *ws;           /* WebSocket transport (wsconn.h); NULL for IRC over TCP */
};

/* Callbacks into the protocol layer. */
struct conn_handlers {
	void (*line)(struct conn *c, char *line, size_t len);   /* NUL-terminated, no CR/LF */
	void (*too_long)(struct conn *c);
	void (*timeout)(struct conn *c, enum conn_tlist which); /* UNREG: reg timeout; ACTIVE: send ping; PINGED: ping timeout */
	void (*closed)(struct conn *c, const char *reason);    /* before the fd is closed and c freed */
	void (*release)(struct conn *c);                        /* free the object */
	void (*drained)(struct conn *c);  /* the queue drained, as conn_when_drained asked */
};

void conn_init(struct ev_loop *loop, const struct conn_handlers *h);
/* Set up a connection on an accepted non-blocking fd; starts reading.
 * Set c->tls (tls_new) before for a TLS connection, c->ws (ws_new) for a
 * WebSocket one; conn owns them then. */
void conn_start(struct conn *c, int fd);
/* Same, with its own callbacks (a server link, not a client). */
void conn_start_with(struct conn *c, int fd, const struct conn_handlers *h);
/* Queue a private copy of CRLF-terminated lines (coalesced with earlier
 * replies); a line may come in several calls. */
void conn_send(struct conn *c, const char *data, size_t len);
/* Would `extra` more bytes overflow c's sendq? (output held elsewhere,
 * e.g. a labeled response, counts against it too) */
int conn_sendq_exceeded(const struct conn *c, size_t extra);
/* Queue a shared buffer of lines (refs taken). */
void conn_send_shared(struct conn *c, struct sbuf *b);
/* The same for bytes as they go on the wire, past the transport's framing
 * (wsconn.c's frames, its handshake reply). */
void conn_send_raw(struct conn *c, const char *data, size_t len);
void conn_send_raw_shared(struct conn *c, struct sbuf *b);
/* Call h->drained(c) once, in a later loop pass, before that pass's
 * writes, when c's output queue holds at most conn_drain_low() bytes: a
 * long reply (LIST) goes out a slice at a time, and neither the loop nor
 * the queue holds all of it at once. Idempotent; dropped at close. */
void conn_when_drained(struct conn *c);
void conn_drain_cancel(struct conn *c);
size_t conn_drain_low(void);
/* Close with a reason after the current callback returns. Idempotent. */
void conn_kill(struct conn *c, const char *reason);
/* Move to a timeout list (TL_UNREG at connect, TL_ACTIVE when registered). */
void conn_set_tlist(struct conn *c, enum conn_tlist which);
/* Call fn for every live connection (each is on one timeout list). */
void conn_foreach(void (*fn)(struct conn *c));
/* Flush every pending connection now (used at shutdown). */
void conn_flush_all(void);
int conn_fd(const struct conn *c);
/* Configure limits (may change on reload). */
void conn_configure(size_t sendq, size_t recvq, int flood_burst, int flood_rate,
                    int ping_interval, int ping_timeout, int reg_timeout);

#endif
