/*
 * ircbench - a load generator for IRC servers (ircmini issue 5).
 *
 * One process, one thread, one libev loop: the generator is pinned to its
 * own core by compare.sh, so a single thread keeps its cost predictable and
 * its clock shared (latencies are "now - timestamp in the body", both taken
 * from CLOCK_MONOTONIC in this process).
 *
 * Scenarios (see README for the exact definitions):
 *   connect   N clients register and stay idle; registrations/s, latency,
 *             server RSS per client (--pid).
 *   fanout    C members in one channel, S of them send M PRIVMSGs each.
 *   channels  K channels x U members, every member sends M PRIVMSGs.
 *   churn     connect, register, join, part, quit in a loop.
 *
 * --websocket: every client speaks IRC over WebSocket (RFC 6455, the
 * IRCv3 text.ircv3.net subprotocol) to a websocket listener instead of
 * plain TCP: an HTTP upgrade, then one masked frame per line out and one
 * frame per line in (ircmini issue 13).
 *
 * Only loopback targets are accepted: this is a bench tool, never a flood
 * tool. Every scenario is bounded by --timeout.
 *
 * Build: cc -O2 -o ircbench contrib/ircbench/ircbench.c -lev
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* same value as autoconf's AC_USE_SYSTEM_EXTENSIONS */
#endif
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <ev.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

/* ------------------------------------------------------------------ */
/* options                                                             */

enum { SC_CONNECT, SC_FANOUT, SC_CHANNELS, SC_CHURN };

static struct opts {
	const char *host;
	int port;
	int scenario;
	int clients;   /* connect: N; fanout: members; churn: parallel lanes */
	int members;   /* channels: members per channel */
	int senders;   /* per channel */
	int messages;  /* per sender */
	int channels;
	int window;    /* max unacknowledged messages per sender */
	double timeout;
	int pid;
	double rate;   /* connect: arrivals per second, 0 = waves of --burst */
	int burst;
	int sources;   /* 127.0.0.2 .. 127.0.0.(1+sources); 0 = no bind */
	double idle;   /* connect: seconds to stay idle before RSS "after" */
	int size;      /* minimum PRIVMSG body length (padded) */
	int cycles;    /* churn: total cycles */
	double duration; /* churn: stop (cleanly) after this many seconds */
	int quiet_ms;  /* end a run after this long without progress */
	int setup_conc;/* max registrations in flight while setting up */
	double reg_timeout; /* a registration slower than this fails (connect)
			       or is retried (fanout/channels setup) */
	const char *oper;  /* "name:pass", sent by talkers (ngIRCd +F needs it) */
	const char *umode; /* e.g. "+F", sent by talkers after OPER */
	const char *label;
	int websocket;     /* speak IRC over WebSocket */
} O = {
	.host = "127.0.0.1", .port = 6667, .scenario = -1,
	.clients = -1, .members = -1, .senders = -1, .messages = -1,
	.channels = -1, .window = 64, .timeout = 120, .pid = 0,
	.rate = 0, .burst = 256, .sources = 16, .idle = 2, .size = 0,
	.cycles = 10000, .quiet_ms = 3000, .setup_conc = 64, .reg_timeout = -1,
	.label = "server",
};

/* ------------------------------------------------------------------ */
/* time, histogram                                                     */

static inline uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Log-linear histogram: exact below 128 ns, then 64 sub-buckets per power
 * of two (<= 1.6% error). Fixed size, no allocation on the hot path. */
#define H_BUCKETS (128 + 57 * 64)
struct hist {
	uint64_t n, max;
	uint64_t b[H_BUCKETS];
};

static inline unsigned h_index(uint64_t v)
{
	if (v < 128)
		return (unsigned)v;
	unsigned msb = 63u - (unsigned)__builtin_clzll(v);
	return 128u + (msb - 7u) * 64u + (unsigned)((v >> (msb - 6u)) & 63u);
}

static uint64_t h_value(unsigned idx) /* middle of the bucket */
{
	if (idx < 128)
		return idx;
	unsigned m = (idx - 128) / 64 + 7, sub = (idx - 128) % 64;
	uint64_t lo = (1ull << m) + ((uint64_t)sub << (m - 6));
	return lo + ((1ull << (m - 6)) >> 1);
}

static inline void h_add(struct hist *h, uint64_t v)
{
	h->n++;
	if (v > h->max)
		h->max = v;
	h->b[h_index(v)]++;
}

static double h_pct_ms(const struct hist *h, double p)
{
	if (!h->n)
		return 0;
	uint64_t rank = (uint64_t)(p * (double)h->n + 0.999999), acc = 0;
	if (rank < 1)
		rank = 1;
	for (unsigned i = 0; i < H_BUCKETS; i++) {
		acc += h->b[i];
		if (acc >= rank) {
			uint64_t v = h_value(i);
			return (double)(v > h->max ? h->max : v) / 1e6;
		}
	}
	return (double)h->max / 1e6;
}

/* ------------------------------------------------------------------ */
/* clients                                                             */

enum { ST_IDLE, ST_CONNECTING, ST_REGISTERING, ST_SETUP, ST_READY,
       ST_BARRIER, ST_RUN, ST_JOINING, ST_PARTING, ST_QUITTING };

struct rx {            /* per-receiver delivery bookkeeping */
	uint32_t *last;    /* last sequence seen, per sender of the channel */
	uint8_t *seen;     /* senders x messages bits, NULL if too large */
};

struct client {
	ev_io io;              /* first: the watcher pointer is the client */
	int fd;
	int id;
	int state;
	int chan;              /* channel index */
	int sidx;              /* sender index in its channel, -1 = listener */
	uint32_t *got;         /* senders: members that have each message */
	int dirty;             /* queued for a window refill */
	uint32_t sent, acked;  /* acked: messages 1..acked reached every member */
	uint64_t t_start;      /* connect() time, ns */
	char nick[16];
	char *in;              /* partial line carried between reads */
	uint32_t inlen, incap;
	char *out;             /* unsent output */
	uint32_t outoff, outlen, outcap;
	int ws_open;           /* --websocket: the 101 reply was read */
	struct rx rx;
};

static struct ev_loop *L;
static struct client *C;
static int NC;
static struct sockaddr_in SRV;
/* --ports: client i connects to PORTS[i % NPORTS] (the nodes of a cluster) */
static int PORTS[16], NPORTS;

static struct {
	/* common */
	uint64_t t_begin, t_end;
	int timed_out, aborted;
	long errors, disconnects, err_numerics, connect_fail, setup_retries;
	char first_error[200];
	uint32_t conn_seq, nick_seq, nick_tag;
	/* setup / connect */
	int next, inflight, registered, failed, ready, barrier;
	uint64_t t_first_conn, t_last_reg;
	struct hist reg, tcp;  /* connect() -> 001, connect() -> writable */
	/* run */
	int phase;             /* 0 setup, 1 run, 2 done */
	int K, U, S, M;
	uint64_t expected, received, unique, dups, reordered, misrouted, bad;
	uint64_t sent_total, t_run, t_last_rx, t_last_dlv, t_progress;
	struct hist lat;
	int *dirty;
	int ndirty;
	/* churn */
	long cycles_done, cycles_started;
	uint64_t t_last_cycle;
	/* server */
	long rss_before, rss_after;
	double cpu_before, cpu_after;
} G;

