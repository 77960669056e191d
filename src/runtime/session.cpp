#include "runtime/session.h"

#include <algorithm>
#include <chrono>

#include "base/error.h"
#include "runtime/utf8.h"

namespace g4 {

namespace {

int pick_n_ctx(const Context& ctx, int requested) {
  int train = ctx.config().n_ctx_train;
  if (requested < 0) fail(Status::invalid_argument, "n_ctx must be >= 0");
  if (requested > train)
    fail(Status::invalid_argument, "n_ctx " + std::to_string(requested) + " exceeds the model's context length " +
                                       std::to_string(train));
  return requested > 0 ? requested : std::min(train, 8192);
}

int pick_n_batch(int requested, int n_ctx) {
  if (requested < 0 || requested > 4096) fail(Status::invalid_argument, "n_batch must be in 0..4096");
  return std::min(requested > 0 ? requested : 512, n_ctx);
}

double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

Session::Session(std::shared_ptr<Context> ctx, const SessionOptions& opts)
    : ctx_(std::move(ctx)),
      opts_(opts),
      n_ctx_(pick_n_ctx(*ctx_, opts.n_ctx)),
      n_batch_(pick_n_batch(opts.n_batch, n_ctx_)),
      cache_(ctx_->config(), n_ctx_, n_batch_, opts.kv_type),
      act_(ctx_->config(), ctx_->weights(), n_batch_, n_ctx_, ctx_->pool().size()),
      sampler_(ctx_->config().n_vocab),
      logits_(static_cast<size_t>(ctx_->config().n_vocab)),
      work_(static_cast<size_t>(ctx_->config().n_vocab)) {
  sampler_.seed(opts.seed ? opts.seed : 0x5eed);
  tokens_.reserve(static_cast<size_t>(n_ctx_));
  bidir_.assign(static_cast<size_t>(n_batch_), 0);
}

void Session::reset() {
  tokens_.clear();
  soft_.clear();
  soft_kind_.clear();
  soft_block_.clear();
  next_block_ = 1;
  pending_.clear();
  logits_valid_ = false;
  awaiting_model_ = model_turn_open_ = false;
  model_turn_start_ = 0;
  model_output_.clear();
  sampler_.seed(opts_.seed ? opts_.seed : 0x5eed);
}

std::vector<int32_t> Session::history() const {
  std::vector<int32_t> h = tokens_;
  h.insert(h.end(), pending_.begin(), pending_.end());
  return h;
}

std::vector<int32_t> Session::displayed_history() const {
  std::vector<int32_t> h = history();
  for (int32_t& id : h)
    if (id < 0) id = soft_kind_[static_cast<size_t>(-id - 1)];
  return h;
}

int32_t Session::add_media(const InputPart& part) {
  const Context& c = *ctx_;
  const SpecialTokens& sp = c.special();
  const bool is_audio = part.kind == InputPart::Kind::audio;
  if (is_audio ? !c.has_audio() : !c.has_vision())
    fail(Status::unsupported, std::string("this context has no ") + (is_audio ? "audio" : "image") +
                                  " embedder: load the model with its projector (mmproj) to give " +
                                  (is_audio ? "audio" : "images or video"));
  const int32_t placeholder = is_audio ? sp.audio_soft
                              : part.kind == InputPart::Kind::video_frame ? sp.video_soft : sp.image_soft;
  if (placeholder < 0) fail(Status::unsupported, "the vocabulary lacks the media placeholder token");
  const int64_t n = soft_token_count(part);
  const int d = c.config().n_embd;
  if (static_cast<int64_t>(soft_kind_.size()) + n >= (int64_t{1} << 30))
    fail(Status::unsupported, "too many media soft tokens in one session");
  const size_t first = soft_kind_.size();
  soft_.resize((first + static_cast<size_t>(n)) * d);
  float* out = soft_.data() + first * d;
  {
    std::lock_guard<std::mutex> lock(c.compute_mutex());
    if (is_audio)
      c.projector()->embed_audio(part.audio.data(), part.audio.size(), out, c.kernels(), c.pool());
    else
      c.projector()->embed_image(part.image.rgb.data(), part.image.width, part.image.height, out, c.kernels(), c.pool());
  }
  const int32_t block = is_audio ? 0 : next_block_++;
  soft_kind_.insert(soft_kind_.end(), static_cast<size_t>(n), placeholder);
  soft_block_.insert(soft_block_.end(), static_cast<size_t>(n), block);
  return -static_cast<int32_t>(first) - 1;
}

const std::vector<float>& Session::logits() const {
  if (!logits_valid_) fail(Status::invalid_argument, "no logits: no position has been processed yet");
  return logits_;
}

void Session::check_tokens(const std::vector<int32_t>& ids) const {
  const int nv = ctx_->config().n_vocab;
  const int64_t n_soft = static_cast<int64_t>(soft_kind_.size());
  for (int32_t id : ids)
    if (id >= nv || (id < 0 && -static_cast<int64_t>(id) > n_soft))
      fail(Status::invalid_argument, "token id " + std::to_string(id) + " is outside the vocabulary [0, " +
                                         std::to_string(nv) + ")");
}

void Session::evaluate(const int32_t* ids, int n) {
  if (n <= 0) return;
  if (tokens_.size() + static_cast<size_t>(n) > static_cast<size_t>(n_ctx_))
    fail(Status::context_full, "the input needs " + std::to_string(tokens_.size() + n) +
                                   " positions but the session's context holds " + std::to_string(n_ctx_));
  logits_valid_ = false;
  const Context& c = *ctx_;
  const int base = static_cast<int>(tokens_.size());
  for (int off = 0; off < n;) {
    if (cancel_.load()) fail(Status::cancelled, "cancelled by gemma4_session_cancel()");
    if (opts_.progress && n > n_batch_ && !opts_.progress(static_cast<float>(off) / n))
      fail(Status::cancelled, "cancelled by the session's progress callback");
    int T = std::min(n_batch_, n - off);
    // An image block is prefilled in one batch: its tokens attend to each other (spec §3.6).
    if (off + T < n && block_of(ids[off + T]) != 0 && block_of(ids[off + T]) == block_of(ids[off + T - 1])) {
      int start = off + T - 1;
      while (start > off && block_of(ids[start - 1]) == block_of(ids[off + T])) --start;
      if (start == off)
        fail(Status::invalid_argument, "an image of more soft tokens than n_batch (" + std::to_string(n_batch_) +
                                           ") cannot be processed: raise the session's n_batch or lower the image's token budget");
      T = start - off;
    }
    bool any_block = false;
    for (int t = 0; t < T; ++t) {
      const int32_t b = block_of(ids[off + t]);
      int end = 0;
      if (b != 0) {
        end = off + t + 1;
        while (end < n && block_of(ids[end]) == b) ++end;
        end += base;
        any_block = true;
      }
      bidir_[t] = end;
    }
    const bool last = off + T == n;
    std::lock_guard<std::mutex> lock(c.compute_mutex());
    c.decoder().embed_tokens(ids + off, T, act_, soft_.data(), static_cast<int64_t>(soft_kind_.size()));
    c.decoder().forward(T, static_cast<int>(tokens_.size()), cache_, act_, c.pool(),
                        last ? logits_.data() : nullptr, &cancel_, any_block ? bidir_.data() : nullptr);
    tokens_.insert(tokens_.end(), ids + off, ids + off + T);
    off += T;
  }
  if (opts_.progress && n > n_batch_) opts_.progress(1.0f);
  logits_valid_ = true;
}

void Session::sync_to(const std::vector<int32_t>& target, double* ms) {
  auto t0 = std::chrono::steady_clock::now();
  if (target.size() > static_cast<size_t>(n_ctx_))
    fail(Status::context_full, "the conversation needs " + std::to_string(target.size()) +
                                   " tokens but the session's context holds " + std::to_string(n_ctx_));
  check_tokens(target);
  size_t common = 0;
  while (common < tokens_.size() && common < target.size() && tokens_[common] == target[common]) ++common;
  if (common == tokens_.size() && common == target.size() && logits_valid_) {
    pending_.clear();
    return;
  }
  // The last position must be (re)computed to have its logits.
  if (common == target.size() && common > 0) --common;
  // Never resume inside an image block: it must be prefilled as a whole.
  while (common > 0 && common < target.size() && block_of(target[common]) != 0 &&
         block_of(target[common - 1]) == block_of(target[common]))
    --common;
  if (common < tokens_.size()) {
    // Rewind: keep the prefix if every sliding-window ring still holds what it needs,
    // otherwise replay the whole conversation.
    if (!cache_.can_rewind_to(static_cast<int>(common), static_cast<int>(tokens_.size()))) common = 0;
    tokens_.resize(common);
    logits_valid_ = false;
  }
  pending_.clear();
  evaluate(target.data() + common, static_cast<int>(target.size() - common));
  if (ms) *ms += ms_since(t0);
}

std::vector<int32_t> Session::close_model_turn() const {
  // The open model turn is re-sent as the template renders history: thoughts removed, trimmed.
  std::vector<int32_t> out(tokens_.begin(), tokens_.begin() + static_cast<long>(model_turn_start_));
  std::string text;
  for (int32_t id : model_output_) text += ctx_->tokenizer().token_bytes(id);
  Input in;
  InputPart part;
  part.text = text;
  in.parts.push_back(std::move(part));
  render_turn(*ctx_, Role::model, in, opts_.thinking, true, MediaSink(), out);
  return out;
}

void Session::add_turn(Role role, const Input& input) {
  Running running(*this);
  std::vector<int32_t> target = model_turn_open_ ? close_model_turn() : history();
  if (role == Role::system && !target.empty())
    fail(Status::invalid_argument, "a system turn is only allowed as the first turn of a session");
  if (target.empty()) {
    if (ctx_->special().add_bos) target.push_back(ctx_->special().bos);
    if (role != Role::system && opts_.thinking) render_think_only_system(*ctx_, target);
  }
  render_turn(*ctx_, role, input, opts_.thinking, opts_.parse_special, media_sink(), target);
  sync_to(target);
  model_turn_open_ = false;
  model_output_.clear();
  awaiting_model_ = role != Role::model;
}

void Session::append(const Input& input) {
  Running running(*this);
  std::vector<int32_t> target = history();
  const bool first = target.empty();
  render_raw(*ctx_, input, opts_.parse_special, media_sink(), target);
  // BOS per the file's metadata, unless the caller's input already starts with it.
  const int32_t bos = ctx_->special().bos;
  if (first && ctx_->special().add_bos && (target.empty() || target[0] != bos)) target.insert(target.begin(), bos);
  sync_to(target);
  // Raw input leaves the chat template: no model turn is opened or rewritten automatically.
  awaiting_model_ = model_turn_open_ = false;
  model_output_.clear();
}

GenerateResult Session::generate(const GenerateOptions& g,
                                 const std::function<bool(const TokenEvent&)>& on_token) {
  Running running(*this);
  GenerateResult res;
  if (g.max_tokens < 0) fail(Status::invalid_argument, "max_tokens must be >= 0");
  if (g.seed) sampler_.seed(g.seed);
  const auto t_start = std::chrono::steady_clock::now();
  const size_t before = tokens_.size();
  try {
    if (awaiting_model_) {
      std::vector<int32_t> target = history();
      model_turn_start_ = target.size();
      render_generation_prompt(*ctx_, opts_.thinking, target);
      sync_to(target);
      awaiting_model_ = false;
      model_turn_open_ = true;
      model_output_.clear();
    } else if (!pending_.empty() || (!tokens_.empty() && !logits_valid_)) {
      sync_to(history());
    }
  } catch (const Error& e) {
    if (e.status() != Status::cancelled) throw;
    res.stop = StopReason::cancelled;
    return res;
  }
  if (tokens_.empty()) fail(Status::invalid_argument, "nothing to generate from: the session is empty");
  res.n_prompt = static_cast<int>(tokens_.size() > before ? tokens_.size() - before : 0);
  res.prefill_ms = ms_since(t_start);

  const auto t_decode = std::chrono::steady_clock::now();
  const SpecialTokens& sp = ctx_->special();
  const Tokenizer& tk = ctx_->tokenizer();
  std::string held;     // text not yet delivered: an incomplete character or a stop-string prefix
  std::string deliver;  // text of the current event
  for (;;) {
    if (g.max_tokens > 0 && res.n_generated >= g.max_tokens) {
      res.stop = StopReason::max_tokens;
      break;
    }
    if (cancel_.load()) {
      res.stop = StopReason::cancelled;
      break;
    }
    if (tokens_.size() >= static_cast<size_t>(n_ctx_)) {  // no room to keep another token
      res.stop = StopReason::context_full;
      break;
    }
    std::copy(logits_.begin(), logits_.end(), work_.begin());
    const int32_t tok = sampler_.sample(work_.data(), g.sampling, tokens_, sp.suppress);
    ++res.n_generated;
    const bool is_stop = std::find(sp.stop.begin(), sp.stop.end(), tok) != sp.stop.end();
    const bool is_special = tk.is_special(tok);
    const bool last = is_stop || (g.max_tokens > 0 && res.n_generated >= g.max_tokens);
    // Control tokens are silent unless asked for; user-defined specials (<|channel>, ...) render.
    if (!tk.is_control(tok) || g.render_special) held += tk.token_bytes(tok);

    bool hit_stop_string = false;
    size_t complete = utf8_complete_prefix(held);
    size_t cut = complete;  // deliver held[0, cut)
    size_t match = std::string::npos, match_len = 0;
    for (const auto& s : g.stop_strings) {
      if (s.empty()) continue;
      size_t p = held.find(s);
      if (p != std::string::npos && p < match) {
        match = p;
        match_len = s.size();
      }
    }
    if (match != std::string::npos) {
      cut = match;
      hit_stop_string = true;
    } else if (!last) {
      // Hold back a suffix that could be the start of a stop string.
      for (const auto& s : g.stop_strings) {
        for (size_t k = std::min(s.size() - (s.empty() ? 0 : 1), complete); k > 0; --k) {
          if (held.compare(complete - k, k, s, 0, k) == 0) {
            cut = std::min(cut, complete - k);
            break;
          }
        }
      }
    }
    deliver = utf8_sanitize(held.substr(0, cut));
    held.erase(0, hit_stop_string ? cut + match_len : cut);
    if (hit_stop_string) held.clear();

    if (!is_stop) {
      pending_.assign(1, tok);
      if (model_turn_open_) model_output_.push_back(tok);
    }
    bool stop_requested = false;
    if (on_token) {
      TokenEvent ev{tok, &deliver, is_special, res.n_generated};
      stop_requested = on_token(ev);
    }
    if (is_stop) {
      res.stop = StopReason::eos;
      break;
    }
    if (hit_stop_string) {
      res.stop = StopReason::stop_string;
      break;
    }
    if (stop_requested) {
      res.stop = StopReason::callback;
      break;
    }
    if (last) {
      res.stop = StopReason::max_tokens;
      break;
    }
    try {
      evaluate(pending_.data(), 1);
      pending_.clear();
    } catch (const Error& e) {
      if (e.status() != Status::cancelled) throw;
      res.stop = StopReason::cancelled;
      break;
    }
  }
  res.decode_ms = ms_since(t_decode);
  return res;
}

}  // namespace g4

