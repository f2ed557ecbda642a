/* cluster_queue.c - this node's events on their way into the stream:
 * from cluster_emit() until Redis has them (acked) and they come back
 * (applied). Appends go in batches, one EVALSHA of the append script per
 * batch, in sequence order; the script skips what is in already and
 * refuses a gap, so a resend after NOSCRIPT, GAP or a reconnect appends
 * each event exactly once. The connection itself is cluster.c's. */
#include "cluster.h"
#include "cluster_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ev.h>

#include "client.h"
#include "evcodec.h"
#include "log.h"
#include "send.h"
#include "server.h"

/* Events not yet acknowledged by Redis, at most (some 30-60 MB of
 * encoded events): beyond it a command is refused with a notice (QUIT and USER are always taken: refusing them
 * would leave a ghost or a half-registered client). */
#define QUEUE_MAX 100000

/* One appended event, from emit until it comes back in the stream. The
 * queue is in emit (= sequence) order and always three runs: acked by
 * Redis, sent and not yet answered (from Q.ack), not sent yet (from
 * Q.next). Replies come back in the order sent, so the acked run only
 * grows at its end and a batch's reply acks the pends at Q.ack. */
struct pend {
	struct pend *next;
	uint64_t seq;
	int acked;
	char *label;          /* labeled-response, restored when it is applied */
	int n;                /* encoded fields and values */
	const char **argv;
	size_t *len;
	char seqtext[24], ntext[8];
	char data[];          /* copies of the encoded values */
};

/* One EVALSHA of the append script: the pends first..last. */
struct batch {
	unsigned egen;
	uint64_t first, last;
};

/* Per append call at most (Redis runs one script at a time: a long one
 * delays every node's reads) */
#define BATCH_EVENTS 256
#define BATCH_BYTES (256 * 1024)

static struct {
	uint64_t seq;         /* the last sequence number given out */
	uint64_t acked_seq;   /* every event up to it was acked by Redis */
	struct pend *head, *tail, *ack, *next;
	unsigned unacked;
	unsigned egen;        /* bumped whenever unanswered appends are to be sent again */
	int resyncs;          /* NOSCRIPT/GAP recoveries since the last acked append */
	ev_prepare flush_w;   /* sends what this loop iteration emitted, in batches */
} Q;

static void pend_free(struct pend *p)
{
	free(p->label);
	free(p);
}

/* Own events come back in sequence order, and the ones before were
 * unlinked when they did: the head is the match but for dropped ones. */
static struct pend *pend_find(uint64_t seq)
{
	for (struct pend *p = Q.head; p && p->seq <= seq; p = p->next)
		if (p->seq == seq)
			return p;
	return NULL;
}

static void pend_unlink(struct pend *p)
{
	struct pend **pp = &Q.head, *prev = NULL;
	while (*pp && *pp != p)
		prev = *pp, pp = &(*pp)->next;
	if (!*pp)
		return;
	*pp = p->next;
	if (Q.tail == p)
		Q.tail = prev;
	if (Q.ack == p)
		Q.ack = p->next;
	if (Q.next == p)
		Q.next = p->next;
	if (!p->acked)
		Q.unacked--;
	pend_free(p);
}

void cl_queue_clear(void)
{
	unsigned n = Q.unacked;
	while (Q.head)
		pend_unlink(Q.head);
	Q.egen++;
	Q.seq = Q.acked_seq = 0;   /* the join script starts an incarnation's count at 0 */
	if (n)
		log_warn("cluster: %u events of the lost incarnation dropped", n);
}

/* Every unanswered append is to be sent again, in order, from Q.ack;
 * replies to what was sent before are ignored (egen). */
void cl_queue_resend(void)
{
	Q.egen++;
	Q.next = Q.ack;
}

static int always_taken(int type)
{
	return type == EV_QUIT || type == EV_USER;
}

