// The compute kernels the decoder needs, behind one table of function pointers per ISA.
// src/kernels/ref/ holds the scalar reference (the specification of every kernel);
// src/kernels/x86/avx2 and x86/avx512 hold the SIMD versions, each compiled with its own flags.
// The ISA is chosen once (CPUID, overridable with GEMMA4_ISA=scalar|avx2|avx512) and the
// chosen table is passed down explicitly, so tests can run every variant side by side.
#pragma once
#include <cstddef>
#include <cstdint>

#include "base/dtype.h"
#include "base/thread_pool.h"

namespace g4::kernels {

enum class Isa : int { scalar = 0, avx2 = 1, avx512 = 2 };
const char* isa_name(Isa isa);
// Best ISA this CPU supports, lowered by the GEMMA4_ISA environment variable if set.
Isa detect_isa();
bool cpu_supports(Isa isa);

// One ISA's kernels. Row-range kernels compute rows [r0, r1) of one matrix so the caller
// can split work across threads; they never allocate.
struct KernelTable {
  Isa isa;
  // Row-major products over any stored weight type (see base/dtype.h MatView).
  // y[r] = dot(W.row(r), x) for r in [r0, r1). xq is the activation vector already converted
  // by quantize_activation() for W.type.
  void (*matvec_rows)(const MatView& W, const void* xq, float* y, int64_t r0, int64_t r1);
  // Converts the float activation x[n] into the format matvec_rows expects for weight type t
  // (Q8_0 blocks for Q4_0/Q8_0, Q8_K blocks for Q4_K/Q6_K, a float copy for F32/F16/BF16).
  void (*quantize_activation)(DType t, const float* x, int64_t n, void* xq);
  // out[n] = float values of one stored row.
  void (*dequantize_row)(DType t, const void* row, float* out, int64_t n);
  // Float vector helpers used by attention.
  float (*dot_f32)(const float* a, const float* b, int64_t n);
  void (*axpy_f32)(float a, const float* x, float* y, int64_t n);  // y += a*x
  // Attention over n cached rows of hd elements stored as t (F32, F16 or BF16; rows[j] points
  // at row j, so a ring buffer's wrap costs nothing), for nh query heads at once: each row is
  // read and converted once for all heads. hd <= kAttnMaxHeadDim.
  //   attn_scores: sc[h * ld + j] = dot(q + h * hd, row j)          (sum order unspecified)
  //   attn_values: o[h * hd + i] += sum_j p[h * ld + j] * row_j[i]  (in j order, one fma per j)
  void (*attn_scores)(DType t, const void* const* rows, int n, const float* q, int nh, int hd, float* sc, int ld);
  void (*attn_values)(DType t, const void* const* rows, int n, const float* p, int ld, int nh, int hd, float* o);
  // y[i] = gelu_tanh(g[i]) * u[i] (see gelu_tanh_mul below); y may alias g. SIMD versions use
  // their own tanh, within 2 float ulps of std::tanh.
  void (*gelu_tanh_mul)(const float* g, const float* u, float* y, int64_t n);
};
constexpr int kAttnMaxHeadDim = 1024;

// The table for an ISA, or nullptr when this CPU (or this build) lacks it.
const KernelTable* kernel_table(Isa isa);

// Bytes needed for the quantized form of an n-element activation vector for weight type t.
size_t activation_bytes(DType t, int64_t n);

// Whole-matrix products, parallel over the pool. scratch must hold scratch_bytes() bytes and
// is the only memory used: nothing here allocates. Results do not depend on the pool size.
//   matvec: y[W.rows] = W x[W.cols]                       (decode: one token)
//     x is converted once by quantize_activation (so quantized types see x rounded to 8 bits
//     per block), then the rows are split over the pool.
//   matmul: Y[T][W.rows] = X[T][W.cols] W^T               (prefill: T tokens at once)
//     Where matmul_quantizes_activation(isa, W.type) (AVX-512 with Q4_0/Q8_0/Q4_K/Q6_K weights), each
//     row of X is quantized like matvec's x and every output equals matvec's bit for bit (an
//     int8 VNNI GEMM). Otherwise a float GEMM: in chunks of 512 columns, each task dequantizes 16 rows
//     of W to float and multiplies all T rows of X with them (X used as float, sums in k order). matmul_scratch_bytes' n_threads
//     must be at least pool.size() and max_T at least T. W.cols must be a multiple of the block
//     size (else Error invalid_argument).
bool matmul_quantizes_activation(Isa isa, DType t);
size_t matvec_scratch_bytes(DType t, int64_t cols);
size_t matmul_scratch_bytes(DType t, int64_t cols, int64_t max_T, int n_threads);
void matvec(const KernelTable& k, const MatView& W, const float* x, float* y, ThreadPool& pool,
            void* scratch);
void matmul(const KernelTable& k, const MatView& W, const float* X, int64_t T, float* Y,
            ThreadPool& pool, void* scratch);

// Element-wise and row ops (plain loops the compiler vectorises; exact per spec §2.2).
// y = x / sqrt(mean(x^2) + eps) * w   (w may be nullptr: weightless RMSNorm). y may alias x.
void rms_norm(const float* x, const float* w, float* y, int64_t n, float eps);
// y[i] = gelu_tanh(g[i]) * u[i]. y may alias g.
void gelu_tanh_mul(const float* g, const float* u, float* y, int64_t n);
// In-place NeoX RoPE on n_heads heads of head_dim: pair (j, j + head_dim/2) rotated by the
// angle with cos_t[j], sin_t[j] for j < head_dim/2 (tables precomputed for one position).
void rope_neox(float* x, int n_heads, int head_dim, const float* cos_t, const float* sin_t);
// In-place softmax over n values.
void softmax(float* x, int64_t n);

}  // namespace g4::kernels
