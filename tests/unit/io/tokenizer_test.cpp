// Tokenizer on small hand-made vocabularies: BPE merge order (also against a naive reference),
// byte fallback, added/special token matching, invalid UTF-8, token_bytes, and malformed
// tokenizer.json / GGUF sources. The real 262 144-entry vocabulary is checked against the
// npm oracle by the tokenizer_vs_npm test (tests/tokenizer/).
#include <doctest/doctest.h>

#include <cstdio>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "../../tokenizer/gguf_writer.h"
#include "base/error.h"
#include "io/gguf.h"
#include "io/json.h"
#include "io/tokenizer.h"

using g4::Status;
using g4::Tokenizer;

namespace {

const std::string kMark = "\xe2\x96\x81";  // "▁"

std::string esc(const std::string& s) {
  std::string o = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      o += '\\';
      o += static_cast<char>(c);
    } else if (c < 0x20) {
      char b[8];
      std::snprintf(b, sizeof b, "\\u%04x", c);
      o += b;
    } else {
      o += static_cast<char>(c);
    }
  }
  return o + "\"";
}

struct Added {
  int id;
  std::string content;
  bool special;
  bool lstrip = false, rstrip = false;
};

// A Gemma-shaped tokenizer.json: Replace " " -> "▁", Split " " (a no-op after it), BPE with
// byte_fallback. `pieces` get ids in order; all 256 byte tokens follow unless `bytes` is false.
struct Spec {
  std::vector<std::string> pieces;
  std::vector<std::pair<std::string, std::string>> merges;
  std::vector<Added> added;  // ids must continue the vocab (or repeat a vocab id/text)
  bool bytes = true;
  std::string unk = "<unk>";
  std::string normalizer =
      R"({"type":"Replace","pattern":{"String":" "},"content":"\u2581"})";
  std::string pre_tokenizer =
      R"({"type":"Split","pattern":{"String":" "},"behavior":"MergedWithPrevious","invert":false})";
  std::string model_extra;  // extra members of "model", with a leading comma

  std::vector<std::string> vocab() const {
    std::vector<std::string> v = pieces;
    if (bytes)
      for (int b = 0; b < 256; ++b) {
        char buf[8];
        std::snprintf(buf, sizeof buf, "<0x%02X>", b);
        v.push_back(buf);
      }
    return v;
  }
  std::string json() const {
    std::string s = "{\"version\":\"1.0\",\"added_tokens\":[";
    for (size_t i = 0; i < added.size(); ++i) {
      const Added& a = added[i];
      s += (i ? "," : "") + std::string("{\"id\":") + std::to_string(a.id) +
           ",\"content\":" + esc(a.content) + ",\"single_word\":false,\"lstrip\":" +
           (a.lstrip ? "true" : "false") + ",\"rstrip\":" + (a.rstrip ? "true" : "false") +
           ",\"normalized\":false,\"special\":" + (a.special ? "true" : "false") + "}";
    }
    s += "],\"normalizer\":" + normalizer + ",\"pre_tokenizer\":" + pre_tokenizer +
         ",\"model\":{\"type\":\"BPE\",\"dropout\":null,\"unk_token\":" +
         (unk.empty() ? "null" : esc(unk)) +
         ",\"fuse_unk\":true,\"byte_fallback\":true,\"ignore_merges\":false,\"vocab\":{";
    auto v = vocab();
    for (size_t i = 0; i < v.size(); ++i)
      s += (i ? "," : "") + esc(v[i]) + ":" + std::to_string(i);
    s += "},\"merges\":[";
    for (size_t i = 0; i < merges.size(); ++i)
      s += (i ? "," : "") + std::string("[") + esc(merges[i].first) + "," +
           esc(merges[i].second) + "]";
    return s + "]" + model_extra + "}}";
  }
  std::unique_ptr<Tokenizer> build() const { return Tokenizer::from_hf_json(g4::Json::parse(json())); }
};

