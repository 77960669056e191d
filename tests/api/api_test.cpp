// Contract tests of include/gemma4.h: one case per promise of the header, through the public
// library only (no internal layer is linked). Each case quotes the sentence it checks in an
// "EVIDENCE-OF:" comment, as SQLite's tests do, so a change of the header points at its tests.
// Models: small random ones written by tests/tools/make_model.py (tests/api.cmake); their
// hyper-parameters are make_model.py's small_config() and the ids model_vocab.py's.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>
#include <gemma4.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {

std::string model(const char* name) { return std::string(GEMMA4_API_MODELS_DIR) + "/" + name; }

// Ids of model_vocab.py's small vocabulary (specials at their real ids, bytes at 256..511).
constexpr int32_t kVocab = 1024, kBos = 2, kEos = 1, kTurnStart = 105, kTurnEnd = 106, kThink = 98;
constexpr int32_t kChannelStart = 100, kChannelEnd = 101, kToolResponse = 50;

gemma4_context* load(const char* name, int32_t n_threads = 1) {
  gemma4_context_params cp;
  REQUIRE(gemma4_context_params_default(&cp) == GEMMA4_OK);
  cp.n_threads = n_threads;
  gemma4_context* ctx = nullptr;
  gemma4_status st = gemma4_context_create(model(name).c_str(), &cp, &ctx);
  INFO(gemma4_last_error());
  REQUIRE(st == GEMMA4_OK);
  return ctx;
}

// One context shared by most cases (a context is immutable: sharing it is what the header allows).
gemma4_context* ctx() {
  static gemma4_context* c = load("api-q8_0.gguf");
  return c;
}

struct Session {
  gemma4_session* s = nullptr;
  explicit Session(gemma4_context* c = ctx(), int32_t n_ctx = 0, int32_t thinking = 0, uint64_t seed = 0) {
    gemma4_session_params sp;
    REQUIRE(gemma4_session_params_default(&sp) == GEMMA4_OK);
    sp.n_ctx = n_ctx;
    sp.thinking = thinking;
    sp.seed = seed;
    REQUIRE(gemma4_session_create(c, &sp, &s) == GEMMA4_OK);
  }
  ~Session() { gemma4_session_free(s); }
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;
  operator gemma4_session*() const { return s; }
};

struct Input {
  gemma4_input* in = nullptr;
  Input() { REQUIRE(gemma4_input_create(&in) == GEMMA4_OK); }
  ~Input() { gemma4_input_free(in); }
  Input(const Input&) = delete;
  Input& operator=(const Input&) = delete;
  operator gemma4_input*() const { return in; }
};

gemma4_status add_turn(gemma4_session* s, gemma4_role role, const std::string& text) {
  Input in;
  REQUIRE(gemma4_input_add_text(in, text.data(), text.size()) == GEMMA4_OK);
  return gemma4_session_add_turn(s, role, in);
}

bool valid_utf8(const std::string& s) {
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 1 : c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (size_t k = 1; k < n; ++k)
      if ((static_cast<unsigned char>(s[i + k]) & 0xc0) != 0x80) return false;
    unsigned char c1 = n > 1 ? static_cast<unsigned char>(s[i + 1]) : 0;
    if ((c == 0xe0 && c1 < 0xa0) || (c == 0xed && c1 >= 0xa0) || (c == 0xf0 && c1 < 0x90) || (c == 0xf4 && c1 >= 0x90))
      return false;
    i += n;
  }
  return true;
}

// What the token callback saw.
struct Stream {
  std::vector<int32_t> ids;
  std::string text;
  bool every_event_utf8 = true, events_consistent = true;
  int stop_after = 0;  // return non-zero at this many tokens (0 = never)
  std::atomic<int> seen{0};
  int sleep_ms = 0;
};

int32_t on_token(void* ud, const gemma4_token_event* ev) {
  Stream& st = *static_cast<Stream*>(ud);
  std::string t(ev->text, ev->text_len);
  st.ids.push_back(ev->token);
  st.text += t;
  if (!valid_utf8(t)) st.every_event_utf8 = false;
  if (ev->struct_size != sizeof(gemma4_token_event) || ev->text[ev->text_len] != '\0' ||
      ev->n_generated != static_cast<int32_t>(st.ids.size()))
    st.events_consistent = false;
  st.seen.store(static_cast<int>(st.ids.size()));
  if (st.sleep_ms) std::this_thread::sleep_for(std::chrono::milliseconds(st.sleep_ms));
  return st.stop_after && static_cast<int>(st.ids.size()) >= st.stop_after;
}

// Generation params with the end tokens banned (so a random model runs to max_tokens) and,
// optionally, the byte tokens too (so the text is whole ASCII pieces).
struct Gen {
  gemma4_generate_params p;
  std::vector<gemma4_logit_bias> bias;
  explicit Gen(int32_t max_tokens, float temperature = 0.0f, bool ban_bytes = false) {
    REQUIRE(gemma4_generate_params_default(&p) == GEMMA4_OK);
    p.max_tokens = max_tokens;
    p.temperature = temperature;
    for (int32_t t : {kEos, kTurnEnd, kToolResponse, kChannelStart, kChannelEnd}) ban(t);
    if (ban_bytes)
      for (int32_t t = 256; t < 512; ++t) ban(t);
  }
  void ban(int32_t t) {
    bias.push_back({t, -INFINITY});
    p.logit_bias = bias.data();
    p.n_logit_bias = bias.size();
  }
};

gemma4_status generate(gemma4_session* s, const Gen& g, Stream& st, gemma4_generate_result* r = nullptr) {
  return gemma4_session_generate(s, &g.p, on_token, &st, r);
}

std::vector<int32_t> history(gemma4_session* s) {
  size_t n = 0;
  gemma4_session_tokens(s, nullptr, 0, &n);
  std::vector<int32_t> out(n);
  REQUIRE(gemma4_session_tokens(s, out.data(), out.size(), &n) == GEMMA4_OK);
  return out;
}

std::string detok(const std::vector<int32_t>& ids, int32_t flags = 0, gemma4_context* c = ctx()) {
  size_t n = 0;
  gemma4_detokenize(c, ids.data(), ids.size(), flags, nullptr, 0, &n);
  std::string s(n + 1, '\0');
  REQUIRE(gemma4_detokenize(c, ids.data(), ids.size(), flags, &s[0], s.size(), &n) == GEMMA4_OK);
  s.resize(n);
  return s;
}

