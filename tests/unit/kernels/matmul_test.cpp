// matmul (prefill GEMM) of every ISA and type against a float64 triple loop over the
// dequantized weights; 1 and 2 threads must agree bit for bit; T == 1 agrees with matvec.
#include <doctest/doctest.h>

#include "kernel_test_util.h"

using namespace g4;
using namespace g4::kernels;
using namespace g4::kernels::test;

namespace {

std::vector<int64_t> gemm_cols(DType t) {
  // 1000 and 768: two K chunks of the float GEMM (512 + rest), the sums continued through Y.
  if (is_float_type(t)) return {1, 7, 33, 1000};
  // 65 blocks: three 1024-element chunks of the int8 GEMM, the last one ending in a 1-block step.
  if (dtype_block_elems(t) == kQK) return {32, 96, 2080};
  return {256, 512, 768};
}

// Y[T][rows] by the pool, 1 or 2 threads, with a scratch sized for exactly that many threads.
std::vector<float> run_matmul(const KernelTable& k, Weights& w, const float* X, int64_t T, int threads) {
  ThreadPool pool(threads);
  std::vector<uint8_t> scratch(matmul_scratch_bytes(w.type, w.cols, T, threads));
  std::vector<float> Y(static_cast<size_t>(T * w.rows), -1.0f);
  matmul(k, w.view(), X, T, Y.data(), pool, scratch.data());
  return Y;
}

}  // namespace

TEST_CASE("matmul: every ISA and type within the float64 bound; threads agree exactly") {
  for (Isa isa : isas()) {
    const KernelTable& k = *kernel_table(isa);
    for (DType t : all_types()) {
      for (int64_t cols : gemm_cols(t)) {
        for (int64_t rows : {1, 3, 17, 64}) {
          Weights w(t, rows, cols, static_cast<uint32_t>(rows * 7 + cols));
          for (int64_t T : {1, 2, 5, 17, 64}) {
            std::string isa_s = isa_name(isa), type_s = dtype_name(t);
            CAPTURE(isa_s); CAPTURE(type_s); CAPTURE(rows); CAPTURE(cols); CAPTURE(T);
            std::vector<float> xv = random_floats(T * cols, static_cast<uint32_t>(T + cols));
            Buffer xs(xv.size() * 4, 4);  // misaligned X
            std::memcpy(xs.data(), xv.data(), xv.size() * 4);
            const float* X = xs.f();
            std::vector<float> Y1 = run_matmul(k, w, X, T, 1);
            std::vector<float> Y2 = run_matmul(k, w, X, T, 2);
            CHECK(std::memcmp(Y1.data(), Y2.data(), Y1.size() * 4) == 0);
            if (matmul_quantizes_activation(isa, t)) {
              // The int8 path: every output row must be exactly matvec_rows on that token's
              // quantized activation (the matvec test bounds that against float64).
              std::vector<uint8_t> xq(activation_bytes(t, cols));
              std::vector<float> y(static_cast<size_t>(rows));
              int differ = 0;
              for (int64_t i = 0; i < T; ++i) {
                k.quantize_activation(t, X + i * cols, cols, xq.data());
                k.matvec_rows(w.view(), xq.data(), y.data(), 0, rows);
                differ += std::memcmp(y.data(), Y1.data() + i * rows, y.size() * 4) != 0;
              }
              CHECK(differ == 0);
              continue;
            }
            // Each output is a sequential (possibly fused) sum of cols float products:
            // |err| <= (cols + 4) u sum |w x|.
            int bad = 0;
            for (int64_t i = 0; i < T; ++i)
              for (int64_t r = 0; r < rows; ++r) {
                double exact = 0, mag = 0;
                for (int64_t c = 0; c < cols; ++c) {
                  double p = static_cast<double>(w.deq[static_cast<size_t>(r * cols + c)]) * X[i * cols + c];
                  exact += p;
                  mag += std::fabs(p);
                }
                double err = std::fabs(Y1[static_cast<size_t>(i * rows + r)] - exact);
                if (!(err <= (static_cast<double>(cols) + 4) * kU * mag + 1e-30)) ++bad;
              }
            CHECK(bad == 0);
          }
        }
      }
    }
  }
}