// Pieces a..e, "▁", some merged pieces, <unk>, and added tokens after the bytes.
Spec small_spec() {
  Spec s;
  s.pieces = {"<unk>", "a", "b", "c", "d", kMark, "ab", "bc", "abc", kMark + "a", kMark + "ab",
              "<", ">", "x", "aa", "h", "i", "hi"};
  s.merges = {{"b", "c"}, {"a", "b"}, {"ab", "c"}, {kMark, "a"}, {kMark + "a", "b"},
              {"a", "a"}, {"h", "i"}};
  int next = static_cast<int>(s.vocab().size());
  s.added = {{0, "<unk>", true},
             {next, "<bos>", true},
             {next + 1, "<eos>", true},
             {next + 2, "<u>", false},
             {next + 3, "<u>>", false},
             {next + 4, "\n\n", false}};
  return s;
}

int id(const Tokenizer& t, const std::string& s) {
  int32_t i = t.find(s);
  REQUIRE_MESSAGE(i >= 0, "piece " << s);
  return i;
}

std::vector<int32_t> ids(const Tokenizer& t, std::initializer_list<std::string> pieces) {
  std::vector<int32_t> v;
  for (const auto& p : pieces) v.push_back(id(t, p));
  return v;
}

void expect_bad(const Spec& s, Status st, const char* needle) {
  try {
    s.build();
    FAIL("no error; expected one mentioning " << needle);
  } catch (const g4::Error& e) {
    CHECK(e.status() == st);
    CHECK_MESSAGE(std::string(e.what()).find(needle) != std::string::npos, e.what());
  }
}

}  // namespace

TEST_CASE("tokenizer: merges apply by rank, leftmost first, never across added tokens") {
  auto t = small_spec().build();
  CHECK(t->encode("abc", true) == ids(*t, {"a", "bc"}));  // b+c has rank 0; no a+bc merge
  CHECK(t->encode("bc", true) == ids(*t, {"bc"}));
  CHECK(t->encode("aaa", true) == ids(*t, {"aa", "a"}));  // equal ranks: the leftmost pair
  // " " -> "▁" before BPE; a+b (rank 1) beats ▁+a (rank 3), and nothing joins ▁ with ab.
  CHECK(t->encode(" ab", true) == ids(*t, {kMark, "ab"}));
  CHECK(t->encode(" a", true) == ids(*t, {kMark + "a"}));
  CHECK(t->encode("a b", true) == ids(*t, {"a", kMark, "b"}));
  CHECK(t->encode("ab<u>c", true) == ids(*t, {"ab", "<u>", "c"}));
  CHECK(t->encode("h<bos>i", true) == ids(*t, {"h", "<bos>", "i"}));  // "h"+"i" not merged across
  CHECK(t->encode("", true).empty());
  CHECK(t->encode("", false).empty());
}

TEST_CASE("tokenizer: b+c outranks a+b") {
  // With "b c" at rank 0 and "a b" at rank 1, "abc" first becomes a|bc; no merge joins those,
  // so the result is [a, bc], not [abc].
  Spec s = small_spec();
  s.merges = {{"b", "c"}, {"a", "b"}, {"ab", "c"}};
  auto t = s.build();
  CHECK(t->encode("abc", true) == ids(*t, {"a", "bc"}));
  s.merges = {{"a", "b"}, {"b", "c"}, {"ab", "c"}};
  CHECK(s.build()->encode("abc", true) == ids(*t, {"abc"}));
}

