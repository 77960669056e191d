// Token sampling: logit bias, suppression, repetition penalty, then greedy or temperature with
// top-k / top-p / min-p. Deterministic for a seed: its own RNG (splitmix64), single-threaded,
// so results do not depend on the thread count or the C++ standard library.
#pragma once
#include <cstdint>
#include <utility>
#include <vector>

namespace g4 {

struct SamplingParams {
  float temperature = 1.0f;  // 0 = greedy
  int top_k = 64;            // 0 = off
  float top_p = 0.95f;       // 1 = off
  float min_p = 0.0f;        // 0 = off
  float repeat_penalty = 1.0f;
  int repeat_last_n = 64;
  std::vector<std::pair<int32_t, float>> logit_bias;
};

class Sampler {
 public:
  explicit Sampler(int n_vocab);
  void seed(uint64_t s) { state_ = s; }
  // Picks a token from logits[n_vocab] (modified in place). history = tokens so far (for the
  // repetition penalty); suppress = ids that are never picked.
  int32_t sample(float* logits, const SamplingParams& p, const std::vector<int32_t>& history,
                 const std::vector<int32_t>& suppress);
  double next_uniform();  // [0, 1)

 private:
  int n_vocab_;
  uint64_t state_ = 0x5eed;
  std::vector<std::pair<float, int32_t>> cand_;  // preallocated to n_vocab
};

}  // namespace g4
