/* casemap.h - IRC nick/channel case folding (CASEMAPPING in 005). */
#ifndef IRCMINI_CASEMAP_H
#define IRCMINI_CASEMAP_H

#include <stddef.h>

enum casemapping { CASEMAP_RFC1459 = 0, CASEMAP_ASCII };

/* Fold src into dst (capacity cap incl. NUL); returns length. */
size_t casemap_fold(enum casemapping cm, char *dst, size_t cap, const char *src);
/* Compare two names under the mapping; 0 when equal. */
int casemap_cmp(enum casemapping cm, const char *a, const char *b);
const char *casemap_name(enum casemapping cm);

/* One byte folded: A-Z to a-z; under rfc1459 also []\\^ to {}|~
 * (Scandinavian origin). Glob masks are in match.h. */
static inline unsigned char casemap_fold_byte(enum casemapping cm, unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c + 32;
	if (cm == CASEMAP_RFC1459 && c >= '[' && c <= '^')
		return c + 32;
	return c;
}

#endif