std::vector<float> logits(gemma4_session* s) {
  std::vector<float> l(kVocab);
  size_t n = 0;
  REQUIRE(gemma4_session_logits(s, l.data(), l.size(), &n) == GEMMA4_OK);
  REQUIRE(n == static_cast<size_t>(kVocab));
  return l;
}

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\n\r\f\v"), e = s.find_last_not_of(" \t\n\r\f\v");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

// A failed call must say why: a status and a non-empty message.
#define CHECK_FAILS(call, status)                       \
  do {                                                  \
    CHECK((call) == (status));                          \
    CHECK(std::strlen(gemma4_last_error()) > 0);        \
  } while (0)

}  // namespace

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

// ---- session: chat template --------------------------------------------------------------------

TEST_CASE("generate on an empty session is INVALID_ARGUMENT") {
  // EVIDENCE-OF: INVALID_ARGUMENT (NULL, bad params, empty session)
  Session s;
  Gen g(4);
  Stream st;
  CHECK_FAILS(generate(s, g, st), GEMMA4_ERR_INVALID_ARGUMENT);
  CHECK(st.ids.empty());
  CHECK(gemma4_session_n_tokens(s) == 0);
}

TEST_CASE("a system turn is only allowed first; bad roles are rejected") {
  // EVIDENCE-OF: a system turn (and, with thinking on, <|think|>) is only allowed first.
  // EVIDENCE-OF: INVALID_ARGUMENT (NULL, bad role, system turn not first, bad token id)
  Session s;
  REQUIRE(add_turn(s, GEMMA4_ROLE_SYSTEM, "Be brief.") == GEMMA4_OK);
  CHECK(detok(history(s), GEMMA4_DETOKENIZE_RENDER_SPECIAL) == "<bos><|turn>system\nBe brief.<turn|>\n");
  const int32_t n = gemma4_session_n_tokens(s);
  CHECK_FAILS(add_turn(s, GEMMA4_ROLE_SYSTEM, "Again"), GEMMA4_ERR_INVALID_ARGUMENT);
  REQUIRE(add_turn(s, GEMMA4_ROLE_USER, "Hi") == GEMMA4_OK);
  CHECK_FAILS(add_turn(s, GEMMA4_ROLE_SYSTEM, "Late"), GEMMA4_ERR_INVALID_ARGUMENT);
  CHECK_FAILS(add_turn(s, static_cast<gemma4_role>(3), "x"), GEMMA4_ERR_INVALID_ARGUMENT);
  CHECK_FAILS(add_turn(s, static_cast<gemma4_role>(-1), "x"), GEMMA4_ERR_INVALID_ARGUMENT);
  CHECK(gemma4_session_n_tokens(s) > n);
  CHECK(detok(history(s), GEMMA4_DETOKENIZE_RENDER_SPECIAL) ==
        "<bos><|turn>system\nBe brief.<turn|>\n<|turn>user\nHi<turn|>\n");
}

TEST_CASE("multi-turn history re-renders the model turn without the empty thought block") {
  // EVIDENCE-OF: The first call emits <bos>. / After a user turn, the model turn is opened first
  // (<|turn>model\n, plus an empty thought block when thinking is off). / A model answer left
  // open by gemma4_session_generate() is closed first, and its thoughts are removed from the
  // history as the template requires. / The generated tokens stay in the session's history.
  Session s;
  REQUIRE(add_turn(s, GEMMA4_ROLE_USER, "Hi") == GEMMA4_OK);
  CHECK(detok(history(s), GEMMA4_DETOKENIZE_RENDER_SPECIAL) == "<bos><|turn>user\nHi<turn|>\n");
  Gen g(6, 0.0f, true);
  Stream st;
  REQUIRE(generate(s, g, st) == GEMMA4_OK);
  REQUIRE(st.ids.size() == 6);
  const std::string answer = detok(st.ids, GEMMA4_DETOKENIZE_RENDER_SPECIAL);
  CHECK(detok(history(s), GEMMA4_DETOKENIZE_RENDER_SPECIAL) ==
        "<bos><|turn>user\nHi<turn|>\n<|turn>model\n<|channel>thought\n<channel|>" + answer);
  REQUIRE(add_turn(s, GEMMA4_ROLE_USER, "Bye") == GEMMA4_OK);
  CHECK(detok(history(s), GEMMA4_DETOKENIZE_RENDER_SPECIAL) ==
        "<bos><|turn>user\nHi<turn|>\n<|turn>model\n" + trim(answer) + "<turn|>\n<|turn>user\nBye<turn|>\n");
  // The conversation goes on.
  Stream st2;
  REQUIRE(generate(s, g, st2) == GEMMA4_OK);
  CHECK(st2.ids.size() == 6);
}

TEST_CASE("a model turn given as history is rendered with its thoughts stripped") {
  // EVIDENCE-OF: GEMMA4_ROLE_MODEL an earlier answer of the model (history); thoughts are stripped
  Session s;
  REQUIRE(add_turn(s, GEMMA4_ROLE_USER, "Hi") == GEMMA4_OK);
  REQUIRE(add_turn(s, GEMMA4_ROLE_MODEL, "<|channel>thought\nhmm<channel|> Hello there. ") == GEMMA4_OK);
  CHECK(detok(history(s), GEMMA4_DETOKENIZE_RENDER_SPECIAL) ==
        "<bos><|turn>user\nHi<turn|>\n<|turn>model\nHello there.<turn|>\n");
}

TEST_CASE("thinking=1 emits the think-only system turn and no empty thought block") {
  // EVIDENCE-OF: thinking 1 = thinking on (<|think|>) / plus an empty thought block when thinking is off
  Session s(ctx(), 0, 1);
  REQUIRE(add_turn(s, GEMMA4_ROLE_USER, "Hi") == GEMMA4_OK);
  const std::string prompt = "<bos><|turn>system\n<|think|>\n<turn|>\n<|turn>user\nHi<turn|>\n";
  CHECK(detok(history(s), GEMMA4_DETOKENIZE_RENDER_SPECIAL) == prompt);
  Gen g(1, 0.0f, true);
  Stream st;
  REQUIRE(generate(s, g, st) == GEMMA4_OK);
  REQUIRE(st.ids.size() == 1);
  CHECK(detok(history(s), GEMMA4_DETOKENIZE_RENDER_SPECIAL) ==
        prompt + "<|turn>model\n" + detok(st.ids, GEMMA4_DETOKENIZE_RENDER_SPECIAL));
  // With a system message, <|think|> goes first inside it.
  Session s2(ctx(), 0, 1);
  REQUIRE(add_turn(s2, GEMMA4_ROLE_SYSTEM, "Be brief.") == GEMMA4_OK);
  CHECK(detok(history(s2), GEMMA4_DETOKENIZE_RENDER_SPECIAL) == "<bos><|turn>system\n<|think|>\nBe brief.<turn|>\n");
}

