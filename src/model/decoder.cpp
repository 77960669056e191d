#include "model/decoder.h"

#include <algorithm>
#include <cmath>

#include "base/error.h"

namespace g4 {

Activations::Activations(const ModelConfig& c, const Weights& w, int nb, int n_ctx, int n_threads)
    : n_batch(nb) {
  const size_t T = static_cast<size_t>(nb);
  x.resize(T * c.n_embd);
  xb.resize(T * c.n_embd);
  q.resize(T * c.q_dim_max());
  k.resize(T * c.kv_dim_max());
  v.resize(T * c.kv_dim_max());
  attn.resize(T * c.q_dim_max());
  proj.resize(T * c.n_embd);
  gate.resize(T * c.n_ff);
  up.resize(T * c.n_ff);
  rope_cos.resize(T * (c.head_dim_max() / 2));
  rope_sin.resize(T * (c.head_dim_max() / 2));
  (void)n_ctx;
  int group_max = 1;
  for (const auto& l : c.layers) group_max = std::max(group_max, c.n_head / l.n_kv_head);
  attn_thread.resize(static_cast<size_t>(n_threads) * (group_max * kAttnTile + c.head_dim_max()));
  attn_partial.resize(static_cast<size_t>(kMaxPartials) * group_max * (c.head_dim_max() + 2));
  size_t need = 0;
  auto consider = [&](const MatView& m) {
    if (!m.data) return;
    need = std::max(need, kernels::matvec_scratch_bytes(m.type, m.cols));
    need = std::max(need, kernels::matmul_scratch_bytes(m.type, m.cols, nb, n_threads));
  };
  consider(w.embed);
  for (const auto& l : w.layers) {
    for (const MatView* m : {&l.q, &l.k, &l.v, &l.o, &l.gate, &l.up, &l.down}) consider(*m);
  }
  scratch.resize(need);
}

void Decoder::embed_tokens(const int32_t* tokens, int T, Activations& act, const float* soft_rows,
                           int64_t n_soft_rows) const {
  // Text tokens are scaled by sqrt(d) (spec §2.1). HF rounds the scale to the weight dtype
  // (62.0 instead of 61.97 for bf16 weights); we use the exact float value like llama.cpp.
  const float scale = std::sqrt(static_cast<float>(c_.n_embd));
  for (int t = 0; t < T; ++t) {
    float* row = act.x.data() + static_cast<size_t>(t) * c_.n_embd;
    if (tokens[t] < 0) {  // a media soft token: inserted as is, not scaled (spec §2.1)
      const int64_t k = -static_cast<int64_t>(tokens[t]) - 1;
      if (k >= n_soft_rows) fail(Status::internal, "soft token index out of range");
      std::copy(soft_rows + k * c_.n_embd, soft_rows + (k + 1) * c_.n_embd, row);
      continue;
    }
    k_.dequantize_row(w_.embed.type, w_.embed.row(tokens[t]), row, c_.n_embd);
    for (int i = 0; i < c_.n_embd; ++i) row[i] *= scale;
  }
}

void Decoder::linear(const MatView& W, const float* X, int T, float* Y, Activations& act,
                     ThreadPool& pool) const {
  if (T == 1)
    kernels::matvec(k_, W, X, Y, pool, act.scratch.data());
  else
    kernels::matmul(k_, W, X, T, Y, pool, act.scratch.data());
}

void Decoder::forward(int T, int pos0, KvCache& cache, Activations& act, ThreadPool& pool, float* logits,
                      const std::atomic<bool>* cancel, const int32_t* bidir_end) const {
  if (T <= 0 || T > act.n_batch) fail(Status::internal, "forward: batch of " + std::to_string(T) + " tokens");
  if (pos0 + T > cache.n_ctx()) fail(Status::context_full, "forward: positions exceed the context");
  for (int l = 0; l < c_.n_layer(); ++l) {
    if (cancel && cancel->load(std::memory_order_relaxed)) fail(Status::cancelled, "cancelled");
    layer(l, T, pos0, cache, act, pool, bidir_end);
  }
  if (!logits) return;
  // Final norm of the last row, tied output projection, soft-cap (spec §2.1 steps 4-6).
  const int d = c_.n_embd;
  float* last = act.xb.data();
  kernels::rms_norm(act.x.data() + static_cast<size_t>(T - 1) * d, w_.output_norm.data(), last, d, c_.rms_eps);
  kernels::matvec(k_, w_.embed, last, logits, pool, act.scratch.data());
  if (c_.final_softcap > 0) {
    const float cap = c_.final_softcap;
    for (int i = 0; i < c_.n_vocab; ++i) logits[i] = cap * std::tanh(logits[i] / cap);
  }
}

// One decoder layer, spec §2.2.
void Decoder::layer(int l, int T, int pos0, KvCache& cache, Activations& act, ThreadPool& pool,
                    const int32_t* bidir_end) const {
  const LayerConfig& lc = c_.layers[l];
  const LayerWeights& lw = w_.layers[l];
  const int d = c_.n_embd, hd = lc.head_dim, nh = c_.n_head, nkv = lc.n_kv_head;
  const int qd = nh * hd, kvd = nkv * hd;
  const float eps = c_.rms_eps;

  // --- attention block ---
  for (int t = 0; t < T; ++t)
    kernels::rms_norm(&act.x[t * d], lw.attn_norm.data(), &act.xb[t * d], d, eps);
  linear(lw.q, act.xb.data(), T, act.q.data(), act, pool);
  linear(lw.k, act.xb.data(), T, act.k.data(), act, pool);
  if (lc.has_v_proj)
    linear(lw.v, act.xb.data(), T, act.v.data(), act, pool);
  else  // k_eq_v: V is the raw K projection, taken before k_norm and RoPE
    std::copy(act.k.begin(), act.k.begin() + static_cast<size_t>(T) * kvd, act.v.begin());

  rope_tables(l, T, pos0, act);
  for (int t = 0; t < T; ++t) {
    const float* cs = &act.rope_cos[t * (hd / 2)];
    const float* sn = &act.rope_sin[t * (hd / 2)];
    float* q = &act.q[t * qd];
    for (int h = 0; h < nh; ++h) kernels::rms_norm(q + h * hd, lw.q_norm.data(), q + h * hd, hd, eps);
    kernels::rope_neox(q, nh, hd, cs, sn);
    float* k = &act.k[t * kvd];
    float* v = &act.v[t * kvd];
    for (int h = 0; h < nkv; ++h) {
      kernels::rms_norm(k + h * hd, lw.k_norm.data(), k + h * hd, hd, eps);
      kernels::rms_norm(v + h * hd, nullptr, v + h * hd, hd, eps);  // weightless, no RoPE
    }
    kernels::rope_neox(k, nkv, hd, cs, sn);
    for (int h = 0; h < nkv; ++h) {
      cache.store_k(l, pos0 + t, h, k + h * hd);
      cache.store_v(l, pos0 + t, h, v + h * hd);
    }
  }
  attention(l, T, pos0, cache, act, pool, bidir_end);
  linear(lw.o, act.attn.data(), T, act.proj.data(), act, pool);
  for (int t = 0; t < T; ++t) {
    float* o = &act.proj[t * d];
    kernels::rms_norm(o, lw.post_attn_norm.data(), o, d, eps);
    float* x = &act.x[t * d];
    for (int i = 0; i < d; ++i) x[i] += o[i];
  }

  // --- feed-forward block: down(gelu_tanh(gate(m)) * up(m)) ---
  for (int t = 0; t < T; ++t)
    kernels::rms_norm(&act.x[t * d], lw.ffn_norm.data(), &act.xb[t * d], d, eps);
  linear(lw.gate, act.xb.data(), T, act.gate.data(), act, pool);
  linear(lw.up, act.xb.data(), T, act.up.data(), act, pool);
  // GELU over T x n_ff values is a sizeable share of prefill: spread it over the pool.
  pool.parallel_range(static_cast<int64_t>(T) * c_.n_ff, 8192, [&](int64_t b, int64_t e, int) {
    k_.gelu_tanh_mul(&act.gate[b], &act.up[b], &act.gate[b], e - b);
  });
  linear(lw.down, act.gate.data(), T, act.proj.data(), act, pool);
  const float s = lw.layer_scalar;
  for (int t = 0; t < T; ++t) {
    float* f = &act.proj[t * d];
    kernels::rms_norm(f, lw.post_ffn_norm.data(), f, d, eps);
    float* x = &act.x[t * d];
    for (int i = 0; i < d; ++i) x[i] = (x[i] + f[i]) * s;  // layer_scalar scales the whole stream
  }
}

// cos/sin of p * omega_i for the batch's positions (spec §2.3). Angles in double: p * omega
// reaches 2.6e5 rad at the end of a 256K context, where float would lose ~0.02 rad.
void Decoder::rope_tables(int l, int T, int pos0, Activations& act) const {
  const LayerConfig& lc = c_.layers[l];
  const int half = lc.head_dim / 2;
  for (int i = 0; i < half; ++i) {
    double omega = std::pow(lc.rope_theta, -2.0 * i / lc.head_dim);
    if (!lc.sliding) omega /= c_.rope_freq_divisors_full[i];
    for (int t = 0; t < T; ++t) {
      double a = static_cast<double>(pos0 + t) * omega;
      act.rope_cos[t * half + i] = static_cast<float>(std::cos(a));
      act.rope_sin[t * half + i] = static_cast<float>(std::sin(a));
    }
  }
}

// Scaled-dot-product attention with scale 1.0 (spec §2.2) and the masks of spec §2.4:
// sliding layers see keys with p - j < W, full layers every earlier key; on sliding layers an
// image soft token also sees the rest of its image block.
// Work is split by (query row, KV head): the n_head / n_kv_head query heads of a group share
// each K and V row read from the cache (a full layer's single KV head is read once, not 16
// times). When there are fewer such tasks than threads (decode), the keys are split into
// chunks whose partial softmax results are merged afterwards.
void Decoder::attention(int l, int T, int pos0, KvCache& cache, Activations& act, ThreadPool& pool,
                        const int32_t* bidir_end) const {
  const LayerConfig& lc = c_.layers[l];
  const int hd = lc.head_dim, nh = c_.n_head, nkv = lc.n_kv_head, group = nh / nkv;
  const int qd = nh * hd;
  const int64_t rows = static_cast<int64_t>(T) * nkv;
  // Few rows (decode): split the keys into chunks of kAttnChunk so threads share the work. The
  // split depends only on the shapes, never on the thread count, so results are identical for
  // any number of threads.
  int chunks = 1;
  if (rows < 8) {
    const int max_keys = lc.sliding ? std::min(pos0 + T, c_.sliding_window) : pos0 + T;
    chunks = static_cast<int>(std::min<int64_t>((max_keys + kAttnChunk - 1) / kAttnChunk, kMaxPartials / rows));
    if (chunks < 1) chunks = 1;
  }
  const size_t thread_stride = act.attn_thread.size() / pool.size();
  const size_t part_stride = static_cast<size_t>(group) * (hd + 2);
  auto key_range = [&](int t, int& j0, int& j1) {
    const int p = pos0 + t;
    j0 = lc.sliding ? std::max(0, p - c_.sliding_window + 1) : 0;
    j1 = p + 1;
    // Image soft tokens see their whole block, on sliding layers only (spec §3.6).
    if (lc.sliding && bidir_end && bidir_end[t] > j1) j1 = bidir_end[t];
  };
  pool.parallel_for(rows * chunks, [&](int64_t task, int thread) {
    const int c = static_cast<int>(task % chunks);
    const int64_t row = task / chunks;
    const int t = static_cast<int>(row / nkv), g = static_cast<int>(row % nkv);
    int j0, j1;
    key_range(t, j0, j1);
    const int n = j1 - j0, per = (n + chunks - 1) / chunks;
    const int a = std::min(j1, j0 + c * per), b = std::min(j1, a + per);
    const float* q = &act.q[static_cast<size_t>(t) * qd + static_cast<size_t>(g) * group * hd];
    float* scratch = &act.attn_thread[thread * thread_stride];
    if (chunks == 1) {
      float* o = &act.attn[static_cast<size_t>(t) * qd + static_cast<size_t>(g) * group * hd];
      float m[256], s[256];
      attend_keys(l, g, q, a, b, cache, scratch, o, m, s);
      for (int h = 0; h < group; ++h)
        for (int i = 0; i < hd; ++i) o[h * hd + i] /= s[h];
    } else {
      float* part = &act.attn_partial[task * part_stride];
      attend_keys(l, g, q, a, b, cache, scratch, part + 2 * group, part, part + group);
    }
  });
  if (chunks == 1) return;
  // Merge the chunks: out = sum_c exp(m_c - M) o_c / sum_c exp(m_c - M) s_c.
  for (int64_t row = 0; row < rows; ++row) {
    const int t = static_cast<int>(row / nkv), g = static_cast<int>(row % nkv);
    float* out = &act.attn[static_cast<size_t>(t) * qd + static_cast<size_t>(g) * group * hd];
    for (int h = 0; h < group; ++h) {
      float M = -INFINITY;
      for (int c = 0; c < chunks; ++c) M = std::max(M, act.attn_partial[(row * chunks + c) * part_stride + h]);
      double den = 0;
      float* o = out + h * hd;
      std::fill(o, o + hd, 0.0f);
      for (int c = 0; c < chunks; ++c) {
        const float* part = &act.attn_partial[(row * chunks + c) * part_stride];
        if (part[h] == -INFINITY) continue;  // empty chunk
        const float w = std::exp(part[h] - M);
        den += static_cast<double>(w) * part[group + h];
        k_.axpy_f32(w, part + 2 * group + h * hd, o, hd);
      }
      const float inv = static_cast<float>(1.0 / den);
      for (int i = 0; i < hd; ++i) o[i] *= inv;
    }
  }
}

void Decoder::attend_keys(int l, int g, const float* q, int j0, int j1, const KvCache& cache, float* scratch,
                          float* o, float* m, float* s) const {
  const int hd = c_.layers[l].head_dim, group = c_.n_head / c_.layers[l].n_kv_head;
  if (hd > kernels::kAttnMaxHeadDim)
    fail(Status::unsupported, "attention: head_dim " + std::to_string(hd) + " exceeds the kernels' limit " +
                                  std::to_string(kernels::kAttnMaxHeadDim));
  float* sc = scratch;  // [group][kAttnTile]
  for (int h = 0; h < group; ++h) {
    m[h] = -INFINITY;
    s[h] = 0.0f;
  }
  std::fill(o, o + static_cast<size_t>(group) * hd, 0.0f);
  // The kernels read the tile's cached rows in place (one pointer per key, so the ring of a
  // sliding layer may wrap inside a tile), each row once for all `group` heads.
  const void* rows[kAttnTile];
  for (int base = j0; base < j1; base += kAttnTile) {
    const int n = std::min(kAttnTile, j1 - base);
    for (int j = 0; j < n; ++j) rows[j] = cache.k_row(l, base + j, g);
    k_.attn_scores(cache.type(), rows, n, q, group, hd, sc, kAttnTile);
    for (int h = 0; h < group; ++h) {
      float* row = sc + h * kAttnTile;
      float mx = m[h];
      for (int j = 0; j < n; ++j) mx = std::max(mx, row[j]);
      // Rescale what was accumulated under the old maximum.
      const float r = m[h] == -INFINITY ? 0.0f : std::exp(m[h] - mx);
      if (r != 1.0f) {
        s[h] *= r;
        for (int i = 0; i < hd; ++i) o[h * hd + i] *= r;
      }
      float sum = 0;
      for (int j = 0; j < n; ++j) {
        row[j] = std::exp(row[j] - mx);
        sum += row[j];
      }
      s[h] += sum;
      m[h] = mx;
    }
    for (int j = 0; j < n; ++j) rows[j] = cache.v_row(l, base + j, g);
    k_.attn_values(cache.type(), rows, n, sc, kAttnTile, group, hd, o);
  }
}

}  // namespace g4
