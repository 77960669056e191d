// The decoder's key/value cache. Full-attention layers keep every position of the context;
// sliding-window layers keep a ring of the last `window + n_batch` positions, enough for one
// batch of new tokens plus the window each of them looks back over (spec §2.4).
#pragma once
#include <cstdint>
#include <vector>

#include "model/config.h"

namespace g4 {

class KvCache {
 public:
  KvCache(const ModelConfig& config, int n_ctx, int n_batch);

  int n_ctx() const { return n_ctx_; }
  // Ring capacity of layer l (n_ctx for full layers).
  int capacity(int layer) const { return layers_[layer].capacity; }
  // K or V row of one position and KV head: head_dim floats. Slot = pos % capacity.
  float* k(int layer, int pos, int kv_head) { return row(layers_[layer].k, layer, pos, kv_head); }
  float* v(int layer, int pos, int kv_head) { return row(layers_[layer].v, layer, pos, kv_head); }
  const float* k(int layer, int pos, int kv_head) const {
    return const_cast<KvCache*>(this)->k(layer, pos, kv_head);
  }
  const float* v(int layer, int pos, int kv_head) const {
    return const_cast<KvCache*>(this)->v(layer, pos, kv_head);
  }
  // Oldest position still held by layer l when n_past positions have been written.
  int oldest_kept(int layer, int n_past) const {
    int c = layers_[layer].capacity;
    return n_past > c ? n_past - c : 0;
  }
  // True if positions [0, pos) can be kept and the context continued from pos (every ring
  // still holds what the queries at pos.. would need).
  bool can_rewind_to(int pos, int n_past) const;
  uint64_t bytes() const { return bytes_; }

 private:
  struct Layer {
    int capacity = 0, n_kv_head = 0, head_dim = 0;
    bool sliding = false;
    std::vector<float> k, v;  // [capacity][n_kv_head][head_dim]
  };
  float* row(std::vector<float>& buf, int layer, int pos, int kv_head) {
    const Layer& L = layers_[layer];
    size_t slot = static_cast<size_t>(pos % L.capacity);
    return buf.data() + (slot * L.n_kv_head + kv_head) * L.head_dim;
  }
  std::vector<Layer> layers_;
  int n_ctx_ = 0;
  int window_ = 0;
  uint64_t bytes_ = 0;
};

}  // namespace g4
