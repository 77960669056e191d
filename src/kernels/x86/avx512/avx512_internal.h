// Functions shared between the AVX-512 translation units (all compiled with the AVX-512 flags;
// only called once kernel_table(Isa::avx512) exists).
#pragma once
#include <cstdint>

#include "base/dtype.h"
#include "kernels/kernels.h"

namespace g4::kernels::avx512 {

struct XStep;

// One row of any type times its activation (avx512.cpp): the one-row fallback.
float vec_dot(DType t, const void* row, const void* xq, int64_t n);
// The table's matvec_rows (gemv.cpp).
void matvec_rows(const MatView& W, const void* xq, float* y, int64_t r0, int64_t r1);
// The table's fused attention kernels (attn.cpp).
void attn_scores(DType t, const void* const* rows, int n, const float* q, int nh, int hd, float* sc, int ld);
void attn_values(DType t, const void* const* rows, int n, const float* p, int ld, int nh, int hd, float* o);
void gelu_tanh_mul(const float* g, const float* u, float* y, int64_t n);

}  // namespace g4::kernels::avx512