TEST_CASE("parse_special=0 keeps special-token text in user text as plain text") {
  // EVIDENCE-OF: parse_special 1 [default]: special-token text in input text parts becomes the
  // special token; 0: plain text
  for (int32_t ps : {1, 0}) {
    gemma4_session_params sp;
    gemma4_session_params_default(&sp);
    sp.parse_special = ps;
    gemma4_session* s = nullptr;
    REQUIRE(gemma4_session_create(ctx(), &sp, &s) == GEMMA4_OK);
    REQUIRE(add_turn(s, GEMMA4_ROLE_USER, "a<|turn>b") == GEMMA4_OK);
    int turns = 0;
    for (int32_t t : history(s)) turns += t == kTurnStart;
    CHECK(turns == (ps ? 2 : 1));
    CHECK(detok(history(s), GEMMA4_DETOKENIZE_RENDER_SPECIAL) == "<bos><|turn>user\na<|turn>b<turn|>\n");
    gemma4_session_free(s);
  }
}

// ---- session: limits and errors ----------------------------------------------------------------

TEST_CASE("a turn longer than the context is CONTEXT_FULL and leaves the session as before") {
  // EVIDENCE-OF: CONTEXT_FULL (the turn does not fit: the session is left as before the call)
  Session s(ctx(), 48);
  CHECK(gemma4_session_n_ctx(s) == 48);
  std::string longtext;
  for (int i = 0; i < 30; ++i) longtext += "The quick brown fox jumps. ";
  CHECK_FAILS(add_turn(s, GEMMA4_ROLE_USER, longtext), GEMMA4_ERR_CONTEXT_FULL);
  CHECK(gemma4_session_n_tokens(s) == 0);
  REQUIRE(add_turn(s, GEMMA4_ROLE_USER, "Hi") == GEMMA4_OK);
  Gen g(3, 0.0f, true);
  Stream st;
  REQUIRE(generate(s, g, st) == GEMMA4_OK);
  const std::vector<int32_t> before = history(s);
  const std::vector<float> logits_before = logits(s);
  CHECK_FAILS(add_turn(s, GEMMA4_ROLE_USER, longtext), GEMMA4_ERR_CONTEXT_FULL);
  CHECK(gemma4_session_n_tokens(s) == static_cast<int32_t>(before.size()));
  CHECK(history(s) == before);
  CHECK(logits(s) == logits_before);
  // Still works, and continues the same conversation: a fresh session given the same calls
  // without the failed one generates the same tokens.
  Stream a, b;
  REQUIRE(add_turn(s, GEMMA4_ROLE_USER, "Bye") == GEMMA4_OK);
  REQUIRE(generate(s, g, a) == GEMMA4_OK);
  Session ref(ctx(), 48);
  Stream r0;
  REQUIRE(add_turn(ref, GEMMA4_ROLE_USER, "Hi") == GEMMA4_OK);
  REQUIRE(generate(ref, g, r0) == GEMMA4_OK);
  REQUIRE(add_turn(ref, GEMMA4_ROLE_USER, "Bye") == GEMMA4_OK);
  REQUIRE(generate(ref, g, b) == GEMMA4_OK);
  CHECK(a.ids == b.ids);
  CHECK(history(s) == history(ref));
}

TEST_CASE("generation that fills the context stops with CONTEXT_FULL; then nothing fits") {
  // EVIDENCE-OF: max_tokens 0 = until the context is full / CONTEXT_FULL (nothing fits any more)
  // EVIDENCE-OF: Tokens currently in the session's context
  Session s(ctx(), 32);
  REQUIRE(add_turn(s, GEMMA4_ROLE_USER, "Hi") == GEMMA4_OK);
  Gen g(0, 0.0f, true);
  Stream st;
  gemma4_generate_result r;
  r.struct_size = sizeof r;
  REQUIRE(generate(s, g, st, &r) == GEMMA4_OK);
  CHECK(r.stop_reason == GEMMA4_STOP_CONTEXT_FULL);
  CHECK(r.n_generated == static_cast<int32_t>(st.ids.size()));
  CHECK(gemma4_session_n_tokens(s) <= gemma4_session_n_ctx(s));
  Stream st2;
  CHECK_FAILS(generate(s, g, st2), GEMMA4_ERR_CONTEXT_FULL);
  CHECK(st2.ids.empty());
}

TEST_CASE("logits: buffer rules and values of the last position") {
  // EVIDENCE-OF: Copies the logits of the last processed position (after the soft-cap, before
  // sampling) into out[capacity]. / BUFFER_TOO_SMALL (capacity < vocab); INVALID_ARGUMENT (NULL,
  // or no position processed yet).
  Session s;
  std::vector<float> l(kVocab + 4, 7.0f);
  size_t nv = 0;
  CHECK_FAILS(gemma4_session_logits(s, l.data(), l.size(), &nv), GEMMA4_ERR_INVALID_ARGUMENT);
  REQUIRE(add_turn(s, GEMMA4_ROLE_USER, "Hello") == GEMMA4_OK);
  CHECK_FAILS(gemma4_session_logits(s, nullptr, 0, &nv), GEMMA4_ERR_BUFFER_TOO_SMALL);
  CHECK(nv == static_cast<size_t>(kVocab));
  CHECK_FAILS(gemma4_session_logits(s, l.data(), kVocab - 1, &nv), GEMMA4_ERR_BUFFER_TOO_SMALL);
  CHECK(nv == static_cast<size_t>(kVocab));
  CHECK_FAILS(gemma4_session_logits(s, l.data(), l.size(), nullptr), GEMMA4_ERR_INVALID_ARGUMENT);
  REQUIRE(gemma4_session_logits(s, l.data(), l.size(), &nv) == GEMMA4_OK);
  for (size_t i = kVocab; i < l.size(); ++i) CHECK(l[i] == 7.0f);  // nothing beyond the vocabulary
  // Soft-cap 30 (make_model.py): every logit is finite and |logit| < 30.
  int32_t best = 0;
  for (int32_t i = 0; i < kVocab; ++i) {
    REQUIRE(std::isfinite(l[i]));
    REQUIRE(std::fabs(l[i]) < 30.0f);
    if (l[i] > l[best]) best = i;
  }
  // Greedy samples the argmax of these logits (the generation prompt is prefilled first, so
  // compare after it: generate 1 token, then the logits are still those the token came from).
  Gen g(1, 0.0f);
  Stream st;
  REQUIRE(generate(s, g, st) == GEMMA4_OK);
  std::vector<float> after = logits(s);
  int32_t arg = -1;
  for (int32_t i = 0; i < kVocab; ++i) {
    bool banned = false;
    for (const auto& b : g.bias) banned |= b.token == i;
    if (i == 1021 || i == 1022) banned = true;  // <image|>, <audio|> are never sampled
    if (!banned && (arg < 0 || after[i] > after[arg])) arg = i;
  }
  REQUIRE(st.ids.size() == 1);
  CHECK(st.ids[0] == arg);
}

