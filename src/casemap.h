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

/* Glob match (* and ?) of a mask against a string, case-folded. */
int casemap_match(enum casemapping cm, const char *mask, const char *str);

#endif
