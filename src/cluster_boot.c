/* cluster_boot.c - joining a cluster: find the primary (sentinels), the
 * blocking checks before listening (network and casemapping as recorded,
 * a name no live node has), bootstrap from the snapshot and the stream
 * after it, and the join itself. Also the Lua scripts: every step that
 * must be atomic on the Redis side is one script (doc/cluster.md). */
#include "cluster_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "casemap.h"
#include "evcodec.h"
#include "log.h"
#include "server.h"
#include "state.h"

/* Append a batch of this node's events, in order, unless this node is
 * not live in this incarnation (it was declared lost: its events must not
 * follow its loss). An event whose sequence number is in already (a
 * resend after a lost reply) is skipped; one past a missing number is
 * refused with GAP (an earlier batch failed, NOSCRIPT say, while this one
 * got through): the node sends from the missing one again. Up to base
 * the node had every event acked, so a gap below it is Redis's loss (a
 * failover, an AOF tail) and accepted, as a single append would have.
 * Returns 1, or 0 when not live.
 * KEYS nodes seq log; ARGV node inc base, then per event: seq, count of
 * fields and values, the fields and values */
const char *const cl_lua_emit =
	"if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then return 0 end\n"
	"local last = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0')\n"
	"local top = math.max(last, tonumber(ARGV[3]))\n"
	"local i = 4\n"
	"while i <= #ARGV do\n"
	"  local s, k = tonumber(ARGV[i]), tonumber(ARGV[i + 1])\n"
	"  if s > top then\n"
	"    if s ~= top + 1 then break end\n"
	"    redis.call('XADD', KEYS[3], '*', unpack(ARGV, i + 2, i + 1 + k))\n"
	"    top = s\n"
	"  end\n"
	"  i = i + 2 + k\n"
	"end\n"
	"if top > last then redis.call('HSET', KEYS[2], ARGV[1], string.format('%d', top)) end\n"
	"if i <= #ARGV then return redis.error_reply('GAP after ' .. string.format('%d', top)) end\n"
	"return 1\n";

/* Heartbeat, and the loss of every node whose heartbeat key lapsed:
 * checked and recorded in one script, so exactly one NODE_LOST per loss.
 * KEYS nodes seq log applied; ARGV prefix node inc ttl_ms counter
 * last_applied timeout_s. Returns 1 when this node is live, 0 if lost. */
const char *const cl_lua_beat =
	"local alive = redis.call('HGET', KEYS[1], ARGV[2]) == ARGV[3]\n"
	"if alive then\n"
	"  redis.call('SET', ARGV[1]..':node:'..ARGV[2], ARGV[3]..':'..ARGV[5], 'PX', ARGV[4])\n"
	"  redis.call('HSET', KEYS[4], ARGV[2], ARGV[6])\n"
	"end\n"
	"local all = redis.call('HGETALL', KEYS[1])\n"
	"for i = 1, #all, 2 do\n"
	"  local name, inc = all[i], all[i+1]\n"
	"  local hb = redis.call('GET', ARGV[1]..':node:'..name)\n"
	"  if not hb or string.sub(hb, 1, #inc + 1) ~= inc..':' then\n"
	"    redis.call('HDEL', KEYS[1], name)\n"
	"    redis.call('HDEL', KEYS[2], name)\n"
	"    redis.call('HDEL', KEYS[4], name)\n"
	"    redis.call('XADD', KEYS[3], '*', 't', '19', 'n', ARGV[2], 'a', name,\n"
	"      'x', name..' lost (no heartbeat for '..ARGV[7]..' s)', 'ts', inc)\n"
	"  end\n"
	"end\n"
	"if alive then return 1 end\n"
	"return 0\n";

/* Join: refuse a SID a live node holds; the loss of this name's previous
 * incarnation first (its users quit), then NODE_UP.
 * KEYS nodes seq log sids applied; ARGV name inc sid description last_id */
