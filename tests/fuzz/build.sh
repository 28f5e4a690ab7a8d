#!/bin/sh
# build.sh - build the libFuzzer harnesses (clang only; separate from the gcc build).
#
#   tests/fuzz/build.sh            builds tests/fuzz/build/fuzz_{http_req,http_resp,policy,config,tarscan,filters,jsonin}
#
# Run from anywhere; paths are resolved from the repository root.  Needs clang
# with the libFuzzer runtime (Debian: clang, libclang-rt-14-dev or newer).
set -eu
cd "$(dirname "$0")/../.."
CC=${CC:-clang}
LLHTTP_SRC=${LLHTTP_SRC:-/usr/share/llhttp}
LLHTTP_INC=${LLHTTP_INC:-/usr/share/include/llhttp}
OUT=tests/fuzz/build
SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
CFLAGS="-std=c11 -g -O1 -D_GNU_SOURCE -DSOCKWARD_VERSION=\"fuzz\" -I. -I$LLHTTP_INC \
    $(pkg-config --cflags libevent jansson openssl)"
LIBS="$(pkg-config --libs libevent libevent_openssl jansson openssl) -lm"

mkdir -p "$OUT/obj"
# Library code: instrumented for coverage, but no main().
objs=""
# the newest header: a struct that changes shape must rebuild every object
# (a stale one reads the old layout)
newest_h=$(ls -t daemon/*.h daemon/cli/*.h policy/*.h 2>/dev/null | head -1)
compile() {   # src obj [extra flags]
	src=$1 obj=$2; shift 2
	if [ ! -f "$obj" ] || [ "$src" -nt "$obj" ] || [ "$0" -nt "$obj" ] ||
	    { [ -n "$newest_h" ] && [ "$newest_h" -nt "$obj" ]; }; then
		$CC $CFLAGS $SAN -fsanitize=fuzzer-no-link "$@" -c "$src" -o "$obj"
	fi
	objs="$objs $obj"
}
for f in api http llhttp; do
	compile "$LLHTTP_SRC/$f.c" "$OUT/obj/llhttp_$f.o" -DLLHTTP_STRICT_MODE=1
done
# Every daemon/ and policy/ object except main(): config.c pulls in most of
# the daemon's helpers, and linking them all keeps this script free of a
# dependency list that would rot.
for src in $(ls daemon/*.c daemon/cli/*.c policy/*.c | grep -v '^daemon/main\.c$'); do
	compile "$src" "$OUT/obj/$(echo "$src" | tr / _ | sed 's/\.c$/.o/')"
done
for t in http_req http_resp policy config tarscan filters jsonin; do
	$CC $CFLAGS $SAN -fsanitize=fuzzer tests/fuzz/fuzz_$t.c $objs -o "$OUT/fuzz_$t" $LIBS
done
echo "built: $(ls $OUT/fuzz_* | tr '\n' ' ')"