static char RBUF[(256 << 10) + 1024];

static void client_close(struct client *c);
static void handle_line(struct client *c, char *p, size_t len);
static void on_closed(struct client *c, const char *why);
static void start_more(void);
static void churn_next(struct client *c);
static void churn_check_done(void);

/* Remember the first error's text for the summary; counting is explicit. */
__attribute__((format(printf, 1, 2)))
static void note_error(const char *fmt, ...)
{
	if (G.first_error[0])
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(G.first_error, sizeof G.first_error, fmt, ap);
	va_end(ap);
	for (char *p = G.first_error; *p; p++)
		if (*p == ' ' || *p == '\r' || *p == '\n' || *p == '=')
			*p = '_';  /* keep the key=value summary one token */
}

static void set_events(struct client *c, int ev)
{
	if (c->io.events == ev && ev_is_active(&c->io))
		return;
	ev_io_stop(L, &c->io);
	ev_io_set(&c->io, c->fd, ev);
	ev_io_start(L, &c->io);
}

/* Write what is queued; returns -1 on a fatal error. The write watcher is
 * armed only while output is pending. */
static int flush_out(struct client *c)
{
	while (c->outoff < c->outlen) {
		ssize_t n = send(c->fd, c->out + c->outoff, c->outlen - c->outoff,
				 MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			return -1;
		}
		c->outoff += (uint32_t)n;
	}
	if (c->outoff == c->outlen) {
		c->outoff = c->outlen = 0;
		if (c->state != ST_CONNECTING)
			set_events(c, EV_READ);
	} else {
		set_events(c, EV_READ | EV_WRITE);
	}
	return 0;
}

static char *out_reserve(struct client *c, uint32_t n)
{
	if (c->outoff && c->outoff == c->outlen)
		c->outoff = c->outlen = 0;
	if (c->outlen + n > c->outcap) {
		if (c->outoff) { /* compact before growing */
			memmove(c->out, c->out + c->outoff, c->outlen - c->outoff);
			c->outlen -= c->outoff;
			c->outoff = 0;
		}
		if (c->outlen + n > c->outcap) {
			uint32_t cap = c->outcap ? c->outcap : 512;
			while (cap < c->outlen + n)
				cap *= 2;
			char *p = realloc(c->out, cap);
			if (!p) { perror("realloc"); exit(2); }
			c->out = p;
			c->outcap = cap;
		}
	}
	return c->out + c->outlen;
}

/* --websocket: each CRLF line as one masked text frame. The mask key is
 * 0 (allowed: any 32-bit value is), so the payload goes out as it is and
 * the generator spends nothing on masking. */
static void ws_queue(struct client *c, const char *p, size_t n)
{
	while (n) {
		const char *nl = memchr(p, '\n', n);
		size_t take = nl ? (size_t)(nl - p) + 1 : n;
		size_t len = take;
		while (len && (p[len - 1] == '\n' || p[len - 1] == '\r'))
			len--;
		char *o = out_reserve(c, (uint32_t)len + 8);
		size_t h = 0;
		o[h++] = (char)0x81;
		if (len < 126) {
			o[h++] = (char)(0x80 | len);
		} else {
			o[h++] = (char)(0x80 | 126);
			o[h++] = (char)(len >> 8);
			o[h++] = (char)len;
		}
		memset(o + h, 0, 4);
		h += 4;
		memcpy(o + h, p, len);
		c->outlen += (uint32_t)(h + len);
		p += take;
		n -= take;
	}
}

/* --websocket: turn buf[0..len) (raw bytes: the 101 head, then frames)
 * into "line\n" at buf[0..return) in place; the bytes from *rest on are
 * an incomplete frame to carry. -1 if the upgrade was refused or the
 * server closed. */
static long ws_unframe(struct client *c, char *buf, size_t len, size_t *rest)
{
	size_t i = 0, o = 0;
	*rest = 0;
	if (!c->ws_open) {
		char *e = memmem(buf, len, "\r\n\r\n", 4);
		if (!e)
			return 0;
		if (len < 12 || memcmp(buf, "HTTP/1.1 101", 12) != 0) {
			note_error("websocket_upgrade_refused");
			return -1;
		}
		c->ws_open = 1;
		i = (size_t)(e - buf) + 4;
	}
	while (len - i >= 2) {
		const unsigned char *h = (const unsigned char *)buf + i;
		size_t n = h[1] & 0x7f, hl = 2;
		if (n == 126) {
			if (len - i < 4)
				break;
			n = (size_t)h[2] << 8 | h[3];
			hl = 4;
		} else if (n == 127) {
			if (len - i < 10)
				break;
			n = 0;
			for (int k = 2; k < 10; k++)
				n = n << 8 | h[k];
			hl = 10;
		}
		if (len - i - hl < n)
			break;
		int op = h[0] & 0x0f;
		if (op == 8)
			return -1;
		if (op == 1 || op == 2) {
			/* o <= i always: every frame has a header of 2 bytes or more */
			memmove(buf + o, buf + i + hl, n);
			o += n;
			buf[o++] = '\n';
		}
		i += hl + n;
	}
	*rest = i;
	return (long)o;
}

__attribute__((format(printf, 2, 3)))
static void sendf(struct client *c, const char *fmt, ...)
{
	char tmp[600];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	if (n < 0 || n >= (int)sizeof tmp)
		return;
	if (O.websocket) {
		ws_queue(c, tmp, (size_t)n);
	} else {
		memcpy(out_reserve(c, (uint32_t)n), tmp, (size_t)n);
		c->outlen += (uint32_t)n;
	}
	if (c->state != ST_CONNECTING && flush_out(c) < 0)
		on_closed(c, "write error");
}

/* ------------------------------------------------------------------ */
/* server process probes (--pid)                                       */

static long read_rss_kib(int pid)
{
	char path[64], line[256];
	long kib = -1;
	snprintf(path, sizeof path, "/proc/%d/status", pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof line, f))
		if (!strncmp(line, "VmRSS:", 6)) {
			kib = strtol(line + 6, NULL, 10);
			break;
		}
	fclose(f);
	return kib;
}

/* Server CPU time in seconds. schedstat has nanosecond resolution (the clock
 * ticks of /proc/PID/stat are 10 ms, too coarse for a server that spends
 * 0.1 s on a whole run); summed over all threads. */
static double read_cpu_s(int pid)
{
	char path[300], buf[1024];
	snprintf(path, sizeof path, "/proc/%d/task", pid);
	DIR *d = opendir(path);
	if (d) {
		struct dirent *de;
		unsigned long long sum = 0;
		int nt = 0;
		while ((de = readdir(d))) {
			if (de->d_name[0] == '.')
				continue;
			snprintf(path, sizeof path, "/proc/%d/task/%s/schedstat", pid, de->d_name);
			FILE *f = fopen(path, "r");
			unsigned long long ns;
			if (f && fscanf(f, "%llu", &ns) == 1) {
				sum += ns;
				nt++;
			}
			if (f)
				fclose(f);
		}
		closedir(d);
		if (nt)
			return (double)sum / 1e9;
	}
	snprintf(path, sizeof path, "/proc/%d/stat", pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = 0;
	char *p = strrchr(buf, ')'); /* comm may contain spaces */
	if (!p)
		return -1;
	unsigned long ut = 0, st = 0;
	/* fields after ')': state(3) ... utime(14) stime(15) */
	if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
		   &ut, &st) != 2)
		return -1;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* ------------------------------------------------------------------ */
