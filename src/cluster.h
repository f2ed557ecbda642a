/* cluster.h - the Redis link: nodes that share one network state through
 * a Redis stream (doc/cluster.md). Only with [cluster] in the config;
 * without it none of this runs and event_emit() applies at once. */
#ifndef IRCMINI_CLUSTER_H
#define IRCMINI_CLUSTER_H

#include <stddef.h>

#include "event.h"

#ifdef HAVE_HIREDIS
/* Before listening: connect, check network/casemapping against the
 * cluster's, claim this node's name, load the snapshot and the stream
 * after it, announce this node. Blocks (bounded by timeouts). Returns 0,
 * or -1 with a message in err. */
int cluster_start(char *err, size_t errlen);
/* Running as a cluster node. */
int cluster_active(void);
/* event_emit() in a cluster: append to the stream (a bounded local queue
 * while Redis is unreachable). The event is applied when it comes back. */
void cluster_emit(struct event *ev);
/* Shutdown: record this node's departure (its users quit everywhere). */
void cluster_stop(void);
#else
static inline int cluster_active(void) { return 0; }
static inline void cluster_emit(struct event *ev) { (void)ev; }
static inline void cluster_stop(void) {}
#endif

#endif
