// gemma4-cli: generate from a prompt, or chat, with a Gemma 4 model through the public C API.
// Uses only include/gemma4.h. Exit status: 0 ok, 1 usage, 2 runtime error, 130 interrupted.
#include <gemma4.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "console.h"
#include "options.h"
#include "video.h"

namespace cli {
namespace {

constexpr int kExitOk = 0, kExitUsage = 1, kExitRuntime = 2, kExitInterrupted = 130;
// In --raw prompts, where the media go (the marker llama.cpp's mtmd tools use, so one prompt
// file drives both engines in comparisons).
constexpr char kMediaMarker[] = "<__media__>";

// Prints the failed call, the status name and the library's message for this thread.
bool ok(gemma4_status st, const char* what) {
  if (st == GEMMA4_OK) return true;
  std::fprintf(stderr, "gemma4-cli: %s: %s: %s\n", what, gemma4_status_string(st), gemma4_last_error());
  return false;
}

void log_to_stderr(void*, int32_t level, const char* message) {
  static const char* const kNames[] = {"error", "warn", "info", "debug"};
  std::fprintf(stderr, "[%s] %s\n", level >= 0 && level <= 3 ? kNames[level] : "?", message);
}

int32_t on_progress(void* user_data, float fraction) {
  static_cast<Progress*>(user_data)->update(fraction);
  return Interrupts::interrupted() ? 1 : 0;  // non-zero cancels the load / prefill
}

// State of the token callback: prints pieces as they come, dims the thought channel.
struct Printer {
  int32_t channel_start = -1, channel_end = -1;
  bool dim = false;  // stdout is a terminal
  bool in_thought = false;
  Progress* prefill = nullptr;
};

int32_t on_token(void* user_data, const gemma4_token_event* ev) {
  auto* p = static_cast<Printer*>(user_data);
  if (p->prefill) p->prefill->clear();
  // The thought channel's markers are not shown; on a terminal its text is dimmed instead.
  if (ev->token == p->channel_start && p->channel_start >= 0) {
    p->in_thought = true;
    if (p->dim) std::fputs("\033[2m", stdout);
  } else if (ev->token == p->channel_end && p->channel_end >= 0) {
    p->in_thought = false;
    if (p->dim) std::fputs("\033[0m", stdout);
  } else {
    std::fwrite(ev->text, 1, ev->text_len, stdout);
  }
  std::fflush(stdout);  // stream: stdout is fully buffered when it is a pipe
  return Interrupts::interrupted() ? 1 : 0;
}

class Cli {
 public:
  explicit Cli(const Options& o) : o_(o), prefill_("prompt", 500) {}
  ~Cli() {
    gemma4_session_free(session_);
    gemma4_context_free(ctx_);
  }
  int run();

 private:
  bool load();
  bool create_session();
  int tokenize_only();
  int tokenize_with_media();
  bool bos_per_metadata(bool* add_bos);
  gemma4_status add_media(gemma4_input* in, const Media& m, std::string* err);
  gemma4_status build_input(gemma4_input* in, const std::string& text, bool with_media, std::string* what,
                            std::string* err);
  gemma4_status check_fits(const gemma4_input* in, std::string* what, std::string* err);
  gemma4_status feed(const std::string& text);
  bool write_logits();
  gemma4_status generate(gemma4_generate_result* res);
  int generate_once();
  int chat();

