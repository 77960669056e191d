// AVX-512 matvec_rows: several rows per inner loop, so each activation load (and the activation
// side of the work) serves up to kRows weight rows, with software prefetch of the weight
// streams. Every row is computed by the same instruction sequence whether it runs in a group of
// kRows or alone, so results never depend on how rows are split between threads.
//  - Q4_0 / Q8_0: the step form of q8_step.h (vpdpbusd), shared with the prefill GEMM.
//  - Q4_K: vpdpbusd on the nibbles (already unsigned) per 32-element sub-block, times the 6-bit
//    scales per lane (vpmulld); the mins meet the activation's 16-element sums (vpmaddwd).
//  - Q6_K: the 6-bit quants assembled as unsigned bytes, vpdpbusd, times the int8 group scales;
//    the "- 32" is 32 * sum(scale * bsum) taken off once per super-block.
//  - BF16: vdpbf16ps. The float activation is split once per call into bf16 hi + lo
//    (x = hi + lo + r, |r| <= 2^-18 |x|), and each weight pair meets both: the weight stream is
//    the bound, so the second product is free and the result keeps float-like accuracy.
// Activations are staged on the stack (packed Q8 steps, bf16 hi/lo) for up to 16384 columns;
// Q4_0/Q8_0 rows longer than that go in segments with the same arithmetic, BF16 rows fall back
// to the one-row float kernel of avx512.cpp (Gemma 4 12B's widest input is 15360).
#include "kernels/x86/avx512/intrinsics.h"

#include <algorithm>
#include <cstring>

#include "kernels/x86/avx512/avx512_internal.h"
#include "kernels/x86/avx512/q8_step.h"

