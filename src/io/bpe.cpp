// Encoding: added-token matching, normalization, pre-tokenization and byte-fallback BPE.
//
// The pipeline is Hugging Face's (and transformers.js's, which the tokenizer_vs_npm test runs
// as the oracle):
//   1. the raw text is split at added tokens, scanning left to right and taking the longest
//      match at each position; matched tokens are emitted as-is and never merged across;
//   2. every other section is normalized (Gemma: " " -> "▁"), pre-tokenized (Gemma's Split on
//      " " finds nothing after that normalization) and each piece goes through BPE;
//   3. BPE starts from the piece's characters and repeatedly merges the adjacent pair with the
//      lowest merge rank, the leftmost pair first among equal ranks;
//   4. a final symbol missing from the vocabulary becomes its UTF-8 bytes as <0xXX> tokens
//      (all of them must exist, else <unk>).
#include <algorithm>
#include <cstdio>
#include <queue>

#include "base/error.h"
#include "io/tokenizer_impl.h"

namespace g4 {

void AddedTokenTrie::insert(std::string_view s, int32_t id) {
  uint32_t node = 0;
  for (unsigned char c : s) {
    uint64_t key = static_cast<uint64_t>(node) << 8 | c;
    auto it = children.find(key);
    if (it == children.end()) {
      uint32_t fresh = static_cast<uint32_t>(terminal.size());
      terminal.push_back(-1);
      it = children.emplace(key, fresh).first;
    }
    node = it->second;
  }
  terminal[node] = id;
}

uint32_t AddedTokenTrie::child(uint32_t node, uint8_t byte) const {
  auto it = children.find(static_cast<uint64_t>(node) << 8 | byte);
  return it == children.end() ? 0 : it->second;
}

namespace {
inline uint64_t mix64(uint64_t x) {  // splitmix64 finalizer
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}
size_t table_size(size_t n) {  // power of two, load factor <= 1/2
  size_t cap = 16;
  while (cap < 2 * n) cap <<= 1;
  return cap;
}
}  // namespace

void PieceIndex::build(const std::vector<std::string>& text) {
  text_ = &text;
  slots_.assign(table_size(text.size()), 0);
  mask_ = slots_.size() - 1;
  for (size_t id = 0; id < text.size(); ++id) {
    uint64_t h = mix64(std::hash<std::string_view>()(text[id]));
    uint64_t tag = h >> 32 << 32;
    for (size_t i = h & mask_;; i = (i + 1) & mask_) {
      uint64_t s = slots_[i];
      if (s == 0) {
        slots_[i] = tag | (id + 1);
        break;
      }
      if ((s >> 32 << 32) == tag && text[(s & 0xffffffff) - 1] == text[id]) {
        duplicate_a = static_cast<int32_t>((s & 0xffffffff) - 1);
        duplicate_b = static_cast<int32_t>(id);
        return;
      }
    }
  }
}

int32_t PieceIndex::find(std::string_view str) const {
  if (slots_.empty()) return -1;
  uint64_t h = mix64(std::hash<std::string_view>()(str));
  uint64_t tag = h >> 32 << 32;
  for (size_t i = h & mask_;; i = (i + 1) & mask_) {
    uint64_t s = slots_[i];
    if (s == 0) return -1;
    if ((s >> 32 << 32) == tag) {
      int32_t id = static_cast<int32_t>((s & 0xffffffff) - 1);
      if ((*text_)[id] == str) return id;
    }
  }
}

void MergeTable::reserve(size_t n) {
  slots_.assign(table_size(n), Slot{});
  mask_ = slots_.size() - 1;
  size_ = 0;
}

bool MergeTable::insert(uint64_t key, Merge m) {
  if (2 * (size_ + 1) > slots_.size()) {  // grow (reserve() normally makes this rare)
    std::vector<Slot> old;
    old.swap(slots_);
    reserve(2 * (size_ + 1));
    for (const Slot& s : old)
      if (s.key != ~uint64_t{0}) insert(s.key, s.m);
  }
  for (size_t i = mix64(key) & mask_;; i = (i + 1) & mask_) {
    if (slots_[i].key == key) return false;
    if (slots_[i].key == ~uint64_t{0}) {
      slots_[i] = {key, m};
      ++size_;
      return true;
    }
  }
}

const Merge* MergeTable::find(uint64_t key) const {
  if (slots_.empty()) return nullptr;
  for (size_t i = mix64(key) & mask_;; i = (i + 1) & mask_) {
    if (slots_[i].key == key) return &slots_[i].m;
    if (slots_[i].key == ~uint64_t{0}) return nullptr;
  }
}

namespace {

// Length of the UTF-8 character starting at s[i], or 1 for a byte that does not start a
// well-formed one (such bytes become their own symbol and fall back to <0xXX>).
size_t utf8_char_len(std::string_view s, size_t i) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = b(i);
  const size_t left = s.size() - i;
  const auto cont = [&](size_t k) { return (b(i + k) & 0xc0) == 0x80; };
  if (c < 0x80) return 1;
  if (c >= 0xc2 && c <= 0xdf) return left >= 2 && cont(1) ? 2 : 1;
  if (c >= 0xe0 && c <= 0xef) {
    if (left < 3 || !cont(1) || !cont(2)) return 1;
    if (c == 0xe0 && b(i + 1) < 0xa0) return 1;   // overlong
    if (c == 0xed && b(i + 1) >= 0xa0) return 1;  // UTF-16 surrogate
    return 3;
  }
  if (c >= 0xf0 && c <= 0xf4) {
    if (left < 4 || !cont(1) || !cont(2) || !cont(3)) return 1;
    if (c == 0xf0 && b(i + 1) < 0x90) return 1;   // overlong
    if (c == 0xf4 && b(i + 1) >= 0x90) return 1;  // above U+10FFFF
    return 4;
  }
  return 1;
}

bool is_ascii_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

void replace_all(std::string& s, const std::string& from, const std::string& to) {
  if (from.empty() || s.find(from) == std::string::npos) return;
  std::string out;
  out.reserve(s.size() + s.size() / 2);
  size_t pos = 0;
  for (size_t hit; (hit = s.find(from, pos)) != std::string::npos; pos = hit + from.size()) {
    out.append(s, pos, hit - pos);
    out += to;
  }
  out.append(s, pos, std::string::npos);
  s.swap(out);
}

// One pre-tokenizer Split step over `pieces`, with Hugging Face's delimiter behaviours.
std::vector<std::string_view> split_pieces(const std::vector<std::string_view>& pieces,
                                           const SplitStep& step) {
  std::vector<std::string_view> out;
  const std::string& pat = step.pattern;
  for (std::string_view p : pieces) {
    // Cut p into alternating runs: (is_delimiter, text).
    std::vector<std::pair<bool, std::string_view>> runs;
    size_t pos = 0;
    for (size_t hit; (hit = p.find(pat, pos)) != std::string_view::npos; pos = hit + pat.size()) {
      if (hit > pos) runs.push_back({false, p.substr(pos, hit - pos)});
      if (step.behavior == SplitBehavior::contiguous && !runs.empty() && runs.back().first &&
          runs.back().second.data() + runs.back().second.size() == p.data() + hit) {
        runs.back().second = std::string_view(runs.back().second.data(),
                                              runs.back().second.size() + pat.size());
      } else {
        runs.push_back({true, p.substr(hit, pat.size())});
      }
    }
    if (pos < p.size()) runs.push_back({false, p.substr(pos)});

    const auto join = [](std::string_view a, std::string_view b) {  // adjacent views
      return std::string_view(a.data(), a.size() + b.size());
    };
    std::vector<std::string_view> cur;
    for (size_t i = 0; i < runs.size(); ++i) {
      auto [delim, s] = runs[i];
      if (!delim) {
        cur.push_back(s);
        continue;
      }
      switch (step.behavior) {
        case SplitBehavior::removed: break;
        case SplitBehavior::isolated:
        case SplitBehavior::contiguous: cur.push_back(s); break;
        case SplitBehavior::merged_with_previous:
          if (!cur.empty() && cur.back().data() + cur.back().size() == s.data())
            cur.back() = join(cur.back(), s);
          else
            cur.push_back(s);
          break;
        case SplitBehavior::merged_with_next:
          if (i + 1 < runs.size() && !runs[i + 1].first) {
            runs[i + 1].second = join(s, runs[i + 1].second);
          } else {
            cur.push_back(s);
          }
          break;
      }
    }
    for (auto s : cur)
      if (!s.empty()) out.push_back(s);
  }
  return out;
}

}  // namespace

