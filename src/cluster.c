/* cluster.c - the running Redis link (cluster.h, doc/cluster.md): hiredis
 * async on the server's libev loop, two connections to the primary: one
 * for commands (appends, heartbeats, snapshots), one blocked in XREAD on
 * the stream. No threads; the only blocking calls are in cluster_boot.c
 * (start, and a rejoin after this node was declared lost, when it has no
 * clients left to keep waiting). */
#include "cluster.h"
#include "cluster_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/adapters/libev.h>

#include "client.h"
#include "evcodec.h"
#include "log.h"
#include "node.h"
#include "send.h"
#include "server.h"
#include "state.h"

/* Events not yet acknowledged by Redis, at most (some 30-60 MB of
 * encoded events): beyond it a command is refused with a notice (QUIT and USER are always taken: refusing them
 * would leave a ghost or a half-registered client). */
#define QUEUE_MAX 100000

struct cl cl;

/* One appended event, from emit until it comes back in the stream. The
 * queue is in emit (= sequence) order and always three runs: acked by
 * Redis, sent and not yet answered (from L.ack), not sent yet (from
 * L.next). Replies come back in the order sent, so the acked run only
 * grows at its end and a batch's reply acks the pends at L.ack. */
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
	int started;
	redisAsyncContext *cmd, *rd;
	int up;               /* connected and checked: appends flow */
	int tearing;
	int backoff_ms;
	unsigned gen;         /* bumped on reconnect and rejoin: stale XREAD replies are dropped */
	unsigned egen;        /* bumped whenever unanswered appends are to be sent again */
	int beat_busy;
	unsigned long beats;
	uint64_t seq;         /* the last sequence number given out */
	uint64_t acked_seq;   /* every event up to it was acked by Redis */
	struct pend *head, *tail, *ack, *next;
	unsigned unacked;
	int resyncs;          /* NOSCRIPT/GAP recoveries since the last acked append */
	int rejoin;           /* this node saw its own loss: rejoin outside the callbacks */
	ev_timer teardown, reconnect, beat, snap, rejoin_timer;
	ev_prepare flush_w;   /* sends what this loop iteration emitted, in batches */
} L;

int cluster_active(void)
{
	return L.started;
}

static void link_down(const char *why);
static void read_more(void);
static void flush(void);

/* ---- the outgoing queue */

static void pend_free(struct pend *p)
{
	free(p->label);
	free(p);
}

/* Own events come back in sequence order, and the ones before were
 * unlinked when they did: the head is the match but for dropped ones. */
static struct pend *pend_find(uint64_t seq)
{
	for (struct pend *p = L.head; p && p->seq <= seq; p = p->next)
		if (p->seq == seq)
			return p;
	return NULL;
}

static void pend_unlink(struct pend *p)
{
	struct pend **pp = &L.head, *prev = NULL;
	while (*pp && *pp != p)
		prev = *pp, pp = &(*pp)->next;
	if (!*pp)
		return;
	*pp = p->next;
	if (L.tail == p)
		L.tail = prev;
	if (L.ack == p)
		L.ack = p->next;
	if (L.next == p)
		L.next = p->next;
	if (!p->acked)
		L.unacked--;
	pend_free(p);
}

static void queue_clear(void)
{
	unsigned n = L.unacked;
	while (L.head)
		pend_unlink(L.head);
	L.egen++;
	if (n)
		log_warn("cluster: %u events of the lost incarnation dropped", n);
}

/* Every unanswered append is to be sent again, in order, from L.ack;
 * replies to what was sent before are ignored (egen). */
static void resend_all(void)
{
	L.egen++;
	L.next = L.ack;
}

static int always_taken(int type)
{
	return type == EV_QUIT || type == EV_USER;
}

