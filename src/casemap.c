/* casemap.c - see casemap.h */
#include "casemap.h"


size_t casemap_fold(enum casemapping cm, char *dst, size_t cap, const char *src)
{
	size_t n = 0;
	while (src[n] && n + 1 < cap) {
		dst[n] = (char)casemap_fold_byte(cm, (unsigned char)src[n]);
		n++;
	}
	dst[n] = '\0';
	return n;
}

int casemap_cmp(enum casemapping cm, const char *a, const char *b)
{
	const unsigned char *x = (const unsigned char *)a, *y = (const unsigned char *)b;
	while (*x && casemap_fold_byte(cm, *x) == casemap_fold_byte(cm, *y)) {
		x++;
		y++;
	}
	return (int)casemap_fold_byte(cm, *x) - (int)casemap_fold_byte(cm, *y);
}

const char *casemap_name(enum casemapping cm)
{
	return cm == CASEMAP_ASCII ? "ascii" : "rfc1459";
}