TEST_CASE("session_tokens buffer rules") {
  // EVIDENCE-OF: BUFFER_TOO_SMALL (*n_tokens = needed); INVALID_ARGUMENT.
  Session s;
  size_t n = 7;
  CHECK(gemma4_session_tokens(s, nullptr, 0, &n) == GEMMA4_OK);
  CHECK(n == 0);
  REQUIRE(add_turn(s, GEMMA4_ROLE_USER, "Hello") == GEMMA4_OK);
  const size_t need = static_cast<size_t>(gemma4_session_n_tokens(s));
  std::vector<int32_t> buf(need + 4, -7);
  CHECK_FAILS(gemma4_session_tokens(s, buf.data(), need - 1, &n), GEMMA4_ERR_BUFFER_TOO_SMALL);
  CHECK(n == need);
  for (size_t i = need - 1; i < buf.size(); ++i) CHECK(buf[i] == -7);
  REQUIRE(gemma4_session_tokens(s, buf.data(), buf.size(), &n) == GEMMA4_OK);
  CHECK(buf[0] == kBos);
  CHECK(buf[need] == -7);
  CHECK_FAILS(gemma4_session_tokens(s, buf.data(), buf.size(), nullptr), GEMMA4_ERR_INVALID_ARGUMENT);
  CHECK_FAILS(gemma4_session_tokens(s, nullptr, 4, &n), GEMMA4_ERR_INVALID_ARGUMENT);
}

// ---- session: generation -------------------------------------------------------------------------

TEST_CASE("max_tokens, callback stop and a NULL callback") {
  // EVIDENCE-OF: GEMMA4_STOP_MAX_TOKENS / GEMMA4_STOP_CALLBACK the token callback returned
  // non-zero / GEMMA4_OK for every normal stop (incl. max tokens, callback, stop string)
  // EVIDENCE-OF: on_token may be NULL (tokens are still generated and kept).
  gemma4_generate_result r;
  r.struct_size = sizeof r;
  {
    Session s;
    REQUIRE(add_turn(s, GEMMA4_ROLE_USER, "Hello") == GEMMA4_OK);
    const int32_t n0 = gemma4_session_n_tokens(s);
    Gen g(5);
    Stream st;
    REQUIRE(generate(s, g, st, &r) == GEMMA4_OK);
    CHECK(r.stop_reason == GEMMA4_STOP_MAX_TOKENS);
    CHECK(r.n_generated == 5);
    CHECK(r.n_prompt > 0);  // the generation prompt <|turn>model\n...
    CHECK(r.prefill_ms >= 0);
    CHECK(r.decode_ms >= 0);
    CHECK(st.ids.size() == 5);
    CHECK(st.events_consistent);
    CHECK(gemma4_session_n_tokens(s) == n0 + r.n_prompt + 5);
    std::vector<int32_t> h = history(s);
    CHECK(std::vector<int32_t>(h.end() - 5, h.end()) == st.ids);
  }
  {
    Session s;
    REQUIRE(add_turn(s, GEMMA4_ROLE_USER, "Hello") == GEMMA4_OK);
    Gen g(20);
    Stream st;
    st.stop_after = 3;
    REQUIRE(generate(s, g, st, &r) == GEMMA4_OK);
    CHECK(r.stop_reason == GEMMA4_STOP_CALLBACK);
    CHECK(r.n_generated == 3);
    CHECK(st.ids.size() == 3);
  }
  {
    Session a, b;
    REQUIRE(add_turn(a, GEMMA4_ROLE_USER, "Hello") == GEMMA4_OK);
    REQUIRE(add_turn(b, GEMMA4_ROLE_USER, "Hello") == GEMMA4_OK);
    Gen g(4);
    Stream st;
    REQUIRE(gemma4_session_generate(a, &g.p, nullptr, nullptr, &r) == GEMMA4_OK);
    CHECK(r.n_generated == 4);
    REQUIRE(generate(b, g, st) == GEMMA4_OK);
    CHECK(history(a) == history(b));
  }
}

TEST_CASE("an end token stops generation with STOP_EOS") {
  // EVIDENCE-OF: GEMMA4_STOP_EOS an end token (<eos>, <turn|>, <|tool_response>)
  Session s;
  REQUIRE(add_turn(s, GEMMA4_ROLE_USER, "Hello") == GEMMA4_OK);
  gemma4_generate_params gp;
  gemma4_generate_params_default(&gp);
  gp.temperature = 0;
  const gemma4_logit_bias force = {kTurnEnd, 1000.0f};  // the argmax is <turn|>
  gp.logit_bias = &force;
  gp.n_logit_bias = 1;
  Stream st;
  gemma4_generate_result r;
  r.struct_size = sizeof r;
  REQUIRE(gemma4_session_generate(s, &gp, on_token, &st, &r) == GEMMA4_OK);
  CHECK(r.stop_reason == GEMMA4_STOP_EOS);
  CHECK(r.n_generated == 1);
  REQUIRE(st.ids.size() == 1);
  CHECK(st.ids[0] == kTurnEnd);
  CHECK(st.text.empty());  // a control token: empty text unless render_special
}

