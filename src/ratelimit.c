/* ratelimit.c - see ratelimit.h */
#include "ratelimit.h"

#include <stdio.h>
#include <string.h>

#include "hashkey.h"
#include "netaddr.h"
#include "server.h"

#define ADDR_SLOTS 1024

static struct addr_slot slots[ADDR_SLOTS];

int bucket_take(struct bucket *b, double now, int per_minute)
{
	if (per_minute <= 0)
		return 1;
	double cap = per_minute;
	if (b->last == 0) {
		b->tokens = cap;
	} else {
		b->tokens += (now - b->last) * cap / 60.0;
		if (b->tokens > cap)
			b->tokens = cap;
	}
	b->last = now;
	if (b->tokens < 1)
		return 0;
	b->tokens -= 1;
	return 1;
}

double bucket_wait(const struct bucket *b, int per_minute)
{
	if (per_minute <= 0 || b->tokens >= 1)
		return 0;
	return (1 - b->tokens) * 60.0 / per_minute;
}

struct addr_slot *addr_slot(const char *ip)
{
	/* an address's group (an IPv6 /64 is one user, netaddr.h) */
	char addr[NETADDR_TEXT];
	struct netaddr a, g;
	if (netaddr_parse(&a, ip) == 0) {
		netaddr_group(&g, &a, srv.cfg.ipv6_prefix);
		netaddr_text(&g, addr, sizeof addr);
	} else {
		snprintf(addr, sizeof addr, "%s", ip);
	}
	struct addr_slot *e = &slots[hashkey_sip(addr, strlen(addr)) % ADDR_SLOTS];
	if (strcmp(e->addr, addr) != 0) {
		memset(e, 0, sizeof *e);
		snprintf(e->addr, sizeof e->addr, "%s", addr);
	}
	return e;
}