TEST_CASE("tokenizer: byte fallback, unknown characters and invalid UTF-8") {
  auto t = small_spec().build();
  // "é" is not a piece: its UTF-8 bytes become byte tokens.
  CHECK(t->encode("a\xc3\xa9", true) == ids(*t, {"a", "<0xC3>", "<0xA9>"}));
  CHECK(t->encode("\xf0\x9f\x98\x80", true) ==
        ids(*t, {"<0xF0>", "<0x9F>", "<0x98>", "<0x80>"}));
  // Invalid UTF-8: every stray byte is its own symbol and falls back alone.
  CHECK(t->encode("\xff", true) == ids(*t, {"<0xFF>"}));
  CHECK(t->encode("a\xc3", true) == ids(*t, {"a", "<0xC3>"}));                  // truncated
  CHECK(t->encode("\xc0\xaf" "a", true) == ids(*t, {"<0xC0>", "<0xAF>", "a"}));  // overlong
  CHECK(t->encode("\xed\xa0\x80", true) == ids(*t, {"<0xED>", "<0xA0>", "<0x80>"}));  // surrogate
  CHECK(t->encode("\x80\x80", true) == ids(*t, {"<0x80>", "<0x80>"}));
  // An invalid byte between "a" and "b" stops the a+b merge.
  CHECK(t->encode("a\xfe" "b", true) == ids(*t, {"a", "<0xFE>", "b"}));
  std::string with_nul("a\0b", 3);
  CHECK(t->encode(with_nul, true) == ids(*t, {"a", "<0x00>", "b"}));

  // Without byte tokens, unknown characters become <unk> (fused, as fuse_unk says).
  Spec nb = small_spec();
  nb.bytes = false;
  int next = static_cast<int>(nb.vocab().size());
  nb.added = {{0, "<unk>", true}, {next, "<bos>", true}};
  auto u = nb.build();
  CHECK(u->encode("a\xc3\xa9\xc3\xa9" "b", true) == ids(*u, {"a", "<unk>", "b"}));
  // Without byte tokens and without <unk>, the text cannot be encoded: an error, no crash.
  nb.unk = "";
  nb.pieces[0] = "q";
  nb.added = {{next, "<bos>", true}};
  auto v = nb.build();
  CHECK(v->encode("ab", true) == ids(*v, {"ab"}));
  try {
    v->encode("a\xc3\xa9", true);
    FAIL("expected an error");
  } catch (const g4::Error& e) {
    CHECK(e.status() == Status::invalid_argument);
  }
}

TEST_CASE("tokenizer: special and user-defined tokens, parse_special on and off") {
  auto t = small_spec().build();
  const int bos = id(*t, "<bos>"), eos = id(*t, "<eos>"), u = id(*t, "<u>");
  CHECK(t->encode("<bos>ab<eos>", true) == std::vector<int32_t>{bos, id(*t, "ab"), eos});
  // parse_special off: control tokens are text; user-defined tokens still match (as in HF,
  // SentencePiece and llama.cpp).
  CHECK(t->encode("<bos>", false) == ids(*t, {"<", "b", "<0x6F>", "<0x73>", ">"}));
  CHECK(t->encode("<u>", false) == std::vector<int32_t>{u});
  CHECK(t->encode("<unk>", true) == ids(*t, {"<unk>"}));
  CHECK(t->encode("<unk>", false).size() == 5);
  // Longest match: "<u>>" beats "<u>"; a lone "<" or ">" is text.
  CHECK(t->encode("<u>>", true) == ids(*t, {"<u>>"}));
  CHECK(t->encode("<u>>>", true) == ids(*t, {"<u>>", ">"}));
  CHECK(t->encode("<<u>", true) == ids(*t, {"<", "<u>"}));
  CHECK(t->encode("<bo<bos>", true) ==
        ids(*t, {"<", "b", "<0x6F>", "<bos>"}));  // a failed partial match restarts
  CHECK(t->encode("a\n\n\nb", true) == ids(*t, {"a", "\n\n", "<0x0A>", "b"}));
  CHECK(t->is_control(bos));
  CHECK(t->is_special(bos));
  CHECK(t->is_special(u));
  CHECK_FALSE(t->is_control(u));
  CHECK_FALSE(t->is_special(id(*t, "ab")));
  CHECK_FALSE(t->is_special(-1));
  CHECK_FALSE(t->is_control(t->n_vocab()));
}

TEST_CASE("tokenizer: lstrip / rstrip of added tokens") {
  Spec s = small_spec();
  int next = static_cast<int>(s.vocab().size());
  s.added.push_back({next + 5, "<s>", true, /*lstrip=*/true, /*rstrip=*/true});
  auto t = s.build();
  CHECK(t->encode("a  <s>  b", true) == ids(*t, {"a", "<s>", "b"}));
  CHECK(t->encode("a  <s>  b", false) != ids(*t, {"a", "<s>", "b"}));
}

