// attn_scores / attn_values (kernels.h) composed from a table's own row conversion, dot and
// axpy: the form the scalar and AVX2 tables use (AVX-512 has fused kernels, x86/avx512/attn.cpp).
// Internal linkage on purpose: each ISA translation unit gets its own copy, built with its own
// flags, so no ISA-specific code is shared through a weak symbol.
#pragma once
#include <cstdint>

#include "kernels/kernels.h"

namespace g4::kernels {
namespace {

using DequantFn = void (*)(DType, const void*, float*, int64_t);
using DotFn = float (*)(const float*, const float*, int64_t);
using AxpyFn = void (*)(float, const float*, float*, int64_t);

inline const float* attn_row(DequantFn dq, DType t, const void* row, int hd, float* tmp) {
  if (t == DType::F32) return static_cast<const float*>(row);
  dq(t, row, tmp, hd);
  return tmp;
}

template <DequantFn Dq, DotFn Dot>
void attn_scores_composed(DType t, const void* const* rows, int n, const float* q, int nh, int hd, float* sc, int ld) {
  float tmp[kAttnMaxHeadDim];
  for (int j = 0; j < n; ++j) {
    const float* k = attn_row(Dq, t, rows[j], hd, tmp);
    for (int h = 0; h < nh; ++h) sc[h * ld + j] = Dot(q + h * hd, k, hd);
  }
}

template <DequantFn Dq, AxpyFn Axpy>
void attn_values_composed(DType t, const void* const* rows, int n, const float* p, int ld, int nh, int hd, float* o) {
  float tmp[kAttnMaxHeadDim];
  for (int j = 0; j < n; ++j) {
    const float* v = attn_row(Dq, t, rows[j], hd, tmp);
    for (int h = 0; h < nh; ++h) Axpy(p[h * ld + j], v, o + h * hd, hd);
  }
}

}  // namespace
}  // namespace g4::kernels
