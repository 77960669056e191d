// Element-wise and row ops of the decoder (spec §2.2, §2.3). Plain loops: the compiler
// vectorises them for the baseline ISA, and they are a small share of the time per token.
// Reductions accumulate in double: it costs nothing next to the matrix products and keeps
// the results within a few float ulps of the exact values for any n.
#include <cmath>

#include "kernels/kernels.h"

namespace g4::kernels {

void rms_norm(const float* x, const float* w, float* y, int64_t n, float eps) {
  double ss = 0;
  for (int64_t i = 0; i < n; ++i) ss += static_cast<double>(x[i]) * x[i];
  float inv = static_cast<float>(1.0 / std::sqrt(ss / static_cast<double>(n) + eps));
  if (w) {
    for (int64_t i = 0; i < n; ++i) y[i] = x[i] * inv * w[i];
  } else {
    for (int64_t i = 0; i < n; ++i) y[i] = x[i] * inv;
  }
}

void gelu_tanh_mul(const float* g, const float* u, float* y, int64_t n) {
  const float k = 0.7978845608028654f;  // sqrt(2 / pi)
  for (int64_t i = 0; i < n; ++i) {
    float x = g[i];
    y[i] = 0.5f * x * (1.0f + std::tanh(k * (x + 0.044715f * x * x * x))) * u[i];
  }
}

void rope_neox(float* x, int n_heads, int head_dim, const float* cos_t, const float* sin_t) {
  int half = head_dim / 2;
  for (int h = 0; h < n_heads; ++h) {
    float* v = x + static_cast<int64_t>(h) * head_dim;
    for (int j = 0; j < half; ++j) {
      float a = v[j], b = v[j + half];
      v[j] = a * cos_t[j] - b * sin_t[j];
      v[j + half] = b * cos_t[j] + a * sin_t[j];
    }
  }
}

void softmax(float* x, int64_t n) {
  if (n <= 0) return;
  float mx = x[0];
  for (int64_t i = 1; i < n; ++i) mx = x[i] > mx ? x[i] : mx;
  if (mx == -INFINITY) {  // every entry masked: no probability mass anywhere, return zeros
    for (int64_t i = 0; i < n; ++i) x[i] = 0.0f;
    return;
  }
  double sum = 0;
  for (int64_t i = 0; i < n; ++i) sum += (x[i] = std::exp(x[i] - mx));
  float inv = static_cast<float>(1.0 / sum);
  for (int64_t i = 0; i < n; ++i) x[i] *= inv;
}

}  // namespace g4::kernels
