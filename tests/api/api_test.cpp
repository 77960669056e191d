// Contract tests of include/gemma4.h: one case per promise of the header, through the public
// library only (no internal layer is linked). Each case quotes the sentence it checks in an
// "EVIDENCE-OF:" comment, as SQLite's tests do, so a change of the header points at its tests.
// This file: versions, errors, NULL handles, sized structs, model info, tokenizer, input;
// api_session_test.cpp: sessions, chat template and generation.
// Models: small random ones written by tests/tools/make_model.py (tests/api.cmake); their
// hyper-parameters are make_model.py's small_config() and the ids model_vocab.py's.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include "api_test_util.h"

// ---- versions, status strings, last error ---------------------------------------------------

TEST_CASE("versions match the header") {
  // EVIDENCE-OF: Library version string, e.g. "0.1.0". / Library version as GEMMA4_VERSION_NUMBER
  // computes it. / ABI generation of the loaded library; compare with GEMMA4_ABI_VERSION.
  CHECK(std::string(gemma4_version()) == GEMMA4_VERSION_STRING);
  CHECK(gemma4_version_number() == GEMMA4_VERSION_NUMBER);
  CHECK(gemma4_abi_version() == GEMMA4_ABI_VERSION);
}

TEST_CASE("status strings are never NULL, also for unknown values") {
  // EVIDENCE-OF: Static English name of a status ("GEMMA4_ERR_IO: input/output error"). Never NULL.
  for (int v = -2; v <= 20; ++v) {
    const char* s = gemma4_status_string(static_cast<gemma4_status>(v));
    REQUIRE(s != nullptr);
    CHECK(std::strlen(s) > 0);
  }
  CHECK(gemma4_status_string(static_cast<gemma4_status>(1 << 30)) != nullptr);
  CHECK(std::string(gemma4_status_string(GEMMA4_ERR_IO)).find("GEMMA4_ERR_IO") == 0);
  CHECK(std::string(gemma4_status_string(GEMMA4_ERR_BUFFER_TOO_SMALL)).find("GEMMA4_ERR_BUFFER_TOO_SMALL") == 0);
}

TEST_CASE("last error is empty after a success") {
  // EVIDENCE-OF: "" if the last call succeeded. ... Never NULL.
  gemma4_input* in = nullptr;
  CHECK_FAILS(gemma4_input_clear(nullptr), GEMMA4_ERR_INVALID_ARGUMENT);
  REQUIRE(gemma4_input_create(&in) == GEMMA4_OK);
  CHECK(std::string(gemma4_last_error()).empty());
  CHECK_FAILS(gemma4_input_add_text(in, nullptr, 0), GEMMA4_ERR_INVALID_ARGUMENT);
  CHECK(gemma4_input_add_text(in, "x", GEMMA4_NUL_TERMINATED) == GEMMA4_OK);
  CHECK(std::string(gemma4_last_error()).empty());
  gemma4_input_free(in);

  // Every status-returning call, gemma4_session_cancel() included.
  Session s;
  CHECK_FAILS(gemma4_session_reset(nullptr), GEMMA4_ERR_INVALID_ARGUMENT);
  CHECK(gemma4_session_cancel(s) == GEMMA4_OK);
  CHECK(std::string(gemma4_last_error()).empty());
  CHECK_FAILS(gemma4_session_cancel(nullptr), GEMMA4_ERR_INVALID_ARGUMENT);
  CHECK(gemma4_session_reset(s) == GEMMA4_OK);
  CHECK(std::string(gemma4_last_error()).empty());
}

TEST_CASE("last error is per thread") {
  // EVIDENCE-OF: gemma4_last_error() is per thread.
  CHECK_FAILS(gemma4_session_reset(nullptr), GEMMA4_ERR_INVALID_ARGUMENT);
  const std::string mine = gemma4_last_error();
  std::string other_before, other_after;
  std::thread t([&] {
    other_before = gemma4_last_error();
    gemma4_context* c = reinterpret_cast<gemma4_context*>(1);
    gemma4_context_create("/nonexistent/api-test/model.gguf", nullptr, &c);
    other_after = gemma4_last_error();
  });
  t.join();
  CHECK(other_before.empty());
  CHECK(!other_after.empty());
  CHECK(other_after != mine);
  CHECK(std::string(gemma4_last_error()) == mine);  // thread B's failure did not touch ours
}

// ---- NULL handles and out-params -------------------------------------------------------------

TEST_CASE("every *_free accepts NULL") {
  // EVIDENCE-OF: Every *_create() has a *_free() that accepts NULL. / NULL is a no-op.
  gemma4_context_free(nullptr);
  gemma4_session_free(nullptr);
  gemma4_input_free(nullptr);
  CHECK(true);
}

