// Reference dequantization and round-to-nearest quantizers for every stored type, and the
// activation quantizers (Q8_0 and Q8_K blocks). See kernels/blocks.h for the formats.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "base/half.h"
#include "kernels/blocks.h"
#include "kernels/ref/ref.h"

namespace g4::kernels::ref {
namespace {

// Round to nearest, ties to even (the SIMD conversions' default rounding), clamped.
int round_clamp(float v, int lo, int hi) {
  float r = std::nearbyint(v);
  if (!(r >= static_cast<float>(lo))) return lo;  // also maps NaN to lo
  if (r > static_cast<float>(hi)) return hi;
  return static_cast<int>(r);
}

void dequant_q8_0(const BlockQ8_0* b, float* out, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i) {
    float d = f16_to_f32(b[i].d);
    for (int j = 0; j < kQK; ++j) out[i * kQK + j] = d * b[i].qs[j];
  }
}

void dequant_q4_0(const BlockQ4_0* b, float* out, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i) {
    float d = f16_to_f32(b[i].d);
    for (int j = 0; j < kQK / 2; ++j) {
      out[i * kQK + j] = d * ((b[i].qs[j] & 15) - 8);
      out[i * kQK + j + 16] = d * ((b[i].qs[j] >> 4) - 8);
    }
  }
}

void dequant_q4_k(const BlockQ4_K* b, float* out, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i) {
    float d = f16_to_f32(b[i].d), dmin = f16_to_f32(b[i].dmin);
    float* y = out + i * kQKK;
    for (int g = 0; g < 4; ++g) {
      int sc0, m0, sc1, m1;
      q4k_scale_min(b[i].scales, 2 * g, &sc0, &m0);
      q4k_scale_min(b[i].scales, 2 * g + 1, &sc1, &m1);
      const uint8_t* q = b[i].qs + 32 * g;
      for (int l = 0; l < 32; ++l) {
        y[64 * g + l] = d * sc0 * (q[l] & 15) - dmin * m0;
        y[64 * g + 32 + l] = d * sc1 * (q[l] >> 4) - dmin * m1;
      }
    }
  }
}

void dequant_q6_k(const BlockQ6_K* b, float* out, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i) {
    float d = f16_to_f32(b[i].d);
    for (int h = 0; h < 2; ++h) {
      const uint8_t* ql = b[i].ql + 64 * h;
      const uint8_t* qh = b[i].qh + 32 * h;
      const int8_t* sc = b[i].scales + 8 * h;
      float* y = out + i * kQKK + 128 * h;
      for (int k = 0; k < 4; ++k) {  // elements 32k + l of this half (blocks.h)
        for (int l = 0; l < 32; ++l) {
          int lo = (k & 1) ? ql[l + 32] : ql[l];
          lo = (k & 2) ? lo >> 4 : lo & 15;
          int q = lo | ((qh[l] >> (2 * k)) & 3) << 4;
          y[32 * k + l] = d * sc[2 * k + l / 16] * (q - 32);
        }
      }
    }
  }
}

float absmax(const float* x, int n) {
  float a = 0;
  for (int i = 0; i < n; ++i) a = std::max(a, std::fabs(x[i]));
  return a;
}

void quant_q8_0(const float* x, BlockQ8_0* b, int64_t nb) {
  // d is rounded to fp16 first and the quants are taken against the stored d, so the
  // reconstruction error is at most d/2 per element.
  for (int64_t i = 0; i < nb; ++i, x += kQK) {
    uint16_t dh = f32_to_f16(absmax(x, kQK) / 127.0f);
    float d = f16_to_f32(dh);
    float id = d != 0.0f ? 1.0f / d : 0.0f;
    b[i].d = dh;
    for (int j = 0; j < kQK; ++j) b[i].qs[j] = static_cast<int8_t>(round_clamp(x[j] * id, -127, 127));
  }
}

void quant_q4_0(const float* x, BlockQ4_0* b, int64_t nb) {
  // The element of largest magnitude maps to q = 0 (value -8 d) exactly; its opposite end
  // (+8 d) clamps to 7 d, so the error is at most d (d/2 inside [-8d, 7d]).
  for (int64_t i = 0; i < nb; ++i, x += kQK) {
    float amax = 0, vmax = 0;
    for (int j = 0; j < kQK; ++j)
      if (std::fabs(x[j]) > amax) amax = std::fabs(x[j]), vmax = x[j];
    uint16_t dh = f32_to_f16(vmax / -8.0f);
    float d = f16_to_f32(dh);
    float id = d != 0.0f ? 1.0f / d : 0.0f;
    b[i].d = dh;
    for (int j = 0; j < kQK / 2; ++j) {
      int lo = round_clamp(x[j] * id + 8.0f, 0, 15), hi = round_clamp(x[j + 16] * id + 8.0f, 0, 15);
      b[i].qs[j] = static_cast<uint8_t>(lo | hi << 4);
    }
  }
}

