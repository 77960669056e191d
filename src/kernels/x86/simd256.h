// 256-bit (AVX2 + FMA + F16C) kernels, included by x86/avx2/avx2.cpp and x86/avx512/avx512.cpp.
// Everything here has internal linkage, so each ISA translation unit compiles its own copy with
// its own flags (the AVX-512 file uses these for the kernels it does not widen).
//
// Integer dots use the vpmaddubsw "sign trick": maddubs multiplies unsigned by signed bytes, so
// a signed weight w meets x as |w| * (x * sign(w)). Pair sums stay below 2^15 (|w| <= 128,
// |x| <= 127 since the activation quantizers never emit -128), so nothing saturates.
#pragma once
#include <immintrin.h>

#include <cstring>

#include "base/half.h"
#include "kernels/blocks.h"
#include "kernels/gemm.h"
#include "kernels/ref/ref.h"

namespace g4::kernels::x86 {
namespace {

inline float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

inline float hmax(__m256 v) {
  __m128 s = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_max_ps(s, _mm_movehl_ps(s, s));
  s = _mm_max_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

inline float h2f(uint16_t h) { return _cvtsh_ss(h); }

// 8 int32 lanes of sum over byte quads of |w| * x * sign(w), as int32.
inline __m256i dot_i8(__m256i w, __m256i x) {
  __m256i p = _mm256_maddubs_epi16(_mm256_sign_epi8(w, w), _mm256_sign_epi8(x, w));
  return _mm256_madd_epi16(p, _mm256_set1_epi16(1));
}

// The 32 quants of a Q4_0 block as unsigned bytes 0..15 in element order.
inline __m256i unpack_q4(const uint8_t* qs) {
  __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(qs));
  __m128i m = _mm_set1_epi8(15);
  return _mm256_set_m128i(_mm_and_si128(_mm_srli_epi16(b, 4), m), _mm_and_si128(b, m));
}

inline __m256i load256(const void* p) { return _mm256_loadu_si256(static_cast<const __m256i*>(p)); }

// ---- float rows ------------------------------------------------------------------------------

inline __m256 load_f16x8(const uint16_t* p) {
  return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
}
inline __m256 load_bf16x8(const uint16_t* p) {
  __m256i v = _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
  return _mm256_castsi256_ps(_mm256_slli_epi32(v, 16));
}
inline __m256 load_w(const float* p) { return _mm256_loadu_ps(p); }
inline __m256 load_w(const uint16_t* p, bool bf) { return bf ? load_bf16x8(p) : load_f16x8(p); }

inline float dot_f32_256(const float* a, const float* b, int64_t n) {
  __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
    s1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), s1);
    s2 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 16), _mm256_loadu_ps(b + i + 16), s2);
    s3 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 24), _mm256_loadu_ps(b + i + 24), s3);
  }
  for (; i + 8 <= n; i += 8) s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
  float acc = hsum(_mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3)));
  for (; i < n; ++i) acc += a[i] * b[i];
  return acc;
}

// F16 (bf = false) or BF16 (bf = true) row times a float vector.
inline float dot_h16_256(const uint16_t* w, const float* x, int64_t n, bool bf) {
  __m256 s0 = _mm256_setzero_ps(), s1 = s0;
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    s0 = _mm256_fmadd_ps(load_w(w + i, bf), _mm256_loadu_ps(x + i), s0);
    s1 = _mm256_fmadd_ps(load_w(w + i + 8, bf), _mm256_loadu_ps(x + i + 8), s1);
  }
  for (; i + 8 <= n; i += 8) s0 = _mm256_fmadd_ps(load_w(w + i, bf), _mm256_loadu_ps(x + i), s0);
  float acc = hsum(_mm256_add_ps(s0, s1));
  for (; i < n; ++i) acc += (bf ? bf16_to_f32(w[i]) : f16_to_f32(w[i])) * x[i];
  return acc;
}

inline void axpy_f32_256(float a, const float* x, float* y, int64_t n) {
  __m256 av = _mm256_set1_ps(a);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    _mm256_storeu_ps(y + i, _mm256_fmadd_ps(av, _mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i)));
  for (; i < n; ++i) y[i] += a * x[i];
}

// ---- quantized rows ----------------------------------------------------------------------

