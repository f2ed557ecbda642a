/* secret.h - comparing a secret without telling how much of it matched. */
#ifndef IRCMINI_SECRET_H
#define IRCMINI_SECRET_H

#include <stddef.h>
#include <string.h>

/* 1 when `given` equals `secret`. Time depends on the lengths only, never
 * on where the first difference is (strcmp stops there, which lets a
 * patient client guess the connection password byte by byte). */
static inline int secret_equal(const char *given, const char *secret)
{
	size_t gl = strlen(given), sl = strlen(secret);
	volatile unsigned char diff = (unsigned char)(gl != sl);
	for (size_t i = 0; i < sl; i++)
		diff |= (unsigned char)(secret[i] ^ given[i < gl ? i : 0]);
	return diff == 0;
}

#endif
