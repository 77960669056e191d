// Prefill GEMM for Q4_K / Q6_K weights on AVX-512 VNNI: Y[T][rows] = X W^T with X quantized to
// Q8_K blocks per token, exactly as matvec quantizes its activation, and every output computed
// with the lane arithmetic of gemv.cpp's rows_q4_k / rows_q6_k, so a prefill row equals the
// decode result bit for bit.
//
// Why it matches: per super-block, decode forms 16 int32 lanes (each lane a fixed set of
// products, scaled by the sub-block scales), converts them to float and does one fma per lane
// into a 16-lane accumulator; Q4_K adds a separate 8-lane accumulator for the mins. Integer
// sums are exact, so any instruction sequence producing the same lane integers is identical
// after the conversion; the float steps (cvt, d * dx, fma per block in block order, the final
// reductions) are done here with the same operations in the same order.
// The lane integers: decode multiplies each dpbusd lane by its scale with vpmulld; here the
// scale is applied by vpmaddwd / vpdpwssd against a scale vector whose high words are zero.
// That is exact because a dpbusd lane started from zero fits int16 (4 * 63 * 127 < 32768).
//
// Blocking: a thread's rows go 4 at a time; their whole rows are unpacked once into 576-byte
// records per super-block (nibbles split, scales laid out per lane, d and dmin as floats), in
// L2. Then every tile of 3 tokens passes them with 12 (row, token) accumulators held in
// registers across all super-blocks, so no partial state is ever stored. The activation is
// packed once per token (the Q4_K x reordered to match the weight nibble layout) and read from
// L2/L3 by every row group; DRAM sees each weight byte once.
#include "kernels/x86/avx512/intrinsics.h"

#include <cstring>

#include "kernels/blocks.h"
#include "kernels/gemm.h"
#include "kernels/x86/avx512/avx512_internal.h"

namespace g4::kernels::avx512 {
namespace {

constexpr int kTok = kQKTokTile;   // tokens per register tile
constexpr int kRowsT = kQKRows;    // weight rows per register tile (and per unpacked group)
constexpr size_t kAlign = 64;
size_t round_up(size_t n) { return (n + kAlign - 1) / kAlign * kAlign; }

// One token's super-block: quants in the order the weight records expect, the 16-element sums
// and the scale.
struct alignas(64) XK {
  int8_t qs[kQKK];
  int16_t bs[16];
  float d;
};
static_assert(sizeof(XK) == kQKXBytes, "gemm.h constants");

// One row's unpacked super-block. q[p] meets the token's qs[64p .. 64p + 63]; sc[p] is the
// per-lane scale of that product (int32 lanes, high word zero). ext: Q4_K the mins as words
// [m0 m0 m1 m1 .. m7 m7], Q6_K the words -32 * scales[g].
struct alignas(64) WK {
  __m512i q[4];
  __m512i sc[4];
  __m256i ext;
  float d, dmin;
};
static_assert(sizeof(WK) == kQKWBytes, "gemm.h constants");


void unpack_q4_k(const BlockQ4_K& w, WK& o) {
  const __m512i m4 = _mm512_set1_epi8(15);
  auto pick = [](int a, int b) { return _mm512_set_epi32(b, b, b, b, b, b, b, b, a, a, a, a, a, a, a, a); };
  uint64_t sc8, m8;
  q4k_scales(w.scales, &sc8, &m8);
  __m512i sc = _mm512_cvtepu8_epi32(_mm_cvtsi64_si128(static_cast<long long>(sc8)));
  __m512i a = _mm512_loadu_si512(w.qs), c = _mm512_loadu_si512(w.qs + 64);
  o.q[0] = _mm512_and_si512(a, m4);
  o.q[1] = _mm512_and_si512(_mm512_srli_epi16(a, 4), m4);
  o.q[2] = _mm512_and_si512(c, m4);
  o.q[3] = _mm512_and_si512(_mm512_srli_epi16(c, 4), m4);
  o.sc[0] = _mm512_permutexvar_epi32(pick(0, 2), sc);
  o.sc[1] = _mm512_permutexvar_epi32(pick(1, 3), sc);
  o.sc[2] = _mm512_permutexvar_epi32(pick(4, 6), sc);
  o.sc[3] = _mm512_permutexvar_epi32(pick(5, 7), sc);
  __m128i mb = _mm_cvtsi64_si128(static_cast<long long>(m8));
  o.ext = _mm256_cvtepu8_epi16(_mm_unpacklo_epi8(mb, mb));
  o.d = _cvtsh_ss(w.d);
  o.dmin = _cvtsh_ss(w.dmin);
}

void unpack_q6_k(const BlockQ6_K& w, WK& o) {
  const __m512i m4 = _mm512_set1_epi8(15), m30 = _mm512_set1_epi8(0x30), lo16 = _mm512_set1_epi32(0xffff);
  __m128i sc8 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(w.scales));
  __m512i sc = _mm512_and_si512(_mm512_cvtepi8_epi32(sc8), lo16);  // signed words, high word 0
  for (int k = 0; k < 4; ++k) {
    alignas(64) int32_t idx[16];
    for (int l = 0; l < 16; ++l) idx[l] = 4 * k + l / 4;
    o.sc[k] = _mm512_permutexvar_epi32(_mm512_load_si512(idx), sc);
  }
  for (int h = 0; h < 2; ++h) {
    __m512i l = _mm512_loadu_si512(w.ql + 64 * h);
    __m256i q = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w.qh + 32 * h));
    __m512i ha = _mm512_and_si512(
        _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_slli_epi16(q, 4)), _mm256_slli_epi16(q, 2), 1), m30);
    __m512i hb = _mm512_and_si512(_mm512_inserti64x4(_mm512_castsi256_si512(q), _mm256_srli_epi16(q, 2), 1), m30);
    o.q[2 * h] = _mm512_ternarylogic_epi32(l, m4, ha, 0xEA);
    o.q[2 * h + 1] = _mm512_ternarylogic_epi32(_mm512_srli_epi16(l, 4), m4, hb, 0xEA);
  }
  o.ext = _mm256_mullo_epi16(_mm256_cvtepi8_epi16(sc8), _mm256_set1_epi16(-32));
  o.d = _cvtsh_ss(w.d);
  o.dmin = 0.0f;
}

