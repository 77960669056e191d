// Helpers of the API contract tests (api_test.cpp, api_session_test.cpp): the shared test
// context, RAII handles, a token-callback recorder and generation params that keep a random
// model generating. Public API only.
#pragma once
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

namespace api_test {

inline std::string model(const char* name) { return std::string(GEMMA4_API_MODELS_DIR) + "/" + name; }

// Ids of model_vocab.py's small vocabulary (specials at their real ids, bytes at 256..511).
constexpr int32_t kVocab = 1024, kBos = 2, kEos = 1, kTurnStart = 105, kTurnEnd = 106, kThink = 98;
constexpr int32_t kChannelStart = 100, kChannelEnd = 101, kToolResponse = 50;

inline gemma4_context* load(const char* name, int32_t n_threads = 1) {
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
inline gemma4_context* ctx() {
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

inline gemma4_status add_turn(gemma4_session* s, gemma4_role role, const std::string& text) {
  Input in;
  REQUIRE(gemma4_input_add_text(in, text.data(), text.size()) == GEMMA4_OK);
  return gemma4_session_add_turn(s, role, in);
}

inline bool valid_utf8(const std::string& s) {
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

inline int32_t on_token(void* ud, const gemma4_token_event* ev) {
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

inline gemma4_status generate(gemma4_session* s, const Gen& g, Stream& st, gemma4_generate_result* r = nullptr) {
  return gemma4_session_generate(s, &g.p, on_token, &st, r);
}

inline std::vector<int32_t> history(gemma4_session* s) {
  size_t n = 0;
  gemma4_session_tokens(s, nullptr, 0, &n);
  std::vector<int32_t> out(n);
  REQUIRE(gemma4_session_tokens(s, out.data(), out.size(), &n) == GEMMA4_OK);
  return out;
}

inline std::string detok(const std::vector<int32_t>& ids, int32_t flags = 0, gemma4_context* c = ctx()) {
  size_t n = 0;
  gemma4_detokenize(c, ids.data(), ids.size(), flags, nullptr, 0, &n);
  std::string s(n + 1, '\0');
  REQUIRE(gemma4_detokenize(c, ids.data(), ids.size(), flags, &s[0], s.size(), &n) == GEMMA4_OK);
  s.resize(n);
  return s;
}

inline std::vector<float> logits(gemma4_session* s) {
  std::vector<float> l(kVocab);
  size_t n = 0;
  REQUIRE(gemma4_session_logits(s, l.data(), l.size(), &n) == GEMMA4_OK);
  REQUIRE(n == static_cast<size_t>(kVocab));
  return l;
}

inline std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\n\r\f\v"), e = s.find_last_not_of(" \t\n\r\f\v");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

// A failed call must say why: a status and a non-empty message.
#define CHECK_FAILS(call, status)                       \
  do {                                                  \
    CHECK((call) == (status));                          \
    CHECK(std::strlen(gemma4_last_error()) > 0);        \
  } while (0)


}  // namespace api_test

using namespace api_test;