inline float dot_q8_0_256(const BlockQ8_0* w, const BlockQ8_0* x, int64_t nb) {
  __m256 acc = _mm256_setzero_ps();
  for (int64_t i = 0; i < nb; ++i) {
    _mm_prefetch(reinterpret_cast<const char*>(w + i) + 512, _MM_HINT_T0);
    __m256i p = dot_i8(load256(w[i].qs), load256(x[i].qs));
    __m256 s = _mm256_set1_ps(h2f(w[i].d) * h2f(x[i].d));
    acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p), s, acc);
  }
  return hsum(acc);
}

inline float dot_q4_0_256(const BlockQ4_0* w, const BlockQ8_0* x, int64_t nb) {
  __m256 acc = _mm256_setzero_ps();
  const __m256i eight = _mm256_set1_epi8(8);
  for (int64_t i = 0; i < nb; ++i) {
    _mm_prefetch(reinterpret_cast<const char*>(w + i) + 512, _MM_HINT_T0);
    __m256i q = _mm256_sub_epi8(unpack_q4(w[i].qs), eight);
    __m256i p = dot_i8(q, load256(x[i].qs));
    __m256 s = _mm256_set1_ps(h2f(w[i].d) * h2f(x[i].d));
    acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p), s, acc);
  }
  return hsum(acc);
}

inline float dot_q4_k_256(const BlockQ4_K* w, const BlockQ8_K* x, int64_t nb) {
  __m256 acc = _mm256_setzero_ps();
  float acc_min = 0;
  const __m256i m4 = _mm256_set1_epi8(15);
  for (int64_t i = 0; i < nb; ++i) {
    _mm_prefetch(reinterpret_cast<const char*>(w + i) + 576, _MM_HINT_T0);
    int sc[8], m[8];
    for (int j = 0; j < 8; ++j) q4k_scale_min(w[i].scales, j, &sc[j], &m[j]);
    int32_t summ = 0;
    for (int j = 0; j < 8; ++j) summ += m[j] * (x[i].bsums[2 * j] + x[i].bsums[2 * j + 1]);
    __m256i sumi = _mm256_setzero_si256();
    for (int g = 0; g < 4; ++g) {
      __m256i q = load256(w[i].qs + 32 * g);
      __m256i lo = _mm256_and_si256(q, m4), hi = _mm256_and_si256(_mm256_srli_epi16(q, 4), m4);
      __m256i p0 = _mm256_maddubs_epi16(lo, load256(x[i].qs + 64 * g));
      __m256i p1 = _mm256_maddubs_epi16(hi, load256(x[i].qs + 64 * g + 32));
      sumi = _mm256_add_epi32(sumi, _mm256_madd_epi16(p0, _mm256_set1_epi16(static_cast<int16_t>(sc[2 * g]))));
      sumi = _mm256_add_epi32(sumi, _mm256_madd_epi16(p1, _mm256_set1_epi16(static_cast<int16_t>(sc[2 * g + 1]))));
    }
    float dx = x[i].d;
    acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sumi), _mm256_set1_ps(h2f(w[i].d) * dx), acc);
    acc_min += h2f(w[i].dmin) * dx * static_cast<float>(summ);
  }
  return hsum(acc) - acc_min;
}

inline float dot_q6_k_256(const BlockQ6_K* w, const BlockQ8_K* x, int64_t nb) {
  __m256 acc = _mm256_setzero_ps();
  const __m256i m4 = _mm256_set1_epi8(15), m2 = _mm256_set1_epi8(3);
  for (int64_t i = 0; i < nb; ++i) {
    _mm_prefetch(reinterpret_cast<const char*>(w + i) + 840, _MM_HINT_T0);
    __m256i sumi = _mm256_setzero_si256();
    for (int h = 0; h < 2; ++h) {
      const uint8_t* ql = w[i].ql + 64 * h;
      __m256i l0 = load256(ql), l1 = load256(ql + 32), hb = load256(w[i].qh + 32 * h);
      __m256i q[4];
      q[0] = _mm256_or_si256(_mm256_and_si256(l0, m4), _mm256_slli_epi16(_mm256_and_si256(hb, m2), 4));
      q[1] = _mm256_or_si256(_mm256_and_si256(l1, m4),
                             _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(hb, 2), m2), 4));
      q[2] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l0, 4), m4),
                             _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(hb, 4), m2), 4));
      q[3] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l1, 4), m4),
                             _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(hb, 6), m2), 4));
      const int8_t* sc = w[i].scales + 8 * h;
      for (int k = 0; k < 4; ++k) {
        // Lanes 0..7 of the int16 products are elements 0..15 (group 2k), lanes 8..15 group 2k+1.
        __m256i p = _mm256_maddubs_epi16(q[k], load256(x[i].qs + 128 * h + 32 * k));
        __m256i s = _mm256_set_m128i(_mm_set1_epi16(sc[2 * k + 1]), _mm_set1_epi16(sc[2 * k]));
        sumi = _mm256_add_epi32(sumi, _mm256_madd_epi16(p, s));
      }
    }
    // The "- 32" of every quant: 32 * sum_g scale[g] * bsums[g].
    __m256i sc16 = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(w[i].scales)));
    __m256i off = _mm256_madd_epi16(sc16, load256(x[i].bsums));
    sumi = _mm256_sub_epi32(sumi, _mm256_slli_epi32(off, 5));
    acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sumi), _mm256_set1_ps(h2f(w[i].d) * x[i].d), acc);
  }
  return hsum(acc);
}

