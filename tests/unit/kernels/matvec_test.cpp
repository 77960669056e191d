// matvec_rows / matvec of every ISA and weight type against a float64 dot of the dequantized
// weights with the dequantized activation (the values the kernel's integer dot really sees).
#include <doctest/doctest.h>

#include <string>

#include "kernel_test_util.h"

using namespace g4;
using namespace g4::kernels;
using namespace g4::kernels::test;

namespace {

std::vector<int64_t> cols_for(DType t) {
  if (is_float_type(t)) return {1, 7, 33, 64, 100, 257, 1000};
  // 1, 2, 3, 7, 16, 65 blocks (65: three 1024-element chunks of the AVX-512 step kernels)
  if (dtype_block_elems(t) == kQK) return {32, 64, 96, 224, 512, 2080};
  return {256, 512, 768, 1792, 2304};  // 1, 2, 3, 7, 9 super-blocks
}

}  // namespace

TEST_CASE("quantize_activation of every ISA reproduces the reference bytes") {
  for (Isa isa : isas()) {
    const KernelTable& k = *kernel_table(isa);
    for (DType t : all_types()) {
      for (int64_t n : cols_for(t)) {
        std::string isa_s = isa_name(isa); CAPTURE(isa_s); std::string type_s = dtype_name(t); CAPTURE(type_s); CAPTURE(n);
        std::vector<float> x = random_floats(n, 7 + static_cast<uint32_t>(n));
        Buffer xs(static_cast<size_t>(n) * 4, 4);  // misaligned input
        std::memcpy(xs.data(), x.data(), static_cast<size_t>(n) * 4);
        size_t nb = activation_bytes(t, n);
        std::vector<uint8_t> a(nb), b(nb);
        ref::quantize_activation(t, xs.f(), n, a.data());
        k.quantize_activation(t, xs.f(), n, b.data());
        CHECK(std::memcmp(a.data(), b.data(), nb) == 0);
      }
    }
  }
}

TEST_CASE("matvec_rows of every ISA and type is within the float64 bound") {
  for (Isa isa : isas()) {
    const KernelTable& k = *kernel_table(isa);
    for (DType t : all_types()) {
      for (int64_t cols : cols_for(t)) {
        for (int64_t rows : {1, 3, 5, 6, 7, 17, 64}) {  // every remainder of the 4-row groups
          std::string isa_s = isa_name(isa); CAPTURE(isa_s); std::string type_s = dtype_name(t); CAPTURE(type_s); CAPTURE(rows); CAPTURE(cols);
          Weights w(t, rows, cols, static_cast<uint32_t>(rows * 1000 + cols));
          std::vector<float> x = random_floats(cols, static_cast<uint32_t>(cols) + 3);
          Buffer xs(static_cast<size_t>(cols) * 4, 4);
          std::memcpy(xs.data(), x.data(), static_cast<size_t>(cols) * 4);
          std::vector<uint8_t> xq(activation_bytes(t, cols));
          k.quantize_activation(t, xs.f(), cols, xq.data());
          std::vector<float> xd(static_cast<size_t>(cols));
          ref::dequantize_activation(t, xq.data(), xd.data(), cols);

          const float sentinel = -12345.0f;
          std::vector<float> y(static_cast<size_t>(rows) + 2, sentinel);
          MatView W = w.view();
          // Two calls over a split range, as the thread pool makes them.
          int64_t mid = rows / 2;
          k.matvec_rows(W, xq.data(), y.data() + 1, 0, mid);
          k.matvec_rows(W, xq.data(), y.data() + 1, mid, rows);
          // Row by row (r, r + 1) gives the same bits: a row's result never depends on the
          // group of rows it was computed with.
          std::vector<float> y1(static_cast<size_t>(rows));
          for (int64_t r = 0; r < rows; ++r) k.matvec_rows(W, xq.data(), y1.data(), r, r + 1);
          CHECK(std::memcmp(y1.data(), y.data() + 1, y1.size() * 4) == 0);
          CHECK(y.front() == sentinel);
          CHECK(y.back() == sentinel);
          int bad = 0;
          for (int64_t r = 0; r < rows; ++r) {
            double exact = 0, mag = 0;
            for (int64_t c = 0; c < cols; ++c) {
              size_t i = static_cast<size_t>(r * cols + c);
              exact += static_cast<double>(w.deq[i]) * xd[static_cast<size_t>(c)];
              mag += w.mag[i] * std::fabs(static_cast<double>(xd[static_cast<size_t>(c)]));
            }
            double err = std::fabs(y[static_cast<size_t>(r) + 1] - exact);
            if (!(err <= matvec_tol(isa, t, cols, mag))) {
              if (++bad <= 3) {
                MESSAGE("row " << r << ": got " << y[static_cast<size_t>(r) + 1] << " exact " << exact
                               << " err " << err << " tol " << matvec_tol(isa, t, cols, mag));
              }
            }
          }
          CHECK(bad == 0);
        }
      }
    }
  }
}

TEST_CASE("matvec over the pool equals matvec_rows, for 1 and 2 threads") {
  for (Isa isa : isas()) {
    const KernelTable& k = *kernel_table(isa);
    for (DType t : all_types()) {
      int64_t cols = is_float_type(t) ? 33 : 2 * dtype_block_elems(t), rows = 67;
      std::string isa_s = isa_name(isa); CAPTURE(isa_s); std::string type_s = dtype_name(t); CAPTURE(type_s);
      Weights w(t, rows, cols, 99);
      std::vector<float> x = random_floats(cols, 5);
      std::vector<uint8_t> xq(activation_bytes(t, cols));
      k.quantize_activation(t, x.data(), cols, xq.data());
      std::vector<float> want(static_cast<size_t>(rows));
      k.matvec_rows(w.view(), xq.data(), want.data(), 0, rows);
      for (int threads : {1, 2}) {
        ThreadPool pool(threads);
        std::vector<uint8_t> scratch(matvec_scratch_bytes(t, cols));
        std::vector<float> y(static_cast<size_t>(rows), 0.0f);
        matvec(k, w.view(), x.data(), y.data(), pool, scratch.data());
        CHECK(std::memcmp(y.data(), want.data(), y.size() * 4) == 0);
      }
    }
  }
}

TEST_CASE("matvec rejects a matrix whose cols are not whole blocks") {
  const KernelTable& k = *kernel_table(Isa::scalar);
  std::vector<uint8_t> data(1024);
  MatView W{data.data(), DType::Q4_0, 2, 48, 27};
  std::vector<float> x(48), y(2);
  std::vector<uint8_t> scratch(1024);
  ThreadPool pool(1);
  CHECK_THROWS_AS(matvec(k, W, x.data(), y.data(), pool, scratch.data()), Error);
}
