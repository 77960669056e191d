#!/bin/sh
# The ISA translation units (src/kernels/x86/avx2, avx512) are compiled with -mavx2 / -mavx512*.
# Any inline function or template they emit as a weak (COMDAT) symbol could be picked by the
# linker for the whole library, putting AVX-512 code on a path that must run on any x86-64 CPU.
# This check fails if those objects define weak symbols outside their own ISA namespace
# (DW.ref.__gxx_personality_v0, emitted with unwind tables, is a data pointer, not code).
#   check_isa_symbols.sh libgemma4_kernels.a
set -eu
bad=$(nm -C -A "$1" 2>/dev/null | grep -E '(avx2|avx512|gemv|gemm_q8|gemm_qk|attn)\.cpp\.o:' | grep -E ' [WVu] ' |
      grep -v -E 'g4::kernels::(avx2|avx512)::|DW\.ref\.__gxx_personality' || true)
if [ -n "$bad" ]; then
  echo "ISA objects define weak symbols shared with generic code:"
  echo "$bad"
  exit 1
fi
echo "ISA objects define no weak symbols outside their namespaces"
