// Contract tests of include/gemma4.h, second half: sessions, the chat template, generation,
// cancellation and threads (see api_test.cpp for the conventions).
#include "api_test_util.h"

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
