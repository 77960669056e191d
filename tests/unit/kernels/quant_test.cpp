// Block layouts (hand-built blocks decoded per the ggml description), the reference quantizers'
// round-trip error bounds, and dequantize_row of every ISA against the reference.
#include <doctest/doctest.h>

#include <cstddef>

#include "kernel_test_util.h"

using namespace g4;
using namespace g4::kernels;
using namespace g4::kernels::test;

TEST_CASE("block structs match the GGUF sizes and offsets") {
  CHECK(dtype_block_bytes(DType::Q8_0) == sizeof(BlockQ8_0));
  CHECK(dtype_block_bytes(DType::Q4_0) == sizeof(BlockQ4_0));
  CHECK(dtype_block_bytes(DType::Q4_K) == sizeof(BlockQ4_K));
  CHECK(dtype_block_bytes(DType::Q6_K) == sizeof(BlockQ6_K));
  CHECK(offsetof(BlockQ4_K, scales) == 4);
  CHECK(offsetof(BlockQ4_K, qs) == 16);
  CHECK(offsetof(BlockQ6_K, qh) == 128);
  CHECK(offsetof(BlockQ6_K, scales) == 192);
  CHECK(offsetof(BlockQ6_K, d) == 208);
  CHECK(offsetof(BlockQ8_K, bsums) == 260);
}

TEST_CASE("Q4_0 block: low nibbles are elements 0..15, high nibbles 16..31") {
  BlockQ4_0 b;
  b.d = f32_to_f16(0.5f);
  for (int j = 0; j < 16; ++j) b.qs[j] = static_cast<uint8_t>(j | (15 - j) << 4);
  float out[32];
  ref::dequantize_row(DType::Q4_0, &b, out, 32);
  for (int j = 0; j < 16; ++j) {
    CHECK(out[j] == 0.5f * (j - 8));
    CHECK(out[16 + j] == 0.5f * (7 - j));
  }
}

TEST_CASE("Q4_K block: 6-bit scales/mins packing and nibble order") {
  // Scales 40..47 and mins 20..27 need all 6 bits (high bits 0b10 and 0b01), packed by hand:
  // bytes 0..3: sc[0..3] | (sc[4..7] >> 4) << 6; bytes 4..7: m[0..3] | (m[4..7] >> 4) << 6;
  // bytes 8..11: (sc[4..7] & 15) | (m[4..7] & 15) << 4.
  int sc[8], m[8];
  for (int j = 0; j < 8; ++j) sc[j] = 40 + j, m[j] = 20 + j;
  BlockQ4_K b;
  b.d = f32_to_f16(1.0f);
  b.dmin = f32_to_f16(0.25f);
  for (int j = 0; j < 4; ++j) {
    b.scales[j] = static_cast<uint8_t>(sc[j] | (sc[j + 4] >> 4) << 6);
    b.scales[j + 4] = static_cast<uint8_t>(m[j] | (m[j + 4] >> 4) << 6);
    b.scales[j + 8] = static_cast<uint8_t>((sc[j + 4] & 15) | (m[j + 4] & 15) << 4);
  }
  // Element 64g + l has q = l % 16 (low nibble), element 64g + 32 + l has q = 15 - l % 16.
  for (int g = 0; g < 4; ++g)
    for (int l = 0; l < 32; ++l) b.qs[32 * g + l] = static_cast<uint8_t>((l % 16) | (15 - l % 16) << 4);
  float out[256];
  ref::dequantize_row(DType::Q4_K, &b, out, 256);
  for (int e = 0; e < 256; ++e) {
    int sub = e / 32, l = e % 32;
    int q = (sub % 2 == 0) ? l % 16 : 15 - l % 16;
    CHECK(out[e] == static_cast<float>(sc[sub] * q) - 0.25f * static_cast<float>(m[sub]));
  }
}

