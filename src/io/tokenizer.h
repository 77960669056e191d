// Gemma's byte-fallback BPE tokenizer (SentencePiece-derived: spaces are U+2581 "▁", no space
// prefix, merges applied by rank, bytes without a piece become <0xXX> tokens). Built from GGUF
// metadata (tokenizer.ggml.*) or from a Hugging Face tokenizer.json.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace g4 {

class GgufFile;
class Json;

class Tokenizer {
 public:
  // Throws Error(bad_format) when the vocabulary or merges are missing or malformed.
  static std::unique_ptr<Tokenizer> from_gguf(const GgufFile& gguf);
  static std::unique_ptr<Tokenizer> from_hf_json(const Json& tokenizer_json);
  ~Tokenizer();

  int32_t n_vocab() const;
  // Token ids of text, without BOS. With parse_special, the text of control tokens ("<bos>",
  // "<|turn>", ...) becomes those tokens; without it, it is tokenized as plain text.
  // User-defined tokens ("\n\n", "<table>", "<unused0>", ...) are matched either way, as
  // SentencePiece, HF tokenizers and llama.cpp do (the model saw them only as single tokens).
  std::vector<int32_t> encode(std::string_view text, bool parse_special) const;
  // The vocabulary string of a token as stored ("▁Hello", "<0x0A>", "<|turn>").
  const std::string& token_text(int32_t id) const;
  // The bytes a token contributes to the output ("▁" -> " ", "<0x0A>" -> "\n"); special
  // tokens give their literal text. A byte token may be an incomplete UTF-8 sequence.
  std::string token_bytes(int32_t id) const;
  int32_t find(std::string_view token_text) const;  // -1 when absent
  bool is_special(int32_t id) const;                // control or user-defined token
  bool is_control(int32_t id) const;                // control tokens (<bos>, <eos>, ...)

 private:
  Tokenizer();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace g4