void TokenizerData::encode_section(std::string_view raw, std::vector<int32_t>& out) const {
  if (raw.empty()) return;
  std::string norm(raw);
  for (const NormalizerStep& n : normalizer) {
    if (n.prepend) {
      if (!norm.empty()) norm.insert(0, n.to);
    } else {
      replace_all(norm, n.from, n.to);
    }
  }
  if (norm.empty()) return;
  std::vector<std::string_view> pieces{std::string_view(norm)};
  for (const SplitStep& s : pre_tokenizer) pieces = split_pieces(pieces, s);
  for (std::string_view p : pieces) bpe_word(p, out);
}

void TokenizerData::bpe_word(std::string_view word, std::vector<int32_t>& out) const {
  if (word.empty()) return;
  if (ignore_merges) {
    int32_t id = id_of.find(word);
    if (id >= 0) {
      out.push_back(id);
      return;
    }
  }
  if (word.size() > static_cast<size_t>(INT32_MAX / 2))
    fail(Status::invalid_argument, "tokenizer: a text section of " +
                                       std::to_string(word.size()) + " bytes is too long");

  // Symbols form a doubly linked list over the word; a merge grows the left symbol and kills
  // the right one, so a symbol's content only ever grows.
  struct Symbol {
    int32_t start, len;
    int32_t id;  // -1: not in the vocabulary (never merged, falls back to bytes)
    int32_t prev, next;
  };
  std::vector<Symbol> sym;
  sym.reserve(word.size());
  for (size_t i = 0; i < word.size();) {
    size_t n = utf8_char_len(word, i);
    int32_t idx = static_cast<int32_t>(sym.size());
    sym.push_back({static_cast<int32_t>(i), static_cast<int32_t>(n), id_of.find(word.substr(i, n)),
                   idx - 1, idx + 1});
    i += n;
  }
  sym.back().next = -1;

  // Candidate merges ordered by (rank, position of the left symbol): this is the order of
  // transformers.js's score rank + start/len and of HF's (rank, pos) queue. Entries go stale
  // when a neighbour changes; they carry the ids they were made from and are re-checked.
  struct Cand {
    int32_t rank, left, right, left_id, right_id, result;
    bool operator>(const Cand& o) const {
      return rank != o.rank ? rank > o.rank : left > o.left;
    }
  };
  std::priority_queue<Cand, std::vector<Cand>, std::greater<Cand>> queue;
  const auto consider = [&](int32_t l) {
    if (l < 0) return;
    int32_t r = sym[l].next;
    if (r < 0 || sym[l].id < 0 || sym[r].id < 0) return;
    if (const Merge* mg = merges.find(pair_key(sym[l].id, sym[r].id)))
      queue.push({mg->rank, l, r, sym[l].id, sym[r].id, mg->result});
  };
  for (int32_t i = 0; i + 1 < static_cast<int32_t>(sym.size()); ++i) consider(i);

  while (!queue.empty()) {
    Cand c = queue.top();
    queue.pop();
    Symbol& l = sym[c.left];
    if (l.len == 0 || l.next != c.right || l.id != c.left_id) continue;
    Symbol& r = sym[c.right];
    if (r.len == 0 || r.id != c.right_id) continue;
    l.len += r.len;
    l.id = c.result;
    l.next = r.next;
    if (r.next >= 0) sym[r.next].prev = c.left;
    r.len = 0;  // dead
    consider(l.prev);
    consider(c.left);
  }

  bool last_was_unk = false;
  for (int32_t i = 0; i >= 0; i = sym[i].next) {
    const Symbol& s = sym[i];
    if (s.id >= 0) {
      out.push_back(s.id);
      last_was_unk = false;
      continue;
    }
    std::string_view bytes = word.substr(s.start, s.len);
    bool all_bytes = byte_fallback;
    for (unsigned char b : bytes) all_bytes = all_bytes && byte_id[b] >= 0;
    if (all_bytes) {
      for (unsigned char b : bytes) out.push_back(byte_id[b]);
      last_was_unk = false;
      continue;
    }
    if (unk_id < 0) {
      char hex[8];
      snprintf(hex, sizeof hex, "%02X", static_cast<unsigned char>(bytes[0]));
      fail(Status::invalid_argument,
           std::string("tokenizer: the vocabulary cannot represent the text (no piece, byte "
                       "token or <unk> for the character starting with byte 0x") + hex + ")");
    }
    if (!(fuse_unk && last_was_unk)) out.push_back(unk_id);
    last_was_unk = true;
  }
}