/* connection life cycle                                               */

static void io_cb(EV_P_ ev_io *w, int revents);

static void make_nick(struct client *c)
{
	/* 'i' + 2-char run tag + base36 counter: <= 9 chars, ngIRCd's default
	 * NICKLEN, and unique across concurrent generator runs. */
	static const char d[] = "0123456789abcdefghijklmnopqrstuvwxyz";
	char tmp[16];
	int n = 0;
	uint32_t v = G.nick_seq++;
	do {
		tmp[n++] = d[v % 36];
		v /= 36;
	} while (v);
	c->nick[0] = 'i';
	c->nick[1] = d[(G.nick_tag / 36) % 36];
	c->nick[2] = d[G.nick_tag % 36];
	for (int i = 0; i < n; i++)
		c->nick[3 + i] = tmp[n - 1 - i];
	c->nick[3 + n] = 0;
}

static int client_connect(struct client *c)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		note_error("socket:%s", strerror(errno));
		return -1;
	}
	int one = 1;
	/* Our own Nagle delay would pollute the server's latency. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	if (O.sources > 0) {
		/* Spread source addresses so (src, port) pairs never run out;
		 * NO_PORT defers the port choice to connect(), which can then
		 * reuse ports across destinations. */
		setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
		struct sockaddr_in src = { .sin_family = AF_INET };
		src.sin_addr.s_addr = htonl(0x7f000002u + G.conn_seq++ % (uint32_t)O.sources);
		if (bind(fd, (struct sockaddr *)&src, sizeof src) < 0) {
			note_error("bind:%s", strerror(errno));
			close(fd);
			return -1;
		}
	}
	c->t_start = now_ns();
	if (!G.t_first_conn)
		G.t_first_conn = c->t_start;
	struct sockaddr_in dst = SRV;
	if (NPORTS)
		dst.sin_port = htons((uint16_t)PORTS[(c->id < 0 ? -c->id : c->id) % NPORTS]);
	if (connect(fd, (struct sockaddr *)&dst, sizeof dst) < 0 && errno != EINPROGRESS) {
		note_error("connect:%s", strerror(errno));
		close(fd);
		return -1;
	}
	c->fd = fd;
	c->state = ST_CONNECTING;
	c->inlen = 0;
	c->outoff = c->outlen = 0;
	make_nick(c);
	ev_io_init(&c->io, io_cb, fd, EV_WRITE);
	ev_io_start(L, &c->io);
	return 0;
}

static void client_close(struct client *c)
{
	if (c->fd < 0)
		return;
	ev_io_stop(L, &c->io);
	close(c->fd);
	c->fd = -1;
	c->inlen = 0;
	c->outoff = c->outlen = 0;
}

static void on_connected(struct client *c)
{
	int err = 0;
	socklen_t sl = sizeof err;
	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &sl) < 0 || err) {
		G.connect_fail++;
		on_closed(c, err ? strerror(err) : "connect");
		return;
	}
	c->state = ST_REGISTERING;
	h_add(&G.tcp, now_ns() - c->t_start);
	set_events(c, EV_READ);
	if (O.websocket) {
		/* the frames may follow the request at once: the server keeps
		 * what comes after the head */
		static const char req[] =
			"GET / HTTP/1.1\r\nHost: ircbench\r\nUpgrade: websocket\r\n"
			"Connection: Upgrade\r\nSec-WebSocket-Key: aXJjYmVuY2hpcmNiZW5jaA==\r\n"
			"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: text.ircv3.net\r\n\r\n";
		c->ws_open = 0;
		memcpy(out_reserve(c, sizeof req - 1), req, sizeof req - 1);
		c->outlen += sizeof req - 1;
	}
	sendf(c, "NICK %s\r\nUSER b 0 * :ircbench\r\n", c->nick);
}

static void on_readable(struct client *c)
{
	size_t carry = c->inlen;
	if (carry)
		memcpy(RBUF, c->in, carry);
	ssize_t n = read(c->fd, RBUF + carry, sizeof RBUF - 1 - carry);
	if (n <= 0) {
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		on_closed(c, n == 0 ? "eof" : strerror(errno));
		return;
	}
	/* One clock read per read(): every line in this chunk arrived together. */
	G.t_last_rx = now_ns();
	char *p = RBUF, *end = RBUF + carry + (size_t)n;
	c->inlen = 0;
	size_t raw_rest = 0, raw_end = carry + (size_t)n;
	if (O.websocket) {
		long lines = ws_unframe(c, RBUF, raw_end, &raw_rest);
		if (lines < 0) {
			on_closed(c, "websocket closed");
			return;
		}
		end = RBUF + lines;
	}
	while (p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			break;
		size_t len = (size_t)(nl - p);
		if (len && p[len - 1] == '\r')
			len--;
		if (len)
			handle_line(c, p, len);
		if (c->fd < 0)
			return;
		p = nl + 1;
	}
	size_t rest = (size_t)(end - p);
	if (O.websocket) {
		/* every frame was a whole line: what is left is raw bytes */
		p = RBUF + raw_rest;
		rest = raw_end - raw_rest;
	}
	if (rest) {
		if (rest > 65536) {
			note_error("line_too_long");
			on_closed(c, "line too long");
			return;
		}
		if (rest > c->incap) {
			uint32_t cap = c->incap ? c->incap : 256;
			while (cap < rest)
				cap *= 2;
			char *q = realloc(c->in, cap);
			if (!q) { perror("realloc"); exit(2); }
			c->in = q;
			c->incap = cap;
		}
		memcpy(c->in, p, rest);
		c->inlen = (uint32_t)rest;
	}
}

static void io_cb(EV_P_ ev_io *w, int revents)
{
	(void)loop;
	struct client *c = (struct client *)w;
	if (c->state == ST_CONNECTING) {
		if (revents & (EV_WRITE | EV_READ))
			on_connected(c);
		return;
	}
	if ((revents & EV_WRITE) && flush_out(c) < 0) {
		on_closed(c, "write error");
		return;
	}
	if ((revents & EV_READ) && c->fd >= 0)
		on_readable(c);
}

/* ------------------------------------------------------------------ */
/* message parsing helpers                                             */

static inline const char *parse_u64(const char *p, const char *e, uint64_t *v)
{
	uint64_t x = 0;
	const char *s = p;
	while (p < e && (unsigned)(*p - '0') < 10)
		x = x * 10 + (uint64_t)(*p++ - '0');
	*v = x;
	return p == s ? NULL : p;
}

/* Last parameter of a message (trailing or not). */
static void last_param(const char *a, const char *e, const char **s, size_t *n)
{
	const char *t = NULL;
	for (const char *p = a; p < e; p++)
		if (*p == ':' && (p == a || p[-1] == ' ')) {
			t = p + 1;
			break;
		}
	if (!t) {
		t = e;
		while (t > a && t[-1] != ' ')
			t--;
	}
	*s = t;
	*n = (size_t)(e - t);
}

