/* test_certfp.c - the fingerprint format of TLS client certificates
 * (tls.h): SHA-256 as 64 lowercase hex digits, solanum's sha256 method. */
#include <criterion/criterion.h>
#include <string.h>

#include "tls.h"

Test(certfp, hex_lower)
{
	const unsigned char in[] = { 0x00, 0x01, 0x7f, 0x80, 0xab, 0xff };
	char out[2 * sizeof in + 1];
	memset(out, 'x', sizeof out);
	hex_lower(in, sizeof in, out);
	cr_assert_str_eq(out, "00017f80abff");
	hex_lower(in, 0, out);
	cr_assert_str_eq(out, "");
}

#ifdef HAVE_TLS
Test(certfp, sha256_vectors)
{
	char fp[TLS_CERTFP_LEN + 1];
	/* FIPS 180-2 examples */
	cr_assert_eq(tls_fingerprint((const unsigned char *)"abc", 3, fp), 1);
	cr_assert_str_eq(fp, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	cr_assert_eq(tls_fingerprint((const unsigned char *)"", 0, fp), 1);
	cr_assert_str_eq(fp, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	cr_assert_eq(strlen(fp), TLS_CERTFP_LEN);
}

Test(certfp, no_session_no_fingerprint)
{
	char fp[TLS_CERTFP_LEN + 1] = "junk";
	cr_assert_eq(tls_certfp(NULL, fp), 0);
	cr_assert_str_eq(fp, "");
}
#else
Test(certfp, without_tls_none)
{
	char fp[TLS_CERTFP_LEN + 1] = "junk";
	cr_assert_eq(tls_fingerprint((const unsigned char *)"abc", 3, fp), 0);
	cr_assert_str_eq(fp, "");
}
#endif