void cluster_emit(struct event *ev)
{
	if (L.unacked >= QUEUE_MAX && !always_taken(ev->type)) {
		static unsigned long refused;
		struct client *u = ev->uid ? client_find_uid(ev->uid, 0) : NULL;
		if (refused++ % 1000 == 0)
			log_warn("cluster: Redis unreachable and %u events waiting: commands refused "
			         "(%lu so far)", L.unacked, refused);
		if (u && !u->remote)
			send_line(u, ":%s NOTICE %s :*** The network is not reachable right now; "
			          "your command was not done, try again", srv.cfg.name,
			          u->nick[0] ? u->nick : "*");
		return;
	}
	struct evenc e;
	evcodec_encode(ev, L.seq + 1, &e);
	size_t bytes = 0;
	for (int i = 0; i < e.n; i++)
		bytes += e.len[i];
	struct pend *p = calloc(1, sizeof *p + bytes + (size_t)e.n * (sizeof(char *) + sizeof(size_t)) + 16);
	if (!p) {
		log_error("cluster: out of memory: event %d dropped", ev->type);
		return;
	}
	p->seq = ++L.seq;
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
	if (L.tail)
		L.tail->next = p;
	else
		L.head = p;
	L.tail = p;
	if (!L.ack)
		L.ack = p;
	if (!L.next)
		L.next = p;
	L.unacked++;
}

static void on_emit_reply(redisAsyncContext *ac, void *reply, void *priv);

/* Send the unsent pends, in batches: one script call appends a batch in
 * order, each event unless its sequence number is in already. */
static void flush(void)
{
	static const char **av;
	static size_t *al, cap;
	char base[24];
	/* not while a rejoin is due: what waits belongs to the incarnation
	 * being given up, and goes with it */
	while (L.up && L.cmd && L.next && !L.rejoin) {
		snprintf(base, sizeof base, "%" PRIu64, L.acked_seq);
		const char *fixed[] = { "EVALSHA", cl.emit_sha, "3", cl.k.nodes, cl.k.seq, cl.k.log,
		                        srv.cfg.name, cl.inc, base };
		size_t argc = 0, bytes = 0;
		int events = 0;
		struct pend *p = L.next, *last = NULL;
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
		b->egen = L.egen;
		b->first = L.next->seq;
		b->last = last->seq;
		L.next = p;
		redisAsyncCommandArgv(L.cmd, on_emit_reply, b, (int)argc, av, al);
	}
}

static void flush_cb(struct ev_loop *loop, ev_prepare *w, int revents)
{
	(void)loop; (void)w; (void)revents;
	if (L.next)
		flush();
}

static void on_script_load(redisAsyncContext *ac, void *reply, void *priv)
{
	redisReply *r = reply;
	(void)ac; (void)priv;
	if (!r)
		return;
	if (r->type != REDIS_REPLY_STRING) {
		log_error("cluster: loading the append script: %s", r->type == REDIS_REPLY_ERROR ? r->str : "bad reply");
		link_down("SCRIPT LOAD failed");
	} else if (strcmp(r->str, cl.emit_sha) != 0) {
		snprintf(cl.emit_sha, sizeof cl.emit_sha, "%s", r->str);
	}
}

/* The append script, known to Redis by its SHA1: loaded on every
 * connection, before anything is sent on it */
static void load_script(void)
{
	redisAsyncCommand(L.cmd, on_script_load, NULL, "SCRIPT LOAD %s", cl_lua_emit);
}

static void on_emit_reply(redisAsyncContext *ac, void *reply, void *priv)
{
	redisReply *r = reply;
	struct batch b = *(struct batch *)priv;
	(void)ac;
	free(priv);
	if (!r || b.egen != L.egen)
		return;   /* disconnected, or to be sent again: resent in order */
	if (r->type == REDIS_REPLY_ERROR) {
		if (strncmp(r->str, "NOSCRIPT", 8) == 0 || strncmp(r->str, "GAP", 3) == 0) {
			/* Redis restarted or flushed its scripts (NOSCRIPT), or an
			 * earlier batch failed that way while this one arrived (GAP:
			 * the script refuses to append past a missing event): load
			 * the script, then everything unanswered again, in order */
			if (++L.resyncs > 8) {
				link_down(r->str);
				return;
			}
			log_info("cluster: %s: sending %u events again", r->str, L.unacked);
			resend_all();
			load_script();
			flush();
			return;
		}
		if (strncmp(r->str, "READONLY", 8) != 0 && strncmp(r->str, "LOADING", 7) != 0 &&
		    strncmp(r->str, "MASTERDOWN", 10) != 0)
			log_error("cluster: append refused by Redis: %s (retrying)", r->str);
		link_down(r->str);   /* a replica now, not ready, or refusing: reconnect, send again */
		return;
	}
	if (r->type == REDIS_REPLY_INTEGER && r->integer == 0) {
		/* not live in this incarnation: it was declared lost */
		while (L.ack && L.ack->seq <= b.last)
			pend_unlink(L.ack);
		if (cl.joined && !L.rejoin) {
			log_warn("cluster: Redis says this node was declared lost");
			L.rejoin = 1;
			ev_timer_start(srv.loop, &L.rejoin_timer);
		}
		return;
	}
	for (; L.ack && L.ack->seq <= b.last; L.ack = L.ack->next) {
		L.ack->acked = 1;
		L.unacked--;
	}
	L.acked_seq = b.last;
	L.resyncs = 0;
	L.backoff_ms = 0;
}

