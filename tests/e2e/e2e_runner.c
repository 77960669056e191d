/* End-to-end probe of the engine through the public C API, for tests/e2e/compare.py.
 *
 *   e2e_runner MODEL TOKENS N_GEN OUT [N_THREADS] [N_BATCH] [--mmproj F] [--image F[:BUDGET]]...
 *              [--audio F]... [--video-frame F@SECONDS]...
 *
 * TOKENS is a comma-separated prompt (including <bos>); each -1 in it is replaced, in order, by
 * the next --image / --audio item (the library renders its begin/end tokens). The program
 *   1. appends the prompt to a session and records the logits of its last position;
 *   2. generates N_GEN tokens greedily (gemma4_session_generate, temperature 0);
 *   3. replays prompt + generated tokens one by one in a second session, recording the logits
 *      after each, so every step's logits can be compared with the reference.
 * OUT (binary, little-endian): int32 n_gen, int32 n_vocab, int32 stop_reason,
 * int32 tokens[n_gen], float32 logits[(n_gen + 1) * n_vocab], int32 n_hist, int32 hist[n_hist]
 * where hist is the prompt as the session holds it (media expanded, placeholders shown).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gemma4.h"

#define CHECK(call)                                                                      \
  do {                                                                                   \
    gemma4_status st_ = (call);                                                          \
    if (st_ != GEMMA4_OK) {                                                              \
      fprintf(stderr, "%s failed: %s: %s\n", #call, gemma4_status_string(st_), gemma4_last_error()); \
      exit(2);                                                                           \
    }                                                                                    \
  } while (0)

typedef struct {
  int32_t* tokens;
  int n, cap;
} token_list;

static int32_t collect(void* ud, const gemma4_token_event* ev) {
  token_list* l = (token_list*)ud;
  if (l->n < l->cap) l->tokens[l->n++] = ev->token;
  return 0;
}

static void append_tokens(gemma4_session* s, gemma4_input* in, const int32_t* t, size_t n) {
  CHECK(gemma4_input_clear(in));
  CHECK(gemma4_input_add_tokens(in, t, n));
  CHECK(gemma4_session_append(s, in));
}

/* Media items from the command line, in order. */
typedef struct {
  char kind; /* 'i' image, 'a' audio, 'v' video frame */
  const char* path;
  int budget;
  double t;
} media_item;

/* The prompt as an input: runs of ids between -1 markers, each marker an item. */
static void build_prompt(gemma4_input* in, const int32_t* t, size_t n, const media_item* media, int n_media) {
  int next = 0;
  size_t start = 0;
  CHECK(gemma4_input_clear(in));
  for (size_t i = 0; i <= n; ++i) {
    if (i < n && t[i] != -1) continue;
    if (i > start) CHECK(gemma4_input_add_tokens(in, t + start, i - start));
    start = i + 1;
    if (i == n) break;
    if (next >= n_media) {
      fprintf(stderr, "more -1 markers than media items\n");
      exit(1);
    }
    const media_item* m = &media[next++];
    if (m->kind == 'i') {
      CHECK(gemma4_input_add_image_file(in, m->path, m->budget));
    } else if (m->kind == 'a') {
      CHECK(gemma4_input_add_audio_file(in, m->path));
    } else {
      /* Consecutive frames (one -1 marker each) form one video. */
      FILE* f = fopen(m->path, "rb");
      if (!f) {
        perror(m->path);
        exit(2);
      }
      static unsigned char buf[1 << 22];
      size_t n_read = fread(buf, 1, sizeof buf, f);
      fclose(f);
      CHECK(gemma4_input_add_video_frame_encoded(in, buf, n_read, m->t, 0));
    }
  }
  if (next != n_media) {
    fprintf(stderr, "fewer -1 markers than media items\n");
    exit(1);
  }
}

