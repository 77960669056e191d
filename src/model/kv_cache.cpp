#include "model/kv_cache.h"

#include <algorithm>

namespace g4 {

KvCache::KvCache(const ModelConfig& c, int n_ctx, int n_batch) : n_ctx_(n_ctx), window_(c.sliding_window) {
  for (const auto& lc : c.layers) {
    Layer L;
    L.sliding = lc.sliding;
    L.n_kv_head = lc.n_kv_head;
    L.head_dim = lc.head_dim;
    L.capacity = lc.sliding ? std::min(n_ctx, c.sliding_window + n_batch) : n_ctx;
    size_t n = static_cast<size_t>(L.capacity) * L.n_kv_head * L.head_dim;
    L.k.assign(n, 0.0f);
    L.v.assign(n, 0.0f);
    bytes_ += 2 * n * sizeof(float);
    layers_.push_back(std::move(L));
  }
}

bool KvCache::can_rewind_to(int pos, int n_past) const {
  if (pos > n_past || pos < 0) return false;
  for (const auto& L : layers_) {
    if (!L.sliding || L.capacity >= n_ctx_) continue;
    // Queries from pos on look back to pos - window + 1; those entries must still be in the ring.
    int need = std::max(0, pos - window_ + 1);
    int oldest = n_past > L.capacity ? n_past - L.capacity : 0;
    if (need < oldest) return false;
  }
  return true;
}

}  // namespace g4
