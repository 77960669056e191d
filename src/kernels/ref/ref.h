// Scalar reference kernels: the specification every SIMD kernel is tested against.
// Plain loops, no intrinsics. The SIMD tables call these for any (type, op) they do not cover.
#pragma once
#include <cstddef>
#include <cstdint>

#include "base/dtype.h"
#include "kernels/kernels.h"

namespace g4::kernels::ref {

// out[n] = the stored row's values (n a multiple of the block size).
void dequantize_row(DType t, const void* row, float* out, int64_t n);

// Round-to-nearest quantizers for the test suite and tools (F16/BF16/F32 too): out must hold
// dtype_row_bytes(t, n). Not llama.cpp's search-based quantizers; same formats.
void quantize_row_ref(DType t, const float* x, void* out, int64_t n);

// The activation formats (kernels/blocks.h). Rounding is to nearest, ties to even, so the
// SIMD versions reproduce these bytes exactly.
void quantize_activation(DType t, const float* x, int64_t n, void* xq);
// Float values of a quantize_activation() result (what the integer dot products "see").
void dequantize_activation(DType t, const void* xq, float* out, int64_t n);

// y[r] = W.row(r) . x for r in [r0, r1): integer dot per block, then one float scale per
// block, accumulated in float in block order (ggml's vec_dot shape).
void matvec_rows(const MatView& W, const void* xq, float* y, int64_t r0, int64_t r1);
// One row: the dot of n stored elements with the activation in W-type format.
float vec_dot(DType t, const void* row, const void* xq, int64_t n);

float dot_f32(const float* a, const float* b, int64_t n);
void axpy_f32(float a, const float* x, float* y, int64_t n);

const KernelTable* table();

// Packed-panel GEMM used by matmul (see kernels/gemm.h): scalar version.
void gemm_panel(const float* X, int64_t T, int64_t ldx, const float* Bp, int64_t K, float* Y,
                int64_t ldy, int nr, bool accumulate);

}  // namespace g4::kernels::ref