/* ------------------------------------------------------------------ */
/* fanout / channels                                                   */

static void mark_dirty(struct client *s)
{
	if (!s->dirty) {
		s->dirty = 1;
		G.dirty[G.ndirty++] = s->id;
	}
}

/* Refill a sender's window. Senders never see their own channel messages, so
 * the receipts of the other members are the only in-band proof that the
 * server relayed a line. A message counts as acknowledged once every other
 * member has it: that bounds what is queued inside the server for every
 * recipient, and it does not depend on the order in which the server walks
 * the member list (acknowledging on one designated member did, and made the
 * results bimodal). A message that never arrives stalls its sender; the
 * run then ends after --quiet and the message is counted as lost. */
static void pump(struct client *c)
{
	if (c->fd < 0 || c->state != ST_RUN)
		return;
	int any = 0;
	while (c->sent < (uint32_t)G.M && c->sent - c->acked < (uint32_t)O.window) {
		char *p = out_reserve(c, 600);
		uint32_t seq = ++c->sent;
		int h = snprintf(p, 600, "PRIVMSG #ib%d :", c->chan);
		int n = h + snprintf(p + h, (size_t)(600 - h), "ib %d %u %llu", c->id, seq,
				     (unsigned long long)now_ns());
		while (n - h < O.size && n < 500)
			p[n++] = '.';
		p[n++] = '\r';
		p[n++] = '\n';
		if (O.websocket) {
			char line[600];
			memcpy(line, p, (size_t)n);
			ws_queue(c, line, (size_t)n);
		} else {
			c->outlen += (uint32_t)n;
		}
		G.sent_total++;
		any = 1;
	}
	if (any && flush_out(c) < 0)
		on_closed(c, "write error");
}

static void prepare_cb(EV_P_ ev_prepare *w, int revents)
{
	(void)loop; (void)w; (void)revents;
	int n = G.ndirty;
	G.ndirty = 0;
	for (int i = 0; i < n; i++) {
		struct client *s = &C[G.dirty[i]];
		s->dirty = 0;
		if (O.scenario == SC_CHURN)
			churn_next(s);
		else
			pump(s);
	}
}

static void on_privmsg(struct client *c, const char *q, const char *e)
{
	/* q points after "PRIVMSG ": "<target> :ib <id> <seq> <ts>[pad]" */
	const char *sp = memchr(q, ' ', (size_t)(e - q));
	if (!sp || sp + 5 > e || sp[1] != ':' || sp[2] != 'i' || sp[3] != 'b' || sp[4] != ' ') {
		G.bad++;
		return;
	}
	uint64_t id, seq, ts;
	const char *p = parse_u64(sp + 5, e, &id);
	if (!p || p >= e || *p != ' ' || !(p = parse_u64(p + 1, e, &seq)) ||
	    p >= e || *p != ' ' || !(p = parse_u64(p + 1, e, &ts)) ||
	    id >= (uint64_t)NC || seq == 0 || seq > (uint64_t)G.M || !c->rx.last) {
		G.bad++;
		return;
	}
	struct client *s = &C[id];
	if (s->sidx < 0 || s->chan != c->chan || s == c) {
		G.misrouted++;
		return;
	}
	G.received++;
	unsigned k = (unsigned)s->sidx;
	if (c->rx.seen) {
		uint64_t bit = (uint64_t)k * (uint64_t)G.M + (seq - 1);
		uint8_t m = (uint8_t)(1u << (bit & 7));
		if (c->rx.seen[bit >> 3] & m) {
			G.dups++;
			return;
		}
		c->rx.seen[bit >> 3] |= m;
	} else if (seq == c->rx.last[k]) {
		G.dups++; /* without the bitmap only immediate repeats are seen */
		return;
	}
	if (seq < c->rx.last[k])
		G.reordered++;
	else
		c->rx.last[k] = (uint32_t)seq;
	G.unique++;
	uint64_t now = G.t_last_rx;
	h_add(&G.lat, now > ts ? now - ts : 0);
	G.t_progress = G.t_last_dlv = now;
	if (++s->got[seq - 1] == (uint32_t)(G.U - 1) && seq - 1 == s->acked) {
		while (s->acked < (uint32_t)G.M && s->got[s->acked] == (uint32_t)(G.U - 1))
			s->acked++;
		mark_dirty(s);
	}
	if (G.unique >= G.expected) {
		G.phase = 2;
		ev_break(L, EVBREAK_ALL);
	}
}

static void start_run(void)
{
	G.phase = 1;
	G.t_run = G.t_progress = G.t_last_rx = G.t_last_dlv = now_ns();
	for (int i = 0; i < NC; i++) {
		C[i].state = ST_RUN;
		if (C[i].sidx >= 0)
			mark_dirty(&C[i]);
	}
}

static void on_pong(struct client *c, const char *tok, size_t n)
{
	if (n == 3 && !memcmp(tok, "ibr", 3) && c->state == ST_SETUP) {
		c->state = ST_READY;
		if (++G.ready == NC) {
			/* Second barrier: once everybody has this PONG, every JOIN
			 * broadcast of the setup is behind us on every socket. */
			for (int i = 0; i < NC; i++) {
				C[i].state = ST_BARRIER;
				sendf(&C[i], "PING :ibb\r\n");
			}
		}
	} else if (n == 3 && !memcmp(tok, "ibb", 3) && c->state == ST_BARRIER) {
		c->state = ST_READY;
		if (++G.barrier == NC)
			start_run();
	}
}

/* ------------------------------------------------------------------ */
/* churn                                                               */

static void churn_next(struct client *c)
{
	if (c->fd >= 0 || G.cycles_started >= O.cycles || G.phase == 2)
		return;
	G.cycles_started++;
	if (client_connect(c) < 0) {
		/* a failed cycle; the lane is retried by the tick, so a
		 * persistent failure cannot spin */
		G.connect_fail++;
		G.errors++;
		c->state = ST_IDLE;
		churn_check_done();
	}
}

static void churn_check_done(void)
{
	if (G.cycles_done + G.errors >= O.cycles && G.phase != 2) {
		G.phase = 2;
		ev_break(L, EVBREAK_ALL);
	}
}

static int is_own(struct client *c, const char *pfx, size_t pfxlen)
{
	size_t nl = strlen(c->nick);
	return pfx && pfxlen > nl && !memcmp(pfx, c->nick, nl) && pfx[nl] == '!';
}

/* ------------------------------------------------------------------ */
/* line dispatch                                                       */

