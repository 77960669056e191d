#include "runtime/utf8.h"

namespace g4 {

namespace {

// Expected length of a sequence starting with lead byte c; 0 for a byte that cannot start one.
int seq_len(unsigned char c) {
  if (c < 0x80) return 1;
  if (c >= 0xc2 && c <= 0xdf) return 2;
  if (c >= 0xe0 && c <= 0xef) return 3;
  if (c >= 0xf0 && c <= 0xf4) return 4;
  return 0;
}

bool is_cont(unsigned char c) { return (c & 0xc0) == 0x80; }

// Length of the valid sequence at s[i], or 0 if invalid. Checks overlongs and surrogates.
size_t valid_at(const std::string& s, size_t i) {
  unsigned char c = static_cast<unsigned char>(s[i]);
  int n = seq_len(c);
  if (n == 0 || i + n > s.size()) return 0;
  for (int k = 1; k < n; ++k)
    if (!is_cont(static_cast<unsigned char>(s[i + k]))) return 0;
  if (n >= 3) {
    unsigned char c1 = static_cast<unsigned char>(s[i + 1]);
    if (c == 0xe0 && c1 < 0xa0) return 0;  // overlong
    if (c == 0xed && c1 >= 0xa0) return 0;  // surrogate
    if (c == 0xf0 && c1 < 0x90) return 0;  // overlong
    if (c == 0xf4 && c1 >= 0x90) return 0;  // > U+10FFFF
  }
  return static_cast<size_t>(n);
}

}  // namespace

size_t utf8_complete_prefix(const std::string& s) {
  // Look at most 3 bytes back for the lead byte of a sequence that runs past the end.
  size_t n = s.size();
  for (size_t back = 1; back <= 3 && back <= n; ++back) {
    unsigned char c = static_cast<unsigned char>(s[n - back]);
    if (is_cont(c)) continue;
    int len = seq_len(c);
    if (len > static_cast<int>(back)) {
      for (size_t k = n - back + 1; k < n; ++k)
        if (!is_cont(static_cast<unsigned char>(s[k]))) return n;  // invalid anyway: deliver
      return n - back;
    }
    return n;
  }
  return n;
}

std::string utf8_sanitize(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    size_t n = valid_at(s, i);
    if (n == 0) {
      out += "\xEF\xBF\xBD";
      ++i;
    } else {
      out.append(s, i, n);
      i += n;
    }
  }
  return out;
}

}  // namespace g4
