/* tls.c - see tls.h */
#include "tls.h"

#include "hashkey.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static char last_error[200];

void hex_lower(const unsigned char *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

const char *tls_error(void)
{
	return last_error[0] ? last_error : "TLS error";
}

#ifdef HAVE_TLS

#include <limits.h>
#include <stdlib.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/stat.h>

static SSL_CTX *current;

/* Handshakes in progress, per address: an SSL holds its entry (app data)
 * until the handshake is done or the connection closes. */
struct hs_addr {
	UT_hash_handle hh;
	unsigned n;
	char addr[64];
};
static struct hs_addr *handshaking;
static int hs_limit;

void tls_set_handshake_limit(int n)
{
	hs_limit = n;
}

static void hs_release(SSL *s)
{
	struct hs_addr *e = SSL_get_app_data(s);
	if (!e)
		return;
	SSL_set_app_data(s, NULL);
	if (--e->n == 0) {
		HASH_DEL(handshaking, e);
		free(e);
	}
}

/* after each read/write: the handshake may just have finished */
static void hs_check(SSL *s)
{
	if (SSL_get_app_data(s) && SSL_is_init_finished(s))
		hs_release(s);
}

/* OpenSSL's reason for the newest queued error, and an empty queue after. */
static const char *ssl_reason(void)
{
	static char buf[160];
	unsigned long e = ERR_peek_error();  /* the first: the root cause */
	const char *r = e ? ERR_reason_error_string(e) : NULL;
	snprintf(buf, sizeof buf, "%s", r ? r : "unknown OpenSSL error");
	ERR_clear_error();
	return buf;
}

/* 0 if path is a readable regular file, else an errno value. */
static int check_readable(const char *path)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return errno;
	if (S_ISDIR(st.st_mode))
		return EISDIR;
	FILE *f = fopen(path, "r");
	if (!f)
		return errno;
	fclose(f);
	return 0;
}

static int accept_any(X509_STORE_CTX *store, void *arg)
{
	(void)store;
	(void)arg;
	return 1;
}

int tls_fingerprint(const unsigned char *der, size_t len, char out[TLS_CERTFP_LEN + 1])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	if (EVP_Digest(der, len, md, &n, EVP_sha256(), NULL) != 1 || n * 2 != TLS_CERTFP_LEN) {
		ERR_clear_error();
		out[0] = '\0';
		return 0;
	}
	hex_lower(md, n, out);
	return 1;
}

int tls_certfp(struct ssl_st *s, char out[TLS_CERTFP_LEN + 1])
{
	out[0] = '\0';
	if (!s || !SSL_is_init_finished(s))
		return 0;
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
	X509 *cert = SSL_get0_peer_certificate(s);
#else
	X509 *cert = SSL_get_peer_certificate(s);
#endif
	if (!cert)
		return 0;
	unsigned char *der = NULL;
	int len = i2d_X509(cert, &der);
	int ok = len > 0 && tls_fingerprint(der, (size_t)len, out);
	OPENSSL_free(der);
#if OPENSSL_VERSION_NUMBER < 0x30000000L
	X509_free(cert);
#endif
	ERR_clear_error();
	return ok;
}

int tls_prepare(const struct config *cfg, const char *file, struct tls_ctx **out,
                char *err, size_t errlen)
{
	*out = NULL;
	/* config.c already refused a listener without both keys */
	if (!cfg->tls_certificate[0])
		return 0;
	const char *cert = cfg->tls_certificate, *key = cfg->tls_key;
	int cl = cfg->tls_certificate_line, kl = cfg->tls_key_line, e;

	if ((e = check_readable(cert))) {
		snprintf(err, errlen, "%s:%d: [tls] certificate: cannot read %s: %s", file, cl, cert, strerror(e));
		return -1;
	}
	if ((e = check_readable(key))) {
		snprintf(err, errlen, "%s:%d: [tls] key: cannot read %s: %s", file, kl, key, strerror(e));
		return -1;
	}
	ERR_clear_error();
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	if (!ctx) {
		snprintf(err, errlen, "%s: [tls]: cannot create a TLS context: %s", file, ssl_reason());
		return -1;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	/* no renegotiation: a handshake only ever happens at connect, and a
	 * client cannot make us do expensive work mid-session */
	long opts = SSL_OP_NO_RENEGOTIATION;
#ifdef SSL_OP_IGNORE_UNEXPECTED_EOF
	/* most IRC clients just close TCP: that is a normal close, not an error */
	opts |= SSL_OP_IGNORE_UNEXPECTED_EOF;
#endif
	SSL_CTX_set_options(ctx, opts);
	/* partial writes let one SSL_write finish a record at a time; moving
	 * buffer because the retry after WANT_WRITE gathers the same bytes
	 * again; release buffers so idle connections cost no 34 KiB each */
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
	                      SSL_MODE_RELEASE_BUFFERS);
	static const unsigned char sid[] = "ircmini";
	SSL_CTX_set_session_id_context(ctx, sid, sizeof sid - 1);
	/* ask every client for a certificate, never require one: what counts
	 * is its fingerprint (tls_certfp), which services match (NickServ CERT,
	 * SASL EXTERNAL), and self-signed is the normal case. accept_any
	 * replaces chain building, which would only fail and cost CPU; the
	 * client still proves it holds the key (CertificateVerify). */
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	SSL_CTX_set_cert_verify_callback(ctx, accept_any, NULL);

	if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1) {
		snprintf(err, errlen, "%s:%d: [tls] certificate: %s: not a PEM certificate (%s)", file, cl,
		         cert, ssl_reason());
		goto fail;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) {
		unsigned long why = ERR_peek_last_error();
		if (ERR_GET_LIB(why) == ERR_LIB_X509 && ERR_GET_REASON(why) == X509_R_KEY_VALUES_MISMATCH)
			snprintf(err, errlen, "%s:%d: [tls] key: %s does not match certificate %s", file, kl,
			         key, cert);
		else
			snprintf(err, errlen, "%s:%d: [tls] key: %s: not a PEM private key (%s)", file, kl,
			         key, ssl_reason());
		ERR_clear_error();
		goto fail;
	}
	if (SSL_CTX_check_private_key(ctx) != 1) {
		snprintf(err, errlen, "%s:%d: [tls] key: %s does not match certificate %s (%s)", file, kl,
		         key, cert, ssl_reason());
		goto fail;
	}
	*out = (struct tls_ctx *)ctx;
	return 0;