TEST_CASE("tokenizer: token_text, token_bytes, find, n_vocab") {
  auto t = small_spec().build();
  CHECK(t->n_vocab() == 18 + 256 + 5);
  CHECK(t->token_text(id(*t, kMark + "ab")) == kMark + "ab");
  CHECK(t->token_bytes(id(*t, kMark + "ab")) == " ab");
  CHECK(t->token_bytes(id(*t, "<0x0A>")) == "\n");
  CHECK(t->token_bytes(id(*t, "<0xFF>")) == "\xff");
  CHECK(t->token_bytes(id(*t, "<0x00>")) == std::string(1, '\0'));
  CHECK(t->token_bytes(id(*t, "<bos>")) == "<bos>");
  CHECK(t->find("nope") == -1);
  CHECK_THROWS_AS(t->token_text(-1), g4::Error);
  CHECK_THROWS_AS(t->token_bytes(t->n_vocab()), g4::Error);
  // Round trip over awkward text, including invalid UTF-8.
  for (const std::string& x : {std::string("ab c  d\n\n\nx<u>>"), std::string("\xff\xc3 a\xe2\x82"),
                               std::string(" <bos>  ")}) {
    std::string back;
    for (int32_t i : t->encode(x, true)) back += t->token_bytes(i);
    CHECK(back == x);
  }
}

TEST_CASE("tokenizer: random bytes encode without error and decode back exactly") {
  auto t = small_spec().build();
  std::mt19937 rng(99);
  // Bytes biased towards the vocabulary's own characters, "<", ">" and UTF-8 lead bytes.
  const std::string pool = std::string("abcdhix<>u \n") + "\xe2\x96\x81\xc3\xa9\xf0\x80\xff";
  for (int k = 0; k < 300; ++k) {
    std::string x;
    for (int n = rng() % 64; n > 0; --n)
      x += rng() % 4 ? pool[rng() % pool.size()] : static_cast<char>(rng() % 256);
    for (bool special : {true, false}) {
      std::string back;
      for (int32_t i : t->encode(x, special)) back += t->token_bytes(i);
      // A literal "▁" in the input decodes as a space, like the real decoder.
      std::string want = x;
      for (size_t p; (p = want.find(kMark)) != std::string::npos;) want.replace(p, 3, " ");
      REQUIRE(back == want);
    }
  }
}

// Naive BPE: repeatedly merge the lowest-ranked adjacent pair (leftmost on ties). Quadratic,
// obviously right; the fast queue-based encoder must agree with it.
std::vector<std::string> naive_bpe(const std::vector<std::string>& chars,
                                   const std::map<std::pair<std::string, std::string>, int>& rank) {
  std::vector<std::string> s = chars;
  for (;;) {
    int best = -1, best_rank = 0;
    for (size_t i = 0; i + 1 < s.size(); ++i) {
      auto it = rank.find({s[i], s[i + 1]});
      if (it != rank.end() && (best < 0 || it->second < best_rank)) {
        best = static_cast<int>(i);
        best_rank = it->second;
      }
    }
    if (best < 0) return s;
    s[best] += s[best + 1];
    s.erase(s.begin() + best + 1);
  }
}

TEST_CASE("tokenizer: queue-based BPE equals the naive reference on random text") {
  std::mt19937 rng(1234);
  const std::vector<std::string> alphabet = {"a", "b", "c", kMark};
  for (int round = 0; round < 20; ++round) {
    Spec s;
    s.pieces = {"<unk>"};
    s.pieces.insert(s.pieces.end(), alphabet.begin(), alphabet.end());
    std::map<std::pair<std::string, std::string>, int> rank;
    // Random merges of existing pieces, so every merge result is a piece.
    while (s.merges.size() < 40) {
      const std::string& l = s.pieces[1 + rng() % (s.pieces.size() - 1)];
      const std::string& r = s.pieces[1 + rng() % (s.pieces.size() - 1)];
      if (rank.count({l, r}) || l.size() + r.size() > 12) continue;
      std::string joined = l + r;
      rank[{l, r}] = static_cast<int>(s.merges.size());
      s.merges.push_back({l, r});
      bool have = false;
      for (const auto& p : s.pieces) have = have || p == joined;
      if (!have) s.pieces.push_back(joined);
    }
    auto t = s.build();
    for (int k = 0; k < 50; ++k) {
      std::string text;
      std::vector<std::string> chars;
      for (int n = rng() % 30; n > 0; --n) {
        const std::string& c = alphabet[rng() % alphabet.size()];
        chars.push_back(c);
        text += c == kMark && rng() % 2 ? " " : c;
      }
      std::vector<int32_t> want;
      for (const auto& p : naive_bpe(chars, rank)) want.push_back(id(*t, p));
      REQUIRE_MESSAGE(t->encode(text, true) == want, "round " << round << " text '" << text << "'");
    }
  }
}

