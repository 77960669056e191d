// gemma4-bench: prefill and decode speed of Gemma 4 models through the public C API, in the
// manner of llama-bench (same test names pp<N>/tg<N> and JSON keys), plus time to first
// token, peak RSS and the memory-bandwidth bound of decoding.
#include <gemma4.h>

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "membw.h"
#include "report.h"

namespace bench {
namespace {

struct Options {
  std::vector<std::string> models;
  std::vector<int> threads{0};
  std::vector<int> n_prompt{512};
  std::vector<int> n_gen{128};
  std::vector<int> depth{0};
  int reps = 5;
  bool warmup = true;
  std::string output = "md";
  size_t bw_bytes = 0;  // 0 = max(4 x LLC, 1 GiB)
};

const char kUsage[] =
    "usage: gemma4-bench -m MODEL [-m MODEL...] [options]\n"
    "  -m, --model FILE     model to test (repeatable)\n"
    "  -t, --threads LIST   thread counts, comma separated (default 0 = online CPUs)\n"
    "  -p, --n-prompt LIST  prompt tokens of the prefill tests pp<N> (default 512; 0 = none)\n"
    "  -n, --n-gen LIST     generated tokens of the decode tests tg<N> (default 128; 0 = none)\n"
    "  -d, --n-depth LIST   tokens in the context before each test (default 0)\n"
    "  -r, --repetitions N  timed runs per test (default 5)\n"
    "  -o, --output FMT     md or json (default md)\n"
    "      --no-warmup      skip the untimed warm-up run of each test\n"
    "      --bw-mib N       buffer of the bandwidth measurement in MiB (default max(4 x LLC, 1024))\n"
    "  -h, --help\n";

int usage(const char* msg) {
  std::fprintf(stderr, "gemma4-bench: %s\n%s", msg, kUsage);
  return 1;
}

bool parse_list(const char* s, int lo, std::vector<int>* out) {
  out->clear();
  std::string str(s);
  size_t pos = 0;
  while (pos <= str.size()) {
    size_t comma = str.find(',', pos);
    std::string item = str.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    char* end = nullptr;
    long v = std::strtol(item.c_str(), &end, 10);
    if (item.empty() || *end || v < lo || v > (1 << 24)) return false;
    out->push_back(static_cast<int>(v));
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  return !out->empty();
}

// 0 = run, else the exit status (help: 0 via -1 marker, usage error: 1).
int parse(int argc, char** argv, Options* o) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "-h" || a == "--help") {
      std::fputs(kUsage, stdout);
      return -1;
    }
    if (a == "--no-warmup") {
      o->warmup = false;
      continue;
    }
    if (i + 1 >= argc) return usage(("missing value of " + a).c_str());
    const char* v = argv[++i];
    std::vector<int> one;
    bool good = true;
    if (a == "-m" || a == "--model") o->models.push_back(v);
    else if (a == "-t" || a == "--threads") good = parse_list(v, 0, &o->threads);
    else if (a == "-p" || a == "--n-prompt") good = parse_list(v, 0, &o->n_prompt);
    else if (a == "-n" || a == "--n-gen") good = parse_list(v, 0, &o->n_gen);
    else if (a == "-d" || a == "--n-depth") good = parse_list(v, 0, &o->depth);
    else if (a == "-r" || a == "--repetitions") good = parse_list(v, 1, &one) && one.size() == 1 && (o->reps = one[0]);
    else if (a == "--bw-mib") good = parse_list(v, 1, &one) && one.size() == 1 && (o->bw_bytes = size_t(one[0]) << 20);
    else if (a == "-o" || a == "--output") {
      o->output = v;
      good = o->output == "md" || o->output == "json";
    } else return usage(("unknown option " + a).c_str());
    if (!good) return usage(("bad value '" + std::string(v) + "' of " + a).c_str());
  }
  if (o->models.empty()) return usage("-m MODEL is required");
  return 0;
}

bool ok(gemma4_status st, const char* what) {
  if (st == GEMMA4_OK) return true;
  std::fprintf(stderr, "gemma4-bench: %s: %s: %s\n", what, gemma4_status_string(st), gemma4_last_error());
  return false;
}

double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Peak resident set since the last reset_peak_rss(): VmHWM, which Linux lets a process reset
// by writing 5 to clear_refs; falls back to getrusage's lifetime peak.
void reset_peak_rss() {
  std::ofstream f("/proc/self/clear_refs");
  if (f) f << "5";
}
uint64_t peak_rss_bytes() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::strtoull(line.c_str() + 6, nullptr, 10) * 1024;
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<uint64_t>(ru.ru_maxrss) * 1024;
}

