// Byte layouts of the quantized blocks, identical to GGUF/ggml so model files are used in place.
// All multi-byte fields are little-endian; `uint16_t d` fields are IEEE half (base/half.h).
// Every block is byte-packed (no padding; the static_asserts pin the sizes), so a row of n
// elements is n / block_elems consecutive blocks.
#pragma once
#include <cstddef>
#include <cstdint>

namespace g4::kernels {

constexpr int kQK = 32;    // elements per Q8_0 / Q4_0 block
constexpr int kQKK = 256;  // elements per K-quant super-block

// ---- weight formats -------------------------------------------------------------------------

// Q8_0: x[i] = d * qs[i], i in [0, 32).  8.5 bits per weight.
struct BlockQ8_0 {
  uint16_t d;      // fp16 scale
  int8_t qs[kQK];  // signed quants
};
static_assert(sizeof(BlockQ8_0) == 34, "Q8_0 block must be 34 bytes");

// Q4_0: x[i] = d * (q[i] - 8) with q in [0, 15].  4.5 bits per weight.
// qs[j] holds element j in its low nibble and element j + 16 in its high nibble.
struct BlockQ4_0 {
  uint16_t d;
  uint8_t qs[kQK / 2];
};
static_assert(sizeof(BlockQ4_0) == 18, "Q4_0 block must be 18 bytes");

// Q4_K: super-block of 256 = 8 sub-blocks of 32, each with a 6-bit scale sc[j] and 6-bit min
// m[j]: x = d * sc[j] * q - dmin * m[j], q in [0, 15].  4.5 bits per weight.
// scales[12] packing (j = sub-block):
//   j < 4: sc[j] = scales[j] & 63,                     m[j] = scales[j + 4] & 63
//   j >= 4: sc[j] = (scales[j+4] & 15) | (scales[j-4] >> 6) << 4,
//           m[j]  = (scales[j+4] >> 4) | (scales[j]   >> 6) << 4
// qs: four 32-byte groups; group g holds sub-block 2g in the low nibbles and sub-block 2g+1 in
// the high nibbles (element 64g + l is qs[32g + l] & 15, element 64g + 32 + l is qs[32g + l] >> 4).
struct BlockQ4_K {
  uint16_t d;     // fp16 scale of the 6-bit sub-block scales
  uint16_t dmin;  // fp16 scale of the 6-bit sub-block mins
  uint8_t scales[12];
  uint8_t qs[kQKK / 2];
};
static_assert(sizeof(BlockQ4_K) == 144, "Q4_K block must be 144 bytes");

// Q6_K: super-block of 256 = 16 groups of 16 with int8 scales: x = d * scales[g] * (q - 32),
// q in [0, 63].  6.5625 bits per weight.
// The block is two halves of 128 (h = 0, 1; ql += 64h, qh += 32h, group base 8h); within a half,
// for l in [0, 32):
//   element      l: q = (ql[l]      & 15) | ((qh[l] >> 0) & 3) << 4    group 2*0 + l/16
//   element 32 + l: q = (ql[l + 32] & 15) | ((qh[l] >> 2) & 3) << 4    group 2*1 + l/16
//   element 64 + l: q = (ql[l]      >> 4) | ((qh[l] >> 4) & 3) << 4    group 2*2 + l/16
//   element 96 + l: q = (ql[l + 32] >> 4) | ((qh[l] >> 6) & 3) << 4    group 2*3 + l/16
struct BlockQ6_K {
  uint8_t ql[kQKK / 2];  // low 4 bits
  uint8_t qh[kQKK / 4];  // high 2 bits
  int8_t scales[kQKK / 16];
  uint16_t d;
};
static_assert(sizeof(BlockQ6_K) == 210, "Q6_K block must be 210 bytes");

// ---- activation formats (what quantize_activation produces) ---------------------------------
// Q4_0 and Q8_0 weights take the activation as BlockQ8_0 (fp16 scale, q in [-127, 127]), so a
// block of weights meets exactly one block of activations and the dot is an int32 sum.
// Q4_K and Q6_K weights take BlockQ8_K: float scale, q in [-127, 127], and the sums of each 16
// quants, which fold the Q4_K mins and the Q6_K "- 32" offset into 16 multiply-adds per block.
struct BlockQ8_K {
  float d;
  int8_t qs[kQKK];
  int16_t bsums[kQKK / 16];  // bsums[g] = sum of qs[16g .. 16g + 15]
};
static_assert(sizeof(BlockQ8_K) == 292, "Q8_K block must be 292 bytes");

// Decodes the 6-bit scale and min of Q4_K sub-block j (see the packing above).
inline void q4k_scale_min(const uint8_t* scales, int j, int* sc, int* m) {
  if (j < 4) {
    *sc = scales[j] & 63;
    *m = scales[j + 4] & 63;
  } else {
    *sc = (scales[j + 4] & 15) | ((scales[j - 4] >> 6) << 4);
    *m = (scales[j + 4] >> 4) | ((scales[j] >> 6) << 4);
  }
}

}  // namespace g4::kernels
