// The AVX-512 form of a Q4_0 / Q8_0 dot product, shared by matvec (gemv.cpp) and the prefill
// GEMM (gemm_q8.cpp) so that decode and prefill compute bit-identical results per output.
//
// Work proceeds in "steps" of 4 blocks (128 elements). In a step, dword lane 4b..4b+3 of every
// vector belongs to block b; bytes 16b..16b+15 of the LO vector hold elements 0..15 of block b,
// of the HI vector elements 16..31 (the natural split of a Q4_0 block's nibbles).
//  - The activation (Q8_0 blocks) is packed once into XStep records: x + 128 as unsigned bytes
//    (vpdpbusd's unsigned operand), and the float scale of each block broadcast to its 4 lanes.
//  - A weight step is unpacked straight from the stored blocks into signed bytes (q - 8 for Q4_0,
//    the quants themselves for Q8_0), its fp16 scales widened to lanes, and the correction
//    neg = -128 * (sum of the weight bytes of each lane).
//  - vpdpbusd(neg, x + 128, w) over LO and HI is then exactly sum x w per lane (int32, no
//    saturation: |lane| <= 4 * 255 * 128), and the lane accumulator gets
//    fma(float(lane), w_scale * x_scale, acc): per block the same terms as the reference.
// The float accumulation is fixed by the step and chunk structure alone (lanes summed with
// reduce_add every kChunkSteps steps, chunk sums added in order), never by how rows or tokens are
// grouped, so any tiling gives the same bits.
// A step with fewer than 4 blocks left (the row's end) loads with masks: missing weight bytes
// read as 0 with scale 0, missing activation bytes as x = 0 with scale 0, so they add exact zeros.
#pragma once
#include <immintrin.h>

#include <cstdint>

#include "base/half.h"
#include "kernels/blocks.h"

