#!/bin/sh
# Builds consumer.c against an installed libgemma4 with nothing but pkg-config:
#   build_pkgconfig.sh PREFIX OUTPUT
# The .pc file is found under PREFIX and used as installed: it locates its prefix relative to
# its own folder (${pcfiledir}), so an install with `cmake --install --prefix` works unchanged.
set -eu
prefix=$1
out=$2
here=$(cd "$(dirname "$0")" && pwd)
pcdir=$(dirname "$(find "$prefix" -name gemma4.pc | head -n 1)")
[ -f "$pcdir/gemma4.pc" ] || { echo "build_pkgconfig.sh: no gemma4.pc under $prefix" >&2; exit 1; }
export PKG_CONFIG_PATH="$pcdir"
pc="pkg-config"
libdir=$($pc --variable=libdir gemma4)
# shellcheck disable=SC2046 # word splitting of the flags is intended
${CC:-cc} -std=c99 -pedantic -Wall -Wextra -Werror -o "$out" "$here/consumer.c" \
  $($pc --cflags --libs gemma4) -Wl,-rpath,"$libdir"
