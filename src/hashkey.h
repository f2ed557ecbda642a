/* hashkey.h - the keyed hash every uthash table uses.
 *
 * uthash's default (Jenkins) is unkeyed: anyone can compute names that
 * collide, and 10,000 nicks in one bucket turn each lookup into a list
 * walk (issue 15, item 5). Here every table hashes with SipHash-2-4 under
 * a key drawn from getrandom() once per process, so collisions cannot be
 * crafted offline. Include this instead of <uthash.h>, always: a table
 * hashed two ways would lose entries. */
#ifndef IRCMINI_HASHKEY_H
#define IRCMINI_HASHKEY_H

#include <stddef.h>
#include <stdint.h>

#ifdef UTHASH_H
#error "include hashkey.h before (instead of) <uthash.h>"
#endif

/* SipHash-2-4 of data under the process key (drawn on first use). */
uint64_t hashkey_sip(const void *data, size_t len);
/* SipHash-2-4 under an explicit 16-byte key (tests, reference vectors). */
uint64_t hashkey_sip_with(const unsigned char key[16], const void *data, size_t len);
/* Draw the process key now (main() calls it before any table exists). */
void hashkey_init(void);

#define HASH_FUNCTION(keyptr, keylen, hashv) \
	((hashv) = (unsigned)hashkey_sip((keyptr), (size_t)(keylen)))
#include <uthash.h>

#endif
