// AVX-512 GELU (tanh approximation) times the up projection, for the feed-forward block.
// gelu_tanh(x) = 0.5 x (1 + tanh(z)) with z = sqrt(2/pi) (x + 0.044715 x^3), rewritten as
// x / (1 + exp(-2z)) (0.5 (1 + tanh z) is the logistic function of 2z), with exp from a
// degree-7 polynomial after range reduction: relative error ~1e-7, like the scalar std::tanh.
#include "kernels/x86/avx512/intrinsics.h"

#include <cstdint>

#include "kernels/kernels.h"
#include "kernels/x86/avx512/avx512_internal.h"

namespace g4::kernels::avx512 {

namespace {

// exp(a) for a in [-87, 88]: a = n ln2 + r, |r| <= ln2/2, exp(a) = 2^n p(r).
inline __m512 exp_ps(__m512 a) {
  const __m512 log2e = _mm512_set1_ps(1.44269504088896341f);
  const __m512 ln2_hi = _mm512_set1_ps(0.693359375f);
  const __m512 ln2_lo = _mm512_set1_ps(-2.12194440e-4f);
  a = _mm512_min_ps(_mm512_max_ps(a, _mm512_set1_ps(-87.0f)), _mm512_set1_ps(88.0f));
  const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(a, log2e), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps(n, ln2_hi, a);
  r = _mm512_fnmadd_ps(n, ln2_lo, r);
  // Horner on 1 + r + r^2/2! + ... + r^7/7!
  __m512 p = _mm512_set1_ps(1.0f / 5040);
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 720));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 120));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 24));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 6));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.5f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
  return _mm512_scalef_ps(p, n);
}

inline __m512 gelu_mul(__m512 x, __m512 u) {
  const __m512 k = _mm512_set1_ps(0.7978845608028654f);  // sqrt(2/pi)
  const __m512 c = _mm512_set1_ps(0.044715f);
  const __m512 x3 = _mm512_mul_ps(_mm512_mul_ps(x, x), x);
  const __m512 z = _mm512_mul_ps(k, _mm512_fmadd_ps(c, x3, x));
  const __m512 e = exp_ps(_mm512_mul_ps(_mm512_set1_ps(-2.0f), z));
  return _mm512_div_ps(_mm512_mul_ps(x, u), _mm512_add_ps(_mm512_set1_ps(1.0f), e));
}

}  // namespace

void gelu_tanh_mul(const float* g, const float* u, float* y, int64_t n) {
  int64_t i = 0;
  for (; i + 16 <= n; i += 16)
    _mm512_storeu_ps(y + i, gelu_mul(_mm512_loadu_ps(g + i), _mm512_loadu_ps(u + i)));
  if (i < n) {
    const __mmask16 m = static_cast<__mmask16>((1u << (n - i)) - 1);
    _mm512_mask_storeu_ps(y + i, m, gelu_mul(_mm512_maskz_loadu_ps(m, g + i), _mm512_maskz_loadu_ps(m, u + i)));
  }
}

}  // namespace g4::kernels::avx512