TEST_CASE("stop strings: generation stops and the stop string is not delivered") {
  // EVIDENCE-OF: stop_strings generation stops when one appears (not delivered)
  Gen g(40, 0.0f, true);  // greedy over whole pieces: the text is ASCII and repeatable
  Stream full;
  {
    Session s;
    REQUIRE(add_turn(s, GEMMA4_ROLE_USER, "Hello") == GEMMA4_OK);
    REQUIRE(generate(s, g, full) == GEMMA4_OK);
  }
  // A 3-byte stop string taken from the middle of what the greedy run produced.
  REQUIRE(full.text.size() >= 12);
  const std::string stop = full.text.substr(full.text.size() / 2, 3);
  const size_t at = full.text.find(stop);
  CAPTURE(full.text);
  CAPTURE(stop);
  const char* stops[2] = {"this string never appears \x01", stop.c_str()};
  g.p.stop_strings = stops;
  g.p.n_stop_strings = 2;
  Session s;
  REQUIRE(add_turn(s, GEMMA4_ROLE_USER, "Hello") == GEMMA4_OK);
  Stream st;
  gemma4_generate_result r;
  r.struct_size = sizeof r;
  REQUIRE(generate(s, g, st, &r) == GEMMA4_OK);
  CHECK(r.stop_reason == GEMMA4_STOP_STRING);
  CHECK(st.text == full.text.substr(0, at));
  CHECK(st.text.find(stop) == std::string::npos);
  CHECK(st.ids == std::vector<int32_t>(full.ids.begin(), full.ids.begin() + static_cast<long>(st.ids.size())));
}

TEST_CASE("streamed text is valid UTF-8 at every event and joins to the detokenized ids") {
  // EVIDENCE-OF: text complete UTF-8 only: bytes of an incomplete character are held back and
  // delivered with the token that completes it; NUL-terminated
  // EVIDENCE-OF: render_special 0 [default]: control tokens have empty text (the id is still given)
  // EVIDENCE-OF: Control tokens are omitted unless GEMMA4_DETOKENIZE_RENDER_SPECIAL.
  for (uint64_t seed : {1, 2, 3}) {
    Session s;
    REQUIRE(add_turn(s, GEMMA4_ROLE_USER, "Hello") == GEMMA4_OK);
    Gen g(40, 1.5f, true);
    g.p.seed = seed;
    Stream st;
    REQUIRE(generate(s, g, st) == GEMMA4_OK);
    CHECK(st.every_event_utf8);
    CHECK(st.events_consistent);
    CHECK(st.text == detok(st.ids));
  }
  // Only the bytes C3 and A9 may be sampled: "é" is C3 A9. A C3 must be held back until its
  // A9; every other arrangement is invalid and must not reach the callback as is.
  Session s;
  REQUIRE(add_turn(s, GEMMA4_ROLE_USER, "Hello") == GEMMA4_OK);
  Gen g(60, 1.0f);
  for (int32_t t = 0; t < kVocab; ++t)
    if (t != 256 + 0xC3 && t != 256 + 0xA9) g.ban(t);
  g.p.top_k = 0;
  g.p.top_p = 1.0f;
  Stream st;
  REQUIRE(generate(s, g, st) == GEMMA4_OK);
  REQUIRE(st.ids.size() == 60);
  CHECK(st.every_event_utf8);
  CHECK(valid_utf8(st.text));
  int pairs = 0, accents = 0;
  for (size_t i = 0; i + 1 < st.ids.size(); ++i) pairs += st.ids[i] == 256 + 0xC3 && st.ids[i + 1] == 256 + 0xA9;
  for (size_t p = st.text.find("\xc3\xa9"); p != std::string::npos; p = st.text.find("\xc3\xa9", p + 2)) ++accents;
  CHECK(pairs > 0);
  CHECK(accents == pairs);
}

TEST_CASE("an incomplete character at the very end is dropped; invalid bytes become U+FFFD") {
  // EVIDENCE-OF: (an incomplete character at the very end is dropped; invalid bytes become
  // U+FFFD); may be empty
  struct {
    int32_t token;
    const char* text;
  } cases[] = {{256 + 0xC3, ""}, {256 + 0xA9, "\xEF\xBF\xBD"}, {256 + 0x41, "A"}};
  for (const auto& c : cases) {
    CAPTURE(c.token);
    Session s;
    REQUIRE(add_turn(s, GEMMA4_ROLE_USER, "Hello") == GEMMA4_OK);
    Gen g(1);
    const gemma4_logit_bias force = {c.token, 1000.0f};
    g.bias.push_back(force);
    g.p.logit_bias = g.bias.data();
    g.p.n_logit_bias = g.bias.size();
    Stream st;
    REQUIRE(generate(s, g, st) == GEMMA4_OK);
    REQUIRE(st.ids.size() == 1);
    CHECK(st.ids[0] == c.token);
    CHECK(st.text == c.text);
  }
}

TEST_CASE("user-defined special tokens are always rendered") {
  // EVIDENCE-OF: User-defined special tokens ("<|channel>", tool tokens) are always rendered
  // EVIDENCE-OF: is_special 1 for control and user-defined special tokens
  struct Ev {
    int32_t special = -1;
    std::string text;
  } ev;
  Session s;
  REQUIRE(add_turn(s, GEMMA4_ROLE_USER, "Hello") == GEMMA4_OK);
  gemma4_generate_params gp;
  gemma4_generate_params_default(&gp);
  gp.max_tokens = 1;
  const gemma4_logit_bias force = {kChannelStart, 1000.0f};
  gp.logit_bias = &force;
  gp.n_logit_bias = 1;
  auto cb = [](void* ud, const gemma4_token_event* e) -> int32_t {
    static_cast<Ev*>(ud)->special = e->is_special;
    static_cast<Ev*>(ud)->text.assign(e->text, e->text_len);
    return 0;
  };
  REQUIRE(gemma4_session_generate(s, &gp, cb, &ev, nullptr) == GEMMA4_OK);
  CHECK(ev.special == 1);
  CHECK(ev.text == "<|channel>");
}

TEST_CASE("render_special=1 gives control tokens their text") {
  // EVIDENCE-OF: render_special 1: events carry the text of control tokens too
  Session s;
  REQUIRE(add_turn(s, GEMMA4_ROLE_USER, "Hello") == GEMMA4_OK);
  gemma4_generate_params gp;
  gemma4_generate_params_default(&gp);
  gp.temperature = 0;
  gp.max_tokens = 1;
  gp.render_special = 1;
  const gemma4_logit_bias force = {kThink, 1000.0f};  // a control token
  gp.logit_bias = &force;
  gp.n_logit_bias = 1;
  Stream st;
  REQUIRE(gemma4_session_generate(s, &gp, on_token, &st, nullptr) == GEMMA4_OK);
  REQUIRE(st.ids.size() == 1);
  CHECK(st.ids[0] == kThink);
  CHECK(st.text == "<|think|>");
  // ... and with render_special 0 the same token has empty text.
  gp.render_special = 0;
  Stream st2;
  REQUIRE(gemma4_session_generate(s, &gp, on_token, &st2, nullptr) == GEMMA4_OK);
  REQUIRE(st2.ids.size() == 1);
  CHECK(st2.ids[0] == kThink);
  CHECK(st2.text.empty());
}

