/* event.c - event_emit on a single node: apply at once, in the caller's
 * stack (no queue, no copy, no encoding). The cluster link takes over
 * here when it is configured. */
#include "event.h"

#include "cluster.h"
#include "send.h"
#include "server.h"
#include "state.h"

void event_emit(struct event *ev)
{
	if (!ev->node)
		ev->node = srv.cfg.name;
	if (!ev->time_ms)
		ev->time_ms = srv.loop ? (int64_t)(ev_now(srv.loop) * 1000) : 0;
	if (!ev->label)
		ev->label = send_label_for(ev->uid);
	if (cluster_active()) {
		cluster_emit(ev);   /* applied when it comes back from the stream */
		return;
	}
	state_apply(ev);
}