TEST_CASE("tokenizer: pre-tokenizer Split behaviours cut BPE words") {
  Spec s = small_spec();
  s.added = {{0, "<unk>", true}};  // the ids of the others would move with the new pieces
  s.normalizer = "null";
  s.pieces.push_back(" ");
  s.pieces.push_back("a ");
  s.merges.push_back({"a", " "});
  s.pre_tokenizer = R"({"type":"Split","pattern":{"String":" "},"behavior":"Isolated","invert":false})";
  CHECK(s.build()->encode("a b", true) == ids(*s.build(), {"a", " ", "b"}));
  s.pre_tokenizer = R"({"type":"Split","pattern":{"String":" "},"behavior":"Removed","invert":false})";
  CHECK(s.build()->encode("a b", true) == ids(*s.build(), {"a", "b"}));
  s.pre_tokenizer = R"({"type":"Split","pattern":{"String":" "},"behavior":"MergedWithPrevious","invert":false})";
  CHECK(s.build()->encode("a b", true) == ids(*s.build(), {"a ", "b"}));
  s.pre_tokenizer = R"({"type":"Split","pattern":{"String":" "},"behavior":"MergedWithNext","invert":false})";
  CHECK(s.build()->encode("a b", true) == ids(*s.build(), {"a", " ", "b"}));  // " b": no merge
  s.pre_tokenizer = "null";
  CHECK(s.build()->encode("a b", true) == ids(*s.build(), {"a ", "b"}));
}

