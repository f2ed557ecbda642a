/* cloak.c - see cloak.h */
#include "cloak.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"

#define KEY_FILE "cloak.key"

static unsigned char key[128];
static size_t keylen;
/* HMAC's two keyed SHA-256 states, computed once per key: a cloak then
 * costs two state copies and two compressions per label instead of
 * HMAC()'s algorithm fetch and key setup each time */
static EVP_MD_CTX *inner, *outer, *work;
static int enabled;
static char suffix[64];

/* The generated key: 32 random bytes as 64 hex digits, one line. */
static int read_key(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	char line[130];
	int ok = fgets(line, sizeof line, f) != NULL;
	fclose(f);
	line[strcspn(line, "\r\n")] = '\0';
	if (!ok || strlen(line) < 32)
		return -1;
	keylen = strlen(line) < sizeof key ? strlen(line) : sizeof key;
	memcpy(key, line, keylen);
	return 0;
}

static void make_key(const char *dir)
{
	unsigned char raw[32];
	char hex[65];
	if (RAND_bytes(raw, sizeof raw) != 1) {
		/* no CSPRNG: fall back to the kernel's */
		int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
		ssize_t n = fd >= 0 ? read(fd, raw, sizeof raw) : -1;
		if (fd >= 0)
			close(fd);
		(void)n;
	}
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", raw[i]);
	memcpy(key, hex, 64);
	keylen = 64;
	char path[300], tmp[310];
	snprintf(path, sizeof path, "%s/%s", dir, KEY_FILE);
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, hex, 64) != 64 || write(fd, "\n", 1) != 1 || fsync(fd) < 0 ||
	    close(fd) < 0 || rename(tmp, path) < 0) {
		log_warn("cloak: cannot keep a key in %s (%s): cloaks will change at the next restart;"
		         " set [cloak] secret or make the state directory writable", dir, strerror(errno));
		if (fd >= 0)
			unlink(tmp);
		return;
	}
	log_info("cloak: generated a key in %s", path);
}

/* RFC 2104: the key (hashed first if longer than a block) padded to the
 * 64-byte block, XORed with 0x36 for the inner hash and 0x5c for the outer */
static int prepare(void)
{
	unsigned char k[64] = { 0 }, pad[64];
	unsigned int n = 0;
	if (!inner && !(inner = EVP_MD_CTX_new()))
		return -1;
	if (!outer && !(outer = EVP_MD_CTX_new()))
		return -1;
	if (!work && !(work = EVP_MD_CTX_new()))
		return -1;
	if (keylen > sizeof k)
		EVP_Digest(key, keylen, k, &n, EVP_sha256(), NULL);
	else
		memcpy(k, key, keylen);
	for (int i = 0; i < 64; i++)
		pad[i] = k[i] ^ 0x36;
	if (!EVP_DigestInit_ex(inner, EVP_sha256(), NULL) || !EVP_DigestUpdate(inner, pad, sizeof pad))
		return -1;
	for (int i = 0; i < 64; i++)
		pad[i] = k[i] ^ 0x5c;
	if (!EVP_DigestInit_ex(outer, EVP_sha256(), NULL) || !EVP_DigestUpdate(outer, pad, sizeof pad))
		return -1;
	return 0;
}

int cloak_setup(const struct config *cfg, char *err, size_t errlen)
{
	enabled = cfg->cloak;
	snprintf(suffix, sizeof suffix, "%s", cfg->cloak_suffix[0] ? cfg->cloak_suffix : cfg->network);
	if (!enabled)
		return 0;
	if (cfg->cloak_secret[0]) {
		keylen = strlen(cfg->cloak_secret);
		if (keylen > sizeof key)
			keylen = sizeof key;
		memcpy(key, cfg->cloak_secret, keylen);
		goto ready;
	}
	char path[300];
	snprintf(path, sizeof path, "%s/%s", cfg->state_directory, KEY_FILE);
	/* a reload with an unreadable file keeps the key we have */
	if (read_key(path) < 0 && !keylen)
		make_key(cfg->state_directory);
ready:
	if (prepare() < 0) {
		snprintf(err, errlen, "cloak: SHA-256 is not available from OpenSSL; hosts are not cloaked");
		enabled = 0;
		return -1;
	}
	return 0;
}

/* 8 characters of base32 (a-z, 2-7) from HMAC(key, family | bits | prefix). */
static void label(const struct netaddr *a, int bits, char out[9])
{
	struct netaddr m = *a;
	netaddr_mask(&m, bits);
	unsigned char msg[2 + 16], mid[EVP_MAX_MD_SIZE], mac[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	msg[0] = m.family;
	msg[1] = (unsigned char)bits;
	memcpy(msg + 2, m.b, 16);
	memset(mac, 0, sizeof mac);
	if (EVP_MD_CTX_copy_ex(work, inner) && EVP_DigestUpdate(work, msg, sizeof msg) &&
	    EVP_DigestFinal_ex(work, mid, &len) && EVP_MD_CTX_copy_ex(work, outer) &&
	    EVP_DigestUpdate(work, mid, len))
		EVP_DigestFinal_ex(work, mac, &len);
	static const char b32[] = "abcdefghijklmnopqrstuvwxyz234567";
	uint64_t v = 0;
	for (int i = 0; i < 5; i++)
		v = v << 8 | mac[i];
	for (int i = 0; i < 8; i++)
		out[i] = b32[(v >> (35 - 5 * i)) & 31];
	out[8] = '\0';
}

void cloak_host(const struct netaddr *a, char *out, size_t len)
{
	if (!enabled || !a->family) {
		char t[NETADDR_TEXT];
		netaddr_text(a, t, sizeof t);
		/* "::1" would read as a trailing parameter in replies */
		snprintf(out, len, "%s%s", t[0] == ':' ? "0" : "", t);
		return;
	}
	static const int v4[3] = { 32, 24, 16 }, v6[3] = { 64, 48, 32 };
	const int *bits = a->family == AF_INET ? v4 : v6;
	char l[3][9];
	for (int i = 0; i < 3; i++)
		label(a, bits[i], l[i]);
	snprintf(out, len, "%s.%s.%s.%s", l[0], l[1], l[2], suffix);
}
