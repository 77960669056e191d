// Decode and prefill benchmarks at the model's real sizes, skipped by default. Run:
//   test_kernels -ts=bench-dram --no-skip            (GEMMA4_BENCH_TYPES=q4_0,bf16 to narrow)
// matvec: several distinct 15360 x 3840 matrices (the FFN shape) totalling >= 1 GiB are cycled,
// so every call streams its weights from DRAM (L3 is 32 MB), plus the 262144 x 3840 token
// embedding (the output projection). GB/s counts weight bytes; the best of several passes is
// reported because the machine is shared. A plain AVX-512 read loop over the same buffer gives
// the bandwidth ceiling to compare against.
// matmul: GFLOP/s (2 T rows cols / s) for T = 64 and 512 on 3840 x 15360 (rows x cols).
#include <doctest/doctest.h>

// GCC 12's avx512fintrin.h trips its own -Wuninitialized (GCC bug 105593), see avx512.cpp.
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ == 12
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif
#include <immintrin.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <ctime>

#include "kernel_test_util.h"

using namespace g4;
using namespace g4::kernels;
using namespace g4::kernels::test;

namespace {

double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// CPU time of the calling thread: with threads = 1 the pool runs everything inline, so this is
// the kernel's own time even while other processes share the core.
double cpu_s() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

bool wanted(DType t) {
  const char* env = std::getenv("GEMMA4_BENCH_TYPES");
  if (!env) return true;
  std::string list = std::string(",") + env + ",", name = std::string(",") + dtype_name(t) + ",";
  std::transform(list.begin(), list.end(), list.begin(), ::tolower);
  std::transform(name.begin(), name.end(), name.begin(), ::tolower);
  return list.find(name) != std::string::npos;
}

// `count` matrices of rows x cols in one buffer, filled with distinct pseudo-random bytes (a
// repeated row would let the hypervisor merge identical pages, and the "DRAM" data would then
// sit in cache), with every scale field overwritten by a finite value and float weights kept
// below 2 in magnitude, so no NaN/Inf slows the float units.
struct Mats {
  size_t bytes_each;
  int count;
  std::vector<uint8_t> buf;
  Mats(DType t, int64_t rows, int64_t cols, int n) : bytes_each(dtype_row_bytes(t, cols) * rows), count(n) {
    buf.resize(bytes_each * static_cast<size_t>(n));
    uint64_t s = 0x9E3779B97F4A7C15ull;
    for (size_t i = 0; i + 8 <= buf.size(); i += 8) {
      s ^= s << 13, s ^= s >> 7, s ^= s << 17;
      std::memcpy(buf.data() + i, &s, 8);
    }
    const uint16_t one_16th = 0x2C00;  // fp16 0.0625
    auto put16 = [&](size_t off, uint16_t v) { std::memcpy(buf.data() + off, &v, 2); };
    size_t bb = dtype_block_bytes(t);
    if (t == DType::BF16 || t == DType::F16) {
      uint16_t keep = t == DType::BF16 ? 0xBFFF : 0xBBFF;  // exponent below the "2" pattern
      for (size_t i = 0; i + 2 <= buf.size(); i += 2) {
        uint16_t v;
        std::memcpy(&v, buf.data() + i, 2);
        put16(i, static_cast<uint16_t>(v & keep));
      }
      return;
    }
    for (size_t b = 0; b + bb <= buf.size(); b += bb) {
      if (t == DType::Q8_0 || t == DType::Q4_0) put16(b, one_16th);
      if (t == DType::Q4_K) put16(b, one_16th), put16(b + 2, one_16th);
      if (t == DType::Q6_K) put16(b + 208, one_16th);
    }
  }
};

__attribute__((target("avx512f"))) uint64_t read_sum(const uint8_t* p, size_t n) {
  __m512i a0 = _mm512_setzero_si512(), a1 = a0, a2 = a0, a3 = a0;
  for (size_t i = 0; i + 256 <= n; i += 256) {
    a0 = _mm512_add_epi64(a0, _mm512_loadu_si512(p + i));
    a1 = _mm512_add_epi64(a1, _mm512_loadu_si512(p + i + 64));
    a2 = _mm512_add_epi64(a2, _mm512_loadu_si512(p + i + 128));
    a3 = _mm512_add_epi64(a3, _mm512_loadu_si512(p + i + 192));
  }
  return static_cast<uint64_t>(_mm512_reduce_add_epi64(_mm512_add_epi64(_mm512_add_epi64(a0, a1), _mm512_add_epi64(a2, a3))));
}

// Best GB/s of a plain read of the whole buffer, split into one contiguous half per thread.
double read_gbs(const std::vector<uint8_t>& buf, ThreadPool& pool) {
  double best = 0;
  volatile uint64_t sink = 0;
  for (int pass = 0; pass < 3; ++pass) {
    double t0 = now_s();
    int n = pool.size();
    size_t part = buf.size() / static_cast<size_t>(n) / 256 * 256;
    uint64_t sums[8] = {};
    pool.parallel_for(n, [&](int64_t i, int) { sums[i] = read_sum(buf.data() + part * i, part); });
    for (int i = 0; i < n; ++i) sink = sink + sums[i];
    best = std::max(best, static_cast<double>(part) * n / (now_s() - t0) * 1e-9);
  }
  return best;
}

// Best GB/s over `passes` sweeps through all matrices.
double matvec_gbs(const KernelTable& k, DType t, Mats& m, int64_t rows, int64_t cols, ThreadPool& pool, int passes,
                  double* cpu_gbs) {
  std::vector<float> x = random_floats(cols, 2), y(static_cast<size_t>(rows));
  std::vector<uint8_t> scratch(matvec_scratch_bytes(t, cols));
  double best = 0;
  for (int p = 0; p < passes; ++p) {
    for (int i = 0; i < m.count; ++i) {
      MatView W{m.buf.data() + m.bytes_each * i, t, rows, cols, dtype_row_bytes(t, cols)};
      double t0 = now_s(), c0 = cpu_s();
      matvec(k, W, x.data(), y.data(), pool, scratch.data());
      best = std::max(best, static_cast<double>(m.bytes_each) / (now_s() - t0) * 1e-9);
      *cpu_gbs = std::max(*cpu_gbs, static_cast<double>(m.bytes_each) / (cpu_s() - c0) * 1e-9);
    }
  }
  return best;
}

const DType kTypes[] = {DType::Q4_0, DType::Q8_0, DType::Q4_K, DType::Q6_K, DType::BF16, DType::F16};

}  // namespace