void quant_q4_k(const float* x, BlockQ4_K* b, int64_t nb) {
  // Per sub-block: min' = min(0, min x), scale = (max - min') / 15; the 8 scales and the 8
  // mins (-min') are then quantized to 6 bits against d = max scale / 63, dmin = max min / 63.
  for (int64_t i = 0; i < nb; ++i, x += kQKK) {
    float scale[8], mn[8], smax = 0, mmax = 0;
    for (int j = 0; j < 8; ++j) {
      float lo = 0, hi = x[32 * j];
      for (int l = 0; l < 32; ++l) lo = std::min(lo, x[32 * j + l]), hi = std::max(hi, x[32 * j + l]);
      scale[j] = (hi - lo) / 15.0f;
      mn[j] = -lo;
      smax = std::max(smax, scale[j]);
      mmax = std::max(mmax, mn[j]);
    }
    BlockQ4_K& o = b[i];
    o.d = f32_to_f16(smax / 63.0f);
    o.dmin = f32_to_f16(mmax / 63.0f);
    float d = f16_to_f32(o.d), dmin = f16_to_f32(o.dmin);
    int sc[8], m[8];
    for (int j = 0; j < 8; ++j) {
      sc[j] = d > 0 ? round_clamp(scale[j] / d, 0, 63) : 0;
      m[j] = dmin > 0 ? round_clamp(mn[j] / dmin, 0, 63) : 0;
    }
    std::memset(o.scales, 0, sizeof o.scales);
    for (int j = 0; j < 4; ++j) {
      o.scales[j] = static_cast<uint8_t>(sc[j] | (sc[j + 4] >> 4) << 6);
      o.scales[j + 4] = static_cast<uint8_t>(m[j] | (m[j + 4] >> 4) << 6);
      o.scales[j + 8] = static_cast<uint8_t>((sc[j + 4] & 15) | (m[j + 4] & 15) << 4);
    }
    for (int g = 0; g < 4; ++g) {
      for (int half = 0; half < 2; ++half) {
        int j = 2 * g + half;
        float s = d * sc[j], off = dmin * m[j];
        float is = s != 0.0f ? 1.0f / s : 0.0f;
        for (int l = 0; l < 32; ++l) {
          int q = round_clamp((x[32 * j + l] + off) * is, 0, 15);
          uint8_t& dst = o.qs[32 * g + l];
          dst = static_cast<uint8_t>(half ? (dst & 15) | q << 4 : q);
        }
      }
    }
  }
}

void quant_q6_k(const float* x, BlockQ6_K* b, int64_t nb) {
  // Symmetric per group of 16: scale = amax / 31, q - 32 in [-31, 31]; the 16 scales are
  // quantized to int8 [0, 127] against d = max scale / 127.
  for (int64_t i = 0; i < nb; ++i, x += kQKK) {
    float scale[16], smax = 0;
    for (int g = 0; g < 16; ++g) smax = std::max(smax, scale[g] = absmax(x + 16 * g, 16) / 31.0f);
    BlockQ6_K& o = b[i];
    o.d = f32_to_f16(smax / 127.0f);
    float d = f16_to_f32(o.d);
    std::memset(o.ql, 0, sizeof o.ql);
    std::memset(o.qh, 0, sizeof o.qh);
    for (int g = 0; g < 16; ++g) o.scales[g] = static_cast<int8_t>(d > 0 ? round_clamp(scale[g] / d, 0, 127) : 0);
    for (int e = 0; e < kQKK; ++e) {
      float s = d * o.scales[e / 16];
      int q = (s != 0.0f ? round_clamp(x[e] / s, -32, 31) : 0) + 32;
      int h = e / 128, k = (e % 128) / 32, l = e % 32;
      uint8_t& lo = o.ql[64 * h + l + ((k & 1) ? 32 : 0)];
      lo = static_cast<uint8_t>(lo | (q & 15) << ((k & 2) ? 4 : 0));
      o.qh[32 * h + l] = static_cast<uint8_t>(o.qh[32 * h + l] | (q >> 4) << (2 * k));
    }
  }
}

}  // namespace

