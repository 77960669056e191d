#!/bin/sh
# ABI check of libgemma4 against the recorded baseline lib/gemma4.abi (libabigail).
#
#   lib/abi_check.sh BUILD_DIR            compare BUILD_DIR/libgemma4.so with the baseline
#   lib/abi_check.sh --update BUILD_DIR   record BUILD_DIR/libgemma4.so as the new baseline
#
# Only what include/gemma4.h declares matters (--headers-dir), so internal C++ changes never
# show. The library needs DWARF for the types (the build adds -g to the API translation unit;
# see tests/tools.cmake): without it only symbols could be compared, so the check refuses.
#
# abidiff's exit status is a bit set: 1 error, 2 usage error, 4 ABI change, 8 incompatible
# change (e.g. a removed function). Added functions are allowed within an ABI generation and
# are left out (--no-added-syms, reported separately); any other change to an existing
# function or public type (4) fails too: appending a field to a sized struct is legal by the
# struct_size rule, but a person must confirm that, then record it with --update.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
baseline="$here/gemma4.abi"
headers="$root/include"

update=0
if [ "${1:-}" = "--update" ]; then
  update=1
  shift
fi
if [ $# -ne 1 ]; then
  echo "usage: $0 [--update] BUILD_DIR" >&2
  exit 2
fi
lib="$1/libgemma4.so"
if [ ! -e "$lib" ]; then
  echo "abi_check: $lib not found (build target gemma4 first, with GEMMA4_BUILD_SHARED=ON)" >&2
  exit 2
fi
lib=$(readlink -f "$lib")
if ! readelf -S "$lib" | grep -q '\.debug_info'; then
  echo "abi_check: $lib has no debug info, so its types cannot be compared." >&2
  echo "  Configure with GEMMA4_ABI_DEBUG_INFO=ON (the default) or CMAKE_BUILD_TYPE=RelWithDebInfo." >&2
  exit 2
fi

if [ $update -eq 1 ]; then
  # Public types and the exported functions only, with file names but no paths (the --headers-dir
  # filters of abidiff match on them, and the baseline must not depend on where the repo is).
  abidw --headers-dir "$headers" --drop-private-types --exported-interfaces-only --drop-undefined-syms \
    --short-locs --no-comp-dir-path --no-elf-needed --no-corpus-path --out-file "$baseline.tmp" "$lib"
  mv "$baseline.tmp" "$baseline"
  echo "abi_check: wrote $baseline from $lib"
  exit 0
fi

if [ ! -f "$baseline" ]; then
  echo "abi_check: no baseline $baseline; record one with: $0 --update $1" >&2
  exit 2
fi

status=0
report=$(abidiff --no-added-syms --fail-no-debug-info --headers-dir1 "$headers" --headers-dir2 "$headers" \
  "$baseline" "$lib" 2>&1) || status=$?
if [ $status -eq 0 ]; then
  added=$(abidiff --added-fns --headers-dir1 "$headers" --headers-dir2 "$headers" "$baseline" "$lib" 2>&1 |
    grep -c "^  \[A\]" || true)
  if [ "$added" -gt 0 ]; then
    echo "abi_check: compatible; $added function(s) added since the baseline (record them: $0 --update $1)"
  else
    echo "abi_check: the ABI equals the baseline"
  fi
  exit 0
fi

echo "$report"
echo
if [ $((status & 3)) -ne 0 ]; then
  echo "abi_check: abidiff failed (status $status)" >&2
elif [ $((status & 8)) -ne 0 ]; then
  echo "abi_check: INCOMPATIBLE ABI change (a function or symbol was removed or changed incompatibly)." >&2
  echo "  Restore it, or start a new ABI generation: bump GEMMA4_ABI_VERSION in include/gemma4.h and" >&2
  echo "  GEMMA4_SOVERSION in CMakeLists.txt, add a node to lib/gemma4.map, then: $0 --update $1" >&2
else
  echo "abi_check: the ABI of existing functions or public types changed (see above)." >&2
  echo "  If it only appends fields to a struct that starts with struct_size (allowed: old callers" >&2
  echo "  pass a smaller size), record it: $0 --update $1" >&2
  echo "  Anything else (reordered, removed or retyped fields, changed signatures) breaks callers." >&2
fi
exit 1
