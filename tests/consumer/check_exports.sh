#!/bin/sh
# The shared library exports gemma4_* and nothing else, exactly the functions the header
# declares, and its SONAME is libgemma4.so.<ABI>.
#   check_exports.sh LIBRARY ABI_VERSION HEADER
set -eu
lib=$1
abi=$2
header=$3
soname=$(objdump -p "$lib" | awk '$1 == "SONAME" { print $2 }')
if [ "$soname" != "libgemma4.so.$abi" ]; then
  echo "FAIL: SONAME of $lib is '$soname', expected libgemma4.so.$abi" >&2
  exit 1
fi
# Defined dynamic symbols: name is the last field. Version nodes of the linker script
# (GEMMA4_0, ...) show up as absolute symbols and are part of the interface too.
bad=$(nm -D --defined-only "$lib" | awk '{ print $NF }' | sed 's/@.*//' | grep -v -E '^(gemma4_[A-Za-z0-9_]+|GEMMA4_[0-9_.]+)$' || true)
if [ -n "$bad" ]; then
  echo "FAIL: $lib exports symbols outside gemma4_*:" >&2
  echo "$bad" | head -n 50 >&2
  exit 1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# Declarations look like "GEMMA4_API <type> gemma4_name(" (possibly with a pointer star).
grep -E '^GEMMA4_API' "$header" | sed -E 's/.*[ *](gemma4_[a-z0-9_]+)\(.*/\1/' | sort -u >"$tmp/declared"
nm -D --defined-only "$lib" | awk '{ print $NF }' | sed 's/@.*//' | grep '^gemma4_' | sort -u >"$tmp/exported"
if ! cmp -s "$tmp/declared" "$tmp/exported"; then
  echo "FAIL: exported gemma4_* functions differ from the header's (< header only, > library only):" >&2
  diff "$tmp/declared" "$tmp/exported" >&2 || true
  exit 1
fi
echo "PASS: SONAME $soname, the header's $(wc -l <"$tmp/declared") gemma4_* functions, nothing else"