namespace g4::kernels::avx512 {
namespace {

constexpr int kRows = 4;
constexpr int kMaxStackCols = 16384;  // 24 KB of packed Q8 steps, or 64 KB of bf16 hi + lo
// The R rows of a group are one contiguous stretch of memory, but the kernels walk it as R
// interleaved streams that jump every row (2-4 KB): the hardware prefetcher loses them at each
// jump (measured: 4 interleaved rows stream at 2/3 the speed of one row at a time). So while a
// group is computed, the next group's stretch is prefetched linearly, spread evenly over the
// group's steps: DRAM sees one sequential stream again.
struct GroupPrefetch {
  const char* next;
  int64_t total, steps;
  GroupPrefetch(const MatView& W, int64_t r, int R, int64_t n_steps)
      : next(reinterpret_cast<const char*>(W.row(r)) + R * static_cast<int64_t>(W.row_bytes)),
        total(R * static_cast<int64_t>(W.row_bytes)), steps(n_steps) {}
  void at(int64_t s) const {
    int64_t lo = s * total / steps, hi = (s + 1) * total / steps;
    for (int64_t a = lo & ~int64_t{63}; a < hi; a += 64) _mm_prefetch(next + a, _MM_HINT_T0);
  }
};

// ---- Q4_0 / Q8_0 -------------------------------------------------------------------------

// Steps [s0, s1) of rows r..r+R-1 (xs[s - s0] holds step s); the running sums start from 0 at
// s0 == 0, else continue from y (so a row split into segments gives the same bits).
template <int R, bool Q4>
void rows_q8(const MatView& W, const XStep* xs, float* y, int64_t r, int64_t s0, int64_t s1) {
  const int64_t nb = W.cols / kQK;
  const Tables& T = tables();
  const uint8_t* row[R];
  float total[R];
  for (int i = 0; i < R; ++i) row[i] = W.row(r + i), total[i] = s0 == 0 ? 0.0f : y[r + i];
  const GroupPrefetch pf(W, r, R, q8_steps(nb));
  for (int64_t c0 = s0; c0 < s1; c0 += kChunkSteps) {
    __m512 acc[R];
    for (int i = 0; i < R; ++i) acc[i] = _mm512_setzero_ps();
    int64_t c1 = c0 + kChunkSteps < s1 ? c0 + kChunkSteps : s1;
    for (int64_t s = c0; s < c1; ++s) {
      pf.at(s);
      if constexpr (Q4) {
        // Decode-only shortcut for Q4_0: the nibbles q stay unsigned and meet the signed x,
        // with -8 sum x per lane as the start value (computed once for the R rows). The lane
        // integers are exactly those of unpack_q4_0 + step_fma, the float steps identical.
        const __m512i flip = _mm512_set1_epi8(static_cast<char>(0x80)), eight = _mm512_set1_epi8(8);
        const __m512i m4 = _mm512_set1_epi8(15);
        __m512i xl = _mm512_xor_si512(_mm512_load_si512(xs[s - s0].lo), flip);
        __m512i xh = _mm512_xor_si512(_mm512_load_si512(xs[s - s0].hi), flip);
        __m512i x8 = _mm512_dpbusd_epi32(_mm512_dpbusd_epi32(_mm512_setzero_si512(), eight, xl), eight, xh);
        x8 = _mm512_sub_epi32(_mm512_setzero_si512(), x8);
        __m512 dx = _mm512_load_ps(xs[s - s0].d);
        for (int i = 0; i < R; ++i) {
          __m512i l0, q;
          __m512 d;
          load_q4_0(reinterpret_cast<const BlockQ4_0*>(row[i]), nb, s, T, &l0, &q, &d);
          __m512i v = _mm512_dpbusd_epi32(x8, _mm512_and_si512(q, m4), xl);
          v = _mm512_dpbusd_epi32(v, _mm512_and_si512(_mm512_srli_epi16(q, 4), m4), xh);
          acc[i] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(v), _mm512_mul_ps(d, dx), acc[i]);
        }
      } else {
        for (int i = 0; i < R; ++i)
          acc[i] = step_fma(unpack_q8_0(reinterpret_cast<const BlockQ8_0*>(row[i]), nb, s, T), xs[s - s0], acc[i]);
      }
    }
    for (int i = 0; i < R; ++i) total[i] += _mm512_reduce_add_ps(acc[i]);
  }
  for (int i = 0; i < R; ++i) y[r + i] = total[i];
}

// ---- Q4_K ------------------------------------------------------------------------------


template <int R>
void rows_q4_k(const MatView& W, const BlockQ8_K* x, float* y, int64_t r) {
  const int64_t nb = W.cols / kQKK;
  const __m512i m4 = _mm512_set1_epi8(15), zero = _mm512_setzero_si512();
  // Lanes 0..7 take sub-block a's scale, lanes 8..15 sub-block b's.
  auto pick = [](int a, int b) {
    return _mm512_set_epi32(b, b, b, b, b, b, b, b, a, a, a, a, a, a, a, a);
  };
  const __m512i p02 = pick(0, 2), p13 = pick(1, 3), p46 = pick(4, 6), p57 = pick(5, 7);
  __m512 acc[R];
  __m256 accm[R];
  for (int i = 0; i < R; ++i) acc[i] = _mm512_setzero_ps(), accm[i] = _mm256_setzero_ps();
  const GroupPrefetch pf(W, r, R, nb);
  for (int64_t b = 0; b < nb; ++b) {
    pf.at(b);
    const BlockQ8_K& xb = x[b];
    __m512i x0 = _mm512_loadu_si512(xb.qs), x1 = _mm512_loadu_si512(xb.qs + 64);
    __m512i x2 = _mm512_loadu_si512(xb.qs + 128), x3 = _mm512_loadu_si512(xb.qs + 192);
    // Weight byte group g holds sub-blocks 2g (low nibbles) and 2g+1 (high): pair the activation
    // the same way, 256-bit halves [sub 0 | sub 2], [1 | 3], [4 | 6], [5 | 7].
    __m512i x02 = _mm512_shuffle_i64x2(x0, x1, 0x44), x13 = _mm512_shuffle_i64x2(x0, x1, 0xEE);
    __m512i x46 = _mm512_shuffle_i64x2(x2, x3, 0x44), x57 = _mm512_shuffle_i64x2(x2, x3, 0xEE);
    __m256i bs = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xb.bsums));
    for (int i = 0; i < R; ++i) {
      const BlockQ4_K& w = reinterpret_cast<const BlockQ4_K*>(W.row(r + i))[b];
      uint64_t sc8, m8;
      q4k_scales(w.scales, &sc8, &m8);
      __m512i sc = _mm512_cvtepu8_epi32(_mm_cvtsi64_si128(static_cast<long long>(sc8)));
      __m512i a = _mm512_loadu_si512(w.qs), c = _mm512_loadu_si512(w.qs + 64);
      __m512i alo = _mm512_and_si512(a, m4), ahi = _mm512_and_si512(_mm512_srli_epi16(a, 4), m4);
      __m512i clo = _mm512_and_si512(c, m4), chi = _mm512_and_si512(_mm512_srli_epi16(c, 4), m4);
      __m512i s = _mm512_mullo_epi32(_mm512_dpbusd_epi32(zero, alo, x02), _mm512_permutexvar_epi32(p02, sc));
      s = _mm512_add_epi32(s, _mm512_mullo_epi32(_mm512_dpbusd_epi32(zero, ahi, x13), _mm512_permutexvar_epi32(p13, sc)));
      s = _mm512_add_epi32(s, _mm512_mullo_epi32(_mm512_dpbusd_epi32(zero, clo, x46), _mm512_permutexvar_epi32(p46, sc)));
      s = _mm512_add_epi32(s, _mm512_mullo_epi32(_mm512_dpbusd_epi32(zero, chi, x57), _mm512_permutexvar_epi32(p57, sc)));
      // mins: words [m0 m0 m1 m1 .. m7 m7] against the 16 bsums, pairwise: m_j * (bs[2j] + bs[2j+1]).
      __m128i mb = _mm_cvtsi64_si128(static_cast<long long>(m8));
      __m256i mw = _mm256_cvtepu8_epi16(_mm_unpacklo_epi8(mb, mb));
      __m256i mm = _mm256_madd_epi16(mw, bs);
      float dx = xb.d;
      __m128 dd = _mm_cvtph_ps(_mm_cvtsi32_si128(static_cast<int>(w.d | static_cast<uint32_t>(w.dmin) << 16)));
      float d = _mm_cvtss_f32(dd) * dx, dmin = _mm_cvtss_f32(_mm_movehdup_ps(dd)) * dx;
      acc[i] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(s), _mm512_set1_ps(d), acc[i]);
      accm[i] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(mm), _mm256_set1_ps(dmin), accm[i]);
    }
  }
  for (int i = 0; i < R; ++i) {
    __m128 m = _mm_add_ps(_mm256_castps256_ps128(accm[i]), _mm256_extractf128_ps(accm[i], 1));
    m = _mm_add_ps(m, _mm_movehl_ps(m, m));
    m = _mm_add_ss(m, _mm_movehdup_ps(m));
    y[r + i] = _mm512_reduce_add_ps(acc[i]) - _mm_cvtss_f32(m);
  }
}

