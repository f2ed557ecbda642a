/* node.c - see node.h */
#include "node.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "server.h"

void node_init_self(void)
{
	struct node *me = srv.me;
	if (!me) {
		me = calloc(1, sizeof *me);
		if (!me)
			abort();  /* at start-up only */
		snprintf(me->sid, sizeof me->sid, "%s", srv.cfg.sid);
		me->since = (int64_t)time(NULL);
		me->next = srv.nodes;
		srv.nodes = me;
		srv.nnodes++;
		srv.me = me;
	}
	snprintf(me->name, sizeof me->name, "%s", srv.cfg.name);
	snprintf(me->description, sizeof me->description, "%s", srv.cfg.description);
}

struct node *node_find(const char *name)
{
	for (struct node *n = srv.nodes; n; n = n->next)
		if (strcasecmp(n->name, name) == 0)
			return n;
	return NULL;
}

struct node *node_find_sid(const char *sid)
{
	for (struct node *n = srv.nodes; n; n = n->next)
		if (strncmp(n->sid, sid, 3) == 0)
			return n;
	return NULL;
}

struct node *node_up(const char *name, const char *sid, const char *description, int64_t since)
{
	struct node *n = node_find(name), *s = node_find_sid(sid);
	if (s && s != n)
		return NULL;
	if (!n) {
		if (!(n = calloc(1, sizeof *n)))
			return NULL;
		snprintf(n->name, sizeof n->name, "%s", name);
		n->next = srv.nodes;
		srv.nodes = n;
		srv.nnodes++;
	}
	if (n != srv.me)
		snprintf(n->sid, sizeof n->sid, "%s", sid);
	snprintf(n->description, sizeof n->description, "%s", description ? description : "");
	if (since)
		n->since = since;
	return n;
}

void node_remove(struct node *n)
{
	if (n == srv.me)
		return;
	for (struct node **pp = &srv.nodes; *pp; pp = &(*pp)->next)
		if (*pp == n) {
			*pp = n->next;
			srv.nnodes--;
			free(n);
			return;
		}
}
