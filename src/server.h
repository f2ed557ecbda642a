/* server.h - the state shared by every handler: config, tables, counters. */
#ifndef IRCMINI_SERVER_H
#define IRCMINI_SERVER_H

#include <ev.h>
#include <time.h>

#include "config.h"

struct client;
struct channel;
struct node;

struct server {
	struct config cfg;
	struct ev_loop *loop;
	const char *config_path;
	time_t started;
	char created[64];          /* for 003 */
	struct client *nicks;      /* uthash by casemapped nick (registered or named) */
	struct client *uids;       /* uthash (hh_uid) by UID: every user, every local connection */
	struct node *nodes;        /* every server of the network (node.h) */
	struct node *me;           /* this one */
	unsigned nnodes;
	struct channel *channels;  /* uthash by casemapped name */
	unsigned connections;      /* open client sockets */
	unsigned users;            /* registered, on the whole network */
	unsigned invisible;
	unsigned opers;
	unsigned max_users;        /* most registered here at once (me->users) */
	unsigned max_global;       /* most registered on the network at once */
	unsigned nchannels;
	unsigned long epoch;       /* visit marks for "everyone sharing a channel" */
	int debug;                 /* -d: log every line in and out */
};

extern struct server srv;

/* Apply config values that live outside struct config (conn limits,
 * address limits, bans, cloak key): at start and after every reload. */
void server_apply_limits(void);

#endif

/* SIGHUP: re-read the config; on error keep the old one. Returns 0 on success. */
int server_reload(void);
/* SIGINT/SIGTERM: ERROR to everyone, flush, stop the loop. */
void server_shutdown(void);
