// One conversation: KV cache, token history, chat state and sampler (design.md). Used by one
// thread at a time; cancel() may come from any thread.
#pragma once
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "model/decoder.h"
#include "model/kv_cache.h"
#include "runtime/chat_template.h"
#include "runtime/context.h"
#include "runtime/input.h"
#include "runtime/sampler.h"

namespace g4 {

struct SessionOptions {
  int n_ctx = 0;     // 0 = min(model, 8192)
  int n_batch = 0;   // 0 = 512
  bool thinking = false;
  bool parse_special = true;
  uint64_t seed = 0x5eed;
  DType kv_type = DType::F16;
  std::function<bool(float)> progress;  // prompt progress; false cancels
};

struct GenerateOptions {
  int max_tokens = 512;  // 0 = until the context is full
  SamplingParams sampling;
  uint64_t seed = 0;     // 0 = keep the session's random stream
  std::vector<std::string> stop_strings;
  bool render_special = false;
};

enum class StopReason { none = 0, eos, stop_string, max_tokens, callback, cancelled, context_full };

struct TokenEvent {
  int32_t token;
  const std::string* text;
  bool is_special;
  int n_generated;
};

struct GenerateResult {
  StopReason stop = StopReason::none;
  int n_generated = 0;
  int n_prompt = 0;
  double prefill_ms = 0, decode_ms = 0;
};

class Session {
 public:
  Session(std::shared_ptr<Context> ctx, const SessionOptions& opts);

  void reset();
  void add_turn(Role role, const Input& input);
  void append(const Input& input);
  // Returns the outcome; throws Error(cancelled / context_full) for those stops.
  GenerateResult generate(const GenerateOptions& opts, const std::function<bool(const TokenEvent&)>& on_token);
  void cancel() {
    if (running_.load()) cancel_.store(true);
  }
  const std::vector<float>& logits() const;  // throws if no position was processed
  std::vector<int32_t> history() const;      // evaluated tokens, then any pending one
  // history() with media soft tokens shown as their placeholder ids (<|image|>, <|audio|>, ...)
  std::vector<int32_t> displayed_history() const;
  int n_tokens() const { return static_cast<int>(tokens_.size() + pending_.size()); }
  int n_ctx() const { return n_ctx_; }
  uint64_t kv_bytes() const { return cache_.bytes(); }
  const Context& context() const { return *ctx_; }

 private:
  void check_tokens(const std::vector<int32_t>& ids) const;
  // Runs the embedder on a media part, appends its rows to the soft-token store and returns the
  // pseudo id of the first row (see MediaSink).
  int32_t add_media(const InputPart& part);
  MediaSink media_sink() {
    return [this](const InputPart& p) { return add_media(p); };
  }
  // Image block of a position in `ids`: 0 for none, else a block id (soft_block_ of the row).
  int32_t block_of(int32_t id) const { return id < 0 ? soft_block_[static_cast<size_t>(-id - 1)] : 0; }
  // Makes the context hold exactly `target`: keeps the longest common prefix still usable in
  // the KV cache, evaluates the rest. Throws context_full before changing anything.
  void sync_to(const std::vector<int32_t>& target, double* ms = nullptr);
  void evaluate(const int32_t* ids, int n);  // appends to tokens_, computes logits of the last
  std::vector<int32_t> close_model_turn() const;  // history with the open model turn re-rendered

  struct Running {  // marks a public call as running (for cancel) and clears the request
    explicit Running(Session& s) : s_(s) {
      s_.cancel_.store(false);
      s_.running_.store(true);
    }
    ~Running() {
      s_.running_.store(false);
      s_.cancel_.store(false);
    }
    Session& s_;
  };

  std::shared_ptr<Context> ctx_;
  SessionOptions opts_;
  int n_ctx_ = 0, n_batch_ = 0;
  KvCache cache_;
  Activations act_;
  Sampler sampler_;
  std::vector<int32_t> tokens_;   // evaluated: tokens_[i] is at position i
  std::vector<int32_t> pending_;  // sampled but not yet evaluated (at most one)
  std::vector<float> logits_;     // of the last evaluated position
  std::vector<float> work_;       // sampler's copy of the logits
  // Soft tokens of the media in the history: row k (n_embd floats) is pseudo token -(k+1).
  std::vector<float> soft_;
  std::vector<int32_t> soft_kind_;   // per row: the placeholder id shown for it (<|image|>, ...)
  std::vector<int32_t> soft_block_;  // per row: image block id (bidirectional), 0 for audio
  int32_t next_block_ = 1;
  std::vector<int32_t> bidir_;       // per row of a forward batch: absolute end of its image block
  bool logits_valid_ = false;
  // Chat state.
  bool awaiting_model_ = false;   // last turn was user/system: generate opens a model turn
  bool model_turn_open_ = false;  // generate opened a model turn that no add_turn closed yet
  size_t model_turn_start_ = 0;   // index in tokens_ of that turn's <|turn>
  std::vector<int32_t> model_output_;  // tokens generated in the open model turn
  std::atomic<bool> cancel_{false};
  std::atomic<bool> running_{false};
};

}  // namespace g4