void cluster_emit(struct event *ev)
{
	if (Q.unacked >= QUEUE_MAX && !always_taken(ev->type)) {
		static unsigned long refused;
		struct client *u = ev->uid ? client_find_uid(ev->uid, 0) : NULL;
		if (refused++ % 1000 == 0)
			log_warn("cluster: Redis unreachable and %u events waiting: commands refused "
			         "(%lu so far)", Q.unacked, refused);
		if (u && !u->remote)
			send_line(u, ":%s NOTICE %s :*** The network is not reachable right now; "
			          "your command was not done, try again", srv.cfg.name,
			          u->nick[0] ? u->nick : "*");
		return;
	}
	struct evenc e;
	evcodec_encode(ev, Q.seq + 1, &e);
	size_t bytes = 0;
	for (int i = 0; i < e.n; i++)
		bytes += e.len[i];
	struct pend *p = calloc(1, sizeof *p + bytes + (size_t)e.n * (sizeof(char *) + sizeof(size_t)) + 16);
	if (!p) {
		log_error("cluster: out of memory: event %d dropped", ev->type);
		return;
	}
	p->seq = ++Q.seq;
	p->n = e.n;
	p->argv = (const char **)(void *)(p->data + ((bytes + 15) & ~(size_t)7));
	p->len = (size_t *)(void *)(p->argv + e.n);
	snprintf(p->seqtext, sizeof p->seqtext, "%" PRIu64, p->seq);
	snprintf(p->ntext, sizeof p->ntext, "%d", e.n);
	char *d = p->data;
	for (int i = 0; i < e.n; i++) {
		memcpy(d, e.f[i], e.len[i]);
		p->argv[i] = d;
		p->len[i] = e.len[i];
		d += e.len[i];
	}
	if (ev->label)
		p->label = strdup(ev->label);
	if (Q.tail)
		Q.tail->next = p;
	else
		Q.head = p;
	Q.tail = p;
	if (!Q.ack)
		Q.ack = p;
	if (!Q.next)
		Q.next = p;
	Q.unacked++;
}

static void on_emit_reply(redisAsyncContext *ac, void *reply, void *priv);

/* Send the unsent pends, in batches: one script call appends a batch in
 * order, each event unless its sequence number is in already. */
void cl_queue_flush(void)
{
	static const char **av;
	static size_t *al, cap;
	char base[24];
	redisAsyncContext *cmd;
	/* not while a rejoin is due: what waits belongs to the incarnation
	 * being given up, and goes with it */
	while ((cmd = cl_cmd()) && Q.next) {
		snprintf(base, sizeof base, "%" PRIu64, Q.acked_seq);
		const char *fixed[] = { "EVALSHA", cl.emit_sha, "3", cl.k.nodes, cl.k.seq, cl.k.log,
		                        srv.cfg.name, cl.inc, base };
		size_t argc = 0, bytes = 0;
		int events = 0;
		struct pend *p = Q.next, *last = NULL;
		for (; p && events < BATCH_EVENTS && bytes < BATCH_BYTES; p = p->next, events++) {
			size_t need = (argc ? argc : 9) + 2 + (size_t)p->n;
			if (need > cap) {
				size_t ncap = need * 2 > 4096 ? need * 2 : 4096;
				const char **nav = realloc(av, ncap * sizeof *av);
				size_t *nal = nav ? realloc(al, ncap * sizeof *al) : NULL;
				if (nav)
					av = nav;
				if (!nal) {
					log_error("cluster: out of memory sending events; retrying");
					return;
				}
				al = nal, cap = ncap;
			}
			if (!argc)
				for (; argc < 9; argc++)
					av[argc] = fixed[argc], al[argc] = strlen(fixed[argc]);
			av[argc] = p->seqtext, al[argc++] = strlen(p->seqtext);
			av[argc] = p->ntext, al[argc++] = strlen(p->ntext);
			for (int i = 0; i < p->n; i++, argc++)
				av[argc] = p->argv[i], al[argc] = p->len[i], bytes += p->len[i];
			last = p;
		}
		struct batch *b = malloc(sizeof *b);
		if (!b) {
			log_error("cluster: out of memory sending events; retrying");
			return;
		}
		b->egen = Q.egen;
		b->first = Q.next->seq;
		b->last = last->seq;
		Q.next = p;
		redisAsyncCommandArgv(cmd, on_emit_reply, b, (int)argc, av, al);
	}
}

static void flush_cb(struct ev_loop *loop, ev_prepare *w, int revents)
{
	(void)loop; (void)w; (void)revents;
	if (Q.next)
		cl_queue_flush();
}

