/* event.h - a change of network state: the unit the cluster replicates.
 *
 * Handlers (cmd_*.c) check a command against the state, build an event and
 * call event_emit(). state_apply() (state.c) is the one place where the
 * user and channel tables change and the resulting lines fan out to local
 * clients. On a single node event_emit() applies at once, in the caller's
 * stack, with no encoding. In a cluster (cluster.c) it appends the event to
 * the Redis stream instead, and every node, the origin included, applies
 * events in stream order as they come back; so apply must be deterministic:
 * given the same state and the same event, every node makes the same change
 * (or refuses the event the same way).
 *
 * Users are named by UID (TS6 style: the node's 3-character SID and 6 more
 * characters), never by nick: nicks change, UIDs do not. Channels are named
 * by their name as the first joiner wrote it (the apply layer casemaps).
 *
 * Every string field is borrowed: valid for the duration of event_emit() /
 * state_apply() only; the codec (evcodec.c) copies what it keeps. */
#ifndef IRCMINI_EVENT_H
#define IRCMINI_EVENT_H

#include <stddef.h>
#include <stdint.h>

struct client;
struct channel;

#define EV_MAXARGS 16
#define UID_LEN 9          /* SID (3) + 6 */

/* Stable numbers: they are written to Redis, never renumber. */
enum ev_type {
	EV_INVALID = 0,   /* not EV_NONE: libev (ev.h) defines that name */
	EV_USER = 1,      /* uid appears (registered): args nick, user, host, umodes
	                   * ("+iwo"), ip, and optional args[5] its TLS client
	                   * certificate fingerprint; text realname; ts signon. The
	                   * user belongs to the node whose SID starts the uid. */
	EV_NICK = 2,      /* uid renames: args[0] new nick; ts nick TS */
	EV_JOIN = 3,      /* uid joins chan; ts = channel TS if it creates it.
	                   * Optional args[0]: the member's modes ("o", "ov", "")
	                   * exactly (snapshot); without it the creator gets op */
	EV_PART = 4,      /* uid leaves chan; text reason or NULL */
	EV_KICK = 5,      /* uid kicks target from chan; text reason */
	EV_QUIT = 6,      /* uid leaves the network; text reason */
	EV_KILL = 7,      /* uid (or NULL: a server) kills target; text reason */
	EV_CMODE = 8,     /* uid (or NULL: the node) sets chan modes: args[0]
	                   * "+o-v", args[1..] params, already validated and
	                   * normalised by the handler. Params: o/v the target
	                   * UID, b/e/I a full mask (nick!user@host), +k the key,
	                   * +l the number; -k and -l take none. Optional: text
	                   * the list entry's setter, ts its time (snapshot);
	                   * default the setter's nick and time_ms. */
	EV_UMODE = 9,     /* uid's own modes change: args[0] "+iw-o" */
	EV_TOPIC = 10,    /* uid (or NULL) sets chan topic to text ("" clears).
	                   * Optional: args[0] setter mask, ts topic time
	                   * (snapshot); default the setter's mask and time_ms */
	EV_AWAY = 11,     /* uid away with text, or back (text NULL) */
	EV_SETNAME = 12,  /* uid's realname becomes text */
	EV_INVITE = 13,   /* uid invites target to chan */
	EV_PRIVMSG = 14,  /* uid to chan or target; text; tags client-only tags */
	EV_NOTICE = 15,   /* same shape as PRIVMSG */
	EV_TAGMSG = 16,   /* same shape, no text */
	EV_OPER = 17,     /* uid became an operator (args[0] oper name) */
	EV_NODE_UP = 18,  /* node (args[0] name, args[1] SID, args[2] description) joined;
	                   * ts its start time */
	EV_NODE_LOST = 19,/* node args[0] is gone; every user on it quits; text reason */
	EV_LOGIN = 20,    /* uid (target when set by services) logs in to account
	                   * args[0], or out (nargs 0) */
	EV_CHGHOST = 21,  /* target's visible host becomes args[0] (services vhost) */
	EV_CHANTS = 22,   /* chan's TS becomes ts (older, from a TS6 peer): every
	                   * mode, ban and op/voice on it is cleared first */
	EV_WALLOPS = 23,  /* uid (an operator, or a services user) or, without uid,
	                   * the server args[0] sends text to every user with +w
	                   * and every operator, on every node */
	EV_TYPE_MAX
};

struct event {
	uint8_t type;          /* enum ev_type */
	const char *node;      /* origin node name; event_emit() fills it */
	const char *uid;       /* acting user, or NULL for the server itself */
	const char *target;    /* target user UID (KICK, KILL, INVITE, PRIVMSG) */
	const char *chan;      /* channel name (JOIN, PART, KICK, CMODE, TOPIC, ...) */
	const char *text;      /* reason, topic, message body, realname */
	const char *tags;      /* client-only tags "+a=b;+c" (no '@'), or NULL */
	int nargs;
	const char *args[EV_MAXARGS];
	int64_t ts;            /* a timestamp the type defines (signon, channel TS) */
	int64_t time_ms;       /* when the origin accepted it (server-time) */
	/* Set by the cluster link: the stream entry ID ("1700000000000-3"), the
	 * same on every node, so msgids derived from it agree. NULL on one node. */
	const char *id;
	/* Local only, never encoded: the label of the command that caused it,
	 * so the origin node can label its reply when it applies the event. */
	const char *label;
	/* Local only, never encoded or copied: what the handler already looked
	 * up (the user of uid, of target, the channel of chan), so an event
	 * applied at once, in the handler's stack, is not looked up twice.
	 * NULL: apply looks them up. Meaningless once event_emit() returns. */
	struct client *u_hint, *t_hint;
	struct channel *ch_hint;
};

/* Hand an event to the network: apply now (single node) or append to the
 * cluster stream. Fills node and time_ms when unset. */
void event_emit(struct event *ev);
/* Applying events, snapshots: state.h. */


#endif