void dequantize_row(DType t, const void* row, float* out, int64_t n) {
  switch (t) {
    case DType::F32: std::memcpy(out, row, static_cast<size_t>(n) * 4); break;
    case DType::F16: {
      const uint16_t* h = static_cast<const uint16_t*>(row);
      for (int64_t i = 0; i < n; ++i) out[i] = f16_to_f32(h[i]);
      break;
    }
    case DType::BF16: {
      const uint16_t* h = static_cast<const uint16_t*>(row);
      for (int64_t i = 0; i < n; ++i) out[i] = bf16_to_f32(h[i]);
      break;
    }
    case DType::Q8_0: dequant_q8_0(static_cast<const BlockQ8_0*>(row), out, n / kQK); break;
    case DType::Q4_0: dequant_q4_0(static_cast<const BlockQ4_0*>(row), out, n / kQK); break;
    case DType::Q4_K: dequant_q4_k(static_cast<const BlockQ4_K*>(row), out, n / kQKK); break;
    case DType::Q6_K: dequant_q6_k(static_cast<const BlockQ6_K*>(row), out, n / kQKK); break;
    default: break;
  }
}

void quantize_row_ref(DType t, const float* x, void* out, int64_t n) {
  switch (t) {
    case DType::F32: std::memcpy(out, x, static_cast<size_t>(n) * 4); break;
    case DType::F16: {
      uint16_t* h = static_cast<uint16_t*>(out);
      for (int64_t i = 0; i < n; ++i) h[i] = f32_to_f16(x[i]);
      break;
    }
    case DType::BF16: {
      uint16_t* h = static_cast<uint16_t*>(out);
      for (int64_t i = 0; i < n; ++i) h[i] = f32_to_bf16(x[i]);
      break;
    }
    case DType::Q8_0: quant_q8_0(x, static_cast<BlockQ8_0*>(out), n / kQK); break;
    case DType::Q4_0: quant_q4_0(x, static_cast<BlockQ4_0*>(out), n / kQK); break;
    case DType::Q4_K: quant_q4_k(x, static_cast<BlockQ4_K*>(out), n / kQKK); break;
    case DType::Q6_K: quant_q6_k(x, static_cast<BlockQ6_K*>(out), n / kQKK); break;
    default: break;
  }
}

void quantize_activation(DType t, const float* x, int64_t n, void* xq) {
  switch (t) {
    case DType::Q8_0:
    case DType::Q4_0: quant_q8_0(x, static_cast<BlockQ8_0*>(xq), n / kQK); break;
    case DType::Q4_K:
    case DType::Q6_K: {
      // d = amax / 127 kept in float; q = round(x / d) through the reciprocal, like Q8_0.
      BlockQ8_K* b = static_cast<BlockQ8_K*>(xq);
      for (int64_t i = 0; i < n / kQKK; ++i, x += kQKK) {
        float d = absmax(x, kQKK) / 127.0f;
        float id = d != 0.0f ? 1.0f / d : 0.0f;
        b[i].d = d;
        for (int j = 0; j < kQKK; ++j) b[i].qs[j] = static_cast<int8_t>(round_clamp(x[j] * id, -127, 127));
        for (int g = 0; g < 16; ++g) {
          int s = 0;
          for (int l = 0; l < 16; ++l) s += b[i].qs[16 * g + l];
          b[i].bsums[g] = static_cast<int16_t>(s);
        }
      }
      break;
    }
    default: std::memcpy(xq, x, static_cast<size_t>(n) * 4); break;
  }
}

void dequantize_activation(DType t, const void* xq, float* out, int64_t n) {
  switch (t) {
    case DType::Q8_0:
    case DType::Q4_0: dequant_q8_0(static_cast<const BlockQ8_0*>(xq), out, n / kQK); break;
    case DType::Q4_K:
    case DType::Q6_K: {
      const BlockQ8_K* b = static_cast<const BlockQ8_K*>(xq);
      for (int64_t i = 0; i < n; ++i) out[i] = b[i / kQKK].d * b[i / kQKK].qs[i % kQKK];
      break;
    }
    default: std::memcpy(out, xq, static_cast<size_t>(n) * 4); break;
  }
}

}  // namespace g4::kernels::ref