TEST_CASE("NULL handles give INVALID_ARGUMENT (or -1) and a message") {
  // EVIDENCE-OF: INVALID_ARGUMENT = NULL handle, bad value, wrong struct_size, misuse.
  const gemma4_status bad = GEMMA4_ERR_INVALID_ARGUMENT;
  int32_t tok[4];
  char buf[16];
  float lg[4];
  size_t n = 0;
  gemma4_model_info info;
  info.struct_size = sizeof info;
  Input in;
  gemma4_generate_params gp;
  gemma4_generate_params_default(&gp);
  CHECK_FAILS(gemma4_context_info(nullptr, &info), bad);
  CHECK_FAILS(gemma4_tokenize(nullptr, "a", 1, 0, tok, 4, &n), bad);
  CHECK_FAILS(gemma4_detokenize(nullptr, tok, 0, 0, buf, sizeof buf, &n), bad);
  CHECK_FAILS(gemma4_token_to_piece(nullptr, 0, buf, sizeof buf, &n), bad);
  CHECK_FAILS(gemma4_input_clear(nullptr), bad);
  CHECK_FAILS(gemma4_input_add_text(nullptr, "a", 1), bad);
  CHECK_FAILS(gemma4_input_add_tokens(nullptr, tok, 0), bad);
  const uint8_t px[12] = {0};
  const float pcm[4] = {0};
  CHECK_FAILS(gemma4_input_add_image_file(nullptr, "x.png", 0), bad);
  CHECK_FAILS(gemma4_input_add_image_encoded(nullptr, px, sizeof px, 0), bad);
  CHECK_FAILS(gemma4_input_add_image_rgb(nullptr, px, 2, 2, 6, 3, 0), bad);
  CHECK_FAILS(gemma4_input_add_audio_file(nullptr, "x.wav"), bad);
  CHECK_FAILS(gemma4_input_add_audio_encoded(nullptr, px, sizeof px), bad);
  CHECK_FAILS(gemma4_input_add_audio_pcm(nullptr, pcm, 4, 1, 16000, GEMMA4_PCM_F32), bad);
  CHECK_FAILS(gemma4_input_add_video_frame_encoded(nullptr, px, sizeof px, 0.0, 0), bad);
  CHECK_FAILS(gemma4_input_add_video_frame_rgb(nullptr, px, 2, 2, 6, 3, 0.0, 0), bad);
  CHECK_FAILS(gemma4_input_n_tokens(nullptr, in, &n), bad);
  CHECK_FAILS(gemma4_input_n_tokens(ctx(), nullptr, &n), bad);
  CHECK_FAILS(gemma4_input_n_tokens(ctx(), in, nullptr), bad);
  CHECK_FAILS(gemma4_session_create(nullptr, nullptr, nullptr), bad);
  CHECK_FAILS(gemma4_session_reset(nullptr), bad);
  CHECK_FAILS(gemma4_session_add_turn(nullptr, GEMMA4_ROLE_USER, in), bad);
  CHECK_FAILS(gemma4_session_append(nullptr, in), bad);
  CHECK_FAILS(gemma4_session_generate(nullptr, &gp, nullptr, nullptr, nullptr), bad);
  CHECK_FAILS(gemma4_session_cancel(nullptr), bad);
  CHECK_FAILS(gemma4_session_logits(nullptr, lg, 4, &n), bad);
  CHECK_FAILS(gemma4_session_tokens(nullptr, tok, 4, &n), bad);
  CHECK_FAILS(gemma4_context_params_init(nullptr, sizeof(gemma4_context_params)), bad);
  CHECK_FAILS(gemma4_session_params_init(nullptr, sizeof(gemma4_session_params)), bad);
  CHECK_FAILS(gemma4_generate_params_init(nullptr, sizeof(gemma4_generate_params)), bad);
  // A NULL input on a valid session, NULL out-params on a valid context.
  Session s;
  CHECK_FAILS(gemma4_session_add_turn(s, GEMMA4_ROLE_USER, nullptr), bad);
  CHECK_FAILS(gemma4_session_append(s, nullptr), bad);
  CHECK_FAILS(gemma4_context_info(ctx(), nullptr), bad);
  CHECK_FAILS(gemma4_tokenize(ctx(), nullptr, 0, 0, tok, 4, &n), bad);
  CHECK_FAILS(gemma4_tokenize(ctx(), "a", 1, 0, tok, 4, nullptr), bad);
  CHECK_FAILS(gemma4_tokenize(ctx(), "a", 1, 0, nullptr, 4, &n), bad);
  CHECK_FAILS(gemma4_detokenize(ctx(), tok, 0, 0, buf, sizeof buf, nullptr), bad);
}

TEST_CASE("int queries give -1 for NULL and set the last error") {
  // EVIDENCE-OF: Id of a named special token, or -1 if ... ctx is NULL. / Tokens currently in the
  // session's context, or -1 for NULL. / The session's context length, or -1 for NULL.
  // "Message describing the last failure of a gemma4_* call": a NULL handle is a failure.
  // Each check starts from a success, so the message must come from the query itself.
  gemma4_context_params cp;
  auto clear = [&] { REQUIRE(gemma4_context_params_default(&cp) == GEMMA4_OK); };
  clear();
  CHECK(gemma4_special_token(nullptr, GEMMA4_TOKEN_BOS) == -1);
  CHECK(std::strlen(gemma4_last_error()) > 0);
  clear();
  CHECK(gemma4_token_lookup(nullptr, "<bos>") == -1);
  CHECK(std::strlen(gemma4_last_error()) > 0);
  clear();
  CHECK(gemma4_session_n_tokens(nullptr) == -1);
  CHECK(std::strlen(gemma4_last_error()) > 0);
  clear();
  CHECK(gemma4_session_n_ctx(nullptr) == -1);
  CHECK(std::strlen(gemma4_last_error()) > 0);
  clear();
  CHECK(gemma4_session_kv_bytes(nullptr) == -1);
  CHECK(std::strlen(gemma4_last_error()) > 0);
}

