/* conn.c - see conn.h.
 *
 * Output is coalesced the way Redis does it: sends only queue, and one
 * ev_prepare pass per loop iteration writes every pending connection with
 * writev just before the loop sleeps. A write watcher is armed only when
 * the kernel buffer was full. Closing is deferred to the same pass, so a
 * connection is never freed under a caller that is still using it (a
 * broadcast that overflows a recipient's sendq, for instance). */
#include "conn.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>

#include "tls.h"
#include "wsconn.h"

#define RBUF_SIZE 8192        /* bytes read per readiness event: fairness */
#define MAX_LINE 510          /* RFC 1459: 512 incl. CRLF */
#define MAX_TAGGED_LINE (8191 + 510)  /* IRCv3 message-tags allowance */
/* As many lines per writev as the kernel takes: with TCP_NODELAY every
 * writev leaves as its own segments, so 16 calls of 64 lines cost far more
 * than one of 1024 (measured: fanout server CPU 2.7 s -> 1.4 s) */
#define MAX_IOV 1024
#define CHUNK 2048            /* private output buffer size */
#define LINES_PER_PASS 32     /* fairness: lines one client may run per loop pass */

static struct ev_loop *loop;
static struct conn_handlers H;
#define HD(c) ((c)->h ? (c)->h : &H)
static struct {
	size_t sendq, recvq;
	double flood_step, flood_max;   /* seconds per line, penalty bound */
	int flood_on;
	double timeout[TL_COUNT];
} lim;

/* an unordered, growable list of connections */
struct connvec {
	struct conn **v;
	size_t n, cap;
};

/* connections with queued output, flushed in on_prepare */
static struct connvec pending;
/* killed connections waiting for their close pass */
static struct conn *dead_head;
/* connections whose input is held back by flood control */
static struct connvec throttled;
/* connections with complete lines left over after their quota */
static struct connvec backlog;
static ev_idle backlog_w;   /* active while backlog or drainers have work: no sleeping */
/* connections waiting for their queue to drain (conn_when_drained) */
static struct connvec drainers;
/* a drainer is served once its queue is below this: the kernel buffer
 * holds the rest, and a slow reader holds no more than this + a slice */
#define DRAIN_LOW 16384

static struct conn *thead[TL_COUNT], *ttail[TL_COUNT];

static ev_prepare prepare_w;
static ev_timer timeout_w, throttle_w;

static char *rbuf;   /* shared read buffer: inbuf copy + one read */

static int cv_push(struct connvec *cv, struct conn *c)
{
	if (cv->n == cv->cap) {
		size_t nc = cv->cap ? cv->cap * 2 : 64;
		struct conn **nv = realloc(cv->v, nc * sizeof *nv);
		if (!nv)
			return -1;
		cv->v = nv;
		cv->cap = nc;
	}
	cv->v[cv->n++] = c;
	return 0;
}

/* Remove c (rare: only when it is released). */
static void cv_drop(struct connvec *cv, struct conn *c)
{
	for (size_t i = 0; i < cv->n; i++)
		if (cv->v[i] == c) {
			cv->v[i] = cv->v[--cv->n];
			return;
		}
}

/* Empty the list, returning what it held: its entries may be pushed back
 * while the caller works through the old ones. Free the result's v. */
static struct connvec cv_take(struct connvec *cv)
{
	struct connvec old = *cv;
	*cv = (struct connvec){ 0 };
	return old;
}

static void update_watcher(struct conn *c)
{
	int want = 0;
	if (!(c->flags & (CONN_THROTTLED | CONN_DEAD | CONN_BACKLOG)))
		want |= EV_READ;
	if (c->flags & (CONN_WRITING | CONN_TLS_READ_WANTS_WRITE))
		want |= EV_WRITE;
	if (want == (c->io.events & (EV_READ | EV_WRITE)) && ev_is_active(&c->io) == (want != 0))
		return;
	ev_io_stop(loop, &c->io);
	ev_io_set(&c->io, c->io.fd, want);
	if (want)
		ev_io_start(loop, &c->io);
}

/* ---- timeouts: one list per duration, so appends stay sorted and one
 * ev_timer at the earliest head serves every connection (libev manual,
 * "Be smart about timeouts", the linked-list variant). */