// Row dot for every type, 256-bit kernels.
inline float vec_dot_256(DType t, const void* row, const void* xq, int64_t n) {
  const float* xf = static_cast<const float*>(xq);
  switch (t) {
    case DType::F32: return dot_f32_256(static_cast<const float*>(row), xf, n);
    case DType::F16: return dot_h16_256(static_cast<const uint16_t*>(row), xf, n, false);
    case DType::BF16: return dot_h16_256(static_cast<const uint16_t*>(row), xf, n, true);
    case DType::Q8_0:
      return dot_q8_0_256(static_cast<const BlockQ8_0*>(row), static_cast<const BlockQ8_0*>(xq), n / kQK);
    case DType::Q4_0:
      return dot_q4_0_256(static_cast<const BlockQ4_0*>(row), static_cast<const BlockQ8_0*>(xq), n / kQK);
    case DType::Q4_K:
      return dot_q4_k_256(static_cast<const BlockQ4_K*>(row), static_cast<const BlockQ8_K*>(xq), n / kQKK);
    case DType::Q6_K:
      return dot_q6_k_256(static_cast<const BlockQ6_K*>(row), static_cast<const BlockQ8_K*>(xq), n / kQKK);
    default: return ref::vec_dot(t, row, xq, n);
  }
}

// ---- activation quantizers (byte-identical to ref::quantize_activation) -------------------------

// 32 floats times id, rounded to nearest-even, clamped to [-127, 127], as 32 int8 in order.
inline __m256i quant32(const float* x, __m256 id) {
  const __m256i lo = _mm256_set1_epi32(-127), hi = _mm256_set1_epi32(127);
  __m256i q[4];
  for (int k = 0; k < 4; ++k) {
    __m256i v = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(x + 8 * k), id));
    q[k] = _mm256_min_epi32(_mm256_max_epi32(v, lo), hi);
  }
  // packs works within 128-bit lanes; the permute restores element order.
  __m256i p = _mm256_packs_epi16(_mm256_packs_epi32(q[0], q[1]), _mm256_packs_epi32(q[2], q[3]));
  return _mm256_permutevar8x32_epi32(p, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
}

inline float absmax_256(const float* x, int n) {
  const __m256 sign = _mm256_set1_ps(-0.0f);
  __m256 m = _mm256_setzero_ps();
  for (int i = 0; i < n; i += 8) m = _mm256_max_ps(m, _mm256_andnot_ps(sign, _mm256_loadu_ps(x + i)));
  return hmax(m);
}

inline void quantize_activation_256(DType t, const float* x, int64_t n, void* xq) {
  switch (t) {
    case DType::Q8_0:
    case DType::Q4_0: {
      BlockQ8_0* b = static_cast<BlockQ8_0*>(xq);
      for (int64_t i = 0; i < n / kQK; ++i, x += kQK) {
        uint16_t dh = _cvtss_sh(absmax_256(x, kQK) / 127.0f, _MM_FROUND_TO_NEAREST_INT);
        float d = h2f(dh);
        float id = d != 0.0f ? 1.0f / d : 0.0f;
        b[i].d = dh;
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(b[i].qs), quant32(x, _mm256_set1_ps(id)));
      }
      break;
    }
    case DType::Q4_K:
    case DType::Q6_K: {
      BlockQ8_K* b = static_cast<BlockQ8_K*>(xq);
      for (int64_t i = 0; i < n / kQKK; ++i, x += kQKK) {
        float d = absmax_256(x, kQKK) / 127.0f;
        float id = d != 0.0f ? 1.0f / d : 0.0f;
        b[i].d = d;
        for (int c = 0; c < 8; ++c) {
          __m256i q = quant32(x + 32 * c, _mm256_set1_ps(id));
          _mm256_storeu_si256(reinterpret_cast<__m256i*>(b[i].qs + 32 * c), q);
          // Sums of each 16 bytes: maddubs with 1s gives pair sums, madd with 1s quad sums.
          __m256i s4 = _mm256_madd_epi16(_mm256_maddubs_epi16(_mm256_set1_epi8(1), q), _mm256_set1_epi16(1));
          __m256i s8 = _mm256_hadd_epi32(s4, s4);  // per lane: [s01, s23, s01, s23]
          __m256i s16 = _mm256_hadd_epi32(s8, s8);
          b[i].bsums[2 * c] = static_cast<int16_t>(_mm256_extract_epi32(s16, 0));
          b[i].bsums[2 * c + 1] = static_cast<int16_t>(_mm256_extract_epi32(s16, 4));
        }
      }
      break;
    }
    default: std::memcpy(xq, x, static_cast<size_t>(n) * sizeof(float)); break;
  }
}