TEST_CASE("creators set the out-parameter to NULL on failure") {
  // EVIDENCE-OF: Creators write the new handle to an out-parameter, set to NULL on failure.
  gemma4_context* c = reinterpret_cast<gemma4_context*>(0x1);
  CHECK_FAILS(gemma4_context_create("/nonexistent/api-test.gguf", nullptr, &c), GEMMA4_ERR_IO);
  CHECK(c == nullptr);
  c = reinterpret_cast<gemma4_context*>(0x1);
  CHECK_FAILS(gemma4_context_create(nullptr, nullptr, &c), GEMMA4_ERR_INVALID_ARGUMENT);
  CHECK(c == nullptr);
  CHECK_FAILS(gemma4_context_create(model("api-q8_0.gguf").c_str(), nullptr, nullptr), GEMMA4_ERR_INVALID_ARGUMENT);
  gemma4_session* s = reinterpret_cast<gemma4_session*>(0x1);
  CHECK_FAILS(gemma4_session_create(nullptr, nullptr, &s), GEMMA4_ERR_INVALID_ARGUMENT);
  CHECK(s == nullptr);
  gemma4_session_params sp;
  gemma4_session_params_default(&sp);
  sp.n_ctx = 1 << 20;  // beyond the model's 512
  s = reinterpret_cast<gemma4_session*>(0x1);
  CHECK_FAILS(gemma4_session_create(ctx(), &sp, &s), GEMMA4_ERR_INVALID_ARGUMENT);
  CHECK(s == nullptr);
  CHECK_FAILS(gemma4_input_create(nullptr), GEMMA4_ERR_INVALID_ARGUMENT);
}

// ---- sized structs ---------------------------------------------------------------------------

template <class T>
struct Bigger {  // a caller compiled against a newer header: the struct has grown
  T known;
  unsigned char tail[24];
};

TEST_CASE("params_init rejects a size below version 1 and fills defaults") {
  // EVIDENCE-OF: Fills *params with defaults for a struct of `struct_size` bytes.
  // EVIDENCE-OF: INVALID_ARGUMENT = ... wrong struct_size.
  gemma4_context_params cp;
  gemma4_session_params sp;
  gemma4_generate_params gp;
  CHECK_FAILS(gemma4_context_params_init(&cp, 4), GEMMA4_ERR_INVALID_ARGUMENT);
  CHECK_FAILS(gemma4_session_params_init(&sp, sizeof sp - 1), GEMMA4_ERR_INVALID_ARGUMENT);
  CHECK_FAILS(gemma4_generate_params_init(&gp, 0), GEMMA4_ERR_INVALID_ARGUMENT);

  REQUIRE(gemma4_context_params_default(&cp) == GEMMA4_OK);
  CHECK(cp.struct_size == sizeof cp);
  CHECK(cp.n_threads == 0);
  CHECK(cp.use_mmap == 1);
  CHECK(cp.log_level == GEMMA4_LOG_WARN);
  CHECK(!cp.log_fn);
  CHECK(!cp.progress_fn);
  CHECK(cp.mmproj_path == nullptr);
  CHECK(cp.modalities == 0);
  CHECK(cp.reserved0 == 0);
  REQUIRE(gemma4_session_params_default(&sp) == GEMMA4_OK);
  CHECK(sp.struct_size == sizeof sp);
  CHECK(sp.n_ctx == 0);
  CHECK(sp.n_batch == 0);
  CHECK(sp.thinking == 0);
  CHECK(sp.seed == 0);
  CHECK(sp.parse_special == 1);
  CHECK(sp.kv_type == GEMMA4_KV_F16);
  CHECK(!sp.progress_fn);
  REQUIRE(gemma4_generate_params_default(&gp) == GEMMA4_OK);
  CHECK(gp.struct_size == sizeof gp);
  CHECK(gp.max_tokens == 512);
  CHECK(gp.temperature == 1.0f);
  CHECK(gp.top_k == 64);
  CHECK(gp.top_p == 0.95f);
  CHECK(gp.min_p == 0.0f);
  CHECK(gp.repeat_penalty == 1.0f);
  CHECK(gp.repeat_last_n == 64);
  CHECK(gp.seed == 0);
  CHECK(gp.n_stop_strings == 0);
  CHECK(gp.n_logit_bias == 0);
  CHECK(gp.render_special == 0);
}

