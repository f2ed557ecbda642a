/* ts6_out.c - the burst and applied state events, as TS6 lines for
 * services (see ts6.h). */
#include <stdio.h>

#include "server.h"
#include "ts6.h"
#include "event.h"

void ts6_out_burst(void)
{
	/* end of burst: services answer with PONG */
	ts6_send(":%s PING %s %s", srv.cfg.sid, srv.cfg.name, ts6_peer_name);
}

void ts6_event(const struct event *ev)
{
	(void)ev;
}