TEST_CASE("tokenizer: malformed tokenizer.json is rejected with a clear error") {
  const auto bad_json = [](const std::string& text, Status st, const char* needle) {
    try {
      Tokenizer::from_hf_json(g4::Json::parse(text));
      FAIL("no error for " << text);
    } catch (const g4::Error& e) {
      CHECK(e.status() == st);
      CHECK_MESSAGE(std::string(e.what()).find(needle) != std::string::npos, e.what());
    }
  };
  bad_json("[]", Status::bad_format, "not an object");
  bad_json("{}", Status::bad_format, "model");
  bad_json(R"({"model":{"type":"BPE","merges":[]}})", Status::bad_format, "vocab");
  bad_json(R"({"model":{"type":"BPE","vocab":{},"merges":[]}})", Status::bad_format, "empty");
  bad_json(R"({"model":{"type":"BPE","vocab":{"a":0}}})", Status::bad_format, "merges");
  bad_json(R"({"model":{"type":"BPE","vocab":{"a":"0"},"merges":[]}})", Status::bad_format, "id");
  bad_json(R"({"model":{"type":"BPE","vocab":{"a":0.5},"merges":[]}})", Status::bad_format, "");
  bad_json(R"({"model":{"type":"BPE","vocab":{"a":0,"b":5},"merges":[]}})", Status::bad_format,
           "dense");
  bad_json(R"({"model":{"type":"BPE","vocab":{"a":0,"b":-1},"merges":[]}})", Status::bad_format,
           "-1");
  bad_json(R"({"model":{"type":"BPE","vocab":{"a":0,"b":0},"merges":[]}})", Status::bad_format,
           "id 0");
  bad_json(R"({"model":{"type":"BPE","vocab":{"a":0,"b":1},"merges":[["a","c"]]}})",
           Status::bad_format, "'c'");
  bad_json(R"({"model":{"type":"BPE","vocab":{"a":0,"b":1},"merges":[["a","b"]]}})",
           Status::bad_format, "'ab'");
  bad_json(R"({"model":{"type":"BPE","vocab":{"a":0,"b":1,"ab":2},"merges":["a b","a b"]}})",
           Status::bad_format, "twice");
  bad_json(R"({"model":{"type":"BPE","vocab":{"a":0},"merges":["ab"]}})", Status::bad_format,
           "left right");
  bad_json(R"({"model":{"type":"BPE","vocab":{"a":0},"merges":[["a"]]}})", Status::bad_format,
           "pair");
  bad_json(R"({"model":{"type":"Unigram","vocab":{"a":0},"merges":[]}})", Status::unsupported,
           "Unigram");
  bad_json(R"({"model":{"type":"BPE","dropout":0.1,"vocab":{"a":0},"merges":[]}})",
           Status::unsupported, "dropout");
  bad_json(R"({"model":{"type":"BPE","vocab":{"a":0},"merges":[],"unk_token":"<unk>"}})",
           Status::bad_format, "unk_token");
  bad_json(R"({"added_tokens":[{"id":0,"content":"x","special":true}],)"
           R"("model":{"type":"BPE","vocab":{"a":0},"merges":[]}})",
           Status::bad_format, "already used");
  bad_json(R"({"added_tokens":[{"id":1,"content":"","special":true}],)"
           R"("model":{"type":"BPE","vocab":{"a":0},"merges":[]}})",
           Status::bad_format, "empty");
  bad_json(R"({"added_tokens":[{"id":1,"content":"a","special":true}],)"
           R"("model":{"type":"BPE","vocab":{"a":0},"merges":[]}})",
           Status::bad_format, "twice");
  bad_json(R"({"added_tokens":[{"content":"a"}],"model":{"type":"BPE","vocab":{"a":0},"merges":[]}})",
           Status::bad_format, "id");
  bad_json(R"({"added_tokens":[{"id":99999999999,"content":"q"}],)"
           R"("model":{"type":"BPE","vocab":{"a":0},"merges":[]}})",
           Status::bad_format, "dense");

  Spec s = small_spec();
  s.normalizer = R"({"type":"NFKC"})";
  expect_bad(s, Status::unsupported, "NFKC");
  s = small_spec();
  s.pre_tokenizer = R"({"type":"Split","pattern":{"Regex":"\\s+"},"behavior":"Isolated","invert":false})";
  expect_bad(s, Status::unsupported, "regex");
  s = small_spec();
  s.pre_tokenizer = R"({"type":"Split","pattern":{"String":" "},"behavior":"Sideways","invert":false})";
  expect_bad(s, Status::bad_format, "Sideways");
  s = small_spec();
  s.model_extra = R"(,"end_of_word_suffix":"</w>")";
  expect_bad(s, Status::unsupported, "end_of_word_suffix");
}

// ---- GGUF ----

namespace {

struct GgufSpec {
  std::vector<std::string> tokens;
  std::vector<int32_t> types;
  std::vector<std::string> merges;
  std::string model = "gemma4";
  bool with_types = true, with_merges = true;
  size_t n_scores = SIZE_MAX;  // SIZE_MAX: one per token

  std::vector<uint8_t> bytes() const {
    g4test::GgufWriter w;
    w.add_string("general.architecture", "gemma4");
    w.add_string("tokenizer.ggml.model", model);
    w.add_strings("tokenizer.ggml.tokens", tokens);
    w.add_f32s("tokenizer.ggml.scores",
               std::vector<float>(n_scores == SIZE_MAX ? tokens.size() : n_scores, 0.0f));
    if (with_types) w.add_i32s("tokenizer.ggml.token_type", types);
    if (with_merges) w.add_strings("tokenizer.ggml.merges", merges);
    return w.finish();
  }
  std::unique_ptr<Tokenizer> build() const {
    auto b = bytes();
    auto f = g4::GgufFile::parse(b.data(), b.size(), "test");
    return Tokenizer::from_gguf(*f);
  }
};

// The GGUF form of small_spec().
GgufSpec small_gguf() {
  Spec s = small_spec();
  GgufSpec g;
  g.tokens = s.vocab();
  g.types.assign(g.tokens.size(), 1);
  g.types[0] = 2;  // <unk>
  for (size_t i = s.pieces.size(); i < g.tokens.size(); ++i) g.types[i] = 6;
  for (const Added& a : s.added) {
    if (a.id >= static_cast<int>(g.tokens.size())) {
      g.tokens.push_back(a.content);
      g.types.push_back(a.special ? 3 : 4);
    }
  }
  for (const auto& [l, r] : s.merges) g.merges.push_back(l + " " + r);
  return g;
}

void expect_bad_gguf(const GgufSpec& g, Status st, const char* needle) {
  try {
    g.build();
    FAIL("no error; expected one mentioning " << needle);
  } catch (const g4::Error& e) {
    CHECK(e.status() == st);
    CHECK_MESSAGE(std::string(e.what()).find(needle) != std::string::npos, e.what());
  }
}

}  // namespace