static void tl_unlink(struct conn *c)
{
	int l = c->tlist;
	if (l == TL_NONE)
		return;
	if (c->tprev)
		c->tprev->tnext = c->tnext;
	else
		thead[l] = c->tnext;
	if (c->tnext)
		c->tnext->tprev = c->tprev;
	else
		ttail[l] = c->tprev;
	c->tprev = c->tnext = NULL;
	c->tlist = TL_NONE;
}

static void tl_rearm(void)
{
	double when = -1;
	for (int l = TL_UNREG; l < TL_COUNT; l++)
		if (thead[l]) {
			double d = thead[l]->last_active + lim.timeout[l];
			if (when < 0 || d < when)
				when = d;
		}
	ev_timer_stop(loop, &timeout_w);
	if (when < 0)
		return;
	double delay = when - ev_now(loop);
	ev_timer_set(&timeout_w, delay > 0 ? delay + 0.01 : 0.01, 0);
	ev_timer_start(loop, &timeout_w);
}

static void tl_append(struct conn *c, int l)
{
	int was_empty = thead[l] == NULL;
	c->tlist = (uint8_t)l;
	c->last_active = ev_now(loop);
	c->tprev = ttail[l];
	c->tnext = NULL;
	if (ttail[l])
		ttail[l]->tnext = c;
	else
		thead[l] = c;
	ttail[l] = c;
	if (was_empty)
		tl_rearm();
}

void conn_set_tlist(struct conn *c, enum conn_tlist which)
{
	tl_unlink(c);
	if (which != TL_NONE)
		tl_append(c, which);
}

static void on_timeout(struct ev_loop *l, ev_timer *w, int revents)
{
	(void)l; (void)w; (void)revents;
	double now = ev_now(loop);
	for (int t = TL_UNREG; t < TL_COUNT; t++) {
		struct conn *c;
		while ((c = thead[t]) && c->last_active + lim.timeout[t] <= now) {
			tl_unlink(c);
			if (t == TL_ACTIVE)
				tl_append(c, TL_PINGED);  /* the PING goes out now */
			HD(c)->timeout(c, (enum conn_tlist)t);
		}
	}
	tl_rearm();
}

/* ---- output */

static void add_pending(struct conn *c)
{
	if (c->flags & (CONN_PENDING | CONN_WRITING))
		return;
	if (cv_push(&pending, c) == 0)
		c->flags |= CONN_PENDING;
}

static int oq_push(struct conn *c, struct sbuf *b)
{
	if (c->ocount == c->ocap) {
		uint16_t nc = c->ocap ? (uint16_t)(c->ocap * 2) : 4;
		if (nc == 0 || nc < c->ocap)  /* 65536 items: sendq takes over */
			return -1;
		struct oitem *n = malloc(nc * sizeof *n);
		if (!n)
			return -1;
		for (uint16_t i = 0; i < c->ocount; i++)
			n[i] = c->oq[(c->ohead + i) & (c->ocap - 1)];
		free(c->oq);
		c->oq = n;
		c->ohead = 0;
		c->ocap = nc;
	}
	struct oitem *it = &c->oq[(c->ohead + c->ocount) & (c->ocap - 1)];
	it->b = b;
	it->off = 0;
	c->ocount++;
	return 0;
}

static int over_sendq(struct conn *c, size_t len)
{
	if (c->obytes + len > lim.sendq * (c->flags & CONN_LINK ? LINK_SENDQ_FACTOR : 1)) {
		conn_kill(c, "SendQ exceeded");
		return 1;
	}
	return 0;
}

int conn_sendq_exceeded(const struct conn *c, size_t extra)
{
	return c->obytes + extra > lim.sendq;
}

/* Queue a copy, past the sendq check. */
static void push_copy(struct conn *c, const char *data, size_t len)
{
	if (c->ocount) {
		struct oitem *last = &c->oq[(c->ohead + c->ocount - 1) & (c->ocap - 1)];
		struct sbuf *b = last->b;
		if (b->refs == 1 && b->cap - b->len >= len) {
			memcpy(b->data + b->len, data, len);
			b->len += (uint32_t)len;
			c->obytes += (uint32_t)len;
			add_pending(c);
			return;
		}
	}
	struct sbuf *b = sbuf_new(len > CHUNK ? (uint32_t)len : CHUNK);
	if (!b)
		return;
	memcpy(b->data, data, len);
	b->len = (uint32_t)len;
	if (oq_push(c, b) < 0) {
		sbuf_unref(b);
		conn_kill(c, "SendQ exceeded");
		return;
	}
	c->obytes += (uint32_t)len;
	add_pending(c);
}

