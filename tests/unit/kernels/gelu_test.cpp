// The table's gelu_tanh_mul (SIMD tanh) against a float64 evaluation of the definition.
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "kernels/kernels.h"

using namespace g4::kernels;

TEST_CASE("gelu_tanh_mul of every ISA matches float64 gelu_tanh(x) * u") {
  // x from -12 to 12 (saturation on both sides), odd length for the masked tail.
  const int n = 4001;
  std::vector<float> g(n), u(n), y(n);
  for (int i = 0; i < n; ++i) {
    g[i] = -12.0f + 24.0f * i / (n - 1);
    u[i] = 0.5f + static_cast<float>(i % 7) * 0.25f;
  }
  for (Isa isa : {Isa::scalar, Isa::avx2, Isa::avx512}) {
    const KernelTable* k = kernel_table(isa);
    if (!k) continue;
    CAPTURE(isa_name(isa));
    k->gelu_tanh_mul(g.data(), u.data(), y.data(), n);
    for (int i = 0; i < n; ++i) {
      const double x = g[i];
      const double ref = 0.5 * x * (1.0 + std::tanh(0.7978845608028654 * (x + 0.044715 * x * x * x))) * u[i];
      // The result is x*u times a factor in [0, 1]: a relative error of a few float ulps of
      // |x*u| (8 * 2^-24 ~ 4.8e-7) bounds the polynomial exp plus the divide.
      CHECK(std::fabs(y[i] - ref) <= 4.8e-7 * std::fabs(x * u[i]) + 1e-30);
    }
    // In place (y aliases g).
    std::vector<float> h = g;
    k->gelu_tanh_mul(h.data(), u.data(), h.data(), n);
    for (int i = 0; i < n; ++i) CHECK(h[i] == y[i]);
  }
}
