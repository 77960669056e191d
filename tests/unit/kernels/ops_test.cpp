// rms_norm, gelu_tanh_mul, rope_neox, softmax against double-precision loops, and dot_f32 /
// axpy_f32 of every ISA over counts 0..80 at misaligned addresses.
#include <doctest/doctest.h>

#include <algorithm>

#include "kernel_test_util.h"

using namespace g4;
using namespace g4::kernels;
using namespace g4::kernels::test;

TEST_CASE("rms_norm: with and without weight, in place, vs double") {
  for (int64_t n : {1, 7, 256, 3840}) {
    std::vector<float> x = random_floats(n, 1, false), w = random_floats(n, 2, false), y(static_cast<size_t>(n));
    double ss = 0;
    for (float v : x) ss += static_cast<double>(v) * v;
    double inv = 1.0 / std::sqrt(ss / static_cast<double>(n) + 1e-6);
    rms_norm(x.data(), w.data(), y.data(), n, 1e-6f);
    std::vector<float> z = x;
    rms_norm(z.data(), nullptr, z.data(), n, 1e-6f);  // weightless, aliased
    for (int64_t i = 0; i < n; ++i) {
      // inv is rounded once to float (u), then one or two products (u each): <= 4u relative.
      double want = x[i] * inv * w[i], want0 = x[i] * inv;
      CHECK(std::fabs(y[i] - want) <= 4 * kU * std::fabs(want) + 1e-38);
      CHECK(std::fabs(z[i] - want0) <= 4 * kU * std::fabs(want0) + 1e-38);
    }
  }
}

TEST_CASE("gelu_tanh_mul vs the double formula") {
  const int64_t n = 2001;
  std::vector<float> g(static_cast<size_t>(n)), u = random_floats(n, 3, false), y(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) g[i] = -10.0f + 20.0f * static_cast<float>(i) / (n - 1);
  gelu_tanh_mul(g.data(), u.data(), y.data(), n);
  for (int64_t i = 0; i < n; ++i) {
    double x = g[i], t = std::tanh(std::sqrt(2.0 / M_PI) * (x + 0.044715 * x * x * x));
    double want = 0.5 * x * (1 + t) * u[i];
    // The argument a = k(x + c x^3) is off by <= 4u|a| (all its terms share a sign), which
    // moves tanh by <= 4u |a| (1 - t^2) <= 1.8u (max of a sech^2 a is 0.45); tanhf adds <= 4u
    // absolute, 1 + t and the three products <= 4u relative: |err| <= 0.5|x||u| * 14u.
    // 64u * |x||u| leaves a factor of 9 for libm differences.
    double scale = std::fabs(x) * std::fabs(u[i]);
    CHECK(std::fabs(y[i] - want) <= 64 * kU * scale + 1e-38);
  }
  // In place (y aliases g).
  std::vector<float> g2 = g;
  gelu_tanh_mul(g2.data(), u.data(), g2.data(), n);
  CHECK(std::memcmp(g2.data(), y.data(), y.size() * 4) == 0);
}

TEST_CASE("rope_neox rotates pairs (j, j + hd/2) vs double") {
  const int heads = 3, hd = 8;
  std::vector<float> x = random_floats(heads * hd, 4, false), c(hd / 2), s(hd / 2);
  for (int j = 0; j < hd / 2; ++j) c[j] = std::cos(0.3f * j + 0.1f), s[j] = std::sin(0.3f * j + 0.1f);
  std::vector<float> y = x;
  rope_neox(y.data(), heads, hd, c.data(), s.data());
  for (int h = 0; h < heads; ++h)
    for (int j = 0; j < hd / 2; ++j) {
      double a = x[h * hd + j], b = x[h * hd + j + hd / 2];
      double w0 = a * c[j] - b * s[j], w1 = b * c[j] + a * s[j];
      // Two products and one sum, each rounded: <= 3u (|a| + |b|).
      double tol = 3 * kU * (std::fabs(a) + std::fabs(b));
      CHECK(std::fabs(y[h * hd + j] - w0) <= tol);
      CHECK(std::fabs(y[h * hd + j + hd / 2] - w1) <= tol);
    }
}