TEST_CASE("sized structs: version 1 accepted, smaller rejected, zero tail accepted, non-zero tail UNSUPPORTED") {
  // EVIDENCE-OF: A caller compiled against an older header (smaller struct) keeps working:
  // missing fields take their defaults. A larger struct is accepted only if the bytes the
  // library does not know are all zero. (UNSUPPORTED: ... struct tail)
  const std::string path = model("api-q8_0.gguf");
  gemma4_context* c = nullptr;

  SUBCASE("context params") {
    Bigger<gemma4_context_params> big;
    std::memset(&big, 0xAB, sizeof big);
    REQUIRE(gemma4_context_params_init(&big.known, sizeof big) == GEMMA4_OK);
    CHECK(big.known.struct_size == sizeof big);
    for (unsigned char b : big.tail) CHECK(b == 0);  // init zeroes the part it does not know
    big.known.n_threads = 1;
    REQUIRE(gemma4_context_create(path.c_str(), &big.known, &c) == GEMMA4_OK);
    gemma4_context_free(c);
    big.tail[7] = 1;
    CHECK_FAILS(gemma4_context_create(path.c_str(), &big.known, &c), GEMMA4_ERR_UNSUPPORTED);
    CHECK(c == nullptr);
    gemma4_context_params cp;
    gemma4_context_params_default(&cp);
    cp.n_threads = 1;
    cp.struct_size = sizeof cp - 8;
    CHECK_FAILS(gemma4_context_create(path.c_str(), &cp, &c), GEMMA4_ERR_INVALID_ARGUMENT);
    cp.struct_size = sizeof cp;  // version 1 itself
    REQUIRE(gemma4_context_create(path.c_str(), &cp, &c) == GEMMA4_OK);
    gemma4_context_free(c);
  }
  SUBCASE("session params") {
    Bigger<gemma4_session_params> big;
    REQUIRE(gemma4_session_params_init(&big.known, sizeof big) == GEMMA4_OK);
    gemma4_session* s = nullptr;
    REQUIRE(gemma4_session_create(ctx(), &big.known, &s) == GEMMA4_OK);
    gemma4_session_free(s);
    big.tail[sizeof big.tail - 1] = 0x80;
    CHECK_FAILS(gemma4_session_create(ctx(), &big.known, &s), GEMMA4_ERR_UNSUPPORTED);
    CHECK(s == nullptr);
    gemma4_session_params sp;
    gemma4_session_params_default(&sp);
    sp.struct_size = 4;
    CHECK_FAILS(gemma4_session_create(ctx(), &sp, &s), GEMMA4_ERR_INVALID_ARGUMENT);
  }
  SUBCASE("generate params and result") {
    Session s;
    REQUIRE(add_turn(s, GEMMA4_ROLE_USER, "Hello") == GEMMA4_OK);
    Bigger<gemma4_generate_params> big;
    REQUIRE(gemma4_generate_params_init(&big.known, sizeof big) == GEMMA4_OK);
    big.known.max_tokens = 2;
    Bigger<gemma4_generate_result> res;
    std::memset(&res, 0, sizeof res);
    res.known.struct_size = sizeof res;
    REQUIRE(gemma4_session_generate(s, &big.known, nullptr, nullptr, &res.known) == GEMMA4_OK);
    CHECK(res.known.struct_size == sizeof res);  // the caller's size is kept
    CHECK(res.known.n_generated >= 1);
    big.tail[0] = 1;
    CHECK_FAILS(gemma4_session_generate(s, &big.known, nullptr, nullptr, nullptr), GEMMA4_ERR_UNSUPPORTED);
    gemma4_generate_params gp;
    gemma4_generate_params_default(&gp);
    gp.struct_size = 8;
    CHECK_FAILS(gemma4_session_generate(s, &gp, nullptr, nullptr, nullptr), GEMMA4_ERR_INVALID_ARGUMENT);
    gemma4_generate_params_default(&gp);
    gemma4_generate_result r;
    r.struct_size = 4;
    CHECK_FAILS(gemma4_session_generate(s, &gp, nullptr, nullptr, &r), GEMMA4_ERR_INVALID_ARGUMENT);
  }
  SUBCASE("model info") {
    Bigger<gemma4_model_info> big;
    std::memset(&big, 0, sizeof big);
    big.known.struct_size = sizeof big;
    REQUIRE(gemma4_context_info(ctx(), &big.known) == GEMMA4_OK);
    CHECK(big.known.struct_size == sizeof big);
    CHECK(big.known.n_vocab == kVocab);
    gemma4_model_info small;
    small.struct_size = 8;
    CHECK_FAILS(gemma4_context_info(ctx(), &small), GEMMA4_ERR_INVALID_ARGUMENT);
  }
}

TEST_CASE("bad parameter values are INVALID_ARGUMENT") {
  // EVIDENCE-OF: INVALID_ARGUMENT (NULL path/out, bad params) / reserved0 must be 0 /
  // thinking 1 or 0 / n_batch 1..4096 / n_threads 0..1024 / kv_type F16, BF16 or F32.
  gemma4_context* c = nullptr;
  gemma4_context_params cp;
  gemma4_context_params_default(&cp);
  cp.n_threads = 1025;
  CHECK_FAILS(gemma4_context_create(model("api-q8_0.gguf").c_str(), &cp, &c), GEMMA4_ERR_INVALID_ARGUMENT);
  gemma4_context_params_default(&cp);
  cp.reserved0 = 1;
  CHECK_FAILS(gemma4_context_create(model("api-q8_0.gguf").c_str(), &cp, &c), GEMMA4_ERR_INVALID_ARGUMENT);
  CHECK(c == nullptr);
  gemma4_session* s = nullptr;
  gemma4_session_params sp;
  gemma4_session_params_default(&sp);
  sp.thinking = 2;
  CHECK_FAILS(gemma4_session_create(ctx(), &sp, &s), GEMMA4_ERR_INVALID_ARGUMENT);
  gemma4_session_params_default(&sp);
  sp.kv_type = 3;
  CHECK_FAILS(gemma4_session_create(ctx(), &sp, &s), GEMMA4_ERR_INVALID_ARGUMENT);
  gemma4_session_params_default(&sp);
  sp.n_batch = 4097;
  CHECK_FAILS(gemma4_session_create(ctx(), &sp, &s), GEMMA4_ERR_INVALID_ARGUMENT);

  Session ss;
  REQUIRE(add_turn(ss, GEMMA4_ROLE_USER, "Hello") == GEMMA4_OK);
  gemma4_generate_params gp;
  auto fails = [&](void (*edit)(gemma4_generate_params&)) {
    gemma4_generate_params_default(&gp);
    edit(gp);
    CHECK_FAILS(gemma4_session_generate(ss, &gp, nullptr, nullptr, nullptr), GEMMA4_ERR_INVALID_ARGUMENT);
  };
  fails([](gemma4_generate_params& p) { p.temperature = -1; });
  fails([](gemma4_generate_params& p) { p.temperature = NAN; });
  fails([](gemma4_generate_params& p) { p.top_p = 0; });
  fails([](gemma4_generate_params& p) { p.max_tokens = -1; });
  fails([](gemma4_generate_params& p) { p.reserved0 = 3; });
  fails([](gemma4_generate_params& p) { p.n_stop_strings = 1; });  // with stop_strings NULL
  fails([](gemma4_generate_params& p) { p.n_logit_bias = 2; });    // with logit_bias NULL
  static const gemma4_logit_bias out_of_vocab = {kVocab, -1.0f};
  fails([](gemma4_generate_params& p) {
    p.logit_bias = &out_of_vocab;
    p.n_logit_bias = 1;
  });
  CHECK(gemma4_session_n_tokens(ss) > 0);  // none of it changed the session's history
}

