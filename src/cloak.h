/* cloak.h - the host other users see: a keyed hash of the address (HMAC-
 * SHA256), never the address itself. Three labels, most specific first,
 * so a channel ban can cover a user, their /24 (IPv4) or /48 (IPv6), or a
 * /16 (/32), without anyone learning the address:
 *   IPv4 a.b.c.d:  H(a.b.c.d).H(a.b.c.0/24).H(a.b.0.0/16).<suffix>
 *   IPv6:          H(/64).H(/48).H(/32).<suffix>   (a /64 is one user)
 * The key comes from the config, or is generated once and kept in the
 * state directory so cloaks survive restarts. */
#ifndef IRCMINI_CLOAK_H
#define IRCMINI_CLOAK_H

#include <stddef.h>

#include "config.h"
#include "netaddr.h"

/* Load or create the key for cfg; logs what it did. Returns 0, or -1
 * with a message in err (only when the config names a bad secret). */
int cloak_setup(const struct config *cfg, char *err, size_t errlen);
/* The host to show for a (the address text when cloaking is off). */
void cloak_host(const struct netaddr *a, char *out, size_t len);

#endif