TEST_CASE("matmul with T == 1 equals matvec within the activation quantization error") {
  for (Isa isa : isas()) {
    const KernelTable& k = *kernel_table(isa);
    for (DType t : all_types()) {
      std::string isa_s = isa_name(isa), type_s = dtype_name(t);
      CAPTURE(isa_s); CAPTURE(type_s);
      int64_t cols = is_float_type(t) ? 100 : 2 * dtype_block_elems(t), rows = 19;
      Weights w(t, rows, cols, 11);
      std::vector<float> x = random_floats(cols, 12);
      std::vector<float> ymm = run_matmul(k, w, x.data(), 1, 2);
      ThreadPool pool(2);
      std::vector<uint8_t> scratch(matvec_scratch_bytes(t, cols));
      std::vector<float> ymv(static_cast<size_t>(rows));
      matvec(k, w.view(), x.data(), ymv.data(), pool, scratch.data());
      std::vector<float> xd(static_cast<size_t>(cols));
      ref::dequantize_activation(t, scratch.data(), xd.data(), cols);  // what matvec multiplied
      for (int64_t r = 0; r < rows; ++r) {
        // matvec computes W xd, matmul W x: they differ by W (x - xd) exactly, plus each one's
        // own rounding bound.
        double dq = 0, mag_x = 0, mag_xd = 0;
        for (int64_t c = 0; c < cols; ++c) {
          size_t i = static_cast<size_t>(r * cols + c);
          dq += std::fabs(static_cast<double>(w.deq[i])) * std::fabs(static_cast<double>(x[c]) - xd[c]);
          mag_x += std::fabs(static_cast<double>(w.deq[i]) * x[c]);
          mag_xd += w.mag[i] * std::fabs(static_cast<double>(xd[c]));
        }
        double tol = dq + (static_cast<double>(cols) + 4) * kU * mag_x + matvec_tol(isa, t, cols, mag_xd);
        CHECK(std::fabs(static_cast<double>(ymm[r]) - ymv[r]) <= tol);
      }
    }
  }
}

TEST_CASE("Q4_0/Q8_0 rows longer than one activation segment: matmul still equals matvec") {
  // 20512 columns = 641 blocks: the AVX-512 matvec packs its activation in segments of 16384
  // columns and carries the running sums through y; the GEMM does not segment.
  for (Isa isa : isas()) {
    const KernelTable& k = *kernel_table(isa);
    for (DType t : {DType::Q4_0, DType::Q8_0}) {
      std::string isa_s = isa_name(isa), type_s = dtype_name(t);
      CAPTURE(isa_s); CAPTURE(type_s);
      const int64_t cols = 20512, rows = 5, T = 3;
      Weights w(t, rows, cols, 21);
      std::vector<float> X = random_floats(T * cols, 22);
      std::vector<float> Y = run_matmul(k, w, X.data(), T, 2);
      std::vector<uint8_t> xq(activation_bytes(t, cols));
      std::vector<float> xd(static_cast<size_t>(cols)), y(static_cast<size_t>(rows));
      for (int64_t i = 0; i < T; ++i) {
        k.quantize_activation(t, X.data() + i * cols, cols, xq.data());
        k.matvec_rows(w.view(), xq.data(), y.data(), 0, rows);
        ref::dequantize_activation(t, xq.data(), xd.data(), cols);
        for (int64_t r = 0; r < rows; ++r) {
          double exact = 0, mag = 0;
          for (int64_t c = 0; c < cols; ++c) {
            size_t j = static_cast<size_t>(r * cols + c);
            exact += static_cast<double>(w.deq[j]) * xd[static_cast<size_t>(c)];
            mag += w.mag[j] * std::fabs(static_cast<double>(xd[static_cast<size_t>(c)]));
          }
          CHECK(std::fabs(y[static_cast<size_t>(r)] - exact) <= matvec_tol(isa, t, cols, mag));
          if (matmul_quantizes_activation(isa, t)) CHECK(y[static_cast<size_t>(r)] == Y[static_cast<size_t>(i * rows + r)]);
        }
      }
    }
  }
}