TEST_CASE("a logit bias of -INFINITY bans a token") {
  // EVIDENCE-OF: A logit bias entry: logits[token] += bias (use -INFINITY to ban a token).
  Session s;
  REQUIRE(add_turn(s, GEMMA4_ROLE_USER, "Hello") == GEMMA4_OK);
  Gen g(30);
  Stream first;
  REQUIRE(generate(s, g, first) == GEMMA4_OK);
  // Ban every token the greedy run produced: none of them may come back.
  Gen g2(30);
  for (int32_t t : first.ids) g2.ban(t);
  Session s2;
  REQUIRE(add_turn(s2, GEMMA4_ROLE_USER, "Hello") == GEMMA4_OK);
  Stream second;
  REQUIRE(generate(s2, g2, second) == GEMMA4_OK);
  REQUIRE(second.ids.size() == 30);
  for (int32_t t : second.ids)
    for (int32_t b : first.ids) CHECK(t != b);
  // Also when sampling.
  Gen g3(30, 1.0f);
  for (int32_t t : first.ids) g3.ban(t);
  Session s3;
  REQUIRE(add_turn(s3, GEMMA4_ROLE_USER, "Hello") == GEMMA4_OK);
  Stream third;
  REQUIRE(generate(s3, g3, third) == GEMMA4_OK);
  for (int32_t t : third.ids)
    for (int32_t b : first.ids) CHECK(t != b);
}

TEST_CASE("greedy output is the same with 1 and 2 threads, sampling repeats with the seed") {
  // EVIDENCE-OF: temperature 0 = greedy (argmax) / seed 0 [default] = 0x5eed (fixed: runs are
  // repeatable) / seed ... else reseed
  // Threads split the output rows of each matrix product; every dot product is summed in the
  // same order whatever the thread count, so tokens and logits must be bitwise identical.
  gemma4_context* c1 = load("api-q8_0.gguf", 1);
  gemma4_context* c2 = load("api-q8_0.gguf", 2);
  std::vector<std::vector<int32_t>> ids;
  std::vector<std::vector<float>> prompt_logits, last_logits;
  for (gemma4_context* c : {c1, c2}) {
    Session s(c);
    REQUIRE(add_turn(s, GEMMA4_ROLE_USER, "The quick brown fox jumps over the lazy dog.") == GEMMA4_OK);
    prompt_logits.push_back(logits(s));
    Gen g(24);
    Stream st;
    REQUIRE(generate(s, g, st) == GEMMA4_OK);
    ids.push_back(st.ids);
    last_logits.push_back(logits(s));
  }
  CHECK(ids[0] == ids[1]);
  CHECK(std::memcmp(prompt_logits[0].data(), prompt_logits[1].data(), kVocab * sizeof(float)) == 0);
  CHECK(std::memcmp(last_logits[0].data(), last_logits[1].data(), kVocab * sizeof(float)) == 0);

  auto sample = [&](gemma4_context* c, uint64_t session_seed, uint64_t gen_seed) {
    Session s(c, 0, 0, session_seed);
    REQUIRE(add_turn(s, GEMMA4_ROLE_USER, "Hello") == GEMMA4_OK);
    Gen g(24, 1.0f);
    g.p.seed = gen_seed;
    Stream st;
    REQUIRE(generate(s, g, st) == GEMMA4_OK);
    return st.ids;
  };
  const std::vector<int32_t> base = sample(c1, 0, 42);
  CHECK(sample(c1, 0, 42) == base);
  CHECK(sample(c2, 0, 42) == base);
  CHECK(sample(c1, 0, 0) == sample(c2, 0, 0));      // the default session seed
  CHECK(sample(c1, 7, 0) == sample(c1, 7, 0));      // a session seed
  int differ = 0;                                   // 24 tokens at temperature 1 from a random
  for (uint64_t seed : {43, 44, 45, 46})            // model: equal runs are a near-impossible
    differ += sample(c1, 0, seed) != base;          // coincidence, so "usually" = at least 3 of 4
  CHECK(differ >= 3);
  gemma4_context_free(c1);
  gemma4_context_free(c2);
}

TEST_CASE("cancel from another thread stops a long generation promptly; the session stays usable") {
  // EVIDENCE-OF: Asks the call running on the session ... to stop at the next token or prefill
  // chunk boundary; it then returns GEMMA4_ERR_CANCELLED. Tokens already processed stay in the
  // session. / gemma4_session_cancel() may be called from any thread.
  Session s;
  REQUIRE(add_turn(s, GEMMA4_ROLE_USER, "Hello") == GEMMA4_OK);
  const int32_t n0 = gemma4_session_n_tokens(s);
  Gen g(0);  // until the context (512) is full
  Stream st;
  st.sleep_ms = 2;  // >= 1 s for a full context: cancel surely lands mid-generation
  std::atomic<int> at_cancel{-1};
  std::chrono::steady_clock::time_point t_cancel;
  std::thread canceller([&] {
    while (st.seen.load() < 5) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    t_cancel = std::chrono::steady_clock::now();
    at_cancel = st.seen.load();
    CHECK(gemma4_session_cancel(s) == GEMMA4_OK);
  });
  gemma4_generate_result r;
  r.struct_size = sizeof r;
  const gemma4_status status = generate(s, g, st, &r);
  const auto t_end = std::chrono::steady_clock::now();
  canceller.join();
  CHECK(status == GEMMA4_ERR_CANCELLED);
  CHECK(std::strlen(gemma4_last_error()) > 0);
  CHECK(r.stop_reason == GEMMA4_STOP_CANCELLED);
  // "At the next token": at most the token being produced when cancel came, plus one.
  CHECK(r.n_generated - at_cancel.load() <= 2);
  CHECK(std::chrono::duration<double>(t_end - t_cancel).count() < 1.0);
  CHECK(gemma4_session_n_tokens(s) > n0);  // what was generated stays
  CHECK(history(s).size() == static_cast<size_t>(gemma4_session_n_tokens(s)));
  // Usable afterwards: generation continues normally.
  Gen g2(3);
  Stream more;
  REQUIRE(generate(s, g2, more, &r) == GEMMA4_OK);
  CHECK(r.stop_reason == GEMMA4_STOP_MAX_TOKENS);
  CHECK(more.ids.size() == 3);
}

