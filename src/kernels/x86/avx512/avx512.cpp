// The AVX-512 kernel table (F, BW, VL, DQ, VNNI, BF16: Ice Lake, Sapphire Rapids, Zen 4).
// Here: the one-row dot products (the float rows with masked tails, so any column count; Q8_0
// and Q4_0 two blocks per zmm), the float GEMM micro-kernel and the table. The multi-row
// matvec is gemv.cpp, the int8 prefill GEMM gemm_q8.cpp. The activation quantizers and
// dequantization use the 256-bit kernels of x86/simd256.h, compiled with these flags.
//
// vpdpbusd multiplies unsigned by signed bytes without saturation. Q4_0 quants are already
// unsigned (q in 0..15): sum (q - 8) x = dpbusd(q, x) - dpbusd(8, x). Q8_0 weights are made
// unsigned by a bias: sum w x = dpbusd(w + 128, x) - dpbusd(128, x).
#include "kernels/x86/avx512/intrinsics.h"
#include "kernels/x86/simd256.h"
#include "kernels/x86/avx512/avx512_internal.h"

namespace g4::kernels::avx512 {
namespace {

inline float hsum(__m512 v) { return _mm512_reduce_add_ps(v); }

inline __mmask16 tail_mask(int64_t left) {
  return left >= 16 ? static_cast<__mmask16>(0xffff) : static_cast<__mmask16>((1u << left) - 1);
}

float dot_f32(const float* a, const float* b, int64_t n) {
  __m512 s0 = _mm512_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
  int64_t i = 0;
  for (; i + 64 <= n; i += 64) {
    s0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), s0);
    s1 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 16), _mm512_loadu_ps(b + i + 16), s1);
    s2 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 32), _mm512_loadu_ps(b + i + 32), s2);
    s3 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 48), _mm512_loadu_ps(b + i + 48), s3);
  }
  for (; i < n; i += 16) {
    __mmask16 m = tail_mask(n - i);
    s0 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, a + i), _mm512_maskz_loadu_ps(m, b + i), s0);
  }
  return hsum(_mm512_add_ps(_mm512_add_ps(s0, s1), _mm512_add_ps(s2, s3)));
}

inline __m512 load_h16(const uint16_t* p, __mmask16 m, bool bf) {
  __m256i h = _mm256_maskz_loadu_epi16(m, p);
  if (bf) return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
  return _mm512_cvtph_ps(h);
}

float dot_h16(const uint16_t* w, const float* x, int64_t n, bool bf) {
  __m512 s0 = _mm512_setzero_ps(), s1 = s0;
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    _mm_prefetch(reinterpret_cast<const char*>(w + i) + 1024, _MM_HINT_T0);
    s0 = _mm512_fmadd_ps(load_h16(w + i, 0xffff, bf), _mm512_loadu_ps(x + i), s0);
    s1 = _mm512_fmadd_ps(load_h16(w + i + 16, 0xffff, bf), _mm512_loadu_ps(x + i + 16), s1);
  }
  for (; i < n; i += 16) {
    __mmask16 m = tail_mask(n - i);
    s0 = _mm512_fmadd_ps(load_h16(w + i, m, bf), _mm512_maskz_loadu_ps(m, x + i), s0);
  }
  return hsum(_mm512_add_ps(s0, s1));
}

void axpy_f32(float a, const float* x, float* y, int64_t n) {
  __m512 av = _mm512_set1_ps(a);
  for (int64_t i = 0; i < n; i += 16) {
    __mmask16 m = tail_mask(n - i);
    __m512 r = _mm512_fmadd_ps(av, _mm512_maskz_loadu_ps(m, x + i), _mm512_maskz_loadu_ps(m, y + i));
    _mm512_mask_storeu_ps(y + i, m, r);
  }
}