// ---- model info ------------------------------------------------------------------------------

TEST_CASE("model info matches the generated model's config") {
  // EVIDENCE-OF: Fills *info (up to info->struct_size bytes).
  // make_model.py small_config(): d 256, 6 layers SSSSSF, 4 heads, KV 2x64 sliding / 1x128 full,
  // ffn 512, window 16, ctx 512, vocab 1024.
  for (const std::string name : {"api-q8_0.gguf", "api-f32.gguf", "api-st-f32"}) {
    CAPTURE(name);
    gemma4_context* c = load(name.c_str(), 2);
    gemma4_model_info m;
    std::memset(&m, 0xFF, sizeof m);
    m.struct_size = sizeof m;
    REQUIRE(gemma4_context_info(c, &m) == GEMMA4_OK);
    CHECK(m.struct_size == sizeof m);
    CHECK(m.n_vocab == kVocab);
    CHECK(m.n_ctx_train == 512);
    CHECK(m.n_embd == 256);
    CHECK(m.n_layer == 6);
    CHECK(m.n_head == 4);
    CHECK(m.n_head_kv_sliding == 2);
    CHECK(m.n_head_kv_full == 1);
    CHECK(m.head_dim_sliding == 64);
    CHECK(m.head_dim_full == 128);
    CHECK(m.n_ff == 512);
    CHECK(m.sliding_window == 16);
    CHECK(m.n_layer_full == 1);
    CHECK(m.n_threads == 2);
    CHECK(m.has_vision == 0);
    CHECK(m.has_audio == 0);
    CHECK(m.add_bos == 1);  // tokenizer.ggml.add_bos_token / tokenizer_config.json add_bos_token
    CHECK(m.reserved0 == 0);
    // Parameters of the decoder from the shapes above: embedding, 5 sliding layers (q, k, v, o,
    // MLP, 6 norms + scalar), 1 full layer (no v_proj), the final norm. The same model in any
    // file format has the same number of parameters.
    const uint64_t d = 256, ff = 512, V = kVocab;
    const uint64_t sliding = d * 256 + 2 * (d * 128) + 256 * d + 3 * d * ff + 4 * d + 2 * 64 + 1;
    const uint64_t full = d * 512 + d * 128 + 512 * d + 3 * d * ff + 4 * d + 2 * 128 + 1;
    CHECK(m.n_params == V * d + 5 * sliding + full + d);
    CHECK(m.bytes_weights > 0);
    CHECK(m.bytes_weights <= m.bytes_mapped);
    REQUIRE(m.format != nullptr);
    REQUIRE(m.weight_type != nullptr);
    REQUIRE(m.isa != nullptr);
    const std::string isa = m.isa;
    CHECK((isa == "scalar" || isa == "avx2" || isa == "avx512"));
    if (name == "api-q8_0.gguf") {
      CHECK(std::string(m.format) == "gguf");
      CHECK(std::string(m.weight_type) == "Q8_0");
    } else if (name == "api-f32.gguf") {
      CHECK(std::string(m.format) == "gguf");
      CHECK(std::string(m.weight_type) == "F32");
    } else {
      CHECK(std::string(m.format) == "safetensors");
      CHECK(std::string(m.weight_type) == "F32");
      CHECK(m.bytes_weights == 4 * m.n_params);  // every tensor is F32 in that folder
    }
    gemma4_context_free(c);
  }
}

