// The decoder's key/value cache. Full-attention layers keep every position of the context;
// sliding-window layers keep a ring of the last `window + n_batch` positions, enough for one
// batch of new tokens plus the window each of them looks back over (spec §2.4).
// Entries are stored as F32, F16 (default of the API) or BF16.
#pragma once
#include <cstdint>
#include <vector>

#include "base/dtype.h"
#include "kernels/kernels.h"
#include "model/config.h"

namespace g4 {

class KvCache {
 public:
  // type: DType::F32, F16 or BF16.
  KvCache(const ModelConfig& config, int n_ctx, int n_batch, DType type);

  int n_ctx() const { return n_ctx_; }
  DType type() const { return type_; }
  // Ring capacity of layer l (n_ctx for full layers).
  int capacity(int layer) const { return layers_[layer].capacity; }
  // Stores one head_dim row of K or V for (layer, pos, kv_head). Slot = pos % capacity.
  void store_k(int layer, int pos, int kv_head, const float* row) { store(layers_[layer].k, layer, pos, kv_head, row); }
  void store_v(int layer, int pos, int kv_head, const float* row) { store(layers_[layer].v, layer, pos, kv_head, row); }
  // The row as floats: a pointer into the cache for F32, else converted into tmp (head_dim floats).
  const float* k(int layer, int pos, int kv_head, float* tmp, const kernels::KernelTable& kt) const {
    return load(layers_[layer].k, layer, pos, kv_head, tmp, kt);
  }
  const float* v(int layer, int pos, int kv_head, float* tmp, const kernels::KernelTable& kt) const {
    return load(layers_[layer].v, layer, pos, kv_head, tmp, kt);
  }
  // The stored row (elements of type()) of (layer, pos, kv_head), for kernels that read the
  // cache in place (KernelTable::attn_scores / attn_values).
  const void* k_row(int layer, int pos, int kv_head) const { return layers_[layer].k.data() + offset(layer, pos, kv_head); }
  const void* v_row(int layer, int pos, int kv_head) const { return layers_[layer].v.data() + offset(layer, pos, kv_head); }
  // True if positions [0, pos) can be kept and the context continued from pos (every ring
  // still holds what the queries at pos.. would need).
  bool can_rewind_to(int pos, int n_past) const;
  uint64_t bytes() const { return bytes_; }

 private:
  struct Layer {
    int capacity = 0, n_kv_head = 0, head_dim = 0;
    bool sliding = false;
    // [n_kv_head][capacity][head_dim] elements of type_: the keys of one head are contiguous,
    // so attention streams them (a position-major layout puts each row on its own page).
    std::vector<uint8_t> k, v;
  };
  size_t offset(int layer, int pos, int kv_head) const {
    const Layer& L = layers_[layer];
    size_t slot = static_cast<size_t>(pos % L.capacity);
    return ((static_cast<size_t>(kv_head) * L.capacity + slot) * L.head_dim) * elem_;
  }
  void store(std::vector<uint8_t>& buf, int layer, int pos, int kv_head, const float* row);
  const float* load(const std::vector<uint8_t>& buf, int layer, int pos, int kv_head, float* tmp,
                    const kernels::KernelTable& kt) const;

  std::vector<Layer> layers_;
  int n_ctx_ = 0;
  int window_ = 0;
  DType type_ = DType::F32;
  size_t elem_ = 4;
  uint64_t bytes_ = 0;
};

}  // namespace g4
