// Parsing of gemma4-cli's command line. Every numeric value is checked in full (no trailing
// garbage, in range) so a typo is a usage error (exit 1), never a silently different run.
#include "options.h"

#include <gemma4.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>

namespace cli {
namespace {

const char kUsage[] =
    "usage: gemma4-cli -m MODEL [options]\n"
    "\n"
    "Generate (-p/-f) or chat (-i, or no prompt on a terminal) with a Gemma 4 model.\n"
    "\n"
    "  -m, --model FILE        GGUF file or Hugging Face model folder (required)\n"
    "  -p, --prompt TEXT       prompt (one user turn, or raw text with --raw)\n"
    "  -f, --file FILE         read the prompt from FILE ('-' = stdin)\n"
    "  -i, --interactive       chat: one user turn per stdin line; /reset, /exit\n"
    "  -s, --system TEXT       system prompt (chat template only)\n"
    "      --think             thinking on (thoughts are shown dimmed on a terminal)\n"
    "      --raw               feed the prompt as is, no chat template (BOS per the file)\n"
    "      --tokenize          print the prompt's token ids (--raw semantics) and exit\n"
    "      --logits-out FILE   write the last prompt position's logits (float32 LE, n_vocab)\n"
    "  -t, --threads N         worker threads (default: online CPUs)\n"
    "  -c, --ctx-size N        context length (default: min(model's, 8192))\n"
    "  -n, --n-predict N       tokens to generate (default 512; -1 = until end or full; 0 = none)\n"
    "      --temp X            temperature (0 = greedy; default 1.0)\n"
    "      --top-k N           top-k (default 64; 0 = off)\n"
    "      --top-p X           nucleus (default 0.95; 1 = off)\n"
    "      --min-p X           min-p (default 0 = off)\n"
    "      --repeat-penalty X  repetition penalty (default 1 = off)\n"
    "      --repeat-last-n N   window of the repetition penalty (default 64)\n"
    "      --seed N            sampler seed (default: fixed, runs repeat)\n"
    "      --stop TEXT         stop when TEXT appears (repeatable)\n"
    "      --no-mmap           read the weights into memory instead of mapping them\n"
    "      --kv-type T         KV cache type: f16 (default), bf16 or f32\n"
    "\n"
    "Images, audio and video (need a model with embedders: a GGUF model + --mmproj, or a\n"
    "Hugging Face folder that has them). Media go into the user turn in the order given,\n"
    "before the prompt text; with --raw each --image/--audio/--video replaces, in order, one\n"
    "<__media__> marker of the prompt (the counts must match).\n"
    "      --mmproj FILE       GGUF projector (mmproj) with the image/audio embedders\n"
    "      --image FILE        a JPEG or PNG image (repeatable)\n"
    "      --audio FILE        a WAV/FLAC/OGG/... sound file (repeatable)\n"
    "      --video FILE        a video file: frames at --video-fps, then its soundtrack\n"
    "      --video-fps X       frames sampled per second of video (default 1)\n"
    "      --image-tokens N    soft tokens per image: 70, 140, 280 [default], 560 or 1120\n"
    "      --video-tokens N    soft tokens per video frame (default: --image-tokens if given, else 70)\n"
    "  -v, --verbose           log to stderr (-v -v: debug)\n"
    "      --version           print versions and exit\n"
    "  -h, --help              this help\n"
    "\n"
    "Exit status: 0 ok, 1 usage error, 2 runtime error, 130 interrupted (Ctrl-C).\n";

bool usage_error(const std::string& msg) {
  std::fprintf(stderr, "gemma4-cli: %s\n(see gemma4-cli --help)\n", msg.c_str());
  return false;
}

bool to_int(const std::string& flag, const char* s, long lo, long hi, int32_t* out) {
  errno = 0;
  char* end = nullptr;
  long v = std::strtol(s, &end, 10);
  if (errno || end == s || *end || v < lo || v > hi)
    return usage_error(flag + ": expected an integer in [" + std::to_string(lo) + ", " +
                       std::to_string(hi) + "], got '" + s + "'");
  *out = static_cast<int32_t>(v);
  return true;
}

bool to_u64(const std::string& flag, const char* s, uint64_t* out) {
  errno = 0;
  char* end = nullptr;
  unsigned long long v = std::strtoull(s, &end, 0);
  if (errno || end == s || *end || *s == '-')
    return usage_error(flag + ": expected a non-negative integer, got '" + s + "'");
  *out = v;
  return true;
}

bool to_float(const std::string& flag, const char* s, float lo, float hi, float* out) {
  errno = 0;
  char* end = nullptr;
  float v = std::strtof(s, &end);
  if (errno || end == s || *end || !std::isfinite(v) || v < lo || v > hi)
    return usage_error(flag + ": expected a number in [" + std::to_string(lo) + ", " +
                       std::to_string(hi) + "], got '" + s + "'");
  *out = v;
  return true;
}

// Token budgets the vision embedder is trained for (spec §3.1).
bool to_budget(const std::string& flag, const char* s, int32_t* out) {
  int32_t n = 0;
  if (!to_int(flag, s, 0, 1 << 20, &n)) return false;
  for (int32_t b : {70, 140, 280, 560, 1120})
    if (n == b) return *out = n, true;
  return usage_error(flag + ": expected 70, 140, 280, 560 or 1120, got '" + s + "'");
}

bool read_file(const std::string& path, std::string* out) {
  std::stringstream ss;
  if (path == "-") {
    ss << std::cin.rdbuf();
  } else {
    std::ifstream f(path, std::ios::binary);
    if (!f) return usage_error("-f: cannot open '" + path + "': " + std::strerror(errno));
    ss << f.rdbuf();
  }
  *out = ss.str();
  return true;
}

// Parses one flag at argv[*i] (advancing *i past its value). False = usage error printed.
bool parse_one(int argc, char** argv, int* i, Options* o, ParseResult* r) {
  const std::string a = argv[*i];
  auto value = [&](const char** v) {
    if (*i + 1 >= argc) return usage_error(a + ": missing value");
    *v = argv[++*i];
    return true;
  };
  const char* v = nullptr;
  float f = 0;
  int32_t n = 0;
  uint64_t u = 0;
  if (a == "-h" || a == "--help") {
    std::fputs(kUsage, stdout);
    r->exit_code = 0;
    return false;
  }
  if (a == "--version") {
    std::printf("gemma4-cli %s (libgemma4 %s, ABI %d; header %s, ABI %d)\n", GEMMA4_VERSION_STRING,
                gemma4_version(), gemma4_abi_version(), GEMMA4_VERSION_STRING, GEMMA4_ABI_VERSION);
    r->exit_code = 0;
    return false;
  }
  r->exit_code = 1;  // any failure below is a usage error
  if (a == "-m" || a == "--model") return value(&v) && (o->model = v, true);
  if (a == "-p" || a == "--prompt") return value(&v) && (o->prompt = v, o->have_prompt = true);
  if (a == "-f" || a == "--file") return value(&v) && read_file(v, &o->prompt) && (o->have_prompt = true);
  if (a == "-s" || a == "--system") return value(&v) && (o->system = v, true);
  if (a == "--logits-out") return value(&v) && (o->logits_out = v, true);
  if (a == "--stop") return value(&v) && (o->stops.push_back(v), true);
  if (a == "--mmproj") return value(&v) && (o->mmproj = v, true);
  if (a == "--image") return value(&v) && (o->media.push_back({Media::Kind::image, v}), true);
  if (a == "--audio") return value(&v) && (o->media.push_back({Media::Kind::audio, v}), true);
  if (a == "--video") return value(&v) && (o->media.push_back({Media::Kind::video, v}), true);
  if (a == "--image-tokens") return value(&v) && to_budget(a, v, &o->image_tokens);
  if (a == "--video-tokens") return value(&v) && to_budget(a, v, &o->video_tokens);
  if (a == "--video-fps")
    return value(&v) && to_float(a, v, 0.001f, 120, &f) && (o->video_fps = f, true);
  if (a == "-i" || a == "--interactive") return o->interactive = true;
  if (a == "--think") return o->think = true;
  if (a == "--no-mmap") return o->no_mmap = true;
  if (a == "--kv-type") {
    if (!value(&v)) return false;
    const std::string t = v;
    if (t == "f16") o->kv_type = GEMMA4_KV_F16;
    else if (t == "bf16") o->kv_type = GEMMA4_KV_BF16;
    else if (t == "f32") o->kv_type = GEMMA4_KV_F32;
    else return usage_error("--kv-type must be f16, bf16 or f32");
    return true;
  }
  if (a == "--raw") return o->raw = true;
  if (a == "--tokenize") return o->tokenize = true;
  if (a == "-v" || a == "--verbose") return ++o->verbose, true;
  if (a == "-t" || a == "--threads") return value(&v) && to_int(a, v, 0, 1024, &o->n_threads);
  if (a == "-c" || a == "--ctx-size") return value(&v) && to_int(a, v, 0, 1 << 24, &o->n_ctx);
  if (a == "-n" || a == "--n-predict") return value(&v) && to_int(a, v, -1, 1 << 24, &o->n_predict);
  if (a == "--top-k") return value(&v) && to_int(a, v, 0, 1 << 24, &n) && (o->top_k = n, true);
  if (a == "--repeat-last-n")
    return value(&v) && to_int(a, v, 0, 1 << 24, &n) && (o->repeat_last_n = n, true);
  if (a == "--temp") return value(&v) && to_float(a, v, 0, 100, &f) && (o->temperature = f, true);
  if (a == "--top-p") return value(&v) && to_float(a, v, 0, 1, &f) && (o->top_p = f, true);
  if (a == "--min-p") return value(&v) && to_float(a, v, 0, 1, &f) && (o->min_p = f, true);
  if (a == "--repeat-penalty")
    return value(&v) && to_float(a, v, 0, 100, &f) && (o->repeat_penalty = f, true);
  if (a == "--seed") return value(&v) && to_u64(a, v, &u) && (o->seed = u, true);
  return usage_error("unknown option '" + a + "'");
}

}  // namespace

ParseResult parse(int argc, char** argv, Options* opt) {
  ParseResult r;
  for (int i = 1; i < argc; ++i) {
    if (!parse_one(argc, argv, &i, opt, &r)) return r;
  }
  r.exit_code = 1;
  if (opt->model.empty()) {
    usage_error("-m MODEL is required");
    return r;
  }
  if (opt->tokenize && !opt->have_prompt) {
    usage_error("--tokenize needs a prompt (-p or -f)");
    return r;
  }
  if (opt->interactive && (opt->tokenize || !opt->logits_out.empty())) {
    usage_error("-i cannot be combined with --tokenize or --logits-out");
    return r;
  }
  if (opt->raw && !opt->system.empty()) {
    usage_error("--system needs the chat template (drop --raw)");
    return r;
  }
  int n_video = 0;
  for (const Media& m : opt->media) n_video += m.kind == Media::Kind::video;
  if (n_video > 1) {
    usage_error("--video may be given once");
    return r;
  }
  r.run = true;
  r.exit_code = 0;
  return r;
}

}  // namespace cli