static void on_script_load(redisAsyncContext *ac, void *reply, void *priv)
{
	redisReply *r = reply;
	(void)ac; (void)priv;
	if (!r)
		return;
	if (r->type != REDIS_REPLY_STRING) {
		log_error("cluster: loading the append script: %s", r->type == REDIS_REPLY_ERROR ? r->str : "bad reply");
		cl_link_down("SCRIPT LOAD failed");
	} else if (strcmp(r->str, cl.emit_sha) != 0) {
		snprintf(cl.emit_sha, sizeof cl.emit_sha, "%s", r->str);
	}
}

/* The append script, known to Redis by its SHA1: loaded on every
 * connection, before anything is sent on it */
void cl_queue_load_script(redisAsyncContext *cmd)
{
	redisAsyncCommand(cmd, on_script_load, NULL, "SCRIPT LOAD %s", cl_lua_emit);
}

static void on_emit_reply(redisAsyncContext *ac, void *reply, void *priv)
{
	redisReply *r = reply;
	struct batch b = *(struct batch *)priv;
	free(priv);
	if (!r || b.egen != Q.egen)
		return;   /* disconnected, or to be sent again: resent in order */
	if (r->type == REDIS_REPLY_ERROR) {
		if (strncmp(r->str, "NOSCRIPT", 8) == 0 || strncmp(r->str, "GAP", 3) == 0) {
			/* Redis restarted or flushed its scripts (NOSCRIPT), or an
			 * earlier batch failed that way while this one arrived (GAP:
			 * the script refuses to append past a missing event): load
			 * the script, then everything unanswered again, in order */
			if (++Q.resyncs > 8) {
				cl_link_down(r->str);
				return;
			}
			log_info("cluster: %s: sending %u events again", r->str, Q.unacked);
			cl_queue_resend();
			if (ac)
				cl_queue_load_script(ac);
			cl_queue_flush();
			return;
		}
		if (strncmp(r->str, "READONLY", 8) != 0 && strncmp(r->str, "LOADING", 7) != 0 &&
		    strncmp(r->str, "MASTERDOWN", 10) != 0)
			log_error("cluster: append refused by Redis: %s (retrying)", r->str);
		cl_link_down(r->str);   /* a replica now, not ready, or refusing: reconnect, send again */
		return;
	}
	if (r->type == REDIS_REPLY_INTEGER && r->integer == 0) {
		/* not live in this incarnation: it was declared lost */
		while (Q.ack && Q.ack->seq <= b.last)
			pend_unlink(Q.ack);
		if (cl.joined && !cl_rejoin_due()) {
			log_warn("cluster: Redis says this node was declared lost");
			cl_rejoin_soon();
		}
		return;
	}
	for (; Q.ack && Q.ack->seq <= b.last; Q.ack = Q.ack->next) {
		Q.ack->acked = 1;
		Q.unacked--;
	}
	Q.acked_seq = b.last;
	Q.resyncs = 0;
	cl_link_ok();
}

/* What the stream reader needs of the queue: the label of our event seq
 * (for labeled-response), and the pends it has made redundant. */
const char *cl_queue_arrived(uint64_t seq)
{
	struct pend *p = pend_find(seq);
	/* everything of ours up to it is in the stream: done with it */
	while (Q.head && Q.head->seq < seq && Q.head->acked)
		pend_unlink(Q.head);
	return p ? p->label : NULL;
}

void cl_queue_applied(uint64_t seq)
{
	struct pend *p = pend_find(seq);
	if (p && p->acked)
		pend_unlink(p);
}

unsigned cl_queue_waiting(void)
{
	return Q.unacked;
}

void cl_queue_start(void)
{
	/* always active, and last of the prepare watchers: what conn.c's
	 * prepare pass emits (lines held back for fairness, the QUITs of
	 * closed connections) goes out in the same pass, before the loop
	 * sleeps; a watcher started from inside that pass would wait for the
	 * next wakeup */
	ev_prepare_init(&Q.flush_w, flush_cb);
	ev_set_priority(&Q.flush_w, EV_MINPRI);
	ev_prepare_start(srv.loop, &Q.flush_w);
}
