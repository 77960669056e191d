#include "model/config.h"

#include <algorithm>
#include <cmath>

#include "base/error.h"
#include "io/gguf.h"
#include "io/json.h"

namespace g4 {

int ModelConfig::head_dim_max() const {
  int m = 0;
  for (const auto& l : layers) m = std::max(m, l.head_dim);
  return m;
}
int ModelConfig::kv_dim_max() const {
  int m = 0;
  for (const auto& l : layers) m = std::max(m, l.n_kv_head * l.head_dim);
  return m;
}
int ModelConfig::q_dim_max() const {
  int m = 0;
  for (const auto& l : layers) m = std::max(m, n_head * l.head_dim);
  return m;
}

void ModelConfig::validate() const {
  auto check = [](bool ok, const std::string& what) {
    if (!ok) fail(Status::bad_format, "model config: " + what);
  };
  check(n_vocab > 0 && n_vocab <= (1 << 24), "vocabulary size " + std::to_string(n_vocab) + " out of range");
  check(n_embd > 0 && n_embd <= 65536, "embedding length " + std::to_string(n_embd) + " out of range");
  check(n_head > 0 && n_head <= 1024, "head count " + std::to_string(n_head) + " out of range");
  check(n_ff > 0 && n_ff <= (1 << 20), "feed-forward length " + std::to_string(n_ff) + " out of range");
  check(!layers.empty() && layers.size() <= 1024, "layer count " + std::to_string(layers.size()) + " out of range");
  check(n_ctx_train > 0, "context length must be positive");
  check(std::isfinite(rms_eps) && rms_eps > 0 && rms_eps < 1, "RMSNorm epsilon out of range");
  check(std::isfinite(final_softcap) && final_softcap >= 0, "final logit soft-cap must be >= 0");
  bool any_sliding = false;
  for (size_t i = 0; i < layers.size(); ++i) {
    const auto& l = layers[i];
    std::string at = "layer " + std::to_string(i) + ": ";
    check(l.head_dim > 0 && l.head_dim <= 4096 && l.head_dim % 2 == 0, at + "head dim must be even and positive");
    check(l.n_kv_head > 0 && n_head % l.n_kv_head == 0,
          at + "query heads (" + std::to_string(n_head) + ") must be a multiple of KV heads (" +
              std::to_string(l.n_kv_head) + ")");
    check(n_head / l.n_kv_head <= 256, at + "more than 256 query heads per KV head");
    check(l.rope_theta > 0 && std::isfinite(l.rope_theta), at + "RoPE base must be positive");
    if (!l.sliding) check(static_cast<int>(rope_freq_divisors_full.size()) == l.head_dim / 2,
                          at + "full-attention RoPE frequency table must have head_dim/2 entries");
    any_sliding |= l.sliding;
  }
  if (any_sliding) check(sliding_window > 0, "sliding window must be positive");
}

// ---- GGUF -------------------------------------------------------------------------------------

namespace {

int64_t gguf_int(const GgufFile& f, const std::string& key) {
  int64_t v = 0;
  if (!f.get_int(key, v)) fail(Status::bad_format, "GGUF metadata key '" + key + "' is missing");
  return v;
}

int64_t gguf_int_or(const GgufFile& f, const std::string& key, int64_t dflt) {
  int64_t v = dflt;
  f.get_int(key, v);
  return v;
}

double gguf_float_or(const GgufFile& f, const std::string& key, double dflt) {
  double v = dflt;
  f.get_float(key, v);
  return v;
}

int to_int(int64_t v, const std::string& key) {
  if (v < 0 || v > (int64_t{1} << 30)) fail(Status::bad_format, "GGUF metadata key '" + key + "' out of range");
  return static_cast<int>(v);
}

// A per-layer value that GGUF stores either as one scalar or as an array with one entry per layer.
std::vector<int64_t> gguf_per_layer_int(const GgufFile& f, const std::string& key, int n_layer) {
  const GgufValue* v = f.find(key);
  if (!v) fail(Status::bad_format, "GGUF metadata key '" + key + "' is missing");
  std::vector<int64_t> out;
  if (v->type == GgufType::array) {
    if (static_cast<int>(v->arr.size()) != n_layer)
      fail(Status::bad_format, "GGUF metadata array '" + key + "' has " + std::to_string(v->arr.size()) +
                                   " entries, expected one per layer (" + std::to_string(n_layer) + ")");
    for (const auto& e : v->arr) {
      if (e.type == GgufType::string || e.type == GgufType::array || e.type == GgufType::f32 || e.type == GgufType::f64)
        fail(Status::bad_format, "GGUF metadata array '" + key + "' must hold integers");
      out.push_back(e.i);
    }
  } else {
    out.assign(n_layer, gguf_int(f, key));
  }
  return out;
}

}  // namespace

ModelConfig config_from_gguf(const GgufFile& f) {
  std::string arch;
  if (!f.get_string("general.architecture", arch))
    fail(Status::bad_format, "GGUF metadata key 'general.architecture' is missing");
  if (arch != "gemma4")
    fail(Status::unsupported, "GGUF architecture '" + arch + "' is not supported (expected 'gemma4')");
  const std::string p = "gemma4.";
  ModelConfig c;
  int n_layer = to_int(gguf_int(f, p + "block_count"), p + "block_count");
  if (n_layer <= 0 || n_layer > 1024) fail(Status::bad_format, "GGUF block_count out of range");
  c.n_embd = to_int(gguf_int(f, p + "embedding_length"), p + "embedding_length");
  c.n_ff = to_int(gguf_int(f, p + "feed_forward_length"), p + "feed_forward_length");
  c.n_head = to_int(gguf_int(f, p + "attention.head_count"), p + "attention.head_count");
  c.n_ctx_train = to_int(gguf_int(f, p + "context_length"), p + "context_length");
  c.sliding_window = to_int(gguf_int_or(f, p + "attention.sliding_window", 0), p + "attention.sliding_window");
  c.rms_eps = static_cast<float>(gguf_float_or(f, p + "attention.layer_norm_rms_epsilon", 1e-6));
  c.final_softcap = static_cast<float>(gguf_float_or(f, p + "final_logit_softcapping", 0.0));
  if (gguf_int_or(f, p + "embedding_length_per_layer_input", 0) != 0)
    fail(Status::unsupported, "per-layer input embeddings (embedding_length_per_layer_input > 0) are not supported");
  if (gguf_int_or(f, p + "attention.shared_kv_layers", 0) != 0)
    fail(Status::unsupported, "KV sharing across layers (attention.shared_kv_layers > 0) is not supported");
  int hd_full = to_int(gguf_int(f, p + "attention.key_length"), p + "attention.key_length");
  int hd_swa = to_int(gguf_int(f, p + "attention.key_length_swa"), p + "attention.key_length_swa");
  int vd_full = to_int(gguf_int_or(f, p + "attention.value_length", hd_full), p + "attention.value_length");
  int vd_swa = to_int(gguf_int_or(f, p + "attention.value_length_swa", hd_swa), p + "attention.value_length_swa");
  if (vd_full != hd_full || vd_swa != hd_swa)
    fail(Status::unsupported, "value length different from key length is not supported");
  int rot_full = to_int(gguf_int_or(f, p + "rope.dimension_count", hd_full), p + "rope.dimension_count");
  int rot_swa = to_int(gguf_int_or(f, p + "rope.dimension_count_swa", hd_swa), p + "rope.dimension_count_swa");
  if (rot_full != hd_full || rot_swa != hd_swa)
    fail(Status::unsupported, "RoPE over fewer dims than the head (rope.dimension_count != key_length) is not supported");
  double theta_full = gguf_float_or(f, p + "rope.freq_base", 1e6);
  double theta_swa = gguf_float_or(f, p + "rope.freq_base_swa", 1e4);
  std::vector<int64_t> kv = gguf_per_layer_int(f, p + "attention.head_count_kv", n_layer);

  // Layer pattern: a bool array (true = sliding), spec §7.2.
  const GgufValue* pat = f.find(p + "attention.sliding_window_pattern");
  std::vector<bool> sliding(n_layer, false);
  if (pat && pat->type == GgufType::array) {
    if (static_cast<int>(pat->arr.size()) != n_layer)
      fail(Status::bad_format, "sliding_window_pattern has " + std::to_string(pat->arr.size()) +
                                   " entries, expected " + std::to_string(n_layer));
    for (int i = 0; i < n_layer; ++i) sliding[i] = pat->arr[i].i != 0;
  } else if (pat) {
    // Older writers store a period N: every N-th layer (1-based) is full.
    int64_t period = pat->i;
    if (period <= 0) fail(Status::bad_format, "sliding_window_pattern period must be positive");
    for (int i = 0; i < n_layer; ++i) sliding[i] = ((i + 1) % period) != 0;
  } else {
    fail(Status::bad_format, "GGUF metadata key 'gemma4.attention.sliding_window_pattern' is missing");
  }
  for (int i = 0; i < n_layer; ++i) {
    LayerConfig l;
    l.sliding = sliding[i];
    l.n_kv_head = to_int(kv[i], p + "attention.head_count_kv");
    l.head_dim = l.sliding ? hd_swa : hd_full;
    l.rope_theta = l.sliding ? theta_swa : theta_full;
    l.has_v_proj = l.sliding;  // decided for real from the tensors present (model/weights.cpp)
    c.layers.push_back(l);
  }
  int64_t nv = 0;
  if (!f.get_int(p + "vocab_size", nv)) {
    const GgufValue* toks = f.find("tokenizer.ggml.tokens");
    if (!toks || toks->type != GgufType::array) fail(Status::bad_format, "GGUF has no tokenizer.ggml.tokens");
    nv = static_cast<int64_t>(toks->arr.size());
  }
  c.n_vocab = to_int(nv, "vocab size");
  // rope_freqs divisors are a tensor: filled in by the weight loader (model/weights.cpp).
  return c;
}

// ---- Hugging Face config.json ------------------------------------------------------------------

namespace {

const Json& member(const Json& obj, const char* key) {
  const Json* v = obj.find(key);
  if (!v) fail(Status::bad_format, std::string("config.json: key '") + key + "' is missing");
  return *v;
}

int int_member(const Json& obj, const char* key) {
  int64_t v = member(obj, key).as_int(key);
  if (v < 0 || v > (int64_t{1} << 30)) fail(Status::bad_format, std::string("config.json: '") + key + "' out of range");
  return static_cast<int>(v);
}

int int_member_or(const Json& obj, const char* key, int dflt) {
  return obj.find(key) && !obj.find(key)->is_null() ? int_member(obj, key) : dflt;
}

double num_member_or(const Json& obj, const char* key, double dflt) {
  const Json* v = obj.find(key);
  return v && !v->is_null() ? v->as_number(key) : dflt;
}

}  // namespace

ModelConfig config_from_hf(const Json& root) {
  if (!root.is_object()) fail(Status::bad_format, "config.json must be a JSON object");
  const Json* tc = root.find("text_config");
  const Json& t = tc ? *tc : root;
  if (const Json* mt = t.find("model_type")) {
    const std::string& s = mt->as_string("model_type");
    if (s != "gemma4_unified_text" && s != "gemma4_text" && s != "gemma4_unified" && s != "gemma4")
      fail(Status::unsupported, "config.json model_type '" + s + "' is not a Gemma 4 text model");
  }
  ModelConfig c;
  c.n_embd = int_member(t, "hidden_size");
  int n_layer = int_member(t, "num_hidden_layers");
  c.n_head = int_member(t, "num_attention_heads");
  c.n_ff = int_member(t, "intermediate_size");
  c.n_vocab = int_member(t, "vocab_size");
  c.n_ctx_train = int_member_or(t, "max_position_embeddings", 8192);
  c.sliding_window = int_member_or(t, "sliding_window", 0);
  c.rms_eps = static_cast<float>(num_member_or(t, "rms_norm_eps", 1e-6));
  c.final_softcap = static_cast<float>(num_member_or(t, "final_logit_softcapping", 0.0));
  if (int_member_or(t, "hidden_size_per_layer_input", 0) != 0)
    fail(Status::unsupported, "per-layer input embeddings (hidden_size_per_layer_input > 0) are not supported");
  if (int_member_or(t, "num_kv_shared_layers", 0) != 0)
    fail(Status::unsupported, "KV sharing across layers (num_kv_shared_layers > 0) are not supported");
  int kv_swa = int_member(t, "num_key_value_heads");
  int kv_full = int_member_or(t, "num_global_key_value_heads", kv_swa);
  int hd_swa = int_member(t, "head_dim");
  int hd_full = int_member_or(t, "global_head_dim", hd_swa);
  bool k_eq_v = false;
  if (const Json* v = t.find("attention_k_eq_v")) k_eq_v = v->as_bool("attention_k_eq_v");

  double theta_swa = 1e4, theta_full = 1e6, partial = 1.0;
  if (const Json* rp = t.find("rope_parameters")) {
    if (const Json* s = rp->find("sliding_attention")) theta_swa = num_member_or(*s, "rope_theta", theta_swa);
    if (const Json* f = rp->find("full_attention")) {
      theta_full = num_member_or(*f, "rope_theta", theta_full);
      partial = num_member_or(*f, "partial_rotary_factor", 1.0);
    }
  }
  if (!(partial > 0 && partial <= 1)) fail(Status::bad_format, "config.json: partial_rotary_factor out of (0, 1]");

  const Json& types = member(t, "layer_types");
  const auto& arr = types.as_array("layer_types");
  if (static_cast<int>(arr.size()) != n_layer)
    fail(Status::bad_format, "config.json: layer_types has " + std::to_string(arr.size()) +
                                 " entries, expected num_hidden_layers = " + std::to_string(n_layer));
  for (const auto& e : arr) {
    const std::string& s = e.as_string("layer_types[]");
    LayerConfig l;
    if (s == "sliding_attention") l.sliding = true;
    else if (s == "full_attention") l.sliding = false;
    else fail(Status::bad_format, "config.json: unknown layer type '" + s + "'");
    l.n_kv_head = l.sliding ? kv_swa : kv_full;
    l.head_dim = l.sliding ? hd_swa : hd_full;
    l.rope_theta = l.sliding ? theta_swa : theta_full;
    l.has_v_proj = l.sliding || !k_eq_v;
    c.layers.push_back(l);
  }
  // Proportional RoPE (spec §2.3): the first partial*hd/2 pairs rotate with exponent over the
  // full head dim; the rest get frequency 0, expressed here as a huge divisor like GGUF's table.
  int pairs = hd_full / 2;
  int rotated = static_cast<int>(std::lround(partial * hd_full / 2.0));
  c.rope_freq_divisors_full.assign(pairs, 1e30f);
  for (int i = 0; i < rotated && i < pairs; ++i) c.rope_freq_divisors_full[i] = 1.0f;
  return c;
}

}  // namespace g4