// ---- Q6_K ------------------------------------------------------------------------------

template <int R>
void rows_q6_k(const MatView& W, const BlockQ8_K* x, float* y, int64_t r) {
  const int64_t nb = W.cols / kQKK;
  const __m512i m4 = _mm512_set1_epi8(15), m30 = _mm512_set1_epi8(0x30), zero = _mm512_setzero_si512();
  // Lane l of the four 64-element products belongs to 16-element group 4k + l/4.
  __m512i pick[4];
  for (int k = 0; k < 4; ++k) {
    alignas(64) int32_t idx[16];
    for (int l = 0; l < 16; ++l) idx[l] = 4 * k + l / 4;
    pick[k] = _mm512_load_si512(idx);
  }
  __m512 acc[R];
  for (int i = 0; i < R; ++i) acc[i] = _mm512_setzero_ps();
  const GroupPrefetch pf(W, r, R, nb);
  for (int64_t b = 0; b < nb; ++b) {
    pf.at(b);
    const BlockQ8_K& xb = x[b];
    __m512i xv[4];
    for (int k = 0; k < 4; ++k) xv[k] = _mm512_loadu_si512(xb.qs + 64 * k);
    __m256i bs = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xb.bsums));
    for (int i = 0; i < R; ++i) {
      const BlockQ6_K& w = reinterpret_cast<const BlockQ6_K*>(W.row(r + i))[b];
      __m128i sc8 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(w.scales));
      __m512i sc = _mm512_cvtepi8_epi32(sc8);
      __m512i s = zero;
      for (int h = 0; h < 2; ++h) {
        __m512i l = _mm512_loadu_si512(w.ql + 64 * h);
        // Bytes 0..31 of a half take qh bits 0-1 (qa) / 4-5 (qb), bytes 32..63 bits 2-3 / 6-7,
        // moved to bits 4-5: qh << 4, qh << 2 (into both halves), qh, qh >> 2, masked by 0x30.
        __m256i q = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w.qh + 32 * h));
        __m512i ha = _mm512_and_si512(
            _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_slli_epi16(q, 4)), _mm256_slli_epi16(q, 2), 1), m30);
        __m512i hb = _mm512_and_si512(_mm512_inserti64x4(_mm512_castsi256_si512(q), _mm256_srli_epi16(q, 2), 1), m30);
        __m512i qa = _mm512_ternarylogic_epi32(l, m4, ha, 0xEA);  // (l & m4) | ha
        __m512i qb = _mm512_ternarylogic_epi32(_mm512_srli_epi16(l, 4), m4, hb, 0xEA);
        __m512i da = _mm512_dpbusd_epi32(zero, qa, xv[2 * h]);
        __m512i db = _mm512_dpbusd_epi32(zero, qb, xv[2 * h + 1]);
        s = _mm512_add_epi32(s, _mm512_mullo_epi32(da, _mm512_permutexvar_epi32(pick[2 * h], sc)));
        s = _mm512_add_epi32(s, _mm512_mullo_epi32(db, _mm512_permutexvar_epi32(pick[2 * h + 1], sc)));
      }
      __m256i off = _mm256_madd_epi16(_mm256_cvtepi8_epi16(sc8), bs);
      s = _mm512_sub_epi32(s, _mm512_zextsi256_si512(_mm256_slli_epi32(off, 5)));
      acc[i] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(s), _mm512_set1_ps(_cvtsh_ss(w.d) * xb.d), acc[i]);
    }
  }
  for (int i = 0; i < R; ++i) y[r + i] = _mm512_reduce_add_ps(acc[i]);
}

