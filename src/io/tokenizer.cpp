// Building a Tokenizer from GGUF metadata or from a Hugging Face tokenizer.json, and the
// per-token queries. Encoding lives in bpe.cpp.
//
// Both loaders reduce their source to the same TokenizerData (tokenizer_impl.h), so one vocabulary
// gives identical ids either way (checked by tokenizer_check on the real 262 144-entry vocab):
//   tokenizer.json                         GGUF (tokenizer.ggml.*)
//   model.vocab + added_tokens[].id        tokens[] (the id is the index)
//   added token, special: true             token_type 3 (control) / 2 (unknown)
//   added token, special: false            token_type 4 (user-defined)
//   vocab piece "<0xXX>"                   token_type 6 (byte)
//   model.merges ["a", "b"] or "a b"       merges[] "a b"
//   normalizer Replace " " -> "▁"          implied by tokenizer.ggml.model = "gemma4"
// Everything is validated: a malformed source throws Error(bad_format) naming the field, an
// understood but unimplemented feature throws Error(unsupported).
#include <algorithm>
#include <cstdio>
#include <tuple>

#include "base/error.h"
#include "io/gguf.h"
#include "io/json.h"
#include "io/tokenizer_impl.h"

namespace g4 {

namespace {

const char kSpaceMark[] = "\xe2\x96\x81";  // U+2581 "▁", SentencePiece's visible space

[[noreturn]] void bad(const std::string& where, const std::string& msg) {
  fail(Status::bad_format, where + ": " + msg);
}

// "<0xXX>" with two upper-case hex digits (the form transformers.js and llama.cpp look up).
int parse_byte_piece(const std::string& s) {
  if (s.size() != 6 || s.compare(0, 3, "<0x") != 0 || s[5] != '>') return -1;
  int v = 0;
  for (int k = 3; k < 5; ++k) {
    char c = s[k];
    int d = c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
    if (d < 0) return -1;
    v = v * 16 + d;
  }
  return v;
}

std::string quoted(std::string_view s) {
  std::string q = "'";
  for (unsigned char c : s.substr(0, 64)) {
    if (c < 0x20 || c == 0x7f) {
      char buf[8];
      snprintf(buf, sizeof buf, "\\x%02x", c);
      q += buf;
    } else {
      q += static_cast<char>(c);
    }
  }
  return q + (s.size() > 64 ? "...'" : "'");
}

// Shared tail of both loaders: lookup table, byte table, added-token trie, merge table.
void finish(TokenizerData& m, const std::vector<std::pair<std::string_view, std::string_view>>& merges,
            const std::string& where) {
  const int32_t n = static_cast<int32_t>(m.text.size());
  m.id_of.build(m.text);
  if (m.id_of.duplicate_b >= 0)
    bad(where, "token " + quoted(m.text[m.id_of.duplicate_b]) + " appears twice (ids " +
                   std::to_string(m.id_of.duplicate_a) + " and " +
                   std::to_string(m.id_of.duplicate_b) + ")");
  std::fill(std::begin(m.byte_id), std::end(m.byte_id), -1);
  for (int32_t id = 0; id < n; ++id) {
    TokenKind k = m.kind[id];
    if (k == TokenKind::byte) {
      int b = parse_byte_piece(m.text[id]);
      if (b < 0) bad(where, "byte token " + std::to_string(id) + " " + quoted(m.text[id]) +
                                " is not of the form <0xXX>");
      m.byte_id[b] = id;
    } else if (k == TokenKind::control || k == TokenKind::unknown ||
               k == TokenKind::user_defined) {
      if (m.text[id].empty())
        bad(where, "special token " + std::to_string(id) + " has empty text");
      m.added.insert(m.text[id], id);
    }
  }
  m.merges.reserve(merges.size());
  std::string joined;
  for (size_t i = 0; i < merges.size(); ++i) {
    const auto& [a, b] = merges[i];
    const auto id = [&](std::string_view s) {
      int32_t found = m.id_of.find(s);
      if (found < 0)
        bad(where, "merge " + std::to_string(i) + " names " + quoted(s) +
                       ", which is not in the vocabulary");
      return found;
    };
    int32_t l = id(a), r = id(b);
    joined.assign(a).append(b);
    int32_t res = m.id_of.find(joined);
    if (res < 0)
      bad(where, "merge " + std::to_string(i) + " (" + quoted(a) + " + " + quoted(b) +
                     ") makes " + quoted(joined) + ", which is not in the vocabulary");
    if (!m.merges.insert(TokenizerData::pair_key(l, r), Merge{static_cast<int32_t>(i), res}))
      bad(where, "merge " + std::to_string(i) + " (" + quoted(a) + " + " + quoted(b) +
                     ") is listed twice");
  }
}

// ---- tokenizer.json ----

const Json& member(const Json& obj, const char* key, const std::string& where) {
  const Json* v = obj.find(key);
  if (!v) bad(where, std::string("missing \"") + key + "\"");
  return *v;
}

bool opt_bool(const Json& obj, const char* key, bool dflt) {
  const Json* v = obj.find(key);
  return v && !v->is_null() ? v->as_bool(key) : dflt;
}

std::string literal_pattern(const Json& step, const char* where) {
  const Json& pat = member(step, "pattern", where);
  if (const Json* s = pat.find("String")) return s->as_string("pattern.String");
  if (pat.find("Regex"))
    fail(Status::unsupported, std::string(where) + ": regex patterns are not supported");
  bad(where, "pattern must have \"String\" or \"Regex\"");
}

void parse_normalizer(const Json& j, std::vector<NormalizerStep>& out) {
  if (j.is_null()) return;
  const std::string type = member(j, "type", "tokenizer.json normalizer").as_string("type");
  if (type == "Sequence") {
    for (const Json& s : member(j, "normalizers", "tokenizer.json normalizer")
                             .as_array("normalizers"))
      parse_normalizer(s, out);
  } else if (type == "Replace") {
    NormalizerStep s;
    s.from = literal_pattern(j, "tokenizer.json normalizer Replace");
    if (s.from.empty()) bad("tokenizer.json normalizer Replace", "empty pattern");
    s.to = member(j, "content", "tokenizer.json normalizer Replace").as_string("content");
    out.push_back(s);
  } else if (type == "Prepend") {
    NormalizerStep s;
    s.prepend = true;
    s.to = member(j, "prepend", "tokenizer.json normalizer Prepend").as_string("prepend");
    out.push_back(s);
  } else {
    fail(Status::unsupported, "tokenizer.json: normalizer type \"" + type + "\" is not supported");
  }
}

void parse_pre_tokenizer(const Json& j, std::vector<SplitStep>& out) {
  if (j.is_null()) return;
  const char* where = "tokenizer.json pre_tokenizer";
  const std::string type = member(j, "type", where).as_string("type");
  if (type == "Sequence") {
    for (const Json& s : member(j, "pretokenizers", where).as_array("pretokenizers"))
      parse_pre_tokenizer(s, out);
    return;
  }
  if (type != "Split")
    fail(Status::unsupported, "tokenizer.json: pre_tokenizer type \"" + type +
                                  "\" is not supported");
  SplitStep s;
  s.pattern = literal_pattern(j, where);
  if (s.pattern.empty()) bad(where, "empty Split pattern");
  if (opt_bool(j, "invert", false))
    fail(Status::unsupported, "tokenizer.json: pre_tokenizer Split with invert is not supported");
  const std::string b = member(j, "behavior", where).as_string("behavior");
  if (b == "Removed") s.behavior = SplitBehavior::removed;
  else if (b == "Isolated") s.behavior = SplitBehavior::isolated;
  else if (b == "MergedWithPrevious") s.behavior = SplitBehavior::merged_with_previous;
  else if (b == "MergedWithNext") s.behavior = SplitBehavior::merged_with_next;
  else if (b == "Contiguous") s.behavior = SplitBehavior::contiguous;
  else bad(where, "unknown Split behavior \"" + b + "\"");
  out.push_back(s);
}

// The options of the BPE model that change results; ones we do not implement are refused
// rather than ignored.
void parse_bpe_options(const Json& model, TokenizerData& m) {
  if (const Json* t = model.find("type"); t && t->as_string("model.type") != "BPE")
    fail(Status::unsupported, "tokenizer.json: model type \"" + t->as_string() +
                                  "\" is not supported (only BPE)");
  if (const Json* d = model.find("dropout"); d && !d->is_null() && d->as_number("dropout") != 0)
    fail(Status::unsupported, "tokenizer.json: BPE dropout is not supported");
  for (const char* k : {"continuing_subword_prefix", "end_of_word_suffix"}) {
    const Json* v = model.find(k);
    if (v && !v->is_null() && !v->as_string(k).empty())
      fail(Status::unsupported, std::string("tokenizer.json: BPE ") + k + " is not supported");
  }
  m.byte_fallback = opt_bool(model, "byte_fallback", false);
  m.fuse_unk = opt_bool(model, "fuse_unk", false);
  m.ignore_merges = opt_bool(model, "ignore_merges", false);
}

std::vector<std::pair<std::string_view, std::string_view>> parse_json_merges(const Json& arr) {
  std::vector<std::pair<std::string_view, std::string_view>> out;
  const auto& list = arr.as_array("model.merges");
  out.reserve(list.size());
  for (size_t i = 0; i < list.size(); ++i) {
    const Json& e = list[i];
    if (e.is_array()) {  // tokenizers >= 0.20: ["left", "right"]
      const auto& p = e.as_array("merge");
      if (p.size() != 2)
        bad("tokenizer.json model.merges", "entry " + std::to_string(i) + " is not a pair");
      out.emplace_back(p[0].as_string("merge"), p[1].as_string("merge"));
    } else {  // older files: "left right"
      const std::string& s = e.as_string("merge");
      size_t sp = s.find(' ', 1);
      if (sp == std::string::npos || sp + 1 >= s.size())
        bad("tokenizer.json model.merges", "entry " + std::to_string(i) + " " + quoted(s) +
                                               " is not \"left right\"");
      std::string_view v(s);
      out.emplace_back(v.substr(0, sp), v.substr(sp + 1));
    }
  }
  return out;
}

}  // namespace

Tokenizer::Tokenizer() : impl_(new Impl) {}
Tokenizer::~Tokenizer() = default;

std::unique_ptr<Tokenizer> Tokenizer::from_hf_json(const Json& j) {
  const std::string where = "tokenizer.json";
  if (!j.is_object()) bad(where, "top level is not an object");
  std::unique_ptr<Tokenizer> tok(new Tokenizer());
  Impl& m = *tok->impl_;

  const Json& model = member(j, "model", where);
  if (!model.is_object()) bad(where, "\"model\" is not an object");
  parse_bpe_options(model, m);
  const auto& vocab = member(model, "vocab", "tokenizer.json model").as_object("model.vocab");
  const Json* added_j = j.find("added_tokens");
  static const std::vector<Json> kNone;
  const auto& added = added_j && !added_j->is_null() ? added_j->as_array("added_tokens") : kNone;

  // Ids must be dense: every id in [0, n) exactly once. The entry count bounds n before
  // anything is allocated from a hostile id.
  const size_t entries = vocab.size() + added.size();
  if (vocab.empty()) bad(where, "model.vocab is empty");
  // `what` is only evaluated on error: building 262 144 messages would dominate the load.
  const auto check_id = [&](const Json& v, const auto& what) {
    if (!v.is_number()) bad(where, what() + " has an id that is not a number");
    int64_t id = v.as_int("token id");
    if (id < 0 || static_cast<uint64_t>(id) >= entries)
      bad(where, what() + " has id " + std::to_string(id) + ", outside [0, " +
                     std::to_string(entries) + ") (ids must be dense)");
    return static_cast<int32_t>(id);
  };
  int32_t n = 0;
  for (const auto& [piece, v] : vocab)
    n = std::max(n, check_id(v, [&] { return "vocab entry " + quoted(piece); }) + 1);
  std::vector<std::tuple<int32_t, const std::string*, const Json*>> added_list;
  for (size_t i = 0; i < added.size(); ++i) {
    const Json& a = added[i];
    const std::string what = "added_tokens[" + std::to_string(i) + "]";
    int32_t id = check_id(member(a, "id", where + " " + what), [&] { return what; });
    const std::string& content = member(a, "content", where + " " + what).as_string("content");
    added_list.emplace_back(id, &content, &a);
    n = std::max(n, id + 1);
  }
  m.text.assign(n, std::string());
  m.kind.assign(n, TokenKind::normal);
  std::vector<uint8_t> seen(n, 0);  // 1: from vocab, 2: from added_tokens
  for (const auto& [piece, v] : vocab) {
    int32_t id = static_cast<int32_t>(v.as_int());
    if (seen[id]) bad(where, "vocab id " + std::to_string(id) + " is used by " +
                                 quoted(m.text[id]) + " and " + quoted(piece));
    seen[id] = 1;
    m.text[id] = piece;
    if (parse_byte_piece(piece) >= 0) m.kind[id] = TokenKind::byte;
  }
  for (const auto& [id, content, a] : added_list) {
    // An added token may repeat a vocab entry (same id and text) but not contradict one.
    if (seen[id] == 2 || (seen[id] == 1 && m.text[id] != *content))
      bad(where, "added token " + quoted(*content) + " has id " + std::to_string(id) +
                     ", already used by " + quoted(m.text[id]));
    seen[id] = 2;
    m.text[id] = *content;
    m.kind[id] = opt_bool(*a, "special", false) ? TokenKind::control : TokenKind::user_defined;
    uint8_t flags = (opt_bool(*a, "lstrip", false) ? 1 : 0) | (opt_bool(*a, "rstrip", false) ? 2 : 0);
    if (flags) m.strip_flags[id] = flags;
  }
  for (int32_t id = 0; id < n; ++id)
    if (!seen[id]) bad(where, "no token has id " + std::to_string(id) + " (ids must be dense)");

  const Json* norm = j.find("normalizer");
  if (norm) parse_normalizer(*norm, m.normalizer);
  const Json* pre = j.find("pre_tokenizer");
  if (pre) parse_pre_tokenizer(*pre, m.pre_tokenizer);

  finish(m, parse_json_merges(member(model, "merges", "tokenizer.json model")), where);

  if (const Json* unk = model.find("unk_token"); unk && !unk->is_null()) {
    const std::string& u = unk->as_string("model.unk_token");
    m.unk_id = m.id_of.find(u);
    if (m.unk_id < 0) bad(where, "model.unk_token " + quoted(u) + " is not in the vocabulary");
    if (m.kind[m.unk_id] == TokenKind::normal) m.kind[m.unk_id] = TokenKind::unknown;
  }
  return tok;
}

// ---- GGUF ----

namespace {

const GgufValue& gguf_array(const GgufFile& f, const char* key, GgufType elem, bool required,
                            bool* present) {
  static const GgufValue kEmpty;
  const GgufValue* v = f.find(key);
  *present = v != nullptr;
  if (!v) {
    if (required) bad("GGUF tokenizer", std::string("missing ") + key);
    return kEmpty;
  }
  if (v->type != GgufType::array)
    bad("GGUF tokenizer", std::string(key) + " is not an array");
  bool ok = elem == GgufType::i32
                ? (v->elem_type == GgufType::i32 || v->elem_type == GgufType::u32 ||
                   v->elem_type == GgufType::i8 || v->elem_type == GgufType::u8 ||
                   v->elem_type == GgufType::i16 || v->elem_type == GgufType::u16 ||
                   v->elem_type == GgufType::i64 || v->elem_type == GgufType::u64)
                : v->elem_type == elem;
  if (!ok) bad("GGUF tokenizer", std::string(key) + " has the wrong element type");
  return *v;
}

}  // namespace

std::unique_ptr<Tokenizer> Tokenizer::from_gguf(const GgufFile& f) {
  const std::string where = "GGUF tokenizer";
  std::string model;
  if (!f.get_string("tokenizer.ggml.model", model)) bad(where, "missing tokenizer.ggml.model");
  if (model != "gemma4")
    fail(Status::unsupported, "GGUF tokenizer: tokenizer.ggml.model \"" + model +
                                  "\" is not supported (expected \"gemma4\", a BPE with merges)");
  bool space_prefix = false;
  if (f.get_bool("tokenizer.ggml.add_space_prefix", space_prefix) && space_prefix)
    fail(Status::unsupported, "GGUF tokenizer: tokenizer.ggml.add_space_prefix = true is not "
                              "supported");

  bool has_tokens, has_types, has_scores, has_merges;
  const auto& tokens = gguf_array(f, "tokenizer.ggml.tokens", GgufType::string, true, &has_tokens);
  const auto& types = gguf_array(f, "tokenizer.ggml.token_type", GgufType::i32, false, &has_types);
  const auto& scores = gguf_array(f, "tokenizer.ggml.scores", GgufType::f32, false, &has_scores);
  const auto& merges_v = gguf_array(f, "tokenizer.ggml.merges", GgufType::string, true, &has_merges);
  const size_t n = tokens.arr.size();
  if (n == 0) bad(where, "tokenizer.ggml.tokens is empty");
  if (n > static_cast<size_t>(INT32_MAX)) bad(where, "too many tokens");
  if (has_types && types.arr.size() != n)
    bad(where, "tokenizer.ggml.token_type has " + std::to_string(types.arr.size()) +
                   " entries for " + std::to_string(n) + " tokens");
  if (has_scores && scores.arr.size() != n)  // scores are not used by BPE, but must fit
    bad(where, "tokenizer.ggml.scores has " + std::to_string(scores.arr.size()) +
                   " entries for " + std::to_string(n) + " tokens");

  std::unique_ptr<Tokenizer> tok(new Tokenizer());
  Impl& m = *tok->impl_;
  m.byte_fallback = true;  // Gemma's SentencePiece model: byte_fallback, no fuse_unk
  m.normalizer.push_back({false, " ", kSpaceMark});
  m.text.resize(n);
  m.kind.resize(n);
  for (size_t i = 0; i < n; ++i) {
    m.text[i] = tokens.arr[i].str;
    int64_t t = has_types ? types.arr[i].i
                          : (parse_byte_piece(m.text[i]) >= 0 ? int64_t(TokenKind::byte) : 1);
    if (t < 1 || t > 6)
      bad(where, "token " + std::to_string(i) + " " + quoted(m.text[i]) + " has token_type " +
                     std::to_string(t) + " (expected 1..6)");
    m.kind[i] = static_cast<TokenKind>(t);
    if (m.kind[i] == TokenKind::unknown && m.unk_id < 0) m.unk_id = static_cast<int32_t>(i);
  }
  int64_t unk = -1;
  if (f.get_int("tokenizer.ggml.unknown_token_id", unk)) {
    if (unk < 0 || static_cast<uint64_t>(unk) >= n)
      bad(where, "tokenizer.ggml.unknown_token_id " + std::to_string(unk) + " is out of range");
    m.unk_id = static_cast<int32_t>(unk);
  }

  std::vector<std::pair<std::string_view, std::string_view>> merges;
  merges.reserve(merges_v.arr.size());
  for (size_t i = 0; i < merges_v.arr.size(); ++i) {
    const std::string& s = merges_v.arr[i].str;
    size_t sp = s.find(' ', 1);
    if (sp == std::string::npos || sp + 1 >= s.size())
      bad(where, "tokenizer.ggml.merges[" + std::to_string(i) + "] " + quoted(s) +
                     " is not \"left right\"");
    std::string_view v(s);
    merges.emplace_back(v.substr(0, sp), v.substr(sp + 1));
  }
  finish(m, merges, where);
  return tok;
}

// ---- queries ----

int32_t Tokenizer::n_vocab() const { return static_cast<int32_t>(impl_->text.size()); }

static void check_id(const TokenizerData& m, int32_t id) {
  if (id < 0 || static_cast<size_t>(id) >= m.text.size())
    fail(Status::invalid_argument, "token id " + std::to_string(id) + " is outside [0, " +
                                       std::to_string(m.text.size()) + ")");
}

const std::string& Tokenizer::token_text(int32_t id) const {
  check_id(*impl_, id);
  return impl_->text[id];
}

std::string Tokenizer::token_bytes(int32_t id) const {
  const Impl& m = *impl_;
  check_id(m, id);
  const std::string& t = m.text[id];
  if (m.kind[id] == TokenKind::byte) return std::string(1, static_cast<char>(parse_byte_piece(t)));
  // The decoder's Replace "▁" -> " " applies to every piece (HF and transformers.js run the
  // decoder over added tokens too, so the user-defined "▁▁" token decodes as two spaces).
  std::string out;
  out.reserve(t.size());
  for (size_t i = 0; i < t.size();) {
    if (t.compare(i, 3, kSpaceMark) == 0) {
      out += ' ';
      i += 3;
    } else {
      out += t[i++];
    }
  }
  return out;
}

int32_t Tokenizer::find(std::string_view token_text) const {
  return impl_->id_of.find(token_text);
}

bool Tokenizer::is_special(int32_t id) const {
  if (id < 0 || static_cast<size_t>(id) >= impl_->kind.size()) return false;
  TokenKind k = impl_->kind[id];
  return k == TokenKind::control || k == TokenKind::unknown || k == TokenKind::user_defined;
}

bool Tokenizer::is_control(int32_t id) const {
  if (id < 0 || static_cast<size_t>(id) >= impl_->kind.size()) return false;
  TokenKind k = impl_->kind[id];
  return k == TokenKind::control || k == TokenKind::unknown;
}

}  // namespace g4
