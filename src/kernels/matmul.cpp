// Whole-matrix products over the thread pool: matvec (decode) and the panel GEMM (prefill).
#include <algorithm>
#include <cstring>
#include <string>

#include "base/error.h"
#include "kernels/blocks.h"
#include "kernels/gemm.h"
#include "kernels/kernels.h"

namespace g4::kernels {
namespace {

constexpr size_t kAlign = 64;

void check_view(const MatView& W, const char* who) {
  int64_t be = dtype_block_elems(W.type);
  if (!W.data || W.rows <= 0 || W.cols <= 0 || W.cols % be != 0 ||
      W.row_bytes < dtype_row_bytes(W.type, W.cols))
    fail(Status::invalid_argument, std::string(who) + ": bad " + dtype_name(W.type) + " matrix " +
                                       std::to_string(W.rows) + "x" + std::to_string(W.cols) +
                                       " (cols must be a multiple of " + std::to_string(be) + ")");
}

// Columns per K chunk of the float GEMM: a multiple of every block size (256).
constexpr int64_t kKChunk = 512;

// Per-thread part of the matmul scratch: the packed panel [chunk][kPanel] and one row buffer.
size_t panel_bytes(int64_t cols) {
  size_t b = static_cast<size_t>(std::min(cols, kKChunk)) * (kPanel + 1) * sizeof(float);
  return (b + kAlign - 1) / kAlign * kAlign;
}

uint8_t* align_up(void* p) {
  uintptr_t u = reinterpret_cast<uintptr_t>(p);
  return reinterpret_cast<uint8_t*>((u + kAlign - 1) / kAlign * kAlign);
}

}  // namespace

size_t activation_bytes(DType t, int64_t n) {
  switch (t) {
    case DType::Q8_0:
    case DType::Q4_0: return static_cast<size_t>(n / kQK) * sizeof(BlockQ8_0);
    case DType::Q4_K:
    case DType::Q6_K: return static_cast<size_t>(n / kQKK) * sizeof(BlockQ8_K);
    default: return static_cast<size_t>(n) * sizeof(float);
  }
}

size_t matvec_scratch_bytes(DType t, int64_t cols) { return activation_bytes(t, cols); }

bool matmul_quantizes_activation(Isa isa, DType t) {
  return isa == Isa::avx512 &&
         (t == DType::Q4_0 || t == DType::Q8_0 || t == DType::Q4_K || t == DType::Q6_K);
}

size_t matmul_scratch_bytes(DType t, int64_t cols, int64_t max_T, int n_threads) {
  if (n_threads < 1) n_threads = 1;
  size_t b = kAlign + static_cast<size_t>(n_threads) * panel_bytes(cols);
  if (t == DType::Q4_0 || t == DType::Q8_0) {
    // The Q8 path: per thread one quantized token and one unpacked weight block, then the
    // packed steps of all tokens.
    int64_t tpad = (std::max<int64_t>(max_T, 1) + kQ8TokTile - 1) / kQ8TokTile * kQ8TokTile;
    size_t act = (activation_bytes(t, cols) + kAlign - 1) / kAlign * kAlign;
    size_t q8 = kAlign + static_cast<size_t>(n_threads) * (act + kQ8WBlockBytes) +
                static_cast<size_t>((cols + kQ8StepElems - 1) / kQ8StepElems * tpad) * kQ8StepBytes;
    b = std::max(b, q8);
  }
  if (t == DType::Q4_K || t == DType::Q6_K) {
    // The Q8_K path: per thread one quantized token and kQKRows unpacked whole rows, then the
    // packed super-blocks of all tokens.
    int64_t tpad = (std::max<int64_t>(max_T, 1) + kQKTokTile - 1) / kQKTokTile * kQKTokTile;
    int64_t nb = cols / kQKK;
    size_t act = (activation_bytes(t, cols) + kAlign - 1) / kAlign * kAlign;
    size_t qk = kAlign + static_cast<size_t>(n_threads) * (act + static_cast<size_t>(kQKRows * nb) * kQKWBytes) +
                static_cast<size_t>(nb * tpad) * kQKXBytes;
    b = std::max(b, qk);
  }
  return b;
}

void matvec(const KernelTable& k, const MatView& W, const float* x, float* y, ThreadPool& pool,
            void* scratch) {
  check_view(W, "matvec");
  k.quantize_activation(W.type, x, W.cols, scratch);
  // One contiguous range of rows per thread (a multiple of 16 rows), so each thread streams
  // its part of the matrix start to end; rows are independent, so the split never changes y.
  const int n = pool.size();
  const int64_t per = ((W.rows + n - 1) / n + 15) / 16 * 16;
  pool.parallel_for((W.rows + per - 1) / per, [&](int64_t i, int) {
    int64_t r0 = i * per, r1 = std::min(W.rows, r0 + per);
    k.matvec_rows(W, scratch, y, r0, r1);
  });
}

void matmul(const KernelTable& k, const MatView& W, const float* X, int64_t T, float* Y,
            ThreadPool& pool, void* scratch) {
  check_view(W, "matmul");
  if (T <= 0) return;
  if (matmul_quantizes_activation(k.isa, W.type)) {
    if (W.type == DType::Q4_K || W.type == DType::Q6_K) avx512::matmul_qk(k, W, X, T, Y, pool, scratch);
    else avx512::matmul_q8(k, W, X, T, Y, pool, scratch);
    return;
  }
  const int64_t cols = W.cols;
  const int64_t n_panels = (W.rows + kPanel - 1) / kPanel;
  const GemmPanelFn gemm = gemm_panel_for(k.isa);
  uint8_t* base = align_up(scratch);
  const size_t per_thread = panel_bytes(cols);
  // K in chunks of kKChunk columns, one pool job per chunk: the chunk of X (T x 2 KB) stays
  // in L2 while the panels pass, instead of all of X streaming from memory once per panel.
  // Each panel continues its sums from Y (accumulate), so the chunking does not change a bit,
  // and each panel is computed the same way whichever thread takes it.
  for (int64_t k0 = 0; k0 < cols; k0 += kKChunk) {
    const int64_t kc = std::min<int64_t>(kKChunk, cols - k0);
    const size_t off = dtype_row_bytes(W.type, k0);  // k0 is whole blocks (kKChunk is)
    pool.parallel_for(n_panels, [&](int64_t p, int thread) {
      float* Bp = reinterpret_cast<float*>(base + static_cast<size_t>(thread) * per_thread);
      float* row = Bp + kc * kPanel;
      const int64_t r0 = p * kPanel;
      const int nr = static_cast<int>(W.rows - r0 < kPanel ? W.rows - r0 : kPanel);
      for (int j = 0; j < nr; ++j) {
        k.dequantize_row(W.type, W.row(r0 + j) + off, row, kc);
        for (int64_t c = 0; c < kc; ++c) Bp[c * kPanel + j] = row[c];
      }
      for (int j = nr; j < kPanel; ++j)
        for (int64_t c = 0; c < kc; ++c) Bp[c * kPanel + j] = 0.0f;
      gemm(X + k0, T, cols, Bp, kc, Y + r0, W.rows, nr, k0 > 0);
    });
  }
}

}  // namespace g4::kernels
