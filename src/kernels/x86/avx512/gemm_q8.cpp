// Prefill GEMM for Q4_0 / Q8_0 weights on AVX-512 VNNI: Y[T][rows] = X W^T with X quantized to
// Q8_0 blocks per token, exactly as matvec quantizes its activation, and every output computed
// with the step arithmetic of q8_step.h, so a prefill row equals the decode result bit for bit.
//
// Blocking: K is cut into chunks of kChunkSteps steps (1024 elements, the float reduction unit
// of q8_step.h). The thread's rows go in super-blocks of 64: for each chunk, 8 rows at a time
// are unpacked once into 16 KB of signed-byte steps (L1), then every tile of 4 tokens (6 KB of
// packed activation) passes them in 4 x 4 register tiles (16 zmm accumulators; vpdpbusd reads
// the weights from L1). So the unpack is amortized over all T tokens, the chunk's activation
// (T x 1.5 KB) is read from L2, the super-block's part of Y (T x 256 B) stays in L2 across all
// chunks, and DRAM sees each weight byte once. Chunk sums are added into Y in chunk order (the
// first one as 0 + sum, as matvec does).
#include "kernels/x86/avx512/intrinsics.h"

#include "kernels/gemm.h"
#include "kernels/x86/avx512/avx512_internal.h"
#include "kernels/x86/avx512/q8_step.h"

namespace g4::kernels::avx512 {
static_assert(sizeof(XStep) == kQ8StepBytes && kStepBlocks * kQK == kQ8StepElems, "gemm.h constants");

namespace {

constexpr int kTok = kQ8TokTile;  // tokens per register tile (4)
constexpr int kWRows = 4;   // weight rows per register tile
constexpr int kBlockRows = kQ8BlockRows;  // rows unpacked together (kBlockRows x chunk in L1)
constexpr int kSuperRows = 64;  // rows whose Y columns (T x 256 B) stay in L2 over all chunks

constexpr size_t kAlign = 64;
size_t round_up(size_t n) { return (n + kAlign - 1) / kAlign * kAlign; }

// An unpacked weight step in memory (the WStep registers), 256 bytes.
struct alignas(64) WMem {
  __m512i lo, hi, neg;
  __m512 d;
};
static_assert(sizeof(WMem) * kBlockRows * kChunkSteps == kQ8WBlockBytes, "gemm.h constants");

// Rows r .. r + kBlockRows - 1 (the last real row repeated past r1), steps [c0, c1), into
// wb[row * kChunkSteps + (s - c0)].
template <bool Q4>
void unpack_block(const MatView& W, int64_t r, int64_t r1, int64_t c0, int64_t c1, WMem* wb) {
  const int64_t nb = W.cols / kQK;
  const Tables& T = tables();
  for (int i = 0; i < kBlockRows; ++i) {
    const uint8_t* row = W.row(r + i < r1 ? r + i : r1 - 1);
    for (int64_t s = c0; s < c1; ++s) {
      WStep w = Q4 ? unpack_q4_0(reinterpret_cast<const BlockQ4_0*>(row), nb, s, T)
                   : unpack_q8_0(reinterpret_cast<const BlockQ8_0*>(row), nb, s, T);
      WMem& o = wb[i * kChunkSteps + (s - c0)];
      o.lo = w.lo, o.hi = w.hi, o.neg = w.neg, o.d = w.d;
    }
  }
}

// kWRows rows (wb) x kTok tokens (x, stride tpad per step) over ns steps: the arithmetic of
// step_fma, term for term. Chunk sums go to Y (the first chunk as 0 + sum, like matvec).
void tile(const WMem* wb, const XStep* x, int64_t tpad, int64_t ns, bool first, float* Y,
          int64_t ldy, int nr, int nt) {
  __m512 acc[kWRows][kTok];
  for (int i = 0; i < kWRows; ++i)
    for (int c = 0; c < kTok; ++c) acc[i][c] = _mm512_setzero_ps();
  for (int64_t s = 0; s < ns; ++s) {
    __m512i xl[kTok], xh[kTok];
    for (int c = 0; c < kTok; ++c) {
      xl[c] = _mm512_load_si512(x[s * tpad + c].lo);
      xh[c] = _mm512_load_si512(x[s * tpad + c].hi);
    }
    for (int i = 0; i < kWRows; ++i) {
      const WMem& w = wb[i * kChunkSteps + s];
      for (int c = 0; c < kTok; ++c) {
        __m512i v = _mm512_dpbusd_epi32(w.neg, xl[c], w.lo);
        v = _mm512_dpbusd_epi32(v, xh[c], w.hi);
        __m512 sc = _mm512_mul_ps(w.d, _mm512_load_ps(x[s * tpad + c].d));
        acc[i][c] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(v), sc, acc[i][c]);
      }
    }
  }
  for (int c = 0; c < nt; ++c)
    for (int i = 0; i < nr; ++i) {
      float* y = Y + c * ldy + i;
      float v = _mm512_reduce_add_ps(acc[i][c]);
      *y = (first ? 0.0f : *y) + v;
    }
}

template <bool Q4>
void rows(const MatView& W, const XStep* xp, int64_t tpad, int64_t T, float* Y, int64_t r0, int64_t r1,
          WMem* wb) {
  const int64_t steps = q8_steps(W.cols / kQK);
  for (int64_t rs = r0; rs < r1; rs += kSuperRows) {
   const int64_t rs1 = rs + kSuperRows < r1 ? rs + kSuperRows : r1;
   for (int64_t c0 = 0; c0 < steps; c0 += kChunkSteps) {
    int64_t c1 = c0 + kChunkSteps < steps ? c0 + kChunkSteps : steps;
    for (int64_t rb = rs; rb < rs1; rb += kBlockRows) {
      unpack_block<Q4>(W, rb, r1, c0, c1, wb);
      for (int64_t t0 = 0; t0 < T; t0 += kTok) {
        int nt = static_cast<int>(T - t0 < kTok ? T - t0 : kTok);
        for (int64_t r = rb; r < rb + kBlockRows && r < r1; r += kWRows) {
          int nr = static_cast<int>(r1 - r < kWRows ? r1 - r : kWRows);
          tile(wb + (r - rb) * kChunkSteps, xp + c0 * tpad + t0, tpad, c1 - c0, c0 == 0,
               Y + t0 * W.rows + r, W.rows, nr, nt);
        }
      }
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
  WMem* wbs = reinterpret_cast<WMem*>(base + static_cast<size_t>(pool.size()) * act);
  XStep* xp = reinterpret_cast<XStep*>(reinterpret_cast<uint8_t*>(wbs) + static_cast<size_t>(pool.size()) * kQ8WBlockBytes);
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
  pool.parallel_for(n, [&](int64_t i, int thread) {
    WMem* wb = wbs + static_cast<size_t>(thread) * kBlockRows * kChunkSteps;
    int64_t r0 = i * per, r1 = r0 + per < W.rows ? r0 + per : W.rows;
    if (r0 >= r1) return;
    if (q4) rows<true>(W, xp, tpad, T, Y, r0, r1, wb);
    else rows<false>(W, xp, tpad, T, Y, r0, r1, wb);
  });
}

}  // namespace g4::kernels::avx512
