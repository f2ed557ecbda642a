/* state.h - the apply layer: the one place where the replicated network
 * state (users by nick and UID, nodes, channels, memberships, modes,
 * topics, away, invites, bans) changes, and where the lines a change
 * causes fan out to this node's clients. See doc/state.md. */
#ifndef IRCMINI_STATE_H
#define IRCMINI_STATE_H

#include "event.h"

/* Every node applies every event here, in the same order; the event is
 * refused or taken the same way on every node (deterministic: no clock,
 * no randomness, only the event and the state before it). A malformed
 * event or an unknown uid is logged and dropped. */
void state_apply(const struct event *ev);

/* The events that rebuild the whole network state on an empty node:
 * NODE_UP per node, USER (+AWAY) per user, per channel JOINs keeping
 * member modes (the first carries the channel TS), CMODE (flags, key,
 * limit; one per +b, +e, +I entry with setter and time), TOPIC with
 * setter and time, INVITE per pending invitation. Strings are borrowed,
 * valid during out(). */
void state_snapshot(void (*out)(const struct event *ev, void *arg), void *arg);

/* Drop every user of every other node and forget those nodes; this
 * node's users stay. With a reason, this node's clients see each dropped
 * user QUIT with it; with NULL, nothing is sent (the view is rebuilt from
 * a snapshot next, e.g. after the node was declared lost). */
void state_reset_remote(const char *reason);

#endif