/* ---- applying what comes back */

void cl_deliver(struct event *ev, uint64_t seq, const char *id)
{
	ev->id = id;
	ev->label = NULL;
	if (seq && strcmp(ev->node, srv.cfg.name) == 0) {
		struct pend *p = pend_find(seq);
		if (p && p->label)
			ev->label = p->label;
		/* everything of ours up to it is in the stream: done with it */
		while (L.head && L.head->seq < seq && L.head->acked)
			pend_unlink(L.head);
	}
	if (ev->type == EV_NODE_LOST && ev->nargs > 0) {
		struct node *n = node_find(ev->args[0]);
		if (n && ev->ts && n->since && ev->ts != n->since && n != srv.me) {
			log_info("cluster: loss of an earlier %s ignored", ev->args[0]);
			return;
		}
		if (n == srv.me || strcasecmp(ev->args[0], srv.cfg.name) == 0) {
			if (!cl.joined || (ev->ts && ev->ts != cl.inc_ms))
				return;   /* an earlier incarnation's: its users are gone already */
			log_warn("cluster: this node was declared lost (%s): closing its clients, rejoining",
			         ev->text ? ev->text : "");
			state_apply(ev);   /* local clients get ERROR, their users go */
			L.rejoin = 1;
			ev_timer_start(srv.loop, &L.rejoin_timer);
			return;
		}
	}
	if (ev->type == EV_NODE_UP && ev->nargs > 0 && strcasecmp(ev->args[0], srv.cfg.name) == 0) {
		if (ev->ts != cl.inc_ms)
			return;   /* an earlier incarnation's */
		cl.joined = 1;
	}
	state_apply(ev);
	if (seq && strcmp(ev->node, srv.cfg.name) == 0) {
		struct pend *p = pend_find(seq);
		if (p && p->acked)
			pend_unlink(p);
	}
}

void cl_entry(const redisReply *e)
{
	static struct evdec dec;
	if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 || e->element[0]->type != REDIS_REPLY_STRING ||
	    e->element[0]->len >= CL_ID) {
		log_warn("cluster: malformed stream entry skipped");
		return;
	}
	const char *id = e->element[0]->str;
	snprintf(cl.last_id, sizeof cl.last_id, "%s", id);
	const redisReply *kv = e->element[1];
	if (kv->type != REDIS_REPLY_ARRAY || kv->elements % 2 || kv->elements / 2 > EVCODEC_MAXPAIRS) {
		log_warn("cluster: entry %s: not field/value pairs, skipped", id);
		return;
	}
	int n = (int)kv->elements / 2;
	const char *f[EVCODEC_MAXPAIRS], *v[EVCODEC_MAXPAIRS];
	size_t fl[EVCODEC_MAXPAIRS], vl[EVCODEC_MAXPAIRS];
	for (int i = 0; i < n; i++) {
		const redisReply *a = kv->element[2 * i], *b = kv->element[2 * i + 1];
		if (a->type != REDIS_REPLY_STRING || b->type != REDIS_REPLY_STRING) {
			log_warn("cluster: entry %s: not strings, skipped", id);
			return;
		}
		f[i] = a->str, fl[i] = a->len, v[i] = b->str, vl[i] = b->len;
	}
	char why[256];
	if (evcodec_decode(n, f, fl, v, vl, &dec, why, sizeof why) < 0) {
		log_warn("cluster: entry %s refused: %s", id, why);
		return;
	}
	cl_deliver(&dec.ev, dec.seq, id);
}