void conn_send_raw(struct conn *c, const char *data, size_t len)
{
	if (c->flags & CONN_DEAD || over_sendq(c, len))
		return;
	push_copy(c, data, len);
}

void conn_send(struct conn *c, const char *data, size_t len)
{
	if (c->ws)
		ws_send(c, data, len);   /* one frame per line, then conn_send_raw */
	else
		conn_send_raw(c, data, len);
}

void conn_send_shared(struct conn *c, struct sbuf *b)
{
	if (c->ws)
		ws_send_shared(c, b);
	else
		conn_send_raw_shared(c, b);
}

void conn_send_raw_shared(struct conn *c, struct sbuf *b)
{
	if (c->flags & CONN_DEAD || over_sendq(c, b->len))
		return;
	if (oq_push(c, b) < 0) {
		conn_kill(c, "SendQ exceeded");
		return;
	}
	b->refs++;
	c->obytes += b->len;
	add_pending(c);
}

/* Drop `w` written bytes from the head of the queue. */
static void oq_consume(struct conn *c, size_t w)
{
	c->obytes -= (uint32_t)w;
	while (w > 0) {
		struct oitem *it = &c->oq[c->ohead];
		size_t left = it->b->len - it->off;
		if (w < left) {
			it->off += (uint32_t)w;
			break;
		}
		w -= left;
		sbuf_unref(it->b);
		c->ohead = (uint16_t)((c->ohead + 1) & (c->ocap - 1));
		c->ocount--;
	}
}

/* After a flush: free an empty queue (idle clients hold no output memory),
 * arm the write watcher only while the kernel refused bytes. */
static void after_flush(struct conn *c, int blocked)
{
	if (c->ocount == 0) {
		free(c->oq);
		c->oq = NULL;
		c->ocap = 0;
		c->ohead = 0;
	}
	if (blocked && c->ocount)
		c->flags |= CONN_WRITING;
	else
		c->flags &= (uint16_t)~CONN_WRITING;
	if (!(c->flags & CONN_DEAD))
		update_watcher(c);
}

/* TLS has no writev: gather up to one record's worth into a bounded buffer
 * per SSL_write. A retry after WANT_WRITE gathers the same leading bytes
 * again (the queue only shrinks by what was written), as OpenSSL needs. */
#define TLS_GATHER 16384
static int flush_tls(struct conn *c)
{
	static char gather[TLS_GATHER];
	int blocked = 0;
	c->flags &= (uint16_t)~CONN_TLS_WRITE_WANTS_READ;
	while (c->ocount) {
		size_t len = 0;
		for (uint16_t i = 0; i < c->ocount && len < sizeof gather; i++) {
			const struct oitem *it = &c->oq[(c->ohead + i) & (c->ocap - 1)];
			size_t n = it->b->len - it->off;
			if (n > sizeof gather - len)
				n = sizeof gather - len;
			memcpy(gather + len, it->b->data + it->off, n);
			len += n;
		}
		int w = tls_write(c->tls, gather, len);
		if (w == TLS_WANT_WRITE) {
			blocked = 1;
			break;
		}
		if (w == TLS_WANT_READ) {
			/* handshake not finished: read_tls() queues us again */
			c->flags |= CONN_TLS_WRITE_WANTS_READ;
			break;
		}
		if (w <= 0) {
			if (w == TLS_CLOSED)
				errno = EPIPE;
			return -1;
		}
		oq_consume(c, (size_t)w);
	}
	after_flush(c, blocked);
	return 0;
}

/* Write as much as the kernel takes. Returns -1 on a socket error. */
static int flush_conn(struct conn *c)
{
	if (c->tls)
		return flush_tls(c);
	while (c->ocount) {
		static struct iovec iov[MAX_IOV];   /* 16 KiB: off the stack */
		int n = 0;
		for (uint16_t i = 0; i < c->ocount && n < MAX_IOV; i++) {
			struct oitem *it = &c->oq[(c->ohead + i) & (c->ocap - 1)];
			iov[n].iov_base = it->b->data + it->off;
			iov[n].iov_len = it->b->len - it->off;
			n++;
		}
		ssize_t w = writev(c->io.fd, iov, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			return -1;
		}
		oq_consume(c, (size_t)w);
		if ((size_t)n == MAX_IOV || c->ocount == 0)
			continue;
		break;  /* short write: the kernel buffer is full */
	}
	after_flush(c, 1);
	return 0;
}