static void on_registered(struct client *c)
{
	uint64_t t = now_ns();
	h_add(&G.reg, t - c->t_start);
	G.t_last_reg = t;
	G.registered++;
	G.inflight--;
	switch (O.scenario) {
	case SC_CONNECT:
		c->state = ST_READY;
		start_more();
		break;
	case SC_FANOUT:
	case SC_CHANNELS:
		c->state = ST_SETUP;
		if (c->sidx >= 0 && O.oper) {
			const char *colon = strchr(O.oper, ':');
			int nl = colon ? (int)(colon - O.oper) : (int)strlen(O.oper);
			sendf(c, "OPER %.*s %s\r\n", nl, O.oper, colon ? colon + 1 : "");
			if (O.umode)
				sendf(c, "MODE %s %s\r\n", c->nick, O.umode);
		}
		/* PING :ibr follows the own JOIN's echo: in a cluster the JOIN
		 * is applied only when it comes back from Redis, after a PING
		 * the node answers at once (doc/cluster.md) */
		sendf(c, "JOIN #ib%d\r\n", c->chan);
		start_more();
		break;
	case SC_CHURN:
		c->state = ST_JOINING;
		sendf(c, "JOIN #ibc%d\r\n", c->chan);
		break;
	}
}

static void handle_line(struct client *c, char *p, size_t len)
{
	const char *q = p, *e = p + len, *pfx = NULL;
	size_t pfxlen = 0;
	if (*q == ':') {
		const char *sp = memchr(q, ' ', len);
		if (!sp)
			return;
		pfx = q + 1;
		pfxlen = (size_t)(sp - pfx);
		q = sp + 1;
	}
	size_t rem = (size_t)(e - q);
	/* Hot path first: channel deliveries. */
	if (rem > 8 && !memcmp(q, "PRIVMSG ", 8)) {
		on_privmsg(c, q + 8, e);
		return;
	}
	const char *sp = memchr(q, ' ', rem);
	size_t cl = sp ? (size_t)(sp - q) : rem;
	const char *args = sp ? sp + 1 : e;
	if (cl == 3 && (unsigned)(q[0] - '0') < 10 && (unsigned)(q[1] - '0') < 10 &&
	    (unsigned)(q[2] - '0') < 10) {
		int num = (q[0] - '0') * 100 + (q[1] - '0') * 10 + (q[2] - '0');
		if (num == 1 && c->state == ST_REGISTERING) {
			on_registered(c);
		} else if (num >= 400 && num < 600 && num != 422 /* no MOTD */) {
			G.err_numerics++;
			if (O.scenario != SC_CHURN)
				G.errors++; /* churn counts the failed cycle instead */
			note_error("numeric:%.*s", (int)(len < 120 ? len : 120), p);
			if (c->state == ST_REGISTERING && (num == 433 || num == 432))
				on_closed(c, "nick refused");
			else if (O.scenario == SC_CHURN && c->state != ST_QUITTING)
				on_closed(c, "error numeric");
		}
		return;
	}
	if (cl == 4 && !memcmp(q, "PING", 4)) {
		sendf(c, "PONG %.*s\r\n", (int)(e - args), args);
		return;
	}
	if (cl == 4 && !memcmp(q, "PONG", 4)) {
		const char *t;
		size_t tn;
		last_param(args, e, &t, &tn);
		on_pong(c, t, tn);
		return;
	}
	if (c->state == ST_SETUP && cl == 4 && !memcmp(q, "JOIN", 4) && is_own(c, pfx, pfxlen)) {
		sendf(c, "PING :ibr\r\n");
		return;
	}
	if (O.scenario == SC_CHURN && is_own(c, pfx, pfxlen)) {
		if (cl == 4 && !memcmp(q, "JOIN", 4) && c->state == ST_JOINING) {
			c->state = ST_PARTING;
			sendf(c, "PART #ibc%d\r\n", c->chan);
		} else if (cl == 4 && !memcmp(q, "PART", 4) && c->state == ST_PARTING) {
			c->state = ST_QUITTING;
			sendf(c, "QUIT :cycle\r\n");
		}
		return;
	}
	/* ERROR precedes the close, which is what gets counted */
	if (cl == 5 && !memcmp(q, "ERROR", 5) && c->state != ST_QUITTING)
		note_error("ERROR:%.*s", (int)(len < 120 ? len : 120), p);
}

/* A connection went away (EOF, error, refused). */
static void on_closed(struct client *c, const char *why)
{
	int st = c->state;
	client_close(c);
	c->state = ST_IDLE;
	if (O.scenario == SC_CHURN) {
		if (st == ST_QUITTING) {
			G.cycles_done++;
			G.t_last_cycle = now_ns();
		} else {
			G.errors++;
			note_error("churn_close_in_state_%d:%s", st, why);
		}
		churn_check_done();
		/* Reconnect from the prepare watcher, never from inside the read
		 * loop that is still parsing this lane's old buffer. */
		mark_dirty(c);
		return;
	}
	if (st == ST_CONNECTING || st == ST_REGISTERING) {
		G.errors++;
		G.failed++;
		G.inflight--;
		note_error("register_failed:%s", why);
		if (O.scenario != SC_CONNECT) {
			/* fanout/channels need every member: stop early */
			G.aborted = 1;
			ev_break(L, EVBREAK_ALL);
			return;
		}
		start_more();
		return;
	}
	G.disconnects++;
	G.errors++;
	note_error("disconnected_in_state_%d:%s", st, why);
	if (O.scenario != SC_CONNECT && G.phase == 0) {
		G.aborted = 1;
		ev_break(L, EVBREAK_ALL);
	}
}

/* ------------------------------------------------------------------ */
/* scheduling: connection starts, ticks, timeouts                      */

static ev_timer tick_w, timeout_w, idle_w, rate_w, duration_w;
static uint64_t rate_t0;

static void connect_one(void)
{
	struct client *c = &C[G.next++];
	G.inflight++;
	if (client_connect(c) < 0) {
		G.connect_fail++;
		G.errors++;
		G.failed++;
		G.inflight--;
		if (O.scenario != SC_CONNECT) {
			G.aborted = 1;
			ev_break(L, EVBREAK_ALL);
		}
	}
}

static void idle_cb(EV_P_ ev_timer *w, int revents);

static void start_more(void)
{
	if (O.scenario == SC_CONNECT) {
		if (G.registered + G.failed == NC) {
			if (!ev_is_active(&idle_w) && G.phase == 0) {
				G.phase = 1;
				G.t_end = now_ns();
				ev_timer_init(&idle_w, idle_cb, O.idle, 0);
				ev_timer_start(L, &idle_w);
			}
			return;
		}
		if (O.rate > 0)
			return; /* paced by rate_cb */
		/* waves: all of a wave in flight at once, next wave when done */
		if (G.inflight == 0)
			for (int i = 0; i < O.burst && G.next < NC; i++)
				connect_one();
		return;
	}
	while (G.next < NC && G.inflight < O.setup_conc && !G.aborted)
		connect_one();
}

static void rate_cb(EV_P_ ev_timer *w, int revents)
{
	(void)w; (void)revents;
	uint64_t due = (uint64_t)((double)(now_ns() - rate_t0) / 1e9 * O.rate) + 1;
	while (G.next < NC && (uint64_t)G.next < due)
		connect_one();
	if (G.next >= NC)
		ev_timer_stop(loop, &rate_w);
	start_more();
}

static void idle_cb(EV_P_ ev_timer *w, int revents)
{
	(void)w; (void)revents;
	G.phase = 2;
	ev_break(loop, EVBREAK_ALL);
}