std::vector<int32_t> Tokenizer::encode(std::string_view text, bool parse_special) const {
  const Impl& m = *impl_;
  std::vector<int32_t> out;
  out.reserve(text.size() / 3 + 4);
  size_t section = 0;        // start of the text not yet emitted
  bool strip_next = false;   // the previous added token has rstrip
  const auto flush = [&](size_t end) {
    std::string_view s = text.substr(section, end - section);
    if (strip_next)
      while (!s.empty() && is_ascii_space(s.front())) s.remove_prefix(1);
    m.encode_section(s, out);
  };
  for (size_t pos = 0; pos < text.size();) {
    // Longest allowed added token starting at pos.
    int32_t best = -1;
    size_t best_len = 0;
    uint32_t node = 0;
    for (size_t j = pos; j < text.size(); ++j) {
      node = m.added.child(node, static_cast<uint8_t>(text[j]));
      if (node == 0) break;
      int32_t id = m.added.terminal[node];
      if (id >= 0 && m.matchable(id, parse_special)) {
        best = id;
        best_len = j + 1 - pos;
      }
    }
    if (best < 0) {
      ++pos;
      continue;
    }
    uint8_t flags = 0;
    if (!m.strip_flags.empty()) {
      auto it = m.strip_flags.find(best);
      if (it != m.strip_flags.end()) flags = it->second;
    }
    size_t end = pos;
    if (flags & 1)  // lstrip: drop whitespace before the token
      while (end > section && is_ascii_space(text[end - 1])) --end;
    flush(end);
    out.push_back(best);
    pos += best_len;
    section = pos;
    strip_next = (flags & 2) != 0;
  }
  flush(text.size());
  return out;
}

}  // namespace g4
