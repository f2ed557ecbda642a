/* cluster_int.h - what cluster.c (the running link) and cluster_boot.c
 * (connect, checks, bootstrap, join) share. Not for other files. */
#ifndef IRCMINI_CLUSTER_INT_H
#define IRCMINI_CLUSTER_INT_H

#include <stdint.h>

#include <hiredis/hiredis.h>
#include <hiredis/async.h>

#include "event.h"

#define CL_KEY 96
#define CL_ID 48   /* "<ms>-<seq>" */

struct cl_keys {
	char log[CL_KEY];      /* the stream of events */
	char meta[CL_KEY];     /* hash: network, casemapping */
	char nodes[CL_KEY];    /* hash: live node name -> incarnation */
	char seq[CL_KEY];      /* hash: node -> last sequence number appended */
	char applied[CL_KEY];  /* hash: node -> last stream ID it applied */
	char sids[CL_KEY];     /* hash: SID -> node name */
	char snap[CL_KEY];     /* hash: id, data, events */
	char snaplock[CL_KEY];
	char hb[CL_KEY];       /* this node's heartbeat key */
};

struct cl {
	struct cl_keys k;
	const char *prefix;
	char inc[24];           /* this incarnation (join time in ms), as text */
	int64_t inc_ms;
	char last_id[CL_ID];    /* last stream entry applied */
	int joined;             /* our NODE_UP of this incarnation is applied */
	char host[256];         /* the primary in use */
	int port;               /* 0: unix socket */
	char emit_sha[48];      /* SHA1 of cl_lua_emit, as Redis names it */
};

extern struct cl cl;

/* The Lua scripts (cluster_boot.c): atomic steps on the Redis side. */
extern const char *const cl_lua_emit, *const cl_lua_beat, *const cl_lua_join,
	*const cl_lua_snap, *const cl_lua_leave;

/* Where the primary is (asks the sentinels when configured). Blocking,
 * short timeouts. */
int cl_locate(char *err, size_t errlen);
/* A blocking connection to the primary, authenticated. */
redisContext *cl_sync_connect(char *err, size_t errlen);
/* Drop the replicated view and load it again from the snapshot and the
 * stream after it, then join with a new incarnation. Blocking. */
int cl_reload_and_join(redisContext *c, char *err, size_t errlen);
/* Apply one event read from Redis (bootstrap or stream): this node's own
 * loss, stale losses and labels are handled here. */
void cl_deliver(struct event *ev, uint64_t seq, const char *id);
/* Decode and deliver one stream entry (an [id, [field, value, ...]]
 * reply); last_id moves past it even when it is refused. */
void cl_entry(const redisReply *e);
/* Start the async link and the timers (after a successful start). */
void cl_go(void);
/* Build this connection's replies in one arena (cluster_reply.c): for
 * the connection that reads the stream. */
void cl_reply_arena(redisAsyncContext *ac);
/* The arena's object functions (for contrib/fuzz/fuzz_clreply.c); one
 * reader at a time may use them. */
redisReplyObjectFunctions *cl_reply_functions(void);
/* The outgoing queue (cluster_queue.c). */
void cl_queue_start(void);                 /* the flush watcher */
void cl_queue_flush(void);                 /* send what waits, in batches */
void cl_queue_resend(void);                /* everything unanswered again, in order */
void cl_queue_clear(void);                 /* drop it all: a new incarnation */
void cl_queue_load_script(redisAsyncContext *cmd);
const char *cl_queue_arrived(uint64_t seq); /* our event seq is read back: its label */
void cl_queue_applied(uint64_t seq);       /* ... and applied */
unsigned cl_queue_waiting(void);           /* events not yet acked by Redis */

/* What the queue asks of the link (cluster.c). */
redisAsyncContext *cl_cmd(void);           /* the command connection, NULL while appends must wait */
void cl_link_down(const char *why);        /* reconnect (and send again) */
void cl_link_ok(void);                     /* Redis answered: the next loss backs off afresh */
int cl_rejoin_due(void);
void cl_rejoin_soon(void);                 /* this node was declared lost: rejoin */

/* Compare stream IDs: <0, 0, >0. */
int cl_id_cmp(const char *a, const char *b);

#endif