// Scales of two consecutive blocks: lanes 0..7 get s0, lanes 8..15 get s1.
inline __m512 two_scales(float s0, float s1) {
  return _mm512_insertf32x8(_mm512_set1_ps(s0), _mm256_set1_ps(s1), 1);
}

inline __m512i two_blocks(const int8_t* a, const int8_t* b) {
  return _mm512_inserti64x4(_mm512_castsi256_si512(x86::load256(a)), x86::load256(b), 1);
}

float dot_q4_0(const BlockQ4_0* w, const BlockQ8_0* x, int64_t nb) {
  const __m512i m4 = _mm512_set1_epi8(15), eight = _mm512_set1_epi8(8), zero = _mm512_setzero_si512();
  __m512 acc = _mm512_setzero_ps();
  int64_t i = 0;
  for (; i + 2 <= nb; i += 2) {
    _mm_prefetch(reinterpret_cast<const char*>(w + i) + 576, _MM_HINT_T0);
    __m256i v = _mm256_set_m128i(_mm_loadu_si128(reinterpret_cast<const __m128i*>(w[i + 1].qs)),
                                 _mm_loadu_si128(reinterpret_cast<const __m128i*>(w[i].qs)));
    __m512i z = _mm512_castsi256_si512(v);
    z = _mm512_shuffle_i64x2(z, z, 0x50);  // 128-bit lanes [blk i, blk i, blk i+1, blk i+1]
    __m512i lo = _mm512_and_si512(z, m4), hi = _mm512_and_si512(_mm512_srli_epi16(z, 4), m4);
    __m512i q = _mm512_mask_blend_epi64(0xCC, lo, hi);  // low nibbles, then high, per block
    __m512i xv = two_blocks(x[i].qs, x[i + 1].qs);
    __m512i s = _mm512_sub_epi32(_mm512_dpbusd_epi32(zero, q, xv), _mm512_dpbusd_epi32(zero, eight, xv));
    __m512 sc = two_scales(x86::h2f(w[i].d) * x86::h2f(x[i].d), x86::h2f(w[i + 1].d) * x86::h2f(x[i + 1].d));
    acc = _mm512_fmadd_ps(_mm512_cvtepi32_ps(s), sc, acc);
  }
  float r = hsum(acc);
  if (i < nb) r += x86::dot_q4_0_256(w + i, x + i, nb - i);
  return r;
}

float dot_q8_0(const BlockQ8_0* w, const BlockQ8_0* x, int64_t nb) {
  const __m512i bias = _mm512_set1_epi8(static_cast<char>(0x80)), zero = _mm512_setzero_si512();
  __m512 acc = _mm512_setzero_ps();
  int64_t i = 0;
  for (; i + 2 <= nb; i += 2) {
    _mm_prefetch(reinterpret_cast<const char*>(w + i) + 1024, _MM_HINT_T0);
    __m512i u = _mm512_xor_si512(two_blocks(w[i].qs, w[i + 1].qs), bias);  // w + 128
    __m512i xv = two_blocks(x[i].qs, x[i + 1].qs);
    __m512i s = _mm512_sub_epi32(_mm512_dpbusd_epi32(zero, u, xv), _mm512_dpbusd_epi32(zero, bias, xv));
    __m512 sc = two_scales(x86::h2f(w[i].d) * x86::h2f(x[i].d), x86::h2f(w[i + 1].d) * x86::h2f(x[i + 1].d));
    acc = _mm512_fmadd_ps(_mm512_cvtepi32_ps(s), sc, acc);
  }
  float r = hsum(acc);
  if (i < nb) r += x86::dot_q8_0_256(w + i, x + i, nb - i);
  return r;
}

}  // namespace