/* ---- input */

static void throttle(struct conn *c)
{
	c->flags |= CONN_THROTTLED;
	cv_push(&throttled, c);
	update_watcher(c);
	if (!ev_is_active(&throttle_w))
		ev_timer_again(loop, &throttle_w);
}

/* Store the unprocessed tail of rbuf; a flooder is cut off at recvq. */
static void keep_rest(struct conn *c, const char *p, size_t n)
{
	if (n == 0) {
		free(c->inbuf);
		c->inbuf = NULL;
		c->inlen = 0;
		return;
	}
	if (n > lim.recvq + MAX_TAGGED_LINE) {
		conn_kill(c, "Excess Flood");
		return;
	}
	/* sized to what is held (rounded), not to recvq: a partial line must
	 * not cost an idle client 25 KiB */
	char *nb = realloc(c->inbuf, (n + 255) & ~(size_t)255);
	if (!nb) {
		conn_kill(c, "Out of memory");
		return;
	}
	c->inbuf = nb;
	memcpy(c->inbuf, p, n);
	c->inlen = (uint32_t)n;
}

/* Split rbuf[0..total) into lines and hand them up, until flood control
 * says stop. */
static void consume(struct conn *c, size_t total)
{
	char *p = rbuf, *end = rbuf + total;
	int quota = LINES_PER_PASS;

	while (p < end && !(c->flags & (CONN_DEAD | CONN_THROTTLED))) {
		if (quota == 0) {
			/* one pipelining client must not starve the others: the
			 * rest waits for the next pass (and reading stops until then) */
			if (memchr(p, '\n', (size_t)(end - p)) &&
			    cv_push(&backlog, c) == 0) {
				c->flags |= CONN_BACKLOG;
				update_watcher(c);
			}
			break;
		}
		char *nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl) {
			size_t partial = (size_t)(end - p);
			size_t limit = *p == '@' ? MAX_TAGGED_LINE : MAX_LINE;
			if (c->flags & CONN_LINE_TOO_LONG) {
				p = end;     /* still inside a discarded line */
			} else if (partial > limit + 1) {
				HD(c)->too_long(c);
				c->flags |= CONN_LINE_TOO_LONG;
				p = end;
			}
			break;
		}
		char *line = p;
		size_t len = (size_t)(nl - p);
		p = nl + 1;
		if (c->flags & CONN_LINE_TOO_LONG) {
			c->flags &= (uint16_t)~CONN_LINE_TOO_LONG;
			continue;
		}
		if (len && line[len - 1] == '\r')
			len--;
		if (len == 0)
			continue;
		if (len > (*line == '@' ? MAX_TAGGED_LINE : MAX_LINE)) {
			HD(c)->too_long(c);
			continue;
		}
		line[len] = '\0';
		quota--;
		if (c->tlist == TL_ACTIVE || c->tlist == TL_PINGED)
			conn_set_tlist(c, TL_ACTIVE);
		HD(c)->line(c, line, len);
		if (lim.flood_on && !(c->flags & CONN_LINK)) {
			double now = ev_now(loop);
			if (c->flood_time < now)
				c->flood_time = now;
			c->flood_time += lim.flood_step;
			if (c->flood_time - now > lim.flood_max)
				throttle(c);
		}
	}
	if (!(c->flags & CONN_DEAD))
		keep_rest(c, p, (size_t)(end - p));
}

/* A transport with framing of its own (WebSocket) reads into a buffer of
 * its own and decodes lines to rbuf + have: at most one byte more than it
 * read (a message's end), so it reads one byte less. */
static char *read_dst(struct conn *c, size_t have)
{
	static char raw[RBUF_SIZE];
	return c->ws ? raw : rbuf + have;
}

static size_t read_max(const struct conn *c)
{
	return c->ws ? RBUF_SIZE - 1 : RBUF_SIZE;
}

static size_t lines_from(struct conn *c, char *dst, size_t n, size_t have)
{
	return c->ws ? ws_input(c, (uint8_t *)dst, n, rbuf + have) : n;
}

