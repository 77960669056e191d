// Typed views of the decoder's tensors inside the mapped model file. Large matrices are used in
// place in their stored type; only the small vectors (norm weights, layer scalars, RoPE
// divisors) are converted to float at load.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "base/dtype.h"
#include "io/tensor_info.h"
#include "model/config.h"

namespace g4 {

struct LayerWeights {
  MatView q, k, v, o;           // v.data == nullptr on full layers (V from the K projection)
  MatView gate, up, down;
  std::vector<float> attn_norm, q_norm, k_norm, post_attn_norm, ffn_norm, post_ffn_norm;
  float layer_scalar = 1.0f;
};

struct Weights {
  MatView embed;                // [n_vocab][n_embd]; also the (tied) output projection
  std::vector<float> output_norm;
  std::vector<LayerWeights> layers;
  uint64_t n_params = 0;
  uint64_t bytes = 0;           // tensor bytes used by the decoder
  std::string type_summary;     // "Q4_0", or "mixed Q4_0/Q6_K"
};

// Finds a tensor by name, nullptr when absent.
using TensorLookup = std::function<const TensorInfo*(const std::string&)>;

// Tensor naming of the two file formats (spec §7.1, §7.2).
enum class TensorNaming { gguf, hf };

// Binds every tensor the config needs, checking presence, type and shape. Also completes the
// config from the tensors: has_v_proj per layer and (GGUF) the full layers' RoPE divisors.
// Throws Error(bad_format) naming the tensor on any mismatch.
Weights load_weights(ModelConfig& config, const TensorLookup& lookup, TensorNaming naming);

}  // namespace g4
