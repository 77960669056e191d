#include "model/kv_cache.h"

#include <algorithm>
#include <cstring>

#include "base/error.h"
#include "base/half.h"

namespace g4 {

KvCache::KvCache(const ModelConfig& c, int n_ctx, int n_batch, DType type)
    : n_ctx_(n_ctx), window_(c.sliding_window), type_(type) {
  if (type != DType::F32 && type != DType::F16 && type != DType::BF16)
    fail(Status::unsupported, std::string("KV cache type ") + dtype_name(type) + " is not supported");
  elem_ = dtype_block_bytes(type);
  for (const auto& lc : c.layers) {
    Layer L;
    L.sliding = lc.sliding;
    L.n_kv_head = lc.n_kv_head;
    L.head_dim = lc.head_dim;
    L.capacity = lc.sliding ? std::min(n_ctx, c.sliding_window + n_batch) : n_ctx;
    size_t n = static_cast<size_t>(L.capacity) * L.n_kv_head * L.head_dim * elem_;
    L.k.assign(n, 0);
    L.v.assign(n, 0);
    bytes_ += 2 * n;
    layers_.push_back(std::move(L));
  }
}

void KvCache::store(std::vector<uint8_t>& buf, int layer, int pos, int kv_head, const float* row) {
  const int hd = layers_[layer].head_dim;
  uint8_t* p = buf.data() + offset(layer, pos, kv_head);
  if (type_ == DType::F32) {
    std::memcpy(p, row, static_cast<size_t>(hd) * 4);
    return;
  }
  uint16_t* h = reinterpret_cast<uint16_t*>(p);
  for (int i = 0; i < hd; ++i) h[i] = type_ == DType::F16 ? f32_to_f16(row[i]) : f32_to_bf16(row[i]);
}

const float* KvCache::load(const std::vector<uint8_t>& buf, int layer, int pos, int kv_head, float* tmp,
                           const kernels::KernelTable& kt) const {
  const uint8_t* p = buf.data() + offset(layer, pos, kv_head);
  if (type_ == DType::F32) return reinterpret_cast<const float*>(p);
  kt.dequantize_row(type_, p, tmp, layers_[layer].head_dim);
  return tmp;
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