/* SSL_read also drives the handshake. OpenSSL may hold decrypted bytes of
 * a record bigger than one read, which epoll cannot see: keep reading
 * while it has some (bounded: a record is at most 16 KiB). */
static void read_tls(struct conn *c)
{
	int had_rww = c->flags & CONN_TLS_READ_WANTS_WRITE;
	c->flags &= (uint16_t)~CONN_TLS_READ_WANTS_WRITE;
	for (;;) {
		size_t have = c->inlen;
		if (have)
			memcpy(rbuf, c->inbuf, have);
		char *dst = read_dst(c, have);
		int n = tls_read(c->tls, dst, read_max(c));
		if (n == TLS_WANT_WRITE) {
			c->flags |= CONN_TLS_READ_WANTS_WRITE;
			update_watcher(c);
			break;
		}
		if (n == TLS_WANT_READ)
			break;
		if (n <= 0) {
			conn_kill(c, n == TLS_CLOSED ? "Connection closed" : tls_error());
			return;
		}
		consume(c, have + lines_from(c, dst, (size_t)n, have));
		if (c->flags & (CONN_DEAD | CONN_THROTTLED | CONN_BACKLOG) || tls_pending(c->tls) <= 0)
			break;
	}
	if (c->flags & CONN_DEAD)
		return;
	if (had_rww && !(c->flags & CONN_TLS_READ_WANTS_WRITE))
		update_watcher(c);
	if (c->flags & CONN_TLS_WRITE_WANTS_READ) {
		/* the handshake moved on: output held back may go now */
		c->flags &= (uint16_t)~CONN_TLS_WRITE_WANTS_READ;
		add_pending(c);
	}
}

static void read_some(struct conn *c)
{
	if (c->tls) {
		read_tls(c);
		return;
	}
	size_t have = c->inlen;
	if (have)
		memcpy(rbuf, c->inbuf, have);
	char *dst = read_dst(c, have);
	ssize_t n;
	do
		n = read(c->io.fd, dst, read_max(c));
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return;
		conn_kill(c, errno == ECONNRESET ? "Connection reset by peer" : strerror(errno));
		return;
	}
	if (n == 0) {
		conn_kill(c, "Connection closed");
		return;
	}
	consume(c, have + lines_from(c, dst, (size_t)n, have));
}

static void on_io(struct ev_loop *l, ev_io *w, int revents)
{
	(void)l;
	struct conn *c = (struct conn *)w;
	/* a TLS read that needed to write first is retried on writability */
	int retry_read = (revents & EV_WRITE) && (c->flags & CONN_TLS_READ_WANTS_WRITE);
	if (retry_read)
		c->flags &= (uint16_t)~CONN_TLS_READ_WANTS_WRITE;
	if (revents & EV_WRITE) {
		if (flush_conn(c) < 0)
			conn_kill(c, errno == EPIPE || errno == ECONNRESET ? "Connection reset by peer" : strerror(errno));
	}
	if ((revents & EV_READ || retry_read) && !(c->flags & (CONN_DEAD | CONN_THROTTLED | CONN_BACKLOG)))
		read_some(c);
}

/* Input was held back (flood control, or the per-pass quota): run the
 * buffered lines now, then read again. */
static void resume_input(struct conn *c, uint16_t held_by)
{
	c->flags &= (uint16_t)~held_by;
	size_t have = c->inlen;
	/* inbuf is NULL when the line that tripped flood control was the last
	 * of its read; memcpy from NULL is undefined even for 0 bytes */
	if (have)
		memcpy(rbuf, c->inbuf, have);
	consume(c, have);
	/* bytes OpenSSL decrypted meanwhile raise no epoll event */
	if (c->tls && !(c->flags & (CONN_DEAD | CONN_THROTTLED | CONN_BACKLOG)) && tls_pending(c->tls) > 0)
		read_tls(c);
	if (!(c->flags & CONN_DEAD))
		update_watcher(c);
}