TEST_CASE("cancel with nothing running has no effect on the next call") {
  // EVIDENCE-OF: If no call is running, nothing happens.
  Session s;
  CHECK(gemma4_session_cancel(s) == GEMMA4_OK);
  REQUIRE(add_turn(s, GEMMA4_ROLE_USER, "Hello") == GEMMA4_OK);
  CHECK(gemma4_session_cancel(s) == GEMMA4_OK);
  Gen g(4);
  Stream st;
  gemma4_generate_result r;
  r.struct_size = sizeof r;
  REQUIRE(generate(s, g, st, &r) == GEMMA4_OK);
  CHECK(r.stop_reason == GEMMA4_STOP_MAX_TOKENS);
  CHECK(st.ids.size() == 4);
}

TEST_CASE("a progress callback returning non-zero cancels the prefill") {
  // EVIDENCE-OF: progress_fn ... called during prompt processing with the fraction done (per
  // chunk of n_batch tokens); a non-zero return cancels like gemma4_session_cancel()
  struct P {
    std::vector<float> seen;
    size_t cancel_at_call;
  } p{{}, 2};
  gemma4_session_params sp;
  gemma4_session_params_default(&sp);
  sp.n_batch = 8;
  sp.progress_user_data = &p;
  sp.progress_fn = [](void* ud, float f) -> int32_t {
    P& q = *static_cast<P*>(ud);
    q.seen.push_back(f);
    return q.seen.size() > q.cancel_at_call;
  };
  gemma4_session* s = nullptr;
  REQUIRE(gemma4_session_create(ctx(), &sp, &s) == GEMMA4_OK);
  std::string text;
  for (int i = 0; i < 6; ++i) text += "The quick brown fox jumps. ";
  CHECK_FAILS(add_turn(s, GEMMA4_ROLE_USER, text), GEMMA4_ERR_CANCELLED);
  CHECK(p.seen.size() == 3);
  CHECK(gemma4_session_n_tokens(s) == 16);  // two chunks of 8 were processed and stay
  // A session cancelled mid-prompt is reset and used again.
  p.cancel_at_call = 1000;
  p.seen.clear();
  REQUIRE(gemma4_session_reset(s) == GEMMA4_OK);
  REQUIRE(add_turn(s, GEMMA4_ROLE_USER, text) == GEMMA4_OK);
  REQUIRE(p.seen.size() >= 2);
  for (size_t i = 1; i < p.seen.size(); ++i) CHECK(p.seen[i] >= p.seen[i - 1]);
  CHECK(p.seen.front() >= 0.0f);
  CHECK(p.seen.back() <= 1.0f);
  gemma4_session_free(s);
}

TEST_CASE("session reset forgets everything and behaves like a new session") {
  // EVIDENCE-OF: Forgets everything (history, KV cache, chat state); keeps buffers.
  Session s(ctx(), 0, 0, 99);
  REQUIRE(add_turn(s, GEMMA4_ROLE_SYSTEM, "Be brief.") == GEMMA4_OK);
  REQUIRE(add_turn(s, GEMMA4_ROLE_USER, "Hello") == GEMMA4_OK);
  Gen g(8, 1.0f);
  Stream st;
  REQUIRE(generate(s, g, st) == GEMMA4_OK);
  REQUIRE(gemma4_session_reset(s) == GEMMA4_OK);
  CHECK(gemma4_session_n_tokens(s) == 0);
  CHECK(history(s).empty());
  std::vector<float> l(kVocab);
  size_t nv = 0;
  CHECK_FAILS(gemma4_session_logits(s, l.data(), l.size(), &nv), GEMMA4_ERR_INVALID_ARGUMENT);
  Stream none;
  CHECK_FAILS(generate(s, g, none), GEMMA4_ERR_INVALID_ARGUMENT);
  // A system turn is first again; the run repeats exactly (same seed stream, clean KV cache).
  REQUIRE(add_turn(s, GEMMA4_ROLE_SYSTEM, "Be brief.") == GEMMA4_OK);
  REQUIRE(add_turn(s, GEMMA4_ROLE_USER, "Hello") == GEMMA4_OK);
  Stream again;
  REQUIRE(generate(s, g, again) == GEMMA4_OK);
  CHECK(again.ids == st.ids);
  Session fresh(ctx(), 0, 0, 99);
  REQUIRE(add_turn(fresh, GEMMA4_ROLE_SYSTEM, "Be brief.") == GEMMA4_OK);
  REQUIRE(add_turn(fresh, GEMMA4_ROLE_USER, "Hello") == GEMMA4_OK);
  Stream ref;
  REQUIRE(generate(fresh, g, ref) == GEMMA4_OK);
  CHECK(ref.ids == st.ids);
  CHECK(logits(fresh) == logits(s));
}

TEST_CASE("an empty append evaluates the token left pending by generate") {
  // EVIDENCE-OF: An empty input only evaluates a token left pending by generate.
  // F32 weights: batched and one-token passes then differ only by summation order (a quantized
  // model may take different kernels for a batch and a single token).
  gemma4_context* c = load("api-f32.gguf");
  Session s(c);
  REQUIRE(add_turn(s, GEMMA4_ROLE_USER, "Hello") == GEMMA4_OK);
  Gen g(2);
  Stream st;
  REQUIRE(generate(s, g, st) == GEMMA4_OK);
  const std::vector<int32_t> h = history(s);
  Input empty;
  REQUIRE(gemma4_session_append(s, empty) == GEMMA4_OK);
  CHECK(history(s) == h);
  // The logits now belong to the last generated token: a session fed the same ids agrees.
  Session ref(c);
  Input in;
  REQUIRE(gemma4_input_add_tokens(in, h.data(), h.size()) == GEMMA4_OK);
  REQUIRE(gemma4_session_append(ref, in) == GEMMA4_OK);
  CHECK(history(ref) == h);
  const std::vector<float> a = logits(s), b = logits(ref);
  // Same tokens, same positions: the KV cache holds the same values however they were
  // computed (one batch vs one token at a time). Batched and single-token matrix products may
  // sum in a different order, so allow float rounding: 1e-3 against logits of magnitude ~1-10
  // (a wrong position or a missing token moves them by more than 0.1).
  float worst = 0;
  for (int32_t i = 0; i < kVocab; ++i) worst = std::max(worst, std::fabs(a[i] - b[i]));
  CHECK(worst < 1e-3f);
  gemma4_context_free(c);
}