// Random ordinary tokens: ids whose plain detokenization is non-empty (control tokens are
// omitted by gemma4_detokenize without RENDER_SPECIAL) and that are no named special token.
class TokenSource {
 public:
  explicit TokenSource(const gemma4_context* ctx) : ctx_(ctx), rng_(1234) {
    gemma4_model_info info;
    info.struct_size = sizeof info;
    gemma4_context_info(ctx, &info);
    n_vocab_ = info.n_vocab;
    for (int s = GEMMA4_TOKEN_PAD; s <= GEMMA4_TOKEN_TOOL_RESPONSE_START; ++s)
      banned_.push_back(gemma4_special_token(ctx, static_cast<gemma4_special>(s)));
  }
  std::vector<int32_t> take(int n) {
    std::vector<int32_t> out;
    std::uniform_int_distribution<int32_t> dist(0, n_vocab_ - 1);
    char buf[256];
    while (static_cast<int>(out.size()) < n) {
      int32_t t = dist(rng_);
      size_t len = 0;
      if (std::find(banned_.begin(), banned_.end(), t) != banned_.end()) continue;
      gemma4_status st = gemma4_detokenize(ctx_, &t, 1, 0, buf, sizeof buf, &len);
      if ((st == GEMMA4_OK || st == GEMMA4_ERR_BUFFER_TOO_SMALL) && len > 0) out.push_back(t);
    }
    return out;
  }

 private:
  const gemma4_context* ctx_;
  std::mt19937 rng_;
  int32_t n_vocab_ = 0;
  std::vector<int32_t> banned_;
};

gemma4_status append_tokens(gemma4_session* s, const std::vector<int32_t>& toks) {
  gemma4_input* in = nullptr;
  gemma4_status st = gemma4_input_create(&in);
  if (st == GEMMA4_OK) st = gemma4_input_add_tokens(in, toks.data(), toks.size());
  if (st == GEMMA4_OK) st = gemma4_session_append(s, in);
  std::string err = gemma4_last_error();
  gemma4_input_free(in);
  if (st != GEMMA4_OK) std::fprintf(stderr, "gemma4-bench: append: %s: %s\n", gemma4_status_string(st), err.c_str());
  return st;
}

struct FirstToken {
  double t_first = 0;  // wall time of the first token event
};
int32_t on_token(void* user_data, const gemma4_token_event* ev) {
  auto* ft = static_cast<FirstToken*>(user_data);
  if (ev->n_generated == 1) ft->t_first = now_s();
  return 0;
}

// One timed run. Prefill test: `n_prompt` tokens after `depth`; the time to first token adds a
// one-token greedy generation. Decode test: `n_gen` greedy tokens after `depth` (or after one
// starter token: generation needs a non-empty session). Returns tokens/s, or < 0 on failure.
double run_once(gemma4_session* s, TokenSource* src, const gemma4_generate_params& gp_base, int n_prompt,
                int n_gen, int depth, double* ttft_ms) {
  if (!ok(gemma4_session_reset(s), "gemma4_session_reset")) return -1;
  const bool prefill_test = n_prompt > 0;
  std::vector<int32_t> ctx_tokens = src->take(depth > 0 ? depth : (prefill_test ? 0 : 1));
  std::vector<int32_t> prompt = src->take(n_prompt);
  double t_prompt0 = now_s();
  if (!ctx_tokens.empty()) {
    if (prefill_test) {
      if (append_tokens(s, ctx_tokens) != GEMMA4_OK) return -1;
      t_prompt0 = now_s();
    } else {
      t_prompt0 = now_s();  // for decode rows the depth is the prompt of the first token
      if (append_tokens(s, ctx_tokens) != GEMMA4_OK) return -1;
    }
  }
  double t0 = now_s(), t1 = t0;
  if (prefill_test) {
    if (append_tokens(s, prompt) != GEMMA4_OK) return -1;
    t1 = now_s();
  }
  gemma4_generate_params gp = gp_base;
  gp.max_tokens = prefill_test ? 1 : n_gen;
  FirstToken ft;
  gemma4_generate_result res;
  res.struct_size = sizeof res;
  double tg0 = now_s();
  if (!ok(gemma4_session_generate(s, &gp, on_token, &ft, &res), "gemma4_session_generate")) return -1;
  double tg1 = now_s();
  *ttft_ms = 1e3 * ((ft.t_first > 0 ? ft.t_first : tg1) - t_prompt0);
  if (prefill_test) return n_prompt / (t1 - t0);
  if (res.n_generated != n_gen) {
    std::fprintf(stderr, "gemma4-bench: tg%d stopped after %d tokens (stop reason %d)\n", n_gen, res.n_generated,
                 res.stop_reason);
    return -1;
  }
  return n_gen / (tg1 - tg0);
}