static void on_throttle(struct ev_loop *l, ev_timer *w, int revents)
{
	(void)l; (void)revents;
	double now = ev_now(loop);
	/* work on a snapshot: consume() may throttle a connection again */
	struct connvec list = cv_take(&throttled);
	for (size_t i = 0; i < list.n; i++) {
		struct conn *c = list.v[i];
		if (c->flags & CONN_DEAD) {
			/* the close pass drops it from this list */
			cv_push(&throttled, c);
			continue;
		}
		if (lim.flood_on && c->flood_time - now > lim.flood_max - lim.flood_step) {
			/* input is held in the kernel, not read; one that keeps
			 * pushing past recvq is cut off */
			int queued = 0;
			if (ioctl(c->io.fd, FIONREAD, &queued) == 0 &&
			    (size_t)queued + c->inlen > lim.recvq)
				conn_kill(c, "Excess Flood");
			cv_push(&throttled, c);
			continue;
		}
		resume_input(c, CONN_THROTTLED);
	}
	free(list.v);
	if (throttled.n == 0)
		ev_timer_stop(loop, w);
}

/* ---- lifecycle */

void conn_kill(struct conn *c, const char *reason)
{
	if (c->flags & CONN_DEAD)
		return;
	if (c->ws) {
		/* a WebSocket says goodbye in a close frame, even past sendq */
		uint8_t f[4 + 125];
		size_t n = ws_close_frame(c, f);
		if (n)
			push_copy(c, (const char *)f, n);
	}
	c->flags |= CONN_DEAD;
	c->dead_reason = strdup(reason);
	ev_io_stop(loop, &c->io);
	c->dnext = dead_head;
	dead_head = c;
}

static void release(struct conn *c)
{
	tl_unlink(c);
	if (c->flags & CONN_BACKLOG)
		cv_drop(&backlog, c);
	if (c->flags & CONN_THROTTLED)
		cv_drop(&throttled, c);
	if (c->flags & CONN_DRAIN)
		cv_drop(&drainers, c);
	/* read what the peer already sent, so close() does not answer with a
	 * RST that could destroy our last lines (the ERROR) in flight */
	char drain[4096];
	for (int i = 0; i < 4 && read(c->io.fd, drain, sizeof drain) > 0; i++)
		;
	tls_free(c->tls);
	c->tls = NULL;
	ws_free(c->ws);
	c->ws = NULL;
	close(c->io.fd);
	while (c->ocount) {
		sbuf_unref(c->oq[c->ohead].b);
		c->ohead = (uint16_t)((c->ohead + 1) & (c->ocap - 1));
		c->ocount--;
	}
	free(c->oq);
	free(c->inbuf);
	free(c->dead_reason);
	HD(c)->release(c);
}

/* The next quota of lines for each client that had more than its share. */
static void run_backlog(void)
{
	struct connvec list = cv_take(&backlog);
	for (size_t i = 0; i < list.n; i++) {
		struct conn *c = list.v[i];
		if (c->flags & CONN_DEAD) {
			/* the close pass drops it from this list */
			cv_push(&backlog, c);
			continue;
		}
		resume_input(c, CONN_BACKLOG);
	}
	free(list.v);
}

size_t conn_drain_low(void)
{
	return lim.sendq / 4 < DRAIN_LOW ? lim.sendq / 4 : DRAIN_LOW;
}

void conn_when_drained(struct conn *c)
{
	if (c->flags & (CONN_DRAIN | CONN_DEAD) || !HD(c)->drained)
		return;
	if (cv_push(&drainers, c) == 0)
		c->flags |= CONN_DRAIN;
}

void conn_drain_cancel(struct conn *c)
{
	if (c->flags & CONN_DRAIN) {
		cv_drop(&drainers, c);
		c->flags &= (uint16_t)~CONN_DRAIN;
	}
}

static int drain_ready(const struct conn *c)
{
	return !(c->flags & CONN_DEAD) && c->obytes <= conn_drain_low();
}

/* One slice for each drainer whose queue went low; the others wait for
 * their write watcher to empty it. */
static void run_drainers(void)
{
	struct connvec list = cv_take(&drainers);
	for (size_t i = 0; i < list.n; i++) {
		struct conn *c = list.v[i];
		if (!drain_ready(c)) {
			cv_push(&drainers, c);   /* the dead: the close pass drops it */
			continue;
		}
		c->flags &= (uint16_t)~CONN_DRAIN;
		HD(c)->drained(c);   /* may ask again: pushed onto the new list */
	}
	free(list.v);
}

static void on_backlog_idle(struct ev_loop *l, ev_idle *w, int revents)
{
	(void)l; (void)w; (void)revents;   /* its only job: keep the loop from sleeping */
}

