#!/bin/sh
# Packaging test: installs BUILD_DIR into a temporary prefix, then builds and runs consumer.c
# twice, through find_package(gemma4) + gemma4::gemma4 and through pkg-config.
#   run_consumer_test.sh BUILD_DIR
set -eu
build=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/gemma4-consumer.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

cmake --install "$build" --prefix "$tmp/prefix" >"$tmp/install.log" || { cat "$tmp/install.log"; exit 1; }
test -f "$tmp/prefix/include/gemma4.h" || { echo "FAIL: gemma4.h not installed" >&2; exit 1; }

echo "== find_package consumer"
cmake -S "$here" -B "$tmp/cmake" -DCMAKE_PREFIX_PATH="$tmp/prefix" -DCMAKE_BUILD_TYPE=Release >"$tmp/cfg.log" 2>&1 ||
  { cat "$tmp/cfg.log"; exit 1; }
cmake --build "$tmp/cmake" >"$tmp/build.log" 2>&1 || { cat "$tmp/build.log"; exit 1; }
# The binary must run from the installed library, not the build tree's.
ldd "$tmp/cmake/consumer" | grep -q "$tmp/prefix" || { echo "FAIL: not linked to the installed library" >&2; ldd "$tmp/cmake/consumer"; exit 1; }
"$tmp/cmake/consumer"

echo "== pkg-config consumer"
"$here/build_pkgconfig.sh" "$tmp/prefix" "$tmp/consumer_pc"
ldd "$tmp/consumer_pc" | grep -q "$tmp/prefix" || { echo "FAIL: not linked to the installed library" >&2; exit 1; }
"$tmp/consumer_pc"
echo "PASS"