static void on_read(redisAsyncContext *ac, void *reply, void *priv)
{
	redisReply *r = reply;
	if (!r || (unsigned)(uintptr_t)priv != L.gen || ac != L.rd)
		return;
	if (r->type == REDIS_REPLY_ERROR) {
		log_error("cluster: reading the stream: %s", r->str);
		link_down(r->str);
		return;
	}
	if (r->type == REDIS_REPLY_ARRAY && r->elements == 1 && r->element[0]->type == REDIS_REPLY_ARRAY &&
	    r->element[0]->elements == 2) {
		const redisReply *entries = r->element[0]->element[1];
		for (size_t i = 0; i < entries->elements && !L.rejoin; i++)
			cl_entry(entries->element[i]);
	}
	if (!L.rejoin)
		read_more();
}

static void read_more(void)
{
	if (L.rd)
		redisAsyncCommand(L.rd, on_read, (void *)(uintptr_t)L.gen,
		                  "XREAD COUNT 1000 BLOCK 2000 STREAMS %s %s", cl.k.log, cl.last_id);
}

/* ---- rejoin after this node's loss */

static void rejoin_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop; (void)revents;
	ev_timer_stop(srv.loop, w);
	char err[512];
	L.gen++;
	if (cl.joined) {
		/* lost by Redis's word before the stream said so: close our clients too */
		struct event ev = { .type = EV_NODE_LOST, .node = srv.cfg.name, .nargs = 1,
		                    .args = { srv.cfg.name },
		                    .text = "this server lost its link to the network; please reconnect" };
		state_apply(&ev);
	}
	cl.joined = 0;
	queue_clear();
	L.seq = L.acked_seq = 0;   /* the join script starts this incarnation's count at 0 */
	redisContext *c = cl_locate(err, sizeof err) < 0 ? NULL : cl_sync_connect(err, sizeof err);
	int rc = c ? cl_reload_and_join(c, err, sizeof err) : -1;
	if (c)
		redisFree(c);
	if (rc < 0) {
		log_error("%s; retrying in 1 s", err);
		ev_timer_set(w, 1.0, 0.);
		ev_timer_start(srv.loop, w);
		return;
	}
	log_info("cluster: rejoined as %s (incarnation %s)", srv.cfg.name, cl.inc);
	L.rejoin = 0;
	ev_timer_set(w, 0., 0.);
	read_more();
}

/* ---- heartbeats and snapshots */

static void on_beat(redisAsyncContext *ac, void *reply, void *priv)
{
	redisReply *r = reply;
	(void)ac; (void)priv;
	L.beat_busy = 0;
	if (!r)
		return;
	if (r->type != REDIS_REPLY_ERROR)
		L.backoff_ms = 0;   /* Redis answers: the next loss starts the backoff afresh */
	if (r->type == REDIS_REPLY_ERROR)
		log_error("cluster: heartbeat: %s", r->str);
	else if (r->type == REDIS_REPLY_INTEGER && r->integer == 0 && cl.joined && !L.rejoin) {
		log_warn("cluster: heartbeat: this node was declared lost");
		L.rejoin = 1;
		ev_timer_start(srv.loop, &L.rejoin_timer);
	}
}

static void beat_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop; (void)w; (void)revents;
	if (!L.up || L.beat_busy || L.rejoin)
		return;
	char ttl[24], counter[24], timeout[24];
	snprintf(ttl, sizeof ttl, "%ld", (long)srv.cfg.node_timeout * 1000);
	snprintf(counter, sizeof counter, "%lu", ++L.beats);
	snprintf(timeout, sizeof timeout, "%d", srv.cfg.node_timeout);
	const char *argv[] = { "EVAL", cl_lua_beat, "4", cl.k.nodes, cl.k.seq, cl.k.log, cl.k.applied,
	                       cl.prefix, srv.cfg.name, cl.inc, ttl, counter, cl.last_id, timeout };
	L.beat_busy = 1;
	redisAsyncCommandArgv(L.cmd, on_beat, NULL, 14, argv, NULL);
}

static void pack_one(const struct event *ev, void *arg)
{
	struct evblob *b = arg;
	if (b->cap != (size_t)-1 && evcodec_pack(b, ev) < 0)
		b->cap = (size_t)-1;   /* out of memory: give up this snapshot */
}

static void on_snap_done(redisAsyncContext *ac, void *reply, void *priv)
{
	redisReply *r = reply;
	(void)ac; (void)priv;
	if (r && r->type == REDIS_REPLY_ERROR)
		log_error("cluster: writing the snapshot: %s", r->str);
	else if (r && r->type == REDIS_REPLY_INTEGER && r->integer >= 0)
		log_debug("cluster: snapshot written, %lld stream entries trimmed", r->integer);
}