// Token t's Q8_K blocks into its XK records out[b * stride].
void pack_x(const BlockQ8_K* x, int64_t nb, bool q4k, XK* out, int64_t stride) {
  for (int64_t b = 0; b < nb; ++b) {
    XK& o = out[b * stride];
    if (q4k) {
      // Weight nibble group g holds sub-blocks 2g (low) and 2g+1 (high): [sub 0 | sub 2],
      // [1 | 3], [4 | 6], [5 | 7] (as gemv.cpp's x02, x13, x46, x57).
      static const int order[8] = {0, 2, 1, 3, 4, 6, 5, 7};
      for (int j = 0; j < 8; ++j) std::memcpy(o.qs + 32 * j, x[b].qs + 32 * order[j], 32);
    } else {
      std::memcpy(o.qs, x[b].qs, kQKK);
    }
    std::memcpy(o.bs, x[b].bsums, sizeof(o.bs));
    o.d = x[b].d;
  }
}

// Tokens are stored tile by tile, each tile's super-blocks in order (its 3 tokens adjacent), so
// a tile pass reads one sequential stream: record (t, b) at x_at(t, nb) + b * kTok.
inline int64_t x_at(int64_t t, int64_t nb) { return t / kTok * nb * kTok + t % kTok; }

void zero_x(XK* out, int64_t nb, int64_t stride) {
  for (int64_t b = 0; b < nb; ++b) std::memset(static_cast<void*>(out + b * stride), 0, sizeof(XK));
}

// kRowsT rows (wk[b * kRowsT + i]) x kTok tokens (x[b * kTok + c]) over all nb super-blocks.
template <bool Q4K>
void tile(const WK* wk, const XK* x, int64_t nb, float* Y, int64_t ldy, int nr, int nt) {
  __m512 acc[kRowsT][kTok];
  for (int i = 0; i < kRowsT; ++i)
    for (int c = 0; c < kTok; ++c) acc[i][c] = _mm512_setzero_ps();
  const __m512i zero = _mm512_setzero_si512();
  for (int64_t b = 0; b < nb; ++b) {
    const XK* xb = x + b * kTok;
    __m512i s[kRowsT][kTok];
    for (int p = 0; p < 4; ++p) {
      // The tokens' quants in registers; each row's weights and scales loaded once.
      __m512i xv[kTok];
      for (int c = 0; c < kTok; ++c) xv[c] = _mm512_load_si512(xb[c].qs + 64 * p);
      for (int i = 0; i < kRowsT; ++i) {
        const __m512i w = _mm512_load_si512(&wk[b * kRowsT + i].q[p]);
        const __m512i sc = _mm512_load_si512(&wk[b * kRowsT + i].sc[p]);
        for (int c = 0; c < kTok; ++c) {
          __m512i t = _mm512_dpbusd_epi32(zero, w, xv[c]);
          s[i][c] = p == 0 ? _mm512_madd_epi16(t, sc) : _mm512_dpwssd_epi32(s[i][c], t, sc);
        }
      }
    }
    for (int c = 0; c < kTok; ++c) {
      __m256i bs = _mm256_load_si256(reinterpret_cast<const __m256i*>(xb[c].bs));
      for (int i = 0; i < kRowsT; ++i) {
        const WK& w = wk[b * kRowsT + i];
        __m512i v = s[i][c];
        if constexpr (!Q4K) v = _mm512_add_epi32(v, _mm512_zextsi256_si512(_mm256_madd_epi16(w.ext, bs)));
        acc[i][c] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(v), _mm512_set1_ps(w.d * xb[c].d), acc[i][c]);
      }
    }
  }
  float out[kRowsT][kTok];
  for (int i = 0; i < kRowsT; ++i)
    for (int c = 0; c < kTok; ++c) out[i][c] = _mm512_reduce_add_ps(acc[i][c]);
  if constexpr (Q4K) {
    // The mins' own accumulator, as decode keeps it (its sum is taken off at the end).
    __m256 accm[kRowsT][kTok];
    for (int i = 0; i < kRowsT; ++i)
      for (int c = 0; c < kTok; ++c) accm[i][c] = _mm256_setzero_ps();
    for (int64_t b = 0; b < nb; ++b) {
      const XK* xb = x + b * kTok;
      for (int c = 0; c < kTok; ++c) {
        __m256i bs = _mm256_load_si256(reinterpret_cast<const __m256i*>(xb[c].bs));
        for (int i = 0; i < kRowsT; ++i) {
          const WK& w = wk[b * kRowsT + i];
          __m256i mm = _mm256_madd_epi16(w.ext, bs);
          accm[i][c] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(mm), _mm256_set1_ps(w.dmin * xb[c].d), accm[i][c]);
        }
      }
    }
    for (int i = 0; i < kRowsT; ++i)
      for (int c = 0; c < kTok; ++c) {
        __m128 m = _mm_add_ps(_mm256_castps256_ps128(accm[i][c]), _mm256_extractf128_ps(accm[i][c], 1));
        m = _mm_add_ps(m, _mm_movehl_ps(m, m));
        m = _mm_add_ss(m, _mm_movehdup_ps(m));
        out[i][c] -= _mm_cvtss_f32(m);
      }
  }
  for (int c = 0; c < nt; ++c)
    for (int i = 0; i < nr; ++i) Y[c * ldy + i] = out[i][c];
}

