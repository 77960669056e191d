// Prefill GEMM for Q4_0 / Q8_0 weights on AVX-512 VNNI: Y[T][rows] = X W^T with X quantized to
// Q8_0 blocks per token, exactly as matvec quantizes its activation, and every output computed
// with the step arithmetic of q8_step.h, so a prefill row equals the decode result bit for bit.
//
// Blocking: K is cut into chunks of kChunkSteps steps (1024 elements, the float reduction unit
// of q8_step.h). For one chunk, a tile of kTok tokens' packed activation (8 x 8 x 192 B = 12 KB)
// stays in L1 while the thread's rows pass by two at a time: each weight step is unpacked once
// into registers and meets the 8 tokens (16 zmm accumulators). The chunk of the thread's weight
// rows (576 B per Q4_0 row) stays in L2 across the token tiles, so DRAM sees each weight once
// per chunk. Chunk sums are added into Y in chunk order (the first one as 0 + sum, as matvec).
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ == 12
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>

#include "kernels/gemm.h"
#include "kernels/x86/avx512/avx512_internal.h"
#include "kernels/x86/avx512/q8_step.h"

namespace g4::kernels::avx512 {
static_assert(sizeof(XStep) == kQ8StepBytes && kStepBlocks * kQK == kQ8StepElems, "gemm.h constants");

namespace {

constexpr int kTok = kQ8TokTile;  // tokens per register tile
constexpr int kWRows = 2;  // weight rows per register tile

constexpr size_t kAlign = 64;
size_t round_up(size_t n) { return (n + kAlign - 1) / kAlign * kAlign; }

template <bool Q4>
inline WStep unpack(const uint8_t* row, int64_t nb, int64_t s, const Tables& T) {
  return Q4 ? unpack_q4_0(reinterpret_cast<const BlockQ4_0*>(row), nb, s, T)
            : unpack_q8_0(reinterpret_cast<const BlockQ8_0*>(row), nb, s, T);
}

// Chunk [c0, c1) of rows r, r+1 (r+1 may repeat r at an odd end) against tokens t0..t0+kTok-1.
template <bool Q4>
void tile(const MatView& W, const XStep* xp, int64_t tpad, int64_t t0, int nt, int64_t r, int nr,
          int64_t c0, int64_t c1, float* Y, int64_t ldy) {
  const int64_t nb = W.cols / kQK;
  const Tables& T = tables();
  const uint8_t* row0 = W.row(r);
  const uint8_t* row1 = W.row(nr > 1 ? r + 1 : r);
  __m512 a0[kTok], a1[kTok];
  for (int c = 0; c < kTok; ++c) a0[c] = a1[c] = _mm512_setzero_ps();
  for (int64_t s = c0; s < c1; ++s) {
    WStep w0 = unpack<Q4>(row0, nb, s, T), w1 = unpack<Q4>(row1, nb, s, T);
    const XStep* x = xp + s * tpad + t0;
    for (int c = 0; c < kTok; ++c) {
      a0[c] = step_fma(w0, x[c], a0[c]);
      a1[c] = step_fma(w1, x[c], a1[c]);
    }
  }
  const bool first = c0 == 0;
  for (int c = 0; c < nt; ++c) {
    float* y = Y + (t0 + c) * ldy + r;
    float v0 = _mm512_reduce_add_ps(a0[c]);
    y[0] = (first ? 0.0f : y[0]) + v0;
    if (nr > 1) {
      float v1 = _mm512_reduce_add_ps(a1[c]);
      y[1] = (first ? 0.0f : y[1]) + v1;
    }
  }
}

template <bool Q4>
void rows(const MatView& W, const XStep* xp, int64_t tpad, int64_t T, float* Y, int64_t r0, int64_t r1) {
  const int64_t steps = q8_steps(W.cols / kQK);
  for (int64_t c0 = 0; c0 < steps; c0 += kChunkSteps) {
    int64_t c1 = c0 + kChunkSteps < steps ? c0 + kChunkSteps : steps;
    for (int64_t t0 = 0; t0 < T; t0 += kTok) {
      int nt = static_cast<int>(T - t0 < kTok ? T - t0 : kTok);
      for (int64_t r = r0; r < r1; r += kWRows) {
        int nr = static_cast<int>(r1 - r < kWRows ? r1 - r : kWRows);
        tile<Q4>(W, xp, tpad, t0, nt, r, nr, c0, c1, Y, W.rows);
      }
    }
  }
}

}  // namespace

void matmul_q8(const KernelTable& k, const MatView& W, const float* X, int64_t T, float* Y,
               ThreadPool& pool, void* scratch) {
  const int64_t nb = W.cols / kQK, steps = q8_steps(nb);
  const int64_t tpad = (T + kTok - 1) / kTok * kTok;
  uint8_t* base = reinterpret_cast<uint8_t*>((reinterpret_cast<uintptr_t>(scratch) + kAlign - 1) / kAlign * kAlign);
  const size_t act = round_up(static_cast<size_t>(nb) * sizeof(BlockQ8_0));
  XStep* xp = reinterpret_cast<XStep*>(base + static_cast<size_t>(pool.size()) * act);
  // Quantize each token like matvec does, then pack it into its column of the step array.
  pool.parallel_range(tpad, 8, [&](int64_t b, int64_t e, int thread) {
    BlockQ8_0* xq = reinterpret_cast<BlockQ8_0*>(base + static_cast<size_t>(thread) * act);
    for (int64_t t = b; t < e; ++t) {
      if (t < T) {
        k.quantize_activation(W.type, X + t * W.cols, W.cols, xq);
        pack_x_q8(xq, nb, xp + t, tpad);
      } else {
        for (int64_t s = 0; s < steps; ++s) zero_x_step(xp + s * tpad + t);
      }
    }
  });
  // One contiguous range of rows per thread (even-sized, so pairs never straddle threads;
  // results do not depend on the split anyway).
  const int n = pool.size();
  int64_t per = (W.rows + n - 1) / n;
  per = (per + 15) / 16 * 16;
  const bool q4 = W.type == DType::Q4_0;
  pool.parallel_for(n, [&](int64_t i, int) {
    int64_t r0 = i * per, r1 = r0 + per < W.rows ? r0 + per : W.rows;
    if (r0 >= r1) return;
    if (q4) rows<true>(W, xp, tpad, T, Y, r0, r1);
    else rows<false>(W, xp, tpad, T, Y, r0, r1);
  });
}

}  // namespace g4::kernels::avx512
