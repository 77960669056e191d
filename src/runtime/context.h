// The loaded model: file images, config, weights, tokenizer, kernels and the thread pool.
// Immutable after load; shared (via shared_ptr) by the API handle and every session.
#pragma once
#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "base/thread_pool.h"
#include "io/gguf.h"
#include "io/safetensors.h"
#include "io/tokenizer.h"
#include "kernels/kernels.h"
#include "model/config.h"
#include "model/decoder.h"
#include "model/projector.h"
#include "model/weights.h"

namespace g4 {

struct ContextOptions {
  int n_threads = 0;  // 0 = online CPUs
  bool use_mmap = true;
  int log_level = 1;
  std::function<void(int, const std::string&)> log;       // may be empty
  std::function<bool(float)> progress;                    // returns false to cancel; may be empty
  std::string mmproj_path;  // GGUF projector for images/audio; empty = none (HF folders carry theirs)
  bool want_vision = true;  // bind the image embedder if the files have one
  bool want_audio = true;   // bind the audio embedder if the files have one
};

// Ids of the special tokens the runtime needs, looked up by their strings (spec §6); -1 if absent.
struct SpecialTokens {
  int32_t pad = -1, eos = -1, bos = -1, turn_start = -1, turn_end = -1, think = -1;
  int32_t channel_start = -1, channel_end = -1, image_start = -1, image_end = -1;
  int32_t audio_start = -1, audio_end = -1, tool_response_start = -1;
  int32_t image_soft = -1, audio_soft = -1, video_soft = -1;  // <|image|>, <|audio|>, <|video|>
  std::vector<int32_t> stop;      // generation ends on these: <eos>, <turn|>, <|tool_response>
  std::vector<int32_t> suppress;  // never sampled: <image|>, <audio|> (spec §2.1 step 7)
  bool add_bos = true;
};

class Context {
 public:
  static std::shared_ptr<Context> load(const std::string& path, const ContextOptions& opts);

  const ModelConfig& config() const { return config_; }
  const Weights& weights() const { return weights_; }
  const Tokenizer& tokenizer() const { return *tokenizer_; }
  const SpecialTokens& special() const { return special_; }
  const kernels::KernelTable& kernels() const { return *kernels_; }
  const Decoder& decoder() const { return *decoder_; }
  // The multimodal embedders, or nullptr for a text-only context.
  const Projector* projector() const { return projector_.get(); }
  bool has_vision() const { return projector_ && projector_->has_vision(); }
  bool has_audio() const { return projector_ && projector_->has_audio(); }
  ThreadPool& pool() const { return *pool_; }
  // Sessions on different threads take turns on the pool, one forward pass at a time.
  std::mutex& compute_mutex() const { return compute_mutex_; }
  const std::string& format() const { return format_; }
  uint64_t bytes_mapped() const { return bytes_mapped_; }
  void log(int level, const std::string& msg) const;

 private:
  Context() = default;
  void finish_load(const ContextOptions& opts);

  ContextOptions opts_;
  std::unique_ptr<GgufFile> gguf_;
  std::unique_ptr<SafetensorsModel> st_;
  ModelConfig config_;
  Weights weights_;
  std::unique_ptr<Tokenizer> tokenizer_;
  SpecialTokens special_;
  const kernels::KernelTable* kernels_ = nullptr;
  std::unique_ptr<Decoder> decoder_;
  std::unique_ptr<GgufFile> mmproj_;
  std::unique_ptr<Projector> projector_;
  std::unique_ptr<ThreadPool> pool_;
  mutable std::mutex compute_mutex_;
  std::string format_;
  uint64_t bytes_mapped_ = 0;
};

}  // namespace g4