// One row, any type: the fallback of matvec_rows (gemv.cpp) for what it does not cover.
float vec_dot(DType t, const void* row, const void* xq, int64_t n) {
  const float* xf = static_cast<const float*>(xq);
  switch (t) {
    case DType::F32: return dot_f32(static_cast<const float*>(row), xf, n);
    case DType::F16: return dot_h16(static_cast<const uint16_t*>(row), xf, n, false);
    case DType::BF16: return dot_h16(static_cast<const uint16_t*>(row), xf, n, true);
    case DType::Q8_0:
      return dot_q8_0(static_cast<const BlockQ8_0*>(row), static_cast<const BlockQ8_0*>(xq), n / kQK);
    case DType::Q4_0:
      return dot_q4_0(static_cast<const BlockQ4_0*>(row), static_cast<const BlockQ8_0*>(xq), n / kQK);
    default: return x86::vec_dot_256(t, row, xq, n);
  }
}

namespace {

// MR tokens x 16 outputs: MR zmm accumulators, one weight load and MR broadcasts per k.
template <int MR>
void gemm_tile(const float* X, int64_t ldx, const float* Bp, int64_t K, float* Y, int64_t ldy,
               __mmask16 store, bool accumulate) {
  __m512 acc[MR];
  for (int i = 0; i < MR; ++i) acc[i] = accumulate ? _mm512_maskz_loadu_ps(store, Y + i * ldy) : _mm512_setzero_ps();
  for (int64_t k = 0; k < K; ++k) {
    __m512 b = _mm512_loadu_ps(Bp + k * kPanel);
    for (int i = 0; i < MR; ++i) acc[i] = _mm512_fmadd_ps(_mm512_set1_ps(X[i * ldx + k]), b, acc[i]);
  }
  for (int i = 0; i < MR; ++i) _mm512_mask_storeu_ps(Y + i * ldy, store, acc[i]);
}

}  // namespace

void gemm_panel(const float* X, int64_t T, int64_t ldx, const float* Bp, int64_t K, float* Y,
                int64_t ldy, int nr, bool accumulate) {
  constexpr int MR = 12;  // 12 accumulators; 32 zmm registers leave room for the loads
  const __mmask16 store = tail_mask(nr);
  int64_t t = 0;
  for (; t + MR <= T; t += MR) gemm_tile<MR>(X + t * ldx, ldx, Bp, K, Y + t * ldy, ldy, store, accumulate);
  const float* Xt = X + t * ldx;
  float* Yt = Y + t * ldy;
  switch (T - t) {
    case 11: gemm_tile<11>(Xt, ldx, Bp, K, Yt, ldy, store, accumulate); break;
    case 10: gemm_tile<10>(Xt, ldx, Bp, K, Yt, ldy, store, accumulate); break;
    case 9: gemm_tile<9>(Xt, ldx, Bp, K, Yt, ldy, store, accumulate); break;
    case 8: gemm_tile<8>(Xt, ldx, Bp, K, Yt, ldy, store, accumulate); break;
    case 7: gemm_tile<7>(Xt, ldx, Bp, K, Yt, ldy, store, accumulate); break;
    case 6: gemm_tile<6>(Xt, ldx, Bp, K, Yt, ldy, store, accumulate); break;
    case 5: gemm_tile<5>(Xt, ldx, Bp, K, Yt, ldy, store, accumulate); break;
    case 4: gemm_tile<4>(Xt, ldx, Bp, K, Yt, ldy, store, accumulate); break;
    case 3: gemm_tile<3>(Xt, ldx, Bp, K, Yt, ldy, store, accumulate); break;
    case 2: gemm_tile<2>(Xt, ldx, Bp, K, Yt, ldy, store, accumulate); break;
    case 1: gemm_tile<1>(Xt, ldx, Bp, K, Yt, ldy, store, accumulate); break;
    default: break;
  }
}

const KernelTable* table() {
  static const KernelTable t = {Isa::avx512, matvec_rows, x86::quantize_activation_256,
                                x86::dequantize_row_256, dot_f32, axpy_f32, attn_scores, attn_values,
                                gelu_tanh_mul};
  return &t;
}

}  // namespace g4::kernels::avx512
