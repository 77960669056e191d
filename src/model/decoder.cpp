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
  scores.resize(static_cast<size_t>(n_threads) * n_ctx);
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

void Decoder::embed_tokens(const int32_t* tokens, int T, Activations& act) const {
  // Text tokens are scaled by sqrt(d) (spec §2.1). HF rounds the scale to the weight dtype
  // (62.0 instead of 61.97 for bf16 weights); we use the exact float value like llama.cpp.
  const float scale = std::sqrt(static_cast<float>(c_.n_embd));
  for (int t = 0; t < T; ++t) {
    float* row = act.x.data() + static_cast<size_t>(t) * c_.n_embd;
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
                      const std::atomic<bool>* cancel) const {
  if (T <= 0 || T > act.n_batch) fail(Status::internal, "forward: batch of " + std::to_string(T) + " tokens");
  if (pos0 + T > cache.n_ctx()) fail(Status::context_full, "forward: positions exceed the context");
  for (int l = 0; l < c_.n_layer(); ++l) {
    if (cancel && cancel->load(std::memory_order_relaxed)) fail(Status::cancelled, "cancelled");
    layer(l, T, pos0, cache, act, pool);
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
void Decoder::layer(int l, int T, int pos0, KvCache& cache, Activations& act, ThreadPool& pool) const {
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
      std::copy(k + h * hd, k + (h + 1) * hd, cache.k(l, pos0 + t, h));
      std::copy(v + h * hd, v + (h + 1) * hd, cache.v(l, pos0 + t, h));
    }
  }
  attention(l, T, pos0, cache, act, pool);
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
  kernels::gelu_tanh_mul(act.gate.data(), act.up.data(), act.gate.data(), static_cast<int64_t>(T) * c_.n_ff);
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
// sliding layers see keys with p - j < W, full layers every earlier key. One task per
// (query row, head); GQA maps n_head / n_kv_head query heads onto each KV head.
void Decoder::attention(int l, int T, int pos0, KvCache& cache, Activations& act, ThreadPool& pool) const {
  const LayerConfig& lc = c_.layers[l];
  const int hd = lc.head_dim, nh = c_.n_head, group = nh / lc.n_kv_head;
  const int qd = nh * hd;
  const int n_ctx = cache.n_ctx();
  pool.parallel_for(static_cast<int64_t>(T) * nh, [&](int64_t task, int thread) {
    const int t = static_cast<int>(task / nh), h = static_cast<int>(task % nh), g = h / group;
    const int p = pos0 + t;
    const int j0 = lc.sliding ? std::max(0, p - c_.sliding_window + 1) : 0;
    const float* q = &act.q[static_cast<size_t>(t) * qd + h * hd];
    float* s = &act.scores[static_cast<size_t>(thread) * n_ctx];
    const int n = p - j0 + 1;
    for (int j = 0; j < n; ++j) s[j] = k_.dot_f32(q, cache.k(l, j0 + j, g), hd);
    kernels::softmax(s, n);
    float* out = &act.attn[static_cast<size_t>(t) * qd + h * hd];
    std::fill(out, out + hd, 0.0f);
    for (int j = 0; j < n; ++j) k_.axpy_f32(s[j], cache.v(l, j0 + j, g), out, hd);
  });
}

}  // namespace g4
