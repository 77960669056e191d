#include "runtime/sampler.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace g4 {

Sampler::Sampler(int n_vocab) : n_vocab_(n_vocab) { cand_.reserve(static_cast<size_t>(n_vocab)); }

double Sampler::next_uniform() {
  // splitmix64; the top 53 bits give a double in [0, 1).
  uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  z ^= z >> 31;
  return static_cast<double>(z >> 11) * (1.0 / 9007199254740992.0);
}

int32_t Sampler::sample(float* logits, const SamplingParams& p, const std::vector<int32_t>& history,
                        const std::vector<int32_t>& suppress) {
  const float neg_inf = -std::numeric_limits<float>::infinity();
  for (const auto& b : p.logit_bias)
    if (b.first >= 0 && b.first < n_vocab_) logits[b.first] += b.second;
  for (int32_t id : suppress)
    if (id >= 0 && id < n_vocab_) logits[id] = neg_inf;
  if (p.repeat_penalty != 1.0f && p.repeat_last_n > 0 && !history.empty()) {
    // Each distinct recent token once: positive logits are divided, negative multiplied.
    size_t from = history.size() > static_cast<size_t>(p.repeat_last_n) ? history.size() - p.repeat_last_n : 0;
    cand_.clear();
    for (size_t i = from; i < history.size(); ++i) cand_.push_back({0.0f, history[i]});
    std::sort(cand_.begin(), cand_.end(), [](auto& a, auto& b) { return a.second < b.second; });
    int32_t prev = -1;
    for (const auto& c : cand_) {
      int32_t id = c.second;
      if (id == prev || id < 0 || id >= n_vocab_) continue;
      prev = id;
      logits[id] = logits[id] > 0 ? logits[id] / p.repeat_penalty : logits[id] * p.repeat_penalty;
    }
  }
  if (p.temperature <= 0.0f) {
    // Greedy: the first maximum (lowest id wins ties).
    int32_t best = 0;
    for (int32_t i = 1; i < n_vocab_; ++i)
      if (logits[i] > logits[best]) best = i;
    return best;
  }

  cand_.clear();
  for (int32_t i = 0; i < n_vocab_; ++i)
    if (logits[i] != neg_inf && !std::isnan(logits[i])) cand_.push_back({logits[i], i});
  if (cand_.empty()) return 0;
  auto by_logit = [](const std::pair<float, int32_t>& a, const std::pair<float, int32_t>& b) {
    return a.first > b.first || (a.first == b.first && a.second < b.second);
  };
  size_t k = cand_.size();
  if (p.top_k > 0 && static_cast<size_t>(p.top_k) < k) {
    k = static_cast<size_t>(p.top_k);
    std::partial_sort(cand_.begin(), cand_.begin() + k, cand_.end(), by_logit);
    cand_.resize(k);
  } else {
    std::sort(cand_.begin(), cand_.end(), by_logit);
  }
  // Softmax with temperature, in double for a stable normalisation.
  const double inv_t = 1.0 / p.temperature;
  const double mx = cand_[0].first;
  double sum = 0;
  for (auto& c : cand_) {
    double e = std::exp((c.first - mx) * inv_t);
    c.first = static_cast<float>(e);
    sum += e;
  }
  for (auto& c : cand_) c.first = static_cast<float>(c.first / sum);
  // min-p: drop tokens less likely than min_p times the most likely one.
  if (p.min_p > 0.0f) {
    float floor_p = p.min_p * cand_[0].first;
    size_t keep = 1;
    while (keep < cand_.size() && cand_[keep].first >= floor_p) ++keep;
    cand_.resize(keep);
  }
  // top-p: the smallest prefix whose mass reaches top_p.
  if (p.top_p < 1.0f) {
    double cum = 0;
    size_t keep = 0;
    while (keep < cand_.size()) {
      cum += cand_[keep].first;
      ++keep;
      if (cum >= p.top_p) break;
    }
    cand_.resize(keep);
  }
  double total = 0;
  for (const auto& c : cand_) total += c.first;
  double r = next_uniform() * total;
  for (const auto& c : cand_) {
    r -= c.first;
    if (r < 0) return c.second;
  }
  return cand_.back().second;
}

}  // namespace g4