TEST_CASE("progress and log callbacks of context creation") {
  // EVIDENCE-OF: Load progress in [0, 1] ... Return non-zero to cancel the load
  // (gemma4_context_create then returns GEMMA4_ERR_CANCELLED).
  // EVIDENCE-OF: Log sink: one complete line without trailing newline.
  struct Seen {
    std::vector<float> progress;
    std::vector<std::string> lines;
    int levels_ok = 1;
    float cancel_at = 2.0f;
  } seen;
  gemma4_context_params cp;
  gemma4_context_params_default(&cp);
  cp.n_threads = 1;
  cp.log_level = GEMMA4_LOG_DEBUG;
  cp.log_user_data = cp.progress_user_data = &seen;
  cp.log_fn = [](void* ud, int32_t level, const char* msg) {
    Seen& s = *static_cast<Seen*>(ud);
    s.lines.emplace_back(msg);
    if (level < GEMMA4_LOG_ERROR || level > GEMMA4_LOG_DEBUG) s.levels_ok = 0;
  };
  cp.progress_fn = [](void* ud, float p) -> int32_t {
    Seen& s = *static_cast<Seen*>(ud);
    s.progress.push_back(p);
    return p >= s.cancel_at;
  };
  gemma4_context* c = nullptr;
  REQUIRE(gemma4_context_create(model("api-q8_0.gguf").c_str(), &cp, &c) == GEMMA4_OK);
  gemma4_context_free(c);
  REQUIRE(!seen.progress.empty());
  for (size_t i = 0; i < seen.progress.size(); ++i) {
    CHECK(seen.progress[i] >= 0.0f);
    CHECK(seen.progress[i] <= 1.0f);
    if (i) CHECK(seen.progress[i] >= seen.progress[i - 1]);
  }
  CHECK(seen.progress.back() == 1.0f);
  CHECK(seen.levels_ok == 1);
  for (const auto& l : seen.lines) {
    CHECK(!l.empty());
    CHECK(l.find('\n') == std::string::npos);
  }
  seen.progress.clear();
  seen.cancel_at = 0.05f;
  c = reinterpret_cast<gemma4_context*>(0x1);
  CHECK_FAILS(gemma4_context_create(model("api-q8_0.gguf").c_str(), &cp, &c), GEMMA4_ERR_CANCELLED);
  CHECK(c == nullptr);
}

// ---- tokenizer -------------------------------------------------------------------------------

TEST_CASE("tokenize: BUFFER_TOO_SMALL reports the count and writes nothing beyond capacity") {
  // EVIDENCE-OF: BUFFER_TOO_SMALL (nothing written beyond capacity; *n_tokens = needed)
  // EVIDENCE-OF: tokens may be NULL when capacity is 0.
  const char* text = "The quick brown fox jumps over the lazy dog.";
  size_t need = 0;
  CHECK_FAILS(gemma4_tokenize(ctx(), text, GEMMA4_NUL_TERMINATED, 0, nullptr, 0, &need), GEMMA4_ERR_BUFFER_TOO_SMALL);
  REQUIRE(need >= 3);
  std::vector<int32_t> buf(need + 8, 0x5A5A5A5A);
  size_t n = 0;
  CHECK_FAILS(gemma4_tokenize(ctx(), text, GEMMA4_NUL_TERMINATED, 0, buf.data(), need - 1, &n),
              GEMMA4_ERR_BUFFER_TOO_SMALL);
  CHECK(n == need);
  for (size_t i = need - 1; i < buf.size(); ++i) CHECK(buf[i] == 0x5A5A5A5A);
  REQUIRE(gemma4_tokenize(ctx(), text, GEMMA4_NUL_TERMINATED, 0, buf.data(), need, &n) == GEMMA4_OK);
  CHECK(n == need);
  for (size_t i = need; i < buf.size(); ++i) CHECK(buf[i] == 0x5A5A5A5A);
  for (size_t i = 0; i < need; ++i) CHECK((buf[i] >= 0 && buf[i] < kVocab));
  // Explicit length: only the first 9 bytes ("The quick").
  std::vector<int32_t> part(need);
  REQUIRE(gemma4_tokenize(ctx(), text, 9, 0, part.data(), part.size(), &n) == GEMMA4_OK);
  part.resize(n);
  CHECK(detok(part) == "The quick");
  // Empty text: no tokens, OK even without a buffer.
  CHECK(gemma4_tokenize(ctx(), "", 0, 0, nullptr, 0, &n) == GEMMA4_OK);
  CHECK(n == 0);
  CHECK_FAILS(gemma4_tokenize(ctx(), "a", 1, 0x100, buf.data(), buf.size(), &n), GEMMA4_ERR_INVALID_ARGUMENT);
}

TEST_CASE("tokenize: ADD_BOS and PARSE_SPECIAL; detokenize inverts it") {
  // EVIDENCE-OF: GEMMA4_TOKENIZE_ADD_BOS prepend <bos> / PARSE_SPECIAL text such as "<|turn>"
  // becomes that special token. / Joins tokens into text (the inverse of gemma4_tokenize for
  // ordinary text).
  int32_t t[64];
  size_t n = 0;
  REQUIRE(gemma4_tokenize(ctx(), "<|turn>", GEMMA4_NUL_TERMINATED, GEMMA4_TOKENIZE_PARSE_SPECIAL, t, 64, &n) == GEMMA4_OK);
  REQUIRE(n == 1);
  CHECK(t[0] == kTurnStart);
  REQUIRE(gemma4_tokenize(ctx(), "<|turn>", GEMMA4_NUL_TERMINATED, 0, t, 64, &n) == GEMMA4_OK);
  CHECK(n > 1);
  for (size_t i = 0; i < n; ++i) CHECK(t[i] != kTurnStart);
  CHECK(detok(std::vector<int32_t>(t, t + n)) == "<|turn>");
  REQUIRE(gemma4_tokenize(ctx(), "Hello world", GEMMA4_NUL_TERMINATED, GEMMA4_TOKENIZE_ADD_BOS, t, 64, &n) == GEMMA4_OK);
  REQUIRE(n >= 2);
  CHECK(t[0] == kBos);
  CHECK(detok(std::vector<int32_t>(t, t + n)) == "Hello world");  // <bos> is a control token
  CHECK(detok(std::vector<int32_t>(t, t + n), GEMMA4_DETOKENIZE_RENDER_SPECIAL) == "<bos>Hello world");
  // Invalid UTF-8 becomes byte tokens and comes back byte for byte.
  const std::string bytes = "a\xff\xc3 b";
  REQUIRE(gemma4_tokenize(ctx(), bytes.data(), bytes.size(), 0, t, 64, &n) == GEMMA4_OK);
  CHECK(detok(std::vector<int32_t>(t, t + n)) == bytes);
}