TEST_CASE("Q4_K/Q6_K int8 GEMM at extreme quants and wide rows: matmul equals matvec exactly") {
  // The GEMM applies the sub-block scales with vpmaddwd on int16 halves of each 4-product lane
  // (gemm_qk.cpp); that is exact only while |lane| <= 4 * 63 * 127 fits int16. All-maximum
  // quants, all-maximum (and for Q6_K, most negative) scales and a +-127 activation drive every
  // lane to that limit: an overflow would make the rows differ from matvec's vpmulld sums.
  for (Isa isa : isas()) {
    const KernelTable& k = *kernel_table(isa);
    for (DType t : {DType::Q4_K, DType::Q6_K}) {
      if (!matmul_quantizes_activation(isa, t)) continue;
      for (int64_t cols : {int64_t{768}, int64_t{15360}}) {
        std::string isa_s = isa_name(isa), type_s = dtype_name(t);
        CAPTURE(isa_s); CAPTURE(type_s); CAPTURE(cols);
        const int64_t rows = 6, T = 7;  // a 4-row group + 2, two 3-token tiles + 1
        Weights w(t, rows, cols, 31);
        uint8_t* p = w.buf.data();
        const int64_t nblk = rows * cols / kQKK;
        for (int64_t b = 0; b < nblk; ++b) {
          if (t == DType::Q4_K) {
            BlockQ4_K& q = reinterpret_cast<BlockQ4_K*>(p)[b];
            std::memset(q.scales, b % 2 ? 0xff : 0x3f, sizeof(q.scales));  // sc = 63; m = 63 or 0
            std::memset(q.qs, 0xff, sizeof(q.qs));                         // q = 15
          } else {
            BlockQ6_K& q = reinterpret_cast<BlockQ6_K*>(p)[b];
            std::memset(q.ql, 0xff, sizeof(q.ql));
            std::memset(q.qh, 0xff, sizeof(q.qh));  // q = 63
            for (int g = 0; g < 16; ++g) q.scales[g] = static_cast<int8_t>(g % 2 ? -128 : 127);
          }
        }
        std::vector<float> X(static_cast<size_t>(T * cols));
        // One magnitude per token (so every quant is +-127), signs constant over each 4-element
        // lane group and varying between groups and tokens.
        for (int64_t i = 0; i < T * cols; ++i)
          X[static_cast<size_t>(i)] = ((i / 4 + i / cols) % 3 == 0 ? -1.0f : 1.0f) * static_cast<float>(1 + i / cols);
        std::vector<float> Y1 = run_matmul(k, w, X.data(), T, 1);
        std::vector<float> Y2 = run_matmul(k, w, X.data(), T, 2);
        CHECK(std::memcmp(Y1.data(), Y2.data(), Y1.size() * 4) == 0);
        std::vector<uint8_t> xq(activation_bytes(t, cols));
        std::vector<float> y(static_cast<size_t>(rows)), xd(static_cast<size_t>(cols)), deq(static_cast<size_t>(cols));
        int differ = 0, bad = 0;
        for (int64_t i = 0; i < T; ++i) {
          k.quantize_activation(t, X.data() + i * cols, cols, xq.data());
          k.matvec_rows(w.view(), xq.data(), y.data(), 0, rows);
          differ += std::memcmp(y.data(), Y1.data() + i * rows, y.size() * 4) != 0;
          // And the decode result itself is right: the float64 dot of what it multiplied,
          // within dot_tol (with |d sc q| + |dmin m| per weight, as Weights::mag).
          ref::dequantize_activation(t, xq.data(), xd.data(), cols);
          for (int64_t r = 0; r < rows; ++r) {
            const uint8_t* row = p + static_cast<size_t>(r) * dtype_row_bytes(t, cols);
            ref::dequantize_row(t, row, deq.data(), cols);
            double exact = 0, mag = 0;
            for (int64_t c = 0; c < cols; ++c) {
              exact += static_cast<double>(deq[static_cast<size_t>(c)]) * xd[static_cast<size_t>(c)];
              double wm = t == DType::Q4_K ? w.q4k_mag(row, c) : std::fabs(static_cast<double>(deq[static_cast<size_t>(c)]));
              mag += wm * std::fabs(static_cast<double>(xd[static_cast<size_t>(c)]));
            }
            if (!(std::fabs(y[static_cast<size_t>(r)] - exact) <= dot_tol(t, cols, mag))) ++bad;
          }
        }
        CHECK(differ == 0);
        CHECK(bad == 0);
      }
    }
  }
}