fail:
	SSL_CTX_free(ctx);
	return -1;
}

void tls_install(struct tls_ctx *ctx)
{
	/* SSL objects hold their own reference to the context */
	SSL_CTX_free(current);
	current = (SSL_CTX *)ctx;
}

void tls_discard(struct tls_ctx *ctx)
{
	SSL_CTX_free((SSL_CTX *)ctx);
}

struct ssl_st *tls_new(int fd, const char *addr, int ask_cert)
{
	if (!current)
		return NULL;
	struct hs_addr *e;
	HASH_FIND_STR(handshaking, addr, e);
	if (e && hs_limit && e->n >= (unsigned)hs_limit) {
		errno = EAGAIN;
		return NULL;
	}
	if (!e) {
		e = calloc(1, sizeof *e);
		if (!e)
			return NULL;
		snprintf(e->addr, sizeof e->addr, "%s", addr);
		HASH_ADD_STR(handshaking, addr, e);
	}
	e->n++;
	SSL *s = SSL_new(current);
	if (s && SSL_set_fd(s, fd) != 1) {
		SSL_free(s);
		s = NULL;
	}
	if (!s) {
		ERR_clear_error();
		if (--e->n == 0) {
			HASH_DEL(handshaking, e);
			free(e);
		}
		return NULL;
	}
	SSL_set_app_data(s, e);
	if (!ask_cert)
		SSL_set_verify(s, SSL_VERIFY_NONE, NULL);
	SSL_set_accept_state(s);
	return s;
}

void tls_free(struct ssl_st *s)
{
	if (!s)
		return;
	hs_release(s);
	/* one non-blocking close_notify; after a fatal error OpenSSL forbids it */
	if (SSL_is_init_finished(s) && !SSL_get_quiet_shutdown(s))
		SSL_shutdown(s);
	ERR_clear_error();
	SSL_free(s);
}

static int result(SSL *s, int n)
{
	int saved = errno;
	switch (SSL_get_error(s, n)) {
	case SSL_ERROR_WANT_READ:
		return TLS_WANT_READ;
	case SSL_ERROR_WANT_WRITE:
		return TLS_WANT_WRITE;
	case SSL_ERROR_ZERO_RETURN:
		return TLS_CLOSED;
	case SSL_ERROR_SYSCALL:
		SSL_set_quiet_shutdown(s, 1);
		ERR_clear_error();
		if (saved == 0)
			return TLS_CLOSED;
		snprintf(last_error, sizeof last_error, "%s",
		         saved == ECONNRESET || saved == EPIPE ? "Connection reset by peer" : strerror(saved));
		errno = saved;
		return TLS_ERROR;
	default:
		SSL_set_quiet_shutdown(s, 1);
		snprintf(last_error, sizeof last_error, "TLS error: %s", ssl_reason());
		errno = EPROTO;
		return TLS_ERROR;
	}
}

int tls_read(struct ssl_st *s, void *buf, size_t len)
{
	ERR_clear_error();
	errno = 0;
	int n = SSL_read(s, buf, len > INT_MAX ? INT_MAX : (int)len);
	hs_check(s);
	return n > 0 ? n : result(s, n);
}

int tls_write(struct ssl_st *s, const void *buf, size_t len)
{
	ERR_clear_error();
	errno = 0;
	int n = SSL_write(s, buf, len > INT_MAX ? INT_MAX : (int)len);
	hs_check(s);
	return n > 0 ? n : result(s, n);
}

int tls_pending(struct ssl_st *s)
{
	return SSL_pending(s);
}

#else /* !HAVE_TLS */

int tls_prepare(const struct config *cfg, const char *file, struct tls_ctx **out,
                char *err, size_t errlen)
{
	*out = NULL;
	if (cfg->tls_certificate[0]) {
		snprintf(err, errlen, "%s:%d: [tls] certificate: this ircmini was built without TLS",
		         file, cfg->tls_certificate_line);
		return -1;
	}
	return 0;
}

void tls_install(struct tls_ctx *ctx) { (void)ctx; }
void tls_discard(struct tls_ctx *ctx) { (void)ctx; }
struct ssl_st *tls_new(int fd, const char *addr, int ask_cert)
{
	(void)fd;
	(void)addr;
	(void)ask_cert;
	return NULL;
}
void tls_set_handshake_limit(int n) { (void)n; }
void tls_free(struct ssl_st *s) { (void)s; }
int tls_read(struct ssl_st *s, void *buf, size_t len) { (void)s; (void)buf; (void)len; return TLS_ERROR; }
int tls_write(struct ssl_st *s, const void *buf, size_t len) { (void)s; (void)buf; (void)len; return TLS_ERROR; }
int tls_pending(struct ssl_st *s) { (void)s; return 0; }
int tls_certfp(struct ssl_st *s, char out[TLS_CERTFP_LEN + 1]) { (void)s; out[0] = '\0'; return 0; }
int tls_fingerprint(const unsigned char *der, size_t len, char out[TLS_CERTFP_LEN + 1])
{
	(void)der;
	(void)len;
	out[0] = '\0';
	return 0;
}

#endif