TEST_CASE("detokenize and token_to_piece buffer rules") {
  // EVIDENCE-OF: Writes a terminating NUL when room. / n_bytes out: bytes of text, excluding the
  // NUL (also when the buffer is too small). / BUFFER_TOO_SMALL (*n_bytes = needed, buffer must
  // hold n_bytes + 1); INVALID_ARGUMENT (NULL, token id out of range).
  // EVIDENCE-OF: Same buffer rules as gemma4_detokenize().
  int32_t t[64];
  size_t n = 0, nb = 0;
  REQUIRE(gemma4_tokenize(ctx(), "Hello world", GEMMA4_NUL_TERMINATED, 0, t, 64, &n) == GEMMA4_OK);
  CHECK_FAILS(gemma4_detokenize(ctx(), t, n, 0, nullptr, 0, &nb), GEMMA4_ERR_BUFFER_TOO_SMALL);
  REQUIRE(nb == 11);
  char buf[32];
  std::memset(buf, '#', sizeof buf);
  CHECK_FAILS(gemma4_detokenize(ctx(), t, n, 0, buf, nb, &nb), GEMMA4_ERR_BUFFER_TOO_SMALL);  // no room for the NUL
  CHECK(nb == 11);
  for (size_t i = 11; i < sizeof buf; ++i) CHECK(buf[i] == '#');
  REQUIRE(gemma4_detokenize(ctx(), t, n, 0, buf, nb + 1, &nb) == GEMMA4_OK);
  CHECK(std::string(buf) == "Hello world");
  CHECK(buf[12] == '#');
  // Empty input: "" with its NUL.
  CHECK(gemma4_detokenize(ctx(), nullptr, 0, 0, buf, 1, &nb) == GEMMA4_OK);
  CHECK(nb == 0);
  CHECK(buf[0] == '\0');
  int32_t bad[2] = {t[0], kVocab};
  CHECK_FAILS(gemma4_detokenize(ctx(), bad, 2, 0, buf, sizeof buf, &nb), GEMMA4_ERR_INVALID_ARGUMENT);
  bad[1] = -1;
  CHECK_FAILS(gemma4_detokenize(ctx(), bad, 2, 0, buf, sizeof buf, &nb), GEMMA4_ERR_INVALID_ARGUMENT);
  CHECK_FAILS(gemma4_detokenize(ctx(), t, n, 0x10, buf, sizeof buf, &nb), GEMMA4_ERR_INVALID_ARGUMENT);

  // token_to_piece: "▁▁▁▁" gives four spaces (as "▁the" gives " the"; the test vocabulary has
  // no "▁the"); special tokens give their text; byte tokens one byte.
  const int32_t the = gemma4_token_lookup(ctx(), "\xe2\x96\x81\xe2\x96\x81\xe2\x96\x81\xe2\x96\x81");
  REQUIRE(the >= 0);
  std::memset(buf, '#', sizeof buf);
  CHECK_FAILS(gemma4_token_to_piece(ctx(), the, buf, 4, &nb), GEMMA4_ERR_BUFFER_TOO_SMALL);
  CHECK(nb == 4);
  for (size_t i = 4; i < sizeof buf; ++i) CHECK(buf[i] == '#');
  REQUIRE(gemma4_token_to_piece(ctx(), the, buf, 5, &nb) == GEMMA4_OK);
  CHECK(std::string(buf) == "    ");
  REQUIRE(gemma4_token_to_piece(ctx(), kTurnStart, buf, sizeof buf, &nb) == GEMMA4_OK);
  CHECK(std::string(buf) == "<|turn>");
  REQUIRE(gemma4_token_to_piece(ctx(), 256 + 0xC3, buf, sizeof buf, &nb) == GEMMA4_OK);
  CHECK(nb == 1);
  CHECK(static_cast<unsigned char>(buf[0]) == 0xC3);
  CHECK(buf[1] == '\0');
  CHECK_FAILS(gemma4_token_to_piece(ctx(), kVocab, buf, sizeof buf, &nb), GEMMA4_ERR_INVALID_ARGUMENT);
  CHECK_FAILS(gemma4_token_to_piece(ctx(), -1, buf, sizeof buf, &nb), GEMMA4_ERR_INVALID_ARGUMENT);
  CHECK_FAILS(gemma4_token_to_piece(ctx(), the, buf, sizeof buf, nullptr), GEMMA4_ERR_INVALID_ARGUMENT);
}

