/* tls.h - TLS as a property of a connection's transport (OpenSSL).
 * One server context built from [tls] certificate/key; each TLS
 * connection holds an SSL object (conn->tls, NULL for plain text).
 * Built without HAVE_TLS, the functions below are stubs and no
 * connection ever has one. */
#ifndef IRCMINI_TLS_H
#define IRCMINI_TLS_H

#include <stddef.h>

#include "config.h"

struct ssl_st;        /* OpenSSL's SSL */
struct tls_ctx;       /* an SSL_CTX built from one configuration */

/* Build the context for cfg (NULL in *out when cfg has no TLS listener and
 * no certificate). On error returns -1 and names `file`, the line of the
 * key at fault and the reason in err. Nothing is installed. */
int tls_prepare(const struct config *cfg, const char *file, struct tls_ctx **out,
                char *err, size_t errlen);
/* Make ctx the one new connections use (NULL: none); frees the previous.
 * Open connections keep theirs until they close. */
void tls_install(struct tls_ctx *ctx);
void tls_discard(struct tls_ctx *ctx);

/* A server-side SSL on an accepted non-blocking socket, or NULL. The
 * handshake happens inside the first tls_read/tls_write calls. NULL with
 * errno EAGAIN: `addr` has tls_set_handshake_limit() handshakes going.
 * ask_cert: request a client certificate (optional for the client). */
struct ssl_st *tls_new(int fd, const char *addr, int ask_cert);
/* Handshakes one address may have in progress at once (0: no limit).
 * Each costs ~1 ms of loop CPU (RSA-2048; ECDSA P-256 about half). */
void tls_set_handshake_limit(int n);
/* Best-effort close_notify (never waits), then free. */
void tls_free(struct ssl_st *s);

/* Results besides a byte count (> 0) */
enum {
	TLS_CLOSED = 0,       /* peer closed (close_notify or EOF) */
	TLS_ERROR = -1,       /* fatal; tls_error() says why */
	TLS_WANT_READ = -2,   /* retry when the socket is readable */
	TLS_WANT_WRITE = -3,  /* retry when the socket is writable */
};
int tls_read(struct ssl_st *s, void *buf, size_t len);
int tls_write(struct ssl_st *s, const void *buf, size_t len);
/* Decrypted bytes OpenSSL holds that epoll cannot see. */
int tls_pending(struct ssl_st *s);
/* Client certificates: every TLS listener asks for one and accepts any
 * (self-signed is the normal case), none is required. The fingerprint is
 * solanum's default certfp_method sha256: SHA-256 of the DER certificate,
 * lowercase hex. */
#define TLS_CERTFP_LEN 64
/* The fingerprint of the certificate the client presented into out:
 * 1, or 0 (out "") when it presented none or the handshake is not done. */
int tls_certfp(struct ssl_st *s, char out[TLS_CERTFP_LEN + 1]);
/* SHA-256 of der[0..len) in that format; 0 (out "") on failure or
 * without TLS support. */
int tls_fingerprint(const unsigned char *der, size_t len, char out[TLS_CERTFP_LEN + 1]);
/* n bytes as 2n lowercase hex digits and a NUL into out. */
void hex_lower(const unsigned char *in, size_t n, char *out);
/* The reason of the last TLS_ERROR, e.g. "TLS error: wrong version number". */
const char *tls_error(void);

#endif