TEST_CASE("tokenizer: GGUF and tokenizer.json give the same ids") {
  auto j = small_spec().build();
  auto g = small_gguf().build();
  REQUIRE(g->n_vocab() == j->n_vocab());
  for (const char* x : {"abc aaa  ab", "<bos>ab<u>>c<eos>", "\xff\xc3\xa9 hi\n\n\n",
                               "<unk> <bos", ""}) {
    CHECK(g->encode(x, true) == j->encode(x, true));
    CHECK(g->encode(x, false) == j->encode(x, false));
  }
  CHECK(g->is_control(g->find("<bos>")));
  CHECK(g->is_control(g->find("<unk>")));  // type 2 (unknown) behaves as a control token
  CHECK_FALSE(g->is_control(g->find("<u>")));
  CHECK(g->is_special(g->find("<u>")));
  CHECK(g->token_bytes(g->find("<0x41>")) == "A");
}

TEST_CASE("tokenizer: malformed GGUF tokenizer metadata is rejected") {
  GgufSpec g = small_gguf();
  g.model = "llama";
  expect_bad_gguf(g, Status::unsupported, "llama");
  g = small_gguf();
  g.with_merges = false;
  expect_bad_gguf(g, Status::bad_format, "tokenizer.ggml.merges");
  g = small_gguf();
  g.types.pop_back();
  expect_bad_gguf(g, Status::bad_format, "token_type");
  g = small_gguf();
  g.types[3] = 9;
  expect_bad_gguf(g, Status::bad_format, "token_type 9");
  g = small_gguf();
  g.types[3] = 0;
  expect_bad_gguf(g, Status::bad_format, "token_type 0");
  g = small_gguf();
  g.n_scores = 3;
  expect_bad_gguf(g, Status::bad_format, "scores");
  g = small_gguf();
  g.merges.push_back("abc");
  expect_bad_gguf(g, Status::bad_format, "left right");
  g = small_gguf();
  g.merges.push_back("c zz");
  expect_bad_gguf(g, Status::bad_format, "'zz'");
  g = small_gguf();
  g.merges.push_back("c c");
  expect_bad_gguf(g, Status::bad_format, "'cc'");
  g = small_gguf();
  g.types[2] = 6;  // "b" typed as a byte token
  expect_bad_gguf(g, Status::bad_format, "<0xXX>");
  g = small_gguf();
  g.tokens[2] = "a";
  expect_bad_gguf(g, Status::bad_format, "twice");
  g = small_gguf();
  g.tokens.clear();
  g.types.clear();
  expect_bad_gguf(g, Status::bad_format, "empty");

  // Missing tokens entirely.
  g4test::GgufWriter w;
  w.add_string("tokenizer.ggml.model", "gemma4");
  auto b = w.finish();
  auto f = g4::GgufFile::parse(b.data(), b.size(), "test");
  CHECK_THROWS_WITH_AS(Tokenizer::from_gguf(*f), doctest::Contains("tokenizer.ggml.tokens"),
                       g4::Error);
  // tokens of the wrong type.
  g4test::GgufWriter w2;
  w2.add_string("tokenizer.ggml.model", "gemma4");
  w2.add_i32s("tokenizer.ggml.tokens", {1, 2});
  w2.add_strings("tokenizer.ggml.merges", {});
  auto b2 = w2.finish();
  auto f2 = g4::GgufFile::parse(b2.data(), b2.size(), "test");
  CHECK_THROWS_WITH_AS(Tokenizer::from_gguf(*f2), doctest::Contains("element type"), g4::Error);
}