namespace g4::kernels::avx512 {

constexpr int kStepBlocks = 4;
constexpr int kChunkSteps = 8;  // 1024 elements per float reduction

// One activation step (192 bytes, 64-byte aligned in the packed buffers).
struct alignas(64) XStep {
  uint8_t lo[64];
  uint8_t hi[64];
  float d[16];
};
static_assert(sizeof(XStep) == 192, "XStep is three zmm");

inline int64_t q8_steps(int64_t nb) { return (nb + kStepBlocks - 1) / kStepBlocks; }

// Packs one token's Q8_0 activation blocks x[nb] into steps, out[s * stride] for step s.
inline void pack_x_q8(const BlockQ8_0* x, int64_t nb, XStep* out, int64_t stride) {
  for (int64_t s = 0; s < q8_steps(nb); ++s) {
    XStep& o = out[s * stride];
    for (int b = 0; b < kStepBlocks; ++b) {
      int64_t i = s * kStepBlocks + b;
      float d = i < nb ? _cvtsh_ss(x[i].d) : 0.0f;
      for (int j = 0; j < 16; ++j) {
        o.lo[16 * b + j] = static_cast<uint8_t>((i < nb ? x[i].qs[j] : 0) + 128);
        o.hi[16 * b + j] = static_cast<uint8_t>((i < nb ? x[i].qs[16 + j] : 0) + 128);
      }
      for (int l = 0; l < 4; ++l) o.d[4 * b + l] = d;
    }
  }
}

// A token's packed zero step (x = 0, scale 0): padding for token tiles.
inline void zero_x_step(XStep* o) {
  for (int j = 0; j < 64; ++j) o->lo[j] = o->hi[j] = 128;
  for (int l = 0; l < 16; ++l) o->d[l] = 0.0f;
}

struct WStep {
  __m512i lo, hi, neg;
  __m512 d;
};

inline __mmask64 byte_mask(int64_t n) {
  if (n >= 64) return ~0ull;
  if (n <= 0) return 0;
  return (1ull << n) - 1;
}

// Word permutation tables (vpermt2w, AVX512BW: every qs run starts at an even byte offset, so
// no byte permute is needed). See the layouts in blocks.h.
struct Tables {
  alignas(64) uint16_t q4[32];    // qs of 4 Q4_0 blocks from [p, p+64) and [p+8, p+72)
  alignas(64) uint16_t q4d[32];   // their fp16 scales, each to 4 words (from [p, p+64))
  alignas(64) uint16_t q8lo[32];  // elements 0..15 of 4 Q8_0 blocks from [p, p+64), [p+64, p+128)
  alignas(64) uint16_t q8hi[32];  // elements 16..31 from [p+8, p+72), [p+72, p+136)
  alignas(64) uint16_t q8d[32];   // scales from [p, p+64), [p+64, p+128)
  Tables() {
    for (int o = 0; o < 32; ++o) {
      int b = o / 8, j = o % 8;
      int w4 = 9 * b + 1 + j;  // source word of Q4_0 qs byte pair 2j of block b
      q4[o] = static_cast<uint16_t>(w4 < 32 ? w4 : 32 + w4 - 4);
      int lo = 17 * b + 1 + j, hi = 17 * b + 9 + j;
      q8lo[o] = static_cast<uint16_t>(lo);  // words 0..31 from the first source, 32..63 the second
      q8hi[o] = static_cast<uint16_t>(hi < 36 ? hi - 4 : 32 + hi - 36);
      int k = o / 4 & 3;
      q4d[o] = static_cast<uint16_t>(o < 16 ? 9 * k : 0);
      q8d[o] = static_cast<uint16_t>(o < 16 ? 17 * k : 0);
    }
  }
};

inline const Tables& tables() {
  static const Tables t;
  return t;
}

inline __m512i neg_sum128(__m512i lo, __m512i hi) {
  const __m512i c128 = _mm512_set1_epi8(static_cast<char>(0x80));
  __m512i s = _mm512_dpbusd_epi32(_mm512_dpbusd_epi32(_mm512_setzero_si512(), c128, lo), c128, hi);
  return _mm512_sub_epi32(_mm512_setzero_si512(), s);
}

// Step s of a Q4_0 row of nb blocks: the 64 qs bytes in step order and the lane scales.
inline void load_q4_0(const BlockQ4_0* row, int64_t nb, int64_t s, const Tables& T, __m512i* l0_out,
                      __m512i* q, __m512* d) {
  const uint8_t* p = reinterpret_cast<const uint8_t*>(row + s * kStepBlocks);
  int64_t valid = (nb - s * kStepBlocks) * static_cast<int64_t>(sizeof(BlockQ4_0));
  __m512i l0, l1;
  if (valid >= 72) {
    l0 = _mm512_loadu_si512(p);
    l1 = _mm512_loadu_si512(p + 8);
  } else {
    l0 = _mm512_maskz_loadu_epi8(byte_mask(valid), p);
    l1 = _mm512_maskz_loadu_epi8(byte_mask(valid - 8), p + 8);
  }
  *l0_out = l0;
  *q = _mm512_permutex2var_epi16(l0, _mm512_load_si512(T.q4), l1);
  __m512i dw = _mm512_permutexvar_epi16(_mm512_load_si512(T.q4d), l0);
  *d = _mm512_cvtph_ps(_mm512_castsi512_si256(dw));
}

inline WStep unpack_q4_0(const BlockQ4_0* row, int64_t nb, int64_t s, const Tables& T) {
  __m512i l0, q;
  WStep w;
  load_q4_0(row, nb, s, T, &l0, &q, &w.d);
  const __m512i m4 = _mm512_set1_epi8(15), eight = _mm512_set1_epi8(8);
  w.lo = _mm512_sub_epi8(_mm512_and_si512(q, m4), eight);
  w.hi = _mm512_sub_epi8(_mm512_and_si512(_mm512_srli_epi16(q, 4), m4), eight);
  w.neg = neg_sum128(w.lo, w.hi);
  return w;
}

// Step s of a Q8_0 row of nb blocks.
inline WStep unpack_q8_0(const BlockQ8_0* row, int64_t nb, int64_t s, const Tables& T) {
  const uint8_t* p = reinterpret_cast<const uint8_t*>(row + s * kStepBlocks);
  int64_t valid = (nb - s * kStepBlocks) * static_cast<int64_t>(sizeof(BlockQ8_0));
  __m512i a0, a1, b0, b1;
  if (valid >= 136) {
    a0 = _mm512_loadu_si512(p);
    a1 = _mm512_loadu_si512(p + 64);
    b0 = _mm512_loadu_si512(p + 8);
    b1 = _mm512_loadu_si512(p + 72);
  } else {
    a0 = _mm512_maskz_loadu_epi8(byte_mask(valid), p);
    a1 = _mm512_maskz_loadu_epi8(byte_mask(valid - 64), p + 64);
    b0 = _mm512_maskz_loadu_epi8(byte_mask(valid - 8), p + 8);
    b1 = _mm512_maskz_loadu_epi8(byte_mask(valid - 72), p + 72);
  }
  WStep w;
  w.lo = _mm512_permutex2var_epi16(a0, _mm512_load_si512(T.q8lo), a1);
  w.hi = _mm512_permutex2var_epi16(b0, _mm512_load_si512(T.q8hi), b1);
  w.neg = neg_sum128(w.lo, w.hi);
  __m512i d = _mm512_permutex2var_epi16(a0, _mm512_load_si512(T.q8d), a1);
  w.d = _mm512_cvtph_ps(_mm512_castsi512_si256(d));
  return w;
}

// acc += the step's per-lane products (see the header comment).
inline __m512 step_fma(const WStep& w, const XStep& x, __m512 acc) {
  __m512i i = _mm512_dpbusd_epi32(w.neg, _mm512_load_si512(x.lo), w.lo);
  i = _mm512_dpbusd_epi32(i, _mm512_load_si512(x.hi), w.hi);
  __m512 sc = _mm512_mul_ps(w.d, _mm512_load_ps(x.d));
  return _mm512_fmadd_ps(_mm512_cvtepi32_ps(i), sc, acc);
}

}  // namespace g4::kernels::avx512
