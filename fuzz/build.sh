#!/bin/sh
# build.sh [OUTDIR] - build the libFuzzer harnesses (fuzz_trace, fuzz_json,
# fuzz_dist) with clang straight from the source tree, without configure:
# the library sources sim/*.c models/*.c traces/*.c are compiled with
# coverage, AddressSanitizer (and LeakSanitizer) and UndefinedBehaviorSanitizer,
# and each harness is linked with libFuzzer's main. Objects are kept in
# OUTDIR/obj (default fuzz/build) and rebuilt when a source or header
# changes; the harnesses land in OUTDIR.
#
# Needs clang (CC, default clang) with its compiler-rt runtimes (Debian:
# clang, libclang-rt-dev or libclang-rt-14-dev), pkg-config, and the -dev
# packages of GSL, cJSON and zlib.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
out=${1:-$here/build}
CC=${CC:-clang}

san="-fsanitize=address,undefined -fno-sanitize-recover=undefined"
cflags="-g -O1 -fno-omit-frame-pointer $san -I$top -I$here $(pkg-config --cflags gsl libcjson zlib)"
libs="$(pkg-config --libs gsl libcjson zlib) -lm"

if ! command -v "$CC" >/dev/null 2>&1; then
    echo "build.sh: $CC not found (Debian: apt-get install clang)" >&2
    exit 1
fi

mkdir -p "$out/obj"
objs=
for src in "$top"/sim/*.c "$top"/models/*.c "$top"/traces/*.c; do
    rel=${src#"$top"/}
    obj=$out/obj/$(printf '%s' "$rel" | tr / _ | sed 's/\.c$/.o/')
    objs="$objs $obj"
    if [ -f "$obj" ] && [ ! "$src" -nt "$obj" ] \
        && [ -z "$(find "$top/sim" "$top/models" "$top/traces" -name '*.h' -newer "$obj" | head -1)" ]; then
        continue
    fi
    echo "  CC       $rel"
    # shellcheck disable=SC2086
    "$CC" $cflags -fsanitize=fuzzer-no-link -c "$src" -o "$obj"
done

# An archive, so that a harness links only the objects it needs (a source
# that calls into folders not compiled here cannot break the link).
lib=$out/libfluxo-fuzz.a
# shellcheck disable=SC2086
newest=$(ls -t $objs | head -1)
if [ ! -f "$lib" ] || [ "$newest" -nt "$lib" ]; then
    rm -f "$lib"
    # shellcheck disable=SC2086
    ${AR:-ar} rcs "$lib" $objs
fi

for h in fuzz_trace fuzz_json fuzz_dist; do
    bin=$out/$h
    newest=$(ls -t "$here/$h.c" "$here/fuzz_common.h" "$lib" | head -1)
    if [ -f "$bin" ] && [ ! "$newest" -nt "$bin" ]; then
        continue
    fi
    echo "  CCLD     fuzz/$h"
    # shellcheck disable=SC2086
    "$CC" $cflags -fsanitize=fuzzer "$here/$h.c" "$lib" $libs -o "$bin"
done
