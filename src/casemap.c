/* casemap.c - see casemap.h */
#include "casemap.h"

static inline unsigned char fold(enum casemapping cm, unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c + 32;
	/* rfc1459: []\~ are the upper case of {}|^ (Scandinavian origin) */
	if (cm == CASEMAP_RFC1459 && c >= '[' && c <= '^')
		return c + 32;
	return c;
}

size_t casemap_fold(enum casemapping cm, char *dst, size_t cap, const char *src)
{
	size_t n = 0;
	while (src[n] && n + 1 < cap) {
		dst[n] = (char)fold(cm, (unsigned char)src[n]);
		n++;
	}
	dst[n] = '\0';
	return n;
}

int casemap_cmp(enum casemapping cm, const char *a, const char *b)
{
	const unsigned char *x = (const unsigned char *)a, *y = (const unsigned char *)b;
	while (*x && fold(cm, *x) == fold(cm, *y)) {
		x++;
		y++;
	}
	return (int)fold(cm, *x) - (int)fold(cm, *y);
}

const char *casemap_name(enum casemapping cm)
{
	return cm == CASEMAP_ASCII ? "ascii" : "rfc1459";
}

int casemap_match(enum casemapping cm, const char *mask, const char *str)
{
	const unsigned char *m = (const unsigned char *)mask, *s = (const unsigned char *)str;
	const unsigned char *star = NULL, *back = NULL;

	/* iterative glob with single backtrack point: linear-ish, no recursion,
	 * so a hostile mask like "*a*a*a*a*b" cannot blow the stack */
	while (*s) {
		if (*m == '*') {
			star = ++m;
			back = s;
		} else if (*m == '?' || (*m && fold(cm, *m) == fold(cm, *s))) {
			m++;
			s++;
		} else if (star) {
			m = star;
			s = ++back;
		} else {
			return 0;
		}
	}
	while (*m == '*')
		m++;
	return *m == '\0';
}
