#!/bin/sh
# Build the libFuzzer harnesses fuzz_message, fuzz_session, fuzz_ts6, fuzz_evcodec,
# fuzz_ws, fuzz_bans and (with hiredis) fuzz_clreply.
#
#   contrib/fuzz/build.sh [BUILDDIR]
#
# BUILDDIR is a configured ircmini build directory (it holds the generated
# autoconfig.h); default: the source tree itself (an in-tree ./configure).
# Binaries go to $OUT (default BUILDDIR/contrib/fuzz/out). CC defaults to
# clang; the sanitizer flags can be replaced with SANITIZE=...
# COVERAGE=1 builds instead, into BUILDDIR/contrib/fuzz/out-cov, binaries
# with source-based coverage and no sanitizer, to measure what a corpus
# reaches (see README).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
builddir=$(cd "${1:-$top}" && pwd)
autoconfig="$builddir/autoconfig.h"
if [ ! -f "$autoconfig" ]; then
	echo "build.sh: $autoconfig not found: run configure first (e.g. autoreconf -fi && ./configure)" >&2
	exit 1
fi

CC=${CC:-clang}
SANITIZE=${SANITIZE:-address,undefined}
if [ "${COVERAGE:-0}" = 1 ]; then
	OUT=${OUT:-$builddir/contrib/fuzz/out-cov}
	objflags="-fprofile-instr-generate -fcoverage-mapping"
	linkflags="-fsanitize=fuzzer $objflags"
else
	OUT=${OUT:-$builddir/contrib/fuzz/out}
	objflags="-fsanitize=fuzzer-no-link,$SANITIZE"
	linkflags="-fsanitize=fuzzer,$SANITIZE"
fi
mkdir -p "$OUT/obj"

# -fno-sanitize-recover: UB aborts, so libFuzzer records it as a crash
CFLAGS="-std=c11 -g -O1 -fno-omit-frame-pointer -fno-sanitize-recover=undefined ${CFLAGS:-}"
CPPFLAGS="-include $autoconfig -I$top/src $(pkg-config --cflags inih)"
LIBS="-lev $(pkg-config --libs inih) -lcrypt"
if grep -q '^#define HAVE_SYSTEMD 1' "$autoconfig"; then
	LIBS="$LIBS $(pkg-config --libs libsystemd)"
fi
if grep -q '^#define HAVE_TLS 1' "$autoconfig"; then
	LIBS="$LIBS -lssl"
fi
if grep -q '^#define HAVE_HIREDIS 1' "$autoconfig"; then
	CPPFLAGS="$CPPFLAGS $(pkg-config --cflags hiredis)"
	LIBS="$LIBS $(pkg-config --libs hiredis)"
fi
LIBS="$LIBS -lcrypto"   # host cloaks (HMAC-SHA256), with or without TLS

# The server code, instrumented for coverage but without libFuzzer's main:
# every src/*.c except main.c, as object files.
objs=""
for src in "$top"/src/*.c; do
	name=$(basename "$src" .c)
	[ "$name" = main ] && continue
	obj="$OUT/obj/$name.o"
	echo "  CC    $obj"
	# shellcheck disable=SC2086
	$CC $CFLAGS $objflags $CPPFLAGS -c "$src" -o "$obj"
	objs="$objs $obj"
done

harnesses="fuzz_message fuzz_session fuzz_ts6 fuzz_evcodec fuzz_ws fuzz_bans"
# the cluster's reply arena exists only in a build with hiredis
grep -q '^#define HAVE_HIREDIS 1' "$autoconfig" && harnesses="$harnesses fuzz_clreply"
for h in $harnesses; do
	echo "  CCLD  $OUT/$h"
	# shellcheck disable=SC2086
	$CC $CFLAGS $linkflags $CPPFLAGS "$here/$h.c" $objs $LIBS -o "$OUT/$h"
done
echo "built:$(for h in $harnesses; do printf " %s" "$OUT/$h"; done)"