int main(int argc, char** argv) {
  if (argc < 5) {
    fprintf(stderr, "usage: %s MODEL TOKENS N_GEN OUT [N_THREADS] [N_BATCH]\n", argv[0]);
    return 1;
  }
  int n_gen = atoi(argv[3]);
  int32_t prompt[4096];
  size_t n_prompt = 0;
  for (char* p = strtok(argv[2], ","); p && n_prompt < 4096; p = strtok(NULL, ",")) prompt[n_prompt++] = atoi(p);

  media_item media[16];
  int n_media = 0;
  const char* mmproj = NULL;
  int argp = 5;
  int n_threads = 0, n_batch = 0;
  if (argp < argc && argv[argp][0] != '-') n_threads = atoi(argv[argp++]);
  if (argp < argc && argv[argp][0] != '-') n_batch = atoi(argv[argp++]);
  for (; argp + 1 < argc && n_media < 16; argp += 2) {
    if (strcmp(argv[argp], "--mmproj") == 0) {
      mmproj = argv[argp + 1];
    } else if (strcmp(argv[argp], "--video-frame") == 0) {
      media_item* m = &media[n_media++];
      m->kind = 'v';
      m->path = argv[argp + 1];
      m->budget = 0;
      m->t = 0;
      char* at = strrchr(argv[argp + 1], '@');
      if (at) {
        *at = 0;
        m->t = atof(at + 1);
      }
    } else if (strcmp(argv[argp], "--image") == 0 || strcmp(argv[argp], "--audio") == 0) {
      media_item* m = &media[n_media++];
      m->kind = argv[argp][2];
      m->path = argv[argp + 1];
      m->budget = 0;
      char* colon = strrchr(argv[argp + 1], ':');
      if (m->kind == 'i' && colon) {
        *colon = 0;
        m->budget = atoi(colon + 1);
      }
    } else {
      fprintf(stderr, "unknown option %s\n", argv[argp]);
      return 1;
    }
  }

  gemma4_context_params cp;
  CHECK(gemma4_context_params_default(&cp));
  cp.n_threads = n_threads;
  cp.mmproj_path = mmproj;
  gemma4_context* ctx;
  CHECK(gemma4_context_create(argv[1], &cp, &ctx));
  gemma4_model_info info;
  info.struct_size = sizeof info;
  CHECK(gemma4_context_info(ctx, &info));

  gemma4_session_params sp;
  CHECK(gemma4_session_params_default(&sp));
  sp.n_ctx = info.n_ctx_train;
  /* Exact KV entries by default, so the comparison measures the engine's arithmetic; the
     F16 (default) and BF16 caches are checked by runs with GEMMA4_E2E_KV=f16 / bf16. */
  const char* kv = getenv("GEMMA4_E2E_KV");
  sp.kv_type = kv && strcmp(kv, "f16") == 0 ? GEMMA4_KV_F16 : kv && strcmp(kv, "bf16") == 0 ? GEMMA4_KV_BF16 : GEMMA4_KV_F32;
  sp.n_batch = n_batch;
  gemma4_session *a, *b;
  CHECK(gemma4_session_create(ctx, &sp, &a));
  CHECK(gemma4_session_create(ctx, &sp, &b));
  gemma4_input* in;
  CHECK(gemma4_input_create(&in));

  size_t nv = (size_t)info.n_vocab, got;
  float* logits = malloc(sizeof(float) * nv * (size_t)(n_gen + 1));
  token_list gen = {malloc(sizeof(int32_t) * (size_t)(n_gen + 1)), 0, n_gen};

  build_prompt(in, prompt, n_prompt, media, n_media);
  CHECK(gemma4_session_append(a, in));
  CHECK(gemma4_session_logits(a, logits, nv, &got));
  size_t n_hist = 0;
  gemma4_session_tokens(a, NULL, 0, &n_hist);
  int32_t* hist = malloc(sizeof(int32_t) * (n_hist + 1));
  CHECK(gemma4_session_tokens(a, hist, n_hist, &n_hist));
  gemma4_generate_params gp;
  CHECK(gemma4_generate_params_default(&gp));
  gp.temperature = 0;
  gp.max_tokens = n_gen;
  gemma4_generate_result res;
  res.struct_size = sizeof res;
  CHECK(gemma4_session_generate(a, &gp, collect, &gen, &res));

  build_prompt(in, prompt, n_prompt, media, n_media);
  CHECK(gemma4_session_append(b, in));
  for (int k = 0; k < gen.n; ++k) {
    append_tokens(b, in, &gen.tokens[k], 1);
    CHECK(gemma4_session_logits(b, logits + (size_t)(k + 1) * nv, nv, &got));
  }

  FILE* f = fopen(argv[4], "wb");
  if (!f) {
    perror(argv[4]);
    return 2;
  }
  int32_t hdr[3] = {gen.n, (int32_t)nv, res.stop_reason};
  fwrite(hdr, sizeof hdr, 1, f);
  fwrite(gen.tokens, sizeof(int32_t), (size_t)gen.n, f);
  fwrite(logits, sizeof(float), nv * (size_t)(gen.n + 1), f);
  int32_t nh = (int32_t)n_hist;
  fwrite(&nh, sizeof nh, 1, f);
  fwrite(hist, sizeof(int32_t), n_hist, f);
  fclose(f);
  free(hist);
  free(logits);
  free(gen.tokens);
  gemma4_input_free(in);
  gemma4_session_free(a);
  gemma4_session_free(b);
  gemma4_context_free(ctx);
  return 0;
}