TEST_SUITE("bench-dram" * doctest::skip()) {
  TEST_CASE("bench-dram: matvec GB/s from DRAM, 15360x3840 and 262144x3840") {
    const KernelTable& k = *kernel_table(detect_isa());
    for (DType t : kTypes) {
      if (!wanted(t)) continue;
      const int64_t rows = 15360, cols = 3840;
      size_t each = dtype_row_bytes(t, cols) * rows;
      int count = static_cast<int>((size_t{1} << 30) / each + 1);
      Mats m(t, rows, cols, count);
      for (int threads : {1, 2}) {
        ThreadPool pool(threads);
        double cpu = 0;
        double mv = matvec_gbs(k, t, m, rows, cols, pool, 3, &cpu);
        double rd = read_gbs(m.buf, pool);
        std::printf("matvec %-5s %s %5lldx%lld x%d (%.2f GiB) threads %d: %6.2f GB/s  (read loop %6.2f GB/s)",
                    dtype_name(t), isa_name(k.isa), static_cast<long long>(rows), static_cast<long long>(cols), count,
                    static_cast<double>(m.buf.size()) / (1 << 30), threads, mv, rd);
        if (threads == 1) std::printf("  per CPU-second %6.2f GB/s", cpu);
        std::printf("\n");
        std::fflush(stdout);
      }
    }
    for (DType t : {DType::Q4_0, DType::Q8_0, DType::Q6_K, DType::BF16}) {
      if (!wanted(t)) continue;
      const int64_t rows = 262144, cols = 3840;
      Mats m(t, rows, cols, 1);
      for (int threads : {1, 2}) {
        ThreadPool pool(threads);
        double cpu = 0;
        double mv = matvec_gbs(k, t, m, rows, cols, pool, 8, &cpu);
        double rd = read_gbs(m.buf, pool);
        std::printf("matvec %-5s %s embedding %lldx%lld (%.2f GiB) threads %d: %6.2f GB/s  (read loop %6.2f GB/s)\n",
                    dtype_name(t), isa_name(k.isa), static_cast<long long>(rows), static_cast<long long>(cols),
                    static_cast<double>(m.buf.size()) / (1 << 30), threads, mv, rd);
        std::fflush(stdout);
      }
    }
  }

  TEST_CASE("bench-dram: matmul GFLOP/s, 3840x15360, T = 64 and 512") {
    const KernelTable& k = *kernel_table(detect_isa());
    for (DType t : kTypes) {
      if (!wanted(t)) continue;
      const int64_t rows = 3840, cols = 15360;
      Mats m(t, rows, cols, 1);
      MatView W{m.buf.data(), t, rows, cols, dtype_row_bytes(t, cols)};
      for (int64_t T : {64, 512}) {
        std::vector<float> X = random_floats(T * cols, 3), Y(static_cast<size_t>(T * rows));
        for (int threads : {1, 2}) {
          ThreadPool pool(threads);
          std::vector<uint8_t> scratch(matmul_scratch_bytes(t, cols, T, threads));
          double best = 1e30, best_cpu = 1e30;
          for (int it = 0; it < 3; ++it) {
            double t0 = now_s(), c0 = cpu_s();
            matmul(k, W, X.data(), T, Y.data(), pool, scratch.data());
            best = std::min(best, now_s() - t0);
            best_cpu = std::min(best_cpu, cpu_s() - c0);
          }
          double flop = 2.0 * static_cast<double>(T * rows * cols);
          std::printf("matmul %-5s %s T=%3lld threads %d: %8.2f ms  %7.1f GFLOP/s", dtype_name(t), isa_name(k.isa),
                      static_cast<long long>(T), threads, best * 1e3, flop / best * 1e-9);
          if (threads == 1) std::printf("  (per CPU-second %7.1f)", flop / best_cpu * 1e-9);
          std::printf("\n");
          std::fflush(stdout);
        }
      }
    }
  }

  // One decode step's attention on a full layer (16 query heads, head_dim 512, one KV head) at
  // depth n: the scores and the weighted V sum over n cached F16 rows in tiles of 64 keys, as
  // the decoder runs them, one thread. "per-row" is the former decoder loop (each row converted
  // to float, then one dot / axpy per head); "fused" the table's attn_scores / attn_values.
  // The cache (2 KB per key) is 8..64 MB: it streams from L3 / DRAM as in real decode.
  TEST_CASE("bench-dram: attention, 16 heads x 512, F16 cache, depth 4096..32768") {
    const KernelTable& k = *kernel_table(detect_isa());
    const int nh = 16, hd = 512, tile = 64;
    const DType t = DType::F16;
    for (int n : {4096, 16384, 32768}) {
      Mats kv(t, 2 * static_cast<int64_t>(n), hd, 1);  // K rows then V rows
      const size_t rb = static_cast<size_t>(hd) * 2;
      std::vector<float> q = random_floats(nh * hd, 5, false), o(static_cast<size_t>(nh * hd));
      std::vector<float> sc(static_cast<size_t>(nh * tile)), tmp(static_cast<size_t>(hd));
      std::vector<const void*> rows(static_cast<size_t>(tile));
      double best[2] = {1e30, 1e30};
      for (int it = 0; it < 4; ++it)
        for (int fused = 0; fused < 2; ++fused) {
          std::fill(o.begin(), o.end(), 0.0f);
          double c0 = cpu_s();
          for (int base = 0; base < n; base += tile) {
            const uint8_t* K = kv.buf.data() + static_cast<size_t>(base) * rb;
            const uint8_t* V = K + static_cast<size_t>(n) * rb;
            if (fused) {
              for (int j = 0; j < tile; ++j) rows[static_cast<size_t>(j)] = K + j * rb;
              k.attn_scores(t, rows.data(), tile, q.data(), nh, hd, sc.data(), tile);
              for (float& x : sc) x *= 1e-3f;  // stand-in for the softmax weights
              for (int j = 0; j < tile; ++j) rows[static_cast<size_t>(j)] = V + j * rb;
              k.attn_values(t, rows.data(), tile, sc.data(), tile, nh, hd, o.data());
            } else {
              for (int j = 0; j < tile; ++j) {
                k.dequantize_row(t, K + j * rb, tmp.data(), hd);
                for (int h = 0; h < nh; ++h) sc[static_cast<size_t>(h * tile + j)] = k.dot_f32(q.data() + h * hd, tmp.data(), hd);
              }
              for (float& x : sc) x *= 1e-3f;
              for (int j = 0; j < tile; ++j) {
                k.dequantize_row(t, V + j * rb, tmp.data(), hd);
                for (int h = 0; h < nh; ++h) k.axpy_f32(sc[static_cast<size_t>(h * tile + j)], tmp.data(), o.data() + h * hd, hd);
              }
            }
          }
          best[fused] = std::min(best[fused], cpu_s() - c0);
        }
      double flop = 4.0 * nh * hd * n;
      std::printf("attention %s depth %5d: per-row %7.2f ms (%5.1f GFLOP/s)  fused %7.2f ms (%5.1f GFLOP/s)\n",
                  isa_name(k.isa), n, best[0] * 1e3, flop / best[0] * 1e-9, best[1] * 1e3, flop / best[1] * 1e-9);
      std::fflush(stdout);
    }
  }
}
