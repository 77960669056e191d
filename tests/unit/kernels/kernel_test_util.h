// Shared helpers of the kernel tests: random data, weight matrices in every stored type, the
// ISAs this CPU runs, and exact (float64) references.
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "base/dtype.h"
#include "base/error.h"
#include "base/half.h"
#include "base/thread_pool.h"
#include "kernels/blocks.h"
#include "kernels/kernels.h"
#include "kernels/ref/ref.h"

namespace g4::kernels::test {

constexpr double kU = 5.9604644775390625e-08;  // 2^-24, the unit roundoff of float

inline std::vector<Isa> isas() {
  std::vector<Isa> v;
  for (Isa i : {Isa::scalar, Isa::avx2, Isa::avx512})
    if (kernel_table(i)) v.push_back(i);
  return v;
}

inline std::vector<DType> all_types() {
  return {DType::F32, DType::F16, DType::BF16, DType::Q8_0, DType::Q4_0, DType::Q4_K, DType::Q6_K};
}

inline bool is_float_type(DType t) { return dtype_block_elems(t) == 1; }

// Values in [-1, 1] times a per-32-element scale spanning 1e-3 .. 1e2, so blocks of one row
// get very different scales (and a block of zeros now and then).
inline std::vector<float> random_floats(int64_t n, uint32_t seed, bool vary_scale = true) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f), e(-3.0f, 2.0f);
  std::vector<float> v(static_cast<size_t>(n));
  float s = 1.0f;
  for (int64_t i = 0; i < n; ++i) {
    if (vary_scale && i % 32 == 0) s = (rng() % 23 == 0) ? 0.0f : std::pow(10.0f, e(rng));
    v[static_cast<size_t>(i)] = u(rng) * s;
  }
  return v;
}

// A byte buffer whose data() is deliberately `misalign` bytes past a 64-byte boundary.
struct Buffer {
  std::vector<uint8_t> bytes;
  size_t off = 0;
  Buffer(size_t n, size_t misalign) : bytes(n + 128) {
    uintptr_t p = reinterpret_cast<uintptr_t>(bytes.data());
    off = (64 - p % 64) % 64 + misalign;
  }
  uint8_t* data() { return bytes.data() + off; }
  float* f() { return reinterpret_cast<float*>(data()); }
};

// Rows of float values quantized with the reference quantizer into type t. Float types are
// stored 4 (F32) or 2 (F16/BF16) bytes off alignment to exercise unaligned loads.
struct Weights {
  DType type;
  int64_t rows, cols;
  Buffer buf;
  std::vector<float> deq;   // [rows][cols] dequantized values
  std::vector<double> mag;  // [rows][cols] |term magnitude| of each weight (see weight_mag)
  MatView view() { return MatView{buf.data(), type, rows, cols, dtype_row_bytes(type, cols)}; }

  Weights(DType t, int64_t r, int64_t c, uint32_t seed)
      : type(t), rows(r), cols(c),
        buf(dtype_row_bytes(t, c) * static_cast<size_t>(r), is_float_type(t) ? dtype_block_bytes(t) : 0) {
    std::vector<float> src = random_floats(r * c, seed);
    size_t rb = dtype_row_bytes(t, c);
    deq.resize(src.size());
    mag.resize(src.size());
    for (int64_t i = 0; i < r; ++i) {
      uint8_t* row = buf.data() + static_cast<size_t>(i) * rb;
      ref::quantize_row_ref(t, src.data() + i * c, row, c);
      ref::dequantize_row(t, row, deq.data() + i * c, c);
      for (int64_t j = 0; j < c; ++j) {
        size_t k = static_cast<size_t>(i * c + j);
        mag[k] = t == DType::Q4_K ? q4k_mag(row, j) : std::fabs(static_cast<double>(deq[k]));
      }
    }
  }

  // For Q4_K, x = d*sc*q - dmin*m is two terms that the kernels round separately, so error
  // bounds scale with |d*sc*q| + |dmin*m|; for every other type, with |x|.
  double q4k_mag(const uint8_t* row, int64_t j) const {
    const BlockQ4_K& b = reinterpret_cast<const BlockQ4_K*>(row)[j / kQKK];
    int e = static_cast<int>(j % kQKK), sub = e / 32, sc, m;
    q4k_scale_min(b.scales, sub, &sc, &m);
    int byte = b.qs[32 * (sub / 2) + e % 32];
    int q = (sub & 1) ? byte >> 4 : byte & 15;
    return std::fabs(static_cast<double>(f16_to_f32(b.d)) * sc * q) +
           std::fabs(static_cast<double>(f16_to_f32(b.dmin)) * m);
  }
};

// Terms a kernel accumulates in float for one row of n elements of type t: one per element for
// the float types, one per block (the integer block sums are exact) for the quantized types.
inline int64_t float_terms(DType t, int64_t n) { return n / dtype_block_elems(t); }

// Bound on |computed - exact| for a dot whose accumulated terms sum to `mag` in magnitude:
// any summation order of m terms errs by at most (m - 1) u sum|terms| (first order), and each
// term carries at most 4 roundings of its own (int->float, two scale products, the product with
// the sum); Q4_K has two such terms per block. (2m + 16) u covers all of it with margin.
inline double dot_tol(DType t, int64_t n, double mag) {
  return (2.0 * static_cast<double>(float_terms(t, n)) + 16.0) * kU * mag + 1e-30;
}

// The bound for matvec on an ISA. The AVX-512 BF16 kernel (vdpbf16ps) meets the activation as
// bf16 hi + lo with x = hi + lo + r: |x - hi| <= 2^-9 |x| (bf16 keeps 8 significant bits) and
// |r| <= 2^-9 |x - hi| <= 2^-18 |x|, so the represented activation errs by 2^-18 = 64u of
// sum |w x|. Both halves are then summed exactly-multiplied in float: 2n + 16 additions of
// terms whose magnitudes total at most (1 + 2^-9 + 2^-18) sum|w x| < 2 sum|w x|. Together:
// (64 + 2 (2n + 16)) u sum |w x|.
inline double matvec_tol(Isa isa, DType t, int64_t n, double mag) {
  if (isa == Isa::avx512 && t == DType::BF16) return (96.0 + 4.0 * static_cast<double>(n)) * kU * mag + 1e-30;
  return dot_tol(t, n, mag);
}

}  // namespace g4::kernels::test
