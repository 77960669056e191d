// AVX-512 attention kernels over cached K/V rows (F32, F16, BF16), all query heads of a KV group
// at once. Decode at long context reads every cached row of a full-attention layer for 16 query
// heads of 512 dims, so the work per row matters. Heads go in passes of at most 8 (a 16-head
// group is two passes); within a pass:
//  - scores: H heads x 16/H keys share 16 accumulators, so each query load serves several
//    keys and each 16-element piece of a K row is converted once for the pass; the 16
//    horizontal sums are one transposing add tree (reduce16) instead of 16 reductions.
//  - values: the outputs of the H heads stay in registers for a few 16-element slices of the
//    head dimension while the n rows of the tile pass, so o is loaded and stored once per tile
//    instead of once per row. Each o element still takes one fma per row in row order: the
//    same bits as axpy per row.
#include "kernels/x86/avx512/intrinsics.h"

#include "kernels/x86/avx512/avx512_internal.h"

namespace g4::kernels::avx512 {
namespace {

constexpr int kMaxHeads = 8;  // heads per register pass; larger groups go in passes

inline __mmask16 mask16(int left) {
  return left >= 16 ? static_cast<__mmask16>(0xffff) : static_cast<__mmask16>((1u << left) - 1);
}

// 16 elements (masked) of a row at element offset i, as floats.
template <int Kind>  // 0 F32, 1 F16, 2 BF16
inline __m512 load_row(const void* row, int i, __mmask16 m) {
  if constexpr (Kind == 0) return _mm512_maskz_loadu_ps(m, static_cast<const float*>(row) + i);
  __m256i h = _mm256_maskz_loadu_epi16(m, static_cast<const uint16_t*>(row) + i);
  if constexpr (Kind == 1) return _mm512_cvtph_ps(h);
  return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
}

// Lane h of the result = sum of the 16 lanes of a[h].
inline __m512 reduce16(const __m512* a) {
  __m512 v8[8], v4[4], v2[2];
  for (int k = 0; k < 8; ++k)  // heads 2k, 2k+1: 8 partial lanes each
    v8[k] = _mm512_add_ps(_mm512_shuffle_f32x4(a[2 * k], a[2 * k + 1], 0x44),
                          _mm512_shuffle_f32x4(a[2 * k], a[2 * k + 1], 0xEE));
  for (int k = 0; k < 4; ++k)  // heads 4k .. 4k+3, one per 128-bit lane, 4 partials each
    v4[k] = _mm512_add_ps(_mm512_shuffle_f32x4(v8[2 * k], v8[2 * k + 1], 0x88),
                          _mm512_shuffle_f32x4(v8[2 * k], v8[2 * k + 1], 0xDD));
  for (int k = 0; k < 2; ++k)  // 128-bit lane L: [h(8k+L) x2, h(8k+4+L) x2]
    v2[k] = _mm512_add_ps(_mm512_shuffle_ps(v4[2 * k], v4[2 * k + 1], _MM_SHUFFLE(2, 0, 2, 0)),
                          _mm512_shuffle_ps(v4[2 * k], v4[2 * k + 1], _MM_SHUFFLE(3, 1, 3, 1)));
  // 128-bit lane L: [h(L), h(4+L), h(8+L), h(12+L)], i.e. lane 4L + k holds head 4k + L.
  __m512 r = _mm512_add_ps(_mm512_shuffle_ps(v2[0], v2[1], _MM_SHUFFLE(2, 0, 2, 0)),
                           _mm512_shuffle_ps(v2[0], v2[1], _MM_SHUFFLE(3, 1, 3, 1)));
  const __m512i idx = _mm512_set_epi32(15, 11, 7, 3, 14, 10, 6, 2, 13, 9, 5, 1, 12, 8, 4, 0);
  return _mm512_permutexvar_ps(idx, r);
}

constexpr int elem_bytes(int kind) { return kind == 0 ? 4 : 2; }

// The rows come from wherever the cache put them (at long context, DRAM), one tile of rows
// at a time, in an order the hardware prefetcher does not follow (values walks 64 rows in
// parallel), so the kernels prefetch them themselves.
inline void prefetch_bytes(const void* p, int bytes) {
  for (int b = 0; b < bytes; b += 64) _mm_prefetch(static_cast<const char*>(p) + b, _MM_HINT_T0);
}

// H heads x KJ keys per pass (H * KJ <= 16 accumulators; each q load serves KJ keys): the
// partial sums of all of them are reduced by one reduce16 (unused inputs zero).
template <int Kind, int H>
void scores(const void* const* rows, int n, const float* q, int hd, float* sc, int ld) {
  constexpr int KJ = 16 / H;
  const int rb = hd * elem_bytes(Kind);
  for (int j = 0; j < n && j < KJ; ++j) prefetch_bytes(rows[j], rb);
  for (int j = 0; j < n; j += KJ) {
    const void* row[KJ];
    for (int kk = 0; kk < KJ; ++kk) {
      row[kk] = rows[j + kk < n ? j + kk : n - 1];  // past n: repeat the last row, not stored
      if (j + KJ + kk < n) prefetch_bytes(rows[j + KJ + kk], rb);
    }
    __m512 acc[16];
    for (int a = 0; a < 16; ++a) acc[a] = _mm512_setzero_ps();
    for (int i = 0; i < hd; i += 16) {
      const __mmask16 m = mask16(hd - i);
      __m512 k[KJ];
      for (int kk = 0; kk < KJ; ++kk) k[kk] = load_row<Kind>(row[kk], i, m);
      for (int h = 0; h < H; ++h) {
        const __m512 qv = _mm512_maskz_loadu_ps(m, q + h * hd + i);
        for (int kk = 0; kk < KJ; ++kk) acc[kk * H + h] = _mm512_fmadd_ps(qv, k[kk], acc[kk * H + h]);
      }
    }
    alignas(64) float s[16];
    _mm512_store_ps(s, reduce16(acc));
    for (int kk = 0; kk < KJ && j + kk < n; ++kk)
      for (int h = 0; h < H; ++h) sc[h * ld + j + kk] = s[kk * H + h];
  }
}

// H heads x SL slices of 16 elements per pass: the H * SL output vectors stay in registers
// while the n rows pass; each broadcast weight serves SL slices, each V load H heads.
template <int Kind, int H>
void values(const void* const* rows, int n, const float* p, int ld, int hd, float* o) {
  constexpr int SL = 16 / H < 8 ? 16 / H : 8;
  constexpr int eb = elem_bytes(Kind);
  for (int i = 0; i < hd; i += 16 * SL) {
    __mmask16 m[SL];
    __m512 acc[H][SL];
    for (int c = 0; c < SL; ++c) m[c] = i + 16 * c < hd ? mask16(hd - i - 16 * c) : static_cast<__mmask16>(0);
    for (int h = 0; h < H; ++h)
      for (int c = 0; c < SL; ++c) acc[h][c] = _mm512_maskz_loadu_ps(m[c], o + h * hd + i + 16 * c);
    // Each row's cache lines of this pass, 4 lines ahead.
    const int b0 = i * eb, b1 = (i + 16 * SL < hd ? i + 16 * SL : hd) * eb;
    for (int j = 0; j < n; ++j) {
      for (int b = (b0 + 63) / 64 * 64; b < b1; b += 64)
        if (b + 256 < hd * eb) _mm_prefetch(static_cast<const char*>(rows[j]) + b + 256, _MM_HINT_T0);
      __m512 v[SL];
      for (int c = 0; c < SL; ++c) v[c] = load_row<Kind>(rows[j], i + 16 * c, m[c]);
      for (int h = 0; h < H; ++h) {
        const __m512 pw = _mm512_set1_ps(p[h * ld + j]);
        for (int c = 0; c < SL; ++c) acc[h][c] = _mm512_fmadd_ps(pw, v[c], acc[h][c]);
      }
    }
    for (int h = 0; h < H; ++h)
      for (int c = 0; c < SL; ++c) _mm512_mask_storeu_ps(o + h * hd + i + 16 * c, m[c], acc[h][c]);
  }
}

// Calls F<Kind, H>::run for the row type and head count (in passes of at most kMaxHeads).
template <template <int, int> class F, class... A>
void dispatch(DType t, int nh, int h0, A... a) {
  const int kind = t == DType::F32 ? 0 : t == DType::F16 ? 1 : 2;
  while (h0 < nh) {
    const int H = nh - h0 < kMaxHeads ? nh - h0 : kMaxHeads;
    switch (kind * 32 + H) {
#define G4_ATTN_CASE(K, N) case K * 32 + N: F<K, N>::run(h0, a...); break;
#define G4_ATTN_KIND(K)                                                                         \
  G4_ATTN_CASE(K, 1) G4_ATTN_CASE(K, 2) G4_ATTN_CASE(K, 3) G4_ATTN_CASE(K, 4) G4_ATTN_CASE(K, 5)  \
  G4_ATTN_CASE(K, 6) G4_ATTN_CASE(K, 7) G4_ATTN_CASE(K, 8)
      G4_ATTN_KIND(0) G4_ATTN_KIND(1) G4_ATTN_KIND(2)
#undef G4_ATTN_KIND
#undef G4_ATTN_CASE
      default: break;
    }
    h0 += H;
  }
}

template <int K, int H> struct ScoresF {
  static void run(int h0, const void* const* rows, int n, const float* q, int hd, float* sc, int ld) {
    scores<K, H>(rows, n, q + h0 * hd, hd, sc + h0 * ld, ld);
  }
};
template <int K, int H> struct ValuesF {
  static void run(int h0, const void* const* rows, int n, const float* p, int ld, int hd, float* o) {
    values<K, H>(rows, n, p + h0 * ld, ld, hd, o + h0 * hd);
  }
};

}  // namespace

void attn_scores(DType t, const void* const* rows, int n, const float* q, int nh, int hd, float* sc, int ld) {
  dispatch<ScoresF>(t, nh, 0, rows, n, q, hd, sc, ld);
}

void attn_values(DType t, const void* const* rows, int n, const float* p, int ld, int nh, int hd, float* o) {
  dispatch<ValuesF>(t, nh, 0, rows, n, p, ld, hd, o);
}

}  // namespace g4::kernels::avx512