// ---- BF16 ------------------------------------------------------------------------------

// x (n floats) into bf16 hi and lo, padded with zeros to a multiple of 32.
void split_bf16(const float* x, int64_t n, uint16_t* hi, uint16_t* lo) {
  for (int64_t i = 0; i < n; i += 32) {
    __mmask16 m0 = n - i >= 16 ? 0xffff : static_cast<__mmask16>((1u << (n - i)) - 1);
    __mmask16 m1 = n - i >= 32 ? 0xffff : n - i <= 16 ? 0 : static_cast<__mmask16>((1u << (n - i - 16)) - 1);
    __m512 a = _mm512_maskz_loadu_ps(m0, x + i), b = _mm512_maskz_loadu_ps(m1, x + i + 16);
    __m512bh h = _mm512_cvtne2ps_pbh(b, a);
    __m512i hi_bits = reinterpret_cast<__m512i&>(h);
    // hi as floats again: the bf16 bits shifted up (words 0..15 are a's, 16..31 b's).
    __m512 ha = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm512_castsi512_si256(hi_bits)), 16));
    __m512 hb = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm512_extracti64x4_epi64(hi_bits, 1)), 16));
    __m512bh l = _mm512_cvtne2ps_pbh(_mm512_sub_ps(b, hb), _mm512_sub_ps(a, ha));
    _mm512_storeu_si512(hi + i, hi_bits);
    _mm512_storeu_si512(lo + i, reinterpret_cast<__m512i&>(l));
  }
}

template <int R>
void rows_bf16(const MatView& W, const uint16_t* xh, const uint16_t* xl, float* y, int64_t r) {
  const int64_t n = W.cols;
  __m512 acc[R];
  for (int i = 0; i < R; ++i) acc[i] = _mm512_setzero_ps();
  const GroupPrefetch pf(W, r, R, (n + 31) / 32);
  for (int64_t k = 0; k < n; k += 32) {
    pf.at(k / 32);
    __mmask32 m = n - k >= 32 ? 0xffffffffu : static_cast<__mmask32>((1u << (n - k)) - 1);
    __m512i hv = _mm512_loadu_si512(xh + k), lv = _mm512_loadu_si512(xl + k);
    __m512bh h = reinterpret_cast<__m512bh&>(hv), l = reinterpret_cast<__m512bh&>(lv);
    for (int i = 0; i < R; ++i) {
      const uint16_t* w = reinterpret_cast<const uint16_t*>(W.row(r + i)) + k;
      __m512i wv = _mm512_maskz_loadu_epi16(m, w);
      __m512bh wb = reinterpret_cast<__m512bh&>(wv);
      acc[i] = _mm512_dpbf16_ps(_mm512_dpbf16_ps(acc[i], wb, h), wb, l);
    }
  }
  for (int i = 0; i < R; ++i) y[r + i] = _mm512_reduce_add_ps(acc[i]);
}

