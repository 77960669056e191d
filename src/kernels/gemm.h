// Internal interface between matmul (kernels/matmul.cpp) and the per-ISA GEMM micro-kernels.
//
// matmul splits W into panels of kPanel rows. A thread dequantizes one panel to float and packs
// it column-interleaved, Bp[k * kPanel + j] = W[r0 + j][k] (columns j >= nr are zero), so one
// k step of the micro-kernel loads the kPanel weights of that column with one or two vector
// loads and broadcasts X[t][k]: an outer-product update of a (tokens x kPanel) register tile.
#pragma once
#include <cstdint>

#include "kernels/kernels.h"

namespace g4::kernels {

constexpr int kPanel = 16;

// Y[t * ldy + j] = sum_k X[t * ldx + k] * Bp[k * kPanel + j] for t < T, j < nr (nr <= kPanel);
// with accumulate, the sum continues from the value already in Y. Summation over k is
// sequential per output, so the result does not depend on which thread runs the panel, and a
// K split into chunks (accumulate for all but the first) gives the same bits as one pass.
using GemmPanelFn = void (*)(const float* X, int64_t T, int64_t ldx, const float* Bp, int64_t K,
                             float* Y, int64_t ldy, int nr, bool accumulate);

// The micro-kernel for an ISA (always non-null for an ISA whose kernel_table() is non-null).
GemmPanelFn gemm_panel_for(Isa isa);

namespace avx2 {
const KernelTable* table();
void gemm_panel(const float* X, int64_t T, int64_t ldx, const float* Bp, int64_t K, float* Y,
                int64_t ldy, int nr, bool accumulate);
}  // namespace avx2
// The int8 prefill GEMM of x86/avx512/gemm_q8.cpp (Q4_0 and Q8_0 weights): X is quantized
// per token to Q8_0 and packed in steps of 4 blocks (kQ8StepBytes per token and step, tokens
// padded to kQ8TokTile), then multiplied with vpdpbusd exactly as matvec does.
constexpr int kQ8TokTile = 4;
constexpr size_t kQ8StepBytes = 192;
constexpr int64_t kQ8StepElems = 128;
constexpr int kQ8BlockRows = 8;                 // weight rows unpacked at a time, per thread
constexpr size_t kQ8WBlockBytes = 8 * 8 * 256;  // kQ8BlockRows x 8 steps x 256-byte steps

// The int8 prefill GEMM of x86/avx512/gemm_qk.cpp (Q4_K and Q6_K weights): X quantized per token
// to Q8_K (kQKXBytes per token and super-block, tokens padded to kQKTokTile), each thread
// unpacking kQKRows whole weight rows at a time (kQKWBytes per row and super-block).
constexpr int kQKTokTile = 3;
constexpr int kQKRows = 4;
constexpr size_t kQKXBytes = 320;
constexpr size_t kQKWBytes = 576;

namespace avx512 {
const KernelTable* table();
void matmul_qk(const KernelTable& k, const MatView& W, const float* X, int64_t T, float* Y,
               ThreadPool& pool, void* scratch);
void matmul_q8(const KernelTable& k, const MatView& W, const float* X, int64_t T, float* Y,
               ThreadPool& pool, void* scratch);
void gemm_panel(const float* X, int64_t T, int64_t ldx, const float* Bp, int64_t K, float* Y,
                int64_t ldy, int nr, bool accumulate);
}  // namespace avx512

}  // namespace g4::kernels
