// attn_scores / attn_values of every ISA over F32, F16 and BF16 rows: head counts around the
// AVX-512 register pass of 16 heads, head dims with and without a 16-element tail, rows at
// scattered addresses (as a wrapped ring hands them over).
#include <doctest/doctest.h>

#include <algorithm>

#include "kernel_test_util.h"

using namespace g4;
using namespace g4::kernels;
using namespace g4::kernels::test;

namespace {

// n rows of hd elements of type t at shuffled, element-aligned (not 64-byte aligned) places,
// and their exact float values.
struct Rows {
  std::vector<uint8_t> buf;
  std::vector<const void*> ptr;
  std::vector<float> val;  // [n][hd]
  Rows(DType t, int n, int hd, uint32_t seed) {
    const size_t eb = dtype_block_bytes(t), rb = static_cast<size_t>(hd) * eb;
    buf.resize(rb * static_cast<size_t>(n) + 64);
    std::vector<float> src = random_floats(static_cast<int64_t>(n) * hd, seed);
    val.resize(src.size());
    std::vector<int> slot(static_cast<size_t>(n));
    for (int j = 0; j < n; ++j) slot[static_cast<size_t>(j)] = (j * 7 + 3) % n;  // n is never a multiple of 7 here
    for (int j = 0; j < n; ++j) {
      uint8_t* p = buf.data() + eb + static_cast<size_t>(slot[static_cast<size_t>(j)]) * rb;
      ref::quantize_row_ref(t, src.data() + static_cast<size_t>(j) * hd, p, hd);
      ref::dequantize_row(t, p, val.data() + static_cast<size_t>(j) * hd, hd);
      ptr.push_back(p);
    }
  }
};

}  // namespace

TEST_CASE("attn_scores and attn_values of every ISA: vs float64, values equal axpy per row exactly") {
  for (Isa isa : isas()) {
    const KernelTable& k = *kernel_table(isa);
    for (DType t : {DType::F32, DType::F16, DType::BF16}) {
      for (int hd : {7, 40, 256, 512}) {
        for (int nh : {1, 2, 5, 16, 17}) {
          for (int n : {1, 13, 64}) {
            std::string isa_s = isa_name(isa), type_s = dtype_name(t);
            CAPTURE(isa_s); CAPTURE(type_s); CAPTURE(hd); CAPTURE(nh); CAPTURE(n);
            Rows R(t, n, hd, static_cast<uint32_t>(hd * 31 + nh * 7 + n));
            std::vector<float> q = random_floats(static_cast<int64_t>(nh) * hd, static_cast<uint32_t>(n + 5));
            const int ld = n + 3;
            std::vector<float> sc(static_cast<size_t>(nh * ld), -7.0f);
            k.attn_scores(t, R.ptr.data(), n, q.data(), nh, hd, sc.data(), ld);
            int bad = 0;
            for (int h = 0; h < nh; ++h)
              for (int j = 0; j < n; ++j) {
                double exact = 0, mag = 0;
                for (int i = 0; i < hd; ++i) {
                  double p = static_cast<double>(q[static_cast<size_t>(h * hd + i)]) * R.val[static_cast<size_t>(j * hd + i)];
                  exact += p;
                  mag += std::fabs(p);
                }
                // Any summation order of hd float products: |err| <= (hd + 4) u sum |q k|.
                if (!(std::fabs(sc[static_cast<size_t>(h * ld + j)] - exact) <= (hd + 4) * kU * mag + 1e-30)) ++bad;
              }
            CHECK(bad == 0);
            for (int h = 0; h < nh; ++h) CHECK(sc[static_cast<size_t>(h * ld + n)] == -7.0f);  // ld gap untouched
            // Values: p like softmax weights in [0, 1]; o starts nonzero (accumulates).
            std::vector<float> p = random_floats(static_cast<int64_t>(nh) * ld, static_cast<uint32_t>(hd + 1), false);
            for (float& x : p) x = std::fabs(x);
            std::vector<float> o0 = random_floats(static_cast<int64_t>(nh) * hd, static_cast<uint32_t>(nh + 9));
            std::vector<float> o = o0, want = o0;
            k.attn_values(t, R.ptr.data(), n, p.data(), ld, nh, hd, o.data());
            for (int j = 0; j < n; ++j)
              for (int h = 0; h < nh; ++h)
                k.axpy_f32(p[static_cast<size_t>(h * ld + j)], R.val.data() + static_cast<size_t>(j) * hd,
                           want.data() + static_cast<size_t>(h) * hd, hd);
            CHECK(std::memcmp(o.data(), want.data(), o.size() * 4) == 0);
          }
        }
      }
    }
  }
}