// ---- dequantization ----------------------------------------------------------------------

inline void store_i8x32(__m256i q, float d, float* out) {
  __m256 dv = _mm256_set1_ps(d);
  __m128i lo = _mm256_castsi256_si128(q), hi = _mm256_extracti128_si256(q, 1);
  _mm256_storeu_ps(out, _mm256_mul_ps(dv, _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(lo))));
  _mm256_storeu_ps(out + 8, _mm256_mul_ps(dv, _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_srli_si128(lo, 8)))));
  _mm256_storeu_ps(out + 16, _mm256_mul_ps(dv, _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(hi))));
  _mm256_storeu_ps(out + 24, _mm256_mul_ps(dv, _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_srli_si128(hi, 8)))));
}

inline void dequantize_row_256(DType t, const void* row, float* out, int64_t n) {
  switch (t) {
    case DType::F16:
    case DType::BF16: {
      const uint16_t* h = static_cast<const uint16_t*>(row);
      bool bf = t == DType::BF16;
      int64_t i = 0;
      for (; i + 8 <= n; i += 8) _mm256_storeu_ps(out + i, load_w(h + i, bf));
      for (; i < n; ++i) out[i] = bf ? bf16_to_f32(h[i]) : f16_to_f32(h[i]);
      break;
    }
    case DType::Q8_0: {
      const BlockQ8_0* b = static_cast<const BlockQ8_0*>(row);
      for (int64_t i = 0; i < n / kQK; ++i) store_i8x32(load256(b[i].qs), h2f(b[i].d), out + i * kQK);
      break;
    }
    case DType::Q4_0: {
      const BlockQ4_0* b = static_cast<const BlockQ4_0*>(row);
      for (int64_t i = 0; i < n / kQK; ++i)
        store_i8x32(_mm256_sub_epi8(unpack_q4(b[i].qs), _mm256_set1_epi8(8)), h2f(b[i].d), out + i * kQK);
      break;
    }
    case DType::Q4_K: {
      const BlockQ4_K* b = static_cast<const BlockQ4_K*>(row);
      for (int64_t i = 0; i < n / kQKK; ++i) {
        float d = h2f(b[i].d), dmin = h2f(b[i].dmin);
        for (int j = 0; j < 8; ++j) {
          int sc, m;
          q4k_scale_min(b[i].scales, j, &sc, &m);
          __m256 ds = _mm256_set1_ps(d * static_cast<float>(sc)), dm = _mm256_set1_ps(dmin * static_cast<float>(m));
          const uint8_t* q = b[i].qs + 32 * (j / 2);
          float* y = out + i * kQKK + 32 * j;
          for (int c = 0; c < 4; ++c) {
            __m256i v = _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(q + 8 * c)));
            v = (j & 1) ? _mm256_srli_epi32(v, 4) : _mm256_and_si256(v, _mm256_set1_epi32(15));
            _mm256_storeu_ps(y + 8 * c, _mm256_sub_ps(_mm256_mul_ps(ds, _mm256_cvtepi32_ps(v)), dm));
          }
        }
      }
      break;
    }
    case DType::Q6_K: {
      const BlockQ6_K* b = static_cast<const BlockQ6_K*>(row);
      const __m256i m4 = _mm256_set1_epi8(15), m2 = _mm256_set1_epi8(3), off = _mm256_set1_epi8(32);
      for (int64_t i = 0; i < n / kQKK; ++i) {
        float d = h2f(b[i].d);
        for (int h = 0; h < 2; ++h) {
          const uint8_t* ql = b[i].ql + 64 * h;
          __m256i l0 = load256(ql), l1 = load256(ql + 32), hb = load256(b[i].qh + 32 * h);
          __m256i lo[4] = {_mm256_and_si256(l0, m4), _mm256_and_si256(l1, m4),
                           _mm256_and_si256(_mm256_srli_epi16(l0, 4), m4), _mm256_and_si256(_mm256_srli_epi16(l1, 4), m4)};
          for (int k = 0; k < 4; ++k) {
            __m256i hi = _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(hb, 2 * k), m2), 4);
            __m256i q = _mm256_sub_epi8(_mm256_or_si256(lo[k], hi), off);  // q - 32 as int8
            const int8_t* sc = b[i].scales + 8 * h + 2 * k;
            float* y = out + i * kQKK + 128 * h + 32 * k;
            __m128i qlo = _mm256_castsi256_si128(q), qhi = _mm256_extracti128_si256(q, 1);
            __m256 s0 = _mm256_set1_ps(d * static_cast<float>(sc[0])), s1 = _mm256_set1_ps(d * static_cast<float>(sc[1]));
            _mm256_storeu_ps(y, _mm256_mul_ps(s0, _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(qlo))));
            _mm256_storeu_ps(y + 8, _mm256_mul_ps(s0, _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_srli_si128(qlo, 8)))));
            _mm256_storeu_ps(y + 16, _mm256_mul_ps(s1, _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(qhi))));
            _mm256_storeu_ps(y + 24, _mm256_mul_ps(s1, _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_srli_si128(qhi, 8)))));
          }
        }
      }
      break;
    }
    default: ref::dequantize_row(t, row, out, n); break;
  }
}