const char *const cl_lua_join =
	"local owner = redis.call('HGET', KEYS[4], ARGV[3])\n"
	"if owner and owner ~= ARGV[1] and redis.call('HEXISTS', KEYS[1], owner) == 1 then\n"
	"  return redis.error_reply('SID '..ARGV[3]..' is used by the live node '..owner)\n"
	"end\n"
	"local old = redis.call('HGET', KEYS[1], ARGV[1])\n"
	"if old then\n"
	"  redis.call('XADD', KEYS[3], '*', 't', '19', 'n', ARGV[1], 'a', ARGV[1],\n"
	"    'x', ARGV[1]..' restarted', 'ts', old)\n"
	"end\n"
	"redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])\n"
	"redis.call('HSET', KEYS[2], ARGV[1], '0')\n"
	"redis.call('HSET', KEYS[4], ARGV[3], ARGV[1])\n"
	"redis.call('HSET', KEYS[5], ARGV[1], ARGV[5])\n"
	"return redis.call('XADD', KEYS[3], '*', 't', '18', 'n', ARGV[1], 'a', ARGV[1],\n"
	"  'a', ARGV[3], 'a', ARGV[4], 'ts', ARGV[2])\n";

/* A snapshot covering the stream up to ARGV id, if newer than the one
 * kept; then trim the stream behind the kept one, but never past what a
 * live node has not applied yet (trimming again later, when those nodes
 * caught up, even with nothing new). KEYS snap log applied nodes; ARGV id
 * data events */
const char *const cl_lua_snap =
	"local function lt(a, b)\n"
	"  local am, as = string.match(a, '^(%d+)-(%d+)$')\n"
	"  local bm, bs = string.match(b, '^(%d+)-(%d+)$')\n"
	"  am, as, bm, bs = tonumber(am), tonumber(as), tonumber(bm), tonumber(bs)\n"
	"  return am < bm or (am == bm and as < bs)\n"
	"end\n"
	"local cur = redis.call('HGET', KEYS[1], 'id')\n"
	"local min = ARGV[1]\n"
	"if cur and not lt(cur, ARGV[1]) then min = cur\n"
	"else redis.call('HSET', KEYS[1], 'id', ARGV[1], 'data', ARGV[2], 'events', ARGV[3]) end\n"
	"local ap = redis.call('HGETALL', KEYS[3])\n"
	"for i = 2, #ap, 2 do\n"
	"  if redis.call('HEXISTS', KEYS[4], ap[i-1]) == 1 and lt(ap[i], min) then min = ap[i] end\n"
	"end\n"
	"return redis.call('XTRIM', KEYS[2], 'MINID', min)\n";

/* Leaving on shutdown. KEYS nodes seq log applied; ARGV name inc hbkey reason */
const char *const cl_lua_leave =
	"if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then return 0 end\n"
	"redis.call('HDEL', KEYS[1], ARGV[1])\n"
	"redis.call('HDEL', KEYS[2], ARGV[1])\n"
	"redis.call('HDEL', KEYS[4], ARGV[1])\n"
	"redis.call('DEL', ARGV[3])\n"
	"redis.call('XADD', KEYS[3], '*', 't', '19', 'n', ARGV[1], 'a', ARGV[1], 'x', ARGV[4], 'ts', ARGV[2])\n"
	"return 1\n";

int cl_id_cmp(const char *a, const char *b)
{
	unsigned long long am = 0, as = 0, bm = 0, bs = 0;
	sscanf(a, "%llu-%llu", &am, &as);
	sscanf(b, "%llu-%llu", &bm, &bs);
	if (am != bm)
		return am < bm ? -1 : 1;
	return as < bs ? -1 : as > bs;
}

static const struct timeval quick = { 0, 500000 };
static int failed(redisContext *c, redisReply *r, const char *what, char *err, size_t errlen);

static redisContext *connect_to(const char *host, int port, struct timeval tv)
{
	return port ? redisConnectWithTimeout(host, port, tv) : redisConnectUnixWithTimeout(host, tv);
}