template <bool Q4K>
void rows(const MatView& W, const XK* xp, int64_t T, float* Y, int64_t r0, int64_t r1, WK* wk) {
  const int64_t nb = W.cols / kQKK;
  for (int64_t r = r0; r < r1; r += kRowsT) {
    const int nr = static_cast<int>(r1 - r < kRowsT ? r1 - r : kRowsT);
    for (int i = 0; i < kRowsT; ++i) {
      const uint8_t* row = W.row(r + (i < nr ? i : nr - 1));  // padding rows repeat the last
      for (int64_t b = 0; b < nb; ++b) {
        if constexpr (Q4K) unpack_q4_k(reinterpret_cast<const BlockQ4_K*>(row)[b], wk[b * kRowsT + i]);
        else unpack_q6_k(reinterpret_cast<const BlockQ6_K*>(row)[b], wk[b * kRowsT + i]);
      }
    }
    for (int64_t t0 = 0; t0 < T; t0 += kTok) {
      const int nt = static_cast<int>(T - t0 < kTok ? T - t0 : kTok);
      tile<Q4K>(wk, xp + t0 * nb, nb, Y + t0 * W.rows + r, W.rows, nr, nt);
    }
  }
}

}  // namespace

void matmul_qk(const KernelTable& k, const MatView& W, const float* X, int64_t T, float* Y,
               ThreadPool& pool, void* scratch) {
  const int64_t nb = W.cols / kQKK;
  const int64_t tpad = (T + kTok - 1) / kTok * kTok;
  const bool q4k = W.type == DType::Q4_K;
  uint8_t* base = reinterpret_cast<uint8_t*>((reinterpret_cast<uintptr_t>(scratch) + kAlign - 1) / kAlign * kAlign);
  const size_t act = round_up(static_cast<size_t>(nb) * sizeof(BlockQ8_K));
  const size_t wbytes = static_cast<size_t>(kRowsT * nb) * sizeof(WK);
  WK* wks = reinterpret_cast<WK*>(base + static_cast<size_t>(pool.size()) * act);
  XK* xp = reinterpret_cast<XK*>(reinterpret_cast<uint8_t*>(wks) + static_cast<size_t>(pool.size()) * wbytes);
  pool.parallel_range(tpad, 8, [&](int64_t b, int64_t e, int thread) {
    BlockQ8_K* xq = reinterpret_cast<BlockQ8_K*>(base + static_cast<size_t>(thread) * act);
    for (int64_t t = b; t < e; ++t) {
      if (t < T) {
        k.quantize_activation(W.type, X + t * W.cols, W.cols, xq);
        pack_x(xq, nb, q4k, xp + x_at(t, nb), kTok);
      } else {
        zero_x(xp + x_at(t, nb), nb, kTok);
      }
    }
  });
  const int n = pool.size();
  int64_t per = (W.rows + n - 1) / n;
  per = (per + 15) / 16 * 16;
  pool.parallel_for(n, [&](int64_t i, int thread) {
    WK* wk = reinterpret_cast<WK*>(reinterpret_cast<uint8_t*>(wks) + static_cast<size_t>(thread) * wbytes);
    int64_t r0 = i * per, r1 = r0 + per < W.rows ? r0 + per : W.rows;
    if (r0 >= r1) return;
    if (q4k) rows<true>(W, xp, T, Y, r0, r1, wk);
    else rows<false>(W, xp, T, Y, r0, r1, wk);
  });
}

}  // namespace g4::kernels::avx512