static void on_snap_lock(redisAsyncContext *ac, void *reply, void *priv)
{
	redisReply *r = reply;
	(void)ac; (void)priv;
	if (!r || r->type != REDIS_REPLY_STATUS || !L.up || !cl.joined || L.rejoin)
		return;   /* another node has it this time */
	/* taken now, in one go: the state is exactly what the stream up to
	 * last_id made of it. Nothing new since ours: only trim. */
	static char written[CL_ID];
	struct evblob b = { 0 };
	long n = 0;
	if (strcmp(written, cl.last_id) != 0)
		state_snapshot(pack_one, &b);
	snprintf(written, sizeof written, "%s", cl.last_id);
	if (b.cap == (size_t)-1) {
		log_error("cluster: out of memory for the snapshot");
		evblob_free(&b);
		return;
	}
	for (size_t i = 0; i < b.len; i++)
		n += b.p[i] == '\n';   /* a rough count, for the record */
	char count[24];
	snprintf(count, sizeof count, "%ld", n);
	const char *argv[] = { "EVAL", cl_lua_snap, "4", cl.k.snap, cl.k.log, cl.k.applied, cl.k.nodes,
	                       cl.last_id, b.p ? b.p : "", count };
	size_t len[10];
	for (int i = 0; i < 10; i++)
		len[i] = strlen(argv[i]);
	len[8] = b.len;
	redisAsyncCommandArgv(L.cmd, on_snap_done, NULL, 10, argv, len);
	evblob_free(&b);
}

static void snap_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop; (void)w; (void)revents;
	if (!L.up || !cl.joined || L.rejoin)
		return;
	redisAsyncCommand(L.cmd, on_snap_lock, NULL, "SET %s %s NX PX %ld", cl.k.snaplock,
	                  srv.cfg.name, (long)srv.cfg.snapshot_interval * 900);
}

/* ---- the connections */

static void teardown_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop; (void)revents;
	ev_timer_stop(srv.loop, w);
	L.tearing = 1;
	redisAsyncContext *a = L.cmd, *b = L.rd;
	L.cmd = L.rd = NULL;
	if (a)
		redisAsyncFree(a);
	if (b)
		redisAsyncFree(b);
	L.tearing = 0;
	L.backoff_ms = L.backoff_ms ? (L.backoff_ms * 2 > 2000 ? 2000 : L.backoff_ms * 2) : 100;
	ev_timer_set(&L.reconnect, L.backoff_ms / 1000.0, 0.);
	ev_timer_start(srv.loop, &L.reconnect);
}

static void link_down(const char *why)
{
	if (ev_is_active(&L.teardown) || ev_is_active(&L.reconnect))
		return;
	if (L.up)
		log_warn("cluster: lost Redis at %s%s%d (%s): %u events wait; reconnecting", cl.host,
		         cl.port ? ":" : "", cl.port, why, L.unacked);
	L.up = 0;
	L.gen++;
	L.beat_busy = 0;
	resend_all();
	ev_timer_set(&L.teardown, 0., 0.);
	ev_timer_start(srv.loop, &L.teardown);
}

static void on_disconnect(const redisAsyncContext *ac, int status)
{
	(void)status;
	if (L.tearing)
		return;
	if (ac == L.cmd)
		L.cmd = NULL;
	else if (ac == L.rd)
		L.rd = NULL;
	else
		return;
	link_down(ac->errstr[0] ? ac->errstr : "connection closed");
}

static void on_connect(const redisAsyncContext *ac, int status)
{
	if (status == REDIS_OK)
		return;
	if (ac == L.cmd)
		L.cmd = NULL;
	else if (ac == L.rd)
		L.rd = NULL;
	link_down(ac->errstr);
}

/* After a reconnect: did the primary lose entries this node applied (a
 * failover to a replica that lagged, or a restart that lost the tail of
 * its append-only file)? Then the local copy is ahead of the network's:
 * reconcile by rejoining from what the primary has. */