// Rows [r0, r1) in groups of kRows with kernel K<R>(r); the remainder uses the R < kRows
// instantiations, which do the same per-row work.
template <template <int> class K, class... A>
void over_rows(int64_t r0, int64_t r1, A&&... a) {
  int64_t r = r0;
  for (; r + kRows <= r1; r += kRows) K<kRows>::run(r, a...);
  switch (r1 - r) {
    case 3: K<3>::run(r, a...); break;
    case 2: K<2>::run(r, a...); break;
    case 1: K<1>::run(r, a...); break;
    default: break;
  }
}

template <int R> struct Q4_0K {
  static void run(int64_t r, const MatView& W, const XStep* xs, float* y, int64_t s0, int64_t s1) { rows_q8<R, true>(W, xs, y, r, s0, s1); }
};
template <int R> struct Q8_0K {
  static void run(int64_t r, const MatView& W, const XStep* xs, float* y, int64_t s0, int64_t s1) { rows_q8<R, false>(W, xs, y, r, s0, s1); }
};
template <int R> struct Q4_KK { static void run(int64_t r, const MatView& W, const BlockQ8_K* x, float* y) { rows_q4_k<R>(W, x, y, r); } };
template <int R> struct Q6_KK { static void run(int64_t r, const MatView& W, const BlockQ8_K* x, float* y) { rows_q6_k<R>(W, x, y, r); } };
template <int R> struct BF16K {
  static void run(int64_t r, const MatView& W, const uint16_t* h, const uint16_t* l, float* y) { rows_bf16<R>(W, h, l, y, r); }
};

}  // namespace

void matvec_rows(const MatView& W, const void* xq, float* y, int64_t r0, int64_t r1) {
  if (r0 >= r1) return;
  switch (W.type) {
    case DType::Q4_0:
    case DType::Q8_0: {
      // The packed activation in segments of kSegSteps steps (whole chunks), the rows' running
      // sums kept in y between segments: one segment for every matrix of the model.
      constexpr int64_t kSegSteps = kMaxStackCols / (kQK * kStepBlocks);
      static_assert(kSegSteps % kChunkSteps == 0, "segments are whole chunks");
      XStep xs[kSegSteps];
      const int64_t nb = W.cols / kQK, steps = q8_steps(nb);
      const BlockQ8_0* x = static_cast<const BlockQ8_0*>(xq);
      for (int64_t s0 = 0; s0 < steps; s0 += kSegSteps) {
        int64_t s1 = std::min(steps, s0 + kSegSteps);
        pack_x_q8(x + s0 * kStepBlocks, std::min(nb - s0 * kStepBlocks, kSegSteps * kStepBlocks), xs, 1);
        if (W.type == DType::Q4_0) over_rows<Q4_0K>(r0, r1, W, xs, y, s0, s1);
        else over_rows<Q8_0K>(r0, r1, W, xs, y, s0, s1);
      }
      return;
    }
    case DType::Q4_K: over_rows<Q4_KK>(r0, r1, W, static_cast<const BlockQ8_K*>(xq), y); return;
    case DType::Q6_K: over_rows<Q6_KK>(r0, r1, W, static_cast<const BlockQ8_K*>(xq), y); return;
    case DType::BF16: {
      if (W.cols > kMaxStackCols) break;
      alignas(64) uint16_t h[kMaxStackCols], l[kMaxStackCols];
      split_bf16(static_cast<const float*>(xq), W.cols, h, l);
      over_rows<BF16K>(r0, r1, W, h, l, y);
      return;
    }
    default: break;
  }
  for (int64_t r = r0; r < r1; ++r) y[r] = vec_dot(W.type, W.row(r), xq, W.cols);
}

}  // namespace g4::kernels::avx512
