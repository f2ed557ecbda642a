/* hashkey.c - see hashkey.h. SipHash-2-4 as specified by Aumasson and
 * Bernstein ("SipHash: a fast short-input PRF", 2012). */
#include "hashkey.h"

#include <fcntl.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

static unsigned char process_key[16];
static int have_key;

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND                                                          \
	do {                                                              \
		v0 += v1; v1 = ROTL(v1, 13); v1 ^= v0; v0 = ROTL(v0, 32); \
		v2 += v3; v3 = ROTL(v3, 16); v3 ^= v2;                    \
		v0 += v3; v3 = ROTL(v3, 21); v3 ^= v0;                    \
		v2 += v1; v1 = ROTL(v1, 17); v1 ^= v2; v2 = ROTL(v2, 32); \
	} while (0)

static uint64_t load_le64(const unsigned char *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

uint64_t hashkey_sip_with(const unsigned char key[16], const void *data, size_t len)
{
	const unsigned char *in = data;
	uint64_t k0 = load_le64(key), k1 = load_le64(key + 8);
	uint64_t v0 = k0 ^ 0x736f6d6570736575ULL, v1 = k1 ^ 0x646f72616e646f6dULL;
	uint64_t v2 = k0 ^ 0x6c7967656e657261ULL, v3 = k1 ^ 0x7465646279746573ULL;
	const unsigned char *end = in + (len & ~(size_t)7);

	for (; in != end; in += 8) {
		uint64_t m = load_le64(in);
		v3 ^= m;
		SIPROUND;
		SIPROUND;
		v0 ^= m;
	}
	/* the last 0-7 bytes, with the length's low byte on top */
	uint64_t b = (uint64_t)len << 56;
	for (size_t i = 0; i < (len & 7); i++)
		b |= (uint64_t)in[i] << (8 * i);
	v3 ^= b;
	SIPROUND;
	SIPROUND;
	v0 ^= b;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

void hashkey_init(void)
{
	size_t got = 0;
	while (got < sizeof process_key) {
		ssize_t n = getrandom(process_key + got, sizeof process_key - got, 0);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	if (got < sizeof process_key) {
		/* no getrandom (old kernel, seccomp): urandom, and at worst a
		 * key that still differs per process and start time */
		int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
		if (fd < 0 || read(fd, process_key, sizeof process_key) != (ssize_t)sizeof process_key) {
			struct timespec ts;
			clock_gettime(CLOCK_REALTIME, &ts);
			uint64_t seed[2] = { (uint64_t)ts.tv_nsec ^ (uint64_t)getpid() << 32,
			                     (uint64_t)ts.tv_sec ^ (uint64_t)(uintptr_t)&ts };
			memcpy(process_key, seed, sizeof process_key);
		}
		if (fd >= 0)
			close(fd);
	}
	have_key = 1;
}

uint64_t hashkey_sip(const void *data, size_t len)
{
	if (!have_key)
		hashkey_init();
	return hashkey_sip_with(process_key, data, len);
}
