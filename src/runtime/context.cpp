#include "runtime/context.h"

#include <sys/stat.h>
#include <unistd.h>

#include "base/error.h"
#include "io/json.h"

namespace g4 {

namespace {

bool is_directory(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

int online_cpus() {
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? static_cast<int>(n) : 1;
}

// Touches every page of the weights once so that a progress bar moves while they are read from
// disk (mmap reads lazily otherwise). Cheap when the pages are already cached.
void prefault(const Weights& w, const std::function<bool(float)>& progress) {
  std::vector<const MatView*> mats = {&w.embed};
  for (const auto& l : w.layers)
    for (const MatView* m : {&l.q, &l.k, &l.v, &l.o, &l.gate, &l.up, &l.down})
      if (m->data) mats.push_back(m);
  uint64_t total = 0, done = 0;
  for (const MatView* m : mats) total += m->row_bytes * static_cast<uint64_t>(m->rows);
  volatile uint8_t sink = 0;
  for (const MatView* m : mats) {
    const uint8_t* p = static_cast<const uint8_t*>(m->data);
    uint64_t n = m->row_bytes * static_cast<uint64_t>(m->rows);
    for (uint64_t i = 0; i < n; i += 4096) sink = sink + p[i];
    done += n;
    if (!progress(0.1f + 0.9f * static_cast<float>(done) / static_cast<float>(total ? total : 1)))
      fail(Status::cancelled, "model loading cancelled by the progress callback");
  }
  (void)sink;
}

}  // namespace

void Context::log(int level, const std::string& msg) const {
  if (opts_.log && level <= opts_.log_level) opts_.log(level, msg);
}

std::shared_ptr<Context> Context::load(const std::string& path, const ContextOptions& opts) {
  std::shared_ptr<Context> ctx(new Context());
  ctx->opts_ = opts;
  auto progress = [&](float f) { return !opts.progress || opts.progress(f); };
  if (!progress(0.0f)) fail(Status::cancelled, "model loading cancelled by the progress callback");

  if (is_directory(path)) {
    // Hugging Face folder: config.json + tokenizer.json + safetensors shard(s) (spec §7.1).
    ctx->format_ = "safetensors";
    Json cfg = Json::parse(read_text_file(path + "/config.json"));
    ctx->config_ = config_from_hf(cfg);
    Json tok = Json::parse(read_text_file(path + "/tokenizer.json"));
    ctx->tokenizer_ = Tokenizer::from_hf_json(tok);
    ctx->st_ = SafetensorsModel::open(path, opts.use_mmap);
    ctx->bytes_mapped_ = ctx->st_->bytes_mapped();
    SafetensorsModel* st = ctx->st_.get();
    ctx->weights_ = load_weights(ctx->config_, [st](const std::string& n) { return st->tensor(n); },
                                 TensorNaming::hf);
    ctx->projector_ = Projector::from_hf([st](const std::string& n) { return st->tensor(n); }, ctx->config_.n_embd,
                                         opts.want_vision, opts.want_audio);
  } else {
    ctx->format_ = "gguf";
    ctx->gguf_ = GgufFile::open(path, opts.use_mmap);
    ctx->bytes_mapped_ = ctx->gguf_->file_size();
    ctx->config_ = config_from_gguf(*ctx->gguf_);
    ctx->tokenizer_ = Tokenizer::from_gguf(*ctx->gguf_);
    GgufFile* g = ctx->gguf_.get();
    ctx->weights_ = load_weights(ctx->config_, [g](const std::string& n) { return g->tensor(n); },
                                 TensorNaming::gguf);
    bool add_bos = true;
    if (g->get_bool("tokenizer.ggml.add_bos_token", add_bos)) ctx->special_.add_bos = add_bos;
  }
  if (!opts.mmproj_path.empty() && (opts.want_vision || opts.want_audio)) {
    ctx->mmproj_ = GgufFile::open(opts.mmproj_path, opts.use_mmap);
    ctx->bytes_mapped_ += ctx->mmproj_->file_size();
    ctx->projector_ = Projector::from_gguf(*ctx->mmproj_, ctx->config_.n_embd, opts.want_vision, opts.want_audio);
  }
  if (!progress(0.1f)) fail(Status::cancelled, "model loading cancelled by the progress callback");
  ctx->config_.validate();
  if (ctx->tokenizer_->n_vocab() != ctx->config_.n_vocab)
    fail(Status::bad_format, "tokenizer has " + std::to_string(ctx->tokenizer_->n_vocab()) +
                                 " tokens but the model's vocabulary size is " + std::to_string(ctx->config_.n_vocab));
  ctx->finish_load(opts);
  if (opts.progress) prefault(ctx->weights_, progress);
  progress(1.0f);
  return ctx;
}

void Context::finish_load(const ContextOptions& opts) {
  const Tokenizer& tk = *tokenizer_;
  SpecialTokens& s = special_;
  s.pad = tk.find("<pad>");
  s.eos = tk.find("<eos>");
  s.bos = tk.find("<bos>");
  s.turn_start = tk.find("<|turn>");
  s.turn_end = tk.find("<turn|>");
  s.think = tk.find("<|think|>");
  s.channel_start = tk.find("<|channel>");
  s.channel_end = tk.find("<channel|>");
  s.image_start = tk.find("<|image>");
  s.image_end = tk.find("<image|>");
  s.audio_start = tk.find("<|audio>");
  s.audio_end = tk.find("<audio|>");
  s.tool_response_start = tk.find("<|tool_response>");
  s.image_soft = tk.find("<|image|>");
  s.audio_soft = tk.find("<|audio|>");
  s.video_soft = tk.find("<|video|>");
  for (int32_t id : {s.eos, s.turn_end, s.tool_response_start})
    if (id >= 0) s.stop.push_back(id);
  for (int32_t id : {s.image_end, s.audio_end})
    if (id >= 0) s.suppress.push_back(id);
  if (s.bos < 0) s.add_bos = false;

  kernels::Isa isa = kernels::detect_isa();
  kernels_ = kernels::kernel_table(isa);
  if (!kernels_) fail(Status::internal, "no kernel table for the detected ISA");
  int n = opts.n_threads > 0 ? opts.n_threads : online_cpus();
  pool_ = std::make_unique<ThreadPool>(n);
  decoder_ = std::make_unique<Decoder>(config_, weights_, *kernels_);
  log(2, "loaded " + format_ + " model: " + std::to_string(config_.n_layer()) + " layers, d " +
             std::to_string(config_.n_embd) + ", vocab " + std::to_string(config_.n_vocab) + ", weights " +
             weights_.type_summary + ", " + std::to_string(n) + " threads, kernels " + kernels::isa_name(isa));
}

}  // namespace g4