static void duration_cb(EV_P_ ev_timer *w, int revents)
{
	(void)w; (void)revents;
	G.phase = 2; /* cycles still in flight are neither done nor failed */
	ev_break(loop, EVBREAK_ALL);
}

static void timeout_cb(EV_P_ ev_timer *w, int revents)
{
	(void)w; (void)revents;
	G.timed_out = 1;
	ev_break(loop, EVBREAK_ALL);
}

static void tick_cb(EV_P_ ev_timer *w, int revents)
{
	(void)w; (void)revents;
	uint64_t now = now_ns();
	if ((O.scenario == SC_FANOUT || O.scenario == SC_CHANNELS) && G.phase == 1 &&
	    now - G.t_progress > (uint64_t)O.quiet_ms * 1000000ull) {
		G.phase = 2; /* stalled: what is missing now counts as lost */
		ev_break(loop, EVBREAK_ALL);
	}
	if (O.scenario != SC_CHURN && G.phase == 0) {
		/* A connection the kernel dropped from a full accept queue can sit
		 * in retransmission back-off for a minute. The connect scenario
		 * reports it as failed; setups simply retry it. */
		uint64_t lim = (uint64_t)(O.reg_timeout * 1e9);
		for (int i = 0; i < G.next; i++) {
			struct client *c = &C[i];
			if (c->fd < 0 || (c->state != ST_CONNECTING && c->state != ST_REGISTERING) ||
			    now - c->t_start < lim)
				continue;
			if (O.scenario == SC_CONNECT) {
				on_closed(c, "registration timeout");
			} else {
				client_close(c);
				G.setup_retries++;
				if (client_connect(c) < 0) {
					G.failed++;
					G.errors++;
					G.aborted = 1;
					ev_break(loop, EVBREAK_ALL);
					return;
				}
			}
		}
	}
	if (O.scenario == SC_CHURN) {
		for (int i = 0; i < NC; i++) {
			struct client *c = &C[i];
			if (c->fd < 0 && c->state == ST_IDLE) {
				churn_next(c);
			} else if (c->fd >= 0 && now - c->t_start > 10000000000ull) {
				G.errors++;
				note_error("churn_cycle_timeout_state_%d", c->state);
				client_close(c);
				c->state = ST_IDLE;
				churn_check_done();
				churn_next(c);
			}
		}
	}
}

/* ------------------------------------------------------------------ */
/* scenario setup                                                      */

static void setup_channels(void)
{
	int K = G.K, U = G.U, S = G.S, M = G.M;
	NC = K * U;
	C = calloc((size_t)NC, sizeof *C);
	G.dirty = calloc((size_t)NC, sizeof *G.dirty);
	if (!C || !G.dirty) { perror("calloc"); exit(2); }
	uint64_t bits = (uint64_t)S * (uint64_t)M;
	int use_bitmap = (uint64_t)NC * ((bits + 7) / 8) <= (512ull << 20);
	for (int i = 0; i < NC; i++) {
		struct client *c = &C[i];
		c->fd = -1;
		c->id = i;
		/* Interleave channels so that consecutive connections (and thus
		 * source addresses, accept order) are spread over channels. */
		c->chan = i % K;
		int m = i / K;
		c->sidx = m >= U - S ? m - (U - S) : -1;
		if (c->sidx >= 0 && !(c->got = calloc((size_t)M, sizeof(uint32_t)))) {
			perror("calloc");
			exit(2);
		}
		c->rx.last = calloc((size_t)S, sizeof(uint32_t));
		if (use_bitmap)
			c->rx.seen = calloc((size_t)((bits + 7) / 8), 1);
		if (!c->rx.last || (use_bitmap && !c->rx.seen)) { perror("calloc"); exit(2); }
	}
	G.expected = (uint64_t)K * (uint64_t)S * (uint64_t)M * (uint64_t)(U - 1);
	if (!use_bitmap)
		fprintf(stderr, "note: duplicate bitmap too large, only repeats of the "
			"last sequence are detected as duplicates\n");
}