TEST_CASE("special token ids and token_lookup") {
  // EVIDENCE-OF: Id of a named special token, or -1 if the vocabulary lacks it.
  // EVIDENCE-OF: Id of the token whose vocabulary string is exactly `text`, else -1.
  const struct {
    gemma4_special which;
    int32_t id;
    const char* text;
  } expect[] = {
      {GEMMA4_TOKEN_PAD, 0, "<pad>"},           {GEMMA4_TOKEN_EOS, kEos, "<eos>"},
      {GEMMA4_TOKEN_BOS, kBos, "<bos>"},        {GEMMA4_TOKEN_TURN_START, kTurnStart, "<|turn>"},
      {GEMMA4_TOKEN_TURN_END, kTurnEnd, "<turn|>"}, {GEMMA4_TOKEN_THINK, kThink, "<|think|>"},
      {GEMMA4_TOKEN_CHANNEL_START, kChannelStart, "<|channel>"},
      {GEMMA4_TOKEN_CHANNEL_END, kChannelEnd, "<channel|>"},
      // model_vocab.py puts the multimodal tokens last: <|image> <|audio> <|image|> <|audio|>
      // <image|> <audio|> <|video|> at 1017..1023.
      {GEMMA4_TOKEN_IMAGE_START, 1017, "<|image>"}, {GEMMA4_TOKEN_IMAGE_END, 1021, "<image|>"},
      {GEMMA4_TOKEN_AUDIO_START, 1018, "<|audio>"}, {GEMMA4_TOKEN_AUDIO_END, 1022, "<audio|>"},
      {GEMMA4_TOKEN_TOOL_RESPONSE_START, kToolResponse, "<|tool_response>"},
  };
  for (const auto& e : expect) {
    CAPTURE(e.text);
    CHECK(gemma4_special_token(ctx(), e.which) == e.id);
    CHECK(gemma4_token_lookup(ctx(), e.text) == e.id);
  }
  CHECK(gemma4_special_token(ctx(), static_cast<gemma4_special>(99)) == -1);
  CHECK(gemma4_token_lookup(ctx(), "<0x41>") == 256 + 0x41);
  CHECK(gemma4_token_lookup(ctx(), "no such token in the vocabulary") == -1);
  CHECK(gemma4_token_lookup(ctx(), "") == -1);
  CHECK(gemma4_token_lookup(ctx(), nullptr) == -1);
}

// ---- input -------------------------------------------------------------------------------------

TEST_CASE("input: parts, clear, and token ids checked when consumed") {
  // EVIDENCE-OF: Appends token ids as they are (copied; checked against the vocabulary when consumed).
  // EVIDENCE-OF: add_turn INVALID_ARGUMENT (... bad token id)
  Session s;
  Input in;
  const int32_t ids[2] = {600, kVocab + 5};
  REQUIRE(gemma4_input_add_tokens(in, ids, 2) == GEMMA4_OK);  // accepted: checked later
  CHECK_FAILS(gemma4_session_add_turn(s, GEMMA4_ROLE_USER, in), GEMMA4_ERR_INVALID_ARGUMENT);
  CHECK_FAILS(gemma4_session_append(s, in), GEMMA4_ERR_INVALID_ARGUMENT);
  CHECK(gemma4_session_n_tokens(s) == 0);
  const int32_t neg = -3;
  REQUIRE(gemma4_input_clear(in) == GEMMA4_OK);
  REQUIRE(gemma4_input_add_tokens(in, &neg, 1) == GEMMA4_OK);
  CHECK_FAILS(gemma4_session_append(s, in), GEMMA4_ERR_INVALID_ARGUMENT);
  CHECK_FAILS(gemma4_input_add_tokens(in, nullptr, 3), GEMMA4_ERR_INVALID_ARGUMENT);
  CHECK(gemma4_input_add_tokens(in, nullptr, 0) == GEMMA4_OK);
  // After clear the input is empty again and valid parts work; the text was copied.
  REQUIRE(gemma4_input_clear(in) == GEMMA4_OK);
  std::string text = "Hello";
  REQUIRE(gemma4_input_add_text(in, text.c_str(), GEMMA4_NUL_TERMINATED) == GEMMA4_OK);
  text = "XXXXX";
  REQUIRE(gemma4_input_add_tokens(in, ids, 1) == GEMMA4_OK);
  REQUIRE(gemma4_session_append(s, in) == GEMMA4_OK);
  std::vector<int32_t> h = history(s);
  REQUIRE(h.size() >= 3);
  CHECK(h.front() == kBos);  // the file's tokenizer.ggml.add_bos_token is true
  CHECK(h.back() == 600);
  CHECK(detok(h) == "Hello" + detok({600}));
}

TEST_CASE("append inserts <bos> only when the input does not start with it") {
  // EVIDENCE-OF: If the session is empty and the model's metadata asks for it, <bos> is inserted
  // first unless the input already starts with it.
  Session s;
  Input in;
  const int32_t ids[3] = {kBos, 600, 601};
  REQUIRE(gemma4_input_add_tokens(in, ids, 3) == GEMMA4_OK);
  REQUIRE(gemma4_session_append(s, in) == GEMMA4_OK);
  CHECK(history(s) == std::vector<int32_t>(ids, ids + 3));
  REQUIRE(gemma4_session_append(s, in) == GEMMA4_OK);  // not empty any more: as is
  CHECK(history(s).size() == 6);
}

