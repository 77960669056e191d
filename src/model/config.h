// Hyper-parameters of a Gemma 4 text decoder, read from the model file (GGUF metadata or the
// Hugging Face config.json). Nothing here is hard-coded to the 12B sizes: the same code runs the
// small generated test models. Spec §1 lists the 12B values.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace g4 {

class GgufFile;
class Json;

struct LayerConfig {
  bool sliding = true;      // sliding-window ("local") layer, else full ("global") attention
  int n_kv_head = 0;        // 8 sliding / 1 full in 12B
  int head_dim = 0;         // 256 sliding / 512 full in 12B
  bool has_v_proj = true;   // false on full layers: V comes from the K projection (spec §2.2)
  double rope_theta = 0;    // 1e4 sliding / 1e6 full
};

struct ModelConfig {
  int n_vocab = 0;
  int n_ctx_train = 0;
  int n_embd = 0;           // d
  int n_head = 0;           // query heads, every layer
  int n_ff = 0;
  int sliding_window = 0;   // W: a sliding layer's query i sees keys j with i - j < W
  float rms_eps = 1e-6f;
  float final_softcap = 0;  // 30 in Gemma 4; 0 = none
  std::vector<LayerConfig> layers;
  // Per-pair frequency divisors of the full layers' RoPE, head_dim_full/2 entries (spec §2.3):
  // 1 for the rotated pairs and a huge value (frequency ~0) for the pass-through pairs.
  std::vector<float> rope_freq_divisors_full;

  int n_layer() const { return static_cast<int>(layers.size()); }
  int head_dim_max() const;
  int kv_dim_max() const;   // max over layers of n_kv_head * head_dim
  int q_dim_max() const;    // max over layers of n_head * head_dim
  // Throws Error(bad_format) when the numbers are inconsistent or out of range.
  void validate() const;
};

// GGUF: gemma4.* keys (spec §7.2). rope_freqs is passed separately because it is a tensor.
ModelConfig config_from_gguf(const GgufFile& gguf);
// Hugging Face: config.json ("text_config" of gemma4_unified, or a bare text config).
ModelConfig config_from_hf(const Json& config_json);

}  // namespace g4