// Runs one test row (warm-up + reps) on a fresh session sized for it.
bool run_test(gemma4_context* ctx, const Options& o, const ModelDesc& md, int n_threads_ctx, int n_prompt, int n_gen,
              int depth, double bw, Row* row) {
  gemma4_session_params sp;
  gemma4_session_params_default(&sp);
  sp.n_ctx = depth + std::max(n_prompt, n_gen) + 2;  // + starter token and the first generated one
  gemma4_session* s = nullptr;
  if (!ok(gemma4_session_create(ctx, &sp, &s), "gemma4_session_create")) return false;
  gemma4_generate_params gp;
  gemma4_generate_params_default(&gp);
  gp.temperature = 0;  // greedy: no sampling cost variance
  std::vector<gemma4_logit_bias> bias;
  for (gemma4_special e : {GEMMA4_TOKEN_EOS, GEMMA4_TOKEN_TURN_END, GEMMA4_TOKEN_TOOL_RESPONSE_START}) {
    int32_t id = gemma4_special_token(ctx, e);
    if (id >= 0) bias.push_back({id, -INFINITY});  // ban end tokens so tg<N> runs all N
  }
  gp.logit_bias = bias.data();
  gp.n_logit_bias = bias.size();
  TokenSource src(ctx);
  row->model = md;
  row->n_threads = n_threads_ctx;
  row->n_prompt = n_prompt;
  row->n_gen = n_gen;
  row->n_depth = depth;
  reset_peak_rss();
  bool good = true;
  double ttft = 0, ttft_sum = 0;
  if (o.warmup) good = run_once(s, &src, gp, n_prompt, n_gen, depth, &ttft) > 0;
  const bool tty = isatty(STDERR_FILENO) == 1;  // a status line only where it can be redrawn
  for (int r = 0; good && r < o.reps; ++r) {
    if (tty)
      std::fprintf(stderr, "\rgemma4-bench: %s t=%d %s rep %d/%d   ", md.filename.c_str(), n_threads_ctx,
                   test_name(*row).c_str(), r + 1, o.reps);
    double ts = run_once(s, &src, gp, n_prompt, n_gen, depth, &ttft);
    if (ts <= 0) good = false;
    row->samples_ts.push_back(ts);
    ttft_sum += ttft;
  }
  if (tty) std::fprintf(stderr, "\r\033[K");
  gemma4_session_free(s);
  if (!good) return false;
  row->ttft_ms = ttft_sum / o.reps;
  row->peak_rss_bytes = peak_rss_bytes();
  if (n_gen > 0 && bw > 0) row->bandwidth_gbs = bw / 1e9;
  return true;
}

int run(const Options& o) {
  // Bandwidth first, before any model is loaded, so the forked measurement starts from a
  // process without worker threads.
  size_t bw_bytes = o.bw_bytes ? o.bw_bytes : std::max<size_t>(4 * llc_bytes(), size_t(1) << 30);
  std::map<int, double> bw;
  const bool any_decode = std::any_of(o.n_gen.begin(), o.n_gen.end(), [](int n) { return n > 0; });
  for (int t : any_decode ? o.threads : std::vector<int>{}) {
    int nt = t > 0 ? t : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    if (!bw.count(nt)) bw[nt] = read_bandwidth(bw_bytes, nt, 5);
    if (bw[nt] <= 0) std::fprintf(stderr, "gemma4-bench: bandwidth measurement with %d threads failed\n", nt);
  }
  std::vector<Row> rows;
  for (const auto& path : o.models) {
    for (int t : o.threads) {
      gemma4_context_params cp;
      gemma4_context_params_default(&cp);
      cp.n_threads = t;
      gemma4_context* ctx = nullptr;
      if (!ok(gemma4_context_create(path.c_str(), &cp, &ctx), "gemma4_context_create")) return 2;
      gemma4_model_info info;
      info.struct_size = sizeof info;
      if (!ok(gemma4_context_info(ctx, &info), "gemma4_context_info")) return 2;
      ModelDesc md = describe(path, info);
      int nt = t > 0 ? t : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
      for (int d : o.depth) {
        for (int p : o.n_prompt) {
          if (p <= 0) continue;
          Row row;
          if (!run_test(ctx, o, md, info.n_threads, p, 0, d, 0, &row)) return 2;
          rows.push_back(row);
        }
        for (int n : o.n_gen) {
          if (n <= 0) continue;
          Row row;
          if (!run_test(ctx, o, md, info.n_threads, 0, n, d, bw[nt], &row)) return 2;
          rows.push_back(row);
        }
      }
      gemma4_context_free(ctx);
    }
  }
  if (o.output == "json") print_json(rows, stdout);
  else print_md(rows, stdout);
  return 0;
}

}  // namespace
}  // namespace bench

int main(int argc, char** argv) {
  bench::Options o;
  int st = bench::parse(argc, argv, &o);
  if (st != 0) return st < 0 ? 0 : st;
  return bench::run(o);
}
