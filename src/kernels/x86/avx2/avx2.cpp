// The AVX2 + FMA + F16C kernel table (Haswell and later, Zen). The kernels themselves live in
// x86/simd256.h, shared with the AVX-512 table.
#include "kernels/attn_compose.h"
#include "kernels/x86/simd256.h"

namespace g4::kernels::avx2 {
namespace {

void matvec_rows(const MatView& W, const void* xq, float* y, int64_t r0, int64_t r1) {
  for (int64_t r = r0; r < r1; ++r) y[r] = x86::vec_dot_256(W.type, W.row(r), xq, W.cols);
}

float dot_f32(const float* a, const float* b, int64_t n) { return x86::dot_f32_256(a, b, n); }
void axpy_f32(float a, const float* x, float* y, int64_t n) { x86::axpy_f32_256(a, x, y, n); }

}  // namespace

void gemm_panel(const float* X, int64_t T, int64_t ldx, const float* Bp, int64_t K, float* Y,
                int64_t ldy, int nr, bool accumulate) {
  x86::gemm_panel_256(X, T, ldx, Bp, K, Y, ldy, nr, accumulate);
}

const KernelTable* table() {
  static const KernelTable t = {Isa::avx2, matvec_rows, x86::quantize_activation_256,
                                x86::dequantize_row_256, dot_f32, axpy_f32,
                                attn_scores_composed<x86::dequantize_row_256, dot_f32>,
                                attn_values_composed<x86::dequantize_row_256, axpy_f32>, kernels::gelu_tanh_mul};
  return &t;
}

}  // namespace g4::kernels::avx2
