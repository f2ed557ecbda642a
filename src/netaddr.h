/* netaddr.h - a peer address in binary form, CIDR blocks, and the "group"
 * an address belongs to (itself for IPv4, its /64 for IPv6): the unit that
 * limits, throttles and cloaks count as one user. */
#ifndef IRCMINI_NETADDR_H
#define IRCMINI_NETADDR_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define NETADDR_TEXT 48

struct netaddr {
	uint8_t family;    /* AF_INET or AF_INET6; 0 = unknown */
	uint8_t b[16];     /* IPv4 in the first 4 bytes; the rest zero */
};

struct cidr {
	struct netaddr net; /* already masked to bits */
	uint8_t bits;
};

/* From an accepted peer; an IPv4-mapped IPv6 address becomes IPv4, so a
 * dual-stack listener cannot be used to dodge an IPv4 limit or ban. */
void netaddr_from_sockaddr(struct netaddr *a, const struct sockaddr_storage *ss);
/* "192.0.2.1" or "2001:db8::1"; returns 0 or -1. */
int netaddr_parse(struct netaddr *a, const char *text);
const char *netaddr_text(const struct netaddr *a, char *buf, size_t len);
/* Zero every bit past the first `bits`. */
void netaddr_mask(struct netaddr *a, int bits);
/* "192.0.2.0/24", "2001:db8::/32" or a bare address (a /32 or /128);
 * host bits set under the mask are an error (a typo, not a block).
 * Returns 0 or -1. */
int cidr_parse(struct cidr *c, const char *text);
int cidr_match(const struct cidr *c, const struct netaddr *a);
/* "192.0.2.0/24" (a single address without the suffix). */
void cidr_text(const struct cidr *c, char *buf, size_t len);
/* The group `a` is counted in: IPv4 as is, IPv6 masked to v6_prefix. */
void netaddr_group(struct netaddr *g, const struct netaddr *a, int v6_prefix);

#endif