  Options o_;
  gemma4_context* ctx_ = nullptr;
  gemma4_session* session_ = nullptr;
  Interrupts interrupts_;
  Progress prefill_;
  bool system_pending_ = false;
  bool media_pending_ = false;  // the media go into the first user turn (or raw append) only
};

bool Cli::load() {
  Progress bar("loading", 0);
  gemma4_context_params cp;
  if (!ok(gemma4_context_params_default(&cp), "gemma4_context_params_init")) return false;
  cp.n_threads = o_.n_threads;
  cp.use_mmap = o_.no_mmap ? 0 : 1;
  if (o_.verbose > 0) {
    cp.log_fn = log_to_stderr;
    cp.log_level = o_.verbose > 1 ? GEMMA4_LOG_DEBUG : GEMMA4_LOG_INFO;
  }
  cp.progress_fn = on_progress;
  cp.progress_user_data = &bar;
  if (!o_.mmproj.empty()) cp.mmproj_path = o_.mmproj.c_str();
  // Media come from the command line only, so the embedders needed are known now: the others
  // are not mapped or bound (a text-only run maps none). A kind the files lack is reported
  // when the turn is added (UNSUPPORTED).
  cp.modalities = GEMMA4_MODALITY_TEXT;
  for (const Media& m : o_.media) {
    if (m.kind != Media::Kind::audio) cp.modalities |= GEMMA4_MODALITY_IMAGE;
    if (m.kind != Media::Kind::image) cp.modalities |= GEMMA4_MODALITY_AUDIO;  // a video's soundtrack
  }
  gemma4_status st = gemma4_context_create(o_.model.c_str(), &cp, &ctx_);
  bar.clear();
  return ok(st, "gemma4_context_create");
}

bool Cli::create_session() {
  gemma4_session_params sp;
  if (!ok(gemma4_session_params_default(&sp), "gemma4_session_params_init")) return false;
  sp.n_ctx = o_.n_ctx;
  sp.thinking = o_.think ? 1 : 0;
  sp.kv_type = o_.kv_type;
  if (o_.seed) sp.seed = *o_.seed;
  sp.progress_fn = on_progress;
  sp.progress_user_data = &prefill_;
  system_pending_ = !o_.system.empty();
  return ok(gemma4_session_create(ctx_, &sp, &session_), "gemma4_session_create");
}

// Whether gemma4_session_append() puts <bos> first on this model (the file's metadata).
bool Cli::bos_per_metadata(bool* add_bos) {
  gemma4_model_info info;
  info.struct_size = sizeof info;
  if (!ok(gemma4_context_info(ctx_, &info), "gemma4_context_info")) return false;
  *add_bos = info.add_bos != 0;
  return true;
}

int Cli::tokenize_only() {
  bool bos = false;
  if (!bos_per_metadata(&bos)) return kExitRuntime;
  const int32_t flags = GEMMA4_TOKENIZE_PARSE_SPECIAL | (bos ? GEMMA4_TOKENIZE_ADD_BOS : 0);
  size_t n = 0;
  gemma4_status st = gemma4_tokenize(ctx_, o_.prompt.data(), o_.prompt.size(), flags, nullptr, 0, &n);
  if (st != GEMMA4_ERR_BUFFER_TOO_SMALL && !ok(st, "gemma4_tokenize")) return kExitRuntime;
  std::vector<int32_t> ids(n);
  if (!ok(gemma4_tokenize(ctx_, o_.prompt.data(), o_.prompt.size(), flags, ids.data(), ids.size(), &n),
          "gemma4_tokenize"))
    return kExitRuntime;
  for (size_t i = 0; i < n; ++i) std::printf(i ? " %d" : "%d", ids[i]);
  std::printf("\n");
  return kExitOk;
}

// Number of <__media__> markers in text.
size_t count_markers(const std::string& text) {
  size_t n = 0;
  for (size_t at = text.find(kMediaMarker); at != std::string::npos; at = text.find(kMediaMarker, at + 1)) ++n;
  return n;
}

// Adds one command-line media item to `in`. The library decodes (and shrinks) it right away,
// so a bad file fails here, naming the file.
gemma4_status Cli::add_media(gemma4_input* in, const Media& m, std::string* err) {
  gemma4_status st = GEMMA4_OK;
  const char* flag = "--image";
  if (m.kind == Media::Kind::image) {
    st = gemma4_input_add_image_file(in, m.path.c_str(), o_.image_tokens);
  } else if (m.kind == Media::Kind::audio) {
    flag = "--audio";
    st = gemma4_input_add_audio_file(in, m.path.c_str());
  } else {
    gemma4_model_info info;
    info.struct_size = sizeof info;
    st = gemma4_context_info(ctx_, &info);
    if (st != GEMMA4_OK) return *err = gemma4_last_error(), st;
    // --video-tokens, else --image-tokens, else 70: frames cost less than images by default so
    // that minutes of video fit a context (5 min at 1 fps: 300 x ~76 tokens).
    const int32_t budget = o_.video_tokens ? o_.video_tokens : o_.image_tokens ? o_.image_tokens : 70;
    VideoSummary vs;
    // A model without the audio embedder still sees the frames; the soundtrack is left out.
    st = add_video(in, m.path, o_.video_fps, budget, info.has_audio != 0, Interrupts::interrupted, &vs, err);
    if (st == GEMMA4_OK && o_.verbose > 0)
      std::fprintf(stderr, "[video] %s: %d frames of %dx%d up to %.1f s, %.1f s of audio\n", m.path.c_str(),
                   vs.n_frames, vs.width, vs.height, vs.duration_s, vs.audio_s);
    return st;
  }
  if (st != GEMMA4_OK) *err = std::string(flag) + " '" + m.path + "': " + gemma4_last_error();
  return st;
}

// Fills `in` with one user turn's (or raw append's) parts. Chat: the media in command-line
// order, then the text. Raw: the text with each <__media__> marker replaced, in order, by
// the next media item (run() has checked that the counts agree).
gemma4_status Cli::build_input(gemma4_input* in, const std::string& text, bool with_media, std::string* what,
                               std::string* err) {
  auto add_text = [&](const std::string& t) {
    if (t.empty()) return GEMMA4_OK;
    gemma4_status st = gemma4_input_add_text(in, t.data(), t.size());
    if (st != GEMMA4_OK) *what = "gemma4_input_add_text", *err = gemma4_last_error();
    return st;
  };
  gemma4_status st = GEMMA4_OK;
  if (!with_media) return add_text(text);
  *what = "media";
  if (!o_.raw) {
    for (const Media& m : o_.media)
      if ((st = add_media(in, m, err)) != GEMMA4_OK) return st;
    return add_text(text);
  }
  size_t from = 0;
  for (const Media& m : o_.media) {
    const size_t at = text.find(kMediaMarker, from);
    if (at == std::string::npos) {  // a chat line of --raw -i: checked only now
      *err = "the input has fewer " + std::string(kMediaMarker) + " markers than media given";
      return GEMMA4_ERR_INVALID_ARGUMENT;
    }
    if ((st = add_text(text.substr(from, at - from))) != GEMMA4_OK) return st;
    if ((st = add_media(in, m, err)) != GEMMA4_OK) return st;
    from = at + std::strlen(kMediaMarker);
  }
  if (text.find(kMediaMarker, from) != std::string::npos) {
    *err = "the input has more " + std::string(kMediaMarker) + " markers than media given";
    return GEMMA4_ERR_INVALID_ARGUMENT;
  }
  return add_text(text.substr(from));
}

// With media, says what the input costs before any of it runs, and refuses an input the
// context cannot hold (the library would too, but only after running the embedders).
gemma4_status Cli::check_fits(const gemma4_input* in, std::string* what, std::string* err) {
  size_t n = 0;
  gemma4_status st = gemma4_input_n_tokens(ctx_, in, &n);
  if (st != GEMMA4_OK) return *what = "gemma4_input_n_tokens", *err = gemma4_last_error(), st;
  const int32_t used = gemma4_session_n_tokens(session_), n_ctx = gemma4_session_n_ctx(session_);
  std::fprintf(stderr, "gemma4-cli: input: %zu tokens (context %d, %d used)\n", n, n_ctx, used);
  if (static_cast<double>(n) + used > n_ctx) {
    *what = "input";
    *err = "the input takes " + std::to_string(n) + " tokens, more than the " + std::to_string(n_ctx - used) +
           " left in the context (raise -c, or lower --video-fps, --video-tokens or --image-tokens)";
    return GEMMA4_ERR_CONTEXT_FULL;
  }
  return GEMMA4_OK;
}

// Prefills one piece of input: a user turn (after the pending system turn) or, with --raw,
// the input as is. Ctrl-C cancels it through the watcher.
gemma4_status Cli::feed(const std::string& text) {
  gemma4_input* in = nullptr;
  gemma4_status st = gemma4_input_create(&in);
  if (st != GEMMA4_OK) return ok(st, "gemma4_input_create"), st;
  BusyScope busy(&interrupts_, session_);
  std::string what, err;
  // Records the failing call and the library's message: later gemma4_* calls (input_free
  // included) reset this thread's last error.
  auto call = [&](gemma4_status s, const char* name) {
    if (s != GEMMA4_OK) what = name, err = gemma4_last_error();
    return s;
  };
  if (!o_.raw && system_pending_) {
    st = call(gemma4_input_add_text(in, o_.system.data(), o_.system.size()), "gemma4_input_add_text");
    if (st == GEMMA4_OK) st = call(gemma4_session_add_turn(session_, GEMMA4_ROLE_SYSTEM, in), "gemma4_session_add_turn");
    if (st == GEMMA4_OK) system_pending_ = false;
    if (st == GEMMA4_OK) st = call(gemma4_input_clear(in), "gemma4_input_clear");
  }
  const bool with_media = media_pending_;
  if (st == GEMMA4_OK) st = build_input(in, text, with_media, &what, &err);
  if (st == GEMMA4_OK && with_media) st = check_fits(in, &what, &err);
  if (st == GEMMA4_OK) {
    prefill_.reset();
    st = o_.raw ? call(gemma4_session_append(session_, in), "gemma4_session_append")
                : call(gemma4_session_add_turn(session_, GEMMA4_ROLE_USER, in), "gemma4_session_add_turn");
    prefill_.clear();
  }
  if (st == GEMMA4_OK) media_pending_ = false;
  gemma4_input_free(in);
  if (st != GEMMA4_OK && st != GEMMA4_ERR_CANCELLED)
    std::fprintf(stderr, "gemma4-cli: %s: %s: %s\n", what.c_str(), gemma4_status_string(st), err.c_str());
  return st;
}

// --tokenize with media: the ids exist only once the library has rendered the media parts, so
// the input is appended to a session (running the model once) and its history printed; soft
// tokens show as their placeholders (<|image|>, <|audio|>, <|video|>).
int Cli::tokenize_with_media() {
  o_.logits_out.clear();
  if (!create_session()) return kExitRuntime;
  gemma4_status st = feed(o_.prompt);
  if (st == GEMMA4_ERR_CANCELLED || Interrupts::interrupted()) return kExitInterrupted;
  if (st != GEMMA4_OK) return kExitRuntime;
  std::vector<int32_t> ids(static_cast<size_t>(gemma4_session_n_tokens(session_)));
  size_t n = 0;
  if (!ok(gemma4_session_tokens(session_, ids.data(), ids.size(), &n), "gemma4_session_tokens"))
    return kExitRuntime;
  for (size_t i = 0; i < n; ++i) std::printf(i ? " %d" : "%d", ids[i]);
  std::printf("\n");
  return kExitOk;
}

// --logits-out: the logits of the last position processed so far, as raw float32 LE.
bool Cli::write_logits() {
  size_t n_vocab = 0;
  gemma4_status st = gemma4_session_logits(session_, nullptr, 0, &n_vocab);
  if (st != GEMMA4_ERR_BUFFER_TOO_SMALL && !ok(st, "gemma4_session_logits")) return false;
  std::vector<float> logits(n_vocab);
  if (!ok(gemma4_session_logits(session_, logits.data(), logits.size(), &n_vocab), "gemma4_session_logits"))
    return false;
  std::vector<unsigned char> bytes(n_vocab * 4);
  for (size_t i = 0; i < n_vocab; ++i) {  // byte order spelled out, independent of the host's
    uint32_t u;
    std::memcpy(&u, &logits[i], 4);
    for (int b = 0; b < 4; ++b) bytes[i * 4 + b] = static_cast<unsigned char>(u >> (8 * b));
  }
  FILE* f = std::fopen(o_.logits_out.c_str(), "wb");
  bool good = f && std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
  if (f && std::fclose(f) != 0) good = false;
  if (!good) std::fprintf(stderr, "gemma4-cli: --logits-out: cannot write '%s': %s\n", o_.logits_out.c_str(),
                          std::strerror(errno));
  return good;
}

gemma4_status Cli::generate(gemma4_generate_result* res) {
  gemma4_generate_params gp;
  gemma4_generate_params_default(&gp);
  gp.max_tokens = o_.n_predict < 0 ? 0 : o_.n_predict;
  if (o_.temperature) gp.temperature = *o_.temperature;
  if (o_.top_k) gp.top_k = *o_.top_k;
  if (o_.top_p) gp.top_p = *o_.top_p;
  if (o_.min_p) gp.min_p = *o_.min_p;
  if (o_.repeat_penalty) gp.repeat_penalty = *o_.repeat_penalty;
  if (o_.repeat_last_n) gp.repeat_last_n = *o_.repeat_last_n;
  std::vector<const char*> stops;
  for (const auto& s : o_.stops) stops.push_back(s.c_str());
  gp.stop_strings = stops.empty() ? nullptr : stops.data();
  gp.n_stop_strings = stops.size();

  Printer printer;
  printer.channel_start = gemma4_special_token(ctx_, GEMMA4_TOKEN_CHANNEL_START);
  printer.channel_end = gemma4_special_token(ctx_, GEMMA4_TOKEN_CHANNEL_END);
  printer.dim = stdout_is_tty();
  printer.prefill = &prefill_;
  res->struct_size = sizeof *res;
  BusyScope busy(&interrupts_, session_);
  prefill_.reset();
  gemma4_status st = gemma4_session_generate(session_, &gp, on_token, &printer, res);
  prefill_.clear();
  if (printer.in_thought && printer.dim) std::fputs("\033[0m", stdout);  // never leave it dim
  std::fflush(stdout);
  if (o_.verbose > 0 && st == GEMMA4_OK) {
    std::fprintf(stderr, "[stats] prompt %d tok %.1f ms (%.1f t/s), generated %d tok %.1f ms (%.1f t/s), stop %d\n",
                 res->n_prompt, res->prefill_ms, res->prefill_ms > 0 ? 1e3 * res->n_prompt / res->prefill_ms : 0.0,
                 res->n_generated, res->decode_ms, res->decode_ms > 0 ? 1e3 * res->n_generated / res->decode_ms : 0.0,
                 res->stop_reason);
  }
  return st;
}

int Cli::generate_once() {
  gemma4_status st = feed(o_.prompt);
  if (st == GEMMA4_ERR_CANCELLED || Interrupts::interrupted()) return kExitInterrupted;
  if (st != GEMMA4_OK) return kExitRuntime;
  if (!o_.logits_out.empty() && !write_logits()) return kExitRuntime;
  if (o_.n_predict == 0) return kExitOk;
  gemma4_generate_result res = {};
  st = generate(&res);
  std::fputs("\n", stdout);
  if (st == GEMMA4_ERR_CANCELLED || Interrupts::interrupted()) return kExitInterrupted;
  return ok(st, "gemma4_session_generate") ? kExitOk : kExitRuntime;
}

int Cli::chat() {
  const bool tty = stdin_is_tty();
  bool first = true;
  std::string line;
  for (;;) {
    Interrupts::clear();
    if (first && o_.have_prompt) {
      line = o_.prompt;  // -i -p TEXT: TEXT is the first turn
    } else {
      if (tty) std::fputs("\n> ", stdout), std::fflush(stdout);
      interrupts_.set_waiting_for_input(true);
      bool got = static_cast<bool>(std::getline(std::cin, line));
      interrupts_.set_waiting_for_input(false);
      if (!got) break;
      if (!line.empty() && line.back() == '\r') line.pop_back();
    }
    first = false;
    if (line == "/exit" || line == "/quit") break;
    if (line == "/reset") {
      if (!ok(gemma4_session_reset(session_), "gemma4_session_reset")) return kExitRuntime;
      system_pending_ = !o_.system.empty();
      std::fputs("(conversation reset)\n", stdout);
      continue;
    }
    if (line.empty()) continue;
    gemma4_status st = feed(o_.raw ? line + "\n" : line);
    if (st == GEMMA4_OK) {
      gemma4_generate_result res = {};
      st = generate(&res);
      std::fputs("\n", stdout);
      if (st != GEMMA4_OK && st != GEMMA4_ERR_CANCELLED && st != GEMMA4_ERR_CONTEXT_FULL)
        ok(st, "gemma4_session_generate");
    }
    if (st == GEMMA4_ERR_CANCELLED || Interrupts::interrupted()) {
      std::fputs("[interrupted]\n", stdout);
    } else if (st == GEMMA4_ERR_CONTEXT_FULL) {
      std::fputs("[context full: /reset starts a new conversation]\n", stdout);
    } else if (st != GEMMA4_OK) {
      return kExitRuntime;
    }
  }
  return kExitOk;
}

int Cli::run() {
  const bool interactive = o_.interactive || (!o_.have_prompt && stdin_is_tty());
  if (!interactive && !o_.have_prompt) {  // a pipe with no -p/-f: the prompt is stdin
    o_.prompt.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
    o_.have_prompt = true;
  }
  if (interactive && !o_.logits_out.empty()) {
    std::fprintf(stderr, "gemma4-cli: --logits-out needs a prompt (-p or -f)\n");
    return kExitUsage;
  }
  // --raw (and --tokenize, which has raw semantics) places media at markers: check the counts
  // before loading anything. In a chat, the media join the first user turn.
  if (o_.tokenize) o_.raw = true;
  media_pending_ = !o_.media.empty();
  if (o_.raw && count_markers(o_.prompt) != o_.media.size() && (!interactive || o_.have_prompt)) {
    std::fprintf(stderr, "gemma4-cli: the prompt has %zu %s marker(s) but %zu --image/--audio/--video given\n",
                 count_markers(o_.prompt), kMediaMarker, o_.media.size());
    return kExitUsage;
  }
  for (const Media& m : o_.media) {
    if (m.kind == Media::Kind::video && !video_supported()) {
      std::fprintf(stderr, "gemma4-cli: --video: this gemma4-cli was built without FFmpeg (GEMMA4_CLI_VIDEO=OFF)\n");
      return kExitUsage;
    }
  }
  if (!load()) return Interrupts::interrupted() ? kExitInterrupted : kExitRuntime;
  if (o_.tokenize) return o_.media.empty() ? tokenize_only() : tokenize_with_media();
  if (!create_session()) return kExitRuntime;
  return interactive ? chat() : generate_once();
}

}  // namespace
}  // namespace cli

int main(int argc, char** argv) {
  cli::Options opt;
  cli::ParseResult r = cli::parse(argc, argv, &opt);
  if (!r.run) return r.exit_code;
  cli::Cli app(opt);
  return app.run();
}