static void usage(FILE *f)
{
	fprintf(f,
"usage: ircbench SCENARIO [options]\n"
"scenarios: connect | fanout | channels | churn\n"
"  --host A        server address, loopback only (default 127.0.0.1)\n"
"  --port P        server port (default 6667)\n"
"  --ports P1,P2.. spread clients over these ports, client i on P(i mod n):\n"
"                  the nodes of a cluster (doc/cluster.md)\n"
"  --clients N     connect: clients; fanout: channel members (1000);\n"
"                  churn: parallel lanes (32)\n"
"  --members U     channels: members per channel (20)\n"
"  --channels K    channels: channel count (100); churn: channels used (1)\n"
"  --senders S     fanout: senders (10); channels: talkers per channel (all)\n"
"  --messages M    messages per sender (fanout 500, channels 100)\n"
"  --window W      max unacknowledged messages per sender (64)\n"
"  --size B        pad each message body to at least B bytes\n"
"  --rate R        connect: arrivals per second (default: waves)\n"
"  --burst B       connect: wave size when --rate is 0 (256)\n"
"  --idle S        connect: idle seconds before the RSS 'after' sample (2)\n"
"  --cycles N      churn: cycles to run (10000)\n"
"  --duration S    churn: stop after S seconds even if cycles remain (0 = off)\n"
"  --pid PID       server pid: RSS and CPU time from /proc\n"
"  --sources N     spread over 127.0.0.2..127.0.0.(N+1) (16; 0 = no bind)\n"
"  --timeout S     hard bound on the whole scenario in seconds (120)\n"
"  --quiet MS      end a run after MS without a new delivery (3000)\n"
"  --setup-conc N  registrations in flight while setting up (64)\n"
"  --reg-timeout S connect: a registration slower than S fails (10);\n"
"                  fanout/channels retry it during setup (5)\n"
"  --oper N:P      talkers send OPER N P after registering\n"
"  --umode M       talkers send MODE <nick> M after OPER (e.g. +F)\n"
"  --label L       name printed in the summary (server)\n"
"  --websocket     IRC over WebSocket (text.ircv3.net) to a websocket listener\n"
"Output: human text on stderr, one 'ircbench key=value ...' line on stdout.\n");
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{"host", 1, 0, 'h'}, {"port", 1, 0, 'p'}, {"ports", 1, 0, 'X'}, {"clients", 1, 0, 'c'},
		{"members", 1, 0, 'u'}, {"senders", 1, 0, 's'}, {"messages", 1, 0, 'm'},
		{"channels", 1, 0, 'k'}, {"window", 1, 0, 'w'}, {"timeout", 1, 0, 't'},
		{"pid", 1, 0, 'P'}, {"rate", 1, 0, 'r'}, {"burst", 1, 0, 'b'},
		{"sources", 1, 0, 'S'}, {"idle", 1, 0, 'i'}, {"size", 1, 0, 'z'},
		{"cycles", 1, 0, 'y'}, {"duration", 1, 0, 'D'}, {"quiet", 1, 0, 'q'}, {"setup-conc", 1, 0, 'C'},
		{"reg-timeout", 1, 0, 'R'}, {"oper", 1, 0, 'o'}, {"umode", 1, 0, 'M'}, {"label", 1, 0, 'l'},
		{"websocket", 0, 0, 'W'}, {"help", 0, 0, 'H'}, {0, 0, 0, 0}};
	int ch;
	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (ch) {
		case 'h': O.host = optarg; break;
		case 'p': O.port = atoi(optarg); break;
		case 'X':
			for (char *t = strtok(optarg, ","); t && NPORTS < 16; t = strtok(NULL, ","))
				PORTS[NPORTS++] = atoi(t);
			break;
		case 'c': O.clients = atoi(optarg); break;
		case 'u': O.members = atoi(optarg); break;
		case 's': O.senders = atoi(optarg); break;
		case 'm': O.messages = atoi(optarg); break;
		case 'k': O.channels = atoi(optarg); break;
		case 'w': O.window = atoi(optarg); break;
		case 't': O.timeout = atof(optarg); break;
		case 'P': O.pid = atoi(optarg); break;
		case 'r': O.rate = atof(optarg); break;
		case 'b': O.burst = atoi(optarg); break;
		case 'S': O.sources = atoi(optarg); break;
		case 'i': O.idle = atof(optarg); break;
		case 'z': O.size = atoi(optarg); break;
		case 'y': O.cycles = atoi(optarg); break;
		case 'D': O.duration = atof(optarg); break;
		case 'q': O.quiet_ms = atoi(optarg); break;
		case 'C': O.setup_conc = atoi(optarg); break;
		case 'R': O.reg_timeout = atof(optarg); break;
		case 'o': O.oper = optarg; break;
		case 'M': O.umode = optarg; break;
		case 'l': O.label = optarg; break;
		case 'W': O.websocket = 1; break;
		case 'H': usage(stdout); return 0;
		default: usage(stderr); return 1;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 1;
	}
	const char *sc = argv[optind];
	if (!strcmp(sc, "connect")) O.scenario = SC_CONNECT;
	else if (!strcmp(sc, "fanout")) O.scenario = SC_FANOUT;
	else if (!strcmp(sc, "channels")) O.scenario = SC_CHANNELS;
	else if (!strcmp(sc, "churn")) O.scenario = SC_CHURN;
	else { usage(stderr); return 1; }

	memset(&SRV, 0, sizeof SRV);
	SRV.sin_family = AF_INET;
	SRV.sin_port = htons((uint16_t)O.port);
	if (inet_pton(AF_INET, O.host, &SRV.sin_addr) != 1 ||
	    (ntohl(SRV.sin_addr.s_addr) >> 24) != 127) {
		fprintf(stderr, "ircbench: --host must be an IPv4 loopback address (127.x.x.x)\n");
		return 1;
	}
	if (O.reg_timeout <= 0)
		O.reg_timeout = O.scenario == SC_CONNECT ? 10 : 5;
	if (O.window < 1 || O.timeout <= 0 || O.sources < 0 || O.sources > 250 ||
	    O.burst < 1 || O.setup_conc < 1 || O.cycles < 1) {
		fprintf(stderr, "ircbench: bad option value\n");
		return 1;
	}

	/* Many sockets: take all the descriptors the hard limit allows. */
	struct rlimit rl;
	if (!getrlimit(RLIMIT_NOFILE, &rl)) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	signal(SIGPIPE, SIG_IGN);
	G.nick_tag = (uint32_t)getpid() % 1296u;

	L = ev_default_loop(EVBACKEND_EPOLL | EVFLAG_AUTO);
	if (!L) {
		fprintf(stderr, "ircbench: cannot init libev\n");
		return 2;
	}

	switch (O.scenario) {
	case SC_CONNECT:
		NC = O.clients > 0 ? O.clients : 1000;
		break;
	case SC_FANOUT:
		G.K = 1;
		G.U = O.clients > 0 ? O.clients : (O.members > 0 ? O.members : 1000);
		G.S = O.senders > 0 ? O.senders : 10;
		G.M = O.messages > 0 ? O.messages : 500;
		break;
	case SC_CHANNELS:
		G.K = O.channels > 0 ? O.channels : 100;
		G.U = O.members > 0 ? O.members : 20;
		G.S = O.senders > 0 ? O.senders : G.U;
		G.M = O.messages > 0 ? O.messages : 100;
		break;
	case SC_CHURN:
		NC = O.clients > 0 ? O.clients : 32;
		break;
	}
	if (O.scenario == SC_FANOUT || O.scenario == SC_CHANNELS) {
		if (G.U < 2 || G.S < 1 || G.S > G.U) {
			fprintf(stderr, "ircbench: need >= 2 members and 1 <= senders <= members\n");
			return 1;
		}
		setup_channels();
	} else {
		C = calloc((size_t)NC, sizeof *C);
		G.dirty = calloc((size_t)NC, sizeof *G.dirty);
		if (!C || !G.dirty) { perror("calloc"); return 2; }
		int k = O.channels > 0 ? O.channels : 1;
		for (int i = 0; i < NC; i++) {
			C[i].fd = -1;
			C[i].id = i;
			C[i].sidx = -1;
			C[i].chan = i % k;
		}
	}

	if (O.pid) {
		G.rss_before = read_rss_kib(O.pid);
		G.cpu_before = read_cpu_s(O.pid);
		if (G.rss_before < 0)
			fprintf(stderr, "ircbench: cannot read /proc/%d/status\n", O.pid);
	}

	ev_prepare prep;
	ev_prepare_init(&prep, prepare_cb);
	ev_prepare_start(L, &prep);
	ev_timer_init(&timeout_w, timeout_cb, O.timeout, 0);
	ev_timer_start(L, &timeout_w);
	ev_timer_init(&tick_w, tick_cb, 0.1, 0.1);
	ev_timer_start(L, &tick_w);

	G.t_begin = now_ns();
	if (O.scenario == SC_CHURN) {
		if (O.duration > 0) {
			ev_timer_init(&duration_w, duration_cb, O.duration, 0);
			ev_timer_start(L, &duration_w);
		}
		for (int i = 0; i < NC; i++)
			churn_next(&C[i]);
	} else if (O.scenario == SC_CONNECT && O.rate > 0) {
		rate_t0 = now_ns();
		ev_timer_init(&rate_w, rate_cb, 0, 0.001);
		ev_timer_start(L, &rate_w);
	} else {
		start_more();
	}
	ev_run(L, 0);
	uint64_t t_stop = now_ns();

	if (O.pid) {
		G.rss_after = read_rss_kib(O.pid);
		G.cpu_after = read_cpu_s(O.pid);
	}
	double cpu = (O.pid && G.cpu_before >= 0 && G.cpu_after >= 0) ?
		G.cpu_after - G.cpu_before : -1;
	int ok = !G.timed_out && !G.aborted;
	/* Our own CPU: shows whether the generator, not the server, was the
	 * bottleneck (it runs on its own core, so near 100% of the run means
	 * the numbers are the generator's). */
	double gen_cpu = read_cpu_s((int)getpid());

	/* ---- report ---- */
	char line[2048];
	int n = 0;