TEST_CASE("a context freed before its session stays alive until the session is freed") {
  // EVIDENCE-OF: A session holds a reference to its context: the context may be freed before its
  // sessions; its memory is released with the last session. / Sessions keep the context alive.
  gemma4_context* c = load("api-q8_0.gguf");
  gemma4_session *a = nullptr, *b = nullptr;
  REQUIRE(gemma4_session_create(c, nullptr, &a) == GEMMA4_OK);
  REQUIRE(gemma4_session_create(c, nullptr, &b) == GEMMA4_OK);
  gemma4_context_free(c);
  REQUIRE(add_turn(a, GEMMA4_ROLE_USER, "Hello") == GEMMA4_OK);
  Gen g(5);
  Stream st;
  REQUIRE(generate(a, g, st) == GEMMA4_OK);
  CHECK(st.ids.size() == 5);
  gemma4_session_free(a);
  REQUIRE(add_turn(b, GEMMA4_ROLE_USER, "Hello") == GEMMA4_OK);  // the last session still works
  Stream st2;
  REQUIRE(generate(b, g, st2) == GEMMA4_OK);
  CHECK(st2.ids == st.ids);
  gemma4_session_free(b);  // ASan (tests/api.cmake, sanitizer build) reports a leak or use after free
}

TEST_CASE("KV cache types: F32 takes twice the bytes of F16 and BF16") {
  // EVIDENCE-OF: kv_type KV cache element type: GEMMA4_KV_F16 [default, 0], GEMMA4_KV_BF16 or
  // GEMMA4_KV_F32 (twice the memory, exact) / Bytes of the session's KV cache (allocated at creation)
  int64_t bytes[3];
  std::vector<int32_t> out[3];
  for (int32_t t : {GEMMA4_KV_F16, GEMMA4_KV_BF16, GEMMA4_KV_F32}) {
    gemma4_session_params sp;
    gemma4_session_params_default(&sp);
    sp.n_ctx = 64;
    sp.kv_type = t;
    gemma4_session* s = nullptr;
    REQUIRE(gemma4_session_create(ctx(), &sp, &s) == GEMMA4_OK);
    bytes[t] = gemma4_session_kv_bytes(s);
    REQUIRE(add_turn(s, GEMMA4_ROLE_USER, "Hello") == GEMMA4_OK);
    Gen g(4);
    Stream st;
    REQUIRE(generate(s, g, st) == GEMMA4_OK);
    out[t] = st.ids;
    CHECK(gemma4_session_kv_bytes(s) == bytes[t]);  // allocated at creation: generation adds none
    gemma4_session_free(s);
  }
  CHECK(bytes[GEMMA4_KV_F16] > 0);
  CHECK(bytes[GEMMA4_KV_BF16] == bytes[GEMMA4_KV_F16]);
  CHECK(bytes[GEMMA4_KV_F32] == 2 * bytes[GEMMA4_KV_F16]);
  CHECK(out[GEMMA4_KV_F32].size() == 4);
}

TEST_CASE("input_n_tokens counts what a raw append adds") {
  // EVIDENCE-OF: Number of tokens the input takes when given raw to gemma4_session_append (text
  // tokenized, media counted with their begin/end tokens), without running the model.
  Input in;
  const int32_t ids[3] = {600, 601, 602};
  REQUIRE(gemma4_input_add_text(in, "Hello world", GEMMA4_NUL_TERMINATED) == GEMMA4_OK);
  REQUIRE(gemma4_input_add_tokens(in, ids, 3) == GEMMA4_OK);
  size_t n = 0;
  REQUIRE(gemma4_input_n_tokens(ctx(), in, &n) == GEMMA4_OK);
  Session s;
  const int32_t bos[1] = {kBos};
  Input first;
  REQUIRE(gemma4_input_add_tokens(first, bos, 1) == GEMMA4_OK);
  REQUIRE(gemma4_session_append(s, first) == GEMMA4_OK);
  REQUIRE(gemma4_session_append(s, in) == GEMMA4_OK);
  CHECK(static_cast<size_t>(gemma4_session_n_tokens(s)) == 1 + n);
}

TEST_CASE("media on a text-only model is UNSUPPORTED") {
  // EVIDENCE-OF: A session given media needs a context with the matching embedder
  // (gemma4_model_info.has_vision / has_audio), else GEMMA4_ERR_UNSUPPORTED.
  std::vector<uint8_t> px(48 * 48 * 3, 128);
  Input in;
  REQUIRE(gemma4_input_add_image_rgb(in, px.data(), 48, 48, 48 * 3, 3, 70) == GEMMA4_OK);
  Session s;
  CHECK_FAILS(gemma4_session_add_turn(s, GEMMA4_ROLE_USER, in), GEMMA4_ERR_UNSUPPORTED);
  CHECK(gemma4_session_n_tokens(s) == 0);
  std::vector<float> pcm(1600, 0.0f);
  Input au;
  REQUIRE(gemma4_input_add_audio_pcm(au, pcm.data(), pcm.size(), 1, 16000, GEMMA4_PCM_F32) == GEMMA4_OK);
  CHECK_FAILS(gemma4_session_append(s, au), GEMMA4_ERR_UNSUPPORTED);
  CHECK(gemma4_session_n_tokens(s) == 0);
  // Corrupt media fails when added.
  const uint8_t junk[16] = {0x89, 'P', 'N', 'G', 1, 2, 3};
  CHECK_FAILS(gemma4_input_add_image_encoded(in, junk, sizeof junk, 0), GEMMA4_ERR_BAD_FORMAT);
}

TEST_CASE("sessions on different threads share one context") {
  // EVIDENCE-OF: gemma4_context immutable after creation; any number of threads and sessions may share it.
  std::vector<int32_t> out[2];
  std::thread t[2];
  for (int i = 0; i < 2; ++i)
    t[i] = std::thread([&, i] {
      gemma4_session* s = nullptr;
      if (gemma4_session_create(ctx(), nullptr, &s) != GEMMA4_OK) return;
      if (add_turn(s, GEMMA4_ROLE_USER, "Hello") == GEMMA4_OK) {
        Gen g(12);
        Stream st;
        if (generate(s, g, st) == GEMMA4_OK) out[i] = st.ids;
      }
      gemma4_session_free(s);
    });
  for (auto& th : t) th.join();
  CHECK(out[0].size() == 12);
  CHECK(out[0] == out[1]);
}