static void on_prepare(struct ev_loop *l, ev_prepare *w, int revents)
{
	(void)l; (void)w; (void)revents;
	if (backlog.n)
		run_backlog();
	if (drainers.n)
		run_drainers();
	for (;;) {
		/* 1. quit messages for the dead may queue output (and kill more) */
		struct conn *closing = NULL;
		while (dead_head) {
			struct conn *c = dead_head;
			dead_head = c->dnext;
			HD(c)->closed(c, c->dead_reason ? c->dead_reason : "Connection closed");
			c->dnext = closing;
			closing = c;
		}
		/* 2. one writev per pending connection; the dead get a last try */
		for (size_t i = 0; i < pending.n; i++) {
			struct conn *c = pending.v[i];
			c->flags &= (uint16_t)~CONN_PENDING;
			if (flush_conn(c) < 0 && !(c->flags & CONN_DEAD))
				conn_kill(c, errno == EPIPE || errno == ECONNRESET ? "Connection reset by peer" : strerror(errno));
		}
		pending.n = 0;
		/* 3. nobody refers to the closing ones any more */
		while (closing) {
			struct conn *c = closing;
			closing = c->dnext;
			if (c->ocount)
				flush_conn(c);
			release(c);
		}
		if (!dead_head)
			break;
	}
	int live_backlog = 0;
	for (size_t i = 0; i < backlog.n && !live_backlog; i++)
		live_backlog = !(backlog.v[i]->flags & CONN_DEAD);
	/* a drainer the kernel emptied goes on in the next pass, after the
	 * others' input had its turn */
	for (size_t i = 0; i < drainers.n && !live_backlog; i++)
		live_backlog = drain_ready(drainers.v[i]);
	if (live_backlog)
		ev_idle_start(loop, &backlog_w);
	else
		ev_idle_stop(loop, &backlog_w);
}

void conn_foreach(void (*fn)(struct conn *c))
{
	for (int l = TL_UNREG; l < TL_COUNT; l++)
		for (struct conn *c = thead[l], *next; c; c = next) {
			next = c->tnext;   /* fn may kill c; killing unlinks nothing yet */
			fn(c);
		}
}

void conn_flush_all(void)
{
	on_prepare(loop, &prepare_w, 0);
}

void conn_start(struct conn *c, int fd)
{
	ev_io_init(&c->io, on_io, fd, EV_READ);
	ev_io_start(loop, &c->io);
	c->flood_time = ev_now(loop);
	tl_append(c, TL_UNREG);
}

void conn_start_with(struct conn *c, int fd, const struct conn_handlers *h)
{
	c->h = h;
	conn_start(c, fd);
}

int conn_fd(const struct conn *c)
{
	return c->io.fd;
}

void conn_configure(size_t sendq, size_t recvq, int flood_burst, int flood_rate,
                    int ping_interval, int ping_timeout, int reg_timeout)
{
	lim.sendq = sendq;
	if (recvq > lim.recvq || !rbuf) {
		char *nb = realloc(rbuf, recvq + MAX_TAGGED_LINE + RBUF_SIZE + 1);
		if (nb)
			rbuf = nb;
	}
	/* also when lowered by a reload: the larger rbuf is simply kept */
	lim.recvq = recvq;
	lim.flood_on = flood_burst > 0;
	lim.flood_step = flood_rate > 0 ? 1.0 / flood_rate : 0;
	lim.flood_max = flood_burst * lim.flood_step;
	/* held input is looked at every 0.1 s, or every line's worth of
	 * penalty when lines are allowed faster than that */
	throttle_w.repeat = lim.flood_step > 0 && lim.flood_step < 0.1 ? lim.flood_step : 0.1;
	lim.timeout[TL_UNREG] = reg_timeout;
	lim.timeout[TL_ACTIVE] = ping_interval;
	lim.timeout[TL_PINGED] = ping_timeout;
	if (loop)
		tl_rearm();
}

void conn_init(struct ev_loop *l, const struct conn_handlers *h)
{
	loop = l;
	H = *h;
	ev_prepare_init(&prepare_w, on_prepare);
	ev_prepare_start(loop, &prepare_w);
	ev_init(&timeout_w, on_timeout);
	ev_init(&throttle_w, on_throttle);
	ev_idle_init(&backlog_w, on_backlog_idle);
}
