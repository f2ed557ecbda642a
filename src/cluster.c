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

struct cl cl;

static struct {
	int started;
	redisAsyncContext *cmd, *rd;
	int up;               /* connected and checked: appends flow */
	int tearing;
	int backoff_ms;
	unsigned gen;         /* bumped on reconnect and rejoin: stale XREAD replies are dropped */
	int beat_busy;
	unsigned long beats;
	int rejoin;           /* this node saw its own loss: rejoin outside the callbacks */
	ev_timer teardown, reconnect, beat, snap, rejoin_timer;
} L;

int cluster_active(void)
{
	return L.started;
}

static void read_more(void);

/* ---- what the queue (cluster_queue.c) asks of the link */

redisAsyncContext *cl_cmd(void)
{
	/* not while a rejoin is due: what waits belongs to the incarnation
	 * being given up, and goes with it */
	return L.up && !L.rejoin ? L.cmd : NULL;
}

void cl_link_ok(void)
{
	L.backoff_ms = 0;
}

int cl_rejoin_due(void)
{
	return L.rejoin;
}

void cl_rejoin_soon(void)
{
	L.rejoin = 1;
	ev_timer_start(srv.loop, &L.rejoin_timer);
}

/* ---- applying what comes back */

void cl_deliver(struct event *ev, uint64_t seq, const char *id)
{
	ev->id = id;
	ev->label = NULL;
	int ours = seq && strcmp(ev->node, srv.cfg.name) == 0;
	if (ours)
		ev->label = cl_queue_arrived(seq);
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
			cl_rejoin_soon();
			return;
		}
	}
	if (ev->type == EV_NODE_UP && ev->nargs > 0 && strcasecmp(ev->args[0], srv.cfg.name) == 0) {
		if (ev->ts != cl.inc_ms)
			return;   /* an earlier incarnation's */
		cl.joined = 1;
	}
	state_apply(ev);
	if (ours)
		cl_queue_applied(seq);
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
		cl_link_down(r->str);
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
	cl_queue_clear();
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
		cl_rejoin_soon();
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

void cl_link_down(const char *why)
{
	if (ev_is_active(&L.teardown) || ev_is_active(&L.reconnect))
		return;
	if (L.up)
		log_warn("cluster: lost Redis at %s%s%d (%s): %u events wait; reconnecting", cl.host,
		         cl.port ? ":" : "", cl.port, why, cl_queue_waiting());
	L.up = 0;
	L.gen++;
	L.beat_busy = 0;
	cl_queue_resend();
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
	cl_link_down(ac->errstr[0] ? ac->errstr : "connection closed");
}

static void on_connect(const redisAsyncContext *ac, int status)
{
	if (status == REDIS_OK)
		return;
	if (ac == L.cmd)
		L.cmd = NULL;
	else if (ac == L.rd)
		L.rd = NULL;
	cl_link_down(ac->errstr);
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
		cl_link_down(r->str);
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
		cl_rejoin_soon();
		return;
	}
	L.up = 1;
	if (L.backoff_ms)
		log_info("cluster: Redis at %s%s%d is back; sending %u waiting events", cl.host,
		         cl.port ? ":" : "", cl.port, cl_queue_waiting());
	cl_queue_flush();
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
		cl_link_down("no primary");
		return;
	}
	L.cmd = open_one();
	L.rd = L.cmd ? open_one() : NULL;
	if (L.rd)
		cl_reply_arena(L.rd);
	if (!L.cmd || !L.rd) {
		cl_link_down("cannot connect");
		return;
	}
	cl_queue_load_script(L.cmd);
	redisAsyncCommand(L.cmd, on_check, (void *)(uintptr_t)L.gen, "XREVRANGE %s + - COUNT 1", cl.k.log);
}

void cl_go(void)
{
	ev_init(&L.teardown, teardown_cb);
	ev_init(&L.reconnect, reconnect_cb);
	ev_init(&L.rejoin_timer, rejoin_cb);
	cl_queue_start();
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
