// The Gemma 4 text decoder's forward pass (spec §2), readable top to bottom in decoder.cpp.
#pragma once
#include <atomic>
#include <cstdint>
#include <vector>

#include "base/thread_pool.h"
#include "kernels/kernels.h"
#include "model/config.h"
#include "model/kv_cache.h"
#include "model/weights.h"

namespace g4 {

// Every buffer one forward pass needs, sized once for n_batch tokens: the per-token loop
// allocates nothing.
constexpr int kAttnTile = 64;       // keys scored per step of the online softmax
constexpr int kMaxPartials = 64;    // key-split tasks of one attention call, at most
constexpr int kAttnChunk = 256;     // keys per task when a decode step splits the keys

struct Activations {
  Activations(const ModelConfig& c, const Weights& w, int n_batch, int n_ctx, int n_threads);
  int n_batch;
  std::vector<float> x;      // [n_batch][d]   residual stream
  std::vector<float> xb;     // [n_batch][d]   normed input of a sub-block
  std::vector<float> q;      // [n_batch][n_head * head_dim]
  std::vector<float> k, v;   // [n_batch][n_kv_head * head_dim]
  std::vector<float> attn;   // [n_batch][n_head * head_dim]  attention output
  std::vector<float> proj;   // [n_batch][d]   o_proj / down_proj output
  std::vector<float> gate;   // [n_batch][n_ff]
  std::vector<float> up;     // [n_batch][n_ff]
  std::vector<float> rope_cos, rope_sin;  // [n_batch][head_dim_max / 2]
  // Attention scratch (see Decoder::attention): per thread, the running outputs and one tile
  // of scores for a group of query heads; and partial results when keys are split over threads.
  std::vector<float> attn_thread;   // [n_threads][group_max * kAttnTile + head_dim_max]
  std::vector<float> attn_partial;  // [kMaxPartials][group_max * (head_dim_max + 2)]
  std::vector<uint8_t> scratch;  // kernel scratch (quantized activations, dequantized panels)
};

class Decoder {
 public:
  Decoder(const ModelConfig& config, const Weights& weights, const kernels::KernelTable& kernels)
      : c_(config), w_(weights), k_(kernels) {}

  // Writes the inputs of tokens[0..T) into act.x (spec §2.1 step 1): a token id >= 0 gives its
  // embedding row scaled by sqrt(d); a negative id -(k+1) stands for soft token k of a media
  // item, copied unscaled from soft_rows[k] (n_embd floats per row).
  void embed_tokens(const int32_t* tokens, int T, Activations& act, const float* soft_rows = nullptr,
                    int64_t n_soft_rows = 0) const;

  // Runs the layers over the T rows already in act.x, at positions pos0 .. pos0+T-1, writing
  // their keys/values into the cache. If logits is not null, it receives the soft-capped
  // logits of the last row. Checks *cancel between layers and throws Error(cancelled).
  // bidir_end (may be null): per row, 0 or the absolute end of the image block the row belongs
  // to; sliding layers then let it attend to the whole block (spec §3.6). A block must lie
  // entirely within one call.
  void forward(int T, int pos0, KvCache& cache, Activations& act, ThreadPool& pool, float* logits,
               const std::atomic<bool>* cancel, const int32_t* bidir_end = nullptr) const;

 private:
  void layer(int l, int T, int pos0, KvCache& cache, Activations& act, ThreadPool& pool,
             const int32_t* bidir_end) const;
  void attention(int l, int T, int pos0, KvCache& cache, Activations& act, ThreadPool& pool,
                 const int32_t* bidir_end) const;
  // Online-softmax attention of the `group` query heads sharing KV head g, for one query row,
  // over keys [j0, j1). Writes unnormalised outputs o[group][hd], running max m and sum s.
  void attend_keys(int l, int g, const float* q, int j0, int j1, const KvCache& cache, float* scratch,
                   float* o, float* m, float* s) const;
  void linear(const MatView& W, const float* X, int T, float* Y, Activations& act, ThreadPool& pool) const;
  void rope_tables(int l, int T, int pos0, Activations& act) const;

  const ModelConfig& c_;
  const Weights& w_;
  const kernels::KernelTable& k_;
};

}  // namespace g4
