/* node.h - the servers of the network: this one and, in a cluster, the
 * other ircmini nodes (or a services server). A few entries: a list. */
#ifndef IRCMINI_NODE_H
#define IRCMINI_NODE_H

#include <stdint.h>

struct node {
	struct node *next;
	char name[64];
	char sid[4];
	char description[128];
	unsigned users;            /* its registered users */
	int64_t since;             /* when it came up (NODE_UP ts) */
};

/* This node, made from [server] name, sid, description (config reload
 * refreshes the name and description; the SID stays). */
void node_init_self(void);
struct node *node_find(const char *name);
struct node *node_find_sid(const char *sid);   /* first 3 chars of sid */
/* Add or update; NULL when the SID belongs to another name. */
struct node *node_up(const char *name, const char *sid, const char *description, int64_t since);
/* Forget a node (never this one); its users must be gone. */
void node_remove(struct node *n);

#endif
