// Functions shared between the AVX-512 translation units (all compiled with the AVX-512 flags;
// only called once kernel_table(Isa::avx512) exists).
#pragma once
#include <cstdint>
#include <cstring>

#include "base/dtype.h"
#include "kernels/kernels.h"

namespace g4::kernels::avx512 {

struct XStep;

// One row of any type times its activation (avx512.cpp): the one-row fallback.
float vec_dot(DType t, const void* row, const void* xq, int64_t n);
// The table's matvec_rows (gemv.cpp).
void matvec_rows(const MatView& W, const void* xq, float* y, int64_t r0, int64_t r1);
// The table's fused attention kernels (attn.cpp).
void attn_scores(DType t, const void* const* rows, int n, const float* q, int nh, int hd, float* sc, int ld);
void attn_values(DType t, const void* const* rows, int n, const float* p, int ld, int nh, int hd, float* o);
void gelu_tanh_mul(const float* g, const float* u, float* y, int64_t n);

// The 8 six-bit scales and mins of a Q4_K block as bytes (blocks.h packing, four at a time);
// shared by the decode GEMV and the prefill GEMM, which must agree bit for bit.
inline void q4k_scales(const uint8_t* s12, uint64_t* sc, uint64_t* m) {
  uint32_t u0, u1, u2;
  std::memcpy(&u0, s12, 4);
  std::memcpy(&u1, s12 + 4, 4);
  std::memcpy(&u2, s12 + 8, 4);
  const uint32_t k6 = 0x3f3f3f3f, k4 = 0x0f0f0f0f, k2 = 0x03030303;
  uint32_t sc_lo = u0 & k6, m_lo = u1 & k6;
  uint32_t sc_hi = (u2 & k4) | ((u0 >> 6) & k2) << 4;
  uint32_t m_hi = ((u2 >> 4) & k4) | ((u1 >> 6) & k2) << 4;
  *sc = sc_lo | static_cast<uint64_t>(sc_hi) << 32;
  *m = m_lo | static_cast<uint64_t>(m_hi) << 32;
}

}  // namespace g4::kernels::avx512