#define KV(...) (n += snprintf(line + n, sizeof line - (size_t)n, __VA_ARGS__))
	KV("ircbench scenario=%s label=%s transport=%s", sc, O.label, O.websocket ? "websocket" : "tcp");
	if (O.scenario == SC_CONNECT) {
		int held = 0;
		for (int i = 0; i < NC; i++)
			held += C[i].fd >= 0 && C[i].state == ST_READY;
		double span = G.t_last_reg > G.t_first_conn ?
			(double)(G.t_last_reg - G.t_first_conn) / 1e9 : 0;
		double rss_pc = (O.pid && G.rss_before >= 0 && G.rss_after >= 0 && held) ?
			(double)(G.rss_after - G.rss_before) / held : -1;
		ok = ok && G.registered == NC && held == NC;
		fprintf(stderr, "[%s] connect: %d/%d registered, %d held after %.1fs idle, "
			"%.0f registrations/s (%s)\n", O.label, G.registered, NC, held, O.idle,
			span > 0 ? G.registered / span : 0,
			O.rate > 0 ? "paced" : "waves");
		fprintf(stderr, "[%s]   registration latency p50 %.3f ms  p99 %.3f ms  max %.3f ms\n",
			O.label, h_pct_ms(&G.reg, .5), h_pct_ms(&G.reg, .99), (double)G.reg.max / 1e6);
		fprintf(stderr, "[%s]   of which TCP connect  p50 %.3f ms  p99 %.3f ms  max %.3f ms\n",
			O.label, h_pct_ms(&G.tcp, .5), h_pct_ms(&G.tcp, .99), (double)G.tcp.max / 1e6);
		if (O.pid)
			fprintf(stderr, "[%s]   server RSS %ld KiB -> %ld KiB: %.2f KiB per client\n",
				O.label, G.rss_before, G.rss_after, rss_pc);
		KV(" ok=%d clients=%d registered=%d held=%d failed=%d rate=%g burst=%d"
		   " reg_per_s=%.1f reg_p50_ms=%.3f reg_p99_ms=%.3f reg_max_ms=%.3f",
		   ok, NC, G.registered, held, G.failed, O.rate, O.rate > 0 ? 0 : O.burst,
		   span > 0 ? G.registered / span : 0, h_pct_ms(&G.reg, .5),
		   h_pct_ms(&G.reg, .99), (double)G.reg.max / 1e6);
		KV(" tcp_p50_ms=%.3f tcp_p99_ms=%.3f tcp_max_ms=%.3f",
		   h_pct_ms(&G.tcp, .5), h_pct_ms(&G.tcp, .99), (double)G.tcp.max / 1e6);
		KV(" rss_before_kib=%ld rss_after_kib=%ld rss_per_client_kib=%.3f",
		   G.rss_before, G.rss_after, rss_pc);
	} else if (O.scenario == SC_FANOUT || O.scenario == SC_CHANNELS) {
		uint64_t lost = G.expected > G.unique ? G.expected - G.unique : 0;
		double span = G.phase >= 1 && G.t_last_dlv > G.t_run ?
			(double)(G.t_last_dlv - G.t_run) / 1e9 : 0;
		double dps = span > 0 ? (double)G.unique / span : 0;
		ok = ok && G.phase == 2 && !lost && !G.dups && !G.reordered && !G.misrouted;
		fprintf(stderr, "[%s] %s: %d channel(s) x %d members, %d senders/channel x %d msgs, window %d\n",
			O.label, sc, G.K, G.U, G.S, G.M, O.window);
		fprintf(stderr, "[%s]   %.0f deliveries/s over %.3f s; latency p50 %.3f ms  p99 %.3f ms  max %.3f ms\n",
			O.label, dps, span, h_pct_ms(&G.lat, .5), h_pct_ms(&G.lat, .99),
			(double)G.lat.max / 1e6);
		fprintf(stderr, "[%s]   expected %llu received %llu lost %llu dups %llu reordered %llu misrouted %llu\n",
			O.label, (unsigned long long)G.expected, (unsigned long long)G.received,
			(unsigned long long)lost, (unsigned long long)G.dups,
			(unsigned long long)G.reordered, (unsigned long long)G.misrouted);
		KV(" ok=%d channels=%d members=%d senders=%d messages=%d window=%d"
		   " expected=%llu received=%llu lost=%llu dups=%llu reordered=%llu misrouted=%llu bad=%llu"
		   " sent=%llu run_s=%.3f deliveries_per_s=%.0f lat_p50_ms=%.3f lat_p99_ms=%.3f lat_max_ms=%.3f",
		   ok, G.K, G.U, G.S, G.M, O.window, (unsigned long long)G.expected,
		   (unsigned long long)G.received, (unsigned long long)lost,
		   (unsigned long long)G.dups, (unsigned long long)G.reordered,
		   (unsigned long long)G.misrouted, (unsigned long long)G.bad,
		   (unsigned long long)G.sent_total, span, dps, h_pct_ms(&G.lat, .5),
		   h_pct_ms(&G.lat, .99), (double)G.lat.max / 1e6);
	} else {
		/* Rate up to the last completed cycle: a few stragglers stuck in
		 * SYN retransmission must not stretch the denominator. */
		double span = G.t_last_cycle > G.t_begin ? (double)(G.t_last_cycle - G.t_begin) / 1e9 : 0;
		double cps = span > 0 ? G.cycles_done / span : 0;
		long abandoned = G.cycles_started - G.cycles_done - G.errors;
		if (abandoned < 0)
			abandoned = 0;
		ok = ok && G.errors == 0 && G.cycles_done > 0;
		fprintf(stderr, "[%s] churn: %ld cycles in %.3f s with %d lanes: %.0f cycles/s, "
			"%ld errors, %ld unfinished at the end\n",
			O.label, G.cycles_done, span, NC, cps, G.errors, abandoned);
		if (cpu > 0)
			fprintf(stderr, "[%s]   server CPU %.2f s: %.0f cycles per server CPU-second\n",
				O.label, cpu, G.cycles_done / cpu);
		KV(" ok=%d lanes=%d cycles=%ld unfinished=%ld run_s=%.3f cycles_per_s=%.1f cycles_per_cpu_s=%.1f",
		   ok, NC, G.cycles_done, abandoned, span, cps, cpu > 0 ? G.cycles_done / cpu : -1);
	}
	if (G.first_error[0])
		fprintf(stderr, "[%s]   first error: %s\n", O.label, G.first_error);
	if (G.timed_out)
		fprintf(stderr, "[%s]   TIMED OUT after %.0f s (started %d, registered %d, "
			"failed %d, ready %d, barrier %d, phase %d)\n", O.label, O.timeout,
			G.next, G.registered, G.failed, G.ready, G.barrier, G.phase);
	KV(" gen_cpu_s=%.3f", gen_cpu);
	KV(" errors=%ld err_numerics=%ld disconnects=%ld connect_fail=%ld setup_retries=%ld timed_out=%d"
	   " aborted=%d server_cpu_s=%.2f elapsed_s=%.3f first_error=%s",
	   G.errors, G.err_numerics, G.disconnects, G.connect_fail, G.setup_retries, G.timed_out,
	   G.aborted, cpu, (double)(t_stop - G.t_begin) / 1e9,
	   G.first_error[0] ? G.first_error : "-");
	printf("%s\n", line);
	fflush(stdout);
	return ok ? 0 : 3;
}