int cl_locate(char *err, size_t errlen)
{
	const struct config *cfg = &srv.cfg;
	if (!cfg->nsentinels) {
		snprintf(cl.host, sizeof cl.host, "%s", cfg->redis.host);
		cl.port = cfg->redis.port;
		return 0;
	}
	for (int i = 0; i < cfg->nsentinels; i++) {
		const struct redis_addr *s = &cfg->sentinels[i];
		redisContext *c = connect_to(s->host, s->port, quick);
		if (!c || c->err) {
			log_warn("cluster: sentinel %s:%d: %s", s->host, s->port, c ? c->errstr : "out of memory");
			if (c)
				redisFree(c);
			continue;
		}
		redisSetTimeout(c, quick);
		redisReply *r = redisCommand(c, "SENTINEL get-master-addr-by-name %s", cfg->master_name);
		int ok = r && r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
		         r->element[0]->type == REDIS_REPLY_STRING && r->element[1]->type == REDIS_REPLY_STRING;
		if (ok) {
			snprintf(cl.host, sizeof cl.host, "%s", r->element[0]->str);
			cl.port = atoi(r->element[1]->str);
		} else {
			log_warn("cluster: sentinel %s:%d does not know the primary \"%s\"", s->host, s->port,
			         cfg->master_name);
		}
		if (r)
			freeReplyObject(r);
		redisFree(c);
		if (ok)
			return 0;
	}
	snprintf(err, errlen, "cluster: no sentinel answered with the address of \"%s\"", cfg->master_name);
	return -1;
}

redisContext *cl_sync_connect(char *err, size_t errlen)
{
	struct timeval tv = { 2, 0 };
	redisContext *c = connect_to(cl.host, cl.port, tv);
	if (!c || c->err) {
		snprintf(err, errlen, "cluster: cannot connect to Redis at %s%s%d: %s", cl.host,
		         cl.port ? ":" : "", cl.port, c ? c->errstr : "out of memory");
		if (c)
			redisFree(c);
		return NULL;
	}
	redisSetTimeout(c, tv);
	if (srv.cfg.redis_password[0]) {
		redisReply *r = redisCommand(c, "AUTH %s", srv.cfg.redis_password);
		int bad = failed(c, r, "Redis AUTH", err, errlen);
		if (r)
			freeReplyObject(r);
		if (bad) {
			redisFree(c);
			return NULL;
		}
	}
	return c;
}

/* A reply that is an error (or none): message into err, -1. */
static int failed(redisContext *c, redisReply *r, const char *what, char *err, size_t errlen)
{
	if (r && r->type != REDIS_REPLY_ERROR)
		return 0;
	snprintf(err, errlen, "cluster: %s: %s", what, r ? r->str : c->errstr);
	return -1;
}

