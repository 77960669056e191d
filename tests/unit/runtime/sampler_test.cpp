// Sampler semantics against closed-form expectations (src/runtime/sampler.h).
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <map>
#include <vector>

#include "runtime/sampler.h"

using g4::Sampler;
using g4::SamplingParams;

namespace {

std::vector<float> logits_of(std::initializer_list<float> v) { return std::vector<float>(v); }

// Empirical frequencies of `n` draws.
std::map<int, double> frequencies(Sampler& s, const std::vector<float>& logits, const SamplingParams& p, int n) {
  std::map<int, double> f;
  for (int i = 0; i < n; ++i) {
    std::vector<float> l = logits;
    f[s.sample(l.data(), p, {}, {})] += 1.0 / n;
  }
  return f;
}

}  // namespace

TEST_CASE("greedy picks the first maximum; suppression and bias apply first") {
  Sampler s(5);
  SamplingParams p;
  p.temperature = 0;
  auto l = logits_of({1, 3, 3, 2, 0});
  CHECK(s.sample(l.data(), p, {}, {}) == 1);
  l = logits_of({1, 3, 3, 2, 0});
  CHECK(s.sample(l.data(), p, {}, {1}) == 2);  // 1 suppressed
  l = logits_of({1, 3, 3, 2, 0});
  p.logit_bias = {{4, 10.0f}};
  CHECK(s.sample(l.data(), p, {}, {}) == 4);
  l = logits_of({1, 3, 3, 2, 0});
  p.logit_bias = {{1, -std::numeric_limits<float>::infinity()}, {2, -std::numeric_limits<float>::infinity()}};
  CHECK(s.sample(l.data(), p, {}, {}) == 3);
}

TEST_CASE("temperature sampling follows softmax(logits / T)") {
  Sampler s(3);
  s.seed(42);
  SamplingParams p;
  p.top_k = 0;
  p.top_p = 1.0f;
  p.temperature = 2.0f;
  const auto l = logits_of({0.0f, 1.0f, 2.0f});
  auto f = frequencies(s, l, p, 40000);
  double z = std::exp(0.0) + std::exp(0.5) + std::exp(1.0);
  // 40000 draws: standard error of a frequency <= 0.0025; 0.012 is ~5 sigma.
  CHECK(std::fabs(f[0] - 1.0 / z) < 0.012);
  CHECK(std::fabs(f[1] - std::exp(0.5) / z) < 0.012);
  CHECK(std::fabs(f[2] - std::exp(1.0) / z) < 0.012);
}

TEST_CASE("top-k, top-p and min-p truncate the candidate set") {
  Sampler s(4);
  s.seed(7);
  const auto l = logits_of({3.0f, 2.0f, 1.0f, 0.0f});
  SamplingParams p;
  p.temperature = 1.0f;
  p.top_p = 1.0f;
  p.top_k = 2;
  auto f = frequencies(s, l, p, 5000);
  CHECK(f.count(2) == 0);
  CHECK(f.count(3) == 0);
  CHECK(f[0] > f[1]);
  // top-p 0.5: p(0) = 0.644 alone reaches it.
  p.top_k = 0;
  p.top_p = 0.5f;
  f = frequencies(s, l, p, 2000);
  CHECK(f.size() == 1);
  CHECK(f[0] == doctest::Approx(1.0));
  // min-p 0.3: keeps tokens with p >= 0.3 * p(0): exp(-1) = 0.37 passes, exp(-2) = 0.135 does not.
  p.top_p = 1.0f;
  p.min_p = 0.3f;
  f = frequencies(s, l, p, 5000);
  CHECK(f.size() == 2);
}

TEST_CASE("repetition penalty divides positive and multiplies negative logits of recent tokens") {
  Sampler s(3);
  SamplingParams p;
  p.temperature = 0;
  p.repeat_penalty = 4.0f;
  p.repeat_last_n = 2;
  auto l = logits_of({2.0f, 1.5f, -1.0f});
  std::vector<int32_t> history = {0, 0};
  CHECK(s.sample(l.data(), p, history, {}) == 1);  // 2/4 = 0.5 < 1.5
  CHECK(l[0] == doctest::Approx(0.5f));
  history = {2, 1, 1};                              // only the last 2 count: token 1 once
  l = logits_of({2.0f, 1.5f, -1.0f});
  s.sample(l.data(), p, history, {});
  CHECK(l[1] == doctest::Approx(0.375f));
  CHECK(l[2] == doctest::Approx(-1.0f));  // outside the window
}

TEST_CASE("the same seed gives the same draws") {
  Sampler a(50), b(50);
  a.seed(123);
  b.seed(123);
  SamplingParams p;
  p.top_k = 0;
  p.top_p = 1.0f;
  std::vector<float> base(50);
  for (int i = 0; i < 50; ++i) base[i] = static_cast<float>(i % 7) * 0.3f;
  for (int i = 0; i < 200; ++i) {
    auto x = base, y = base;
    CHECK(a.sample(x.data(), p, {}, {}) == b.sample(y.data(), p, {}, {}));
  }
  for (int i = 0; i < 1000; ++i) {
    double u = a.next_uniform();
    CHECK(u >= 0.0);
    CHECK(u < 1.0);
  }
}
