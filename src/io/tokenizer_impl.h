// Internal state of g4::Tokenizer, shared by the loaders (tokenizer.cpp) and the encoder
// (bpe.cpp). Not part of any contract outside src/io/.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "io/tokenizer.h"

namespace g4 {

// Token kinds, numbered as GGUF's tokenizer.ggml.token_type (llama.cpp's llama_token_type).
enum class TokenKind : uint8_t {
  normal = 1,
  unknown = 2,       // <unk>: matched in text only with parse_special, like a control token
  control = 3,       // <bos>, <start_of_turn>, ...: matched in text only with parse_special
  user_defined = 4,  // "\n\n", "<unused0>", "<table>", ...: always matched in text
  unused = 5,
  byte = 6,          // "<0xXX>"
};

// Which Hugging Face pre-tokenizer "Split" behaviour applies to the delimiter.
enum class SplitBehavior : uint8_t { removed, isolated, merged_with_previous, merged_with_next,
                                     contiguous };

struct NormalizerStep {
  bool prepend = false;  // false: replace every `from` by `to`; true: prefix `to`
  std::string from, to;
};

struct SplitStep {
  std::string pattern;  // a literal string (regex patterns are rejected at load)
  SplitBehavior behavior = SplitBehavior::isolated;
};

// Byte trie over the text of the tokens matched before BPE (added / user-defined / control).
struct AddedTokenTrie {
  std::vector<int32_t> terminal{-1};                 // per node: token id ending here, or -1
  std::unordered_map<uint64_t, uint32_t> children;   // (node << 8 | byte) -> child node
  void insert(std::string_view text, int32_t id);
  uint32_t child(uint32_t node, uint8_t byte) const;  // 0 when absent (root is never a child)
};

struct Merge {
  int32_t rank;    // position in the merges list: lower merges first
  int32_t result;  // id of the concatenated piece
};

// Open-addressing hash tables for the two hot lookups (piece -> id while loading and encoding,
// id pair -> merge while encoding). std::unordered_map spent most of the 262 144-piece load
// chasing nodes; these keep the 32-bit hash next to the id so a probe rarely touches a string.
class PieceIndex {
 public:
  void build(const std::vector<std::string>& text);  // returns normally only if no duplicates
  int32_t find(std::string_view s) const;              // -1 when absent
  int32_t duplicate_a = -1, duplicate_b = -1;          // set by build() on a repeated piece

 private:
  const std::vector<std::string>* text_ = nullptr;
  std::vector<uint64_t> slots_;  // (hash32 << 32) | (id + 1); 0 = empty
  size_t mask_ = 0;
};

class MergeTable {
 public:
  void reserve(size_t n);
  bool insert(uint64_t key, Merge m);  // false if the key is already present
  const Merge* find(uint64_t key) const;

 private:
  struct Slot {
    uint64_t key = ~uint64_t{0};  // ~0 = empty (ids are below 2^31, so no real key is ~0)
    Merge m{0, 0};
  };
  std::vector<Slot> slots_;
  size_t mask_ = 0, size_ = 0;
};

// The state lives in a namespace-level struct so that helper functions can name it
// (Tokenizer::Impl itself is private to the class).
struct TokenizerData {
  std::vector<std::string> text;  // [n_vocab] piece as stored ("▁Hello", "<0x0A>")
  std::vector<TokenKind> kind;    // [n_vocab]
  PieceIndex id_of;    // over `text`
  MergeTable merges;   // key: left id << 32 | right id
  int32_t byte_id[256];                                 // id of "<0xXX>", or -1
  int32_t unk_id = -1;
  bool byte_fallback = true;
  bool fuse_unk = false;
  bool ignore_merges = false;
  std::vector<NormalizerStep> normalizer;
  std::vector<SplitStep> pre_tokenizer;
  AddedTokenTrie added;
  // Added tokens with lstrip / rstrip set (HF: whitespace next to them is dropped).
  std::unordered_map<int32_t, uint8_t> strip_flags;  // bit 0: lstrip, bit 1: rstrip

  static uint64_t pair_key(int32_t l, int32_t r) {
    return static_cast<uint64_t>(static_cast<uint32_t>(l)) << 32 | static_cast<uint32_t>(r);
  }
  bool matchable(int32_t id, bool parse_special) const {
    TokenKind k = kind[id];
    return k == TokenKind::user_defined ||
           (parse_special && (k == TokenKind::control || k == TokenKind::unknown));
  }

  // Encoder pieces (bpe.cpp).
  void encode_section(std::string_view raw, std::vector<int32_t>& out) const;
  void bpe_word(std::string_view word, std::vector<int32_t>& out) const;
};

struct Tokenizer::Impl : TokenizerData {};

}  // namespace g4