static void on_check(redisAsyncContext *ac, void *reply, void *priv)
{
	redisReply *r = reply;
	(void)ac;
	if (!r || (unsigned)(uintptr_t)priv != L.gen)
		return;
	if (r->type == REDIS_REPLY_ERROR) {
		link_down(r->str);
		return;
	}
	const char *last = "0-0";
	if (r->type == REDIS_REPLY_ARRAY && r->elements == 1 && r->element[0]->type == REDIS_REPLY_ARRAY &&
	    r->element[0]->elements == 2 && r->element[0]->element[0]->type == REDIS_REPLY_STRING)
		last = r->element[0]->element[0]->str;
	if (cl_id_cmp(last, cl.last_id) < 0 && cl.joined) {
		log_error("cluster: Redis at %s%s%d lacks the events after %s that this node applied "
		          "(up to %s): they are lost; reconciling to its state", cl.host, cl.port ? ":" : "",
		          cl.port, last, cl.last_id);
		L.up = 1;
		L.rejoin = 1;
		ev_timer_start(srv.loop, &L.rejoin_timer);
		return;
	}
	L.up = 1;
	if (L.backoff_ms)
		log_info("cluster: Redis at %s%s%d is back; sending %u waiting events", cl.host,
		         cl.port ? ":" : "", cl.port, L.unacked);
	flush();
	if (!L.rejoin)
		read_more();
	beat_cb(srv.loop, &L.beat, 0);
}

static redisAsyncContext *open_one(void)
{
	redisAsyncContext *ac = cl.port ? redisAsyncConnect(cl.host, cl.port) : redisAsyncConnectUnix(cl.host);
	if (!ac)
		return NULL;
	if (ac->err) {
		log_warn("cluster: connecting to Redis: %s", ac->errstr);
		redisAsyncFree(ac);
		return NULL;
	}
	redisLibevAttach(srv.loop, ac);
	redisAsyncSetConnectCallback(ac, on_connect);
	redisAsyncSetDisconnectCallback(ac, on_disconnect);
	if (srv.cfg.redis_password[0])
		redisAsyncCommand(ac, NULL, NULL, "AUTH %s", srv.cfg.redis_password);
	return ac;
}

static void reconnect_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop; (void)revents;
	ev_timer_stop(srv.loop, w);
	char err[256];
	if (cl_locate(err, sizeof err) < 0) {
		log_warn("%s", err);
		link_down("no primary");
		return;
	}
	L.cmd = open_one();
	L.rd = L.cmd ? open_one() : NULL;
	if (L.rd)
		cl_reply_arena(L.rd);
	if (!L.cmd || !L.rd) {
		link_down("cannot connect");
		return;
	}
	load_script();
	redisAsyncCommand(L.cmd, on_check, (void *)(uintptr_t)L.gen, "XREVRANGE %s + - COUNT 1", cl.k.log);
}

void cl_go(void)
{
	ev_init(&L.teardown, teardown_cb);
	ev_init(&L.reconnect, reconnect_cb);
	ev_init(&L.rejoin_timer, rejoin_cb);
	/* always active, and last of the prepare watchers: what conn.c's
	 * prepare pass emits (lines held back for fairness, the QUITs of
	 * closed connections) goes out in the same pass, before the loop
	 * sleeps; a watcher started from inside that pass would wait for the
	 * next wakeup */
	ev_prepare_init(&L.flush_w, flush_cb);
	ev_set_priority(&L.flush_w, EV_MINPRI);
	ev_prepare_start(srv.loop, &L.flush_w);
	ev_timer_init(&L.beat, beat_cb, srv.cfg.heartbeat, srv.cfg.heartbeat);
	ev_timer_start(srv.loop, &L.beat);
	double si = srv.cfg.snapshot_interval;
	ev_timer_init(&L.snap, snap_cb, si, si);
	ev_timer_start(srv.loop, &L.snap);
	L.started = 1;
	ev_timer_set(&L.reconnect, 0., 0.);
	ev_timer_start(srv.loop, &L.reconnect);
}

void cluster_stop(void)
{
	if (!L.started)
		return;
	char err[256];
	redisContext *c = cl_sync_connect(err, sizeof err);
	if (!c) {
		log_warn("%s: the other nodes will notice this one is gone after node_timeout", err);
		return;
	}
	char reason[128];
	snprintf(reason, sizeof reason, "%s shut down", srv.cfg.name);
	const char *argv[] = { "EVAL", cl_lua_leave, "4", cl.k.nodes, cl.k.seq, cl.k.log, cl.k.applied,
	                       srv.cfg.name, cl.inc, cl.k.hb, reason };
	redisReply *r = redisCommandArgv(c, 11, argv, NULL);
	if (r)
		freeReplyObject(r);
	redisFree(c);
	L.started = 0;
}