// ---- GEMM micro-kernel: MR tokens x 16 outputs in 2*MR ymm accumulators ----------------------

template <int MR>
inline void gemm_tile_256(const float* X, int64_t ldx, const float* Bp, int64_t K, float* Y,
                          int64_t ldy, int nr, bool accumulate) {
  __m256 acc[MR][2];
  for (int i = 0; i < MR; ++i) {
    alignas(32) float tmp[kPanel] = {};
    if (accumulate) std::memcpy(tmp, Y + i * ldy, static_cast<size_t>(nr) * sizeof(float));
    acc[i][0] = _mm256_load_ps(tmp);
    acc[i][1] = _mm256_load_ps(tmp + 8);
  }
  for (int64_t k = 0; k < K; ++k) {
    __m256 b0 = _mm256_loadu_ps(Bp + k * kPanel), b1 = _mm256_loadu_ps(Bp + k * kPanel + 8);
    for (int i = 0; i < MR; ++i) {
      __m256 xv = _mm256_broadcast_ss(X + i * ldx + k);
      acc[i][0] = _mm256_fmadd_ps(xv, b0, acc[i][0]);
      acc[i][1] = _mm256_fmadd_ps(xv, b1, acc[i][1]);
    }
  }
  for (int i = 0; i < MR; ++i) {
    alignas(32) float tmp[kPanel];
    _mm256_store_ps(tmp, acc[i][0]);
    _mm256_store_ps(tmp + 8, acc[i][1]);
    std::memcpy(Y + i * ldy, tmp, static_cast<size_t>(nr) * sizeof(float));
  }
}

inline void gemm_panel_256(const float* X, int64_t T, int64_t ldx, const float* Bp, int64_t K,
                           float* Y, int64_t ldy, int nr, bool accumulate) {
  constexpr int MR = 6;  // 12 accumulators + 2 weights + 1 broadcast of the 16 ymm registers
  int64_t t = 0;
  for (; t + MR <= T; t += MR) gemm_tile_256<MR>(X + t * ldx, ldx, Bp, K, Y + t * ldy, ldy, nr, accumulate);
  const float* Xt = X + t * ldx;
  float* Yt = Y + t * ldy;
  switch (T - t) {
    case 5: gemm_tile_256<5>(Xt, ldx, Bp, K, Yt, ldy, nr, accumulate); break;
    case 4: gemm_tile_256<4>(Xt, ldx, Bp, K, Yt, ldy, nr, accumulate); break;
    case 3: gemm_tile_256<3>(Xt, ldx, Bp, K, Yt, ldy, nr, accumulate); break;
    case 2: gemm_tile_256<2>(Xt, ldx, Bp, K, Yt, ldy, nr, accumulate); break;
    case 1: gemm_tile_256<1>(Xt, ldx, Bp, K, Yt, ldy, nr, accumulate); break;
    default: break;
  }
}

}  // namespace
}  // namespace g4::kernels::x86
