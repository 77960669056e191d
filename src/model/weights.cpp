#include "model/weights.h"

#include "model/tensor_binder.h"

#include <cmath>
#include <cstring>
#include <set>

#include "base/error.h"
#include "base/half.h"

namespace g4 {

namespace {

struct Names {
  std::string embed, output_norm, rope_freqs;
  std::string q, k, v, o, gate, up, down;
  std::string attn_norm, q_norm, k_norm, post_attn_norm, ffn_norm, post_ffn_norm, layer_scalar;
};

Names names_for(TensorNaming naming, int layer) {
  Names n;
  const std::string i = std::to_string(layer);
  if (naming == TensorNaming::gguf) {
    const std::string b = "blk." + i + ".";
    n.embed = "token_embd.weight";
    n.output_norm = "output_norm.weight";
    n.rope_freqs = "rope_freqs.weight";
    n.q = b + "attn_q.weight";
    n.k = b + "attn_k.weight";
    n.v = b + "attn_v.weight";
    n.o = b + "attn_output.weight";
    n.gate = b + "ffn_gate.weight";
    n.up = b + "ffn_up.weight";
    n.down = b + "ffn_down.weight";
    n.attn_norm = b + "attn_norm.weight";
    n.q_norm = b + "attn_q_norm.weight";
    n.k_norm = b + "attn_k_norm.weight";
    n.post_attn_norm = b + "post_attention_norm.weight";
    n.ffn_norm = b + "ffn_norm.weight";
    n.post_ffn_norm = b + "post_ffw_norm.weight";
    n.layer_scalar = b + "layer_output_scale.weight";
  } else {
    const std::string m = "model.language_model.";
    const std::string b = m + "layers." + i + ".";
    n.embed = m + "embed_tokens.weight";
    n.output_norm = m + "norm.weight";
    n.q = b + "self_attn.q_proj.weight";
    n.k = b + "self_attn.k_proj.weight";
    n.v = b + "self_attn.v_proj.weight";
    n.o = b + "self_attn.o_proj.weight";
    n.gate = b + "mlp.gate_proj.weight";
    n.up = b + "mlp.up_proj.weight";
    n.down = b + "mlp.down_proj.weight";
    n.attn_norm = b + "input_layernorm.weight";
    n.q_norm = b + "self_attn.q_norm.weight";
    n.k_norm = b + "self_attn.k_norm.weight";
    n.post_attn_norm = b + "post_attention_layernorm.weight";
    n.ffn_norm = b + "pre_feedforward_layernorm.weight";
    n.post_ffn_norm = b + "post_feedforward_layernorm.weight";
    n.layer_scalar = b + "layer_scalar";
  }
  return n;
}

}  // namespace

Weights load_weights(ModelConfig& c, const TensorLookup& lookup, TensorNaming naming) {
  Weights w;
  Binder bind(lookup, w.n_params, w.bytes);
  const Names top = names_for(naming, 0);
  w.embed = bind.matrix(top.embed, c.n_vocab, c.n_embd);
  w.output_norm = bind.vector(top.output_norm, c.n_embd);

  // Full layers' RoPE divisors: GGUF ships them as rope_freqs (spec §2.3); the HF path derived
  // them from partial_rotary_factor in config_from_hf.
  int hd_full = 0;
  for (const auto& l : c.layers)
    if (!l.sliding) hd_full = l.head_dim;
  if (naming == TensorNaming::gguf && hd_full > 0) {
    if (bind.find(top.rope_freqs)) {
      c.rope_freq_divisors_full = bind.vector(top.rope_freqs, hd_full / 2, /*counted=*/false);
      for (float d : c.rope_freq_divisors_full)
        if (!(d > 0)) fail(Status::bad_format, "tensor 'rope_freqs.weight' must hold positive divisors");
    } else {
      c.rope_freq_divisors_full.assign(hd_full / 2, 1.0f);
    }
  }

  for (int i = 0; i < c.n_layer(); ++i) {
    LayerConfig& lc = c.layers[i];
    const Names n = names_for(naming, i);
    LayerWeights lw;
    const int64_t qd = static_cast<int64_t>(c.n_head) * lc.head_dim;
    const int64_t kvd = static_cast<int64_t>(lc.n_kv_head) * lc.head_dim;
    lw.q = bind.matrix(n.q, qd, c.n_embd);
    lw.k = bind.matrix(n.k, kvd, c.n_embd);
    // Full layers of Gemma 4 have no v_proj (attention_k_eq_v); sliding layers must have one.
    lc.has_v_proj = bind.find(n.v) != nullptr;
    if (lc.has_v_proj) lw.v = bind.matrix(n.v, kvd, c.n_embd);
    else if (lc.sliding) bind.require(n.v);
    lw.o = bind.matrix(n.o, c.n_embd, qd);
    lw.gate = bind.matrix(n.gate, c.n_ff, c.n_embd);
    lw.up = bind.matrix(n.up, c.n_ff, c.n_embd);
    lw.down = bind.matrix(n.down, c.n_embd, c.n_ff);
    lw.attn_norm = bind.vector(n.attn_norm, c.n_embd);
    lw.q_norm = bind.vector(n.q_norm, lc.head_dim);
    lw.k_norm = bind.vector(n.k_norm, lc.head_dim);
    lw.post_attn_norm = bind.vector(n.post_attn_norm, c.n_embd);
    lw.ffn_norm = bind.vector(n.ffn_norm, c.n_embd);
    lw.post_ffn_norm = bind.vector(n.post_ffn_norm, c.n_embd);
    lw.layer_scalar = bind.vector(n.layer_scalar, 1)[0];
    w.layers.push_back(std::move(lw));
  }
  w.type_summary = bind.type_summary();
  return w;
}

}  // namespace g4
