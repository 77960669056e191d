// Reference dot products (weight row x activation), the float vector helpers, the scalar GEMM
// micro-kernel, and the scalar KernelTable.
#include <cstring>

#include "base/half.h"
#include "kernels/attn_compose.h"
#include "kernels/blocks.h"
#include "kernels/gemm.h"
#include "kernels/ref/ref.h"

namespace g4::kernels::ref {
namespace {

float dot_q8_0(const BlockQ8_0* w, const BlockQ8_0* x, int64_t nb) {
  float acc = 0;
  for (int64_t i = 0; i < nb; ++i) {
    int32_t s = 0;
    for (int j = 0; j < kQK; ++j) s += w[i].qs[j] * x[i].qs[j];
    acc += f16_to_f32(w[i].d) * f16_to_f32(x[i].d) * static_cast<float>(s);
  }
  return acc;
}

float dot_q4_0(const BlockQ4_0* w, const BlockQ8_0* x, int64_t nb) {
  float acc = 0;
  for (int64_t i = 0; i < nb; ++i) {
    int32_t s = 0;
    for (int j = 0; j < kQK / 2; ++j) {
      s += ((w[i].qs[j] & 15) - 8) * x[i].qs[j];
      s += ((w[i].qs[j] >> 4) - 8) * x[i].qs[j + 16];
    }
    acc += f16_to_f32(w[i].d) * f16_to_f32(x[i].d) * static_cast<float>(s);
  }
  return acc;
}

// sum_j d sc_j (q . x)_j - dmin sum_j m_j (sum x)_j, the x sums coming from bsums.
float dot_q4_k(const BlockQ4_K* w, const BlockQ8_K* x, int64_t nb) {
  float acc = 0;
  for (int64_t i = 0; i < nb; ++i) {
    int32_t sumi = 0, summ = 0;
    for (int j = 0; j < 8; ++j) {
      int sc, m;
      q4k_scale_min(w[i].scales, j, &sc, &m);
      const uint8_t* q = w[i].qs + 32 * (j / 2);
      const int8_t* xq = x[i].qs + 32 * j;
      int32_t s = 0;
      for (int l = 0; l < 32; ++l) s += ((j & 1) ? q[l] >> 4 : q[l] & 15) * xq[l];
      sumi += sc * s;
      summ += m * (x[i].bsums[2 * j] + x[i].bsums[2 * j + 1]);
    }
    acc += x[i].d * (f16_to_f32(w[i].d) * static_cast<float>(sumi) -
                     f16_to_f32(w[i].dmin) * static_cast<float>(summ));
  }
  return acc;
}

float dot_q6_k(const BlockQ6_K* w, const BlockQ8_K* x, int64_t nb) {
  float acc = 0;
  for (int64_t i = 0; i < nb; ++i) {
    int32_t sumi = 0;
    for (int h = 0; h < 2; ++h) {
      const uint8_t* ql = w[i].ql + 64 * h;
      const uint8_t* qh = w[i].qh + 32 * h;
      const int8_t* xq = x[i].qs + 128 * h;
      for (int k = 0; k < 4; ++k) {
        int32_t s[2] = {0, 0};
        for (int l = 0; l < 32; ++l) {
          int lo = (k & 1) ? ql[l + 32] : ql[l];
          lo = (k & 2) ? lo >> 4 : lo & 15;
          int q = lo | ((qh[l] >> (2 * k)) & 3) << 4;
          s[l / 16] += (q - 32) * xq[32 * k + l];
        }
        sumi += w[i].scales[8 * h + 2 * k] * s[0] + w[i].scales[8 * h + 2 * k + 1] * s[1];
      }
    }
    acc += f16_to_f32(w[i].d) * x[i].d * static_cast<float>(sumi);
  }
  return acc;
}

}  // namespace

float vec_dot(DType t, const void* row, const void* xq, int64_t n) {
  const float* xf = static_cast<const float*>(xq);
  switch (t) {
    case DType::F32: return dot_f32(static_cast<const float*>(row), xf, n);
    case DType::F16: {
      const uint16_t* h = static_cast<const uint16_t*>(row);
      float acc = 0;
      for (int64_t i = 0; i < n; ++i) acc += f16_to_f32(h[i]) * xf[i];
      return acc;
    }
    case DType::BF16: {
      const uint16_t* h = static_cast<const uint16_t*>(row);
      float acc = 0;
      for (int64_t i = 0; i < n; ++i) acc += bf16_to_f32(h[i]) * xf[i];
      return acc;
    }
    case DType::Q8_0:
      return dot_q8_0(static_cast<const BlockQ8_0*>(row), static_cast<const BlockQ8_0*>(xq), n / kQK);
    case DType::Q4_0:
      return dot_q4_0(static_cast<const BlockQ4_0*>(row), static_cast<const BlockQ8_0*>(xq), n / kQK);
    case DType::Q4_K:
      return dot_q4_k(static_cast<const BlockQ4_K*>(row), static_cast<const BlockQ8_K*>(xq), n / kQKK);
    case DType::Q6_K:
      return dot_q6_k(static_cast<const BlockQ6_K*>(row), static_cast<const BlockQ8_K*>(xq), n / kQKK);
    default: return 0;
  }
}

void matvec_rows(const MatView& W, const void* xq, float* y, int64_t r0, int64_t r1) {
  for (int64_t r = r0; r < r1; ++r) y[r] = vec_dot(W.type, W.row(r), xq, W.cols);
}

float dot_f32(const float* a, const float* b, int64_t n) {
  float acc = 0;
  for (int64_t i = 0; i < n; ++i) acc += a[i] * b[i];
  return acc;
}

void axpy_f32(float a, const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] += a * x[i];
}

void gemm_panel(const float* X, int64_t T, int64_t ldx, const float* Bp, int64_t K, float* Y,
                int64_t ldy, int nr, bool accumulate) {
  constexpr int MR = 4;
  for (int64_t t0 = 0; t0 < T; t0 += MR) {
    int mr = T - t0 < MR ? static_cast<int>(T - t0) : MR;
    float acc[MR][kPanel] = {};
    if (accumulate)
      for (int i = 0; i < mr; ++i) std::memcpy(acc[i], Y + (t0 + i) * ldy, static_cast<size_t>(nr) * 4);
    for (int64_t k = 0; k < K; ++k) {
      const float* b = Bp + k * kPanel;
      for (int i = 0; i < mr; ++i) {
        float xv = X[(t0 + i) * ldx + k];
        for (int j = 0; j < kPanel; ++j) acc[i][j] += xv * b[j];
      }
    }
    for (int i = 0; i < mr; ++i) std::memcpy(Y + (t0 + i) * ldy, acc[i], static_cast<size_t>(nr) * 4);
  }
}

const KernelTable* table() {
  static const KernelTable t = {Isa::scalar, matvec_rows, quantize_activation, dequantize_row,
                                dot_f32, axpy_f32, attn_scores_composed<dequantize_row, dot_f32>,
                                attn_values_composed<dequantize_row, axpy_f32>, kernels::gelu_tanh_mul};
  return &t;
}

}  // namespace g4::kernels::ref
