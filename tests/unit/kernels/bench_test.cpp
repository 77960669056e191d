// Micro-benchmarks, skipped by default. Run:
//   test_kernels -ts=bench --no-skip
// GEMV: GB/s of weight bytes streamed for a 4096 x 4096 matrix (decode). GEMM: GFLOP/s of
// matmul with T = 64 tokens (prefill).
#include <doctest/doctest.h>

#include <chrono>
#include <cstdio>

#include "kernel_test_util.h"

using namespace g4;
using namespace g4::kernels;
using namespace g4::kernels::test;

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// A 4096 x 4096 matrix of type t (random bytes would give NaN scales, so quantize one row
// and repeat it: the kernels read every row's bytes all the same).
std::vector<uint8_t> big_matrix(DType t, int64_t rows, int64_t cols) {
  size_t rb = dtype_row_bytes(t, cols);
  std::vector<uint8_t> m(rb * static_cast<size_t>(rows));
  std::vector<float> src = random_floats(cols, 1);
  ref::quantize_row_ref(t, src.data(), m.data(), cols);
  for (int64_t r = 1; r < rows; ++r) std::memcpy(m.data() + rb * r, m.data(), rb);
  return m;
}

}  // namespace

TEST_SUITE("bench" * doctest::skip()) {
  TEST_CASE("bench: matvec GB/s and matmul GFLOP/s, 4096 x 4096") {
    const int64_t n = 4096;
    for (DType t : all_types()) {
      std::vector<uint8_t> m = big_matrix(t, n, n);
      MatView W{m.data(), t, n, n, dtype_row_bytes(t, n)};
      std::vector<float> x = random_floats(n, 2), y(static_cast<size_t>(n));
      for (Isa isa : isas()) {
        const KernelTable& k = *kernel_table(isa);
        for (int threads : {1, 2}) {
          ThreadPool pool(threads);
          std::vector<uint8_t> scratch(matvec_scratch_bytes(t, n));
          matvec(k, W, x.data(), y.data(), pool, scratch.data());
          int iters = 0;
          auto t0 = std::chrono::steady_clock::now();
          while (seconds_since(t0) < 0.3 || iters < 3) {
            matvec(k, W, x.data(), y.data(), pool, scratch.data());
            ++iters;
          }
          double s = seconds_since(t0) / iters;
          std::printf("matvec %-5s %-6s threads %d: %7.3f ms  %6.2f GB/s\n", dtype_name(t), isa_name(isa),
                      threads, s * 1e3, static_cast<double>(m.size()) / s * 1e-9);
        }
      }
      if (t == DType::Q4_0) {
        // The 9.4 MB matrix above may sit in L3; here 16 copies (151 MB) are cycled so every
        // call streams its weights from DRAM, as decode does.
        const int copies = 16;
        std::vector<uint8_t> many(m.size() * copies);
        for (int c = 0; c < copies; ++c) std::memcpy(many.data() + m.size() * c, m.data(), m.size());
        for (Isa isa : isas()) {
          const KernelTable& k = *kernel_table(isa);
          for (int threads : {1, 2}) {
            ThreadPool pool(threads);
            std::vector<uint8_t> scratch(matvec_scratch_bytes(t, n));
            int iters = 0;
            auto t0 = std::chrono::steady_clock::now();
            while (seconds_since(t0) < 0.5 || iters < copies) {
              MatView Wc = W;
              Wc.data = many.data() + m.size() * (iters % copies);
              matvec(k, Wc, x.data(), y.data(), pool, scratch.data());
              ++iters;
            }
            double s = seconds_since(t0) / iters;
            std::printf("matvec %-5s %-6s threads %d (DRAM): %7.3f ms  %6.2f GB/s\n", dtype_name(t),
                        isa_name(isa), threads, s * 1e3, static_cast<double>(m.size()) / s * 1e-9);
          }
        }
      }
      const int64_t T = 64;
      std::vector<float> X = random_floats(T * n, 3), Y(static_cast<size_t>(T * n));
      for (Isa isa : isas()) {
        if (isa == Isa::scalar) continue;
        const KernelTable& k = *kernel_table(isa);
        for (int threads : {1, 2}) {
          ThreadPool pool(threads);
          std::vector<uint8_t> scratch(matmul_scratch_bytes(t, n, T, threads));
          auto t0 = std::chrono::steady_clock::now();
          int iters = 0;
          while (seconds_since(t0) < 0.5 || iters < 2) {
            matmul(k, W, X.data(), T, Y.data(), pool, scratch.data());
            ++iters;
          }
          double s = seconds_since(t0) / iters;
          std::printf("matmul %-5s %-6s threads %d T=%lld: %7.2f ms  %6.1f GFLOP/s\n", dtype_name(t),
                      isa_name(isa), threads, static_cast<long long>(T), s * 1e3,
                      2.0 * T * n * n / s * 1e-9);
        }
      }
    }
  }
}
