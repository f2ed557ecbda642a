/* netaddr.c - see netaddr.h */
#include "netaddr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void netaddr_from_sockaddr(struct netaddr *a, const struct sockaddr_storage *ss)
{
	memset(a, 0, sizeof *a);
	if (ss->ss_family == AF_INET) {
		a->family = AF_INET;
		memcpy(a->b, &((const struct sockaddr_in *)ss)->sin_addr, 4);
	} else if (ss->ss_family == AF_INET6) {
		const struct in6_addr *in6 = &((const struct sockaddr_in6 *)ss)->sin6_addr;
		if (IN6_IS_ADDR_V4MAPPED(in6)) {
			a->family = AF_INET;
			memcpy(a->b, in6->s6_addr + 12, 4);
		} else {
			a->family = AF_INET6;
			memcpy(a->b, in6->s6_addr, 16);
		}
	}
}

int netaddr_parse(struct netaddr *a, const char *text)
{
	memset(a, 0, sizeof *a);
	if (inet_pton(AF_INET, text, a->b) == 1) {
		a->family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, text, a->b) == 1) {
		a->family = AF_INET6;
		return 0;
	}
	return -1;
}

const char *netaddr_text(const struct netaddr *a, char *buf, size_t len)
{
	char t[INET6_ADDRSTRLEN] = "unknown";
	if (a->family == AF_INET || a->family == AF_INET6)
		inet_ntop(a->family, a->b, t, sizeof t);
	snprintf(buf, len, "%s", t);
	return buf;
}

static int maxbits(const struct netaddr *a)
{
	return a->family == AF_INET ? 32 : 128;
}

void netaddr_mask(struct netaddr *a, int bits)
{
	for (int i = 0; i < 16; i++) {
		int keep = bits - i * 8;
		if (keep >= 8)
			continue;
		a->b[i] &= keep <= 0 ? 0 : (uint8_t)(0xff << (8 - keep));
	}
}

int cidr_parse(struct cidr *c, const char *text)
{
	char addr[INET6_ADDRSTRLEN];
	const char *slash = strchr(text, '/');
	size_t n = slash ? (size_t)(slash - text) : strlen(text);
	if (n == 0 || n >= sizeof addr)
		return -1;
	memcpy(addr, text, n);
	addr[n] = '\0';
	if (netaddr_parse(&c->net, addr) < 0)
		return -1;
	int bits = maxbits(&c->net);
	if (slash) {
		char *end;
		long v = strtol(slash + 1, &end, 10);
		if (!slash[1] || *end || v < 0 || v > bits)
			return -1;
		bits = (int)v;
	}
	struct netaddr masked = c->net;
	netaddr_mask(&masked, bits);
	if (memcmp(&masked, &c->net, sizeof masked) != 0)
		return -1;
	c->bits = (uint8_t)bits;
	return 0;
}

int cidr_match(const struct cidr *c, const struct netaddr *a)
{
	if (a->family != c->net.family)
		return 0;
	struct netaddr m = *a;
	netaddr_mask(&m, c->bits);
	return memcmp(m.b, c->net.b, 16) == 0;
}

void cidr_text(const struct cidr *c, char *buf, size_t len)
{
	char t[NETADDR_TEXT];
	netaddr_text(&c->net, t, sizeof t);
	if (c->bits == maxbits(&c->net))
		snprintf(buf, len, "%s", t);
	else
		snprintf(buf, len, "%s/%d", t, c->bits);
}

void netaddr_group(struct netaddr *g, const struct netaddr *a, int v6_prefix)
{
	*g = *a;
	if (a->family == AF_INET6)
		netaddr_mask(g, v6_prefix);
}