TEST_CASE("softmax vs double, including large offsets") {
  for (int64_t n : {1, 5, 1000}) {
    std::vector<float> x = random_floats(n, 5, false);
    for (auto& v : x) v = v * 30.0f + 1000.0f;  // exp(x) would overflow without the max shift
    std::vector<float> y = x;
    softmax(y.data(), n);
    double mx = *std::max_element(x.begin(), x.end()), sum = 0;
    for (float v : x) sum += std::exp(v - mx);
    double total = 0;
    for (int64_t i = 0; i < n; ++i) {
      double want = std::exp(x[i] - mx) / sum;
      // x - max is exact (Sterbenz: all x lie within a factor 2 of max); expf errs by about
      // 1 ulp, the double sum by ~u relative, 1/sum rounded to float and one product by u
      // each: <= 4u relative; 8u for margin.
      CHECK(std::fabs(y[i] - want) <= 8 * kU * want + 1e-38);
      total += y[i];
    }
    CHECK(std::fabs(total - 1.0) <= 1e-5);
  }
}

TEST_CASE("softmax of a fully masked row is all zeros, partly masked entries get 0") {
  std::vector<float> x(4, -INFINITY);
  softmax(x.data(), 4);
  for (float v : x) CHECK(v == 0.0f);
  std::vector<float> y = {1.0f, -INFINITY, 1.0f};
  softmax(y.data(), 3);
  CHECK(y[0] == 0.5f);
  CHECK(y[1] == 0.0f);
  CHECK(y[2] == 0.5f);
}

TEST_CASE("dot_f32 and axpy_f32 of every ISA: counts 0..80, misaligned") {
  for (Isa isa : isas()) {
    const KernelTable& k = *kernel_table(isa);
    std::string isa_s = isa_name(isa);
    CAPTURE(isa_s);
    for (int64_t n = 0; n <= 80; ++n) {
      for (size_t mis : {size_t{0}, size_t{4}, size_t{12}}) {
        CAPTURE(n); CAPTURE(mis);
        std::vector<float> av = random_floats(n, 8 + static_cast<uint32_t>(n), false);
        std::vector<float> bv = random_floats(n, 9 + static_cast<uint32_t>(n), false);
        Buffer a(static_cast<size_t>(n) * 4 + 4, mis), b(static_cast<size_t>(n) * 4 + 4, mis + 4);
        if (n > 0) {  // (memcpy from an empty vector's null data() is UB even for 0 bytes)
          std::memcpy(a.data(), av.data(), av.size() * 4);
          std::memcpy(b.data(), bv.data(), bv.size() * 4);
        }
        double exact = 0, mag = 0;
        for (int64_t i = 0; i < n; ++i) exact += static_cast<double>(av[i]) * bv[i], mag += std::fabs(static_cast<double>(av[i]) * bv[i]);
        // Any order of n rounded products: <= (n + 1) u sum |a b|.
        CHECK(std::fabs(k.dot_f32(a.f(), b.f(), n) - exact) <= (static_cast<double>(n) + 1) * kU * mag);
        // axpy: one product and one sum per element (or one fused): <= 2u (|y| + |a x|).
        b.f()[n] = 42.0f;  // sentinel just past the end
        k.axpy_f32(0.75f, a.f(), b.f(), n);
        CHECK(b.f()[n] == 42.0f);
        for (int64_t i = 0; i < n; ++i) {
          double w = bv[i] + 0.75 * av[i];
          CHECK(std::fabs(b.f()[i] - w) <= 2 * kU * (std::fabs(bv[i]) + 0.75 * std::fabs(av[i])));
        }
      }
    }
  }
}