TEST_CASE("Q6_K block: ql/qh/scales element mapping") {
  // Filled with a pattern, decoded with ggml's formulas written out per element.
  BlockQ6_K b;
  for (int i = 0; i < 128; ++i) b.ql[i] = static_cast<uint8_t>(i * 37 + 11);
  for (int i = 0; i < 64; ++i) b.qh[i] = static_cast<uint8_t>(i * 91 + 5);
  for (int i = 0; i < 16; ++i) b.scales[i] = static_cast<int8_t>(i * 13 - 100);
  b.d = f32_to_f16(0.125f);
  float out[256];
  ref::dequantize_row(DType::Q6_K, &b, out, 256);
  for (int h = 0; h < 2; ++h) {
    const uint8_t* ql = b.ql + 64 * h;
    const uint8_t* qh = b.qh + 32 * h;
    const int8_t* s = b.scales + 8 * h;
    const float* y = out + 128 * h;
    for (int l = 0; l < 32; ++l) {
      int is = l / 16;
      int q1 = ((ql[l] & 15) | ((qh[l] >> 0) & 3) << 4) - 32;
      int q2 = ((ql[l + 32] & 15) | ((qh[l] >> 2) & 3) << 4) - 32;
      int q3 = ((ql[l] >> 4) | ((qh[l] >> 4) & 3) << 4) - 32;
      int q4 = ((ql[l + 32] >> 4) | ((qh[l] >> 6) & 3) << 4) - 32;
      CHECK(y[l] == 0.125f * static_cast<float>(s[is] * q1));
      CHECK(y[l + 32] == 0.125f * static_cast<float>(s[is + 2] * q2));
      CHECK(y[l + 64] == 0.125f * static_cast<float>(s[is + 4] * q3));
      CHECK(y[l + 96] == 0.125f * static_cast<float>(s[is + 6] * q4));
    }
  }
}

namespace {

// Largest |x| of the block holding element i.
float block_absmax(const std::vector<float>& x, size_t i, int be) {
  float a = 0;
  for (size_t j = i / be * be; j < (i / be + 1) * be; ++j) a = std::max(a, std::fabs(x[j]));
  return a;
}

}  // namespace

TEST_CASE("reference quantizers: round-trip error within the per-type bound") {
  const int64_t n = 256 * 12;
  std::vector<float> x = random_floats(n, 42);
  for (DType t : all_types()) {
    std::string type_s = dtype_name(t); CAPTURE(type_s);
    std::vector<uint8_t> q(dtype_row_bytes(t, n));
    std::vector<float> y(static_cast<size_t>(n));
    ref::quantize_row_ref(t, x.data(), q.data(), n);
    ref::dequantize_row(t, q.data(), y.data(), n);
    int bad = 0;
    double worst = 0;  // worst err / bound, for the message
    for (size_t i = 0; i < x.size(); ++i) {
      double err = std::fabs(static_cast<double>(x[i]) - y[i]), bound = 0;
      switch (t) {
        case DType::F32: bound = 0; break;
        case DType::F16: bound = std::ldexp(std::fabs(x[i]), -11) + std::ldexp(1.0, -25); break;
        case DType::BF16: bound = std::ldexp(std::fabs(x[i]), -8); break;
        case DType::Q8_0: {
          // q = round(x / d) against the stored d: d/2, plus the reciprocal's rounding.
          double d = f16_to_f32(reinterpret_cast<const BlockQ8_0*>(q.data())[i / 32].d);
          bound = d * (0.5 + 1e-4);
          break;
        }
        case DType::Q4_0: {
          // d/2 inside the grid [-8d, 7d]; the clamped top end (+8d -> 7d) errs by up to d.
          double d = std::fabs(f16_to_f32(reinterpret_cast<const BlockQ4_0*>(q.data())[i / 32].d));
          bound = d * (1.0 + 1e-4);
          if (std::fabs(x[i]) == block_absmax(x, i, 32)) bound = d * 0.005;  // maps to -8 exactly
          break;
        }
        case DType::Q4_K: {
          // s = d*sc and the min are 6-bit roundings of the exact ones (errors d/2, dmin/2), so
          // the grid's ends may miss the data range by 15 d/2 + dmin/2; add s/2 inside.
          const BlockQ4_K& b = reinterpret_cast<const BlockQ4_K*>(q.data())[i / 256];
          int sc, m;
          q4k_scale_min(b.scales, static_cast<int>(i % 256) / 32, &sc, &m);
          double d = f16_to_f32(b.d), dmin = f16_to_f32(b.dmin);
          bound = d * sc / 2 + 7.5 * d + dmin / 2 + 1e-5 * block_absmax(x, i, 256);
          break;
        }
        case DType::Q6_K: {
          // Group scale s = d*sc with |s - amax/31| <= d/2: s/2 inside, 31 d/2 at the clamp.
          const BlockQ6_K& b = reinterpret_cast<const BlockQ6_K*>(q.data())[i / 256];
          double d = f16_to_f32(b.d), s = d * b.scales[(i % 256) / 16];
          bound = s / 2 + 15.5 * d + 1e-5 * block_absmax(x, i, 256);
          break;
        }
        default: break;
      }
      if (!(err <= bound)) ++bad;
      if (bound > 0) worst = std::max(worst, err / bound);
    }
    INFO("worst error / bound = " << worst);
    CHECK(bad == 0);
  }
}