/* network and casemapping: recorded by the first node, checked by all */
static int check_meta(redisContext *c, char *err, size_t errlen)
{
	const char *cm = casemap_name(srv.cfg.casemapping);
	redisReply *r = redisCommand(c, "HSETNX %s network %s", cl.k.meta, srv.cfg.network);
	if (r)
		freeReplyObject(r);
	r = redisCommand(c, "HSETNX %s casemapping %s", cl.k.meta, cm);
	if (r)
		freeReplyObject(r);
	r = redisCommand(c, "HMGET %s network casemapping", cl.k.meta);
	int rc = failed(c, r, "reading the cluster's network", err, errlen);
	if (!rc && (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
	            r->element[0]->type != REDIS_REPLY_STRING || r->element[1]->type != REDIS_REPLY_STRING)) {
		snprintf(err, errlen, "cluster: %s is not a hash of network and casemapping", cl.k.meta);
		rc = -1;
	}
	if (!rc && strcmp(r->element[0]->str, srv.cfg.network) != 0) {
		snprintf(err, errlen, "cluster: [server] network is \"%s\" here but \"%s\" in the cluster "
		         "(prefix %s): every node must have the same", srv.cfg.network, r->element[0]->str,
		         cl.prefix);
		rc = -1;
	} else if (!rc && strcmp(r->element[1]->str, cm) != 0) {
		snprintf(err, errlen, "cluster: [server] casemapping is %s here but %s in the cluster "
		         "(prefix %s): every node must have the same", cm, r->element[1]->str, cl.prefix);
		rc = -1;
	}
	if (r)
		freeReplyObject(r);
	return rc;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

/* The name is this node's while its heartbeat key lives. A key that
 * still changes belongs to a live node: refuse. One that does not is a
 * dead node's (a restart soon after a crash): wait for it to lapse. */
static int claim_name(redisContext *c, char *err, size_t errlen)
{
	const struct config *cfg = &srv.cfg;
	long ttl = (long)cfg->node_timeout * 1000, waited = 0;
	long watch = (long)cfg->heartbeat * 2000 + 500;   /* a live node beats within this */
	char first[64] = "";
	for (;;) {
		redisReply *r = redisCommand(c, "SET %s %s:0 NX PX %ld", cl.k.hb, cl.inc, ttl);
		if (failed(c, r, "claiming the node name", err, errlen)) {
			if (r)
				freeReplyObject(r);
			return -1;
		}
		int got = r->type == REDIS_REPLY_STATUS;
		freeReplyObject(r);
		if (got)
			return 0;
		r = redisCommand(c, "GET %s", cl.k.hb);
		char now[64] = "";
		if (r && r->type == REDIS_REPLY_STRING)
			snprintf(now, sizeof now, "%s", r->str);
		if (r)
			freeReplyObject(r);
		if (!first[0])
			snprintf(first, sizeof first, "%s", now);
		else if (now[0] && strcmp(now, first) != 0) {
			snprintf(err, errlen, "cluster: a live node named %s is already in the cluster "
			         "(prefix %s); give this one another [server] name", cfg->name, cl.prefix);
			return -1;
		}
		if (waited == 0)
			log_info("cluster: the name %s was in use by a node; waiting up to %ld s to see "
			         "whether it is still live", cfg->name, (ttl + 999) / 1000);
		if (waited > ttl + watch) {
			snprintf(err, errlen, "cluster: the heartbeat key of %s does not lapse", cfg->name);
			return -1;
		}
		sleep_ms(250);
		waited += 250;
	}
}

/* The append script is sent by its SHA1 (EVALSHA): Redis names it here. */
static int load_emit_script(redisContext *c, char *err, size_t errlen)
{
	redisReply *r = redisCommand(c, "SCRIPT LOAD %s", cl_lua_emit);
	int rc = failed(c, r, "loading the append script", err, errlen);
	if (!rc && (r->type != REDIS_REPLY_STRING || r->len >= sizeof cl.emit_sha)) {
		snprintf(err, errlen, "cluster: SCRIPT LOAD: not a SHA1");
		rc = -1;
	}
	if (!rc)
		snprintf(cl.emit_sha, sizeof cl.emit_sha, "%s", r->str);
	if (r)
		freeReplyObject(r);
	return rc;
}

static void apply_boot(const struct event *ev, void *arg)
{
	cl_deliver((struct event *)ev, 0, arg);
}

/* The snapshot, then every entry after it, applied in order. */
static int load(redisContext *c, char *err, size_t errlen)
{
	snprintf(cl.last_id, sizeof cl.last_id, "0-0");
	redisReply *r = redisCommand(c, "HMGET %s id data", cl.k.snap);
	if (failed(c, r, "reading the snapshot", err, errlen)) {
		if (r)
			freeReplyObject(r);
		return -1;
	}
	if (r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
	    r->element[0]->type == REDIS_REPLY_STRING && r->element[1]->type == REDIS_REPLY_STRING &&
	    r->element[0]->len < CL_ID) {
		char why[256];
		const char *id = r->element[0]->str;
		long n = evcodec_unpack(r->element[1]->str, r->element[1]->len, apply_boot, (void *)id,
		                        why, sizeof why);
		if (n < 0) {
			/* all or nothing: nothing was applied; start from the stream's
			 * beginning, which may have been trimmed (logged) */
			log_error("cluster: snapshot %s refused (%s); reading the whole stream", id, why);
		} else {
			snprintf(cl.last_id, sizeof cl.last_id, "%s", id);
			log_info("cluster: snapshot %s: %ld events", id, n);
		}
	}
	freeReplyObject(r);
	long entries = 0;
	for (;;) {
		r = redisCommand(c, "XRANGE %s (%s + COUNT 1000", cl.k.log, cl.last_id);
		if (failed(c, r, "reading the stream", err, errlen)) {
			if (r)
				freeReplyObject(r);
			return -1;
		}
		size_t n = r->type == REDIS_REPLY_ARRAY ? r->elements : 0;
		for (size_t i = 0; i < n; i++)
			cl_entry(r->element[i]);
		entries += (long)n;
		freeReplyObject(r);
		if (n < 1000)
			break;
	}
	log_info("cluster: %ld stream entries after it, up to %s", entries, cl.last_id);
	return 0;
}

static int join(redisContext *c, char *err, size_t errlen)
{
	const char *argv[] = { "EVAL", cl_lua_join, "5", cl.k.nodes, cl.k.seq, cl.k.log, cl.k.sids,
	                       cl.k.applied, srv.cfg.name, cl.inc, srv.cfg.sid, srv.cfg.description,
	                       cl.last_id };
	redisReply *r = redisCommandArgv(c, 13, argv, NULL);
	int rc = failed(c, r, "joining", err, errlen);
	if (r)
		freeReplyObject(r);
	return rc;
}

static void new_incarnation(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	int64_t ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	cl.inc_ms = ms > cl.inc_ms ? ms : cl.inc_ms + 1;
	snprintf(cl.inc, sizeof cl.inc, "%" PRId64, cl.inc_ms);
}

int cl_reload_and_join(redisContext *c, char *err, size_t errlen)
{
	cl.joined = 0;
	state_reset_remote(NULL);
	new_incarnation();
	if (load(c, err, errlen) < 0)
		return -1;
	/* our old heartbeat key (if any) names the lost incarnation */
	redisReply *r = redisCommand(c, "SET %s %s:0 PX %ld", cl.k.hb, cl.inc,
	                             (long)srv.cfg.node_timeout * 1000);
	if (r)
		freeReplyObject(r);
	return join(c, err, errlen);
}

static void key(char *dst, const char *what)
{
	snprintf(dst, CL_KEY, "%s:%s", cl.prefix, what);
}

int cluster_start(char *err, size_t errlen)
{
	cl.prefix = config_cluster_prefix(&srv.cfg);
	key(cl.k.log, "log");
	key(cl.k.meta, "meta");
	key(cl.k.nodes, "nodes");
	key(cl.k.seq, "seq");
	key(cl.k.applied, "applied");
	key(cl.k.sids, "sids");
	key(cl.k.snap, "snapshot");
	key(cl.k.snaplock, "snapshot-lock");
	snprintf(cl.k.hb, CL_KEY, "%s:node:%s", cl.prefix, srv.cfg.name);
	new_incarnation();

	if (cl_locate(err, errlen) < 0)
		return -1;
	redisContext *c = cl_sync_connect(err, errlen);
	if (!c)
		return -1;
	int rc = check_meta(c, err, errlen);
	if (!rc)
		rc = load_emit_script(c, err, errlen);
	if (!rc)
		rc = claim_name(c, err, errlen);
	if (!rc)
		rc = load(c, err, errlen);
	if (!rc)
		rc = join(c, err, errlen);
	redisFree(c);
	if (!rc)
		cl_go();
	if (!rc)
		log_info("cluster: joined as %s (SID %s) at %s%s%d, prefix %s", srv.cfg.name, srv.cfg.sid,
		         cl.host, cl.port ? ":" : "", cl.port, cl.prefix);
	return rc;
}