TEST_CASE("activation quantizers: error within d/2 per element, bsums exact") {
  const int64_t n = 256 * 8;
  std::vector<float> x = random_floats(n, 77);
  for (DType t : {DType::Q8_0, DType::Q4_K}) {
    std::string type_s = dtype_name(t); CAPTURE(type_s);
    std::vector<uint8_t> q(activation_bytes(t, n));
    std::vector<float> y(static_cast<size_t>(n));
    ref::quantize_activation(t, x.data(), n, q.data());
    ref::dequantize_activation(t, q.data(), y.data(), n);
    int bad = 0;
    for (size_t i = 0; i < x.size(); ++i) {
      double d = t == DType::Q8_0 ? f16_to_f32(reinterpret_cast<const BlockQ8_0*>(q.data())[i / 32].d)
                                  : reinterpret_cast<const BlockQ8_K*>(q.data())[i / 256].d;
      bad += !(std::fabs(static_cast<double>(x[i]) - y[i]) <= d * (0.5 + 1e-4) + 1e-30);
    }
    CHECK(bad == 0);
    if (t == DType::Q4_K) {
      const BlockQ8_K* b = reinterpret_cast<const BlockQ8_K*>(q.data());
      for (int64_t i = 0; i < n / 256; ++i)
        for (int g = 0; g < 16; ++g) {
          int s = 0;
          for (int l = 0; l < 16; ++l) s += b[i].qs[16 * g + l];
          CHECK(b[i].bsums[g] == s);
        }
    }
  }
}

TEST_CASE("dequantize_row of every ISA equals the reference bit for bit") {
  for (Isa isa : isas()) {
    const KernelTable& k = *kernel_table(isa);
    for (DType t : all_types()) {
      for (int64_t n : {int64_t{1}, int64_t{7}, int64_t{256}, int64_t{256 * 3}}) {
        if (n % dtype_block_elems(t)) continue;
        std::string isa_s = isa_name(isa); CAPTURE(isa_s); std::string type_s = dtype_name(t); CAPTURE(type_s); CAPTURE(n);
        Weights w(t, 1, n, 3);
        std::vector<float> a(static_cast<size_t>(n) + 1, 7.0f), b = a;
        ref::dequantize_row(t, w.buf.data(), a.data(), n);
        k.dequantize_row(t, w.buf.data(), b.data() + 1, n);  // misaligned output
        if (t != DType::Q4_K) {
          CHECK(std::memcmp(a.data(), b.data() + 1, static_cast<size_t>(n) * 4) == 0);
        } else {
          // d*sc*q - dmin*m may be fused into one FMA by the compiler in the SIMD file: the
          // two results then differ by at most one rounding of the product, u |d sc q|.
          int bad = 0;
          for (int64_t i = 0; i < n; ++i) bad += !(std::fabs(a[i] - b[i + 1]) <= 2 * kU * w.mag[i]);
          CHECK(bad == 0);
        }
      }
    }
  }
}
